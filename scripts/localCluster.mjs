/**
 * A smartcall cluster on this machine (deploy/local-cluster.sh up|status|down): a private PostgreSQL
 * (run as the `postgres` user when started as root, as the tests do), a private redis-server, the
 * account, key and number written with `smartcall admin … --store postgres://…`, the virtual phone
 * network as the trunk, 2 API nodes, 2 media nodes, 1 receipt node and 1 scheduler, each a separate process on
 * 127.0.0.1 with free ports. Everything (data, PIDs, logs, cluster.json) lives in one directory:
 * $SMARTCALL_CLUSTER_DIR, default $TMPDIR/smartcall-cluster. `down` stops every process and removes it.
 * Needs a build (`npm run build`): the nodes run bin/smartcall.js.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'bin', 'smartcall.js');
const DIR = resolve(process.env.SMARTCALL_CLUSTER_DIR || join(tmpdir(), 'smartcall-cluster'));
const STATE = join(DIR, 'cluster.json');
const asRoot = process.getuid?.() === 0;
const SHOW_NUMBER = '05710000001';
const ACCOUNT = 'local';
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

class Refused extends Error {}

function pgBin() {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Refused(
      'PostgreSQL is not installed (Debian package `postgresql`; see scripts/install-test-peers.sh)',
    );
  return join(root, versions[0], 'bin');
}

/** A PostgreSQL command as the cluster's owner (as root: `runuser -u postgres`, initdb refuses root). */
function pgCommand(bin, args) {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

function udpFree(port) {
  return new Promise((res) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      res(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** A port free on TCP and UDP on 127.0.0.1, not one handed out already. */
const handed = new Set();
async function freePort() {
  for (let i = 0; i < 100; i++) {
    const port = await new Promise((res) => {
      const srv = createServer();
      srv.once('error', () => res(0));
      srv.listen(0, '127.0.0.1', () => {
        const p = srv.address().port;
        srv.close(() => res(p));
      });
    });
    if (port && !handed.has(port) && (await udpFree(port))) {
      handed.add(port);
      return port;
    }
  }
  throw new Error('no free port on 127.0.0.1');
}

/** A free range of `n` UDP ports (RTP), apart from the other ranges handed out. */
async function freeRange(n) {
  for (let i = 0; i < 200; i++) {
    const base = 20000 + 2 * Math.floor(Math.random() * 15000);
    const ports = Array.from({ length: n }, (_, k) => base + k);
    if (ports.some((p) => handed.has(p))) continue;
    const free = await Promise.all([base, base + n / 2, base + n - 1].map(udpFree));
    if (free.every(Boolean)) {
      for (const p of ports) handed.add(p);
      return [base, base + n - 1];
    }
  }
  throw new Error('no free RTP range on 127.0.0.1');
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a detached process, output to <DIR>/logs/<name>.log, PID to <DIR>/pids/<name>.pid. */
function launch(name, cmd, args, env) {
  const log = join(DIR, 'logs', `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env, cwd: DIR });
  closeSync(fd);
  child.unref();
  writeFileSync(join(DIR, 'pids', `${name}.pid`), String(child.pid));
  return { name, pid: child.pid, log };
}

async function waitFor(proc, what, test, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = existsSync(proc.log) ? readFileSync(proc.log, 'utf8') : '';
    const found = test(text);
    if (found) return found;
    if (!alive(proc.pid)) throw new Error(`${proc.name} exited before ${what}:\n${text.slice(-2000)}`);
    if (Date.now() > deadline)
      throw new Error(`${proc.name}: no ${what} within ${ms / 1000} s:\n${text.slice(-2000)}`);
    await pause(100);
  }
}

function cli(args, env) {
  try {
    return execFileSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    throw new Error(`smartcall ${args.join(' ')} failed: ${err.stderr || err.message}`);
  }
}

async function up() {
  if (existsSync(STATE) || existsSync(DIR))
    throw new Refused(`${DIR} exists: the cluster is up (or was not taken down); run \`down\` first`);
  if (!existsSync(join(ROOT, 'dist', 'src'))) throw new Refused('not built: run `npm run build` first');
  mkdirSync(join(DIR, 'logs'), { recursive: true });
  mkdirSync(join(DIR, 'pids'));
  chmodSync(DIR, 0o755);
  const state = { dir: DIR, startedAt: new Date().toISOString() };
  writeFileSync(STATE, JSON.stringify(state, null, 2));

  // PostgreSQL: its own folder, owned by the postgres user when we are root.
  const bin = pgBin();
  const pgDir = join(DIR, 'postgres');
  mkdirSync(pgDir);
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(pgDir, uid, gid);
    try {
      execFileSync('runuser', ['-u', 'postgres', '--', 'test', '-w', pgDir], { stdio: 'pipe' });
    } catch {
      throw new Error(
        `the postgres user cannot reach ${pgDir}: every folder above it must be searchable (chmod o+x), or set SMARTCALL_CLUSTER_DIR elsewhere`,
      );
    }
  }
  const data = join(pgDir, 'data');
  const [initCmd, initArgs] = pgCommand(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  const pgPort = await freePort();
  state.postgres = { data, port: pgPort, bin };
  writeFileSync(STATE, JSON.stringify(state, null, 2));
  const [startCmd, startArgs] = pgCommand(join(bin, 'pg_ctl'), [
    'start',
    '-w',
    '-D',
    data,
    '-l',
    join(pgDir, 'postgres.log'),
    '-o',
    `-p ${pgPort} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${pgDir} -c max_connections=200 -c fsync=off -c synchronous_commit=off`,
  ]);
  execFileSync(startCmd, startArgs, { stdio: 'pipe' });
  const [psqlCmd, psqlArgs] = pgCommand(join(bin, 'psql'), [
    '-h',
    '127.0.0.1',
    '-p',
    String(pgPort),
    '-U',
    'postgres',
    '-c',
    'CREATE DATABASE smartcall',
  ]);
  execFileSync(psqlCmd, psqlArgs, { stdio: 'pipe' });
  const storeUrl = `postgres://postgres@127.0.0.1:${pgPort}/smartcall`;

  // Redis, without persistence (nothing in it is the record of a call).
  const redisPort = await freePort();
  mkdirSync(join(DIR, 'redis'));
  const redis = launch('redis', 'redis-server', [
    '--port',
    String(redisPort),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    join(DIR, 'redis'),
  ]);
  await waitFor(redis, 'readiness', (t) => t.includes('Ready to accept connections'), 15_000);
  const redisUrl = `redis://127.0.0.1:${redisPort}`;

  const masterKey = randomBytes(24).toString('base64url');
  const env = { ...process.env, SMARTCALL_MASTER_KEY: masterKey, SMARTCALL_STORE_URL: storeUrl };
  for (const k of ['SMARTCALL_ROLE', 'SMARTCALL_CONFIG', 'SMARTCALL_REDIS_URL', 'SMARTCALL_DATA_DIR'])
    delete env[k];
  Object.assign(state, { storeUrl, redisUrl, masterKey });
  writeFileSync(STATE, JSON.stringify(state, null, 2));

  // The tenant, through the admin CLI on PostgreSQL.
  const admin = (args) =>
    cli(['admin', ...args, '--store', storeUrl, '--json'], {
      ...env,
      SMARTCALL_DATA_DIR: join(DIR, 'admin'),
    });
  admin(['account', 'create', '--name', ACCOUNT]);
  const key = JSON.parse(admin(['key', 'create', '--account', ACCOUNT]));
  admin(['number', 'add', '--account', ACCOUNT, '--number', SHOW_NUMBER]);

  // The virtual phone network, and the trunk to it (`admin trunk add` is not on PostgreSQL yet).
  const [phonenetRtp] = [await freeRange(400)];
  const phonenetPort = await freePort();
  const phonenet = launch(
    'phonenet',
    process.execPath,
    [
      CLI,
      'phonenet',
      '--data-dir',
      join(DIR, 'phonenet'),
      '--sip-port',
      String(phonenetPort),
      '--rtp-ports',
      `${phonenetRtp[0]}-${phonenetRtp[1]}`,
      '--voice',
      'synthetic',
    ],
    env,
  );
  await waitFor(phonenet, 'its SIP port', (t) => t.includes('phonenet: sip:'));
  const { PgStore } = await import(join(ROOT, 'dist', 'src', 'store', 'postgres', 'pgStore.js'));
  const store = await PgStore.open(storeUrl, { poolSize: 1 });
  try {
    await store.trunks.upsert({
      name: 'phonenet',
      host: '127.0.0.1',
      port: phonenetPort,
      transport: 'udp',
      uri: `sip:127.0.0.1:${phonenetPort}`,
      username: null,
      passwordEnc: null,
      realm: null,
      callerFormat: 'national',
      calleeFormat: 'national',
      sendPai: false,
      cps: Number(process.env.SMARTCALL_CLUSTER_CPS || 10),
      maxCalls: Number(process.env.SMARTCALL_CLUSTER_MAX_CALLS || 200),
      optionsIntervalS: 0,
      codecs: ['PCMA', 'PCMU'],
      isDefault: true,
      createdAt: Date.now(),
    });
  } finally {
    await store.close();
  }

  // The nodes.
  const nodes = [];
  const serve = async (name, role) => {
    const httpPort = await freePort();
    const sipPort = await freePort();
    const [rtpMin, rtpMax] = await freeRange(200);
    const config = join(DIR, `${name}.yaml`);
    writeFileSync(
      config,
      `rtp:\n  portMin: ${rtpMin}\n  portMax: ${rtpMax}\ncalls:\n  trunkKeepAlive: false\nphonenet:\n  enabled: false\n`,
    );
    const proc = launch(
      name,
      process.execPath,
      [CLI, 'serve', '--config', config, '--data-dir', join(DIR, name), '--log-format', 'json'],
      {
        ...env,
        SMARTCALL_ROLE: role,
        SMARTCALL_REDIS_URL: redisUrl,
        SMARTCALL_HTTP_PORT: String(httpPort),
        SMARTCALL_SIP_PORT: String(sipPort),
        SMARTCALL_DRAIN_SECONDS: process.env.SMARTCALL_DRAIN_SECONDS || '5',
      },
    );
    nodes.push({ ...proc, role, httpPort, sipPort });
    return proc;
  };
  for (const [name, role] of [
    ['api1', 'api'],
    ['api2', 'api'],
    ['media1', 'media'],
    ['media2', 'media'],
    ['receipts', 'receipts'],
    ['scheduler', 'scheduler'],
  ])
    await serve(name, role);
  for (const n of nodes) await waitFor(n, '"smartcall started"', (t) => t.includes('"smartcall started"'));

  Object.assign(state, {
    endpoints: nodes.filter((n) => n.role === 'api').map((n) => `127.0.0.1:${n.httpPort}`),
    accessKeyId: key.accessKeyId,
    accessKeySecret: key.accessKeySecret,
    calledShowNumber: SHOW_NUMBER,
    phonenet: { sipPort: phonenetPort, pid: phonenet.pid },
    redis: { port: redisPort, pid: redis.pid },
    nodes: nodes.map(({ name, role, pid, httpPort, sipPort, log }) => ({
      name,
      role,
      pid,
      httpPort,
      sipPort,
      log,
    })),
  });
  writeFileSync(STATE, JSON.stringify(state, null, 2));
  print(state);
}

function print(state) {
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(state)}\n`);
    return;
  }
  process.stdout.write(
    [
      `smartcall cluster up in ${state.dir}`,
      `  endpoints:       ${state.endpoints.join('  ')}`,
      `  AccessKeyId:     ${state.accessKeyId}`,
      `  AccessKeySecret: ${state.accessKeySecret}`,
      `  CalledShowNumber ${state.calledShowNumber}; CalledNumber e.g. 13800000001 (a persona of the phone network)`,
      `  store ${state.storeUrl}   redis ${state.redisUrl}   logs ${join(state.dir, 'logs')}`,
      `try: SMARTCALL_MASTER_KEY=… node bin/smartcall.js call 13800000001 --endpoint ${state.endpoints[0]} --access-key-id ${state.accessKeyId} --access-key-secret … --from ${state.calledShowNumber}`,
      '',
    ].join('\n'),
  );
}

function pids() {
  const dir = join(DIR, 'pids');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => ({ name: f.slice(0, -4), pid: Number(readFileSync(join(dir, f), 'utf8')) }));
}

function status() {
  if (!existsSync(STATE)) {
    process.stdout.write(`no cluster in ${DIR}\n`);
    return 1;
  }
  const state = JSON.parse(readFileSync(STATE, 'utf8'));
  let down = 0;
  const pgUp = state.postgres && existsSync(join(state.postgres.data, 'postmaster.pid'));
  if (!pgUp) down++;
  const rows = [`postgres  ${pgUp ? 'up' : 'DOWN'}  port ${state.postgres?.port ?? '-'}`];
  for (const { name, pid } of pids()) {
    const up = alive(pid);
    if (!up) down++;
    const n = state.nodes?.find((x) => x.name === name);
    rows.push(
      `${name.padEnd(9)} ${up ? 'up' : 'DOWN'}  pid ${pid}${n ? `  ${n.role}  http ${n.httpPort}` : ''}`,
    );
  }
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ ...state, down })}\n`);
  else
    process.stdout.write(
      `${rows.join('\n')}\n${state.endpoints ? `endpoints ${state.endpoints.join(' ')}\n` : ''}`,
    );
  return down === 0 ? 0 : 1;
}

async function downAll() {
  if (!existsSync(DIR)) {
    process.stdout.write(`no cluster in ${DIR}\n`);
    return;
  }
  const state = existsSync(STATE) ? JSON.parse(readFileSync(STATE, 'utf8')) : {};
  // Nodes first (they drain), then the phone network and Redis, PostgreSQL last.
  const order = ['api1', 'api2', 'receipts', 'scheduler', 'media1', 'media2', 'phonenet', 'redis'];
  const procs = pids().sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const stop = async (list, ms) => {
    for (const p of list) if (alive(p.pid)) process.kill(p.pid, 'SIGTERM');
    const deadline = Date.now() + ms;
    while (list.some((p) => alive(p.pid)) && Date.now() < deadline) await pause(100);
    for (const p of list)
      if (alive(p.pid)) {
        process.stderr.write(`${p.name} (pid ${p.pid}) did not stop in time: SIGKILL\n`);
        process.kill(p.pid, 'SIGKILL');
      }
  };
  const drain = Number(process.env.SMARTCALL_DRAIN_SECONDS || 5) * 1000 + 10_000;
  await stop(
    procs.filter((p) => !['phonenet', 'redis'].includes(p.name)),
    drain,
  );
  await stop(
    procs.filter((p) => ['phonenet', 'redis'].includes(p.name)),
    10_000,
  );
  if (state.postgres && existsSync(join(state.postgres.data, 'postmaster.pid'))) {
    const [cmd, args] = pgCommand(join(state.postgres.bin, 'pg_ctl'), [
      'stop',
      '-w',
      '-D',
      state.postgres.data,
      '-m',
      'fast',
    ]);
    try {
      execFileSync(cmd, args, { stdio: 'pipe' });
    } catch (err) {
      process.stderr.write(`pg_ctl stop: ${err.stderr || err.message}\n`);
    }
  }
  rmSync(DIR, { recursive: true, force: true });
  process.stdout.write(`smartcall cluster down; ${DIR} removed\n`);
}

const command = process.argv[2];
try {
  if (command === 'up') {
    try {
      await up();
    } catch (err) {
      if (!(err instanceof Refused) && existsSync(join(DIR, 'pids'))) {
        process.stderr.write(`local-cluster up: ${err.message}\ntaking down what was started…\n`);
        await downAll();
        process.exitCode = 1;
      } else throw err;
    }
  } else if (command === 'status') process.exitCode = status();
  else if (command === 'down') await downAll();
  else {
    process.stderr.write('usage: deploy/local-cluster.sh up|status|down [--json]\n');
    process.exitCode = 1;
  }
} catch (err) {
  process.stderr.write(`local-cluster ${command}: ${err.message}\n`);
  process.exitCode = 1;
}
