/** Logging in and out, and the language switch. */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/repositories.js';
import {
  appendCookie,
  csrfOk,
  formBody,
  LANG_COOKIE,
  loginToken,
  pageContext,
  redirect,
  SESSION_COOKIE,
  safeNext,
  sendPage,
  visitor,
} from './consoleAccess.js';
import type { ConsoleSessions } from './consoleSessions.js';
import type { ConsoleUsers } from './consoleUsers.js';
import { serializeCookie } from './cookies.js';
import { isLang } from './i18n.js';
import type { LoginLimiter } from './loginLimiter.js';
import { messagePage } from './views/layout.js';
import { loginView } from './views/loginView.js';

export interface LoginDeps {
  store: Store;
  users: ConsoleUsers;
  sessions: ConsoleSessions;
  limiter: LoginLimiter;
  log: Logger;
}

export function registerLoginRoutes(app: FastifyInstance, d: LoginDeps): void {
  app.get<{ Querystring: { next?: string } }>('/console/login', (req, reply) => {
    const v = visitor(req, d.sessions);
    const next = safeNext(req.query.next);
    if (v.open) return redirect(req, reply, next);
    const csrf = loginToken(v, reply);
    return sendPage(reply, 200, loginView(pageContext(v, req, d.store, csrf), { next }));
  });

  app.post<{ Querystring: { next?: string } }>('/console/login', async (req, reply) => {
    const v = visitor(req, d.sessions);
    const form = formBody(req);
    const name = (form.get('name') ?? '').trim();
    const password = form.get('password') ?? '';
    const again = (status: number, error: string) => {
      const csrf = loginToken(v, reply);
      const next = safeNext(form.get('next'));
      return sendPage(reply, status, loginView(pageContext(v, req, d.store, csrf), { name, error, next }));
    };
    if (!csrfOk({ ...v, open: undefined }, req, form)) return again(403, v.t('badForm'));
    const wait = d.limiter.retryAfterMs(name, req.ip);
    if (wait > 0) {
      void reply.header('retry-after', Math.ceil(wait / 1000));
      return again(429, v.t('tooMany', { s: Math.ceil(wait / 1000) }));
    }
    const user = name && password ? await d.users.authenticate(name, password) : undefined;
    if (!user) {
      d.limiter.failed(name, req.ip);
      d.log.info({ user: name, ip: req.ip }, 'console login refused');
      return again(401, v.t('badLogin'));
    }
    d.limiter.succeeded(name, req.ip);
    const opened = d.sessions.open(user.name);
    appendCookie(reply, serializeCookie(SESSION_COOKIE, opened.token, { maxAgeS: opened.maxAgeS }));
    d.log.info({ user: user.name, ip: req.ip }, 'console login');
    return redirect(req, reply, safeNext(form.get('next') ?? req.query.next));
  });

  app.post('/console/logout', (req, reply) => {
    const v = visitor(req, d.sessions);
    const form = formBody(req);
    if (v.open && !csrfOk(v, req, form))
      return sendPage(reply, 403, messagePage(pageContext(v, req, d.store), v.t('badForm')));
    d.sessions.close(v.cookies.get(SESSION_COOKIE));
    appendCookie(reply, serializeCookie(SESSION_COOKIE, '', { maxAgeS: 0 }));
    return redirect(req, reply, '/console/login');
  });

  app.post('/console/lang', (req, reply) => {
    const v = visitor(req, d.sessions);
    const form = formBody(req);
    if (!csrfOk(v, req, form))
      return sendPage(reply, 403, messagePage(pageContext(v, req, d.store), v.t('badForm')));
    const lang = form.get('lang') ?? undefined;
    if (isLang(lang))
      appendCookie(reply, serializeCookie(LANG_COOKIE, lang, { maxAgeS: 365 * 86400, httpOnly: true }));
    return redirect(req, reply, safeNext(form.get('back')));
  });
}
