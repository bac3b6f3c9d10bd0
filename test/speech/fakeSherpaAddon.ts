/**
 * A stand-in for sherpa-onnx-node with the surface smartcall uses, written out as a CommonJS file
 * (the addon is loaded with `require`, in the decode thread too). It behaves like a streaming
 * transducer where it matters here:
 * - audio is decoded in 100 ms chunks, and a chunk only once 100 ms of audio after it has arrived
 *   (the encoder's look-ahead), so a stream's last chunk is decoded only if something follows it;
 * - every chunk with sound in it adds one letter (a, b, c, …) to the sentence;
 * - `isEndpoint` is rule 2: the recognizer's `rule2MinTrailingSilence` (default 1.2 s) of silence
 *   after some text;
 * - a recognizer built with `hotwordsFile`, and an offline stream created with hot words, show
 *   them in their text: `abc [张三|李四]`;
 * - `decode` takes FAKE_SHERPA_DECODE_MS of CPU time (blocking its thread);
 * - while a file `crash` lies beside the addon (crashSherpaThreads), decoding a chunk with sound in
 *   it ends the thread (`process.exit` in a worker ends that thread only, as a fatal error in the
 *   decode thread would): `once` removes the file first, `always` leaves it.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE = `'use strict';
const { readFileSync, rmSync } = require('node:fs');
const CRASH = require('node:path').join(__dirname, 'crash');
const CHUNK = 1600;
const LOOKAHEAD = 1600;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
function crashIfAsked() {
  let mode;
  try { mode = readFileSync(CRASH, 'utf8').trim(); } catch { return; }
  if (mode === 'once') rmSync(CRASH, { force: true });
  process.exit(70);
}
function block() {
  const ms = Number(process.env.FAKE_SHERPA_DECODE_MS || 0);
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
class OnlineStream {
  constructor() { this.samples = []; this.decoded = 0; this.text = ''; this.letters = 0; this.trailing = 0; }
  acceptWaveform(o) { for (const s of o.samples) this.samples.push(s); }
  inputFinished() {}
}
class OnlineRecognizer {
  constructor(config) {
    this.config = config;
    this.hot = config.hotwordsFile ? readFileSync(config.hotwordsFile, 'utf8').trim().split('\\n').join('|') : '';
  }
  createStream() { return new OnlineStream(); }
  isReady(s) { return s.samples.length - s.decoded >= CHUNK + LOOKAHEAD; }
  decode(s) {
    block();
    let sum = 0;
    for (let i = s.decoded; i < s.decoded + CHUNK; i++) sum += s.samples[i] * s.samples[i];
    s.decoded += CHUNK;
    if (Math.sqrt(sum / CHUNK) > 0.01) crashIfAsked();
    if (Math.sqrt(sum / CHUNK) > 0.01) { s.text += LETTERS[s.letters++ % 26]; s.trailing = 0; }
    else s.trailing += CHUNK / 16000;
  }
  isEndpoint(s) { return s.text !== '' && s.trailing >= (this.config.rule2MinTrailingSilence ?? 1.2); }
  reset(s) { s.text = ''; s.trailing = 0; }
  getResult(s) { return { text: s.text && this.hot ? s.text + ' [' + this.hot + ']' : s.text }; }
}
class OfflineRecognizer {
  constructor(config) { this.config = config; }
  createStream(hotwords) {
    return { hotwords, n: 0, acceptWaveform(o) { this.n += o.samples.length; } };
  }
  decode() { block(); }
  getResult(s) { return { text: s.n ? 'offline' + (s.hotwords ? ' [' + s.hotwords + ']' : '') : '' }; }
}
module.exports = { OnlineRecognizer, OfflineRecognizer };
`;

/** Writes the stand-in into `dir` and returns its path (for `addon:` options and `require`). */
export function writeFakeSherpaAddon(dir: string): string {
  const path = join(dir, 'fake-sherpa-onnx-node.cjs');
  writeFileSync(path, SOURCE);
  return path;
}

/**
 * From now on, the stand-in in `dir` ends the thread decoding the next chunk with sound in it:
 * only the next one (`once`) or every one (`always`), until {@link stopCrashing}.
 */
export function crashSherpaThreads(dir: string, mode: 'once' | 'always'): void {
  writeFileSync(join(dir, 'crash'), mode);
}

export function stopCrashing(dir: string): void {
  rmSync(join(dir, 'crash'), { force: true });
}

/** `ms` of a loud 8 kHz tone, as 20 ms frames. */
export function toneFrames(ms: number): Int16Array[] {
  return Array.from({ length: ms / 20 }, (_, f) =>
    Int16Array.from({ length: 160 }, (_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 440 * (f * 160 + i)) / 8000)),
    ),
  );
}

export function silenceFrames(ms: number): Int16Array[] {
  return Array.from({ length: ms / 20 }, () => new Int16Array(160));
}
