/**
 * A compromised callback cannot make the platform dial premium or foreign numbers: `transfer` and
 * `parallel_transfer` numbers must match the account's allowed destinations (mainland China by
 * default); a refused number is never dialled. And the platform's own SIP user agent refuses an
 * INVITE from a source no trunk lists with 403, counted.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { isSipUri } from '../../src/sip/index.js';
import { sipInvite } from '../cli/sipProbe.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';
import { laneRtpPorts } from '../helpers/lanes.js';

const tts = (text: string) => ({ VoiceCode: '$t$', VoiceCodeParam: JSON.stringify({ t: text }) });
const FOREIGN = '00442079460000';

describe('transfer destinations', () => {
  let e2e: E2e;
  /** Every number the carrier was asked to connect, in order. */
  const dialled: string[] = [];
  before(async () => {
    e2e = await startE2e({
      calls: { callCenters: { aliyun_cc: '13900000028' } },
      phonenet: {
        sipPort: 0,
        ...laneRtpPorts('phonenet'),
        personasFiles: [join(process.cwd(), 'test/fixtures/e2e/personas.yaml')],
      },
    });
    e2e.running.phonenet!.carrier.telephony.ua.on('incoming', (sip) => {
      const uri = sip.invite.uri;
      dialled.push(isSipUri(uri) ? (uri.user ?? '') : '');
    });
  });
  after(() => e2e.close());
  beforeEach(() => {
    dialled.length = 0;
    e2e.admin.setAllowedDestinations('demo', null);
  });

  /** A call whose callee stays silent; on the first mute the callback replies `reply`. */
  async function callReplying(reply: Record<string, unknown>): Promise<string> {
    e2e.callbacks.script = (cb, all) =>
      cb.contentType === 'mute' &&
      all.filter((c) => c.callId === cb.callId && c.contentType === 'mute').length === 1
        ? reply
        : { action: 'hangup' };
    const r = await e2e.smartCall({ CalledNumber: '13900000027', ...tts('您好'), MuteTime: '1000' });
    const callId = String(r.body!.CallId);
    await e2e.waitForEnd(callId, 30_000);
    return callId;
  }

  test('a transfer to a foreign number is refused and never dialled; the call ends', async () => {
    await callReplying({ action: 'transfer', number: FOREIGN });
    assert.deepEqual(dialled, ['13900000027'], 'only the callee was ever dialled');
  });

  test('a transfer to a mainland number is dialled', async () => {
    await callReplying({ action: 'transfer', number: '13900000028' });
    assert.deepEqual(dialled, ['13900000027', '13900000028']);
  });

  test('a parallel_transfer to a foreign number as cc_name fails by callback, never dialled; a configured call centre is trusted', async () => {
    const callId = await callReplying({ action: 'parallel_transfer', cc_name: '+442079460000' });
    const pt = e2e.callbacks.forCall(callId).find((c) => c.contentType === 'parallel_transfer');
    assert.equal(pt?.content.transfer_status, 'fail');
    assert.equal(pt?.content.fail_cause, 'destination not allowed');
    assert.deepEqual(dialled, ['13900000027']);

    dialled.length = 0;
    await callReplying({ action: 'parallel_transfer', cc_name: 'aliyun_cc' });
    assert.deepEqual(
      dialled,
      ['13900000027', '13900000028'],
      'the operator-configured call centre is dialled',
    );
  });

  test("the account's allowed destinations decide: once 0044 is allowed, it is dialled", async () => {
    e2e.admin.setAllowedDestinations('demo', ['^1[3-9]\\d{9}$', '^0044\\d+$']);
    await callReplying({ action: 'transfer', number: FOREIGN });
    assert.deepEqual(dialled, ['13900000027', FOREIGN]);
  });

  test("an INVITE to the platform's own SIP port from a source no trunk lists gets 403, counted", async () => {
    const ua = e2e.running.telephony.ua;
    const before = ua.stats().refusedInvites;
    // From 127.0.0.2: the virtual phone network's own trunk lets 127.0.0.1 in (its personas call in).
    const answer = await sipInvite({
      host: '127.0.0.1',
      port: ua.localEndpoint('udp')!.port,
      number: '13900000001',
      from: '127.0.0.2',
    });
    assert.equal(answer?.status, 403);
    assert.equal(ua.stats().refusedInvites, before + 1);
    assert.equal(ua.stats().dialogs, 0);
  });
});
