/**
 * Handing the callee to a person (spec §4.4, §6.2): a blind `transfer` to a second virtual callee
 * who then talks with the first; a `parallel_transfer` to a call centre with its callback, and the
 * bridge made through SmartCallOperate.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PersonaCallResult } from '../../src/phonenet/personaCall.js';
import { callAction } from '../helpers/aliClients.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';
import { laneRtpPorts } from '../helpers/lanes.js';

const tts = (text: string) => ({ VoiceCode: '$t$', VoiceCodeParam: JSON.stringify({ t: text }) });

/** The persona calls of one number, once they are over. */
async function personaCalls(e2e: E2e, number: string, count: number): Promise<PersonaCallResult[]> {
  const carrier = e2e.running.phonenet!.carrier;
  const until = Date.now() + 20_000;
  for (;;) {
    const calls = carrier.recentCalls.filter((c) => c.number === number);
    if (calls.length >= count) return calls;
    assert.ok(Date.now() < until, `persona ${number} finished ${calls.length} calls`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const heardTimes = (c: PersonaCallResult) => c.events.filter((e) => e.type === 'heard').map((e) => e.t);

describe('transfers', () => {
  let e2e: E2e;
  before(async () => {
    e2e = await startE2e({
      calls: { callCenters: { aliyun_cc: '13900000028' } },
      phonenet: {
        sipPort: 0,
        ...laneRtpPorts('phonenet'),
        personasFiles: [join(process.cwd(), 'test/fixtures/e2e/personas.yaml')],
      },
    });
  });
  after(() => e2e.close());

  test('transfer bridges the callee to a second callee, and the two hear each other', async () => {
    e2e.callbacks.script = (cb) =>
      cb.contentType === 'mute' ? { action: 'transfer', number: '13900000028' } : { action: 'donothing' };
    const r = await e2e.smartCall({
      CalledNumber: '13900000027',
      ...tts('您好，正在为您转接人工'),
      MuteTime: '1000',
    });
    const record = await e2e.waitForEnd(String(r.body!.CallId), 40_000);
    assert.equal(record.state, 'ended');
    const [agent] = await personaCalls(e2e, '13900000028', 1);
    const [callee] = await personaCalls(e2e, '13900000027', 1);
    const agentSaid = agent!.events.find((e) => e.type === 'said')!;
    const calleeSaid = callee!.events.find((e) => e.type === 'said')!;
    assert.ok(agentSaid && calleeSaid, 'both spoke');
    // Each heard the other: speech heard by the agent overlaps when the callee spoke, and vice versa.
    const agentStart = Date.parse(agent!.startedAt);
    const calleeStart = Date.parse(callee!.startedAt);
    const calleeSpokeAt = calleeStart + (calleeSaid.t as number);
    const agentSpokeAt = agentStart + (agentSaid.t as number);
    assert.ok(
      heardTimes(agent!).some((t) => Math.abs(agentStart + t - calleeSpokeAt) < 1500),
      `the agent heard the callee (${JSON.stringify(heardTimes(agent!))})`,
    );
    assert.ok(
      heardTimes(callee!).some((t) => Math.abs(calleeStart + t - agentSpokeAt) < 1500),
      `the callee heard the agent (${JSON.stringify(heardTimes(callee!))})`,
    );
  });

  test('parallel_transfer reports the leg by callback; SmartCallOperate bridges it', async () => {
    const creds = {
      endpoint: e2e.endpoint,
      accessKeyId: e2e.accessKeyId,
      accessKeySecret: e2e.accessKeySecret,
    };
    let callId = '';
    let bridged: unknown;
    let early: unknown;
    e2e.callbacks.script = (cb) => {
      if (
        cb.contentType === 'mute' &&
        !e2e.callbacks.forCall(cb.callId).some((c) => c.contentType === 'parallel_transfer')
      ) {
        // Before the leg exists there is nothing to bridge.
        void callAction('core', creds, 'SmartCallOperate', {
          CallId: cb.callId,
          Command: 'parallelBridge',
        }).then((x) => {
          early = x.body?.Status;
        });
        return { action: 'parallel_transfer', cc_name: 'aliyun_cc', is_monitor: true, dynamic_id: 'xfer' };
      }
      if (cb.contentType === 'parallel_transfer') {
        void callAction('core', creds, 'SmartCallOperate', {
          CallId: cb.callId,
          Command: 'parallelBridge',
        }).then((x) => {
          bridged = x.body?.Status;
        });
      }
      return { action: 'donothing', mute_time: 20000 };
    };
    const r = await e2e.smartCall({ CalledNumber: '13900000027', ...tts('您好'), MuteTime: '1000' });
    callId = String(r.body!.CallId);
    const record = await e2e.waitForEnd(callId, 40_000);
    assert.equal(record.state, 'ended');
    const pt = e2e.callbacks.forCall(callId).find((c) => c.contentType === 'parallel_transfer');
    assert.deepEqual(pt?.content, {
      dynamic_id: 'xfer',
      transfer_status: 'success',
      fail_cause: '',
      is_monitor: true,
      cc_name: 'aliyun_cc',
    });
    assert.equal(early, false, 'no parallel leg yet: Status false');
    assert.equal(bridged, true, 'the live leg was bridged: Status true');
    assert.equal(record.hangupDirection, '机器', 'the agent hanging up ended the bridged call');
  });

  test('parallel_transfer to an unknown call centre reports fail with its cause', async () => {
    e2e.callbacks.script = (cb) =>
      cb.contentType === 'mute' ? { action: 'parallel_transfer', cc_name: 'nowhere' } : { action: 'hangup' };
    const r = await e2e.smartCall({ CalledNumber: '13900000022', ...tts('您好'), MuteTime: '1000' });
    const callId = String(r.body!.CallId);
    await e2e.waitForEnd(callId, 30_000);
    const pt = e2e.callbacks.forCall(callId).find((c) => c.contentType === 'parallel_transfer');
    assert.equal(pt?.content.transfer_status, 'fail');
    assert.match(String(pt?.content.fail_cause), /unknown call centre "nowhere"/);
  });
});
