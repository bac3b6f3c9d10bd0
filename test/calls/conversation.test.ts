/**
 * Conversation on its own, with fakes: a fake leg stands in for the answered SIP call and its
 * media, a fake listener for the speech layer, a scripted callback exchange for the business; the
 * dialogue engine is real and the clock manual. Pins down what the dialogue does to the call
 * through the port (play, barge-in, hang-up), the recording, and what closing it closes.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { CallEvents } from '../../src/calls/callEvents.js';
import type { ListenerEvents } from '../../src/calls/callListener.js';
import { Conversation, type ConversationOptions, speechSettings } from '../../src/calls/conversation.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import type { CallbackContent, UnrecognizedSpeech } from '../../src/contract/callbackContent.js';
import { parseActionData } from '../../src/contract/callbackReply.js';
import type { SmartCallRequest } from '../../src/contract/smartCallRequest.js';
import type { VoiceCodeItem } from '../../src/contract/voiceCode.js';
import type { CallbackDecision } from '../../src/dialogue/dialogueEngine.js';
import { smartCallVolumeToDb } from '../../src/media/gain.js';
import type { SpeechSettings } from '../../src/media-library/promptBuilder.js';
import { silentLogger } from '../../src/observability/logger.js';
import { DEFAULT_VOICE } from '../../src/speech/voices.js';
import type { CallPatch } from '../../src/store/repositories.js';

const REQUEST: SmartCallRequest = {
  calledShowNumber: '057188880000',
  calledNumber: '15900001111',
  voiceCode: '$t$',
  voiceCodeItems: [],
  voiceCodeParam: { t: '您好' },
  recordFlag: false,
  volume: 2,
  asrModelId: null,
  asrBaseId: 'customer_service_8k',
  pauseTime: 800,
  muteTime: 10_000,
  actionCodeBreak: true,
  actionCodeTimeBreak: 1000,
  outId: null,
  dynamicId: 'd1',
  earlyMediaAsr: false,
  sessionTimeout: 120,
  ttsConf: false,
  ttsStyle: 'xiaoyun',
  ttsVolume: 0,
  ttsSpeed: 0,
  streamAsr: 0,
  backgroundFileCode: null,
  enableItn: false,
  ignored: {},
};

class FakeMedia extends EventEmitter {
  readonly plays: { id: string; gainDb: number | undefined }[] = [];
  readonly recordings: string[] = [];
  flushes = 0;
  /** The report of the next packet sent after a flush, when one was asked for. */
  nextSend: ((at: number, audible: boolean) => void) | undefined;
  /** Holds startRecording until released (a recording that takes time to start). */
  recordingGate: Promise<void> | undefined;
  play(_source: unknown, o: { id: string; gainDb?: number }): string {
    this.plays.push({ id: o.id, gainDb: o.gainDb });
    return o.id;
  }
  flushPlayout(): void {
    this.flushes++;
  }
  onNextSend(report: (at: number, audible: boolean) => void): void {
    this.nextSend = report;
  }
  async startRecording(path: string): Promise<void> {
    await this.recordingGate;
    this.recordings.push(path);
  }
}

class FakeLeg {
  readonly media = new FakeMedia();
  hangups = 0;
  hangup(): void {
    this.hangups++;
  }
}

interface Harness {
  clock: ManualClock;
  leg: FakeLeg;
  events: CallEvents;
  conversation: Conversation;
  /** The listener's events, once the dialogue started. */
  heard: () => ListenerEvents;
  listenersMade: number;
  pushed: number;
  listenerClosed: number;
  posted: CallbackContent[];
  /** What the business answers, by callback type (default: donothing). */
  replies: Record<string, Record<string, unknown>>;
  speech: SpeechSettings[];
  notes: CallPatch[];
  /** The recognizer choices the listener was asked to switch to. */
  recognizers: unknown[];
  /** The item the prompt builder says sounds now. */
  item: VoiceCodeItem | undefined;
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const flush = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

function setUp(
  request: Partial<SmartCallRequest> = {},
  recordingsDir = '/nonexistent',
  unrecognized: UnrecognizedSpeech = 'callback',
): Harness {
  const clock = new ManualClock({ start: 1_714_528_800_000 });
  const leg = new FakeLeg();
  const events = new CallEvents();
  let listenerEvents: ListenerEvents | undefined;
  const h = {
    clock,
    leg,
    events,
    heard: () => listenerEvents!,
    listenersMade: 0,
    pushed: 0,
    listenerClosed: 0,
    posted: [],
    replies: {},
    speech: [],
    notes: [],
    recognizers: [],
    item: undefined,
  } as unknown as Harness;
  const options: ConversationOptions = {
    callId: '000000000001^000000000001',
    request: { ...REQUEST, ...request },
    account: { id: 1, name: 'acme', callback: { unrecognized } },
    call: leg as unknown as ConversationOptions['call'],
    legs: { transfer: async () => {}, parallelTransfer: async () => {}, bridgeParallel: () => false },
    callbacks: {
      post: async (event): Promise<CallbackDecision> => {
        h.posted.push(event);
        const data = h.replies[event.type] ?? { action: 'donothing' };
        return { action: parseActionData(data as never).action, source: 'reply' };
      },
    },
    prompts: {
      build: (_accountId, code, params, speech) => {
        h.speech.push(speech);
        return {
          source: { read: () => null } as never,
          items: [{ kind: 'tts', text: params.t ?? code } as never],
          playing: () => h.item,
        };
      },
    },
    listeners: (o) => {
      listenerEvents = o.events;
      h.listenersMade++;
      return {
        push: () => {
          h.pushed++;
        },
        finish: async () => {},
        close: () => {
          h.listenerClosed++;
        },
        switchRecognizer: (choice) => {
          h.recognizers.push(choice);
        },
      };
    },
    ledger: { note: (_callId, patch) => h.notes.push(patch) },
    recordingsDir,
    answeredAt: clock.now(),
    events,
    clock,
    log: silentLogger(),
  };
  h.conversation = new Conversation(options);
  return h;
}

test('an answered call hears its opening prompt at the request volume, told as said', async () => {
  const h = setUp();
  const said: unknown[] = [];
  h.events.on('said', (e) => said.push(e));
  await h.conversation.start();
  assert.equal(h.conversation.started, true);
  assert.equal(h.leg.media.plays.length, 1, 'the opening prompt plays');
  assert.equal(h.leg.media.plays[0]!.gainDb, smartCallVolumeToDb(2), 'Volume 2 is its gain in dB');
  assert.deepEqual(said, [
    { callId: '000000000001^000000000001', at: h.clock.now(), code: '$t$', texts: ['您好'] },
  ]);
  assert.deepEqual(
    h.speech,
    [{ voice: DEFAULT_VOICE, volume: 0, speed: 0 }],
    'without TtsConf: the default voice',
  );
  assert.equal(h.conversation.playing, true);
  h.conversation.close();
});

test('a prompt that starts playing is told with its media code', async () => {
  const h = setUp();
  const started: { id: string; code: string }[] = [];
  h.events.on('playStarted', (e) => started.push({ id: e.id, code: e.code }));
  await h.conversation.start();
  const id = h.leg.media.plays[0]!.id;
  h.leg.media.emit('playStarted', { id, at: h.clock.now() });
  assert.deepEqual(started, [{ id, code: '$t$' }]);
  h.conversation.close();
});

test('a barge-in stops playback at once, emits interrupted, then silenced when the next packet goes out', async () => {
  const h = setUp();
  const interrupted: number[] = [];
  const silenced: { decidedAt: number; at: number; audible: boolean }[] = [];
  h.events.on('interrupted', (e) => interrupted.push(e.at));
  h.events.on('silenced', (e) => silenced.push(e));
  await h.conversation.start();
  const id = h.leg.media.plays[0]!.id;
  h.leg.media.emit('playStarted', { id, at: h.clock.now() });
  h.clock.advance(500);
  h.heard().speechStarted(h.clock.now());
  h.clock.advance(1200);
  const decidedAt = h.clock.now();
  h.heard().speechContinuing(1200, decidedAt);
  assert.equal(h.leg.media.flushes, 1, 'the playout was flushed');
  assert.deepEqual(interrupted, [decidedAt]);
  assert.ok(h.leg.media.nextSend, 'the next packet is watched');
  h.leg.media.nextSend(decidedAt + 20, false);
  assert.deepEqual(silenced, [
    { callId: '000000000001^000000000001', decidedAt, at: decidedAt + 20, audible: false },
  ]);
  await flush();
  assert.equal(h.posted.at(-1)?.type, 'timebreak', 'the business is told of the barge-in');
  h.conversation.close();
});

test('a hangup the business asks for hangs up the leg, with the cause kept', async () => {
  const h = setUp();
  h.replies.normal = { action: 'hangup' };
  await h.conversation.start();
  const id = h.leg.media.plays[0]!.id;
  h.leg.media.emit('playStarted', { id, at: h.clock.now() });
  h.clock.advance(1000);
  h.leg.media.emit('playEnded', { id, at: h.clock.now(), reason: 'completed' });
  h.heard().speechEnded(h.clock.now(), { words: '不需要', beginAt: 0, endAt: 500 });
  await flush();
  assert.equal(h.posted[0]?.type, 'normal');
  assert.equal(h.leg.hangups, 1);
  assert.equal(h.conversation.hangupCause, 'business');
  h.conversation.close();
});

test('the session timeout hangs up the leg', async () => {
  const h = setUp({ sessionTimeout: 30 });
  await h.conversation.start();
  h.clock.advance(30_000);
  assert.equal(h.leg.hangups, 1);
  assert.equal(h.conversation.hangupCause, 'session-timeout');
  h.conversation.close();
});

test('the callee’s audio goes to the listener until the conversation is closed', async () => {
  const h = setUp();
  await h.conversation.start();
  const frame = new Int16Array(160);
  h.leg.media.emit('frame', frame, h.clock.now());
  assert.equal(h.pushed, 1);
  h.conversation.close();
  h.leg.media.emit('frame', frame, h.clock.now());
  assert.equal(h.pushed, 1, 'no frame after close');
});

test('closing stops the dialogue’s timers and closes the listener, once', async () => {
  const h = setUp();
  await h.conversation.start();
  assert.ok(h.clock.pendingTimers > 0, 'the session timeout is armed');
  h.conversation.close();
  h.conversation.close();
  assert.equal(h.clock.pendingTimers, 0, 'no timer left');
  assert.equal(h.listenerClosed, 1);
  assert.equal(h.leg.media.listenerCount('playStarted'), 0, 'the media is let go');
  assert.equal(h.leg.media.listenerCount('playEnded'), 0);
  assert.equal(h.leg.media.listenerCount('frame'), 0);
  h.clock.advance(200_000);
  assert.equal(h.leg.hangups, 0, 'nothing hangs up after close');
});

test('with RecordFlag the call is recorded under its day, the path noted, before the dialogue begins', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'conversation-'));
  dirs.push(dir);
  const h = setUp({ recordFlag: true }, dir);
  await h.conversation.start();
  const path = join(dir, '2024-05-01', '000000000001_000000000001.wav');
  assert.deepEqual(h.leg.media.recordings, [path]);
  assert.deepEqual(h.notes, [{ recordPath: path, recordBeginAt: h.clock.now() }]);
  assert.equal(h.conversation.recorded, true);
  assert.equal(h.leg.media.plays.length, 1);
  h.conversation.close();
});

test('a recording that cannot start leaves the call unrecorded and the dialogue goes on', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'conversation-'));
  dirs.push(dir);
  const notADir = join(dir, 'file');
  await writeFile(notADir, '');
  const h = setUp({ recordFlag: true }, notADir);
  await h.conversation.start();
  assert.equal(h.conversation.recorded, false);
  assert.deepEqual(h.notes, []);
  assert.equal(h.leg.media.plays.length, 1, 'the opening prompt still plays');
  h.conversation.close();
});

test('a conversation closed while its recording starts never starts its dialogue', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'conversation-'));
  dirs.push(dir);
  const h = setUp({ recordFlag: true }, dir);
  let release!: () => void;
  h.leg.media.recordingGate = new Promise((r) => {
    release = r;
  });
  const started = h.conversation.start();
  await flush();
  h.conversation.close();
  release();
  await started;
  assert.equal(h.conversation.started, false);
  assert.equal(h.leg.media.plays.length, 0, 'nothing plays');
  assert.equal(h.clock.pendingTimers, 0, 'no timer left');
  assert.equal(h.listenersMade, 0, 'no listener was made');
});

test('prompts follow the request’s TTS settings where given, the defaults elsewhere', () => {
  assert.deepEqual(speechSettings({ style: 'aixia', speed: 100 }), { voice: 'aixia', volume: 0, speed: 100 });
  assert.deepEqual(speechSettings(undefined), { voice: DEFAULT_VOICE, volume: 0, speed: 0 });
});

/** The opening prompt starts and ends; the callee then says `words` (undefined: rejected). */
async function afterPrompt(h: Harness, words: string | undefined): Promise<void> {
  const id = h.leg.media.plays[0]!.id;
  h.leg.media.emit('playStarted', { id, at: h.clock.now() });
  h.clock.advance(1000);
  h.leg.media.emit('playEnded', { id, at: h.clock.now(), reason: 'completed' });
  h.heard().speechStarted(h.clock.now());
  h.clock.advance(600);
  h.heard().speechEnded(h.clock.now(), { words, beginAt: h.clock.now() - 600, endAt: h.clock.now() });
  await flush();
}

test('an utterance the recognizer rejects reaches the business as a normal with empty words', async () => {
  const h = setUp();
  await h.conversation.start();
  await afterPrompt(h, undefined);
  assert.deepEqual(
    h.posted.map((e) => [e.type, (e.content as { words?: string }).words]),
    [['normal', '']],
  );
  h.conversation.close();
});

test('an account set to silent gets no callback for a rejected utterance; mute follows MuteTime after it', async () => {
  const h = setUp({ muteTime: 5000 }, '/nonexistent', 'silent');
  await h.conversation.start();
  await afterPrompt(h, undefined);
  assert.equal(h.posted.length, 0);
  h.clock.advance(4999);
  assert.equal(h.posted.length, 0, 'the utterance restarted the mute clock');
  h.clock.advance(1);
  assert.deepEqual(
    h.posted.map((e) => e.type),
    ['mute'],
  );
  h.conversation.close();
});

test('current_media_code is the VoiceCode item that sounds now, empty once nothing plays', async () => {
  const h = setUp({ voiceCode: 'hello.wav,$t$' });
  await h.conversation.start();
  const id = h.leg.media.plays[0]!.id;
  h.leg.media.emit('playStarted', { id, at: h.clock.now() });
  h.item = { kind: 'tts', name: 't' };
  h.heard().speechEnded(h.clock.now(), { words: '你好', beginAt: 0, endAt: 1 });
  await flush();
  h.leg.media.emit('playEnded', { id, at: h.clock.now(), reason: 'completed' });
  h.heard().speechEnded(h.clock.now(), { words: '喂', beginAt: 2, endAt: 3 });
  await flush();
  assert.deepEqual(
    h.posted.map((e) => (e.content as { current_media_code?: string }).current_media_code),
    ['$t$', ''],
  );
  h.conversation.close();
});

test('a reply with record_flag starts recording mid-call; the path is noted and later callbacks carry its start', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'conversation-'));
  dirs.push(dir);
  const h = setUp({}, dir);
  h.replies.normal = { action: 'donothing', record_flag: true };
  await h.conversation.start();
  assert.equal(h.conversation.recorded, false);
  await afterPrompt(h, '你好');
  // The recording starts on the file system (a directory is made): wait for it, boundedly.
  for (let i = 0; i < 1000 && h.notes.length === 0; i++) await flush(1);
  const path = join(dir, '2024-05-01', '000000000001_000000000001.wav');
  assert.deepEqual(h.leg.media.recordings, [path]);
  assert.equal(h.conversation.recorded, true, 'the VoiceReport will say so, a VoiceRecordReport follows');
  const began = h.notes[0]!.recordBeginAt;
  assert.deepEqual(h.notes, [{ recordPath: path, recordBeginAt: began }]);
  h.heard().speechEnded(h.clock.now(), { words: '好的', beginAt: 0, endAt: 1 });
  await flush();
  assert.equal(h.leg.media.recordings.length, 1, 'recording already: not started again');
  assert.equal((h.posted[1]!.content as { record_begin_time?: number }).record_begin_time, began);
  h.conversation.close();
});

test('a reply’s asr_model_id reaches the listener, which switches recognizer', async () => {
  const h = setUp();
  h.replies.normal = {
    action: 'donothing',
    asr_model_id: 'm-0001',
    asr_base_id: 'dialect_customer_service_8k',
  };
  await h.conversation.start();
  await afterPrompt(h, '你好');
  assert.deepEqual(h.recognizers, [{ asrModelId: 'm-0001', asrBaseId: 'dialect_customer_service_8k' }]);
  h.conversation.close();
});

test('a reply’s session_timeout moves the hang-up of the leg', async () => {
  const h = setUp({ sessionTimeout: 30 });
  h.replies.normal = { action: 'donothing', session_timeout: 90 };
  await h.conversation.start();
  await afterPrompt(h, '你好');
  h.clock.advance(30_000);
  assert.equal(h.leg.hangups, 0);
  h.clock.advance(90_000 - 31_600);
  assert.equal(h.leg.hangups, 1);
  assert.equal(h.conversation.hangupCause, 'session-timeout');
  h.conversation.close();
});
