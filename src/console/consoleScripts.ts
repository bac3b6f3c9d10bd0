/**
 * The console's own small scripts (src/console/assets/*.js, read once): the call detail's waveform
 * and player, the live screen's event stream. No build step, no CDN; the pages work without them
 * (the waveform and the live transcript are what scripts add).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const SCRIPTS = ['waveform.js', 'live.js'] as const;

export function registerConsoleScripts(app: FastifyInstance): void {
  for (const name of SCRIPTS) {
    const body = readFileSync(new URL(`../../../src/console/assets/${name}`, import.meta.url));
    app.get(`/console/assets/${name}`, (_req, reply) =>
      reply
        .header('content-type', 'text/javascript; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(body),
    );
  }
}
