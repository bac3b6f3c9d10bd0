/**
 * Who is asking, in which language, and what they may do: the session cookie → the session and its
 * user; the CSRF token a change must carry; the account a user is limited to. Pages are sent with
 * headers that keep them out of frames and caches.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleUserRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import type { ConsoleSessions, OpenSession } from './consoleSessions.js';
import { sameToken } from './consoleSessions.js';
import { parseCookies, serializeCookie } from './cookies.js';
import { type Lang, pickLang, type Translate, translator } from './i18n.js';
import type { PageContext } from './views/layout.js';

export const SESSION_COOKIE = 'smartcall_session';
export const LOGIN_COOKIE = 'smartcall_login';
export const LANG_COOKIE = 'smartcall_lang';

export interface Visitor {
  lang: Lang;
  t: Translate;
  cookies: Map<string, string>;
  open: OpenSession | undefined;
}

export function visitor(req: FastifyRequest, sessions: ConsoleSessions): Visitor {
  const cookies = parseCookies(req.headers.cookie);
  const lang = pickLang(cookies.get(LANG_COOKIE), req.headers['accept-language']);
  return { lang, t: translator(lang), cookies, open: sessions.lookup(cookies.get(SESSION_COOKIE)) };
}

/** The login form's CSRF token (double-submit cookie), made when the visitor has none. */
export function loginToken(v: Visitor, reply: FastifyReply): string {
  let token = v.cookies.get(LOGIN_COOKIE);
  if (!token || token.length > 64) {
    token = randomBytes(24).toString('base64url');
    v.cookies.set(LOGIN_COOKIE, token);
    appendCookie(reply, serializeCookie(LOGIN_COOKIE, token));
  }
  return token;
}

export function appendCookie(reply: FastifyReply, cookie: string): void {
  const prev = reply.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
  void reply.header('set-cookie', [...list, cookie]);
}

/** The form fields of a urlencoded body (the API server hands every body over as bytes). */
export function formBody(req: FastifyRequest): URLSearchParams {
  return new URLSearchParams(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
}

/** Whether a change carries the right CSRF token (form field `_csrf` or header `x-csrf-token`). */
export function csrfOk(v: Visitor, req: FastifyRequest, form: URLSearchParams): boolean {
  const header = req.headers['x-csrf-token'];
  const given = form.get('_csrf') ?? (typeof header === 'string' ? header : undefined);
  const expected = v.open ? v.open.session.csrfToken : v.cookies.get(LOGIN_COOKIE);
  return expected !== undefined && sameToken(expected, given);
}

export function pageContext(v: Visitor, req: FastifyRequest, store: Store, csrf?: string): PageContext {
  const user = v.open?.user;
  return {
    lang: v.lang,
    t: v.t,
    csrf: csrf ?? v.open?.session.csrfToken ?? v.cookies.get(LOGIN_COOKIE) ?? '',
    here: req.url,
    ...(user && {
      user: {
        name: user.name,
        role: user.role,
        account: user.accountId === null ? null : (store.accounts.findById(user.accountId)?.name ?? '?'),
      },
    }),
  };
}

/** Whether this user may see calls of `accountId`. */
export function maySee(user: ConsoleUserRecord, accountId: number): boolean {
  return user.accountId === null || user.accountId === accountId;
}

export function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header(
      'content-security-policy',
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .send(body);
}

/** A redirect after a POST: htmx follows `HX-Redirect` with a full load, browsers a 303. */
export function redirect(req: FastifyRequest, reply: FastifyReply, to: string): FastifyReply {
  if (req.headers['hx-request'] === 'true') return reply.code(200).header('hx-redirect', to).send('');
  return reply.code(303).header('location', to).send('');
}

/** A path inside the console to come back to, or the calls screen (never another site). */
export function safeNext(next: string | null | undefined): string {
  return next && /^\/console(\/|$)/.test(next) && !next.startsWith('//') ? next : '/console/calls';
}
