/**
 * How calls end when they are not a conversation: busy, no answer, declined, vacant; a broken
 * callback (the failure policy of spec §4.6); and the trunk's CPS and concurrency limits — through
 * the official client and the virtual phone network.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TrunkAdmin } from '../../src/calls/trunkAdmin.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';

const tts = (text: string) => ({ VoiceCode: '$t$', VoiceCodeParam: JSON.stringify({ t: text }) });

describe('calls that are not answered end with the codes of spec §5.5', { concurrency: true }, () => {
  let e2e: E2e;
  before(async () => {
    e2e = await startE2e({ calls: { ringTimeoutSeconds: 5 } });
  });
  after(() => e2e.close());

  async function outcome(number: string) {
    const r = await e2e.smartCall({ CalledNumber: number, ...tts('您好') });
    assert.equal(r.code, 'OK');
    return e2e.waitForEnd(String(r.body!.CallId), 30_000);
  }

  test('busy (486) is 200002 USER_BUSY', async () => {
    const r = await outcome('13800000003');
    assert.equal(r.state, 'failed');
    assert.equal(r.statusCode, '200002');
    assert.equal(r.smartStatusCode, 'USER_BUSY');
    assert.equal(r.sipStatus, 486);
  });

  test('no answer within the ring timeout is cancelled: 200003 NO_ANSWER', async () => {
    const r = await outcome('13800000004');
    assert.equal(r.statusCode, '200003');
    assert.equal(r.smartStatusCode, 'NO_ANSWER');
    assert.ok(r.ringAt !== null, 'it rang');
    const rang = r.endAt! - r.originateAt!;
    assert.ok(rang >= 4800 && rang < 7000, `cancelled after ${rang} ms`);
  });

  test('declined (603) is 200005 CALL_REJECTED', async () => {
    const r = await outcome('13800000005');
    assert.equal(r.statusCode, '200005');
    assert.equal(r.smartStatusCode, 'CALL_REJECTED');
  });

  test('a vacant number (404 after an announcement) is 200004 INVALID_NUMBER', async () => {
    const r = await outcome('13800000011');
    assert.equal(r.statusCode, '200004');
    assert.equal(r.smartStatusCode, 'INVALID_NUMBER');
  });

  test('powered off (480 after early media) fails as unavailable, the early media noted', async () => {
    const r = await outcome('13800000006');
    assert.equal(r.state, 'failed');
    assert.equal(r.sipStatus, 480);
    assert.equal(r.statusCode, '200005');
    assert.ok(r.ringAt !== null, 'early media counts as ringing');
  });

  test('with EarlyMediaAsr the announcement is recognised: POWERED_OFF, early_media_code 200010', async () => {
    const r = await e2e.smartCall({ CalledNumber: '13800000006', ...tts('您好'), EarlyMediaAsr: 'true' });
    const callId = String(r.body!.CallId);
    const record = await e2e.waitForEnd(callId, 30_000);
    assert.equal(record.earlyMediaCode, '200010');
    assert.equal(record.smartStatusCode, 'POWERED_OFF');
    const early = e2e.callbacks.forCall(callId).find((c) => c.content.current_media_code === 'early_media');
    assert.ok(early, 'the announcement reached the callback');
    assert.equal(early.contentType, 'normal');
    assert.match(String(early.content.words), /关机/);
  });
});

describe('a broken callback never hangs a call (spec §4.6)', { concurrency: true }, () => {
  let e2e: E2e;
  before(async () => {
    e2e = await startE2e();
  });
  after(() => e2e.close());

  test('without a fallback, a failed mute callback hangs up at once; the exchange is logged with the call', async () => {
    e2e.callbacks.script = () => 'this is not json';
    const r = await e2e.smartCall({ CalledNumber: '13800000007', ...tts('您好'), MuteTime: '1000' });
    const callId = String(r.body!.CallId);
    const record = await e2e.waitForEnd(callId, 30_000);
    assert.equal(record.state, 'ended');
    assert.equal(record.hangupDirection, '机器');
    const exchanges = e2e.running.store.callbackExchanges.listByCall(callId);
    assert.ok(exchanges.length >= 1);
    assert.ok(
      exchanges.every((x) => x.outcome === 'bad-reply'),
      JSON.stringify(exchanges.map((x) => x.outcome)),
    );
    // mute callbacks that fail hang up at once (no fallback configured)
    assert.equal(exchanges.at(-1)!.action, 'hangup (policy)');
  });
});

describe('failure policy with a fallback reply', () => {
  let e2e: E2e;
  before(async () => {
    e2e = await startE2e();
  });
  after(() => e2e.close());

  test('a callback that times out gets the account fallback reply, then three failures hang up', async () => {
    e2e.admin.setCallback('demo', {
      timeoutMs: 300,
      fallbackReply: JSON.stringify({
        action: 'play',
        action_code: '$t$',
        action_code_param: '{"t":"抱歉，请稍等"}',
      }),
    });
    e2e.callbacks.delayMs = 1000;
    e2e.callbacks.script = () => ({ action: 'donothing' });
    const r = await e2e.smartCall({ CalledNumber: '13800000007', ...tts('您好'), MuteTime: '1000' });
    const callId = String(r.body!.CallId);
    const said: string[] = [];
    e2e.running.events.on('said', (x) => x.callId === callId && said.push(x.texts.join('')));
    const record = await e2e.waitForEnd(callId, 30_000);
    const exchanges = e2e.running.store.callbackExchanges.listByCall(callId);
    assert.deepEqual(
      exchanges.map((x) => `${x.outcome}:${x.action}`),
      ['timeout:play (fallback)', 'timeout:play (fallback)', 'timeout:hangup (policy)'],
    );
    assert.ok(said.filter((t) => t === '抱歉，请稍等').length >= 2, JSON.stringify(said));
    assert.equal(record.state, 'ended');
  });
});

describe("the trunk's limits", () => {
  let e2e: E2e;
  before(async () => {
    e2e = await startE2e();
    const config = { masterKey: undefined, dataDir: e2e.dataDir };
    const trunks = new TrunkAdmin(e2e.running.store, SecretBox.forConfig(config));
    const phonenet = trunks.get('phonenet');
    trunks.add({
      name: 'phonenet',
      uri: `sip:${phonenet.host}:${phonenet.port}`,
      cps: 2,
      maxCalls: 3,
      isDefault: true,
    });
    await new Promise((r) => setTimeout(r, 2100)); // the dialer re-reads the default trunk within 2 s
  });
  after(() => e2e.close());

  test('no more than cps calls start per second and never more than max-calls at once; none is dropped', async () => {
    e2e.callbacks.script = () => ({ action: 'donothing' });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await e2e.smartCall({ CalledNumber: '13800000007', ...tts('您好'), SessionTimeout: '2' });
      ids.push(String(r.body!.CallId));
    }
    const records = await Promise.all(ids.map((id) => e2e.waitForEnd(id, 60_000)));
    assert.ok(
      records.every((r) => r.state === 'ended'),
      'every call was placed and answered',
    );
    const starts = records.map((r) => r.originateAt!).sort((a, b) => a - b);
    for (const s of starts) {
      const inSecond = starts.filter((o) => o > s - 1000 && o <= s).length;
      assert.ok(inSecond <= 2, `${inSecond} calls started within one second`);
    }
    for (const r of records) {
      const overlapping = records.filter(
        (o) => o.originateAt! <= r.originateAt! && o.endAt! > r.originateAt!,
      ).length;
      assert.ok(overlapping <= 3, `${overlapping} calls at once`);
    }
  });
});
