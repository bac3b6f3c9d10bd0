/**
 * `deploy/local-cluster.sh up|status|down` as the README's "Run on several machines" tells a user to
 * run it: a private PostgreSQL and redis-server, 2 API nodes, 2 media nodes, 1 receipt node, a scheduler and the
 * virtual phone network, all separate processes on 127.0.0.1. A SmartCall signed with the real
 * Alibaba client through each API node reaches a persona (answered on the phonenet trunk) and ends;
 * `down` leaves no process, listening port or directory behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PgStore } from '../../src/store/postgres/pgStore.js';
import { callAction } from '../helpers/aliClients.js';
import { tempDir } from '../helpers/tempDir.js';

const SCRIPT = fileURLToPath(new URL('../../../deploy/local-cluster.sh', import.meta.url));
const parent = tempDir('smartcall-local-cluster-');
// The cluster's PostgreSQL runs as the postgres user (initdb refuses root): it must reach the folder.
chmodSync(parent.path, 0o755);
const DIR = join(parent.path, 'cluster');
/** Answers and hangs up 1.5 s into the first prompt (src/phonenet/builtinPersonas.ts). */
const HANGS_UP = '13800000010';

function run(cmd: 'up' | 'status' | 'down') {
  const env: NodeJS.ProcessEnv = { ...process.env, SMARTCALL_CLUSTER_DIR: DIR };
  delete env.SMARTCALL_DRAIN_SECONDS;
  return spawnSync(SCRIPT, [cmd, '--json'], { env, encoding: 'utf8', timeout: 120_000 });
}

after(() => {
  if (existsSync(DIR)) run('down');
  parent.remove();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(true));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ClusterState {
  endpoints: string[];
  accessKeyId: string;
  accessKeySecret: string;
  calledShowNumber: string;
  storeUrl: string;
  postgres: { port: number };
  redis: { port: number; pid: number };
  phonenet: { sipPort: number; pid: number };
  nodes: { name: string; role: string; pid: number; httpPort: number }[];
}

test('local-cluster.sh up → a SmartCall through each API node reaches a persona and ends → down leaves nothing', async () => {
  const upRun = run('up');
  assert.equal(upRun.status, 0, `up failed: ${upRun.stderr}`);
  const state = JSON.parse(upRun.stdout) as ClusterState;
  assert.equal(state.endpoints.length, 2, 'two API endpoints');
  assert.deepEqual(
    state.nodes.map((n) => n.role).sort(),
    ['api', 'api', 'media', 'media', 'receipts', 'scheduler'],
    'two API, two media, one receipt node and a scheduler',
  );
  const status = run('status');
  assert.equal(status.status, 0, `status: every process up\n${status.stdout}${status.stderr}`);

  const store = await PgStore.open(state.storeUrl, { poolSize: 1 });
  try {
    const ids: string[] = [];
    for (const [i, endpoint] of state.endpoints.entries()) {
      const r = await callAction(
        'v3',
        { endpoint, accessKeyId: state.accessKeyId, accessKeySecret: state.accessKeySecret },
        'SmartCall',
        {
          CalledShowNumber: state.calledShowNumber,
          CalledNumber: HANGS_UP,
          VoiceCode: '$g$',
          VoiceCodeParam: '{"g":"您好，这里是本地集群的测试电话，请稍候。"}',
          OutId: `local-cluster-${i}`,
        },
      );
      assert.equal(r.code, 'OK', `SmartCall through ${endpoint}: ${JSON.stringify(r)}`);
      ids.push(String(r.body!.CallId));
    }
    const deadline = Date.now() + 45_000;
    for (const id of ids) {
      for (;;) {
        const c = await store.calls.find(id);
        if (c && (c.state === 'ended' || c.state === 'failed')) {
          assert.equal(c.state, 'ended', JSON.stringify(c));
          assert.ok(c.answerAt, `answered by the persona: ${JSON.stringify(c)}`);
          assert.equal(c.trunk, 'phonenet');
          break;
        }
        assert.ok(Date.now() < deadline, `call ${id} did not end: ${JSON.stringify(c)}`);
        await pause(200);
      }
    }
    // The query goes through the other API node than the one that took the call.
    const q = await callAction(
      'v3',
      {
        endpoint: state.endpoints[1]!,
        accessKeyId: state.accessKeyId,
        accessKeySecret: state.accessKeySecret,
      },
      'QueryCallDetailByCallId',
      { CallId: ids[0]!, ProdId: '11000000300006', QueryDate: String(Date.now()) },
    );
    assert.equal(q.code, 'OK', JSON.stringify(q));
  } finally {
    await store.close();
  }

  const downRun = run('down');
  assert.equal(downRun.status, 0, `down failed: ${downRun.stderr}`);
  assert.ok(!existsSync(DIR), 'the directory is removed');
  const pids = [...state.nodes.map((n) => n.pid), state.redis.pid, state.phonenet.pid];
  for (const pid of pids) assert.ok(!alive(pid), `process ${pid} is gone`);
  const ports = [
    ...state.nodes.map((n) => n.httpPort),
    state.postgres.port,
    state.redis.port,
    state.phonenet.sipPort,
  ];
  for (const port of ports) assert.equal(await listening(port), false, `nothing listens on ${port}`);
  const after = run('status');
  assert.equal(after.status, 1, 'status after down: no cluster');
});
