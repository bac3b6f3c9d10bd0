/**
 * `npm run bench:receipts`: how soon a receipt reaches the business after the call change that
 * made it — the ledger writes it with the change, the pusher sends it over HTTP to a receiver on
 * 127.0.0.1 — at a steady 200 changes per second. Last line: one JSON object.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiptPusher } from '../src/callback/receiptPusher.js';
import { CallLedger } from '../src/calls/callLedger.js';
import { newQueuedCall } from '../src/calls/newCall.js';
import { systemClock } from '../src/clock/clock.js';
import { silentLogger } from '../src/observability/logger.js';
import { SqliteStore } from '../src/store/sqlite/sqliteStore.js';
import { tempDir } from '../test/helpers/tempDir.js';

const CHANGES = Number(process.env.BENCH_CHANGES ?? 2000);
const RATE = 200;

async function main(): Promise<void> {
  const arrived = new Map<string, number>();
  let batches = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      const now = performance.timeOrigin + performance.now();
      batches++;
      for (const r of JSON.parse(body) as { receipt_id: string }[])
        if (!arrived.has(r.receipt_id)) arrived.set(r.receipt_id, now);
      res.end('{"code":0}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dir = tempDir('smartcall-receipts-');
  const store = SqliteStore.open(dir.path);
  try {
    const account = store.accounts.create({ name: 'bench', now: Date.now() });
    store.accounts.setReceipts(account.id, {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/r`,
      types: ['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport'],
    });
    const ledger = new CallLedger(store, { urlFor: () => '' }, silentLogger());
    const pusher = new ReceiptPusher({ store, time: systemClock, log: silentLogger() });
    ledger.onReceipts = () => pusher.wake();
    pusher.start();
    const made = new Map<string, number>();
    const codes = ['200101', '200201', '200102'] as const;
    for (let i = 0; i < CHANGES; i++) {
      const callId = `${String(Math.floor(i / 3)).padStart(12, '0')}^000000000001`;
      if (i % 3 === 0) {
        store.calls.insert(
          newQueuedCall({
            callId,
            accountId: account.id,
            calledNumber: '13800000001',
            calledShowNumber: '057188880000',
            outId: null,
            dynamicId: null,
            request: '{}',
            createdAt: Date.now(),
          }),
        );
      }
      const code = codes[i % 3]!;
      made.set(`${callId}:progress-${code}`, performance.timeOrigin + performance.now());
      ledger.progress(callId, {}, code, Date.now());
      await new Promise((r) => setTimeout(r, 1000 / RATE));
    }
    const until = Date.now() + 10_000;
    while (arrived.size < made.size && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await pusher.stop();
    const latencies = [...made].filter(([id]) => arrived.has(id)).map(([id, t]) => arrived.get(id)! - t);
    latencies.sort((a, b) => a - b);
    const pick = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
    console.log(
      `${arrived.size}/${made.size} receipts delivered in ${batches} batches at ${RATE} changes/s: ` +
        `change → receiver p50 ${pick(0.5).toFixed(1)} ms, p99 ${pick(0.99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
    );
    console.log(
      JSON.stringify({
        bench: 'receipts',
        delivered: arrived.size,
        made: made.size,
        p50Ms: Number(pick(0.5).toFixed(2)),
        p99Ms: Number(pick(0.99).toFixed(2)),
        batches,
      }),
    );
  } finally {
    store.close();
    dir.remove();
    server.closeAllConnections();
    server.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
