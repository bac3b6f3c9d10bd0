/**
 * `smartcall admin amd set|show|off` and `admin call show` through the real CLI: each flag's effect
 * is read back from the store the call engine reads (the account's AMD setting), bad input gets a
 * message and exit 1.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
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

function stored(): unknown {
  const store = SqliteStore.open(dir.path);
  try {
    const id = store.accounts.findByName('acme')!.id;
    const json = store.amdSettings.get(id);
    return json ? JSON.parse(json) : null;
  } finally {
    store.close();
  }
}

before(() => {
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'acme').status, 0);
  const t = smartcall(
    'admin',
    'tts-template',
    'add',
    '--account',
    'acme',
    '--id',
    'TTS_100',
    '--text',
    '请回电',
  );
  assert.equal(t.status, 0, t.stderr);
});

test('detection is off until set; show says so', () => {
  assert.equal(stored(), null);
  const r = smartcall('admin', 'amd', 'show', '--account', 'acme', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json().amd, null);
});

test('--machine hangup turns detection on with the default max-ms', () => {
  const r = smartcall('admin', 'amd', 'set', '--account', 'acme', '--machine', 'hangup', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(stored(), { machine: 'hangup', maxMs: 4000 });
  assert.match(
    smartcall('admin', 'amd', 'show', '--account', 'acme').stdout,
    /on \(decides within 4000 ms\); a machine: hang up/,
  );
});

test('--max-ms changes the decision bound and keeps the action', () => {
  const r = smartcall('admin', 'amd', 'set', '--account', 'acme', '--max-ms', '2500');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(stored(), { machine: 'hangup', maxMs: 2500 });
});

test('--machine message with --message-voice-code leaves that message', () => {
  const r = smartcall(
    'admin',
    'amd',
    'set',
    '--account',
    'acme',
    '--machine',
    'message',
    '--message-voice-code',
    'TTS_100',
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(stored(), { machine: 'message', maxMs: 2500, messageVoiceCode: 'TTS_100' });
});

test('bad input: a message and exit 1, nothing stored', () => {
  const before = stored();
  const cases: [string[], RegExp][] = [
    [['--machine', 'shout'], /--machine must be one of report, hangup, message/],
    [['--max-ms', '50'], /--max-ms must be a whole number of ms from 1000 to 10000/],
    [['--max-ms', 'soon'], /--max-ms must be a number/],
    [['--message-voice-code', 'nope.wav'], /not a voice file or TTS template of this account/],
    [['--message-voice-code', '$name$'], /\$var\$ has no value here/],
  ];
  for (const [flags, message] of cases) {
    const r = smartcall('admin', 'amd', 'set', '--account', 'acme', ...flags);
    assert.equal(r.status, 1, `${flags.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, message);
  }
  const other = smartcall('admin', 'amd', 'set', '--account', 'nobody', '--machine', 'hangup');
  assert.equal(other.status, 1);
  assert.match(other.stderr, /no account named nobody/);
  assert.deepEqual(stored(), before);
  // message without a voice code is refused too
  smartcall('admin', 'amd', 'off', '--account', 'acme');
  const bare = smartcall('admin', 'amd', 'set', '--account', 'acme', '--machine', 'message');
  assert.equal(bare.status, 1);
  assert.match(bare.stderr, /needs a message voice code/);
});

test('off turns detection off', () => {
  smartcall('admin', 'amd', 'set', '--account', 'acme', '--machine', 'report');
  assert.deepEqual(stored(), { machine: 'report', maxMs: 4000 });
  const r = smartcall('admin', 'amd', 'off', '--account', 'acme');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /off/);
  assert.equal(stored(), null);
});

test('admin call show prints the detection of a call', () => {
  const store = SqliteStore.open(dir.path);
  try {
    const account = store.accounts.findByName('acme')!.id;
    store.calls.insert({
      callId: '1^1',
      accountId: account,
      state: 'ended',
      calledNumber: '13800000021',
      calledShowNumber: '057100000001',
      outId: null,
      dynamicId: null,
      request: '{}',
      createdAt: 1,
      originateAt: null,
      ringAt: null,
      answerAt: null,
      endAt: null,
      statusCode: '200000',
      smartStatusCode: null,
      statusMsg: null,
      hangupDirection: null,
      trunk: null,
      sipStatus: null,
      sipReason: null,
      dtmf: null,
      earlyMediaCode: null,
      recordPath: null,
      recordBeginAt: null,
      parallelLegHangupCause: null,
    });
    store.calls.update('1^1', {
      amd: JSON.stringify({
        result: 'machine',
        reason: 'beep',
        afterMs: 1800,
        greetingMs: 1200,
        action: 'hangup',
      }),
    });
  } finally {
    store.close();
  }
  const json = smartcall('admin', 'call', 'show', '--call-id', '1^1', '--json');
  assert.equal(json.status, 0, json.stderr);
  assert.equal(json.json().amd.result, 'machine');
  assert.match(
    smartcall('admin', 'call', 'show', '--call-id', '1^1').stdout,
    /answering machine: machine \(beep, 1800 ms\), hangup/,
  );
});
