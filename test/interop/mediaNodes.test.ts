/**
 * Media nodes on PostgreSQL (issue 15, `serve --role media`) through the real CLI: a private
 * PostgreSQL (test/helpers/postgres.ts), the virtual phone network in-process (its Carrier on a free
 * loopback port, the trunk in PostgreSQL pointing at it), a callback server and a receipt receiver on
 * 127.0.0.1, and smartcall processes for the roles. A SmartCall signed with the real Alibaba client
 * reaches an API node; a media node claims it from the shared queue, the persona converses with the
 * callback, and the call's final record and VoiceReport land in PostgreSQL and at the receiver.
 * Two media nodes share 20 calls (none placed twice, the trunk's 5 CPS held across both); a drained
 * node gives its held calls back to the other; a SIGKILLed node's calls are finalised by the other
 * (one terminal state and one VoiceReport each) once its lease lapses.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/observability/logger.js';
import { phonenetConfigSchema } from '../../src/phonenet/phonenetConfig.js';
import { PhonenetService } from '../../src/phonenet/phonenetService.js';
import { PgStore } from '../../src/store/postgres/pgStore.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { type Running, start, stopAll } from '../cli/cliHarness.js';
import { callAction } from '../helpers/aliClients.js';
import { CallbackServer } from '../helpers/e2eHarness.js';
import { laneRtpPorts, laneWindow } from '../helpers/lanes.js';
import { freePorts } from '../helpers/ports.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tempDir.js';

const MASTER_KEY = 'media-node-test-master-key-0123456789';
const KEY_ID = 'LTAImedianodetest0000001';
const SECRET = 'MediaNodeSecret0123456789abcdef';
const SHOW = '05710000001';
/** Answers, says one thing, waits for the next prompt. */
const TALKER = '13900000001';
/** Answers and stays on the line for a while (calls to kill or drain mid-call). */
const HOLDER = '13900000002';

const PERSONAS = `
personas:
  - name: talker
    number: "${TALKER}"
    steps:
      - ring: 300
      - answer
      - wait: prompt-end
      - say: 你好
      - wait: prompt-end
      - hangup
  - name: holder
    number: "${HOLDER}"
    steps:
      - ring: 100
      - answer
      - silence: 6000
      - hangup
`;

const dir = tempDir('smartcall-media-');
let server: TestPostgres;
let phonenet: PhonenetService;
const callbacks = new CallbackServer();
const receipts: { id: string; type: string; callId: string; body: Record<string, unknown> }[] = [];
let receiver: Server;
let receiverUrl = '';

before(async () => {
  server = await startPostgres();
  const [sipPort] = await freePorts(1);
  const file = join(dir.path, 'personas.yaml');
  writeFileSync(file, PERSONAS);
  phonenet = await PhonenetService.start({
    config: phonenetConfigSchema.parse({
      sipPort: sipPort!,
      ...laneRtpPorts('phonenet'),
      personasFiles: [file],
      runDir: join(dir.path, 'phonenet'),
    }),
    dataDir: dir.path,
    voice: 'synthetic',
    warmUp: false,
    logger: silentLogger(),
  });
  callbacks.script = (cb) => (cb.contentType === 'normal' ? { action: 'hangup' } : { action: 'donothing' });
  await callbacks.start();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      for (const r of JSON.parse(body) as Record<string, unknown>[])
        receipts.push({
          id: String(r.receipt_id ?? r.id),
          type: String(r.type ?? ''),
          callId: String(r.call_id ?? ''),
          body: r,
        });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/receipts`;
});

after(async () => {
  await stopAll();
  await phonenet?.close();
  await callbacks.close();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  await server?.stop();
  dir.remove();
});

const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, SMARTCALL_MASTER_KEY: MASTER_KEY };
  delete e.SMARTCALL_ROLE;
  delete e.SMARTCALL_STORE_URL;
  delete e.SMARTCALL_CONFIG;
  return e;
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ready = (out: string) => out.includes('"smartcall started"');

/** A fresh database with the tenant and the trunk to the phone network (cps, maxCalls). */
async function cluster(name: string, trunk: { cps: number; maxCalls: number }) {
  const url = await server.createDatabase(name);
  const admin = await PgStore.open(url, { poolSize: 3 });
  const box = SecretBox.fromMasterKey(MASTER_KEY);
  const account = await admin.accounts.create({ name: 'tenant', now: Date.now() });
  await admin.accessKeys.insert({
    accessKeyId: KEY_ID,
    accountId: account.id,
    secretEnc: box.seal(SECRET),
    status: 'active',
    createdAt: Date.now(),
  });
  await admin.numbers.add({ number: SHOW, accountId: account.id, createdAt: Date.now() });
  await admin.accounts.setCallback(account.id, {
    url: callbacks.url,
    timeoutMs: 3000,
    fallbackReply: null,
    bodyMode: 'query',
    signingSecretEnc: null,
    unrecognized: 'callback',
  });
  await admin.accounts.setReceipts(account.id, { url: receiverUrl, types: ['VoiceReport'] });
  await admin.trunks.upsert({
    name: 'phonenet',
    host: '127.0.0.1',
    port: phonenet.carrier.sipPort,
    transport: 'udp',
    uri: `sip:127.0.0.1:${phonenet.carrier.sipPort}`,
    username: null,
    passwordEnc: null,
    realm: null,
    callerFormat: 'national',
    calleeFormat: 'national',
    sendPai: false,
    cps: trunk.cps,
    maxCalls: trunk.maxCalls,
    optionsIntervalS: 0,
    codecs: ['PCMA', 'PCMU'],
    isDefault: true,
    createdAt: Date.now(),
  } as never);
  return { url, admin, accountId: account.id };
}

let nodesStarted = 0;

async function node(role: 'api' | 'media' | 'receipts', url: string, name: string): Promise<Running> {
  const [httpPort, sipPort] = await freePorts(2);
  const config = join(dir.path, `${name}.yaml`);
  // Each node 100 ports of this lane's smartcall window (six nodes before one is reused).
  const rtpMin = laneWindow('rtp').min + (nodesStarted++ % 6) * 100;
  writeFileSync(
    config,
    `calls:\n  leaseSeconds: 2\n  queuePollMs: 100\n  trunkKeepAlive: false\nreceipts:\n  pollMs: 200\nrtp:\n  portMin: ${rtpMin}\n  portMax: ${rtpMin + 99}\nphonenet:\n  enabled: false\n`,
  );
  return start(
    [
      'serve',
      '--config',
      config,
      '--data-dir',
      join(dir.path, name),
      '--http-port',
      String(httpPort),
      '--sip-port',
      String(sipPort),
      '--log-format',
      'json',
      '--role',
      role,
      '--store',
      url,
    ],
    ready,
    { env: env(), timeoutMs: 60_000 },
  );
}

function apiPort(api: Running): number {
  const m = /"port":(\d+)/.exec(api.output());
  assert.ok(m, 'the API node logs its port');
  return Number(m[1]);
}

async function smartCall(api: Running, called: string, outId: string): Promise<string> {
  const r = await callAction(
    'v3',
    { endpoint: `127.0.0.1:${apiPort(api)}`, accessKeyId: KEY_ID, accessKeySecret: SECRET },
    'SmartCall',
    {
      CalledShowNumber: SHOW,
      CalledNumber: called,
      VoiceCode: '$g$',
      VoiceCodeParam: '{"g":"您好"}',
      OutId: outId,
    },
  );
  assert.equal(r.code, 'OK', JSON.stringify(r));
  return String(r.body!.CallId);
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(100);
  }
}

test('serve --role api + --role media on one PostgreSQL: a SmartCall is placed, converses, ends with its record and VoiceReport', async () => {
  const { url, admin } = await cluster('one_call', { cps: 10, maxCalls: 10 });
  try {
    const api = await node('api', url, 'api1');
    const media = await node('media', url, 'media1');
    assert.match(media.output(), /"role":"media"/);
    const callId = await smartCall(api, TALKER, 'media-1');
    const call = await until('the final record', 30_000, async () => {
      const c = await admin.calls.find(callId);
      return c && (c.state === 'ended' || c.state === 'failed') ? c : undefined;
    });
    assert.equal(call.state, 'ended', JSON.stringify(call));
    assert.ok(call.answerAt, 'answered');
    assert.equal(call.trunk, 'phonenet');
    const said = callbacks.forCall(callId);
    assert.ok(
      said.some((cb) => cb.contentType === 'normal'),
      `the persona's words reached the callback: ${JSON.stringify(said.map((c) => c.contentType))}`,
    );
    const exchanges = await until('the callback exchanges', 10_000, async () => {
      const x = await admin.callbackExchanges.listByCall(callId);
      return x.length > 0 ? x : undefined;
    });
    assert.ok(exchanges.length >= 1, 'the callback exchanges are in PostgreSQL');
    const report = await until('the VoiceReport', 15_000, async () =>
      receipts.find((r) => r.callId === callId || JSON.stringify(r.body).includes(callId)),
    );
    assert.ok(report, 'the VoiceReport was delivered');
    const stored = await admin.receipts.listByCall(callId);
    assert.equal(stored.filter((r) => r.type === 'VoiceReport').length, 1, 'one VoiceReport');
    assert.equal(await media.stop(), 0, 'SIGTERM stops the media node cleanly');
    assert.equal(await api.stop(), 0);
  } finally {
    await admin.close();
    await stopAll();
  }
});

test('two media nodes: 20 calls spread over both, none placed twice, 5 CPS held across them; a SIGKILLed node’s calls are finalised by the other', async () => {
  const { url, admin } = await cluster('two_nodes', { cps: 5, maxCalls: 40 });
  try {
    const api = await node('api', url, 'api2');
    const a = await node('media', url, 'media2a');
    const b = await node('media', url, 'media2b');
    const nodeOf = (m: Running) => /"node":"([^"]+)"/.exec(m.output())![1]!;
    const [nameA, nameB] = [nodeOf(a), nodeOf(b)];
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await smartCall(api, HOLDER, `spread-${i}`));
    const starts = await until('20 starts', 30_000, async () => {
      const r = await admin.pool.query<{ call_id: string; node: string; at_ms: string }>(
        `SELECT call_id, node, (extract(epoch FROM at) * 1000)::float8 AS at_ms FROM trunk_starts WHERE trunk = 'phonenet' ORDER BY at`,
      );
      return r.rows.length >= 20 ? r.rows : undefined;
    });
    assert.equal(starts.length, 20, 'every call started once (no call placed twice)');
    assert.equal(new Set(starts.map((s) => s.call_id)).size, 20);
    const byNode = new Map<string, number>();
    for (const s of starts) byNode.set(s.node, (byNode.get(s.node) ?? 0) + 1);
    assert.ok(
      (byNode.get(nameA) ?? 0) > 0 && (byNode.get(nameB) ?? 0) > 0,
      `spread: ${JSON.stringify([...byNode])}`,
    );
    const at = starts.map((s) => Number(s.at_ms));
    let worst = 0;
    for (let i = 0; i < at.length; i++)
      worst = Math.max(worst, at.filter((t) => t >= at[i]! && t < at[i]! + 1000).length);
    assert.ok(worst <= 5, `at most 5 starts in any one-second window (saw ${worst})`);

    // Node A dies with its calls up; the other finalises them after A's lease (2 s) lapses.
    await until('answered calls on node A', 10_000, async () => {
      const r = await admin.pool.query(
        `SELECT 1 FROM calls WHERE claimed_by = $1 AND state = 'answered' LIMIT 1`,
        [nameA],
      );
      return r.rows.length > 0 ? true : undefined;
    });
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    const finals = await until('every call final', 20_000, async () => {
      const calls = await Promise.all(ids.map((id) => admin.calls.find(id)));
      return calls.every((c) => c?.state === 'ended' || c?.state === 'failed') ? calls : undefined;
    });
    const recovery = (Date.now() - killedAt) / 1000;
    assert.ok(recovery < 15, `finalised within 15 s (${recovery} s)`);
    for (const id of ids) {
      const reports = await until(`VoiceReport of ${id}`, 10_000, async () => {
        const r = (await admin.receipts.listByCall(id)).filter((x) => x.type === 'VoiceReport');
        return r.length > 0 ? r : undefined;
      });
      assert.equal(reports.length, 1, `exactly one VoiceReport for ${id}`);
    }
    assert.ok(
      finals.some((c) => c?.statusMsg?.includes('平台重启')),
      'node A’s calls were finalised as interrupted',
    );
    assert.equal(await b.stop(), 0);
    assert.equal(await api.stop(), 0);
  } finally {
    await admin.close();
    await stopAll();
  }
});
