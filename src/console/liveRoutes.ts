/**
 * The live screen: calls in progress in the accounts the user may see, each with its transcript as
 * it happens, over server-sent events on the console session (no token). `?call=<CallId>` follows
 * one call from its start to its end (where the playground sends you after placing a call). What a
 * call did before the stream opened is replayed from its stored timeline (calls/callEventLog.ts),
 * so a call placed elsewhere or before a restart shows from its start too. A comment line every
 * 15 s keeps proxies and browsers from dropping a quiet stream.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock/clock.js';
import type { CallRecord, CallState } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import type { CallTimelineSource } from './callTimeline.js';
import type { CallTranscripts, TranscriptEntry } from './callTranscripts.js';
import { maySee, pageContext, sendPage } from './consoleAccess.js';
import type { ConsoleSessions } from './consoleSessions.js';
import { liveCall, liveEnd, liveLine } from './liveLines.js';
import { type SignedIn, signedIn } from './signedIn.js';
import { messagePage } from './views/layout.js';
import { liveView } from './views/liveView.js';

export interface LiveRouteDeps {
  store: Store;
  sessions: ConsoleSessions;
  transcripts: CallTranscripts;
  eventLog: CallTimelineSource;
  clock: Clock;
}

const IN_PROGRESS: readonly CallState[] = ['queued', 'dialing', 'ringing', 'early_media', 'answered'];
/** Calls a stream starts with at most (the oldest in progress first). */
const MAX_SNAPSHOT = 200;
/** How often a quiet stream gets a comment line (SSE keep-alive). */
export const KEEP_ALIVE_MS = 15_000;

export function registerLiveRoutes(app: FastifyInstance, d: LiveRouteDeps): void {
  const streams = new Set<() => void>();
  // Open streams would keep the server from closing: end them first.
  app.addHook('preClose', (done) => {
    for (const end of streams) end();
    done();
  });
  const accountName = (id: number) => d.store.accounts.findById(id)?.name ?? String(id);

  /** The call a `?call=` names, if this user may see it; otherwise the reply is sent. */
  function focus(v: SignedIn, callId: string, reply: FastifyReply, page: FastifyRequest | undefined) {
    const call = d.store.calls.find(callId);
    const deny = (status: number) => {
      if (!page)
        return void reply.code(status).send({ error: status === 403 ? 'forbidden' : 'no such call' });
      const ctx = pageContext(v, page, d.store);
      void sendPage(
        reply,
        status,
        status === 403
          ? messagePage(ctx, v.t('forbidden'), v.t('forbiddenHint'))
          : messagePage(ctx, v.t('notFound')),
      );
    };
    if (!call) return deny(404);
    if (!maySee(v.open.user, call.accountId)) return deny(403);
    return call;
  }

  app.get<{ Querystring: { call?: string } }>('/console/live', (req, reply) => {
    const v = signedIn(req, reply, d.sessions);
    if (!v) return reply;
    const callId = typeof req.query.call === 'string' && req.query.call !== '' ? req.query.call : undefined;
    if (callId !== undefined && !focus(v, callId, reply, req)) return reply;
    return sendPage(reply, 200, liveView(pageContext(v, req, d.store), { callId }));
  });

  app.get<{ Querystring: { call?: string } }>('/console/live/events', (req, reply) => {
    const v = signedIn(req, reply, d.sessions, true);
    if (!v) return reply;
    const callId = typeof req.query.call === 'string' && req.query.call !== '' ? req.query.call : undefined;
    const only = callId === undefined ? undefined : focus(v, callId, reply, undefined);
    if (callId !== undefined && !only) return reply;

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    // Headers now: a stream with nothing to say yet is still open for the browser.
    res.flushHeaders();
    const send = (event: string, data: unknown) => {
      if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const user = v.open.user;
    /** Whether the user may see a call, remembered per stream (one store read per new call). */
    const visible = new Map<string, boolean>();
    let stop = () => {};
    let beat: unknown;
    const keepAlive = () => {
      if (!res.writableEnded) res.write(': keep-alive\n\n');
      beat = d.clock.setTimer(keepAlive, KEEP_ALIVE_MS);
    };
    beat = d.clock.setTimer(keepAlive, KEEP_ALIVE_MS);
    const end = () => {
      stop();
      d.clock.clearTimer(beat);
      streams.delete(end);
      if (!res.writableEnded) res.end();
    };
    streams.add(end);
    req.raw.on('close', end);

    const entry = (e: TranscriptEntry) => {
      if (e.type === 'ended') {
        send('ended', liveEnd(e.data.record));
        if (only) {
          send('done', {});
          end();
        }
        return;
      }
      const line = liveLine(e, v.t);
      if (line) send('line', line);
    };
    const introduce = (c: CallRecord) => {
      visible.set(c.callId, true);
      send('call', liveCall(c, accountName(c.accountId)));
    };

    if (only) {
      introduce(only);
      // What is stored (written up to now), then what follows: no line is lost or repeated, as
      // nothing can happen between the read and the subscription (one synchronous step).
      for (const e of d.eventLog.listByCall(only.callId)) entry(e);
      const ending = d.transcripts.entries(only.callId).find((e) => e.type === 'ended');
      if (ending || only.state === 'ended' || only.state === 'failed') {
        send('ended', liveEnd(ending?.type === 'ended' ? ending.data.record : only));
        send('done', {});
        end();
        return;
      }
      stop = d.transcripts.watchAll((e) => {
        if (e.data.callId === only.callId) entry(e);
      });
      return;
    }

    for (const c of d.store.calls.listByState(IN_PROGRESS, MAX_SNAPSHOT)) {
      if (!maySee(user, c.accountId)) continue;
      introduce(c);
      for (const e of d.eventLog.listByCall(c.callId)) entry(e);
    }
    stop = d.transcripts.watchAll((e) => {
      const id = e.data.callId;
      let ok = visible.get(id);
      if (ok === undefined) {
        const c = d.store.calls.find(id);
        ok = c !== undefined && maySee(user, c.accountId);
        if (visible.size > 5000) visible.clear();
        if (c && ok) introduce(c);
        else visible.set(id, false);
      }
      if (ok) entry(e);
    });
  });
}
