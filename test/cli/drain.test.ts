/**
 * `serve --drain-seconds` / SMARTCALL_DRAIN_SECONDS: what a stop signal does to calls in progress.
 * A persona from a --phonenet file answers and hangs up by itself 5 s later; serve gets SIGTERM
 * while the call is up.
 * - Draining (the default, here 20 s): SIP OPTIONS and new INVITEs get 503 with Retry-After (a
 *   dispatcher in front takes the node out), the call goes on and ends normally, then serve exits.
 * - 0: serve hangs up and exits at once.
 * - A drain shorter than the call: serve waits that long, then hangs up and exits.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tempDir.js';
import { type Running, serveArgs, smartcall, start, stopAll } from './cliHarness.js';
import { sipInvite, sipOptions } from './sipProbe.js';

const dir = tempDir('smartcall-drain-');
const personas = join(dir.path, 'personas.yaml');
const CALLEE = '13912340021';
/** How long the persona holds the call after answering. */
const CALL_MS = 6000;
writeFileSync(
  personas,
  `personas:
  - name: hangs-up-later
    number: "${CALLEE}"
    steps:
      - ring: 100
      - answer
      - wait: ${CALL_MS}
      - hangup
`,
);
const config = join(dir.path, 'serve.yaml');
writeFileSync(config, 'phonenet: { sipPort: 0 }\n');

after(async () => {
  await stopAll();
  dir.remove();
});

interface Served {
  server: Running;
  endpoint: string;
  sipPort: number;
}

async function serve(name: string, flags: string[], env: NodeJS.ProcessEnv = process.env): Promise<Served> {
  const httpPort = await freePort();
  const sipPort = await freePort();
  const server = await start(
    serveArgs({ config, dataDir: join(dir.path, name), httpPort, sipPort }, '--phonenet', personas, ...flags),
    (out) => /display number:.*\n/.test(out),
    { cwd: dir.path, env },
  );
  return { server, endpoint: `127.0.0.1:${httpPort}`, sipPort };
}

/** Starts `smartcall call` and resolves once the persona has answered. */
async function callAnswered(s: Served, name: string): Promise<Running> {
  return start(
    [
      '--data-dir',
      join(dir.path, name),
      'call',
      '--to',
      CALLEE,
      '--text',
      '请稍等',
      '--endpoint',
      s.endpoint,
    ],
    (out) => /answered/.test(out),
    { cwd: dir.path, timeoutMs: 15_000 },
  );
}

/** The call's stored record, read from the data directory once serve has exited. */
function record(
  name: string,
  call: Running,
): { state: string; hangupDirection: string; answerAt: number; endAt: number } {
  const callId = /CallId (\S+)/.exec(call.stdout())?.[1];
  assert.ok(callId, call.output());
  const r = smartcall([
    '--data-dir',
    join(dir.path, name),
    'admin',
    'call',
    'show',
    '--call-id',
    callId,
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  return r.json();
}

async function exited(r: Running): Promise<number | null> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return r.child.exitCode;
  const [code] = (await once(r.child, 'exit')) as [number | null];
  return code;
}

test('--drain-seconds 20: OPTIONS and new INVITEs get 503, the call in progress ends by itself, then serve exits', async () => {
  const s = await serve('drain', ['--drain-seconds', '20']);
  assert.equal(await sipOptions({ host: '127.0.0.1', port: s.sipPort }), 200, 'up: OPTIONS 200');
  const call = await callAnswered(s, 'drain');
  const signalled = Date.now();
  s.server.child.kill('SIGTERM');
  let options: number | undefined;
  for (let i = 0; i < 40 && options !== 503; i++) {
    options = await sipOptions({ host: '127.0.0.1', port: s.sipPort });
    if (options !== 503) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(options, 503, `draining: OPTIONS 503\n${s.server.output()}`);
  const invite = await sipInvite({ host: '127.0.0.1', port: s.sipPort, number: '057100000001' });
  assert.equal(invite?.status, 503, 'draining: a new INVITE gets 503');

  assert.equal(await exited(s.server), 0, s.server.output());
  assert.ok(Date.now() - signalled >= CALL_MS - 2500, 'serve waited for the call');
  const out = s.server.output();
  assert.match(out, /draining: no new calls/);
  assert.match(out, /drained: every call has ended/);
  const ended = record('drain', call);
  assert.equal(ended.state, 'ended');
  assert.equal(ended.hangupDirection, '用户', 'the callee hung up, as it would have without the signal');
  assert.ok(ended.endAt - ended.answerAt >= CALL_MS - 300, `talked ${ended.endAt - ended.answerAt} ms`);
  await call.stop();
});

test('--drain-seconds 0: a stop signal hangs up the call and serve exits at once', async () => {
  const s = await serve('now', ['--drain-seconds', '0']);
  const call = await callAnswered(s, 'now');
  const signalled = Date.now();
  s.server.child.kill('SIGTERM');
  assert.equal(await exited(s.server), 0, s.server.output());
  assert.ok(Date.now() - signalled < CALL_MS, `exited ${Date.now() - signalled} ms after SIGTERM`);
  assert.doesNotMatch(s.server.output(), /draining/);
  const ended = record('now', call);
  assert.notEqual(ended.hangupDirection, '用户', 'the platform hung up');
  assert.ok(ended.endAt - ended.answerAt < CALL_MS - 3000, `talked ${ended.endAt - ended.answerAt} ms`);
  await call.stop();
});

test('SMARTCALL_DRAIN_SECONDS=2: serve waits two seconds for a longer call, then hangs it up and exits', async () => {
  const s = await serve('short', [], { ...process.env, SMARTCALL_DRAIN_SECONDS: '2' });
  const call = await callAnswered(s, 'short');
  const signalled = Date.now();
  s.server.child.kill('SIGTERM');
  assert.equal(await exited(s.server), 0, s.server.output());
  const took = Date.now() - signalled;
  assert.ok(took >= 1800 && took < CALL_MS - 1000, `exited ${took} ms after SIGTERM`);
  assert.match(s.server.output(), /drain time is up/);
  const ended = record('short', call);
  assert.notEqual(ended.hangupDirection, '用户', 'the platform hung up');
  await call.stop();
});
