import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Endpointer, type EndpointerEvent } from '../../src/speech/endpointer.js';

/** Drives the endpointer with 20 ms frames from `fromMs` to `toMs`, speech where `speech(t)` says. */
function drive(
  ep: Endpointer,
  fromMs: number,
  toMs: number,
  speech: (t: number) => boolean,
): EndpointerEvent[] {
  const events: EndpointerEvent[] = [];
  for (let t = fromMs; t < toMs; t += 20) events.push(...ep.push(t, speech(t)));
  return events;
}

const between =
  (...spans: [number, number][]) =>
  (t: number) =>
    spans.some(([a, b]) => t >= a && t < b);

describe('Endpointer', () => {
  test('a sentence spans from its first to its last speech frame and ends after the pause', () => {
    const ep = new Endpointer({ pauseMs: 500 });
    const events = drive(ep, 0, 3000, between([1000, 1800]));
    assert.deepEqual(events, [
      { type: 'speech-start', beginMs: 1000, atMs: 1100 },
      { type: 'speech-end', beginMs: 1000, endMs: 1800, atMs: 2300 },
    ]);
  });

  test('a click shorter than the minimum speech duration starts nothing', () => {
    const ep = new Endpointer({ pauseMs: 300, minSpeechMs: 100 });
    assert.deepEqual(drive(ep, 0, 2000, between([500, 560])), []);
  });

  test('pauses shorter than PauseTime stay inside one sentence', () => {
    const ep = new Endpointer({ pauseMs: 800 });
    const events = drive(ep, 0, 4000, between([500, 1000], [1500, 2000]));
    assert.deepEqual(
      events.filter((e) => e.type === 'speech-end'),
      [{ type: 'speech-end', beginMs: 500, endMs: 2000, atMs: 2800 }],
    );
  });

  test('continuous speech fires once when it reaches the time-break threshold', () => {
    const ep = new Endpointer({ pauseMs: 800, timeBreakMs: 600 });
    const events = drive(ep, 0, 3000, between([1000, 2500]));
    assert.deepEqual(
      events.filter((e) => e.type === 'continuous-speech'),
      [{ type: 'continuous-speech', beginMs: 1000, durationMs: 600, atMs: 1600 }],
    );
  });

  test('a gap longer than the tolerance restarts the continuous-speech run', () => {
    const ep = new Endpointer({ pauseMs: 800, timeBreakMs: 400, gapToleranceMs: 200 });
    const events = drive(ep, 0, 3000, between([1000, 1300], [1600, 2100]));
    assert.deepEqual(
      events.filter((e) => e.type === 'continuous-speech'),
      [{ type: 'continuous-speech', beginMs: 1600, durationMs: 400, atMs: 2000 }],
    );
  });

  test('mute fires after MuteTime of neither speech nor playback, counted from the end of playback', () => {
    const ep = new Endpointer({ pauseMs: 500, muteMs: 2000 });
    ep.start(0);
    ep.playbackStarted(0);
    assert.deepEqual(
      drive(ep, 0, 3000, () => false),
      [],
    );
    ep.playbackEnded(3000);
    const events = drive(ep, 3000, 6000, () => false);
    assert.deepEqual(events, [{ type: 'mute', quietSinceMs: 3000, atMs: 5000 }]);
  });

  test('the latest MuteTime wins, even during a running quiet period', () => {
    const ep = new Endpointer({ pauseMs: 500, muteMs: 10000 });
    ep.start(0);
    drive(ep, 0, 1000, () => false);
    ep.setMuteTime(1500);
    const events = drive(ep, 1000, 2000, () => false);
    assert.deepEqual(events, [{ type: 'mute', quietSinceMs: 0, atMs: 1500 }]);
  });

  test('speech restarts the mute timer from the end of the sentence', () => {
    const ep = new Endpointer({ pauseMs: 300, muteMs: 1000 });
    ep.start(0);
    const events = drive(ep, 0, 2500, between([500, 900]));
    assert.deepEqual(
      events.filter((e) => e.type === 'mute'),
      [{ type: 'mute', quietSinceMs: 900, atMs: 1900 }],
    );
  });

  test('time passing without frames can fire the mute timer', () => {
    const ep = new Endpointer({ pauseMs: 300, muteMs: 1000 });
    ep.start(100);
    assert.deepEqual(ep.advance(1000), []);
    assert.deepEqual(ep.advance(1100), [{ type: 'mute', quietSinceMs: 100, atMs: 1100 }]);
  });
});
