/**
 * The figures for machines and the lines for people, after real SmartCalls: smartcall in embedded
 * mode calls the virtual phone network's cooperative callee, the business's callback replies
 * (once with a body that is not JSON), and receipts go to a receiver that answers 500. `GET
 * /metrics` is read as a scraper reads it before and after; every line smartcall logs about the
 * call names its CallId, for an outbound call and for a call a persona places to an inbound number.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { createLogger } from '../../src/observability/logger.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';
import { type Exposition, parseExposition } from '../helpers/exposition.js';

let e2e: E2e;
let receipts: Server;
const lines: Record<string, unknown>[] = [];

before(async () => {
  const sink = new PassThrough();
  let rest = '';
  sink.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop()!;
    for (const p of parts) if (p) lines.push({ ...JSON.parse(p), seen: Date.now() });
  });
  // Debug level: the lines a person turns on to follow a call are held to the rule too.
  e2e = await startE2e({}, { log: createLogger({ level: 'debug', format: 'json', destination: sink }) });
  receipts = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(500).end('down for maintenance'));
  });
  await new Promise<void>((r) => receipts.listen(0, '127.0.0.1', r));
  e2e.admin.setReceipts('demo', {
    url: `http://127.0.0.1:${(receipts.address() as AddressInfo).port}/receipts`,
    types: ['VoiceCallReport', 'VoiceReport'],
  });
});
after(async () => {
  await e2e.close();
  receipts.closeAllConnections();
  await new Promise((r) => receipts.close(r));
});

async function scrape(): Promise<Exposition> {
  const res = await fetch(`http://${e2e.endpoint}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

/** Places a call to the cooperative callee: a spoken reply, a reply that is not JSON, then hang up. */
async function call(): Promise<{ callId: string; startedAt: number; endedAt: number }> {
  const startedAt = Date.now();
  let normal = 0;
  e2e.callbacks.script = (cb) => {
    // After the broken reply nothing plays, so the callee keeps quiet: its silence (MuteTime) ends it.
    if (cb.contentType !== 'normal') return normal >= 2 ? { action: 'hangup' } : { action: 'donothing' };
    normal++;
    if (normal === 1)
      return { action: 'play', action_code: '$t$', action_code_param: '{"t":"好的，记下了"}' };
    if (normal === 2) return 'this is not json';
    return { action: 'hangup' };
  };
  const r = await e2e.smartCall({
    CalledNumber: '13800000001',
    VoiceCode: '$t$',
    VoiceCodeParam: JSON.stringify({ t: '您好，请问您是张三吗？' }),
    SessionTimeout: '40',
    MuteTime: '2000',
  });
  assert.equal(r.code, 'OK', JSON.stringify(r));
  const callId = String(r.body!.CallId);
  const record = await e2e.waitForEnd(callId, 60_000);
  assert.equal(record.state, 'ended');
  // The lines that follow the end (media closed, receipts pushed and refused) arrive a little later.
  await new Promise((r) => setTimeout(r, 800));
  return { callId, startedAt, endedAt: Date.now() };
}

let placed: { callId: string; startedAt: number; endedAt: number };
let before1: Exposition;
let after1: Exposition;

test('GET /metrics is valid exposition text whose figures move with a real smart call', async () => {
  before1 = await scrape();
  placed = await call();
  after1 = await scrape();
  const moved = (name: string, labels: Record<string, string> = {}) =>
    after1.sum(name, labels) - before1.sum(name, labels);

  for (const state of ['dialing', 'ringing', 'answered', 'ended'])
    assert.equal(moved('smartcall_call_state_changes_total', { state }), 1, `entered ${state} once`);
  assert.equal(
    moved('smartcall_calls_ended_total', { state: 'ended', status_code: '200000', outcome: 'ANSWERED' }),
    1,
  );
  assert.equal(after1.types.get('smartcall_turn_speech_end_to_callback_seconds'), 'histogram');
  assert.ok(moved('smartcall_turn_speech_end_to_callback_seconds_count') >= 2, 'one per recognised sentence');
  assert.ok(
    moved('smartcall_turn_speech_end_to_callback_seconds_sum') < 1,
    'callbacks leave within a second of the end of speech',
  );
  assert.equal(moved('smartcall_turn_reply_to_first_audio_seconds_count', { prompt: 'tts' }), 1);
  assert.equal(moved('smartcall_callbacks_total', { type: 'normal', outcome: 'ok' }), 1);
  assert.ok(moved('smartcall_callbacks_total', { outcome: 'ok' }) >= 2, 'and the silence (timebreak)');
  assert.equal(moved('smartcall_callback_errors_total', { type: 'normal', failure: 'bad-reply' }), 1);
  assert.ok(moved('smartcall_callback_duration_seconds_count') >= 3, 'every posted callback is timed');
  assert.ok(moved('smartcall_receipt_errors_total', { kind: 'failed-batch' }) >= 1, 'the receiver said 500');
  assert.equal(moved('smartcall_trunk_call_attempts_total', { trunk: 'phonenet' }), 1);
  assert.equal(after1.value('smartcall_trunk_cps_limit', { trunk: 'phonenet' }), 50);
  assert.equal(after1.value('smartcall_trunk_max_calls', { trunk: 'phonenet' }), 200);
  assert.equal(after1.value('smartcall_trunk_active_calls', { trunk: 'phonenet' }), 0, 'the call is over');
  assert.equal(after1.sum('smartcall_calls_in_progress'), 0);
  assert.ok(moved('smartcall_media_clock_ticks_total') > 200, 'the media clock ran through the call');
  assert.equal(after1.value('smartcall_media_sessions_open'), 0);
  assert.ok(after1.value('smartcall_speech_worker_threads', { pool: 'asr-phrase' }) >= 1);
  assert.ok(after1.types.has('smartcall_speech_worker_queued_requests'));
});

/** smartcall's lines while a call ran, less the virtual phone network's and those about the whole process. */
function linesDuring(startedAt: number, endedAt: number) {
  const processWide = new Set(['media clock fell behind; ticks skipped', 'sip transactions cleared']);
  const during = lines.filter((l) => (l.seen as number) >= startedAt && (l.seen as number) <= endedAt);
  const ours = during.filter((l) => l.component !== 'phonenet' && !processWide.has(String(l.msg)));
  return { during, ours, messages: new Set(ours.map((l) => String(l.msg))) };
}

test("every line smartcall logs about a call carries the call's CallId", () => {
  assert.ok(placed, 'the call of the first test was placed');
  const { callId, startedAt, endedAt } = placed;
  const { during, ours, messages } = linesDuring(startedAt, endedAt);
  // The call's own lines, from every part of smartcall that touched it.
  for (const msg of [
    'dialing',
    'media session open',
    'rtp latched',
    'trunk target served the call',
    'callback failed',
    'receipt push failed',
    'call ended',
  ])
    assert.ok(messages.has(msg), `logged "${msg}" (lines: ${[...messages].join(' | ')})`);
  const without = ours.filter((l) => l.callId !== callId);
  assert.deepEqual(
    without.map((l) => `${l.component ?? ''}: ${l.msg}`),
    [],
    'lines without the CallId',
  );
  // The virtual phone network's lines name the SIP Call-ID as sipCallId, never as a CallId.
  assert.ok(during.some((l) => l.component === 'phonenet' && typeof l.sipCallId === 'string'));
  assert.ok(during.every((l) => l.component !== 'phonenet' || l.callId === undefined));
});

test("an inbound call's lines carry its CallId too, from the INVITE's acceptance to its end", async () => {
  const INBOUND = '057100003333';
  e2e.admin.addNumber('demo', INBOUND, { inbound: true });
  e2e.callbacks.script = (cb) => {
    if (cb.contentType === 'callin')
      return { action: 'answer', action_code: '$t$', action_code_param: '{"t":"您好，这里是客服"}' };
    return { action: 'hangup' };
  };
  const startedAt = Date.now();
  const sip = e2e.running.telephony.ua.localEndpoint('udp')!;
  const result = await e2e.running.phonenet!.carrier.dial({
    from: '13800000001',
    to: INBOUND,
    server: `sip:${sip.address}:${sip.port}`,
  });
  assert.equal(result.outcome, 'answered', JSON.stringify(result.events));
  const callin = e2e.callbacks.received.find((c) => c.contentType === 'callin' && c.at >= startedAt);
  assert.ok(callin);
  await e2e.waitForEnd(callin.callId, 30_000);
  await new Promise((r) => setTimeout(r, 800));
  const { ours, messages } = linesDuring(startedAt, Date.now());
  for (const msg of ['media session open', 'rtp latched', 'call ended'])
    assert.ok(messages.has(msg), `logged "${msg}" (lines: ${[...messages].join(' | ')})`);
  // The user agent's first word on the INVITE comes before any call exists: it names the SIP Call-ID.
  const first = ours.find((l) => l.msg === 'sip incoming call');
  assert.equal(typeof first?.sipCallId, 'string');
  const without = ours.filter((l) => l.callId !== callin.callId && l !== first);
  assert.deepEqual(
    without.map((l) => `${l.component ?? ''}: ${l.msg}`),
    [],
    'lines without the CallId',
  );
});
