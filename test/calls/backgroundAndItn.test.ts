/**
 * The call wiring of BackgroundFileCode/BackgroundVolume and EnableITN (spec §3.1 rows 23, 24, 26):
 * the conversation loops the background file on the leg's media at BackgroundVolume and stops it
 * when the callee is handed to a person or the call ends, never on a barge-in; the speech bridge
 * writes spoken numbers as digits in `words` when EnableITN is true, and leaves them when false.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { CallEvents } from '../../src/calls/callEvents.js';
import type { ListenerEvents, ListenerFactory } from '../../src/calls/callListener.js';
import { Conversation, type ConversationOptions } from '../../src/calls/conversation.js';
import { speechListeners } from '../../src/calls/speechBridge.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { parseActionData } from '../../src/contract/callbackReply.js';
import type { SmartCallRequest } from '../../src/contract/smartCallRequest.js';
import type { AudioSource } from '../../src/media/audioSource.js';
import { smartCallVolumeToDb } from '../../src/media/gain.js';
import { PcmSource } from '../../src/media/pcmSource.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { AsrEvent, AsrStreamOptions } from '../../src/speech/asr.js';

const REQUEST: SmartCallRequest = {
  calledShowNumber: '057188880000',
  calledNumber: '15900001111',
  voiceCode: '$t$',
  voiceCodeItems: [],
  voiceCodeParam: { t: '您好' },
  recordFlag: false,
  volume: 0,
  asrModelId: null,
  asrBaseId: 'customer_service_8k',
  pauseTime: 800,
  muteTime: 10_000,
  actionCodeBreak: true,
  actionCodeTimeBreak: 0,
  outId: null,
  dynamicId: null,
  earlyMediaAsr: false,
  sessionTimeout: 120,
  ttsConf: false,
  ttsStyle: 'xiaoyun',
  ttsVolume: 0,
  ttsSpeed: 0,
  streamAsr: 0,
  backgroundFileCode: 'bg-0001.wav',
  backgroundVolume: -2,
  enableItn: false,
  ignored: {},
};

class FakeMedia extends EventEmitter {
  background: { make: () => AudioSource; gainDb: number | undefined } | undefined;
  backgroundsStarted = 0;
  readonly plays: string[] = [];
  play(_s: unknown, o: { id: string }): string {
    this.plays.push(o.id);
    return o.id;
  }
  flushPlayout(): void {}
  onNextSend(): void {}
  playBackground(make: () => AudioSource, o: { gainDb?: number } = {}): void {
    this.backgroundsStarted++;
    this.background = { make, gainDb: o.gainDb };
  }
  stopBackground(): void {
    this.background = undefined;
  }
}

function conversation(
  request: Partial<SmartCallRequest>,
  replies: Record<string, unknown> = {},
  transfers: string[] = [],
) {
  const clock = new ManualClock({ start: 1_714_528_800_000 });
  const media = new FakeMedia();
  const built: string[] = [];
  let heard: ListenerEvents | undefined;
  let itn: boolean | undefined;
  const listeners: ListenerFactory = (o) => {
    heard = o.events;
    itn = o.itn;
    return { push() {}, finish: async () => {}, close() {} };
  };
  const c = new Conversation({
    callId: '000000000001^000000000001',
    request: { ...REQUEST, ...request },
    account: { id: 1, name: 'acme', callback: { unrecognized: 'callback' } },
    call: { media, hangup() {} } as unknown as ConversationOptions['call'],
    legs: {
      transfer: async (n) => {
        transfers.push(n);
      },
      parallelTransfer: async () => {},
      bridgeParallel: () => false,
    },
    callbacks: {
      post: async (event) => ({
        action: parseActionData((replies[event.type] ?? { action: 'donothing' }) as never).action,
        source: 'reply',
      }),
    },
    prompts: {
      build: (_a, code) => {
        built.push(code);
        return { source: new PcmSource(new Int16Array(160)), items: [] };
      },
    },
    listeners,
    ledger: { note() {} },
    recordingsDir: '/nonexistent',
    answeredAt: clock.now(),
    events: new CallEvents(),
    clock,
    log: silentLogger(),
  });
  return { c, media, built, clock, heard: () => heard!, itn: () => itn };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

test('an answered call loops BackgroundFileCode on its media at BackgroundVolume', async () => {
  const h = conversation({});
  await h.c.start();
  assert.equal(h.media.backgroundsStarted, 1);
  assert.equal(h.media.background?.gainDb, smartCallVolumeToDb(-2), 'BackgroundVolume −2 is −6 dB');
  const before = h.built.length;
  h.media.background!.make();
  h.media.background!.make();
  assert.deepEqual(h.built.slice(before), ['bg-0001.wav', 'bg-0001.wav'], 'every loop is the file');
  h.c.close();
  assert.equal(h.media.background, undefined, 'the end of the call stops it');
});

test('BackgroundVolume absent plays the file as recorded; no BackgroundFileCode plays nothing', async () => {
  const a = conversation({ backgroundVolume: undefined });
  await a.c.start();
  assert.equal(a.media.background?.gainDb, 0);
  a.c.close();
  const b = conversation({ backgroundFileCode: null });
  await b.c.start();
  assert.equal(b.media.backgroundsStarted, 0);
  b.c.close();
});

test('a barge-in leaves the background playing; a hand-over to a person stops it', async () => {
  const h = conversation({ actionCodeBreak: true });
  await h.c.start();
  h.heard().speechStarted(h.clock.now());
  await flush();
  assert.ok(h.media.background, 'still playing after the barge-in');
  h.c.handOver();
  assert.equal(h.media.background, undefined);
  h.c.close();
});

test('a transfer reply stops the background', async () => {
  const transfers: string[] = [];
  const h = conversation({}, { normal: { action: 'transfer', number: '13800000000' } }, transfers);
  await h.c.start();
  assert.ok(h.media.background, 'playing before the transfer');
  const id = h.media.plays[0]!;
  h.media.emit('playStarted', { id, at: h.clock.now() });
  h.clock.advance(1000);
  h.media.emit('playEnded', { id, at: h.clock.now(), reason: 'completed' });
  h.heard().speechEnded(h.clock.now(), { words: '转人工', beginAt: h.clock.now(), endAt: h.clock.now() });
  await flush();
  assert.deepEqual(transfers, ['13800000000']);
  assert.equal(h.media.background, undefined);
  h.c.close();
});

test('the conversation asks its listener for ITN exactly when EnableITN is true', async () => {
  for (const enableItn of [true, false]) {
    const h = conversation({ enableItn });
    await h.c.start();
    assert.equal(h.itn(), enableItn);
    h.c.close();
  }
});

/** A listener whose ASR says `text` for the first sentence, through the real speech bridge. */
function recognise(text: string, itn: boolean) {
  const clock = new ManualClock();
  let onEvent: ((e: AsrEvent) => void) | undefined;
  const streams: AsrStreamOptions[] = [];
  const words: (string | undefined)[] = [];
  const listener = speechListeners(
    {
      createVad: () => ({ name: 'fake', threshold: 0.5, process: () => 0, reset() {}, close() {} }),
      asr: () => ({
        name: 'scripted',
        createStream: (o: AsrStreamOptions) => {
          streams.push(o);
          onEvent = o.onEvent;
          return { write() {}, finish: async () => {}, close() {} };
        },
        close: async () => {},
      }),
    },
    clock,
  )({
    accountId: 1,
    accountName: 'acme',
    asrBaseId: 'customer_service_8k',
    asrModelId: null,
    pauseTimeMs: 800,
    itn,
    events: {
      speechStarted() {},
      speechContinuing() {},
      speechEnded: (_at, r) => words.push(r.words),
    },
    log: silentLogger(),
  });
  listener.push(new Int16Array(160), 0);
  onEvent!({ type: 'final', text, beginMs: 0, endMs: 500, confidence: 1 });
  listener.close();
  return { words, streamItn: streams[0]!.itn };
}

test('EnableITN=true: words in the callback carry digits, and the engine is asked for ITN', () => {
  assert.deepEqual(recognise('我的号码是一三八零零', true), { words: ['我的号码是13800'], streamItn: true });
  assert.deepEqual(recognise('twenty three', true).words, ['23']);
});

test('EnableITN=false: words stay as spoken, and the engine is not asked for ITN', () => {
  assert.deepEqual(recognise('我的号码是一三八零零', false), {
    words: ['我的号码是一三八零零'],
    streamItn: false,
  });
});
