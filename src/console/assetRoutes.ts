/**
 * The console's two static files: its stylesheet (src/console/assets/console.css, read once) and
 * htmx from node_modules (no CDN, no build step).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

const CSS_URL = new URL('../../../src/console/assets/console.css', import.meta.url);

export function registerAssetRoutes(app: FastifyInstance): void {
  const css = readFileSync(CSS_URL);
  const htmx = readFileSync(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'));
  const serve = (path: string, type: string, body: Buffer) =>
    app.get(path, (_req, reply) =>
      reply.header('content-type', type).header('cache-control', 'public, max-age=3600').send(body),
    );
  serve('/console/assets/console.css', 'text/css; charset=utf-8', css);
  serve('/console/assets/htmx.min.js', 'text/javascript; charset=utf-8', htmx);
}
