/**
 * The in-process business logic of SingleCallByVoice / SingleCallByTts / IvrCall: which reply each
 * callback event gets, from the opening to the hang-up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallScriptRunner } from '../../src/calls/scriptedCallbacks.js';
import type { CallbackContent } from '../../src/contract/callbackContent.js';
import type { IvrScript } from '../../src/contract/scriptedCall.js';

const mute: CallbackContent = { type: 'mute', content: { dynamic_id: '' } };
const keys = (d: string): CallbackContent => ({ type: 'dtmf', content: { dynamic_id: '', dtmf_digits: d } });
const prompt = { code: 'notice.wav', params: {} };
const summary = (a: ReturnType<CallScriptRunner['answer']>) =>
  'actionCode' in a && a.actionCode ? `${a.action} ${a.actionCode}` : a.action;

test('a notification with PlayTimes 3 plays the prompt, again at each silence, and the third time hangs up with it', () => {
  const run = new CallScriptRunner({ action: 'SingleCallByVoice', prompt, playTimes: 3 });
  assert.equal(summary(run.opening()), 'play notice.wav');
  assert.equal(summary(run.answer(mute)), 'play notice.wav');
  assert.equal(summary(run.answer(mute)), 'hangup notice.wav');
  assert.equal(summary(run.answer(mute)), 'donothing', 'nothing after the end');
});

test('a notification with PlayTimes 1 opens by playing the prompt and hanging up', () => {
  const run = new CallScriptRunner({ action: 'SingleCallByTts', prompt, playTimes: 1 });
  const opening = run.opening();
  assert.equal(summary(opening), 'hangup notice.wav');
  assert.equal(
    opening.action === 'hangup' && opening.actionCodeBreak,
    false,
    'the prompt is not interrupted',
  );
});

test('speech over a notification changes nothing', () => {
  const run = new CallScriptRunner({ action: 'SingleCallByTts', prompt, playTimes: 2 });
  run.opening();
  const normal: CallbackContent = {
    type: 'normal',
    content: {
      words: '你好',
      begin_offset: '0',
      end_offset: '1',
      begin_time: '',
      is_playing: true,
      current_media_code: 'notice.wav',
      dynamic_id: '',
      asr_begin_time: '0',
      asr_end_time: '0',
      play_begin_time: '0',
      play_end_time: '0',
      role: 'B',
      identity: '1',
    },
  };
  assert.equal(summary(run.answer(normal)), 'donothing');
  assert.equal(summary(run.answer(mute)), 'hangup notice.wav');
});

const ivr: IvrScript = {
  action: 'IvrCall',
  start: { code: 'TTS_100', params: { name: '张三' } },
  menu: { '1': { code: 'one.wav', params: {} }, '2': { code: 'TTS_200', params: { n: '2' } } },
  bye: { code: 'bye.wav', params: {} },
  playTimes: 2,
  timeoutMs: 4500,
};

test('an IVR call opens with a one-key collection over the start prompt, waiting Timeout for the key', () => {
  const opening = new CallScriptRunner(ivr).opening();
  assert.equal(opening.action, 'dtmf');
  assert.ok(opening.action === 'dtmf');
  assert.equal(opening.actionCode, 'TTS_100');
  assert.deepEqual(opening.actionCodeParam, { name: '张三' });
  assert.deepEqual(opening.dtmf, { noInputTimeoutS: 4.5, maxDigits: 1, endCharacter: '' });
  assert.equal(opening.actionCodeBreak, true, 'a key stops the menu');
});

test('a key of the menu plays its prompt with its variables, then ByeCode with the hang-up', () => {
  const run = new CallScriptRunner(ivr);
  run.opening();
  const chosen = run.answer(keys('2'));
  assert.equal(summary(chosen), 'play TTS_200');
  assert.deepEqual(chosen.action === 'play' && chosen.actionCodeParam, { n: '2' });
  assert.equal(summary(run.answer(keys('1'))), 'donothing', 'one choice only');
  assert.equal(summary(run.answer(mute)), 'hangup bye.wav');
});

test('without ByeCode, a key of the menu plays its prompt and hangs up', () => {
  const run = new CallScriptRunner({ ...ivr, bye: null });
  run.opening();
  assert.equal(summary(run.answer(keys('1'))), 'hangup one.wav');
});

test('no key in time plays the menu again until PlayTimes, then ByeCode and the hang-up', () => {
  const run = new CallScriptRunner(ivr);
  run.opening();
  assert.equal(summary(run.answer(keys('noInputTimeout'))), 'dtmf TTS_100');
  assert.equal(summary(run.answer(keys('noInputTimeout'))), 'hangup bye.wav');
});

test('a key off the menu counts like no key', () => {
  const run = new CallScriptRunner({ ...ivr, playTimes: 1 });
  run.opening();
  assert.equal(summary(run.answer(keys('9'))), 'hangup bye.wav');
});
