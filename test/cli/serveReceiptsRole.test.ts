/**
 * `smartcall serve --role receipts --store postgres://…` (issue 15) through the real CLI: receipt
 * nodes push the shared PostgreSQL outbox to a real HTTP receiver on 127.0.0.1. A node SIGKILLed in
 * the middle of a push leaves its lease (`receipts.leaseSeconds`, here 2 s from the config file) to
 * run out; then a second node sends the call's receipts, in order, once each. The node binds no
 * HTTP and no SIP port. Without `--role receipts` or without `--store` the start is refused, so
 * each flag is seen to matter.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PgStore } from '../../src/store/postgres/pgStore.js';
import { freePorts } from '../helpers/ports.js';
import { postgresForFile } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tempDir.js';
import {
  nodeEnv,
  nodeStarted,
  type Running,
  serveArgs,
  smartcall,
  start,
  stopAll,
  tcpAccepts,
} from './cliHarness.js';

const dir = tempDir('smartcall-receipts-role-');
const postgres = postgresForFile(stopAll);
after(() => dir.remove());
const env = () => nodeEnv();

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('serve --role receipts: a node killed mid-push leaves its receipts to another once the lease runs out', async () => {
  const url = await postgres().createDatabase('receipts_role');
  const [httpPort, sipPort] = await freePorts(2);
  const accepted: { id: string; at: number }[] = [];
  let first: { at: number } | undefined;
  let nodeA: Running | undefined;
  const http = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      if (!first) {
        // The first push: its node dies before any answer.
        first = { at: Date.now() };
        nodeA?.child.kill('SIGKILL');
        res.destroy();
        return;
      }
      for (const r of JSON.parse(body) as { id: string }[]) accepted.push({ id: r.id, at: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0}');
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const receiver = `http://127.0.0.1:${(http.address() as AddressInfo).port}/receipts`;
  const store = await PgStore.open(url, { poolSize: 2 });
  try {
    const acc = await store.accounts.create({ name: 'tenant', now: Date.now() });
    await store.accounts.setReceipts(acc.id, { url: receiver, types: ['VoiceCallReport'] });
    const config = join(dir.path, 'smartcall.yaml');
    writeFileSync(config, 'receipts:\n  leaseSeconds: 2\n  pollMs: 100\n');
    const args = (name: string) =>
      serveArgs({ config, dataDir: join(dir.path, name), httpPort: httpPort!, sipPort: sipPort! });

    // Each flag alone is refused.
    const noStore = smartcall([...args('x'), '--role', 'receipts'], { env: env() });
    assert.equal(noStore.status, 1);
    assert.match(noStore.stderr, /not yet: --role receipts needs a shared store/);
    const noRole = smartcall([...args('x'), '--store', url], { env: env() });
    assert.equal(noRole.status, 1);
    assert.match(noRole.stderr, /not yet: --role all runs on SQLite only/);

    nodeA = await start([...args('a'), '--role', 'receipts', '--store', url], nodeStarted, { env: env() });
    assert.match(nodeA.output(), /"role":"receipts"/);
    // The receipts are written once node A is known: its first push (killed by the receiver) can
    // come only after that, never before the test holds its process.
    for (let seq = 1; seq <= 3; seq++)
      await store.receipts.append({
        receiptId: `c1:${seq}`,
        accountId: acc.id,
        callId: 'c1',
        type: 'VoiceCallReport',
        stream: receiver,
        payload: JSON.stringify({ id: `c1:${seq}` }),
        nextAttemptAt: Date.now(),
        createdAt: Date.now(),
      });
    const deadline = Date.now() + 10_000;
    while (!first && Date.now() < deadline) await pause(10);
    assert.ok(first, 'node A pushed');
    while (nodeA.child.exitCode === null && nodeA.child.signalCode === null) await pause(10);
    assert.equal(nodeA.child.signalCode, 'SIGKILL');

    const nodeB = await start([...args('b'), '--role', 'receipts', '--store', url], nodeStarted, {
      env: env(),
    });
    try {
      assert.equal(await tcpAccepts('127.0.0.1', httpPort!), false, 'a receipt node serves no HTTP');
      assert.equal(await tcpAccepts('127.0.0.1', sipPort!), false, 'nor SIP');
      while (accepted.length < 3 && Date.now() < deadline + 10_000) await pause(20);
      assert.deepEqual(
        accepted.map((r) => r.id),
        ['c1:1', 'c1:2', 'c1:3'],
        "node B sent the call's receipts once each, in order",
      );
      const waited = accepted[0]!.at - first.at;
      assert.ok(waited >= 1900, `not before node A's lease ran out (${waited} ms)`);
      assert.ok(waited < 6000, `soon after it (${waited} ms)`);
      const marked = async () => (await store.receipts.listByCall('c1')).map((r) => r.state);
      while ((await marked()).some((s) => s !== 'delivered') && Date.now() < deadline + 15_000)
        await pause(20);
      assert.deepEqual(await marked(), ['delivered', 'delivered', 'delivered']);
    } finally {
      assert.equal(await nodeB.stop(), 0, 'SIGTERM stops the receipt node cleanly');
    }
  } finally {
    await store.close();
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  }
});
