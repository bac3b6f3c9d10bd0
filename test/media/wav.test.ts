import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import wavefile from 'wavefile';
import { loadWavFileSource } from '../../src/media/wavFileSource.js';
import { readWav, readWavFile, WavFormatError } from '../../src/media/wavReader.js';
import { encodeWav, WAV_UNKNOWN_SIZE, wavHeader, writeWavFile } from '../../src/media/wavWriter.js';

function sine(freq: number, rate: number, n: number, amplitude = 0.5): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** A file of `bitDepth` made by wavefile from a float sine (values scaled to that depth). */
function wavefileBytes(channels: number, rate: number, bitDepth: string, n = 800): Uint8Array {
  const signal = sine(1000, rate, n);
  const scale: Record<string, (v: number) => number> = {
    '8': (v) => Math.round(v * 127 + 128),
    '16': (v) => Math.round(v * 32767),
    '24': (v) => Math.round(v * 8388607),
    '32': (v) => Math.round(v * 2147483647),
    '32f': (v) => v,
    '64': (v) => v,
  };
  const samples = Array.from(signal, scale[bitDepth]!);
  const data =
    channels === 1
      ? samples
      : Array.from({ length: channels }, (_, c) => samples.map((v) => (c === 0 ? v : 0)));
  const wav = new wavefile.WaveFile();
  wav.fromScratch(channels, rate, bitDepth, data);
  return wav.toBuffer();
}

function peak(x: Int16Array): number {
  let m = 0;
  for (const v of x) m = Math.max(m, Math.abs(v));
  return m;
}

describe('WAV reading and writing', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartcall-wav-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a mono 16-bit file written then read back is sample-identical', async () => {
    const samples = Int16Array.from({ length: 1234 }, (_, i) => ((i * 7919) % 65536) - 32768);
    const path = join(dir, 'mono.wav');
    await writeWavFile(path, [samples], 8000);
    const wav = await readWavFile(path);
    assert.deepEqual(wav.samples, samples);
    assert.deepEqual([wav.sampleRate, wav.channels, wav.bitDepth, wav.formatTag], [8000, 1, '16', 1]);
    assert.equal(wav.durationMs, 154.25);
  });

  test('a stereo file is interleaved on write and averaged to mono on read', () => {
    const left = Int16Array.of(100, 200, -300);
    const right = Int16Array.of(300, 0, -302);
    const bytes = encodeWav([left, right], 16000);
    assert.equal(bytes.readUInt16LE(22), 2);
    assert.equal(bytes.readUInt32LE(28), 64000);
    assert.deepEqual(
      Array.from(new Int16Array(bytes.buffer, bytes.byteOffset + 44, 6)),
      [100, 300, 200, 0, -300, -302],
    );
    const wav = readWav(bytes);
    assert.deepEqual(Array.from(wav.samples), [200, 100, -301]);
    assert.equal(wav.channels, 2);
  });

  for (const [label, channels, rate, depth] of [
    ['8-bit unsigned', 1, 8000, '8'],
    ['24-bit', 1, 22050, '24'],
    ['32-bit integer', 1, 16000, '32'],
    ['32-bit float', 1, 44100, '32f'],
    ['64-bit float', 1, 8000, '64'],
    ['stereo 44.1 kHz 16-bit', 2, 44100, '16'],
  ] as const) {
    test(`reads ${label} files as mono 16-bit at the source rate`, () => {
      const wav = readWav(wavefileBytes(channels, rate, depth));
      assert.equal(wav.sampleRate, rate);
      assert.equal(wav.channels, channels);
      assert.equal(wav.bitDepth, depth);
      assert.equal(wav.samples.length, 800);
      // A half-scale sine (halved again when averaged with a silent second channel).
      const expected = (channels === 2 ? 0.25 : 0.5) * 32767;
      assert.ok(Math.abs(peak(wav.samples) - expected) < expected * 0.02, `peak ${peak(wav.samples)}`);
    });
  }

  for (const [label, convert, code] of [
    ['µ-law', 'toMuLaw', '8m'],
    ['A-law', 'toALaw', '8a'],
  ] as const) {
    test(`reads ${label} files`, () => {
      const wav = new wavefile.WaveFile();
      wav.fromScratch(
        1,
        8000,
        '16',
        Array.from(sine(1000, 8000, 800), (v) => Math.round(v * 32767)),
      );
      wav[convert]();
      const read = readWav(wav.toBuffer());
      assert.equal(read.bitDepth, code);
      assert.ok(Math.abs(peak(read.samples) - 16384) < 600);
    });
  }

  test('reads what sox writes (24-bit stereo at 22.05 kHz, µ-law, float)', {
    skip: !existsSync('/usr/bin/sox'),
  }, () => {
    const cases: [string, string[], number][] = [
      ['s24.wav', ['-r', '22050', '-c', '2', '-b', '24'], 22050],
      ['ulaw.wav', ['-r', '8000', '-e', 'u-law'], 8000],
      ['float.wav', ['-r', '44100', '-e', 'floating-point', '-b', '32'], 44100],
    ];
    for (const [name, format, rate] of cases) {
      const path = join(dir, name);
      execFileSync('/usr/bin/sox', ['-n', ...format, path, 'synth', '0.1', 'sine', '1000', 'vol', '0.5']);
      const wav = readWav(new Uint8Array(execFileSync('cat', [path])));
      assert.equal(wav.sampleRate, rate, name);
      assert.equal(wav.samples.length, rate / 10, name);
      assert.ok(Math.abs(peak(wav.samples) - 16384) < 700, `${name} peak ${peak(wav.samples)}`);
    }
  });

  test('tolerates an unpatched streaming header whose data size is 0xFFFFFFFF or 0', () => {
    const samples = Int16Array.from({ length: 320 }, (_, i) => i);
    for (const placeholder of [WAV_UNKNOWN_SIZE, 0]) {
      const bytes = encodeWav([samples], 8000);
      wavHeader(8000, 1, placeholder).copy(bytes, 0);
      const truncated = bytes.subarray(0, bytes.length - 1); // died mid-sample
      const wav = readWav(truncated);
      assert.equal(wav.samples.length, 319);
      assert.deepEqual(wav.samples.subarray(0, 319), samples.subarray(0, 319));
    }
  });

  test('rejects bytes that are not WAV with a WavFormatError', async () => {
    assert.throws(() => readWav(Buffer.from('not a wav file at all')), WavFormatError);
    const path = join(dir, 'junk.wav');
    await writeFile(path, Buffer.alloc(100, 1));
    await assert.rejects(readWavFile(path), WavFormatError);
  });

  test('loads a 22.05 kHz prompt file as an 8 kHz audio source', async () => {
    const path = join(dir, 'prompt.wav');
    await writeFile(path, wavefileBytes(1, 22050, '16', 22050));
    const source = await loadWavFileSource(path);
    assert.equal(source.durationMs, 1000);
    const out = new Int16Array(8000);
    assert.equal(source.read(out, 0, 8000), 8000);
    assert.equal(source.done, true);
    assert.ok(Math.abs(peak(out) - 16384) < 300);
    assert.ok((await readFile(path)).length > 44);
  });
});
