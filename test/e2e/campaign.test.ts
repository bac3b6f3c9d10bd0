/**
 * A campaign of 500 numbers against phonenet personas, on a ManualClock for the calling policy:
 * nothing is called before the window opens, every call goes through the trunk's CPS limit, busy and
 * powered-off numbers are retried once (after the minimum gap the cap imposes), declined and vacant
 * numbers never again, numbers on the do-not-call list are skipped (at creation and when listed
 * later), and the display numbers come from a pool, the same one for a callee's retry. Then the
 * robot-task actions through the official client.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createCampaign } from '../../src/calls/campaigns/campaignCreation.js';
import { readCampaignCsv } from '../../src/calls/campaigns/campaignSettings.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { callAction } from '../helpers/aliClients.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';
import { laneRtpPorts } from '../helpers/lanes.js';

const shanghai = (iso: string) => Date.parse(`${iso}+08:00`);

const PERSONAS = `
personas:
  - name: answers-and-hangs-up
    number: '/^1391\\d{7}$/'
    steps: [{ ring: 100 }, answer, { wait: 300 }, hangup]
  - name: always-busy
    number: '/^1392\\d{7}$/'
    steps: [{ reject: { status: 486, reason: Busy Here } }]
  - name: declines
    number: '/^1393\\d{7}$/'
    steps: [{ ring: 100 }, { reject: { status: 603, reason: Decline } }]
  - name: vacant
    number: '/^1394\\d{7}$/'
    steps: [{ reject: { status: 404, reason: Not Found } }]
  - name: switched-off
    number: '/^1395\\d{7}$/'
    steps: [{ reject: { status: 480, reason: Temporarily Unavailable } }]
`;

/** 300 answer, 60 busy, 40 decline, 40 vacant, 60 switched off. */
function numbers(): { number: string; kind: string }[] {
  const out: { number: string; kind: string }[] = [];
  const add = (prefix: string, n: number, kind: string) => {
    for (let i = 0; i < n; i++) out.push({ number: `${prefix}${String(i).padStart(7, '0')}`, kind });
  };
  add('1391', 300, 'answered');
  add('1392', 60, 'busy');
  add('1393', 40, 'declined');
  add('1394', 40, 'vacant');
  add('1395', 60, 'powered-off');
  return out;
}

async function until(what: string, check: () => boolean, timeoutMs = 40_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a 500-number campaign through the policy gate and the dialer', () => {
  let e2e: E2e;
  const clock = new ManualClock({ start: shanghai('2025-06-02T20:30:00') });
  let dir: string;
  let removeDir = () => {};
  before(async () => {
    const { tempDir } = await import('../helpers/tempDir.js');
    const t = tempDir('campaign-personas-');
    dir = t.path;
    removeDir = () => t.remove();
    const file = join(dir, 'personas.yaml');
    writeFileSync(file, PERSONAS);
    e2e = await startE2e(
      {
        phonenet: { sipPort: 0, ...laneRtpPorts('phonenet'), personasFiles: [file] },
        calls: { ringTimeoutSeconds: 5 },
      },
      { policyClock: clock },
    );
  });
  after(async () => {
    await e2e.close();
    removeDir();
  });

  test('every number meets its fate', { timeout: 120_000 }, async () => {
    const { store } = e2e.running;
    const account = store.accounts.findByName('demo')!.id;
    const second = '057100009999';
    e2e.admin.addNumber('demo', second);
    const all = numbers();
    // Ten answerers are on the list before, five more are listed once the campaign exists.
    const listedBefore = all
      .filter((r) => r.kind === 'answered')
      .slice(0, 10)
      .map((r) => r.number);
    const listedAfter = all
      .filter((r) => r.kind === 'answered')
      .slice(10, 15)
      .map((r) => r.number);
    store.policies.addDnc(account, listedBefore, 'cli', clock.now());
    const csv = `number,OutId,name\n${all.map((r, i) => `${r.number},o${i},${i % 2 ? '王先生' : '李女士'}`).join('\n')}\n`;
    const { id, checks } = createCampaign(store, {
      accountId: account,
      name: 'june',
      settings: {
        voiceCode: '$name$',
        showNumbers: [e2e.displayNumber, second],
        policy: { window: '09:00-20:00', retry: 'busy,powered-off:1x30m', caps: { minGap: '45m' } },
      },
      rows: readCampaignCsv(csv),
      now: clock.now(),
      outIdMaxBytes: 15,
    });
    assert.equal(checks.filter((c) => c.skip).length, 10);
    store.policies.addDnc(account, listedAfter, 'cli', clock.now());
    e2e.running.gate.refresh();

    // 20:30: outside the window, nothing is called; every row waits for 09:00 the next day.
    e2e.running.campaigns.poll();
    assert.equal(store.calls.countByState().queued ?? 0, 0);
    const waiting = store.campaigns.rows(id, { state: 'waiting' });
    assert.equal(waiting.length, 485);
    assert.ok(waiting.every((r) => r.nextAt === shanghai('2025-06-03T09:00:00')));
    assert.match(waiting[0]!.reason!, /outside the campaign calling window/);

    // 09:00: the first attempts.
    clock.advance(shanghai('2025-06-03T09:00:00') - clock.now());
    const firstRoundDone = () => {
      const c = store.campaigns.countRows(id);
      return (c.calling ?? 0) === 0 && (c.pending ?? 0) === 0 && (c.waiting ?? 0) === 120;
    };
    await until('the first round', firstRoundDone, 60_000);

    // 09:31: the retries are due (30 min) but the 45 min gap holds them until 09:45.
    clock.advance(31 * 60_000);
    e2e.running.campaigns.poll();
    const held = store.campaigns.rows(id, { state: 'waiting' });
    assert.equal(held.length, 120);
    assert.ok(
      held.every((r) => /campaign cap: at least 2700 s/.test(r.reason ?? '')),
      held[0]!.reason!,
    );
    clock.advance(15 * 60_000);
    await until('the retries', () => store.campaigns.find(id)!.state === 'done', 60_000);

    const rows = store.campaigns.rows(id);
    assert.equal(rows.length, 500);
    const kindOf = new Map(all.map((r) => [r.number, r.kind]));
    const shownTo = new Map<string, Set<string>>();
    for (const row of rows) {
      const kind = kindOf.get(row.calledNumber)!;
      const fate = `${row.calledNumber} ${row.state} ${row.outcome} ${row.attempts} ${row.reason}`;
      if (listedBefore.includes(row.calledNumber) || listedAfter.includes(row.calledNumber)) {
        assert.equal(row.state, 'skipped', fate);
        assert.match(row.reason!, /do-not-call/, fate);
        assert.equal(row.attempts, 0, fate);
        continue;
      }
      assert.equal(row.state, 'done', fate);
      assert.equal(row.outcome, kind, fate);
      assert.equal(row.attempts, kind === 'busy' || kind === 'powered-off' ? 2 : 1, fate);
    }
    const calls = store.calls
      .page({ accountId: account }, undefined, 10_000)
      .filter((c) => (JSON.parse(c.request) as { campaignId?: number }).campaignId === id);
    assert.equal(calls.length, 485 + 120);
    for (const c of calls) {
      let set = shownTo.get(c.calledNumber);
      if (!set) {
        set = new Set();
        shownTo.set(c.calledNumber, set);
      }
      set.add(c.calledShowNumber);
    }
    assert.ok(
      [...shownTo.values()].every((s) => s.size === 1),
      'a callee sees the same display number',
    );
    const used = calls.map((c) => c.calledShowNumber);
    assert.ok(
      used.filter((n) => n === second).length > 200 &&
        used.filter((n) => n === e2e.displayNumber).length > 200,
    );
    // The trunk's CPS (50) over any sliding second.
    const starts = calls.map((c) => c.originateAt!).sort((a, b) => a - b);
    let max = 0;
    for (let i = 0, j = 0; i < starts.length; i++) {
      while (starts[i]! - starts[j]! >= 1000) j++;
      max = Math.max(max, i - j + 1);
    }
    assert.ok(max <= 50, `${max} starts within one second`);
    // Each decision is on the call.
    const retried = calls.find(
      (c) =>
        c.calledNumber.startsWith('1392') &&
        store.policies.decisions(c.callId).some((d) => /had waited/.test(d.detail)),
    );
    assert.ok(retried, 'a retry records why it waited');
    assert.ok(store.policies.decisions(calls[0]!.callId).some((d) => d.decision === 'caller-id'));
  });

  test('BatchRobotSmartCall and its query actions through the official client', async () => {
    const { store } = e2e.running;
    const account = store.accounts.findByName('demo')!.id;
    store.ttsTemplates.insert({
      id: 'TTS_100001',
      accountId: account,
      name: 'hello',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a TTS template's placeholder
      text: '您好${name}',
      createdAt: clock.now(),
    });
    const creds = {
      endpoint: e2e.endpoint,
      accessKeyId: e2e.accessKeyId,
      accessKeySecret: e2e.accessKeySecret,
    };
    const created = await callAction('core', creds, 'BatchRobotSmartCall', {
      CalledShowNumber: e2e.displayNumber,
      CalledNumber: '13930000001,13940000001,13920000001',
      DialogId: 'TTS_100001',
      TaskName: '批量任务测试',
      TtsParamHead: '["name"]',
      TtsParam: '[{"number":"all","params":["先生"]}]',
    });
    assert.equal(created.code, 'OK', JSON.stringify(created));
    const taskId = String(created.body!.TaskId);
    await until('the task', () => store.campaigns.find(Number(taskId))!.state === 'done');
    const detail = await callAction('core', creds, 'QueryRobotTaskDetail', { Id: taskId });
    const data = JSON.parse(String(detail.body!.Data));
    assert.equal(data.status, 'FINISH');
    assert.equal(data.taskName, '批量任务测试');
    assert.equal(data.robotId, 'TTS_100001');
    const list = await callAction('core', creds, 'QueryRobotTaskCallList', {
      TaskId: taskId,
      PageNo: '1',
      PageSize: '10',
    });
    const page = JSON.parse(String(list.body!.Data));
    assert.equal(page.totalCount, 3);
    assert.deepEqual(
      page.list.map((r: { called: string; callResult: string }) => [r.called, r.callResult]),
      [
        ['13930000001', '200005'],
        ['13940000001', '200004'],
        ['13920000001', '200002'],
      ],
    );
    const tooMany = await callAction('core', creds, 'BatchRobotSmartCall', {
      CalledShowNumber: e2e.displayNumber,
      CalledNumber: Array.from({ length: 1001 }, (_, i) => `1391${String(i).padStart(7, '0')}`).join(','),
      DialogId: 'TTS_100001',
      TaskName: 'x',
    });
    assert.equal(tooMany.code, 'isv.VOICE_ROBOT_CALLEE_LIMIT');
    const later = await callAction('core', creds, 'BatchRobotSmartCall', {
      CalledShowNumber: e2e.displayNumber,
      CalledNumber: '13910000001',
      DialogId: 'TTS_100001',
      TaskName: 'later',
      ScheduleCall: 'true',
      ScheduleTime: String(clock.now() + 86_400_000),
    });
    const laterId = String(later.body!.TaskId);
    const stopped = await callAction('core', creds, 'StopRobotTask', { TaskId: laterId });
    assert.equal(stopped.code, 'OK');
    const cancelled = await callAction('core', creds, 'CancelRobotTask', { TaskId: laterId });
    assert.equal(cancelled.code, 'OK');
    const d2 = JSON.parse(
      String((await callAction('core', creds, 'QueryRobotTaskDetail', { Id: laterId })).body!.Data),
    );
    assert.equal(d2.status, 'CANCEL');
    assert.equal(d2.scheduleType, 'ORDER');
  });

  test('a SmartCall to a listed number is refused; over the cap: isv.BUSINESS_LIMIT_CONTROL; outside the window it waits', async () => {
    const { store } = e2e.running;
    const account = store.accounts.findByName('demo')!.id;
    const listed = await e2e.smartCall({
      CalledNumber: '13910000001',
      VoiceCode: '$t$',
      VoiceCodeParam: '{"t":"您好"}',
    });
    assert.equal(listed.code, 'isv.COMPLAINT_REJECT');
    store.policies.set(account, JSON.stringify({ caps: { perHour: 1 }, window: '09:00-20:00' }), clock.now());
    e2e.running.gate.refresh();
    const first = await e2e.smartCall({
      CalledNumber: '13920009995',
      VoiceCode: '$t$',
      VoiceCodeParam: '{"t":"您好"}',
    });
    assert.equal(first.code, 'OK');
    const second = await e2e.smartCall({
      CalledNumber: '13920009995',
      VoiceCode: '$t$',
      VoiceCodeParam: '{"t":"您好"}',
    });
    assert.equal(second.code, 'isv.BUSINESS_LIMIT_CONTROL');
    clock.advance(shanghai('2025-06-03T21:00:00') - clock.now());
    const late = await e2e.smartCall({
      CalledNumber: '13920009996',
      VoiceCode: '$t$',
      VoiceCodeParam: '{"t":"您好"}',
    });
    const callId = String(late.body!.CallId);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(store.calls.find(callId)!.state, 'queued', 'held until 09:00');
    assert.ok(store.policies.decisions(callId).some((d) => d.decision === 'wait' && /09:00/.test(d.detail)));
    clock.advance(12 * 3_600_000);
    const ended = await e2e.waitForEnd(callId, 20_000);
    assert.equal(ended.statusCode, '200002');
  });
});
