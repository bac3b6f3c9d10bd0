/**
 * The console's HTTP routes beside the RPC gateway: a live transcript of a call as server-sent
 * events (what `smartcall call` prints), guarded by the console token.
 */
import type { FastifyInstance } from 'fastify';
import type { CallTranscripts, TranscriptEntry } from './callTranscripts.js';
import { tokenMatches } from './consoleToken.js';

export function registerConsoleRoutes(
  app: FastifyInstance,
  options: { token: string; transcripts: CallTranscripts },
): void {
  const streams = new Set<() => void>();
  // An open transcript would keep the server from closing until its call ends: end it first (the
  // follower sees the stream end and reads the call's detail, or learns the server is gone).
  app.addHook('preClose', (done) => {
    for (const end of streams) end();
    done();
  });
  app.get<{ Params: { callId: string } }>('/console/calls/:callId/events', (req, reply) => {
    if (!tokenMatches(options.token, req.headers.authorization)) {
      void reply.code(401).send({ error: 'console token required' });
      return;
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const send = (entry: TranscriptEntry) => {
      res.write(`event: ${entry.type}\ndata: ${JSON.stringify(entry.data)}\n\n`);
      if (entry.type === 'ended') setImmediate(() => res.end());
    };
    const end = () => {
      follow.stop();
      streams.delete(end);
      if (!res.writableEnded) res.end();
    };
    streams.add(end);
    const follow = options.transcripts.follow(req.params.callId, send);
    req.raw.on('close', end);
  });
}
