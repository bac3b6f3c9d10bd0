/** The calls screen, its CSV export, a call's detail and its recording — each limited to what the user may see. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallFilter, CallRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import { byteRange } from './byteRange.js';
import { type CallListQuery, PAGE_SIZE, parseCallListQuery } from './callListQuery.js';
import { callsCsv } from './callsCsv.js';
import { type CallTimelineSource, callTimeline } from './callTimeline.js';
import { maySee, pageContext, sendPage, type Visitor, visitor } from './consoleAccess.js';
import type { ConsoleSessions } from './consoleSessions.js';
import { callDetailView } from './views/callDetailView.js';
import { callsView, detailHref } from './views/callsView.js';
import { messagePage } from './views/layout.js';

export interface CallRouteDeps {
  store: Store;
  sessions: ConsoleSessions;
  eventLog: CallTimelineSource;
  /** A short-lived URL of a recording kept in object storage (webConsole.ts). */
  storedRecording?: (call: CallRecord) => string | undefined;
}

type Signed = Visitor & { open: NonNullable<Visitor['open']> };

export function registerCallRoutes(app: FastifyInstance, d: CallRouteDeps): void {
  const accountNames = () => {
    const names = new Map(d.store.accounts.list().map((a) => [a.id, a.name]));
    return (id: number) => names.get(id) ?? String(id);
  };

  /** The visitor when signed in; otherwise the reply is already a redirect to the login page. */
  function signedIn(req: FastifyRequest, reply: FastifyReply): Signed | undefined {
    const v = visitor(req, d.sessions);
    if (v.open) return v as Signed;
    const to = `/console/login?next=${encodeURIComponent(req.url)}`;
    if (req.headers['hx-request'] === 'true') void reply.code(200).header('hx-redirect', to).send('');
    else void reply.code(303).header('location', to).send('');
    return undefined;
  }

  const forbidden = (v: Signed, req: FastifyRequest, reply: FastifyReply) =>
    sendPage(reply, 403, messagePage(pageContext(v, req, d.store), v.t('forbidden'), v.t('forbiddenHint')));

  /** The store filter for a query as this user may run it: 403 for another account, or an error text. */
  function scoped(v: Signed, q: CallListQuery): CallFilter | 'forbidden' | string {
    const user = v.open.user;
    if (q.account !== undefined) {
      const account = d.store.accounts.findByName(q.account);
      if (user.accountId !== null && account?.id !== user.accountId) return 'forbidden';
      if (!account) return `account: no account named ${q.account}`;
      return { ...q.filter, accountId: account.id };
    }
    return user.accountId === null ? q.filter : { ...q.filter, accountId: user.accountId };
  }

  app.get('/console', (_req, reply) => reply.code(303).header('location', '/console/calls').send(''));

  app.get<{ Querystring: Record<string, unknown> }>('/console/calls', (req, reply) => {
    const v = signedIn(req, reply);
    if (!v) return reply;
    const names = accountNames();
    const accounts = v.open.user.accountId === null ? d.store.accounts.list().map((a) => a.name) : undefined;
    const ctx = pageContext(v, req, d.store);
    const q = parseCallListQuery(req.query);
    const filter = typeof q === 'string' ? q : scoped(v, q);
    if (filter === 'forbidden') return forbidden(v, req, reply);
    if (typeof filter === 'string') {
      const form = typeof q === 'string' ? {} : q.form;
      const body = callsView(ctx, {
        form,
        accounts,
        accountName: names,
        calls: [],
        hasMore: false,
        paged: false,
        error: filter,
      });
      return sendPage(reply, 400, body);
    }
    const query = q as CallListQuery;
    const rows = d.store.calls.page(filter, query.after, PAGE_SIZE + 1);
    return sendPage(
      reply,
      200,
      callsView(ctx, {
        form: query.form,
        accounts,
        accountName: names,
        calls: rows.slice(0, PAGE_SIZE),
        hasMore: rows.length > PAGE_SIZE,
        paged: query.after !== undefined,
      }),
    );
  });

  app.get<{ Querystring: Record<string, unknown> }>('/console/calls.csv', (req, reply) => {
    const v = signedIn(req, reply);
    if (!v) return reply;
    const q = parseCallListQuery(req.query);
    const filter = typeof q === 'string' ? q : scoped(v, q);
    if (filter === 'forbidden') return forbidden(v, req, reply);
    if (typeof filter === 'string')
      return reply
        .code(400)
        .header('content-type', 'text/plain; charset=utf-8')
        .send(`bad filter: ${filter}\n`);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="calls.csv"')
      .header('cache-control', 'no-store')
      .send(callsCsv(d.store.calls, filter, accountNames()));
  });

  app.get<{ Params: { callId: string } }>('/console/calls/:callId', async (req, reply) => {
    const v = signedIn(req, reply);
    if (!v) return reply;
    const ctx = pageContext(v, req, d.store);
    const call = d.store.calls.find(req.params.callId);
    if (!call) return sendPage(reply, 404, messagePage(ctx, v.t('notFound')));
    if (!maySee(v.open.user, call.accountId)) return forbidden(v, req, reply);
    const exchanges = d.store.callbackExchanges.listByCall(call.callId);
    const receipts = d.store.receipts.listByCall(call.callId);
    let recording: string | 'gone' | undefined;
    if (call.recordPath) {
      recording = await stat(call.recordPath).then(
        () => `${detailHref(call.callId)}/recording`,
        () => (d.storedRecording?.(call) ? `${detailHref(call.callId)}/recording` : ('gone' as const)),
      );
    }
    return sendPage(
      reply,
      200,
      callDetailView(ctx, {
        call,
        accountName: accountNames()(call.accountId),
        timeline: callTimeline(call, exchanges, receipts, d.eventLog.listByCall(call.callId)),
        exchanges,
        receipts,
        recording,
      }),
    );
  });

  app.get<{ Params: { callId: string } }>('/console/calls/:callId/recording', async (req, reply) => {
    const v = signedIn(req, reply);
    if (!v) return reply;
    const call = d.store.calls.find(req.params.callId);
    if (!call) return reply.code(404).send({ error: 'no such call' });
    if (!maySee(v.open.user, call.accountId)) return reply.code(403).send({ error: 'forbidden' });
    if (!call.recordPath) return reply.code(404).send({ error: 'no recording' });
    try {
      const st = await stat(call.recordPath);
      void reply
        .header('content-type', 'audio/wav')
        .header('accept-ranges', 'bytes')
        .header('cache-control', 'private, max-age=300');
      // Ranges let the player seek (the waveform and the timeline's ▶ buttons).
      const range = byteRange(req.headers.range, st.size);
      if (range === 'unsatisfiable')
        return reply.code(416).header('content-range', `bytes */${st.size}`).send('');
      if (range)
        return reply
          .code(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${st.size}`)
          .header('content-length', range.end - range.start + 1)
          .send(createReadStream(call.recordPath, range));
      return reply.header('content-length', st.size).send(createReadStream(call.recordPath));
    } catch {
      // Uploaded to object storage: the player follows to it (ranges are S3's to answer).
      const stored = d.storedRecording?.(call);
      if (stored) return reply.header('cache-control', 'no-store').redirect(stored, 302);
      return reply.code(404).send({ error: 'the recording is no longer kept' });
    }
  });
}
