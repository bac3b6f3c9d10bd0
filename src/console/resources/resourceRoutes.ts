/** The resources screens: accounts and their settings, the media library, the trunks with their health. */
import type { FastifyInstance } from 'fastify';
import { sendPage } from '../consoleAccess.js';
import { registerAccountRoutes } from './accountRoutes.js';
import { registerLibraryRoutes } from './libraryRoutes.js';
import type { ResourceDeps } from './resourceDeps.js';
import { trunksView } from './trunksView.js';

export function registerResourceRoutes(app: FastifyInstance, d: ResourceDeps): void {
  registerAccountRoutes(app, d);
  registerLibraryRoutes(app, d);

  app.get('/console/trunks', (req, reply) => {
    const s = d.access.seen(req, reply);
    if (!s || !d.access.global(s, reply)) return reply;
    const now = d.store.callStats.inProgress();
    const rows = d.trunks.views().map((trunk) => ({
      trunk,
      health: d.trunkHealth?.(trunk.name),
      inProgress: now.find((n) => n.trunk === trunk.name)?.count ?? 0,
    }));
    return sendPage(reply, 200, trunksView(s.ctx, s.r, rows));
  });
}
