/**
 * Composition root of a scheduler (`serve --role scheduler --store postgres://… [--redis …]`, issue
 * 15): the CallScheduler alone, on its own PostgreSQL session (the advisory lock that makes one
 * scheduler active), reading the live media nodes from the node registry in Redis. No HTTP, SIP,
 * RTP or speech; no master key needed (it reads no secret). Without Redis it sees no media node and
 * places nothing: media nodes then claim by themselves (a warning says so). With Redis it shows in
 * `smartcall admin nodes` as role `scheduler`, state `active` or `standby`.
 */
import { randomUUID } from 'node:crypto';
import { CallIdGenerator } from './calls/callId.js';
import { CallScheduler, type MediaNodeView } from './calls/callScheduler.js';
import { systemClock } from './clock/clock.js';
import { CallOwners } from './cluster/callOwners.js';
import { NodeHeartbeat } from './cluster/nodeHeartbeat.js';
import { NodeRegistry } from './cluster/nodeRegistry.js';
import type { Config } from './config.js';
import { connectRedis, type RunningNode, Shutdown } from './nodeParts.js';
import type { Logger } from './observability/logger.js';
import { PgStore } from './store/postgres/pgStore.js';
import { PgSchedulerSession } from './store/postgres/schedulerSession.js';

export interface RunningSchedulerNode extends RunningNode {
  scheduler: CallScheduler;
  /** This scheduler's name (in the beacon and its log lines). */
  node: string;
  httpPort: undefined;
}

export async function startSchedulerNode(config: Config, log: Logger): Promise<RunningSchedulerNode> {
  const shutdown = new Shutdown();
  // The schema is brought up to date here (migration 4 adds what placement needs).
  const store = await PgStore.open(config.store.url, { poolSize: 1 });
  shutdown.add('store', () => store.close());
  try {
    const nodeId = new CallIdGenerator(config.nodeId).nodeId;
    const node = `scheduler-${nodeId}-${randomUUID().slice(0, 8)}`;
    const redis = await connectRedis(config, log, shutdown);
    const registry = redis && new NodeRegistry(redis);
    if (!redis)
      log.warn(
        'no --redis: the scheduler cannot see the media nodes, so it places nothing and media nodes claim queued calls by themselves',
      );
    const mediaNodes = async (): Promise<MediaNodeView[] | undefined> => {
      if (!redis || !registry || !redis.up) return undefined;
      try {
        return (await registry.list())
          .filter((c) => c.role === 'media' && c.queue !== undefined && c.capacity > 0)
          .map((c) => ({ queue: c.queue!, capacity: c.capacity, calls: c.calls }));
      } catch (err) {
        redis.failed('node registry', err);
        return undefined;
      }
    };
    const scheduler = new CallScheduler({
      node,
      openSession: () => PgSchedulerSession.open(config.store.url),
      mediaNodes,
      tickMs: config.scheduler.tickMs,
      assignmentMs: config.scheduler.assignmentMs,
      graceMs: config.scheduler.graceMs,
      batch: config.scheduler.batch,
      clock: systemClock,
      log: log.child({ component: 'scheduler' }),
    });
    if (redis) {
      const heartbeat = new NodeHeartbeat({
        redis,
        registry: new NodeRegistry(redis),
        owners: new CallOwners(redis),
        card: () => ({
          nodeId,
          role: 'scheduler',
          sipAddress: '',
          capacity: 0,
          calls: 0,
          state: scheduler.state,
        }),
        liveCalls: () => [],
        clock: systemClock,
      });
      heartbeat.start();
      shutdown.add('node heartbeat', () => heartbeat.stop());
    }
    scheduler.start();
    shutdown.add('scheduler', () => scheduler.stop());
    log.info(
      {
        role: 'scheduler',
        node,
        store: store.kind,
        ...(redis && { redis: redis.up ? 'connected' : 'unreachable' }),
      },
      'smartcall started',
    );
    return {
      store,
      scheduler,
      node,
      httpPort: undefined,
      demo: undefined,
      consoleLogin: undefined,
      drain: async () => {
        await scheduler.stop();
        return { left: 0 };
      },
      async close() {
        await shutdown.run(log);
        log.info('smartcall stopped');
      },
    };
  } catch (err) {
    await shutdown.run(log);
    throw err;
  }
}
