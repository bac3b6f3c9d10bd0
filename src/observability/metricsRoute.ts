/**
 * `GET /metrics` on the API port, and who may read it. With `metrics.token` set, every scrape
 * needs `Authorization: Bearer <token>`. Without one, the figures are open only while the API
 * listens on loopback (whoever can reach it is on this machine); bound anywhere else they are
 * refused until a token is set: call counts, trunk names and load are not for the whole network.
 */
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

export interface MetricsAccess {
  /** Bearer token every scrape must present; undefined: none. */
  token: string | undefined;
  /** The API's bind address (`http.host`). */
  host: string;
}

/** Whether `host` (the bind address) only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return /^::ffff:127\./.test(h);
}

/** Why a scrape is refused (status and message), or undefined when it may read the figures. */
export function metricsRefusal(
  access: MetricsAccess,
  authorization: string | undefined,
): { status: number; message: string } | undefined {
  if (access.token === undefined) {
    if (isLoopbackHost(access.host)) return undefined;
    return {
      status: 403,
      message: `metrics are served beyond loopback (${access.host}) only with a token: set metrics.token (serve --metrics-token, SMARTCALL_METRICS_TOKEN)`,
    };
  }
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim() ?? '');
  const want = Buffer.from(access.token);
  if (given.length === want.length && timingSafeEqual(given, want)) return undefined;
  return { status: 401, message: 'metrics need Authorization: Bearer <metrics.token>' };
}

export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics, access: MetricsAccess): void {
  app.get('/metrics', async (req, reply) => {
    const refusal = metricsRefusal(access, req.headers.authorization);
    if (refusal) {
      if (refusal.status === 401) void reply.header('www-authenticate', 'Bearer realm="metrics"');
      return reply.code(refusal.status).send({ error: refusal.message });
    }
    const text = await metrics.exposition();
    return reply.header('content-type', metrics.contentType).send(text);
  });
}
