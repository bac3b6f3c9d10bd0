/**
 * The HTTP face of the gateway (Fastify). Every path and method reaches the gateway so that even a
 * wrong URL gets Alibaba's error body rather than a framework page; `/healthz` is the one extra.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import type { RecordingLinkSigner } from '../media-library/recordingLinks.js';
import type { Store } from '../store/repositories.js';
import { gatewayErrors } from './apiErrors.js';
import type { RpcGateway } from './rpcGateway.js';

export interface ApiServerOptions {
  gateway: RpcGateway;
  bodyLimit?: number;
  /** Serves `/recordings/<call id>.wav?Expires=..&Signature=..` (the VoiceRecordReport links). */
  recordings?: { store: Store; links: RecordingLinkSigner };
  /** More routes on the same server (console, demo bot), registered before the catch-all. */
  routes?: (app: FastifyInstance) => void;
}

export function createApiServer(options: ApiServerOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    return503OnClosing: true,
    keepAliveTimeout: 65_000,
  });
  app.removeAllContentTypeParsers();
  // The signature covers the raw bytes (V3 payload hash) and the form (V1), so keep the body whole.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.get('/healthz', async () => ({ status: 'ok' }));

  options.routes?.(app);

  const recordings = options.recordings;
  if (recordings) {
    app.get<{ Params: { file: string }; Querystring: { Expires?: string; Signature?: string } }>(
      '/recordings/:file',
      async (req, reply) => {
        const callId = req.params.file.replace(/\.wav$/, '');
        const verdict = recordings.links.check(callId, req.query.Expires, req.query.Signature);
        if (verdict !== 'ok')
          return reply.code(verdict === 'expired' ? 410 : 403).send({ error: `link ${verdict}` });
        const path = recordings.store.calls.find(callId)?.recordPath;
        if (!path) return reply.code(404).send({ error: 'no recording' });
        try {
          const st = await stat(path);
          return reply
            .header('content-type', 'audio/wav')
            .header('content-length', st.size)
            .send(createReadStream(path));
        } catch {
          return reply.code(404).send({ error: 'the recording is no longer kept' });
        }
      },
    );
  }

  app.all('*', async (req, reply) => {
    const url = req.raw.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    const method = path === '/' ? req.method : 'UNSUPPORTED_PATH';
    const result = await options.gateway.handle({
      method,
      rawQuery,
      headers: req.headers,
      body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    });
    return reply.code(result.status).headers(result.headers).send(result.body);
  });

  app.setErrorHandler((err, _req, reply) => {
    // Framework-level refusals (body too large, broken framing) still get the gateway's error shape.
    const error = gatewayErrors.malformedEncoding((err as Error).message);
    reply
      .code(error.status)
      .header('content-type', 'application/json;charset=utf-8')
      .send(JSON.stringify({ Code: error.code, Message: error.message }));
  });
  return app;
}
