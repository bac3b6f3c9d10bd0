/** MuteTime: one `mute` per stretch of quiet, restarted when quiet begins again (manual clock). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import { MuteTimer } from '../../src/dialogue/muteTimer.js';

test('quiet that lasts MuteTime gives one mute; quiet broken before gives none', () => {
  const time = new ManualClock();
  let mutes = 0;
  const mute = new MuteTimer(time, () => mutes++);
  mute.update(true, 5000);
  time.advance(4000);
  mute.update(false, 5000);
  time.advance(10_000);
  assert.equal(mutes, 0);
  mute.update(true, 5000);
  time.advance(4999);
  mute.update(true, 5000);
  time.advance(1);
  assert.equal(mutes, 1, 'quiet still lasting does not restart the clock');
  time.advance(20_000);
  assert.equal(mutes, 1, 'once per stretch of quiet');
});

test('a new MuteTime applies from the next stretch of quiet; close leaves no timer', () => {
  const time = new ManualClock();
  let mutes = 0;
  const mute = new MuteTimer(time, () => mutes++);
  mute.update(true, 5000);
  mute.update(true, 2000);
  time.advance(2000);
  assert.equal(mutes, 0);
  time.advance(3000);
  assert.equal(mutes, 1);
  mute.update(true, 2000);
  mute.close();
  assert.equal(time.pendingTimers, 0);
});
