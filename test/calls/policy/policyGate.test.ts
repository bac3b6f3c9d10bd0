/**
 * The policy gate's rules, on a ManualClock and an in-memory store: windows in the callee's zone
 * (weekdays, holidays, every layer at once), do-not-call lists, per-callee caps (refused for single
 * calls, deferred for campaign calls), retries by outcome, sticky caller-ID pools, opt-out, speed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { campaignPolicy } from '../../../src/calls/campaigns/campaignSettings.js';
import {
  classifyOutcome,
  PolicyError,
  parsePolicy,
  parseRetry,
  retryDelay,
} from '../../../src/calls/policy/callingPolicy.js';
import { zoneOfNumber } from '../../../src/calls/policy/callingWindow.js';
import { PolicyGate } from '../../../src/calls/policy/policyGate.js';
import { ManualClock } from '../../../src/clock/manualClock.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { GLOBAL_POLICY_ACCOUNT } from '../../../src/store/records.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';

/** 2025-06-02 is a Monday. Times given in Shanghai (UTC+8). */
const shanghai = (iso: string) => Date.parse(`${iso}+08:00`);

function setup(start = shanghai('2025-06-02T10:00:00')) {
  const store = SqliteStore.inMemory();
  const clock = new ManualClock({ start });
  const account = store.accounts.create({ name: 'acme', now: start }).id;
  const gate = new PolicyGate({ store, clock, log: silentLogger() });
  gate.start();
  const setPolicy = (p: object, id = account) => {
    store.policies.set(id, JSON.stringify(p), clock.now());
    gate.refresh();
  };
  return { store, clock, account, gate, setPolicy };
}

describe('calling windows', () => {
  test('a mainland callee outside the window waits until it opens in Shanghai time, never refused', () => {
    const { gate, account, setPolicy } = setup(shanghai('2025-06-02T21:30:00'));
    setPolicy({ window: '09:00-20:00' });
    const d = gate.decide({ accountId: account, callee: '13800000001', kind: 'single' });
    assert.equal(d.verdict, 'wait');
    assert.equal(d.verdict === 'wait' && d.until, shanghai('2025-06-03T09:00:00'));
    assert.match(
      d.verdict === 'wait' ? d.reason : '',
      /outside the account calling window.*2025-06-03 09:00 Asia\/Shanghai/,
    );
  });

  test('inside the window the call goes at once', () => {
    const { gate, account, setPolicy } = setup(shanghai('2025-06-02T19:59:00'));
    setPolicy({ window: '09:00-20:00' });
    assert.equal(gate.decide({ accountId: account, callee: '13800000001', kind: 'single' }).verdict, 'go');
  });

  test('weekdays and holidays: Friday evening waits for Monday, a holiday Monday for Tuesday', () => {
    const { gate, account, setPolicy } = setup(shanghai('2025-06-06T20:30:00'));
    setPolicy({
      window: 'mon-fri 09:00-12:00,14:00-18:00; sat 10:00-11:00',
      holidays: ['2025-06-07', '2025-06-09'],
    });
    const d = gate.decide({ accountId: account, callee: '13800000001', kind: 'campaign' });
    assert.equal(d.verdict === 'wait' && d.until, shanghai('2025-06-10T09:00:00'));
  });

  test('the lunch gap: 12:30 waits until 14:00', () => {
    const { gate, account, setPolicy } = setup(shanghai('2025-06-02T12:30:00'));
    setPolicy({ window: 'mon-fri 09:00-12:00,14:00-18:00' });
    const d = gate.decide({ accountId: account, callee: '13800000001', kind: 'campaign' });
    assert.equal(d.verdict === 'wait' && d.until, shanghai('2025-06-02T14:00:00'));
  });

  test("an international callee's window is in its own zone (+44: London)", () => {
    // 10:00 Shanghai = 03:00 in London (BST): London's 09:00 is 16:00 Shanghai.
    const { gate, account, setPolicy } = setup(shanghai('2025-06-02T10:00:00'));
    setPolicy({ window: '09:00-20:00' });
    assert.equal(zoneOfNumber('+447700900000'), 'Europe/London');
    const d = gate.decide({ accountId: account, callee: '+447700900000', kind: 'campaign' });
    assert.equal(d.verdict === 'wait' && d.until, shanghai('2025-06-02T16:00:00'));
    assert.equal(zoneOfNumber('+14155550100', { '1': 'America/Los_Angeles' }), 'America/Los_Angeles');
  });

  test("the operator's window and the account's both apply (their overlap)", () => {
    const { gate, account, setPolicy } = setup(shanghai('2025-06-02T08:30:00'));
    setPolicy({ window: '08:00-21:00' });
    setPolicy({ window: '09:30-18:00' }, GLOBAL_POLICY_ACCOUNT);
    const d = gate.decide({ accountId: account, callee: '13800000001', kind: 'campaign' });
    assert.equal(d.verdict === 'wait' && d.until, shanghai('2025-06-02T09:30:00'));
    assert.match(d.verdict === 'wait' ? d.reason : '', /operator/);
  });

  test('a held call is let through by holdUntil once the clock reaches the window', () => {
    const { gate, account, setPolicy, clock } = setup(shanghai('2025-06-02T07:00:00'));
    setPolicy({ window: '09:00-20:00' });
    assert.equal(gate.holdUntil(account, '13800000001')?.until, shanghai('2025-06-02T09:00:00'));
    clock.advance(2 * 3_600_000);
    assert.equal(gate.holdUntil(account, '13800000001'), undefined);
  });
});

describe('do-not-call lists and caps', () => {
  test("numbers on the account's or the operator's list are refused", () => {
    const { gate, account, store, clock } = setup();
    store.policies.addDnc(account, ['13800000001'], 'cli', clock.now());
    store.policies.addDnc(GLOBAL_POLICY_ACCOUNT, ['13800000002'], 'cli', clock.now());
    gate.refresh();
    const a = gate.decide({ accountId: account, callee: '13800000001', kind: 'single' });
    const b = gate.decide({ accountId: account, callee: '13800000002', kind: 'campaign' });
    assert.deepEqual([a.verdict, a.verdict === 'refuse' && a.code], ['refuse', 'dnc']);
    assert.match(b.verdict === 'refuse' ? b.reason : '', /operator/);
    assert.equal(gate.decide({ accountId: account, callee: '13800000003', kind: 'single' }).verdict, 'go');
  });

  test('a list changed in the store (by the CLI) is seen without a restart', () => {
    const { gate, account, store, clock } = setup();
    assert.equal(gate.decide({ accountId: account, callee: '13800000001', kind: 'single' }).verdict, 'go');
    store.policies.addDnc(account, ['13800000001'], 'cli', clock.now());
    clock.advance(1500);
    assert.equal(
      gate.decide({ accountId: account, callee: '13800000001', kind: 'single' }).verdict,
      'refuse',
    );
  });

  test('over the per-hour cap a single call is refused; a campaign call waits until the cap frees', () => {
    const { gate, account, setPolicy, clock } = setup();
    setPolicy({ caps: { perHour: 2 } });
    const t0 = clock.now();
    gate.noteAttempt(account, '13800000001', t0);
    clock.advance(60_000);
    gate.noteAttempt(account, '13800000001', clock.now());
    const single = gate.decide({ accountId: account, callee: '13800000001', kind: 'single' });
    assert.equal(single.verdict === 'refuse' && single.code, 'cap');
    const campaign = gate.decide({ accountId: account, callee: '13800000001', kind: 'campaign' });
    assert.equal(campaign.verdict === 'wait' && campaign.until, t0 + 3_600_000);
    assert.equal(gate.decide({ accountId: account, callee: '13800000002', kind: 'single' }).verdict, 'go');
  });

  test('minimum gap and attempts per day', () => {
    const { gate, account, setPolicy, clock } = setup();
    setPolicy({ caps: { perDay: 3, minGap: '10m' } });
    const t0 = clock.now();
    gate.noteAttempt(account, '13800000001', t0);
    const d = gate.decide({ accountId: account, callee: '13800000001', kind: 'campaign' });
    assert.equal(d.verdict === 'wait' && d.until, t0 + 600_000);
    gate.noteAttempt(account, '13800000001', t0 + 600_000);
    gate.noteAttempt(account, '13800000001', t0 + 1_200_000);
    clock.advance(3_600_000);
    const day = gate.decide({ accountId: account, callee: '13800000001', kind: 'campaign' });
    assert.equal(day.verdict === 'wait' && day.until, t0 + 86_400_000);
  });

  test('a cap that frees outside the window waits for the window too', () => {
    const { gate, account, setPolicy, clock } = setup(shanghai('2025-06-02T19:50:00'));
    setPolicy({ window: '09:00-20:00', caps: { minGap: '30m' } });
    gate.noteAttempt(account, '13800000001', clock.now());
    const d = gate.decide({ accountId: account, callee: '13800000001', kind: 'campaign' });
    assert.equal(d.verdict === 'wait' && d.until, shanghai('2025-06-03T09:00:00'));
  });
});

describe('retries, pools, opt-out', () => {
  test('retry by outcome with a schedule; never after a decline or a vacant number', () => {
    const rules = parseRetry('busy,no-answer:3x30m; powered-off:10m/1h');
    assert.equal(retryDelay(rules, 'busy', 1), 1_800_000);
    assert.equal(retryDelay(rules, 'no-answer', 3), 1_800_000);
    assert.equal(retryDelay(rules, 'no-answer', 4), undefined);
    assert.equal(retryDelay(rules, 'powered-off', 2), 3_600_000);
    assert.equal(retryDelay(rules, 'declined', 1), undefined);
    assert.throws(() => parseRetry('declined:2x10m'), PolicyError);
    assert.throws(() => parseRetry('vacant:1x1m'), /never called again/);
    assert.equal(
      classifyOutcome({ state: 'failed', smartStatusCode: 'CALL_REJECTED', statusCode: '200005' }),
      'declined',
    );
    assert.equal(
      classifyOutcome({ state: 'failed', smartStatusCode: 'UNAVAILABLE', statusCode: '200005' }),
      'powered-off',
    );
  });

  test('bad policies name the problem', () => {
    assert.throws(() => parsePolicy({ window: '20:00-09:00' }), /end must come after the start/);
    assert.throws(() => parsePolicy({ window: 'funday 09:00-10:00' }), /not a day/);
    assert.throws(() => parsePolicy({ holidays: ['2025-02-30'] }), /not a date/);
    assert.throws(() => parsePolicy({ caps: { minGap: '10 minutes' } }), /duration/);
    assert.throws(() => parsePolicy({ optOut: { key: '12' } }), /one key/);
  });

  test('caller-ID pool by region, round robin otherwise, sticky per callee', () => {
    const { gate, account } = setup();
    const policy = campaignPolicy({
      voiceCode: '$t$',
      showNumbers: ['057100000001', '01000000001', '057100000002', '13900000000@021'],
      policy: { callerIds: { numbers: [], strategy: 'region', regions: { '1380021': '021' } } },
    });
    const pick = (callee: string) => {
      const d = gate.decide({
        accountId: account,
        callee,
        kind: 'campaign',
        campaign: policy,
        campaignKey: 'c1',
      });
      assert.equal(d.verdict, 'go');
      return d.verdict === 'go' ? d.showNumber : undefined;
    };
    assert.equal(pick('057188880001'), '057100000001');
    assert.equal(pick('057188880002'), '057100000002');
    assert.equal(pick('01088880001'), '01000000001');
    assert.equal(pick('13800210001'), '13900000000');
    assert.equal(pick('057188880001'), '057100000001', 'sticky');
    const unknown = new Set([
      pick('13700000001'),
      pick('13700000002'),
      pick('13700000003'),
      pick('13700000004'),
    ]);
    assert.equal(unknown.size, 4, 'round robin over the whole pool when the region is unknown');
    assert.equal(pick('13700000002'), pick('13700000002'));
  });

  test('pressing the opt-out key or an opt_out callback reply puts the callee on the list', () => {
    const { gate, account, store, setPolicy, clock } = setup();
    setPolicy({ optOut: { key: '9' } });
    const call = (callId: string, callee: string, dtmf: string | null) => ({
      callId,
      accountId: account,
      calledNumber: callee,
      dtmf,
    });
    assert.equal(gate.afterCall(call('1^1', '13800000001', '12') as never), undefined);
    assert.equal(gate.afterCall(call('1^2', '13800000001', '19') as never), 'opt-out key 9');
    store.callbackExchanges.insert({
      callId: '1^3',
      contentType: 'normal',
      content: '{}',
      outcome: 'ok',
      httpStatus: 200,
      reply: '{"action":"hangup","opt_out":true}',
      action: 'hangup',
      detail: null,
      latencyMs: 5,
      createdAt: clock.now(),
    });
    assert.equal(gate.afterCall(call('1^3', '13800000002', null) as never), 'opt-out callback');
    assert.deepEqual(
      store.policies.listDnc(account).map((r) => [r.number, r.reason]),
      [
        ['13800000001', 'opt-out key 9'],
        ['13800000002', 'opt-out callback'],
      ],
    );
    assert.equal(
      gate.decide({ accountId: account, callee: '13800000002', kind: 'single' }).verdict,
      'refuse',
    );
    assert.equal(store.policies.decisions('1^2')[0]?.decision, 'opt-out');
  });

  test('the gate decides at least 20,000 times a second', () => {
    const { gate, account, setPolicy } = setup();
    setPolicy({ window: 'mon-fri 09:00-20:00', caps: { perDay: 3, minGap: '1h' } });
    const policy = campaignPolicy({
      voiceCode: '$t$',
      showNumbers: ['057100000001', '057100000002'],
      policy: { window: '08:00-21:00' },
    });
    const n = 50_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      gate.decide({
        accountId: account,
        callee: `1390${String(i).padStart(7, '0')}`,
        kind: 'campaign',
        campaign: policy,
        campaignKey: 'c',
      });
    }
    const perSec = n / ((performance.now() - t0) / 1000);
    assert.ok(perSec >= 20_000, `${Math.round(perSec)} decisions/s`);
  });
});
