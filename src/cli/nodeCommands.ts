/**
 * `smartcall admin nodes`: the nodes whose heartbeat is live in Redis (each `serve --redis` writes
 * one every 2 s; a node drops out 6 s after its last).
 */
import type { Command } from 'commander';
import { systemClock } from '../clock/clock.js';
import { NodeRegistry } from '../cluster/nodeRegistry.js';
import { RedisConnection } from '../cluster/redisConnection.js';
import { silentLogger } from '../observability/logger.js';
import { configFrom, type GlobalOptions } from './context.js';
import { emit, table } from './output.js';

export function registerNodeCommands(admin: Command): void {
  admin
    .command('nodes')
    .description('list the live nodes (heartbeats in Redis)')
    .option('--redis <url>', 'Redis the nodes share, redis://host:port[/db] (env SMARTCALL_REDIS_URL)')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as GlobalOptions & { redis?: string };
      const config = configFrom(o, { redisUrl: o.redis });
      if (config.redis.url === undefined)
        throw new Error('admin nodes needs Redis: --redis <url>, SMARTCALL_REDIS_URL or redis.url');
      let cause = 'no answer within 2 s';
      const redis = new RedisConnection({
        url: config.redis.url,
        keyPrefix: config.redis.keyPrefix,
        log: silentLogger(),
      });
      redis.client.on('error', (err: Error) => {
        cause = err.message;
      });
      try {
        if (!(await redis.connect())) throw new Error(`Redis is unreachable: ${cause}`);
        const now = systemClock.now();
        const nodes = await new NodeRegistry(redis).list();
        emit(o, nodes, () =>
          table(
            nodes.map((n) => ({
              ...n,
              state: n.state ?? '',
              seen: `${Math.max(0, Math.round((now - n.seenAt) / 1000))} s ago`,
            })),
            ['nodeId', 'role', 'state', 'sipAddress', 'calls', 'capacity', 'seen'],
          ),
        );
      } finally {
        await redis.close();
      }
    });
}
