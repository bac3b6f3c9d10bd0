/**
 * Composition root of a receipt node (`serve --role receipts`, issue 15): the receipt pusher alone,
 * on the outbox in the shared PostgreSQL store. No HTTP API, SIP, RTP, speech or dialer. Several
 * receipt nodes may run at once: each claims what it sends under a lease (PgReceiptRepository.claim),
 * so no receipt goes out from two nodes at once and a call's receipts keep their order; a node that
 * dies leaves its leases to run out (`receipts.leaseSeconds`), then another node sends them. The
 * outbox is written by other nodes, so it is looked at every `receipts.pollMs`.
 */
import { ReceiptPusher } from './callback/receiptPusher.js';
import { systemClock } from './clock/clock.js';
import type { Config } from './config.js';
import type { RunningNode } from './nodeParts.js';
import type { Logger } from './observability/logger.js';
import { PgStore } from './store/postgres/pgStore.js';

export interface RunningReceiptsNode extends RunningNode {
  pusher: ReceiptPusher;
  httpPort: undefined;
}

export async function startReceiptsNode(config: Config, log: Logger): Promise<RunningReceiptsNode> {
  const store = await PgStore.open(config.store.url, { poolSize: 4 });
  const pusher = new ReceiptPusher({
    store,
    time: systemClock,
    log: log.child({ component: 'receipts' }),
    timeoutMs: config.receipts.timeoutMs,
    retryDelaysMs: config.receipts.retryDelaysSeconds.map((s) => s * 1000),
    leaseMs: config.receipts.leaseSeconds * 1000,
    idleMs: config.receipts.pollMs,
  });
  pusher.start();
  log.info(
    { role: 'receipts', store: store.kind, leaseSeconds: config.receipts.leaseSeconds },
    'smartcall started',
  );
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= pusher.stop();
    return stopped;
  };
  return {
    store,
    pusher,
    httpPort: undefined,
    demo: undefined,
    consoleLogin: undefined,
    drain: async () => {
      await stop();
      return { left: 0 };
    },
    async close() {
      await stop();
      await store.close();
      log.info('smartcall stopped');
    },
  };
}
