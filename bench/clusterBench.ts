/**
 * `npm run bench:cluster` (issue 15): the distributed mode on this machine, every process sharing
 * its cores.
 *
 * 1. Accepted SmartCalls/s: the same client load (32 keep-alive connections of pre-signed V3
 *    SmartCalls, bench/httpLoad.ts, for BENCH_SECONDS) against one node on SQLite
 *    (bench/apiBenchServer.ts, as bench:api) and against 2 API nodes (`serve --role api`, 16
 *    connections each) on a private PostgreSQL with Redis (nonces, QPS). Accepted = rows in the store.
 * 2. Calls held: HOLD_CALLS calls to a persona that answers and stays silent, through 1 media node,
 *    then 2 × HOLD_CALLS through 2 media nodes; the figure is the peak of calls answered at once
 *    (sampled every 200 ms), with the set-ups that failed.
 * 3. CPS exactness: the most starts in any 1-s window of `trunk_starts` against the trunk's cps.
 * 4. Recovery: SIGKILL one media node at the peak, time until every call it carried is final.
 * Last line: one JSON object with the figures, with the CPU per accepted call of phase 1 on each
 * side (µs: the 2 API nodes together, PostgreSQL with its backends, Redis; the single node).
 * BENCH_PHASES=api runs phase 1 alone; BENCH_SERVER_NODE_ARGS (e.g. `--cpu-prof`) is given to the
 * single node and the API nodes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { silentLogger } from '../src/observability/logger.js';
import { phonenetConfigSchema } from '../src/phonenet/phonenetConfig.js';
import { PhonenetService } from '../src/phonenet/phonenetService.js';
import { PgStore } from '../src/store/postgres/pgStore.js';
import { SqliteStore } from '../src/store/sqlite/sqliteStore.js';
import { SecretBox } from '../src/tenancy/secretBox.js';
import { TenancyAdmin } from '../src/tenancy/tenancyAdmin.js';
import { freePorts } from '../test/helpers/ports.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { startRedis } from '../test/helpers/redis.js';
import { runLoad } from './httpLoad.js';
import { cpuSeconds, parentPid, treeCpuSeconds } from './processCpu.js';
import { BENCH_DISPLAY_NUMBER, signedSmartCall } from './signedSmartCall.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const HOLD_CALLS = Number(process.env.BENCH_HOLD_CALLS ?? 100);
const CPS = Number(process.env.BENCH_CPS ?? 40);
const CONNECTIONS = 32;
const SHOW = BENCH_DISPLAY_NUMBER;
/** `api`: only phase 1 (accepted SmartCalls/s, with CPU per call of each process); default all. */
const PHASES = process.env.BENCH_PHASES ?? 'all';
/** Node options of the measured servers (the single node and the API nodes), e.g. `--cpu-prof`. */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const HOLDER = '13900000009';
const MASTER_KEY = 'cluster-bench-master-key-0123456789abcdef';
const CLI = 'bin/smartcall.js';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pre-signed SmartCall to `port` (bench/signedSmartCall.ts, the same bytes as bench:api sends). */
function signed(port: number, accessKeyId: string, secret: string, i: number, called?: string): Buffer {
  return signedSmartCall({ port, accessKeyId, secret, i, ...(called !== undefined && { called }) });
}

interface Proc {
  child: ChildProcess;
  out: () => string;
}

function spawnNode(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Proc> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  return (async () => {
    const deadline = Date.now() + 60_000;
    while (!ready.test(out)) {
      if (child.exitCode !== null) throw new Error(`node exited: ${out}`);
      if (Date.now() > deadline) throw new Error(`node not ready: ${out}`);
      await pause(50);
    }
    return { child, out: () => out };
  })();
}

async function stop(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = once(p.child, 'exit');
  p.child.kill(signal);
  await exited;
}

/** Accepted calls per second, and the server's CPU per accepted call (µs). */
async function singleNode(dir: string): Promise<{ rate: number; cpuUs: number }> {
  const store = SqliteStore.open(dir);
  const admin = new TenancyAdmin(store, SecretBox.fromKeyFile(dir));
  admin.createAccount({ name: 'bench', qps: 1_000_000 });
  admin.addNumber('bench', SHOW);
  const key = admin.createKey('bench');
  store.close();
  const server = await spawnNode(
    [...SERVER_NODE_ARGS, 'dist/bench/apiBenchServer.js', 'smartcall', dir],
    process.env,
    /"port":\d+/,
  );
  try {
    const port = Number(/"port":(\d+)/.exec(server.out())![1]);
    const reqs = Array.from({ length: 8000 * (SECONDS + 2) }, (_, i) =>
      signed(port, key.accessKeyId, key.accessKeySecret, i),
    );
    let c = 0;
    await runLoad({ port, connections: CONNECTIONS, seconds: 2, next: () => reqs[c++] });
    const count = () => {
      const s = SqliteStore.open(dir);
      try {
        return Object.values(s.calls.countByState()).reduce((a, b) => a + b, 0);
      } finally {
        s.close();
      }
    };
    const before = count();
    const cpu0 = cpuSeconds(server.child.pid!);
    const t0 = process.hrtime.bigint();
    await runLoad({ port, connections: CONNECTIONS, seconds: SECONDS, next: () => reqs[c++] });
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuSeconds(server.child.pid!) - cpu0;
    const accepted = count() - before;
    return { rate: accepted / elapsed, cpuUs: (cpu / accepted) * 1e6 };
  } finally {
    await stop(server);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'smartcall-cluster-bench-'));
  chmodSync(dir, 0o755);
  const procs: (Proc & { role: 'api' | 'media' })[] = [];
  // Durability on a par with the single node's SQLite (WAL, synchronous=NORMAL: each commit written
  // to the OS, never waited on to the disk): a commit returns once its WAL is written, fsync off.
  const pgServer = await startPostgres({ synchronousCommit: true });
  const redis = await startRedis();
  let phonenet: PhonenetService | undefined;
  try {
    const { rate: single, cpuUs: singleCpuUs } = await singleNode(join(dir, 'single'));
    console.log(
      `single node on SQLite: ${single.toFixed(0)} accepted SmartCalls/s, ${singleCpuUs.toFixed(0)} µs CPU per call`,
    );

    const url = await pgServer.createDatabase('bench');
    const pgs = await PgStore.open(url, { poolSize: 3 });
    const box = SecretBox.fromMasterKey(MASTER_KEY);
    const account = await pgs.accounts.create({ name: 'bench', qps: 1_000_000, now: Date.now() });
    const keyId = 'LTAIclusterbench00000001';
    const secret = 'ClusterBenchSecret0123456789ab';
    await pgs.accessKeys.insert({
      accessKeyId: keyId,
      accountId: account.id,
      secretEnc: box.seal(secret),
      status: 'active',
      createdAt: Date.now(),
    });
    await pgs.numbers.add({ number: SHOW, accountId: account.id, createdAt: Date.now() });
    const env: NodeJS.ProcessEnv = { ...process.env, SMARTCALL_MASTER_KEY: MASTER_KEY };
    for (const k of ['SMARTCALL_ROLE', 'SMARTCALL_STORE_URL', 'SMARTCALL_CONFIG', 'SMARTCALL_REDIS_URL'])
      delete env[k];
    let n = 0;
    const node = async (role: 'api' | 'media', rtpBase = 0) => {
      const name = `${role}${++n}`;
      const [http, sip] = await freePorts(2);
      const config = join(dir, `${name}.yaml`);
      writeFileSync(
        config,
        `calls:\n  queuePollMs: 100\n  trunkKeepAlive: false\nrtp:\n  portMin: ${rtpBase || 20000}\n  portMax: ${(rtpBase || 20000) + 1199}\nphonenet:\n  enabled: false\n`,
      );
      const p = await spawnNode(
        [
          ...(role === 'api' ? SERVER_NODE_ARGS : []),
          CLI,
          'serve',
          '--config',
          config,
          '--data-dir',
          join(dir, name),
          '--http-port',
          String(http),
          '--sip-port',
          String(sip),
          '--log-format',
          'json',
          '--role',
          role,
          '--store',
          url,
          '--redis',
          redis.url,
        ],
        env,
        /"smartcall started"/,
      );
      procs.push({ ...p, role });
      await pause(500);
      return { p, http: http! };
    };
    const apis = [await node('api'), await node('api')];
    const countPg = async () =>
      Number((await pgs.pool.query('SELECT count(*)::int AS n FROM calls')).rows[0].n);
    const reqs = apis.map((a) =>
      Array.from({ length: 4000 * (SECONDS + 2) }, (_, i) => signed(a.http, keyId, secret, i)),
    );
    const cursors = [0, 0];
    const both = (seconds: number) =>
      Promise.all(
        apis.map((a, k) =>
          runLoad({
            port: a.http,
            connections: CONNECTIONS / 2,
            seconds,
            next: () => reqs[k]![cursors[k]!++],
          }),
        ),
      );
    await both(2);
    const before = await countPg();
    // CPU of each side while the clock runs: the API nodes, PostgreSQL (the postmaster's tree),
    // Redis, and this process (the load generator).
    const postmaster = parentPid(
      (await pgs.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid,
    )!;
    const redisInfo = new Redis(redis.url, { lazyConnect: true });
    await redisInfo.connect();
    const redisPid = Number(/process_id:(\d+)/.exec(await redisInfo.info('server'))![1]);
    // Round trips per call: Redis reads (socket reads of requests, a pipelined batch counting once:
    // exact), PostgreSQL commits (its statistics, flushed by each backend at most once a second:
    // close enough over the run).
    const redisReads = async () =>
      Number(/total_reads_processed:(\d+)/.exec(await redisInfo.info('stats'))![1]);
    const pgCommits = async () =>
      Number(
        (
          await pgs.pool.query(
            'SELECT xact_commit::int AS n FROM pg_stat_database WHERE datname = current_database()',
          )
        ).rows[0].n,
      );
    /** Script calls (EVALSHA/EVAL: each a batch of admissions, src/openapi/sharedThrottle.ts). */
    const redisScripts = async () => {
      const stats = await redisInfo.info('commandstats');
      let n = 0;
      for (const m of stats.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)) n += Number(m[1]);
      return n;
    };
    const trips0 = { redis: await redisReads(), pg: await pgCommits(), scripts: await redisScripts() };
    const cpuNow = () => ({
      api: apis.reduce((sum, a) => sum + cpuSeconds(a.p.child.pid!), 0),
      pg: treeCpuSeconds(postmaster),
      redis: cpuSeconds(redisPid),
      load: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
    });
    const cpu0 = cpuNow();
    const t0 = process.hrtime.bigint();
    await both(SECONDS);
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu1 = cpuNow();
    await pause(1100);
    const trips = {
      redis: (await redisReads()) - trips0.redis,
      pg: (await pgCommits()) - trips0.pg,
      scripts: (await redisScripts()) - trips0.scripts,
    };
    redisInfo.disconnect();
    const clusterAccepted = (await countPg()) - before;
    const clusterRate = clusterAccepted / elapsed;
    const perCall = (k: keyof typeof cpu0) => Math.round(((cpu1[k] - cpu0[k]) / clusterAccepted) * 1e6);
    const clusterCpu = { api: perCall('api'), pg: perCall('pg'), redis: perCall('redis') };
    const tripsPerCall = {
      redis: Number((trips.redis / clusterAccepted).toFixed(2)),
      pg: Number((trips.pg / clusterAccepted).toFixed(2)),
      scripts: Number((trips.scripts / clusterAccepted).toFixed(2)),
    };
    console.log(
      `2 API nodes on PostgreSQL + Redis: ${clusterRate.toFixed(0)} accepted SmartCalls/s (${(clusterRate / single).toFixed(2)}× single node); ` +
        `µs CPU per call: API nodes ${clusterCpu.api}, PostgreSQL ${clusterCpu.pg}, Redis ${clusterCpu.redis}, load generator ${perCall('load')}; ` +
        `per call: ${tripsPerCall.redis} Redis reads, ${tripsPerCall.scripts} Redis script calls, ${tripsPerCall.pg} PostgreSQL commits`,
    );
    const apiFigures = {
      bench: 'cluster',
      apiNodes: 2,
      smartCallsPerSec: Math.round(clusterRate),
      singleNodeSmartCallsPerSec: Math.round(single),
    };
    const cpuFigures = {
      apiCpuUsPerCall: clusterCpu.api,
      pgCpuUsPerCall: clusterCpu.pg,
      redisCpuUsPerCall: clusterCpu.redis,
      singleNodeCpuUsPerCall: Math.round(singleCpuUs),
      redisReadsPerCall: tripsPerCall.redis,
      redisScriptsPerCall: tripsPerCall.scripts,
      pgCommitsPerCall: tripsPerCall.pg,
    };
    if (PHASES === 'api') {
      await pgs.close();
      console.log(JSON.stringify({ ...apiFigures, ...cpuFigures }));
      return;
    }
    // The bench's API calls go to numbers no trunk serves: withdraw them before media nodes start.
    await pgs.pool.query(`DELETE FROM calls`);

    // Media: the phone network in this process, the trunk to it.
    const [pnSip] = await freePorts(1);
    const personas = join(dir, 'personas.yaml');
    writeFileSync(
      personas,
      `personas:\n  - name: holder\n    number: "${HOLDER}"\n    steps:\n      - ring: 100\n      - answer\n      - silence: 15000\n      - hangup\n`,
    );
    phonenet = await PhonenetService.start({
      config: phonenetConfigSchema.parse({
        sipPort: pnSip!,
        rtpPortMin: 40000,
        rtpPortMax: 42999,
        personasFiles: [personas],
        runDir: join(dir, 'phonenet'),
        keepCalls: 10,
      }),
      dataDir: dir,
      voice: 'synthetic',
      warmUp: false,
      logger: silentLogger(),
    });
    await pgs.trunks.upsert({
      name: 'phonenet',
      host: '127.0.0.1',
      port: pnSip!,
      transport: 'udp',
      uri: `sip:127.0.0.1:${pnSip}`,
      username: null,
      passwordEnc: null,
      realm: null,
      callerFormat: 'national',
      calleeFormat: 'national',
      sendPai: false,
      cps: CPS,
      maxCalls: 2000,
      optionsIntervalS: 0,
      codecs: ['PCMA', 'PCMU'],
      isDefault: true,
      createdAt: Date.now(),
    } as never);
    const states = async () => {
      const r = await pgs.pool.query<{ state: string; n: number }>(
        'SELECT state, count(*)::int AS n FROM calls GROUP BY state',
      );
      return Object.fromEntries(r.rows.map((x) => [x.state, x.n])) as Record<string, number>;
    };
    /** Peak answered at once while the calls of this phase run; ends when none is live. */
    const hold = async (count: number, atPeak?: () => Promise<void>) => {
      const base = await states();
      const baseEnded = (base.ended ?? 0) + (base.failed ?? 0);
      await submitSplit(count);
      let peak = 0;
      let killed = false;
      const deadline = Date.now() + 60_000;
      for (;;) {
        const s = await states();
        peak = Math.max(peak, s.answered ?? 0);
        const final = (s.ended ?? 0) + (s.failed ?? 0) - baseEnded;
        if (atPeak && !killed && (s.queued ?? 0) === 0 && (s.answered ?? 0) >= peak && peak > 0) {
          killed = true;
          await atPeak();
        }
        if (final >= count || Date.now() > deadline) break;
        await pause(200);
      }
      const s = await states();
      return { peak, failed: (s.failed ?? 0) - (base.failed ?? 0) };
    };
    const submitSplit = async (count: number) => {
      // Two halves through the two API nodes, 4 requests in flight each.
      for (let i = 0; i < count; i += 8) {
        await Promise.all(
          Array.from({ length: Math.min(8, count - i) }, (_, k) => {
            const a = apis[(i + k) % 2]!;
            return postOne(a.http, signed(a.http, keyId, secret, i + k, HOLDER));
          }),
        );
      }
    };

    const mediaA = await node('media', 21000);
    const one = await hold(HOLD_CALLS);
    console.log(
      `1 media node: ${one.peak} calls held at once of ${HOLD_CALLS} (${one.failed} set-ups failed)`,
    );
    const mediaB = await node('media', 23000);
    let recovery = Number.NaN;
    const two = await hold(2 * HOLD_CALLS, async () => {
      // The node with more answered calls is killed; its calls must become final on the other.
      const r = await pgs.pool.query<{ claimed_by: string; n: number }>(
        `SELECT claimed_by, count(*)::int AS n FROM calls WHERE state = 'answered' GROUP BY claimed_by ORDER BY n DESC`,
      );
      const victim = r.rows[0]?.claimed_by;
      if (!victim) return;
      const held = r.rows[0]!.n;
      const which = mediaA.p.out().includes(victim)
        ? mediaA
        : mediaB.p.out().includes(victim)
          ? mediaB
          : mediaA;
      const t0 = Date.now();
      which.p.child.kill('SIGKILL');
      for (;;) {
        const left = await pgs.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM calls WHERE claimed_by = $1 AND state NOT IN ('ended','failed')`,
          [victim],
        );
        if (left.rows[0]!.n === 0) break;
        if (Date.now() - t0 > 60_000) break;
        await pause(100);
      }
      recovery = (Date.now() - t0) / 1000;
      console.log(
        `SIGKILLed a media node holding ${held} answered calls: all final after ${recovery.toFixed(1)} s`,
      );
    });
    console.log(
      `2 media nodes: ${two.peak} calls held at once of ${2 * HOLD_CALLS} (${two.failed} set-ups failed, incl. the killed node's)`,
    );
    const starts = (
      await pgs.pool.query<{ at_ms: number }>(
        `SELECT (extract(epoch FROM at) * 1000)::float8 AS at_ms FROM trunk_starts WHERE trunk = 'phonenet' ORDER BY at`,
      )
    ).rows.map((r) => Number(r.at_ms));
    let worst = 0;
    for (let i = 0, j = 0; i < starts.length; i++) {
      while (starts[j]! <= starts[i]! - 1000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    console.log(`CPS: at most ${worst} starts in any 1-s window of ${starts.length} (limit ${CPS})`);
    await pgs.close();
    console.log(
      JSON.stringify({
        ...apiFigures,
        mediaNodes: 2,
        callsHeld: two.peak,
        callsHeldOneNode: one.peak,
        maxStartsPerSecondWindow: worst,
        cpsLimit: CPS,
        recoverySeconds: Number(recovery.toFixed(1)),
        ...cpuFigures,
      }),
    );
  } finally {
    // API nodes end on SIGTERM (a `--cpu-prof` profile is written at exit); media nodes at once.
    for (const p of procs) await stop(p, p.role === 'api' ? 'SIGTERM' : 'SIGKILL').catch(() => undefined);
    await phonenet?.close();
    await redis.stop();
    await pgServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One request on its own connection (the hold phases send few). */
async function postOne(port: number, bytes: Buffer): Promise<void> {
  let sent = false;
  await runLoad({
    port,
    connections: 1,
    seconds: 10,
    next: () => {
      if (sent) return undefined;
      sent = true;
      return bytes;
    },
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
