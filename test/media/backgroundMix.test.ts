/**
 * The background bed on its own: samples add to what is there with the bed's gain, saturate instead
 * of wrapping, loop seamlessly (also when each pass arrives asynchronously), and an empty pass ends
 * the bed instead of spinning.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AudioSource } from '../../src/media/audioSource.js';
import { BackgroundMix } from '../../src/media/backgroundMix.js';
import { PcmSource } from '../../src/media/pcmSource.js';
import { SequenceSource } from '../../src/media/sequenceSource.js';

const pcm = (...v: number[]) => Int16Array.from(v);

test('adds the bed to the frame sample by sample, times its gain', () => {
  const bed = new BackgroundMix(() => new PcmSource(pcm(1000, -1000, 2000, 0)), { gainDb: -6.0206 });
  const out = pcm(100, 100, -100, 7);
  assert.equal(bed.mixInto(out, 0, 4), true);
  assert.deepEqual([...out], [600, -400, 900, 7]);
});

test('fills silence with the bed at its recorded level when the gain is 0 dB', () => {
  const bed = new BackgroundMix(() => new PcmSource(pcm(5, 6, 7)));
  const out = new Int16Array(3);
  bed.mixInto(out, 0, 3);
  assert.deepEqual([...out], [5, 6, 7]);
});

test('saturates at 16 bits instead of wrapping around', () => {
  const bed = new BackgroundMix(() => new PcmSource(pcm(20000, -20000)));
  const out = pcm(20000, -20000);
  bed.mixInto(out, 0, 2);
  assert.deepEqual([...out], [32767, -32768]);
});

test('loops the material without a gap, across frames and inside one', () => {
  let passes = 0;
  const bed = new BackgroundMix(() => {
    passes++;
    return new PcmSource(pcm(1, 2, 3));
  });
  const out = new Int16Array(8);
  bed.mixInto(out, 0, 5);
  bed.mixInto(out, 5, 3);
  assert.deepEqual([...out], [1, 2, 3, 1, 2, 3, 1, 2]);
  assert.ok(passes >= 3, 'a fresh pass per loop');
});

test('mixes only into the range asked for', () => {
  const bed = new BackgroundMix(() => new PcmSource(pcm(10, 10, 10, 10)));
  const out = new Int16Array(6);
  bed.mixInto(out, 2, 2);
  assert.deepEqual([...out], [0, 0, 10, 10, 0, 0]);
});

test('handles more samples than its scratch frame in chunks', () => {
  const bed = new BackgroundMix(() => new PcmSource(pcm(1, 2, 3, 4, 5)), { frameSamples: 2 });
  const out = new Int16Array(7);
  bed.mixInto(out, 0, 7);
  assert.deepEqual([...out], [1, 2, 3, 4, 5, 1, 2]);
});

test('a pass that arrives asynchronously is prepared a pass ahead, so the seam has no gap', async () => {
  // Like a voice file through the PromptBuilder: each pass is a SequenceSource over a promise.
  const make = (): AudioSource => new SequenceSource([Promise.resolve(new PcmSource(pcm(7, 8)))]);
  const bed = new BackgroundMix(make);
  const out = new Int16Array(2);
  assert.equal(bed.mixInto(out, 0, 2), false, 'the first pass is still on its way: nothing added');
  await Promise.resolve();
  await Promise.resolve();
  const frame = new Int16Array(6);
  assert.equal(bed.mixInto(frame, 0, 6), true);
  assert.deepEqual([...frame].slice(0, 4), [7, 8, 7, 8], 'the second pass was ready at the seam');
});

test('an empty pass (empty or unreadable file) ends the bed', () => {
  let passes = 0;
  const bed = new BackgroundMix(() => {
    passes++;
    return new PcmSource(new Int16Array(0));
  });
  const out = pcm(1, 2);
  assert.equal(bed.mixInto(out, 0, 2), false);
  assert.deepEqual([...out], [1, 2]);
  assert.equal(bed.ended, true);
  assert.ok(passes <= 2);
  assert.equal(bed.mixInto(out, 0, 2), false);
});

test('close stops the bed and closes the passes it holds', () => {
  const closed: number[] = [];
  let n = 0;
  const bed = new BackgroundMix(() => {
    const id = n++;
    const s = new PcmSource(pcm(1, 1, 1));
    return Object.assign(s, { close: () => closed.push(id) });
  });
  bed.mixInto(new Int16Array(1), 0, 1);
  bed.close();
  assert.deepEqual(closed.sort(), [0, 1]);
  const out = new Int16Array(2);
  assert.equal(bed.mixInto(out, 0, 2), false);
  assert.deepEqual([...out], [0, 0]);
});
