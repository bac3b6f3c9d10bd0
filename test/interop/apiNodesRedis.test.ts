/**
 * Two API nodes on one PostgreSQL and one Redis (issue 15): both accept calls into the same store,
 * and a SmartCall replayed through the other node (same signature nonce) is refused with
 * SignatureNonceUsed, leaving one call, not two. Private PostgreSQL and redis-server on loopback.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type RunningApiNode, startApiNode } from '../../src/apiNode.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { PgStore } from '../../src/store/postgres/pgStore.js';
import { callAction } from '../helpers/aliClients.js';
import { seedTenant } from '../helpers/pgTenant.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { tempDir } from '../helpers/tempDir.js';

const MASTER_KEY = 'two-api-nodes-test-master-key-0123';
const SECRET = 'TwoApiNodesSecret0123456789abcd';
const KEY_ID = 'LTAItwoapinodes000000001';
const SHOW = '05710000003';

let pg: TestPostgres;
let redis: TestRedis;
const nodes: RunningApiNode[] = [];
let admin: PgStore | undefined;
const dir = tempDir('smartcall-apinodes-');
before(async () => {
  pg = await startPostgres();
  redis = await startRedis();
});
after(async () => {
  for (const n of nodes) await n.close();
  await admin?.close();
  await redis?.stop();
  await pg?.stop();
  dir.remove();
});

test('two API nodes share PostgreSQL and Redis: a SmartCall replayed through the other node is refused', async () => {
  const url = await pg.createDatabase('apinodes');
  admin = await PgStore.open(url, { poolSize: 2 });
  await seedTenant(admin, { masterKey: MASTER_KEY, keyId: KEY_ID, secret: SECRET, show: SHOW });
  for (const nodeId of [1, 2]) {
    const config = loadConfig(
      { dataDir: dir.path, httpPort: 0, role: 'api', storeUrl: url, redisUrl: redis.url },
      { SMARTCALL_MASTER_KEY: MASTER_KEY, SMARTCALL_NODE_ID: String(nodeId) },
    );
    nodes.push(await startApiNode(config, silentLogger()));
  }
  const creds = (n: RunningApiNode) => ({
    endpoint: `127.0.0.1:${n.httpPort}`,
    accessKeyId: KEY_ID,
    accessKeySecret: SECRET,
  });
  const params = {
    CalledShowNumber: SHOW,
    CalledNumber: '13800138002',
    VoiceCode: '$a$',
    VoiceCodeParam: '{"a":"x"}',
  };
  const nonce = randomBytes(16).toString('hex');
  const headers = { 'x-acs-signature-nonce': nonce };
  const first = await callAction('v3', creds(nodes[0]!), 'SmartCall', params, { headers });
  assert.equal(first.code, 'OK', JSON.stringify(first));
  const replayed = await callAction('v3', creds(nodes[1]!), 'SmartCall', params, { headers });
  assert.equal(replayed.code, 'SignatureNonceUsed', JSON.stringify(replayed));
  const other = await callAction('v3', creds(nodes[1]!), 'SmartCall', params);
  assert.equal(other.code, 'OK', 'a fresh request on the other node is accepted');
  const queued = await admin.calls.listByState(['queued']);
  assert.deepEqual(
    queued.map((c) => c.callId).sort(),
    [String(first.body!.CallId), String(other.body!.CallId)].sort(),
    'two calls in the shared store, none from the replay',
  );
});
