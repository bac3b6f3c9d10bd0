/**
 * `npm run bench:console`: the web console over a store of 1,000,000 calls (a file on disk, WAL,
 * the schema of every migration). Fills it in one transaction, logs in over real HTTP on 127.0.0.1,
 * then times the calls list (the newest page and pages deep in the history by cursor), filtered
 * lists (account + state, number, OutId, outcome in a time range), call details with their
 * callback exchanges and receipts, and the overview of a 1 h, 6 h or 24 h window. Last line: one JSON object; the goal is p99 ≤ 100 ms each.
 */
import type { AddressInfo } from 'node:net';
import { CallEventLog } from '../src/calls/callEventLog.js';
import { CallEvents } from '../src/calls/callEvents.js';
import { systemClock } from '../src/clock/clock.js';
import { CallTranscripts } from '../src/console/callTranscripts.js';
import { ConsoleUsers } from '../src/console/consoleUsers.js';
import { registerWebConsole } from '../src/console/webConsole.js';
import { silentLogger } from '../src/observability/logger.js';
import { createApiServer } from '../src/openapi/apiServer.js';
import type { RpcGateway } from '../src/openapi/rpcGateway.js';
import { CALL_STATES } from '../src/store/records.js';
import { SqliteStore } from '../src/store/sqlite/sqliteStore.js';
import { tempDir } from '../test/helpers/tempDir.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 1_000_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);
const ACCOUNTS = 8;
const DETAILED = 10_000;
const START = Date.UTC(2025, 0, 1);
const SPAN_MS = 30 * 86400_000;

/** A small deterministic generator (mulberry32), so every run fills the same store. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = random(42);
const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
const callIdAt = (i: number) =>
  `${String(START + Math.floor((i * SPAN_MS) / CALLS)).padStart(15, '0')}^${String(i).padStart(9, '0')}`;
const numberOf = (i: number) => `139${String((i * 7919) % 100_000_000).padStart(8, '0')}`;

function fill(store: SqliteStore): number[] {
  const accountIds: number[] = [];
  for (let a = 0; a < ACCOUNTS; a++)
    accountIds.push(store.accounts.create({ name: `acct${a}`, now: START }).id);
  const request = JSON.stringify({
    VoiceCode: '$t$',
    VoiceCodeParam: '{"t":"您好，这里是某某公司，请问您是张先生吗？"}',
    RecordFlag: true,
  });
  const t0 = performance.now();
  store.transaction(() => {
    for (let i = 0; i < CALLS; i++) {
      const created = START + Math.floor((i * SPAN_MS) / CALLS);
      const answered = rnd() < 0.6;
      const failed = !answered && rnd() < 0.5;
      store.calls.insert({
        callId: callIdAt(i),
        accountId: accountIds[i % ACCOUNTS]!,
        state: i > CALLS - 50 ? pick(CALL_STATES) : failed ? 'failed' : 'ended',
        calledNumber: numberOf(i),
        calledShowNumber: '057188880000',
        outId: `order-${i}`,
        dynamicId: null,
        request,
        createdAt: created,
        originateAt: created + 20,
        ringAt: created + 900,
        answerAt: answered ? created + 5000 : null,
        endAt: created + 40_000,
        statusCode: answered ? '200000' : failed ? '200005' : '200003',
        smartStatusCode: answered ? 'ANSWERED' : null,
        statusMsg: answered ? '执行完成' : failed ? '无法接通' : '振铃未接听',
        hangupDirection: answered ? '机器' : null,
        trunk: 'carrier',
        sipStatus: answered ? null : 480,
        sipReason: answered ? null : 'Temporarily Unavailable',
        dtmf: null,
        earlyMediaCode: null,
        recordPath: null,
        recordBeginAt: null,
        parallelLegHangupCause: null,
      });
      if (i % (CALLS / DETAILED) === 0) {
        for (let k = 0; k < 3; k++)
          store.callbackExchanges.insert({
            callId: callIdAt(i),
            contentType: 'normal',
            content: JSON.stringify({
              words: '是的我是',
              begin_offset: 6000 + k * 4000,
              asr_end_time: String(created + 8000 + k * 4000 - 760),
            }),
            outcome: 'ok',
            httpStatus: 200,
            reply: '{"result":"success","data":{"action":"play"}}',
            action: 'play (reply)',
            detail: null,
            latencyMs: 40 + k,
            createdAt: created + 8000 + k * 4000,
          });
        for (const type of ['VoiceCallReport', 'VoiceReport'] as const)
          store.receipts.append({
            receiptId: `${callIdAt(i)}:${type}:1`,
            accountId: accountIds[i % ACCOUNTS]!,
            callId: callIdAt(i),
            type,
            stream: 'http://receiver/r',
            payload: '{}',
            nextAttemptAt: created + 40_000,
            createdAt: created + 40_000,
          });
      }
    }
  });
  const ms = performance.now() - t0;
  process.stdout.write(
    `filled ${CALLS} calls in ${(ms / 1000).toFixed(1)} s (${Math.round(CALLS / (ms / 1000))}/s)\n`,
  );
  return accountIds;
}

function p(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

async function time(name: string, urls: () => string, cookie: string): Promise<number> {
  const run = async () => {
    const url = urls();
    const t = performance.now();
    const res = await fetch(url, { headers: { cookie } });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 200)}`);
    return performance.now() - t;
  };
  for (let i = 0; i < 20; i++) await run();
  const ms: number[] = [];
  for (let i = 0; i < SAMPLES; i++) ms.push(await run());
  ms.sort((a, b) => a - b);
  const p99 = p(ms, 0.99);
  process.stdout.write(
    `${name.padEnd(8)} p50 ${p(ms, 0.5).toFixed(1)} ms  p99 ${p99.toFixed(1)} ms  max ${ms.at(-1)!.toFixed(1)} ms  (${SAMPLES} requests)\n`,
  );
  return Math.round(p99 * 10) / 10;
}

async function main(): Promise<void> {
  const dir = tempDir('smartcall-console-bench-');
  const store = SqliteStore.open(dir.path);
  const gateway = { handle: async () => ({ status: 404, headers: {}, body: '' }) } as unknown as RpcGateway;
  const app = createApiServer({
    gateway,
    routes: (a) =>
      registerWebConsole(a, {
        store,
        clock: systemClock,
        transcripts: new CallTranscripts(new CallEvents()),
        eventLog: new CallEventLog({ store, events: new CallEvents(), log: silentLogger() }),
        log: silentLogger(),
      }),
  });
  try {
    fill(store);
    await new ConsoleUsers(store, systemClock).add({
      name: 'bench',
      password: 'bench-password',
      role: 'admin',
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const page = await fetch(`${base}/console/login`);
    const loginCookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const login = await fetch(`${base}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, name: 'bench', password: 'bench-password' }),
    });
    const cookie = login.headers
      .getSetCookie()
      .find((c) => c.startsWith('smartcall_session='))!
      .split(';')[0]!;

    // The list: the newest page, and a page anywhere in the month by its cursor.
    const listP99Ms = await time(
      'list',
      () => {
        if (rnd() < 0.5) return `${base}/console/calls`;
        const i = Math.floor(rnd() * CALLS);
        const created = START + Math.floor((i * SPAN_MS) / CALLS);
        return `${base}/console/calls?after=${encodeURIComponent(`${created}.${callIdAt(i)}`)}`;
      },
      cookie,
    );
    const day = (d: number) => new Date(START + d * 86400_000 + 8 * 3600_000).toISOString().slice(0, 16);
    const filters = [
      () => `account=acct${Math.floor(rnd() * ACCOUNTS)}&state=failed`,
      () => `number=${numberOf(Math.floor(rnd() * CALLS))}`,
      () => `outId=order-${Math.floor(rnd() * CALLS)}`,
      () => {
        const d = Math.floor(rnd() * 29);
        return `status=200003&from=${day(d)}&to=${day(d + 1)}`;
      },
      () => `account=acct${Math.floor(rnd() * ACCOUNTS)}&from=${day(Math.floor(rnd() * 29))}`,
    ];
    const filterP99Ms = await time('filter', () => `${base}/console/calls?${pick(filters)()}`, cookie);
    const detailP99Ms = await time(
      'detail',
      () => {
        const i = Math.floor(rnd() * DETAILED) * (CALLS / DETAILED);
        return `${base}/console/calls/${encodeURIComponent(callIdAt(i))}`;
      },
      cookie,
    );
    // The overview of a window anywhere in the month: 1 h, 6 h or 24 h, all accounts or one.
    const windows = ['1h', '6h', '24h'] as const;
    const overviewP99Ms = await time(
      'overview',
      () => {
        const account = rnd() < 0.5 ? `&account=acct${Math.floor(rnd() * ACCOUNTS)}` : '';
        return `${base}/console/overview?window=${pick(windows)}&end=${day(1 + Math.floor(rnd() * 28))}${account}`;
      },
      cookie,
    );
    process.stdout.write(
      JSON.stringify({ bench: 'console', calls: CALLS, listP99Ms, detailP99Ms, filterP99Ms, overviewP99Ms }) +
        '\n',
    );
  } finally {
    await app.close();
    store.close();
    dir.remove();
  }
}

await main();
