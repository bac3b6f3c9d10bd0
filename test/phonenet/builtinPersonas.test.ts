/**
 * Every built-in persona over real SIP and RTP: the telephony core dials each number (all at once,
 * as a platform would) and plays a short conversation; both sides' view is checked — what the
 * caller saw and heard, and the persona's own timeline and recording.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/observability/logger.js';
import { BUILTIN_NUMBERS } from '../../src/phonenet/builtinPersonas.js';
import type { TimelineEvent } from '../../src/phonenet/callTimeline.js';
import { Carrier } from '../../src/phonenet/carrier.js';
import type { PersonaCallResult } from '../../src/phonenet/personaCall.js';
import { SyntheticVoice } from '../../src/phonenet/syntheticVoice.js';
import { Telephony } from '../../src/telephony/telephony.js';
import { findInRecording } from '../helpers/audio.js';
import { tempDir } from '../helpers/tempDir.js';
import { type DialOptions, type DialResult, dial } from './platformDriver.js';

const voice = new SyntheticVoice();
const PROMPTS = [
  voice.render('您好，这里是智能外呼平台', 'xiaoyun'),
  voice.render('请问您方便吗', 'xiaoyun'),
  voice.render('好的，稍后发短信给您', 'xiaoyun'),
  voice.render('再见', 'xiaoyun'),
];

const dir = tempDir('phonenet-builtin-');
let carrier: Carrier;
let platform: Telephony;

before(async () => {
  carrier = await Carrier.create({
    sipPort: 0,
    rtpPortMin: 27000,
    rtpPortMax: 27199,
    runDir: dir.path,
    voice,
    timers: { t1: 100 },
    logger: silentLogger(),
  });
  platform = await Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: false,
    rtpPortMin: 28000,
    rtpPortMax: 28199,
    timers: { t1: 100 },
    logger: silentLogger(),
  });
});

after(async () => {
  await platform.close();
  await carrier.close();
  dir.remove();
});

type Name = keyof typeof BUILTIN_NUMBERS;
interface Run {
  dial: DialResult;
  persona: PersonaCallResult;
}

const runs = new Map<Name, Promise<Run>>();
/** Dials a persona once; every test of it shares the run, and the runs overlap in time. */
function call(name: Name, options: DialOptions = {}): Promise<Run> {
  let run = runs.get(name);
  if (!run) {
    run = (async () => {
      const d = await dial(platform, carrier.uriFor(BUILTIN_NUMBERS[name]), { prompts: PROMPTS, ...options });
      return { dial: d, persona: await carrier.callResult(d.callId) };
    })();
    runs.set(name, run);
  }
  return run;
}

const OPTIONS: Partial<Record<Name, DialOptions>> = { 'no-answer': { ringTimeoutMs: 2500 } };
/** Start every call up front so that they run concurrently. */
function startAll(): void {
  for (const name of Object.keys(BUILTIN_NUMBERS) as Name[]) void call(name, OPTIONS[name]).catch(() => {});
}

const said = (events: readonly TimelineEvent[]) => events.filter((e) => e.type === 'said').map((e) => e.text);
const first = (events: readonly TimelineEvent[], type: string) => events.find((e) => e.type === type);
const gap = (events: readonly TimelineEvent[], from: string, to: string) =>
  first(events, to)!.t - first(events, from)!.t;

function heardPhrase(heard: Int16Array, text: string, voiceName: string): number {
  const ref = voice.render(text, voiceName);
  return findInRecording(ref, heard, Math.min(2000, ref.length / 8)).envelope;
}

function assertTurnTaking(events: readonly TimelineEvent[]): void {
  // Every reply starts after a heard prompt ended, never over it.
  for (const s of events.filter((e) => e.type === 'said')) {
    const before = events.filter((e) => e.type === 'heard' && (e.endMs as number) <= (s.startMs as number));
    assert.ok(before.length > 0, `"${s.text}" was said after hearing a prompt`);
  }
}

test('the cooperative Mandarin customer answers after about 1.5 s of ringing and replies to each prompt', async () => {
  startAll();
  const { dial: d, persona: p } = await call('cooperative-zh');
  assert.ok(d.ringingAt !== undefined && d.answeredAt !== undefined, JSON.stringify(d));
  // The persona's own schedule is exact (timers never fire early); what the caller sees is looser,
  // as a loaded machine may delay its reading of the 180.
  assert.ok(gap(p.events, 'ringing', 'answered') >= 1500, `rang ${gap(p.events, 'ringing', 'answered')} ms`);
  assert.ok(d.answeredAt - d.ringingAt >= 1200, `rang ${d.answeredAt - d.ringingAt} ms at the caller`);
  assert.deepEqual(said(p.events), ['你好', '是的', '好的，可以']);
  assertTurnTaking(p.events);
  for (const text of ['你好', '是的', '好的，可以']) {
    const match = heardPhrase(d.heard, text, 'xiaogang');
    assert.ok(match > 0.85, `the platform heard "${text}": ${match}`);
  }
  assert.equal(d.prompts.length, 4, 'the platform got a reply to each of its prompts');
  assert.equal(p.outcome, 'answered');
  assert.equal(p.endedBy, 'remote');
  assert.ok(first(p.events, 'confirmed'), 'the ACK arrived');
  assert.ok(first(p.events, 'bye-received'));
});

test('the cooperative English customer says hello, yes and please call me later', async () => {
  const { dial: d, persona: p } = await call('cooperative-en');
  assert.deepEqual(said(p.events), ['hello', 'yes', 'please call me later']);
  assertTurnTaking(p.events);
  assert.ok(heardPhrase(d.heard, 'please call me later', 'harry') > 0.85);
  assert.equal(p.outcome, 'answered');
});

test('the busy line fails with 486 Busy Here without ringing', async () => {
  const { dial: d, persona: p } = await call('busy');
  assert.equal(d.failure?.status, 486);
  assert.equal(d.ringingAt, undefined);
  assert.equal(p.outcome, 'rejected');
  assert.equal(p.status, 486);
  assert.equal(p.recording, undefined, 'nothing to record on a call that never had audio');
});

test("the unanswered phone rings until the caller's ring timeout cancels it", async () => {
  const { dial: d, persona: p } = await call('no-answer', OPTIONS['no-answer']);
  assert.ok(d.ringingAt !== undefined);
  assert.equal(d.failure?.code, 'timeout', 'our set-up timeout ended it (CANCEL)');
  assert.ok(d.failedAt! >= 2450, `cancelled after ${d.failedAt} ms`);
  assert.equal(p.outcome, 'cancelled');
  assert.equal(p.status, 487);
  assert.ok(first(p.events, 'cancelled'));
});

test('the callee who declines rings for 1.5 s, then 603 Decline', async () => {
  const { dial: d, persona: p } = await call('rejects');
  assert.equal(d.failure?.status, 603);
  assert.ok(gap(p.events, 'ringing', 'rejected') >= 1500);
  assert.ok(d.failedAt! - d.ringingAt! >= 1200, `declined after ${d.failedAt! - d.ringingAt!} ms of ringing`);
  assert.equal(p.outcome, 'rejected');
});

test('the powered-off phone plays 您拨打的电话已关机 as early media, then fails with 480', async () => {
  const { dial: d, persona: p } = await call('powered-off');
  assert.ok(d.earlyMediaAt !== undefined, 'a 183 with SDP came first');
  assert.equal(d.failure?.status, 480);
  assert.equal(d.answeredAt, undefined);
  assert.ok(heardPhrase(d.heard, '您拨打的电话已关机', 'xiaoyun') > 0.85, 'the announcement was heard');
  assert.deepEqual(said(p.events), ['您拨打的电话已关机']);
  assert.equal(p.earlyMedia, true);
  assert.equal(p.status, 480);
  assert.ok(p.recording && existsSync(p.recording), 'early media is recorded too');
});

test('the silent callee answers and never says a word; the platform gives up on it', async () => {
  const { dial: d, persona: p } = await call('silent');
  assert.ok(d.answeredAt !== undefined);
  assert.deepEqual(said(p.events), []);
  assert.equal(d.calleeSpeech.length, 0, 'the platform heard no speech');
  assert.ok(
    p.events.some((e) => e.type === 'heard'),
    'the persona heard the prompt',
  );
  assert.equal(d.endedBy, 'local', 'the platform hung up');
});

test('the key-pressing callee answers prompts with 1, then 2 and #, over RFC 4733', async () => {
  const { dial: d, persona: p } = await call('presses-keys');
  assert.equal(d.digits.map((x) => x.digit).join(''), '12#');
  assert.deepEqual(
    p.events.filter((e) => e.type === 'dtmf-sent').map((e) => e.digit),
    ['1', '2', '#'],
  );
  assert.equal(d.prompts.length, 3, 'each key press moved the dialogue on');
});

test('the callee who talks over the prompt is heard while the prompt plays (barge-in)', async () => {
  const { dial: d, persona: p } = await call('talks-over');
  const over = p.events.find((e) => e.type === 'said' && e.overPrompt);
  assert.ok(over, 'a phrase was said over the prompt');
  assert.equal(over.text, '我现在没空');
  assert.equal(over.platformTalking, true, 'the prompt was still playing when it started');
  assert.ok(d.bargeIns.length >= 1, 'the platform noticed and stopped its prompt');
  assert.equal(d.prompts[0]?.flushed, true);
  assert.deepEqual(said(p.events), ['我现在没空', '不需要']);
});

test('the callee who hangs up early sends BYE 1.5 s into the first prompt', async () => {
  const { dial: d, persona: p } = await call('hangs-up-early');
  assert.equal(d.endedBy, 'remote');
  assert.ok(first(p.events, 'bye-sent'));
  const heardStart = first(p.events, 'heard')?.startMs as number | undefined;
  const bye = first(p.events, 'bye-sent')!.t;
  assert.ok(
    heardStart === undefined || bye - heardStart >= 1450,
    `BYE ${bye - (heardStart ?? 0)} ms into the prompt`,
  );
  assert.ok(d.prompts[0] && d.prompts[0].endedAt! >= d.endedAt! - 50, 'the prompt had not finished');
  assert.equal(p.endedBy, 'local');
});

test('the vacant number announces 您拨打的号码是空号 and fails with 404', async () => {
  const { dial: d, persona: p } = await call('vacant');
  assert.equal(d.failure?.status, 404);
  assert.ok(heardPhrase(d.heard, '您拨打的号码是空号', 'xiaoyun') > 0.85);
  assert.equal(p.status, 404);
});

test('each answered persona recorded what it heard: the left channel holds the prompts', async () => {
  const { persona: p } = await call('cooperative-zh');
  assert.ok(p.recording && existsSync(p.recording));
  const wav = readFileSync(p.recording);
  assert.equal(wav.readUInt16LE(22), 2, 'two channels');
  // CallRecorder's layout: a 44-byte header, then 16-bit little-endian frames of (left, right).
  const frames = new Int16Array(wav.buffer, wav.byteOffset + 44, Math.floor((wav.length - 44) / 2));
  const left = frames.filter((_, i) => i % 2 === 0);
  const match = findInRecording(PROMPTS[0]!, left);
  assert.ok(match.envelope > 0.85, JSON.stringify(match));
  const reply = findInRecording(
    voice.render('你好', 'xiaogang'),
    frames.filter((_, i) => i % 2 === 1),
    400,
  );
  assert.ok(reply.envelope > 0.85, `the right channel holds what the persona said: ${JSON.stringify(reply)}`);
  const recording = p.events.find((e) => e.type === 'recording');
  assert.ok(
    recording && typeof recording.startMs === 'number',
    'the timeline says where the recording starts',
  );
});

test('after every call both sides are idle: no call, dialog or RTP session left', async () => {
  await Promise.all([...runs.values()]);
  const durations = Object.fromEntries(
    await Promise.all([...runs.entries()].map(async ([n, r]) => [n, (await r).persona.durationMs])),
  );
  process.stdout.write(`# persona call durations (ms): ${JSON.stringify(durations)}\n`);
  for (const tel of [platform, carrier.telephony]) {
    const s = tel.ua.stats();
    assert.equal(s.calls, 0);
    assert.equal(s.dialogs, 0);
    assert.equal(tel.openMediaSessions, 0);
  }
  assert.equal(carrier.activeCalls, 0);
});
