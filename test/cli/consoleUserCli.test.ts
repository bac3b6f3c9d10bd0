/**
 * `smartcall admin console-user add|list|remove` and the console login `serve` prints on its first
 * start, through the real CLI and a served console: each flag changes who gets in and what they see.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from '../helpers/tempDir.js';
import { type Running, smartcall, start, stopAll } from './cliHarness.js';

const dir = tempDir('smartcall-console-cli-');
const data = join(dir.path, 'data');
const config = join(dir.path, 'smartcall.yaml');
writeFileSync(config, 'phonenet: { sipPort: 0 }\n');
after(async () => {
  await stopAll();
  dir.remove();
});

const cli = (...args: string[]) => smartcall(['--data-dir', data, ...args]);

/** Logs in through the form like a browser; the session cookie, or the status when refused. */
async function login(base: string, name: string, password: string): Promise<string | number> {
  const page = await fetch(`${base}/console/login`);
  const loginCookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const res = await fetch(`${base}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, name, password }),
  });
  if (res.status !== 303) return res.status;
  return res.headers
    .getSetCookie()
    .find((c) => c.startsWith('smartcall_session='))!
    .split(';')[0]!;
}

let server: Running;
let base: string;

test('the first start prints a console login that opens the console; a second start prints none', async () => {
  const args = ['serve', '--config', config, '--data-dir', data, '--http-port', '0', '--sip-port', '0'];
  server = await start(args, (out) => /display number:.*\n/.test(out), { cwd: dir.path });
  const out = server.output();
  const url = /console:\s+(\S+)/.exec(out)?.[1];
  const user = /user:\s+(\S+)/.exec(out)?.[1];
  const password = /password:\s+(\S+)/.exec(out)?.[1];
  assert.ok(url && user && password, out);
  base = url.replace(/\/console$/, '');
  const cookie = await login(base, user, password);
  assert.equal(typeof cookie, 'string', `login answered ${cookie}`);
  const calls = await fetch(`${base}/console/calls`, { headers: { cookie: String(cookie) } });
  assert.equal(calls.status, 200);
  assert.ok(
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .every((l) => !l.includes(password)),
    'the password never reaches the log',
  );
  await server.stop();
  const again = await start(args, (o) => /"smartcall started"/.test(o), { cwd: dir.path });
  assert.doesNotMatch(again.output(), /password:/);
  server = again;
  base = `http://127.0.0.1:${
    JSON.parse(
      again
        .output()
        .split('\n')
        .find((l) => l.includes('"smartcall started"'))!,
    ).port
  }`;
});

test('console-user add: --password logs in, --role and --account decide what the user sees', async () => {
  assert.equal(cli('admin', 'account', 'create', '--name', 'acme').status, 0);
  const added = cli(
    'admin',
    'console-user',
    'add',
    '--name',
    'ann',
    '--password',
    'pass-ann-1',
    '--role',
    'viewer',
    '--account',
    'acme',
    '--json',
  );
  assert.equal(added.status, 0, added.stderr);
  assert.deepEqual(
    { ...added.json(), createdAt: undefined },
    { name: 'ann', role: 'viewer', account: 'acme', createdAt: undefined },
  );
  assert.equal(
    cli('admin', 'console-user', 'add', '--name', 'boss', '--password', 'pass-boss-1', '--role', 'admin')
      .status,
    0,
  );

  const list = cli('admin', 'console-user', 'list', '--json').json() as {
    name: string;
    role: string;
    account: string | null;
  }[];
  assert.deepEqual(
    list.map((u) => [u.name, u.role, u.account]),
    [
      ['admin', 'admin', null],
      ['ann', 'viewer', 'acme'],
      ['boss', 'admin', null],
    ],
  );
  assert.match(cli('admin', 'console-user', 'list').stdout, /ann\s+viewer\s+acme/);

  assert.equal(await login(base, 'ann', 'wrong-password'), 401);
  const ann = String(await login(base, 'ann', 'pass-ann-1'));
  const boss = String(await login(base, 'boss', 'pass-boss-1'));
  const status = async (cookie: string, path: string) =>
    (await fetch(`${base}${path}`, { headers: { cookie }, redirect: 'manual' })).status;
  assert.equal(await status(ann, '/console/calls?account=acme'), 200);
  assert.equal(await status(ann, '/console/calls?account=demo'), 403, '--account limits the viewer');
  assert.equal(await status(boss, '/console/calls?account=demo'), 200, 'without --account: every account');
  const page = await (await fetch(`${base}/console/calls`, { headers: { cookie: ann } })).text();
  assert.match(page, /<strong>ann<\/strong> \(viewer · acme\)/, '--role shows');

  const removed = cli('admin', 'console-user', 'remove', '--name', 'ann');
  assert.equal(removed.status, 0, removed.stderr);
  assert.equal(await status(ann, '/console/calls'), 303, 'a removed user is signed out');
  assert.equal(await login(base, 'ann', 'pass-ann-1'), 401);
});

test('console-user refuses bad input with a clear message and exit 1', () => {
  const cases: [string[], RegExp][] = [
    [['--name', 'x', '--password', 'longenough', '--role', 'owner'], /--role: admin or viewer/],
    [['--name', 'x', '--password', 'short', '--role', 'viewer'], /--password: at least 8/],
    [
      ['--name', 'x', '--password', 'longenough', '--role', 'viewer', '--account', 'nope'],
      /no account named "nope"/,
    ],
    [['--name', 'bad name', '--password', 'longenough', '--role', 'viewer'], /--name: 1-64/],
    [['--name', 'boss', '--password', 'longenough', '--role', 'viewer'], /exists already/],
  ];
  for (const [args, message] of cases) {
    const r = cli('admin', 'console-user', 'add', ...args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, message);
  }
  const r = cli('admin', 'console-user', 'remove', '--name', 'ghost');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no console user named "ghost"/);
});
