/**
 * SequenceSource read ahead of playback (media in a worker thread reads a prompt seconds early):
 * with followPlayback, `index` names the element under the played position — what the business
 * sees as the item playing (current_media_code) — not the one being read.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PcmSource } from '../../src/media/pcmSource.js';
import { SequenceSource } from '../../src/media/sequenceSource.js';

const second = () => new PcmSource(new Int16Array(8000).fill(1000));

test('index follows the played position, not the read position', () => {
  const source = new SequenceSource([second(), second(), second()]);
  let played = 0;
  source.followPlayback(() => played);
  // Read everything ahead, as the pump does.
  const out = new Int16Array(8000 * 3);
  assert.equal(source.read(out, 0, out.length), 24000);
  assert.equal(source.done, true);
  const seen: number[] = [];
  for (played = 0; played < 24000; played += 4000) seen.push(source.index);
  assert.deepEqual(seen, [0, 0, 1, 1, 2, 2], 'as heard, half a second at a time');
  played = 24000;
  assert.equal(source.index, 3, 'the element count once everything was heard');
});

test('a failed element is skipped at the position where the next begins', async () => {
  const failed = Promise.reject(new Error('no such file'));
  failed.catch(() => {});
  const source = new SequenceSource([second(), failed, second()]);
  await new Promise((r) => setImmediate(r));
  let played = 0;
  source.followPlayback(() => played);
  const out = new Int16Array(16000);
  assert.equal(source.read(out, 0, out.length), 16000);
  played = 4000;
  assert.equal(source.index, 0);
  played = 12000;
  assert.equal(source.index, 2, 'the failed element never sounded');
});

test('without followPlayback, index is the element being read (in-thread playout)', () => {
  const source = new SequenceSource([second(), second()]);
  const out = new Int16Array(12000);
  source.read(out, 0, out.length);
  assert.equal(source.index, 1);
});
