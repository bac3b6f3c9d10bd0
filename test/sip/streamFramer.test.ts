import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StreamFramer } from '../../src/sip/streamFramer.js';

const msg = (body: string) =>
  `OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.2;branch=z9hG4bKf\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('stream framing by Content-Length', () => {
  test('cuts back-to-back messages and skips CRLF keep-alives between them', () => {
    const framer = new StreamFramer(65_535);
    const { messages, error } = framer.push(Buffer.from('\r\n\r\n' + msg('one') + '\r\n' + msg('two!')));
    assert.equal(error, undefined);
    assert.deepEqual(
      messages.map((m) => m.toString().slice(-4)),
      ['\none', 'two!'],
    );
    assert.equal(framer.buffered, 0);
  });

  test('reassembles a message split at every byte', () => {
    const framer = new StreamFramer(65_535);
    const whole = Buffer.from(msg('hello body'));
    const out: Buffer[] = [];
    for (let i = 0; i < whole.length; i++) out.push(...framer.push(whole.subarray(i, i + 1)).messages);
    assert.equal(out.length, 1);
    assert.deepEqual(out[0], whole);
  });

  test('reports a fatal error for a missing Content-Length or an oversized message', () => {
    const noLength = new StreamFramer(65_535).push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n'));
    assert.equal(noLength.error, 'missing-content-length');
    const framer = new StreamFramer(200);
    assert.equal(framer.push(Buffer.from(msg('x'.repeat(500)))).error, 'too-large');
    const endless = new StreamFramer(200);
    assert.equal(endless.push(Buffer.from('A'.repeat(300))).error, 'too-large');
    assert.equal(endless.buffered, 0);
  });
});
