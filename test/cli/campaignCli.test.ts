/**
 * `smartcall campaign …`, `smartcall admin policy …`, `smartcall admin dnc …` and `smartcall admin
 * call show` through the real CLI: every flag's effect is read back (the stored campaign, policy or
 * list the server's gate and runner obey), bad input gets a message and exit 1.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { newQueuedCall } from '../../src/calls/newCall.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { tempDir } from '../helpers/tempDir.js';

const dir = tempDir();
after(() => dir.remove());

function smartcall(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/smartcall.js', '--data-dir', dir.path, ...args], {
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

const csvFile = join(dir.path, 'numbers.csv');
before(() => {
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'acme').status, 0);
  smartcall('admin', 'number', 'add', '--account', 'acme', '--number', '057100000001');
  smartcall('admin', 'number', 'add', '--account', 'acme', '--number', '01000000001');
  writeFileSync(
    csvFile,
    [
      'number,OutId,name',
      '13800000001,a1,王先生',
      '13800000002,a2,李女士',
      '12345,a3,bad',
      '13800000001,a4,again',
      '13800000003,a5,',
      '13800000009,a6,listed',
      '13800000004,a7,张先生',
    ].join('\n'),
  );
});

test('do-not-call lists: add, import a file, list, remove; the operator list apart', () => {
  const added = smartcall('admin', 'dnc', 'add', '--account', 'acme', '--number', '13800000009', '--json');
  assert.equal(added.status, 0, added.stderr);
  assert.equal(added.json().added, 1);
  const file = join(dir.path, 'dnc.csv');
  writeFileSync(file, 'number\n13800000007\n13800000008\n');
  assert.equal(
    smartcall('admin', 'dnc', 'import', '--account', 'acme', '--file', file, '--json').json().added,
    2,
  );
  assert.equal(
    smartcall('admin', 'dnc', 'add', '--global', '--number', '13800000006', '--json').json().added,
    1,
  );
  const list = smartcall('admin', 'dnc', 'list', '--account', 'acme', '--json').json();
  assert.deepEqual(
    list.map((r: { number: string; reason: string }) => [r.number, r.reason]),
    [
      ['13800000007', 'import'],
      ['13800000008', 'import'],
      ['13800000009', 'cli'],
    ],
  );
  assert.equal(
    smartcall('admin', 'dnc', 'remove', '--account', 'acme', '--number', '13800000008', '--json').json()
      .removed,
    1,
  );
  assert.deepEqual(
    smartcall('admin', 'dnc', 'list', '--global', '--json')
      .json()
      .map((r: { number: string }) => r.number),
    ['13800000006'],
  );
  const bad = smartcall('admin', 'dnc', 'add', '--account', 'acme', '--number', 'abc');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /"abc" is not a phone number/);
  assert.match(smartcall('admin', 'dnc', 'list').stderr, /--account <name> or --global/);
});

test('campaign create --dry-run lists the rows it would skip and why, and creates nothing', () => {
  const r = smartcall(
    ...['campaign', 'create', '--account', 'acme', '--file', csvFile, '--voice-code', '$name$'],
    ...['--show-number', '057100000001', '--dry-run', '--json'],
  );
  assert.equal(r.status, 0, r.stderr);
  const out = r.json();
  assert.equal(out.dryRun, true);
  assert.equal(out.id, null);
  assert.deepEqual(
    out.skipped.map((s: { line: number; reason: string }) => [s.line, s.reason]),
    [
      [4, '"12345" is not a mainland China number'],
      [5, 'duplicate of line 2'],
      [6, 'no value for $name$'],
      [7, "on the account's do-not-call list"],
    ],
  );
  assert.deepEqual(smartcall('campaign', 'list', '--json').json(), []);
});

test('campaign create stores its window, holidays, retries, caps and pool; show, pause, resume, export, cancel', () => {
  const r = smartcall(
    ...[
      'campaign',
      'create',
      '--account',
      'acme',
      '--file',
      csvFile,
      '--voice-code',
      '$name$',
      '--name',
      'june',
    ],
    ...[
      '--show-number',
      '057100000001,01000000001',
      '--window',
      'mon-fri 09:00-20:00',
      '--holidays',
      '2025-10-01',
    ],
    ...[
      '--retry',
      'busy,no-answer:3x30m',
      '--cap-day',
      '2',
      '--cap-hour',
      '1',
      '--cap-minute',
      '1',
      '--min-gap',
      '45m',
    ],
    ...['--caller-id-strategy', 'region', '--json'],
  );
  assert.equal(r.status, 0, r.stderr);
  const id = String(r.json().id);
  assert.equal(r.json().toCall, 3);
  const shown = smartcall('campaign', 'show', '--id', id, '--json').json();
  assert.equal(shown.name, 'june');
  assert.equal(shown.state, 'running');
  assert.deepEqual(shown.settings.showNumbers, ['057100000001', '01000000001']);
  assert.deepEqual(shown.settings.policy, {
    window: 'mon-fri 09:00-20:00',
    holidays: ['2025-10-01'],
    retry: 'busy,no-answer:3x30m',
    caps: { perMinute: 1, perHour: 1, perDay: 2, minGap: '45m' },
    callerIds: { numbers: [], strategy: 'region' },
  });
  assert.deepEqual(shown.progress, { pending: 3, skipped: 4 });
  assert.equal(smartcall('campaign', 'pause', '--id', id, '--json').json().state, 'paused');
  assert.equal(smartcall('campaign', 'resume', '--id', id, '--json').json().state, 'running');
  const csv = smartcall('campaign', 'export', '--id', id).stdout.trim().split('\n');
  assert.equal(csv[0], 'line,number,out_id,state,attempts,outcome,status_code,reason,call_id');
  assert.equal(csv.length, 8);
  assert.equal(csv[5], '6,13800000003,a5,skipped,0,,,no value for $name$,');
  const outFile = join(dir.path, 'out.csv');
  assert.equal(smartcall('campaign', 'export', '--id', id, '--out', outFile, '--json').json().file, outFile);
  const cancelled = smartcall('campaign', 'cancel', '--id', id, '--json').json();
  assert.equal(cancelled.state, 'cancelled');
  assert.deepEqual(cancelled.progress, { cancelled: 3, skipped: 4 });
  const again = smartcall('campaign', 'resume', '--id', id);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /is cancelled: it cannot be resumed/);
});

test('campaign create refuses bad input with a clear message', () => {
  const base = ['campaign', 'create', '--account', 'acme', '--file', csvFile, '--voice-code', '$name$'];
  const cases: [string[], RegExp][] = [
    [[...base, '--show-number', '057199999999'], /057199999999 is not a number of acme/],
    [[...base, '--show-number', '057100000001', '--window', '20:00-09:00'], /end must come after the start/],
    [[...base, '--show-number', '057100000001', '--retry', 'declined:1x1m'], /never called again/],
    [[...base, '--show-number', '057100000001', '--caller-id-strategy', 'random'], /region or round-robin/],
    [
      [
        'campaign',
        'create',
        '--account',
        'acme',
        '--file',
        '/nope.csv',
        '--voice-code',
        '$n$',
        '--show-number',
        '057100000001',
      ],
      /cannot read/,
    ],
    [
      [...base.slice(0, 4), '--file', csvFile, '--voice-code', 'nofile.wav', '--show-number', '057100000001'],
      /not a voice file/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = smartcall(...args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, message);
  }
});

test('admin policy set / show: every flag lands in the policy the gate reads; --global for the operator', () => {
  const r = smartcall(
    ...[
      'admin',
      'policy',
      'set',
      '--account',
      'acme',
      '--window',
      '09:00-21:00',
      '--holidays',
      '2025-10-01,2025-10-02',
    ],
    ...[
      '--cap-minute',
      '1',
      '--cap-hour',
      '3',
      '--cap-day',
      '5',
      '--min-gap',
      '10m',
      '--retry',
      'busy:2x10m',
    ],
    ...['--caller-ids', '057100000001,01000000001', '--caller-id-strategy', 'region'],
    ...['--time-zone', '1=America/Los_Angeles', '--opt-out-key', '9', '--json'],
  );
  assert.equal(r.status, 0, r.stderr);
  const shown = smartcall('admin', 'policy', 'show', '--account', 'acme', '--json').json();
  assert.deepEqual(shown.policy, {
    window: '09:00-21:00',
    holidays: ['2025-10-01', '2025-10-02'],
    retry: 'busy:2x10m',
    caps: { perMinute: 1, perHour: 3, perDay: 5, minGap: '10m' },
    callerIds: { numbers: ['057100000001', '01000000001'], strategy: 'region' },
    timeZones: { '1': 'America/Los_Angeles' },
    optOut: { key: '9' },
  });
  // Later changes keep the rest; --clear starts over.
  smartcall('admin', 'policy', 'set', '--account', 'acme', '--window', '10:00-18:00');
  assert.equal(
    smartcall('admin', 'policy', 'show', '--account', 'acme', '--json').json().policy.caps.perDay,
    5,
  );
  smartcall('admin', 'policy', 'set', '--account', 'acme', '--clear', '--window', '10:00-18:00');
  assert.deepEqual(smartcall('admin', 'policy', 'show', '--account', 'acme', '--json').json().policy, {
    window: '10:00-18:00',
  });
  assert.equal(smartcall('admin', 'policy', 'set', '--global', '--window', '08:00-22:00').status, 0);
  assert.equal(
    smartcall('admin', 'policy', 'show', '--global', '--json').json().policy.window,
    '08:00-22:00',
  );
  const bad = smartcall('admin', 'policy', 'set', '--account', 'acme', '--opt-out-key', '12');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /one key/);
  const zone = smartcall('admin', 'policy', 'set', '--account', 'acme', '--time-zone', '1=Mars/Base');
  assert.match(zone.stderr, /not a time zone/);
  const pool = smartcall('admin', 'policy', 'set', '--account', 'acme', '--caller-ids', '057199999999');
  assert.match(pool.stderr, /not a number of this account/);
});

test('admin call show prints the call with every policy decision', () => {
  const store = SqliteStore.open(dir.path);
  try {
    const account = store.accounts.findByName('acme')!.id;
    store.calls.insert(
      newQueuedCall({
        callId: '100^200',
        accountId: account,
        calledNumber: '13800000001',
        calledShowNumber: '057100000001',
        outId: null,
        dynamicId: null,
        request: '{}',
        createdAt: 1_750_000_000_000,
      }),
    );
    store.policies.addDecision({
      callId: '100^200',
      at: 1_750_000_000_000,
      decision: 'wait',
      detail: 'outside the account calling window',
    });
  } finally {
    store.close();
  }
  const r = smartcall('admin', 'call', 'show', '--call-id', '100^200', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(
    r.json().decisions.map((d: { decision: string; detail: string }) => [d.decision, d.detail]),
    [['wait', 'outside the account calling window']],
  );
  assert.match(
    smartcall('admin', 'call', 'show', '--call-id', '100^200').stdout,
    /wait: outside the account calling window/,
  );
  assert.match(smartcall('admin', 'call', 'show', '--call-id', 'nope').stderr, /no call nope/);
});
