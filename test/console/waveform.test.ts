/**
 * The call detail's waveform: peaks per channel from the recorder's two-channel WAV (also one whose
 * header a dying recorder never patched), served only to those who may see the call, and drawn
 * beside a player whose timeline entries seek it.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WaveformError, waveformOf } from '../../src/console/waveformPeaks.js';
import { encodeWav } from '../../src/media/wavWriter.js';
import { tempDir } from '../helpers/tempDir.js';
import { type ConsoleHarness, call, loggedIn, startConsole } from './consoleHarness.js';

const RATE = 8000;
/** 2 s: the callee (left) speaks a loud tone in the first second only; the platform (right) is quiet then soft. */
function recording(): Buffer {
  const left = new Int16Array(2 * RATE);
  const right = new Int16Array(2 * RATE);
  for (let i = 0; i < RATE; i++) left[i] = Math.round(30000 * Math.sin((2 * Math.PI * 440 * i) / RATE));
  for (let i = RATE; i < 2 * RATE; i++)
    right[i] = Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / RATE));
  return encodeWav([left, right], RATE);
}

test('peaks follow each channel: loud where it spoke, flat where it was silent', () => {
  const w = waveformOf(recording(), 100);
  assert.equal(w.channels, 2);
  assert.equal(w.sampleRate, RATE);
  assert.equal(w.durationMs, 2000);
  const [left, right] = w.peaks as [number[], number[]];
  assert.equal(left.length, 200);
  const amp = (row: number[], b: number) => row[2 * b + 1]! - row[2 * b]!;
  assert.ok(amp(left, 10) > 220, `loud callee: ${amp(left, 10)}`);
  assert.equal(amp(left, 80), 0, 'callee silent in the second second');
  assert.equal(amp(right, 10), 0, 'platform silent in the first second');
  assert.ok(amp(right, 80) > 55 && amp(right, 80) < 70, `soft platform: ${amp(right, 80)}`);
});

test('a header the recorder never patched (size 0xFFFFFFFF) reads to the end of the file', () => {
  const bytes = recording();
  bytes.writeUInt32LE(0xffffffff, 4);
  bytes.writeUInt32LE(0xffffffff, 40);
  assert.equal(waveformOf(bytes, 50).durationMs, 2000);
});

test('bytes that are not a 16-bit PCM WAV give a clear error', () => {
  assert.throws(() => waveformOf(Buffer.from('hello world, not a wav'), 10), WaveformError);
  const alaw = recording();
  alaw.writeUInt16LE(6, 20);
  assert.throws(() => waveformOf(alaw, 10), /only 16-bit PCM/);
});

let h: ConsoleHarness;
const dir = tempDir('smartcall-waveform-');
before(async () => {
  h = await startConsole();
});
after(async () => {
  await h.close();
  dir.remove();
});

test('the detail draws the waveform from its own route; timeline entries in the recording seek it', async () => {
  const T = Date.UTC(2025, 5, 1, 2, 0, 0);
  const wav = join(dir.path, 'rec.wav');
  writeFileSync(wav, recording());
  const c = call(h.acme, T, {
    answerAt: T + 5000,
    recordBeginAt: T + 5000,
    endAt: T + 7000,
    recordPath: wav,
  });
  h.store.calls.insert(c);
  const url = `/console/calls/${encodeURIComponent(c.callId)}`;
  const ann = await loggedIn(h.app, 'ann');
  const page = await ann.get(url);
  assert.equal(page.statusCode, 200);
  assert.match(
    page.body,
    new RegExp(`<canvas id="waveform"[^>]* data-src="${url.replace(/[\^%]/g, '\\$&')}/waveform"`),
  );
  assert.match(page.body, /<script src="\/console\/assets\/waveform.js" defer>/);
  // Answered and recording start at +5 s = 0.000 s into the file; acceptance (before it) has no button.
  assert.match(page.body, /<tr class="ev ev-answered" data-rec="0.000">/);
  assert.match(page.body, /<tr class="ev ev-ended" data-rec="2.000">/);
  assert.match(page.body, /<tr class="ev ev-accepted">/);
  assert.match(page.body, /<button type="button" class="seek" data-seek="2.000"/);

  const res = await ann.get(`${url}/waveform`);
  assert.equal(res.statusCode, 200);
  const wave = res.json() as { channels: number; durationMs: number; peaks: number[][] };
  assert.equal(wave.channels, 2);
  assert.equal(wave.durationMs, 2000);
  assert.ok(wave.peaks[0]!.some((p) => p > 100));

  const script = await ann.get('/console/assets/waveform.js');
  assert.equal(script.statusCode, 200);
  assert.match(String(script.headers['content-type']), /javascript/);

  const other = call(h.other, T);
  h.store.calls.insert({ ...other, recordPath: wav });
  const denied = await ann.get(`/console/calls/${encodeURIComponent(other.callId)}/waveform`);
  assert.equal(denied.statusCode, 403, 'a viewer of acme does not get the other account’s waveform');
  assert.equal((await h.app.inject({ url: `${url}/waveform` })).statusCode, 401, 'no session, no waveform');

  // The player seeks with byte ranges.
  const part = await ann.get(url + '/recording', { range: 'bytes=44-143' });
  assert.equal(part.statusCode, 206);
  assert.equal(part.headers['content-range'], `bytes 44-143/${recording().length}`);
  assert.equal(part.rawPayload.length, 100);
  assert.equal((await ann.get(url + '/recording', { range: 'bytes=999999-' })).statusCode, 416);
  assert.equal((await ann.get(url + '/recording')).headers['accept-ranges'], 'bytes');

  writeFileSync(wav, 'not a wav');
  const bad = await ann.get(`${url}/waveform`);
  assert.equal(bad.statusCode, 422);
  assert.match(bad.json().error, /not a WAV/);
});
