/**
 * What each callback says (spec §4.3), read from a real playback queue and reply settings driven
 * on a manual clock: offsets from the answer, play times, the item sounding, dynamic_id.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import { CallbackContents } from '../../src/dialogue/callbackContents.js';
import type { PlayRequest } from '../../src/dialogue/dialoguePort.js';
import { PlaybackQueue } from '../../src/dialogue/playbackQueue.js';
import { ReplySettings } from '../../src/dialogue/replySettings.js';

function setup() {
  const time = new ManualClock({ start: 1_714_528_800_000 });
  const played: PlayRequest[] = [];
  const items = new Map<string, string>();
  const queue = new PlaybackQueue(
    { play: (r) => played.push(r), stopPlayback: () => {}, playingItem: (id) => items.get(id) },
    () => {},
  );
  const recordings: number[] = [];
  const settings = new ReplySettings(
    { muteTimeMs: 5000, dynamicId: 'start', tts: undefined },
    { startRecording: () => recordings.push(time.now()), switchRecognizer: () => {} },
  );
  const contents = new CallbackContents({ answeredAt: time.now(), callee: '15900001111' }, settings, queue);
  const prompt = { code: 'hello.wav,$name$', params: {}, breakable: true, timeBreakMs: 0 } as const;
  return { time, queue, settings, contents, played, items, recordings, prompt };
}

test('a sentence before anything played has zero play times and no media code', () => {
  const { time, contents } = setup();
  time.advance(1200);
  const c = contents.normal({
    words: undefined,
    beganAt: time.now() - 700,
    endAt: time.now(),
    startedWhilePlaying: false,
  });
  assert.deepEqual(c, {
    type: 'normal',
    content: {
      words: '',
      begin_offset: '500',
      end_offset: '1200',
      begin_time: '2024-05-01 10:00:00',
      is_playing: false,
      current_media_code: '',
      dynamic_id: 'start',
      asr_begin_time: '1714528800500',
      asr_end_time: '1714528801200',
      play_begin_time: '0',
      play_end_time: '0',
      role: 'B',
      identity: '15900001111',
    },
  });
});

test('a sentence over a prompt names the item sounding; after it, the prompt’s start and end', () => {
  const { time, queue, contents, played, items, prompt } = setup();
  queue.enqueue({ ...prompt, purpose: 'prompt' }, undefined);
  const id = played[0]!.id;
  time.advance(100);
  queue.started(id, time.now());
  items.set(id, '$name$');
  time.advance(900);
  const during = contents.normal({
    words: '你好',
    beganAt: time.now(),
    endAt: time.now(),
    startedWhilePlaying: true,
  });
  if (during.type !== 'normal') return assert.fail();
  assert.equal(during.content.is_playing, true);
  assert.equal(during.content.current_media_code, '$name$');
  assert.equal(during.content.play_begin_time, '1714528800100');
  assert.equal(during.content.play_end_time, '0', 'still playing');

  time.advance(500);
  queue.ended(id, time.now());
  const after = contents.normal({
    words: '好',
    beganAt: time.now(),
    endAt: time.now(),
    startedWhilePlaying: true,
  });
  if (after.type !== 'normal') return assert.fail();
  assert.equal(after.content.is_playing, true, 'it began while the prompt played');
  assert.equal(after.content.current_media_code, '');
  assert.equal(after.content.play_end_time, '1714528801500');
});

test('offsets never go below zero, and whole milliseconds are what travels', () => {
  const { time, contents } = setup();
  const c = contents.normal({
    words: 'x',
    beganAt: time.now() - 40.6,
    endAt: time.now() + 250.4,
    startedWhilePlaying: false,
  });
  if (c.type !== 'normal') return assert.fail();
  assert.equal(c.content.begin_offset, '0');
  assert.equal(c.content.end_offset, '250');
  assert.equal(c.content.asr_begin_time, '1714528799959');
});

test('a reply’s dynamic_id and a recording started later show in the callbacks that follow', () => {
  const { time, settings, contents, recordings } = setup();
  settings.apply({ dynamicId: 'step-2', recordFlag: true });
  assert.equal(recordings.length, 1);
  time.advance(300);
  settings.recordingStarted(time.now());
  settings.recordingStarted(time.now() + 1000);
  settings.apply({ recordFlag: true });
  assert.equal(recordings.length, 1, 'a call already recording starts nothing');
  const c = contents.normal({
    words: 'a',
    beganAt: time.now(),
    endAt: time.now(),
    startedWhilePlaying: false,
  });
  if (c.type !== 'normal') return assert.fail();
  assert.equal(c.content.dynamic_id, 'step-2');
  assert.equal(c.content.record_begin_time, 1_714_528_800_300);
  assert.deepEqual(contents.mute(), { type: 'mute', content: { dynamic_id: 'step-2' } });
  assert.deepEqual(contents.dtmf('12#'), {
    type: 'dtmf',
    content: { dynamic_id: 'step-2', dtmf_digits: '12#' },
  });
});

test('a timebreak names the item cut, when the speech and the prompt began', () => {
  const { time, queue, contents, played, items, prompt } = setup();
  queue.enqueue({ ...prompt, purpose: 'prompt' }, undefined);
  const id = played[0]!.id;
  queue.started(id, time.now());
  items.set(id, 'hello.wav');
  time.advance(2000);
  assert.deepEqual(contents.timebreak(queue.playing!.startedAt!, time.now() - 1500), {
    type: 'timebreak',
    content: {
      current_media_code: 'hello.wav',
      asr_begin_time: '1714528800500',
      play_begin_time: '1714528800000',
      dynamic_id: 'start',
    },
  });
});

test('a parallel transfer’s result is reported with the call’s dynamic_id', () => {
  const { contents } = setup();
  assert.deepEqual(
    contents.parallelTransfer({ status: 'fail', failCause: 'busy', isMonitor: true, ccName: 'cc1' }),
    {
      type: 'parallel_transfer',
      content: {
        dynamic_id: 'start',
        transfer_status: 'fail',
        fail_cause: 'busy',
        is_monitor: true,
        cc_name: 'cc1',
      },
    },
  );
});
