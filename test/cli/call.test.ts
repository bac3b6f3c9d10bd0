/**
 * `smartcall call` against a running `smartcall serve --phonenet FILE`: the callees are personas from
 * the file (numbers no built-in persona has), so each call shows both that serve used the file and
 * that each `call` flag reached the SmartCall request.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tempDir.js';
import { type Running, smartcall, smartcallAsync, start, stopAll } from './cliHarness.js';

const dir = tempDir('smartcall-call-');
const data = join(dir.path, 'data');
const personas = join(dir.path, 'personas.yaml');
writeFileSync(
  personas,
  `personas:
  - name: file-listener
    number: "13912340001"
    steps:
      - ring: 200
      - answer
      - wait: { until: prompt-end, maxMs: 15000 }
      - hangup
  - name: file-busy
    number: "13912340002"
    steps:
      - reject: { status: 486 }
`,
);
let httpPort: number;
let endpoint: string;
/** A config naming the server's HTTP port, so `call` finds it without --endpoint. */
let configWithPort: string;
let server: Running;

before(async () => {
  httpPort = await freePort();
  endpoint = `127.0.0.1:${httpPort}`;
  const config = join(dir.path, 'serve.yaml');
  writeFileSync(config, 'phonenet: { sipPort: 0 }\n');
  configWithPort = join(dir.path, 'call.yaml');
  writeFileSync(configWithPort, `http: { port: ${httpPort} }\n`);
  server = await start(
    [
      'serve',
      '--config',
      config,
      '--data-dir',
      data,
      '--http-port',
      String(httpPort),
      '--sip-port',
      '0',
      '--phonenet',
      personas,
      // The calls' media (and the personas') run on worker threads: the whole path through the CLI.
      '--media-workers',
      '2',
      '--log-level',
      'warn',
    ],
    (out) => /display number:.*\n/.test(out),
    { cwd: dir.path },
  );
  // A second account with two numbers, for --account, --from and the key flags.
  const admin = (...args: string[]) => {
    const r = smartcall(['--data-dir', data, 'admin', ...args, '--json']);
    assert.equal(r.status, 0, r.stderr);
    return r.json();
  };
  admin('account', 'create', '--name', 'acme');
  admin('number', 'add', '--account', 'acme', '--number', '057100000001');
  admin('number', 'add', '--account', 'acme', '--number', '057100000002');
});
after(async () => {
  await server?.stop();
  await stopAll();
  dir.remove();
});

function recordings(): string[] {
  try {
    return readdirSync(join(data, 'recordings'), { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.wav'),
    );
  } catch {
    return [];
  }
}

test('call --text --record --endpoint: a persona from the --phonenet file answers, hears the text, is recorded', async () => {
  const r = await smartcallAsync(
    [
      '--data-dir',
      data,
      'call',
      '--to',
      '13912340001',
      '--text',
      '文件里的客户你好',
      '--record',
      '--endpoint',
      endpoint,
    ],
    { cwd: dir.path },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SmartCall accepted: CallId \S+ \(to 13912340001, from \d+\)/);
  assert.match(r.stdout, /answered/, 'the file persona answered (no built-in persona has this number)');
  assert.match(r.stdout, /bot:\s+文件里的客户你好/);
  assert.match(r.stdout, /ended: 200000 /);
  const deadline = Date.now() + 10_000;
  while (recordings().length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
  assert.equal(recordings().length, 1, '--record asked for a recording');
  // --media-workers 2: the calls' media ran on two threads, and /metrics shows them.
  const metrics = await (await fetch(`http://${endpoint}/metrics`)).text();
  assert.match(metrics, /smartcall_media_worker_calls\{worker="0"\} \d/);
  assert.match(metrics, /smartcall_media_worker_calls\{worker="1"\} \d/);
  assert.match(metrics, /smartcall_media_worker_restarts_total\{worker="1"\} 0/);
});

test('call --voice-code --param --account --from, finding the API through --config', async () => {
  const r = await smartcallAsync(
    [
      '--config',
      configWithPort,
      '--data-dir',
      data,
      'call',
      '--to',
      '13912340001',
      '--voice-code',
      '$greet$',
      '--param',
      '{"greet":"参数里的问候"}',
      '--account',
      'acme',
      '--from',
      '057100000002',
    ],
    { cwd: dir.path },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\(to 13912340001, from 057100000002\)/, "--from, not the account's first number");
  assert.match(r.stdout, /bot:\s+参数里的问候/);
  const saved = JSON.parse(readFileSync(join(data, 'cli-key.json'), 'utf8'));
  assert.equal(saved.account, 'acme', '--account chose whose key signs the call');
  assert.equal(recordings().length, 1, 'no --record, no new recording');
});

test('call --json --access-key-id --access-key-secret: the key given signs; the detail is JSON', async () => {
  const key = smartcall(['--data-dir', data, 'admin', 'key', 'create', '--account', 'acme', '--json']).json();
  const r = await smartcallAsync(
    [
      '--data-dir',
      data,
      'call',
      '--to',
      '13912340002',
      '--from',
      '057100000001',
      '--access-key-id',
      key.accessKeyId,
      '--access-key-secret',
      key.accessKeySecret,
      '--endpoint',
      endpoint,
      '--json',
    ],
    { cwd: dir.path },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout);
  assert.match(out.callId, /^\d+\^\d+$/);
  assert.equal(out.detail.callee, '13912340002');
  assert.equal(out.detail.caller, '057100000001');
  assert.equal(out.detail.state, '200002', 'USER_BUSY: the file persona rejected with 486');

  const wrong = ['--to', '13912340002', '--from', '057100000001', '--endpoint', endpoint];
  const badFlag = smartcall([
    '--data-dir',
    data,
    'call',
    ...wrong,
    '--access-key-id',
    key.accessKeyId,
    '--access-key-secret',
    'not-the-secret',
  ]);
  assert.equal(badFlag.status, 1);
  assert.match(badFlag.stderr, /SignatureDoesNotMatch|Signature/i);
  const badEnv = smartcall(['--data-dir', data, 'call', ...wrong], {
    env: {
      ...process.env,
      ALIBABA_CLOUD_ACCESS_KEY_ID: key.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'not-the-secret',
    },
  });
  assert.equal(badEnv.status, 1, 'ALIBABA_CLOUD_ACCESS_KEY_* are used');
  assert.match(badEnv.stderr, /Signature/i);
});

test('call --timeout stops following a call that never ends', async () => {
  const t0 = Date.now();
  const r = await smartcallAsync(
    ['--data-dir', data, 'call', '--to', '13800000004', '--timeout', '1', '--endpoint', endpoint],
    { cwd: dir.path, killAfterMs: 20_000 },
  );
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /SmartCall accepted/);
  assert.match(r.stderr, /timeout|abort/i);
  assert.ok(Date.now() - t0 < 10_000, 'gave up after about a second, not at the 60 s ring timeout');
});
