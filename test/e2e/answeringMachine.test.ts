/**
 * Answering-machine detection through real calls (issue 16 item 4): every voicemail and human
 * persona of the phonenet is called with a SmartCall whose prompt starts at the answer; detection
 * runs beside it and its result reaches the call record, the VoiceReport and the first `normal`
 * callback. The account's machine action: `hangup` ends the call at once, `message` leaves the
 * message after the beep (or the greeting), then hangs up.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AmdOutcome } from '../../src/contract/answeringMachine.js';
import { TtsTemplates } from '../../src/media-library/ttsTemplates.js';
import { AMD_PERSONAS, BUILTIN_NUMBERS } from '../../src/phonenet/builtinPersonas.js';
import type { PersonaCallResult } from '../../src/phonenet/personaCall.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';

const PROMPT = {
  VoiceCode: '$t$',
  VoiceCodeParam: JSON.stringify({ t: '您好，这里是星河银行。' }),
  SessionTimeout: '20',
};

describe('answering-machine detection on real calls', () => {
  let e2e: E2e;
  let account: number;
  before(async () => {
    e2e = await startE2e();
    account = e2e.admin.account('demo').id;
    e2e.admin.setReceipts('demo', { url: 'http://127.0.0.1:9/receipts', types: ['VoiceReport'] });
    // A person's first turn ends the call (keeps the human calls short).
    e2e.callbacks.script = (cb) =>
      cb.contentType === 'normal' ? { action: 'hangup' } : { action: 'donothing' };
  });
  after(() => e2e.close());

  const setAmd = (settings: object) =>
    e2e.running.store.amdSettings.set(account, JSON.stringify(settings), Date.now());

  async function call(persona: string) {
    const number = BUILTIN_NUMBERS[persona as keyof typeof BUILTIN_NUMBERS];
    const r = await e2e.smartCall({ CalledNumber: number, ...PROMPT });
    assert.equal(r.code, 'OK', JSON.stringify(r));
    const callId = String(r.body!.CallId);
    const record = await e2e.waitForEnd(callId, 40_000);
    const amd = record.amd ? (JSON.parse(record.amd) as AmdOutcome) : undefined;
    const report = e2e.running.store.receipts
      .listByCall(callId)
      .filter((x) => x.type === 'VoiceReport')
      .map((x) => JSON.parse(x.payload) as Record<string, unknown>)[0];
    return { callId, record, amd, report, number };
  }

  /** The persona's side of its latest call (waits for it to be written, after the platform's record). */
  async function personaCall(number: string, earlier: number): Promise<PersonaCallResult> {
    const carrier = e2e.running.phonenet!.carrier;
    const calls = () => carrier.recentCalls.filter((c) => c.number === number);
    for (let i = 0; i < 100 && calls().length <= earlier; i++) await new Promise((r) => setTimeout(r, 50));
    const found = calls()[earlier];
    assert.ok(found, `the persona at ${number} took the call`);
    return found;
  }
  const callsTo = (number: string) =>
    e2e.running.phonenet!.carrier.recentCalls.filter((c) => c.number === number).length;

  test('every voicemail and human persona is told apart; machines are hung up on at once', async () => {
    setAmd({ machine: 'hangup', maxMs: 4000 });
    // Four calls at a time: the personas live in this process, on the event loop that also times
    // every call's media; twelve at once on a loaded machine (two cores shared) delayed the media
    // of some calls by hundreds of ms (greetings cut by silences that were not in them).
    const results = [];
    const personas = Object.entries(AMD_PERSONAS);
    for (let i = 0; i < personas.length; i += 4)
      results.push(
        ...(await Promise.all(
          personas.slice(i, i + 4).map(async ([persona, truth]) => ({
            persona,
            truth,
            ...(await call(persona)),
          })),
        )),
      );
    const wrong = results.filter((r) => r.amd?.result !== r.truth);
    assert.deepEqual(
      wrong.map((r) => `${r.persona}: ${JSON.stringify(r.amd)}`),
      [],
      'every persona classified as what it is',
    );
    for (const r of results) {
      assert.ok(r.amd!.afterMs <= 4100, `${r.persona} decided within max-ms (${r.amd!.afterMs} ms)`);
      assert.equal(r.report?.amd_result, r.truth, `${r.persona}: the VoiceReport carries amd_result`);
      if (r.truth === 'machine') {
        assert.equal(r.amd!.action, 'hangup');
        const talked = r.record.endAt! - r.record.answerAt!;
        assert.ok(talked < r.amd!.afterMs + 1500, `${r.persona}: hung up at the decision (${talked} ms)`);
        assert.equal(r.record.hangupDirection, '机器');
      } else {
        assert.equal(r.amd!.action, 'report');
        const first = e2e.callbacks.forCall(r.callId).find((c) => c.contentType === 'normal');
        assert.ok(first, `${r.persona}: a normal callback`);
        assert.equal(first.content.amd_result, 'human', `${r.persona}: the first normal callback says human`);
      }
    }
  });

  test('with the message action the message plays after the beep (or the greeting), then the call hangs up', async () => {
    new TtsTemplates(e2e.running.store).add(account, {
      id: 'TTS_900001',
      text: '您好，这里是星河银行，请回电。',
    });
    setAmd({ machine: 'message', messageVoiceCode: 'TTS_900001', maxMs: 4000 });
    // The greeting's words reach the callback too; only the message action ends these calls.
    e2e.callbacks.script = () => ({ action: 'donothing' });
    const earlier = {
      beep: callsTo(BUILTIN_NUMBERS['voicemail-long-beep-zh']),
      noBeep: callsTo(BUILTIN_NUMBERS['voicemail-long-en']),
    };
    const [beep, noBeep] = await Promise.all([call('voicemail-long-beep-zh'), call('voicemail-long-en')]);
    for (const r of [beep, noBeep]) {
      assert.equal(r.amd?.result, 'machine');
      assert.equal(r.amd?.action, 'message');
      assert.ok(r.amd?.messageAtMs !== undefined, `the message was played: ${JSON.stringify(r.amd)}`);
      assert.equal(r.record.hangupDirection, '机器', 'the platform hung up after the message');
    }
    // What the machine heard: the message starts after its beep ended (the beep's end on its timeline).
    const timeline = (await personaCall(beep.number, earlier.beep)).events;
    const beeped = timeline.find((e) => e.type === 'said' && (e as { beep?: unknown }).beep);
    assert.ok(beeped, 'the persona beeped');
    const beepEnd = (beeped as unknown as { endMs: number }).endMs;
    const heard = timeline.filter((e) => e.type === 'heard').map((e) => e as unknown as { startMs: number });
    assert.ok(
      // (the persona's segment start is backdated by its detector's 60 ms onset)
      heard.some((h) => h.startMs >= beepEnd - 200 && h.startMs < beepEnd + 1500),
      `the machine heard the message just after its beep (beep end ${beepEnd} ms, heard ${JSON.stringify(heard)})`,
    );
    assert.ok(beep.amd!.beepAtMs !== undefined, 'the record notes the beep');
    // No beep: the message waits for the end of the greeting.
    const noBeepCall = await personaCall(noBeep.number, earlier.noBeep);
    const greeting = noBeepCall.events.find((e) => e.type === 'said') as unknown as {
      endMs: number;
      startMs: number;
    };
    const answered = noBeep.amd!.messageAtMs!;
    assert.ok(answered > 0);
    assert.ok(greeting.endMs > 0);
    const heardNoBeep = noBeepCall.events
      .filter((e) => e.type === 'heard')
      .map((e) => e as unknown as { startMs: number });
    assert.ok(
      heardNoBeep.some((h) => h.startMs >= greeting.endMs),
      `the message came after the greeting ended (${greeting.endMs} ms; heard ${JSON.stringify(heardNoBeep)})`,
    );
  });
});
