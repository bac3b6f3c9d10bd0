import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dbToGain, smartCallVolumeToDb } from '../../src/media/gain.js';
import { PcmSource } from '../../src/media/pcmSource.js';
import { Playout, type PlayoutEnded, type PlayoutStarted } from '../../src/media/playout.js';
import { SilenceSource } from '../../src/media/silenceSource.js';
import { StreamSource } from '../../src/media/streamSource.js';
import { ToneSource } from '../../src/media/toneSource.js';

function watch(playout: Playout) {
  const events: string[] = [];
  playout.on('started', (e: PlayoutStarted) => events.push(`start ${e.id}@${e.at}`));
  playout.on('ended', (e: PlayoutEnded) => events.push(`end ${e.id}@${e.at} ${e.reason} ${e.playedMs}ms`));
  return events;
}

const constant = (value: number, n: number) => new PcmSource(new Int16Array(n).fill(value));

describe('Playout', () => {
  test('plays queued items back to back without a gap, reporting start and end at sample precision', () => {
    const playout = new Playout();
    const events = watch(playout);
    playout.enqueue(constant(1000, 240), { id: 'a' });
    playout.enqueue(constant(2000, 160), { id: 'b' });
    const out = new Int16Array(160);
    assert.equal(playout.next(out, 1000), true);
    assert.deepEqual([out[0], out[159]], [1000, 1000]);
    assert.equal(playout.current?.id, 'a');
    assert.equal(playout.next(out, 1020), true);
    assert.deepEqual([out[79], out[80], out[159]], [1000, 2000, 2000]);
    assert.deepEqual(playout.current, { id: 'b', startedAt: 1030 });
    assert.equal(playout.next(out, 1040), true);
    assert.deepEqual([out[79], out[80]], [2000, 0]);
    assert.equal(playout.next(out, 1060), false);
    assert.equal(out[0], 0);
    assert.deepEqual(events, [
      'start a@1000',
      'end a@1030 completed 30ms',
      'start b@1030',
      'end b@1050 completed 20ms',
    ]);
    assert.equal(playout.busy, false);
  });

  test('applies each item its own gain, saturating instead of wrapping', () => {
    const playout = new Playout();
    playout.enqueue(constant(1000, 160), { gainDb: -6.0206 });
    playout.enqueue(constant(30000, 160), { gainDb: 6 });
    const out = new Int16Array(160);
    playout.next(out, 0);
    assert.equal(out[0], 500);
    playout.next(out, 20);
    assert.equal(out[0], 32767);
  });

  test('flush (barge-in) drops the current and queued items at once: the next frame is silence', () => {
    const playout = new Playout();
    const events = watch(playout);
    playout.enqueue(new ToneSource(1000, 5000), { id: 'prompt' });
    playout.enqueue(constant(5, 800), { id: 'next' });
    const out = new Int16Array(160);
    for (let i = 0; i < 5; i++) playout.next(out, i * 20);
    playout.flush(95);
    assert.equal(playout.current, undefined);
    assert.equal(playout.queued, 0);
    assert.equal(playout.next(out, 100), false);
    assert.ok(out.every((v) => v === 0));
    assert.deepEqual(events, ['start prompt@0', 'end prompt@95 flushed 100ms', 'end next@95 flushed 0ms']);
  });

  test('keeps a starved stream current, playing silence until more arrives, and ends it after end()', () => {
    const playout = new Playout();
    const events = watch(playout);
    const tts = new StreamSource(8000);
    playout.enqueue(tts, { id: 'tts' });
    const out = new Int16Array(160);
    assert.equal(playout.next(out, 0), true);
    assert.equal(out[0], 0);
    tts.append(new Int16Array(200).fill(7));
    playout.next(out, 20);
    assert.deepEqual([out[0], out[159]], [7, 7]);
    playout.next(out, 40);
    assert.deepEqual([out[39], out[40]], [7, 0]);
    assert.equal(playout.current?.id, 'tts');
    tts.end();
    assert.equal(playout.next(out, 60), false);
    assert.equal(playout.starvedFrames, 2);
    assert.deepEqual(events, ['start tts@20', 'end tts@60 completed 25ms']);
  });

  test('resamples a streaming 22.05 kHz source as chunks arrive', () => {
    const tts = new StreamSource(22050);
    for (let i = 0; i < 10; i++) tts.append(new Int16Array(2205).fill(1000));
    tts.end();
    assert.equal(tts.bufferedSamples, 8000);
    const out = new Int16Array(8000);
    assert.equal(tts.read(out, 0, 8000), 8000);
    assert.equal(out[4000], 1000);
    assert.equal(tts.done, true);
  });

  test('plays silence sources as real items and reports empty sources as started and ended', () => {
    const playout = new Playout();
    const events = watch(playout);
    playout.enqueue(new SilenceSource(0), { id: 'empty' });
    playout.enqueue(new SilenceSource(30), { id: 'pause' });
    const out = new Int16Array(160);
    assert.equal(playout.next(out, 0), true);
    assert.equal(playout.next(out, 20), true);
    assert.equal(playout.next(out, 40), false);
    assert.deepEqual(events, [
      'start empty@0',
      'end empty@0 completed 0ms',
      'start pause@0',
      'end pause@30 completed 30ms',
    ]);
  });

  test("maps SmartCall's Volume -4..4 to ±12 dB and rejects other values", () => {
    assert.equal(smartCallVolumeToDb(0), 0);
    assert.equal(smartCallVolumeToDb(1), 3);
    assert.equal(smartCallVolumeToDb(-4), -12);
    assert.ok(Math.abs(dbToGain(smartCallVolumeToDb(4)) - 3.981) < 0.001);
    assert.throws(() => smartCallVolumeToDb(5), RangeError);
    assert.throws(() => smartCallVolumeToDb(1.5), RangeError);
  });
});
