/**
 * `smartcall admin receipts` as an operator runs it: one push URL per MessageType, as the Alibaba
 * console sets it (`--type T --url U`), beside the older one-URL form (`--url U --types …`), and
 * `receipts show --json` saying where each type goes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { tempDir } from '../helpers/tempDir.js';

const dir = tempDir();
after(() => dir.remove());

function smartcall(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/smartcall.js', '--data-dir', dir.path, ...args], {
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

test('receipts set --type gives each MessageType its own URL; receipts show --json lists them', () => {
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'acme').status, 0);
  const set = (...args: string[]) => {
    const r = smartcall('admin', 'receipts', 'set', '--account', 'acme', ...args, '--json');
    assert.equal(r.status, 0, r.stderr);
    return r.json();
  };
  set('--url', 'http://127.0.0.1:9000/all', '--types', 'VoiceCallReport,VoiceRecordReport');
  const after = set('--type', 'VoiceReport', '--url', 'http://127.0.0.1:9000/cdr');
  assert.deepEqual(after.receipts.routes, {
    VoiceCallReport: 'http://127.0.0.1:9000/all',
    VoiceReport: 'http://127.0.0.1:9000/cdr',
    VoiceRecordReport: 'http://127.0.0.1:9000/all',
  });
  set('--type', 'VoiceRecordReport', '--url', 'http://127.0.0.1:9000/rec');
  assert.deepEqual(smartcall('admin', 'receipts', 'show', '--account', 'acme', '--json').json(), {
    url: 'http://127.0.0.1:9000/all',
    types: ['VoiceCallReport', 'VoiceRecordReport'],
    typeUrls: { VoiceReport: 'http://127.0.0.1:9000/cdr', VoiceRecordReport: 'http://127.0.0.1:9000/rec' },
    routes: {
      VoiceCallReport: 'http://127.0.0.1:9000/all',
      VoiceReport: 'http://127.0.0.1:9000/cdr',
      VoiceRecordReport: 'http://127.0.0.1:9000/rec',
    },
  });
  // An empty --url with --type removes that type's own URL; the account URL serves it again.
  set('--type', 'VoiceRecordReport', '--url', '');
  const shown = smartcall('admin', 'receipts', 'show', '--account', 'acme', '--json').json();
  assert.deepEqual(shown.typeUrls, { VoiceReport: 'http://127.0.0.1:9000/cdr' });
  assert.equal(shown.routes.VoiceRecordReport, 'http://127.0.0.1:9000/all');
  const text = smartcall(
    'admin',
    'receipts',
    'set',
    '--account',
    'acme',
    '--type',
    'VoiceReport',
    '--url',
    'http://127.0.0.1:9000/cdr2',
  );
  assert.match(text.stdout, /VoiceReport: http:\/\/127\.0\.0\.1:9000\/cdr2/);
});

test('receipts set --type refuses an unknown MessageType, a missing --url, and --types beside it', () => {
  smartcall('admin', 'account', 'create', '--name', 'beta');
  const cases: [string[], RegExp][] = [
    [['--type', 'SmsReport', '--url', 'http://127.0.0.1:9000/x'], /unknown receipt type "SmsReport"/],
    [['--type', 'VoiceReport'], /needs --url/],
    [['--type', 'VoiceReport', '--url', 'http://127.0.0.1:9000/x', '--types', 'VoiceReport'], /not both/],
  ];
  for (const [args, why] of cases) {
    const r = smartcall('admin', 'receipts', 'set', '--account', 'beta', ...args, '--json');
    assert.equal(r.status, 1, args.join(' '));
    assert.match(JSON.parse(r.stderr).error, why);
  }
});
