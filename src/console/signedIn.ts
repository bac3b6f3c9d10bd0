/** The signed-in visitor of a console page or its data, or a redirect to the login page. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Visitor, visitor } from './consoleAccess.js';
import type { ConsoleSessions } from './consoleSessions.js';

export type SignedIn = Visitor & { open: NonNullable<Visitor['open']> };

/**
 * The visitor when signed in; otherwise the reply is already sent: a redirect to the login page
 * (htmx gets HX-Redirect), or 401 for a request that wants data (`json`: scripts, event streams).
 */
export function signedIn(
  req: FastifyRequest,
  reply: FastifyReply,
  sessions: ConsoleSessions,
  json = false,
): SignedIn | undefined {
  const v = visitor(req, sessions);
  if (v.open) return v as SignedIn;
  if (json) {
    void reply.code(401).send({ error: 'log in to the console first' });
    return undefined;
  }
  const to = `/console/login?next=${encodeURIComponent(req.url)}`;
  if (req.headers['hx-request'] === 'true') void reply.code(200).header('hx-redirect', to).send('');
  else void reply.code(303).header('location', to).send('');
  return undefined;
}
