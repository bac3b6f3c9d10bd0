/**
 * Spec §4.5's interruption rules on their own, with speech times from a manual clock: what may be
 * stopped by a reply, a key or the callee talking over a prompt, and how often.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import {
  BargeIn,
  breakRules,
  keyEndsPrompt,
  mayInterrupt,
  mediaRequest,
  type Playing,
} from '../../src/dialogue/interruptionRules.js';

function playing(over: Partial<Playing> = {}): Playing {
  return {
    id: 'm1',
    code: 'hello.wav',
    params: {},
    breakable: true,
    timeBreakMs: 1500,
    purpose: 'prompt',
    tts: undefined,
    startedAt: 1_714_528_800_000,
    ...over,
  };
}

test('a time-break is kept only on a breakable media (rule 1)', () => {
  assert.deepEqual(breakRules(true, 1500), { breakable: true, timeBreakMs: 1500 });
  assert.deepEqual(breakRules(false, 1500), { breakable: false, timeBreakMs: 0 });
  const media = { actionBreak: true, actionCodeBreak: false, actionCodeTimeBreak: 800 };
  assert.deepEqual(mediaRequest('bye.wav', media, 'hangup', false), {
    code: 'bye.wav',
    params: {},
    breakable: false,
    timeBreakMs: 0,
    purpose: 'hangup',
  });
});

test('action_break stops only a breakable media, and only when asked (rule 2)', () => {
  assert.equal(mayInterrupt(playing(), true), true);
  assert.equal(mayInterrupt(playing(), false), false);
  assert.equal(mayInterrupt(playing({ breakable: false }), true), false);
  assert.equal(mayInterrupt(undefined, true), false);
});

test('a key cuts the breakable prompt of a key collection, and nothing else', () => {
  assert.equal(keyEndsPrompt(playing({ purpose: 'dtmf' })), true);
  assert.equal(keyEndsPrompt(playing({ purpose: 'dtmf', breakable: false })), false);
  assert.equal(keyEndsPrompt(playing({ purpose: 'prompt' })), false);
  assert.equal(keyEndsPrompt(undefined), false);
});

test('speech over a breakable prompt breaks it once it lasts the time-break, once per utterance (rule 3)', () => {
  const time = new ManualClock({ start: 1_714_528_800_000 });
  const media = playing({ startedAt: time.now() });
  const speech = new BargeIn();
  time.advance(400);
  speech.speechStarted(time.now(), true);
  assert.equal(speech.startedAt, 1_714_528_800_400);
  assert.equal(speech.timeBreak(media, 1499), false);
  assert.equal(speech.timeBreak(media, 1500), true);
  assert.equal(speech.timeBreak(media, 1700), false, 'the same utterance breaks nothing twice');
  time.advance(2000);
  assert.deepEqual(speech.speechEnded(), { startedAt: 1_714_528_800_400, startedWhilePlaying: true });
  assert.equal(speech.startedAt, undefined);
  speech.speechStarted(time.now(), true);
  assert.equal(speech.timeBreak(media, 1500), true, 'a new utterance may break again');
});

test('speech breaks nothing unbreakable, without a time-break, or not yet sounding', () => {
  const speech = new BargeIn();
  speech.speechStarted(1_714_528_800_000, true);
  assert.equal(speech.timeBreak(playing({ breakable: false }), 10_000), false);
  assert.equal(speech.timeBreak(playing({ timeBreakMs: 0 }), 10_000), false);
  assert.equal(speech.timeBreak(playing({ startedAt: undefined }), 10_000), false);
  assert.equal(speech.timeBreak(undefined, 10_000), false);
  assert.equal(speech.timeBreak(playing(), 10_000), true, 'none of those used up the utterance');
});

test('an utterance that began in silence is not reported as over a prompt', () => {
  const speech = new BargeIn();
  speech.speechStarted(1_714_528_800_000, false);
  assert.deepEqual(speech.speechEnded(), { startedAt: 1_714_528_800_000, startedWhilePlaying: false });
  assert.deepEqual(speech.speechEnded(), { startedAt: undefined, startedWhilePlaying: false });
});
