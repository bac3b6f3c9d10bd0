/**
 * CallSession as a coordinator, with fakes: a fake leg stands in for the SIP call and its media, a
 * fake listener for the speech layer, a fake callback client for the business; the store and the
 * ledger are real (in memory), the clock is manual. Drives answered → conversation → ended, the
 * failure paths, and what happens when the final write fails.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, test } from 'node:test';
import { pino } from 'pino';
import type { CallbackOutcome } from '../../src/callback/callbackClient.js';
import { CallEvents } from '../../src/calls/callEvents.js';
import { CallLedger } from '../../src/calls/callLedger.js';
import type { CallListener, ListenerEvents, ListenerFactory } from '../../src/calls/callListener.js';
import { CallSession, type CallSessionDeps } from '../../src/calls/callSession.js';
import { newQueuedCall } from '../../src/calls/newCall.js';
import { reapOrphanedCalls } from '../../src/calls/orphanReaper.js';
import type { DialRequest } from '../../src/calls/trunkDial.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import type { CallbackRequest } from '../../src/contract/callbackContent.js';
import { parseCallbackReply } from '../../src/contract/callbackReply.js';
import type { SmartCallRequest } from '../../src/contract/smartCallRequest.js';
import type { CallFailure, EndedBy } from '../../src/sip/callFailure.js';
import { EARLY_MEDIA_MODEL } from '../../src/speech/earlyMediaPhrases.js';
import type { CallRecord, TrunkRecord } from '../../src/store/records.js';
import type { CallPatch } from '../../src/store/repositories.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import type { OutboundCall } from '../../src/telephony/outboundCall.js';

const TRUNK: TrunkRecord = {
  name: 't',
  host: '127.0.0.1',
  port: 5060,
  transport: 'udp',
  username: null,
  passwordEnc: null,
  realm: null,
  callerFormat: 'national',
  calleeFormat: 'national',
  sendPai: false,
  cps: 10,
  maxCalls: 100,
  optionsIntervalS: 0,
  codecs: ['PCMU', 'PCMA'],
  isDefault: true,
  createdAt: 0,
};

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
  backgroundFileCode: null,
  enableItn: false,
  ignored: {},
};

class FakeMedia extends EventEmitter {
  readonly plays: string[] = [];
  play(_source: unknown, o: { id?: string }): string {
    this.plays.push(o.id ?? '');
    return o.id ?? '';
  }
  flushPlayout(): void {}
  onNextSend(): void {}
  async startRecording(): Promise<void> {}
}

/** The SIP leg with its media, driven by the test. */
class FakeLeg extends EventEmitter {
  readonly media = new FakeMedia();
  answered = false;
  hangups = 0;
  #over = false;
  answer(): void {
    this.answered = true;
    this.emit('answered', {});
  }
  hangup(): void {
    this.hangups++;
    if (this.answered) this.end('local');
    else this.fail({ code: 'cancelled', status: 487, reason: 'Request Terminated' });
  }
  end(by: EndedBy): void {
    if (this.#over) return;
    this.#over = true;
    this.emit('ending', by);
    this.emit('ended', by, by === 'remote' ? 'BYE' : 'hangup');
  }
  fail(cause: CallFailure): void {
    if (this.#over) return;
    this.#over = true;
    this.emit('failed', cause);
  }
}

interface Harness {
  clock: ManualClock;
  store: SqliteStore;
  deps: CallSessionDeps;
  legs: FakeLeg[];
  dialed: DialRequest[];
  /** The events of the listeners made so far (the last is the conversation's). */
  listeners: { options: Parameters<ListenerFactory>[0]; events: ListenerEvents; finished: number }[];
  posted: CallbackRequest[];
  /** What the business answers to each callback (default: donothing). */
  reply: (r: CallbackRequest) => CallbackOutcome;
  logs: Record<string, unknown>[];
  call: CallRecord;
  accountName: string;
}

const ok = (data: unknown): CallbackOutcome => {
  const body = JSON.stringify({ result: 'success', data });
  return { ok: true, reply: parseCallbackReply(body), status: 200, body, latencyMs: 1 };
};
const broken: CallbackOutcome = {
  ok: false,
  failure: 'http-status',
  detail: 'HTTP 500',
  status: 500,
  body: '',
  latencyMs: 1,
};

let h: Harness;
let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

function setUp(request: Partial<SmartCallRequest> = {}, fallbackReply: string | null = null): Harness {
  const clock = new ManualClock();
  const store = SqliteStore.inMemory();
  const account = store.accounts.create({ name: 'acme', now: clock.now() });
  store.accounts.setReceipts(account.id, {
    url: 'http://127.0.0.1:9/receipts',
    types: ['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport'],
  });
  store.accounts.setCallback(account.id, {
    url: 'http://127.0.0.1:9/callback',
    timeoutMs: 1000,
    fallbackReply,
    bodyMode: 'query',
    signingSecretEnc: null,
    unrecognized: 'callback',
  });
  const call = newQueuedCall({
    callId: '000000000001^000000000001',
    accountId: account.id,
    calledNumber: REQUEST.calledNumber,
    calledShowNumber: REQUEST.calledShowNumber,
    outId: null,
    dynamicId: null,
    request: JSON.stringify({ ...REQUEST, ...request }),
    createdAt: Math.round(clock.now()),
  });
  store.calls.insert(call);
  store.calls.update(call.callId, { state: 'dialing', originateAt: Math.round(clock.now()) });
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const harness: Harness = {
    clock,
    store,
    legs: [],
    dialed: [],
    listeners: [],
    posted: [],
    reply: () => ok({ action: 'donothing' }),
    logs,
    call: { ...call, state: 'dialing' },
    accountName: account.name,
    deps: undefined as unknown as CallSessionDeps,
  };
  harness.deps = {
    store,
    ledger: new CallLedger(store, { urlFor: () => 'http://x/rec' }, log, clock),
    dial: async (r) => {
      harness.dialed.push(r);
      const leg = new FakeLeg();
      harness.legs.push(leg);
      return leg as unknown as OutboundCall;
    },
    prompts: {
      build: (_accountId, code, params) => ({
        source: { read: () => null } as never,
        items: [{ kind: 'tts', text: params.t ?? code } as never],
      }),
    },
    callbacks: {
      send: async (_target, request) => {
        harness.posted.push(request);
        return harness.reply(request);
      },
    },
    listeners: (options) => {
      const entry = { options, events: options.events, finished: 0 };
      harness.listeners.push(entry);
      const listener: CallListener = {
        push() {},
        async finish() {
          entry.finished++;
        },
        close() {},
      };
      return listener;
    },
    events: new CallEvents(),
    time: clock,
    log,
    recordingsDir: '/nonexistent',
    callCenters: {},
    live: new Map(),
    callbackSecret: () => undefined,
  };
  return harness;
}

beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  h?.store.close();
});

const flush = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** Runs the session; returns its promise once the first leg is dialled. */
async function start(): Promise<{ done: Promise<void>; leg: FakeLeg }> {
  const done = CallSession.run(h.deps, h.call, TRUNK);
  await flush();
  const leg = h.legs[0];
  assert.ok(leg, 'the call was dialled');
  return { done, leg };
}

function receipts(callId = h.call.callId): string[] {
  return h.store.receipts
    .listByCall(callId)
    .map((r) => `${r.type}:${JSON.parse(r.payload).status_code ?? ''}`)
    .sort();
}

function voiceReports(callId = h.call.callId): number {
  return h.store.receipts.listByCall(callId).filter((r) => r.type === 'VoiceReport').length;
}

test('answered → conversation → ended: progress receipts, callback turn, one VoiceReport', async () => {
  h = setUp();
  h.reply = (r) => (r.event.type === 'normal' ? ok({ action: 'hangup' }) : ok({ action: 'donothing' }));
  const { done, leg } = await start();
  const { log: legLog, ...dialed } = h.dialed[0]!;
  assert.deepEqual(dialed, { number: '15900001111', trunk: TRUNK, callerNumber: '057188880000' });
  assert.equal(legLog?.bindings().callId, h.call.callId, "the leg's trunk and media lines name the CallId");
  assert.ok(h.deps.live.has(h.call.callId), 'the session is live while the call runs');
  leg.emit('ringing', 180);
  h.clock.advance(2000);
  leg.answer();
  await flush();
  const answerAt = h.store.calls.find(h.call.callId)!.answerAt!;
  assert.equal(answerAt, Math.round(h.clock.now()), 'the answer time comes from the injected clock');
  assert.deepEqual(leg.media.plays.length, 1, 'the greeting plays');
  const id = leg.media.plays[0]!;
  leg.media.emit('playStarted', { id, at: h.clock.now() });
  h.clock.advance(1000);
  leg.media.emit('playEnded', { id, at: h.clock.now(), reason: 'completed' });
  const conversation = h.listeners.at(-1)!;
  assert.equal(conversation.options.accountName, h.accountName, 'the listener knows the account');
  conversation.events.speechStarted(h.clock.now());
  h.clock.advance(1500);
  conversation.events.speechEnded(h.clock.now(), {
    words: '好的',
    beginAt: answerAt + 1000,
    endAt: answerAt + 2500,
  });
  await flush(10);
  const normal = h.posted.find((p) => p.event.type === 'normal');
  assert.ok(normal, 'the words went to the callback');
  assert.equal((normal.event.content as { begin_offset: string }).begin_offset, '1000');
  await done;
  assert.equal(leg.hangups, 1, 'the reply hung up');
  const record = h.store.calls.find(h.call.callId)!;
  assert.equal(record.state, 'ended');
  assert.equal(record.statusCode, '200000');
  assert.equal(record.hangupDirection, '机器');
  assert.equal(h.store.callbackExchanges.listByCall(h.call.callId).length, h.posted.length);
  assert.deepEqual(receipts(), [
    'VoiceCallReport:200100',
    'VoiceCallReport:200101',
    'VoiceCallReport:200102',
    'VoiceCallReport:200201',
    'VoiceReport:200000',
  ]);
  assert.equal(h.deps.live.size, 0);
  assert.deepEqual(unhandled, []);
});

test('a busy callee: failed with the SIP mapping, one VoiceReport', async () => {
  h = setUp();
  const { done, leg } = await start();
  leg.fail({ code: 'rejected', status: 486, reason: 'Busy Here' });
  await done;
  const record = h.store.calls.find(h.call.callId)!;
  assert.equal(record.state, 'failed');
  assert.equal(record.statusCode, '200002');
  assert.equal(record.smartStatusCode, 'USER_BUSY');
  assert.equal(record.sipStatus, 486);
  assert.equal(voiceReports(), 1);
});

test('a leg that cannot be placed fails the call with one VoiceReport', async () => {
  h = setUp();
  h.deps.dial = () => Promise.reject(new Error('no route'));
  await CallSession.run(h.deps, h.call, TRUNK);
  const record = h.store.calls.find(h.call.callId)!;
  assert.equal(record.state, 'failed');
  assert.equal(record.statusCode, '500');
  assert.equal(voiceReports(), 1);
});

test('fault 4: a call whose account is gone fails through the ledger: one VoiceReport', async () => {
  h = setUp();
  const store = h.store;
  const accounts = Object.create(store.accounts) as typeof store.accounts;
  accounts.findById = () => undefined;
  h.deps.store = { accounts, callbackExchanges: store.callbackExchanges };
  await CallSession.run(h.deps, h.call, TRUNK);
  const record = store.calls.find(h.call.callId)!;
  assert.equal(record.state, 'failed');
  assert.equal(record.statusMsg, 'account no longer exists');
  assert.equal(voiceReports(), 1);
  assert.equal(h.legs.length, 0, 'nothing was dialled');
});

/**
 * A ledger on a store that throws `failures` times at the end of the call: on the final write
 * (`update`), or on any read once `arm()` is called (`find`).
 */
function failingEnd(failures: number, on: 'update' | 'find' = 'update') {
  let remaining = failures;
  let armed = false;
  const real = h.store.calls;
  const calls = Object.create(real) as typeof real;
  calls.update = (callId: string, patch: CallPatch) => {
    if (on === 'update' && (patch.state === 'ended' || patch.state === 'failed') && remaining > 0) {
      remaining--;
      throw new Error('disk I/O error');
    }
    return real.update(callId, patch);
  };
  calls.find = (callId: string) => {
    if (on === 'find' && armed && remaining > 0) {
      remaining--;
      throw new Error('database is locked');
    }
    return real.find(callId);
  };
  calls.listByState = (...args: Parameters<typeof real.listByState>) => real.listByState(...args);
  const store = Object.create(h.store) as SqliteStore;
  Object.defineProperty(store, 'calls', { value: calls });
  store.transaction = (fn) => h.store.transaction(fn);
  h.deps.ledger = new CallLedger(store, { urlFor: () => '' }, h.deps.log, h.clock);
  return {
    remaining: () => remaining,
    arm: () => {
      armed = true;
    },
  };
}

test('fault 2: a store read that throws as the call ends is no unhandled rejection; the call is finalised', async () => {
  h = setUp();
  const failing = failingEnd(1, 'find');
  const { done, leg } = await start();
  leg.answer();
  await flush();
  failing.arm();
  leg.end('remote');
  await flush(10);
  assert.deepEqual(unhandled, [], 'no unhandled rejection (Node 20 would exit)');
  assert.equal(failing.remaining(), 0);
  await h.clock.advanceAsync(1000, 100);
  await done;
  assert.equal(h.store.calls.find(h.call.callId)!.state, 'ended');
  assert.equal(voiceReports(), 1);
  assert.ok(h.logs.some((l) => l.level === 50 && l.callId === h.call.callId));
});

test('fault 2: a final write that fails is retried; the process stays up; one VoiceReport', async () => {
  h = setUp();
  const failing = failingEnd(1);
  const { done, leg } = await start();
  leg.answer();
  await flush();
  leg.end('remote');
  await flush(10);
  assert.equal(failing.remaining(), 0, 'the first final write failed');
  const error = h.logs.find((l) => l.level === 50 && /finalised/.test(String(l.msg)));
  assert.ok(error, 'the failure is logged');
  assert.equal(error.callId, h.call.callId, 'with the CallId');
  assert.notEqual(h.store.calls.find(h.call.callId)!.state, 'ended', 'not final yet');
  await h.clock.advanceAsync(1000, 100);
  await done;
  const record = h.store.calls.find(h.call.callId)!;
  assert.equal(record.state, 'ended');
  assert.equal(record.statusCode, '200001', 'the real result: hung up during the greeting');
  assert.equal(record.hangupDirection, '用户');
  assert.equal(voiceReports(), 1);
  assert.deepEqual(unhandled, [], 'no unhandled rejection');
});

test('fault 2: when the final write keeps failing the session gives up and the reaper finalises once', async () => {
  h = setUp();
  h.deps.finishRetriesMs = [1000];
  failingEnd(2);
  const { done, leg } = await start();
  leg.answer();
  await flush();
  leg.end('remote');
  await flush(10);
  await h.clock.advanceAsync(1000, 100);
  await done;
  assert.equal(h.store.calls.find(h.call.callId)!.state, 'answered', 'left in progress');
  assert.equal(h.deps.live.size, 0, 'no session owns it any more');
  assert.ok(h.logs.some((l) => l.level === 50 && l.callId === h.call.callId && /reaper/.test(String(l.msg))));
  const reap = () =>
    reapOrphanedCalls(h.store, h.deps.ledger as CallLedger, h.deps.log, {
      skip: (id) => h.deps.live.has(id),
      clock: h.clock,
      cause: 'lost',
    });
  assert.equal(reap(), 1);
  assert.ok(
    h.logs.some((l) => l.callId === h.call.callId && l.msg === 'orphaned call finalised'),
    'the sweep says so on a line of the call',
  );
  assert.equal(reap(), 0, 'a second sweep finds nothing');
  const record = h.store.calls.find(h.call.callId)!;
  assert.equal(record.state, 'ended');
  assert.equal(voiceReports(), 1);
  assert.deepEqual(unhandled, []);
});

test('fault 2: a live call is left alone by the sweep', async () => {
  h = setUp();
  const { done, leg } = await start();
  leg.answer();
  await flush();
  const reaped = reapOrphanedCalls(h.store, h.deps.ledger as CallLedger, h.deps.log, {
    skip: (id) => h.deps.live.has(id),
  });
  assert.equal(reaped, 0);
  leg.end('remote');
  await done;
  assert.equal(h.store.calls.find(h.call.callId)!.state, 'ended');
  assert.equal(voiceReports(), 1);
});

test('fault 6: failed early-media callbacks do not count toward the three-failures hang-up', async () => {
  h = setUp({ earlyMediaAsr: true });
  const { done, leg } = await start();
  leg.emit('early-media', undefined);
  const early = h.listeners[0]!;
  assert.equal(early.options.asrBaseId, EARLY_MEDIA_MODEL);
  h.reply = (r) =>
    (r.event.content as { current_media_code?: string }).current_media_code === 'early_media'
      ? broken
      : ok({ action: 'donothing' });
  for (let i = 0; i < 3; i++) {
    early.events.speechEnded(h.clock.now(), { words: '您拨打的电话正在通话中', beginAt: 0, endAt: 1000 });
    await flush();
  }
  leg.answer();
  await flush();
  // The first turn after the answer fails: with early failures counted, this would be the third.
  h.reply = () => broken;
  const conversation = h.listeners.at(-1)!;
  conversation.events.speechEnded(h.clock.now(), { words: '喂', beginAt: 0, endAt: 500 });
  await flush(10);
  assert.equal(leg.hangups, 0, 'one failed turn does not hang up');
  const actions = h.store.callbackExchanges.listByCall(h.call.callId).map((x) => x.action);
  assert.deepEqual(actions.slice(0, 3), ['donothing (policy)', 'donothing (policy)', 'donothing (policy)']);
  assert.equal(actions.at(-1), 'donothing (policy)');
  leg.end('remote');
  await done;
});
