/**
 * A local distributed-mode cluster for one test file (issue 15): one private PostgreSQL and one
 * redis-server (test/helpers/postgres.ts, redis.ts; `redis: false` for none), the virtual phone network in-process (its
 * Carrier on a free loopback port, the trunk in PostgreSQL pointing at it), a callback server and a
 * receipt receiver on 127.0.0.1, and smartcall nodes — each `serve --role api|media|scheduler` as its own
 * process through the real CLI, on ports of this lane's signalling slot (helpers/lanes.ts). `close()` stops every node, server and
 * folder it made, whatever state the test left them in.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { silentLogger } from '../../src/observability/logger.js';
import { phonenetConfigSchema } from '../../src/phonenet/phonenetConfig.js';
import { PhonenetService } from '../../src/phonenet/phonenetService.js';
import { PgStore } from '../../src/store/postgres/pgStore.js';
import { nodeEnv, nodeStarted, type Running, serveArgs, start, startedLine } from '../cli/cliHarness.js';
import { type CallOutcome, callAction } from './aliClients.js';
import { CallbackServer } from './e2eHarness.js';
import { laneRtpPorts, laneSignalPorts, laneWindow } from './lanes.js';
import { seedTenant } from './pgTenant.js';
import { startPostgres, type TestPostgres } from './postgres.js';
import { startRedis, type TestRedis } from './redis.js';
import { tempDir } from './tempDir.js';

export const CLUSTER_MASTER_KEY = 'cluster-test-master-key-0123456789';
export const CLUSTER_KEY_ID = 'LTAIclustertest000000001';
export const CLUSTER_SECRET = 'ClusterTestSecret0123456789abcd';
export const CLUSTER_SHOW = '05710000009';

/** The phone network's personas the cluster tests call, by name: their numbers. */
export const PERSONA_NUMBERS = {
  /** Answers, says one thing, waits for the next prompt. */
  talker: '13900000001',
  /** Answers and stays on the line for 6 s (calls to kill or drain mid-call). */
  holder: '13900000002',
  /** Answers and stays on the line for 20 s (a transfer's caller). */
  callee: '13900000005',
  /** A call centre's agent: answers and hangs up 1.5 s later. */
  agent: '13900000006',
} as const;
export type PersonaName = keyof typeof PERSONA_NUMBERS;

const PERSONA_STEPS: Record<PersonaName, string[]> = {
  talker: ['ring: 300', 'answer', 'wait: prompt-end', 'say: 你好', 'wait: prompt-end', 'hangup'],
  holder: ['ring: 100', 'answer', 'silence: 6000', 'hangup'],
  callee: ['ring: 100', 'answer', 'silence: 20000', 'hangup'],
  agent: ['ring: 100', 'answer', 'silence: 1500', 'hangup'],
};

/** The personas YAML of the named personas (for `ClusterOptions.personas`). */
export function personasYaml(...names: PersonaName[]): string {
  const entries = names.map(
    (n) =>
      `  - name: ${n}\n    number: "${PERSONA_NUMBERS[n]}"\n    steps:\n` +
      PERSONA_STEPS[n].map((step) => `      - ${step}\n`).join(''),
  );
  return `personas:\n${entries.join('')}`;
}

export interface ClusterOptions {
  /** Personas YAML of the phone network. */
  personas: string;
  trunk: { cps: number; maxCalls: number };
  /** `cc_name` → number, for parallel transfers on the media nodes. */
  callCenters?: Record<string, string>;
  /** Media nodes' call lease (default 2 s: a killed node's calls are finalised quickly). */
  leaseSeconds?: number;
  /** Start a redis-server and give it to every node with `--redis` (default true). */
  redis?: boolean;
}

export interface Receipt {
  id: string;
  type: string;
  callId: string;
  body: Record<string, unknown>;
}

export interface TestCluster {
  url: string;
  admin: PgStore;
  /** The cluster's redis-server (undefined when started with `redis: false`). */
  redis: TestRedis | undefined;
  phonenet: PhonenetService;
  callbacks: CallbackServer;
  receipts: Receipt[];
  /**
   * Starts one node (`serve --role …` as a child process) and waits for its start line; a media
   * node's `calls.nodeCapacity` may be given.
   */
  node(role: 'api' | 'media' | 'scheduler', name: string, o?: { nodeCapacity?: number }): Promise<Running>;
  /** A signed request through the real Alibaba client (v3) to an API node. */
  call(
    api: Running,
    action: string,
    params: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<CallOutcome>;
  /** SmartCall to `called` through `api`: its CallId. */
  smartCall(api: Running, called: string, outId: string, extra?: Record<string, string>): Promise<string>;
  close(): Promise<void>;
}

/** The HTTP port a node logged in its start line. */
export const nodePort = (n: Running): number => startedLine(n).port;

/** A media node's queue name (`claimed_by`). */
export const queueName = (n: Running): string => /"node":"([^"]+)"/.exec(n.output())![1]!;

export async function startCluster(o: ClusterOptions): Promise<TestCluster> {
  const dir = tempDir('smartcall-cluster-');
  const nodes: Running[] = [];
  let pg: TestPostgres | undefined;
  let redis: TestRedis | undefined;
  let phonenet: PhonenetService | undefined;
  let admin: PgStore | undefined;
  let receiver: Server | undefined;
  const callbacks = new CallbackServer();
  const close = async () => {
    await Promise.all(
      nodes.map(async (n) => {
        if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL');
        await n.stop();
      }),
    );
    await admin?.close();
    await phonenet?.close();
    await callbacks.close();
    receiver?.closeAllConnections();
    await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
    await redis?.stop();
    await pg?.stop();
    dir.remove();
  };
  try {
    [pg, redis] = await Promise.all([startPostgres(), o.redis === false ? undefined : startRedis()]);
    const [sipPort] = laneSignalPorts(1);
    const file = join(dir.path, 'personas.yaml');
    writeFileSync(file, o.personas);
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
    await callbacks.start();
    const receipts: Receipt[] = [];
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
    await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/receipts`;

    const url = await pg.createDatabase('cluster');
    admin = await PgStore.open(url, { poolSize: 3 });
    const { accountId } = await seedTenant(admin, {
      masterKey: CLUSTER_MASTER_KEY,
      keyId: CLUSTER_KEY_ID,
      secret: CLUSTER_SECRET,
      show: CLUSTER_SHOW,
    });
    await admin.accounts.setCallback(accountId, {
      url: callbacks.url,
      timeoutMs: 3000,
      fallbackReply: null,
      bodyMode: 'query',
      signingSecretEnc: null,
      unrecognized: 'callback',
    });
    await admin.accounts.setReceipts(accountId, { url: receiverUrl, types: ['VoiceReport'] });
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
      cps: o.trunk.cps,
      maxCalls: o.trunk.maxCalls,
      optionsIntervalS: 0,
      codecs: ['PCMA', 'PCMU'],
      isDefault: true,
      createdAt: Date.now(),
    } as never);

    const centres = Object.entries(o.callCenters ?? {})
      .map(([k, v]) => `    ${k}: "${v}"\n`)
      .join('');
    const theRedis = redis;
    let nodesStarted = 0;
    const node = async (
      role: 'api' | 'media' | 'scheduler',
      name: string,
      options: { nodeCapacity?: number } = {},
    ): Promise<Running> => {
      const [httpPort, sipPort, internalPort] = laneSignalPorts(3);
      const config = join(dir.path, `${name}.yaml`);
      // Each node 100 ports of this lane's smartcall window (six nodes before one is reused).
      const rtpMin = laneWindow('rtp').min + (nodesStarted++ % 6) * 100;
      writeFileSync(
        config,
        `calls:\n  leaseSeconds: ${o.leaseSeconds ?? 2}\n  queuePollMs: 100\n  trunkKeepAlive: false\n` +
          (options.nodeCapacity ? `  nodeCapacity: ${options.nodeCapacity}\n` : '') +
          (centres ? `  callCenters:\n${centres}` : '') +
          `receipts:\n  pollMs: 200\nrtp:\n  portMin: ${rtpMin}\n  portMax: ${rtpMin + 99}\n` +
          `phonenet:\n  enabled: false\ncluster:\n  internalPort: ${internalPort}\n`,
      );
      const n = await start(
        serveArgs(
          { config, dataDir: join(dir.path, name), httpPort: httpPort!, sipPort: sipPort! },
          '--role',
          role,
          '--store',
          url,
          ...(theRedis ? ['--redis', theRedis.url] : []),
        ),
        nodeStarted,
        { env: nodeEnv({ SMARTCALL_MASTER_KEY: CLUSTER_MASTER_KEY }), timeoutMs: 60_000 },
      );
      nodes.push(n);
      return n;
    };
    const call = (
      api: Running,
      action: string,
      params: Record<string, string>,
      headers?: Record<string, string>,
    ) =>
      callAction(
        'v3',
        {
          endpoint: `127.0.0.1:${nodePort(api)}`,
          accessKeyId: CLUSTER_KEY_ID,
          accessKeySecret: CLUSTER_SECRET,
        },
        action,
        params,
        headers ? { headers } : undefined,
      );
    return {
      url,
      admin,
      redis,
      phonenet,
      callbacks,
      receipts,
      node,
      call,
      async smartCall(api, called, outId, extra = {}) {
        const r = await call(api, 'SmartCall', {
          CalledShowNumber: CLUSTER_SHOW,
          CalledNumber: called,
          VoiceCode: '$g$',
          VoiceCodeParam: '{"g":"您好"}',
          OutId: outId,
          ...extra,
        });
        assert.equal(r.code, 'OK', JSON.stringify(r));
        return String(r.body!.CallId);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Polls `probe` every 100 ms until it gives a value, for at most `ms`. */
export async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
