/** `/console/overview`: the figures of a time window, limited to the user's account. */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../clock/clock.js';
import type { Store } from '../../store/repositories.js';
import { sendPage } from '../consoleAccess.js';
import type { ResourceAccess } from '../resources/resourceAccess.js';
import { buildOverview, parseOverviewQuery, WINDOWS } from './overviewModel.js';
import { overviewView } from './overviewView.js';

export function registerOverviewRoutes(
  app: FastifyInstance,
  d: { store: Store; access: ResourceAccess; clock: Clock },
): void {
  app.get<{ Querystring: Record<string, unknown> }>('/console/overview', (req, reply) => {
    const s = d.access.seen(req, reply);
    if (!s) return reply;
    const own = s.v.open.user.accountId;
    const accounts = own === null ? d.store.accounts.list().map((a) => a.name) : undefined;
    const q = parseOverviewQuery(req.query);
    if (typeof q === 'string') {
      const query = {
        window: '24h' as const,
        end: undefined,
        account: undefined,
        form: { window: '24h', end: '', account: '' },
      };
      return sendPage(reply, 400, overviewView(s.ctx, s.r, { query, accounts, error: q }));
    }
    let accountId = own ?? undefined;
    if (q.account !== undefined) {
      const account = d.access.account(s, q.account, reply);
      if (!account) return reply;
      accountId = account.id;
    }
    const w = WINDOWS[q.window];
    // Buckets aligned to their own length, so a refresh moves the chart by whole buckets.
    const end = q.end ?? Math.ceil(d.clock.now() / w.bucketMs) * w.bucketMs;
    const from = end - w.ms;
    const stats = d.store.callStats.overview({
      from,
      to: end,
      bucketMs: w.bucketMs,
      ...(accountId !== undefined && { accountId }),
    });
    // Trunks serve every account: their limits are shown to installation-wide users only.
    const limits = new Map(
      own === null ? d.store.trunks.list().map((t) => [t.name, { cps: t.cps, maxCalls: t.maxCalls }]) : [],
    );
    const overview = buildOverview(stats, { from, to: end, bucketMs: w.bucketMs }, limits);
    return sendPage(reply, 200, overviewView(s.ctx, s.r, { query: q, accounts, overview }));
  });
}
