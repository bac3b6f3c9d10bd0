/**
 * Inbound smart calls through the real CLI: `admin number add --inbound` makes a number take calls
 * (before it, 404), and `phonenet dial` has a persona call a running `smartcall serve` — `--from`
 * is the caller the callback sees, `--to` the number called, `--server` where the INVITE goes,
 * `--personas` adds callers, `--run-dir` keeps the timeline and recording, `--ring-timeout` gives up.
 * In embedded mode nothing else is needed: the phonenet trunk admits the phonenet's address.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CallbackServer } from '../helpers/e2eHarness.js';
import { tempDir } from '../helpers/tempDir.js';
import { smartcall as run, smartcallAsync, start, stopAll } from './cliHarness.js';

const dir = tempDir('smartcall-inbound-');
const config = join(dir.path, 'smartcall.yaml');
writeFileSync(config, 'phonenet: { sipPort: 0 }\n');
const personas = join(dir.path, 'callers.yaml');
writeFileSync(
  personas,
  `personas:
  - name: shopper
    number: "13900007777"
    steps:
      - wait: { until: prompt-end, maxMs: 8000 }
      - say: hello
      - wait: { until: prompt-end, maxMs: 8000 }
`,
);
const callbacks = new CallbackServer();
after(async () => {
  await stopAll();
  await callbacks.close();
  dir.remove();
});
const smartcall = (...args: string[]) => run(['--data-dir', dir.path, ...args], { cwd: dir.path });
const dial = (...args: string[]) =>
  smartcallAsync(['--data-dir', dir.path, 'phonenet', 'dial', ...args, '--json'], { cwd: dir.path });

test('number add --inbound opens a number to inbound calls; phonenet dial places them as a persona', async () => {
  await callbacks.start();
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'shop').status, 0);
  assert.equal(smartcall('admin', 'callback', 'set', '--account', 'shop', '--url', callbacks.url).status, 0);
  // No trunk is set up for inbound calls: in embedded mode the virtual phone network's trunk lets
  // its own address (127.0.0.1) through the door, so its personas can call in.
  const plain = smartcall(
    'admin',
    'number',
    'add',
    '--account',
    'shop',
    '--number',
    '057100001111',
    '--json',
  );
  assert.equal(plain.json().inbound, false);

  const server = await start(
    ['serve', '--config', config, '--data-dir', dir.path, '--http-port', '0', '--sip-port', '0'],
    (out) => /"msg":"smartcall started"/.test(out),
    { cwd: dir.path },
  );
  const line = server
    .output()
    .split('\n')
    .find((l) => l.includes('"smartcall started"'))!;
  const sipPort = (JSON.parse(line) as { sip: { port: number } }).sip.port;
  const at = `sip:127.0.0.1:${sipPort}`;

  const notYet = await dial('--from', '13800000002', '--to', '057100001111', '--server', at);
  assert.equal(notYet.status, 0, notYet.stderr);
  assert.equal(notYet.json().status, 404, 'a number not marked inbound takes no calls');
  assert.equal(callbacks.received.length, 0);

  const marked = smartcall(
    ...['admin', 'number', 'add', '--account', 'shop', '--number', '057100001111', '--inbound', '--json'],
  );
  assert.equal(marked.status, 0, marked.stderr);
  assert.equal(marked.json().inbound, true);
  const list = smartcall('admin', 'number', 'list', '--account', 'shop', '--json').json() as {
    number: string;
    inbound: boolean;
  }[];
  assert.deepEqual(
    list.map((n) => [n.number, n.inbound]),
    [['057100001111', true]],
  );

  callbacks.script = (cb) => (cb.contentType === 'callin' ? { action: 'hangup' } : { action: 'donothing' });
  const declined = await dial('--from', '13800000002', '--to', '057100001111', '--server', at);
  assert.equal(declined.json().status, 603, declined.stdout);
  assert.equal(declined.json().outcome, 'rejected');
  assert.deepEqual(callbacks.received.at(-1)?.content, {
    caller: '13800000002',
    callee: '057100001111',
    orgcallee: '057100001111',
  });

  // --personas: a caller of one's own; --run-dir: where its timeline and recording go.
  const unknown = await dial('--from', '13900007777', '--to', '057100001111', '--server', at);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /no persona has the number 13900007777/);
  callbacks.script = (cb) =>
    cb.contentType === 'callin'
      ? {
          action: 'answer',
          action_code: '$hi$',
          action_code_param: JSON.stringify({ hi: 'Hello, how can I help?' }),
        }
      : { action: 'hangup' };
  const runDir = join(dir.path, 'dial-runs');
  const talked = await dial(
    ...['--from', '13900007777', '--to', '057100001111', '--server', at],
    ...['--personas', personas, '--run-dir', runDir],
  );
  assert.equal(talked.status, 0, talked.stderr);
  const r = talked.json() as {
    outcome: string;
    recording: string | null;
    events: { type: string; text?: string }[];
  };
  assert.equal(r.outcome, 'answered', talked.stdout);
  assert.ok(r.events.some((e) => e.type === 'said' && e.text === 'hello'));
  assert.ok(r.recording?.startsWith(runDir), `recording in the run dir: ${r.recording}`);
  const callin = callbacks.received.findLast((c) => c.contentType === 'callin')!;
  assert.equal(callin.content.caller, '13900007777');
  assert.ok(
    callbacks.forCall(callin.callId).some((c) => c.contentType === 'normal'),
    'the persona was heard',
  );
  callbacks.script = (cb) => (cb.contentType === 'callin' ? { action: 'hangup' } : { action: 'donothing' });

  // --ring-timeout: the caller gives up (CANCEL) before the slow callback declines the call.
  callbacks.delayMs = 2500;
  const gaveUp = await dial(
    ...['--from', '13800000002', '--to', '057100001111', '--server', at, '--ring-timeout', '1'],
  );
  assert.equal(gaveUp.json().outcome, 'cancelled', gaveUp.stdout);
  assert.equal(gaveUp.json().status, 487);
  await new Promise((res) => setTimeout(res, 2000)); // the late reply goes out
  callbacks.delayMs = 0;

  const bad = await dial('--from', '13800000002', '--to', '1', '--server', 'sip:localhost:5060');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--server must be a SIP URI with an IP address/);
});
