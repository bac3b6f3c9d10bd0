import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { g711ByName, g711ByPayloadType, PCMA, PCMU } from '../../src/media/g711.js';

describe('G.711', () => {
  test('µ-law matches the G.711 reference values', () => {
    assert.equal(PCMU.encodeSample(0), 0xff);
    assert.equal(PCMU.encodeSample(1000), 0xce);
    assert.equal(PCMU.encodeSample(-1000), 0x4e);
    assert.equal(PCMU.encodeSample(32767), 0x80);
    assert.equal(PCMU.encodeSample(-32768), 0x00);
    assert.equal(PCMU.decodeSample(0xff), 0);
    assert.equal(PCMU.decodeSample(0xce), 988);
    assert.equal(PCMU.decodeSample(0x80), 32124);
    assert.equal(PCMU.decodeSample(0x00), -32124);
    assert.equal(PCMU.silenceByte, 0xff);
  });

  test('A-law matches the G.711 reference values', () => {
    assert.equal(PCMA.encodeSample(0), 0xd5);
    assert.equal(PCMA.encodeSample(1000), 0xfa);
    assert.equal(PCMA.encodeSample(-1000), 0x7a);
    assert.equal(PCMA.encodeSample(32767), 0xaa);
    assert.equal(PCMA.encodeSample(-32768), 0x2a);
    assert.equal(PCMA.decodeSample(0xd5), 8);
    assert.equal(PCMA.decodeSample(0x55), -8);
    assert.equal(PCMA.decodeSample(0xfa), 1008);
    assert.equal(PCMA.decodeSample(0xaa), 32256);
    assert.equal(PCMA.decodeSample(0x2a), -32256);
    assert.equal(PCMA.silenceByte, 0xd5);
  });

  for (const codec of [PCMU, PCMA]) {
    test(`${codec.name} round trip stays within the quantisation bound for every 16-bit sample`, () => {
      for (let x = -32000; x <= 32000; x++) {
        const err = Math.abs(x - codec.decodeSample(codec.encodeSample(x)));
        assert.ok(err <= Math.max(8, Math.abs(x) * 0.045), `${codec.name} ${x} -> error ${err}`);
      }
    });

    test(`${codec.name} re-encoding a decoded code gives back the same level`, () => {
      for (let c = 0; c < 256; c++) {
        const level = codec.decodeSample(c);
        assert.equal(codec.decodeSample(codec.encodeSample(level)), level);
      }
    });

    test(`${codec.name} frame encode/decode uses offsets into caller buffers and keeps a tone's SNR above 35 dB`, () => {
      const pcm = new Int16Array(200);
      for (let i = 0; i < 160; i++)
        pcm[20 + i] = Math.round(10000 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
      const coded = new Uint8Array(172).fill(0x42);
      codec.encode(pcm, 20, 160, coded, 12);
      assert.equal(coded[11], 0x42, 'bytes before the offset untouched');
      const back = new Int16Array(170);
      codec.decode(coded, 12, 160, back, 10);
      let signal = 0;
      let noise = 0;
      for (let i = 0; i < 160; i++) {
        signal += pcm[20 + i]! ** 2;
        noise += (pcm[20 + i]! - back[10 + i]!) ** 2;
      }
      assert.ok(10 * Math.log10(signal / noise) > 35);
    });
  }

  test('codecs are found by name and by static payload type', () => {
    assert.equal(g711ByName('PCMA'), PCMA);
    assert.equal(g711ByName('PCMU'), PCMU);
    assert.equal(g711ByPayloadType(0), PCMU);
    assert.equal(g711ByPayloadType(8), PCMA);
    assert.equal(g711ByPayloadType(101), undefined);
  });
});
