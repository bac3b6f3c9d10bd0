/**
 * The phone network playground's routes. Placing a call is a change: it needs the session's CSRF
 * token and an admin; an admin limited to one account calls only from that account's numbers. The
 * call goes through SmartCall's own checks (the same errors the API gives), then the browser is
 * sent to the live view of that call. Checking a pasted persona file uses the phone network's own
 * loader, so its problems carry the line and column they are on.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Clock, wholeMs } from '../clock/clock.js';
import type { Logger } from '../observability/logger.js';
import type { ActionContext } from '../openapi/actionContext.js';
import type { SmartCallExtras } from '../openapi/actions/smartCall.js';
import { BusinessError, GatewayError } from '../openapi/apiErrors.js';
import {
  BUILTIN_PERSONAS_YAML,
  PersonaFileError,
  type PersonaSummary,
  parsePersonaText,
} from '../phonenet/index.js';
import type { Store } from '../store/repositories.js';
import { csrfOk, formBody, pageContext, redirect, sendPage } from './consoleAccess.js';
import type { ConsoleSessions } from './consoleSessions.js';
import { playgroundCall, readCallForm } from './playgroundForm.js';
import { type SignedIn, signedIn } from './signedIn.js';
import { messagePage } from './views/layout.js';
import { type PlaygroundModel, personaFileView, playgroundView } from './views/playgroundView.js';

/** The embedded phone network as the playground sees it. */
export interface PlaygroundNetwork {
  personaSummaries(): PersonaSummary[];
  /** The persona files loaded before the built-in set (paths on this server). */
  personasFiles: readonly string[];
}

export interface PlaygroundDeps {
  store: Store;
  sessions: ConsoleSessions;
  clock: Clock;
  log: Logger;
  /** undefined: this server runs no phone network (distributed mode, or turned off). */
  network: PlaygroundNetwork | undefined;
  /** SmartCall (src/openapi/actions/smartCall.ts smartCallPlacer); undefined: this server places no calls. */
  placeSmartCall:
    | ((params: ReadonlyMap<string, string>, ctx: ActionContext, extras?: SmartCallExtras) => Promise<string>)
    | undefined;
  /** The demo bot's callback URL, when this server serves it. */
  demoBotUrl: (() => string) | undefined;
}

const MAX_PASTE = 256 * 1024;
const BUILTIN_NAME = 'built-in';

export function registerPlaygroundRoutes(app: FastifyInstance, d: PlaygroundDeps): void {
  const files = () => [...(d.network?.personasFiles ?? []), BUILTIN_NAME];

  /** Display numbers this user may place calls from; undefined for a viewer. */
  function numbersFor(v: SignedIn): PlaygroundModel['numbers'] {
    const user = v.open.user;
    if (user.role !== 'admin' || !d.placeSmartCall) return undefined;
    const accounts = d.store.accounts
      .list()
      .filter((a) => user.accountId === null || a.id === user.accountId);
    return accounts.flatMap((a) =>
      d.store.numbers.listByAccount(a.id).map((n) => ({ number: n.number, account: a.name })),
    );
  }

  function model(v: SignedIn, extra: Partial<PlaygroundModel> = {}): PlaygroundModel {
    return {
      personas: d.network?.personaSummaries(),
      files: files(),
      numbers: numbersFor(v),
      demoBot: d.demoBotUrl !== undefined,
      form: {
        showNumber: '',
        calledNumber: '',
        text: v.lang === 'zh' ? '您好，这里是 smartcall 测试电话。' : 'Hello, this is a smartcall test call.',
        voiceCode: '',
        voiceCodeParam: '',
        callback: d.demoBotUrl ? 'bot' : 'account',
        callbackUrl: '',
        record: true,
      },
      ...extra,
    };
  }

  const page = (v: SignedIn, req: FastifyRequest, reply: FastifyReply, status: number, m: PlaygroundModel) =>
    sendPage(reply, status, playgroundView(pageContext(v, req, d.store), m));
  const refuse = (v: SignedIn, req: FastifyRequest, reply: FastifyReply, status: number, text: string) =>
    sendPage(reply, status, messagePage(pageContext(v, req, d.store), text));

  app.get('/console/playground', (req, reply) => {
    const v = signedIn(req, reply, d.sessions);
    if (!v) return reply;
    return page(v, req, reply, 200, model(v));
  });

  app.post('/console/playground/call', async (req, reply) => {
    const v = signedIn(req, reply, d.sessions);
    if (!v) return reply;
    const form = formBody(req);
    if (!csrfOk(v, req, form)) return refuse(v, req, reply, 403, v.t('badForm'));
    const user = v.open.user;
    if (user.role !== 'admin') return refuse(v, req, reply, 403, v.t('pgAdminsOnly'));
    if (!d.placeSmartCall) return refuse(v, req, reply, 404, v.t('pgNoPhonenet'));
    const f = readCallForm(form);
    const again = (status: number, error: string) =>
      page(v, req, reply, status, model(v, { form: f, error }));
    const wanted = playgroundCall(f);
    if ('problem' in wanted) return again(400, v.t(wanted.problem));
    const owner = d.store.numbers.find(f.showNumber);
    const account = owner && d.store.accounts.findById(owner.accountId);
    if (!account) return again(400, v.t('pgUnknownNumber'));
    if (user.accountId !== null && account.id !== user.accountId)
      return refuse(v, req, reply, 403, v.t('pgNotYourNumber'));
    let callbackUrl: string | undefined;
    if (wanted.callback?.kind === 'url') callbackUrl = wanted.callback.url;
    else if (wanted.callback?.kind === 'bot') callbackUrl = d.demoBotUrl?.();
    const log = d.log.child({ user: user.name, account: account.name });
    try {
      const callId = await d.placeSmartCall(
        new Map(Object.entries(wanted.params)),
        { account, requestId: randomUUID(), now: wholeMs(d.clock), log },
        callbackUrl === undefined ? {} : { callbackUrl },
      );
      log.info({ callId }, 'playground call placed');
      return redirect(req, reply, `/console/live?call=${encodeURIComponent(callId)}`);
    } catch (err) {
      if (err instanceof BusinessError || err instanceof GatewayError) {
        log.info({ code: err.code, err: err.message }, 'playground call refused');
        return again(400, `${err.code}: ${err.message}`);
      }
      throw err;
    }
  });

  app.post('/console/playground/validate', (req, reply) => {
    const v = signedIn(req, reply, d.sessions);
    if (!v) return reply;
    const form = formBody(req);
    if (!csrfOk(v, req, form)) return refuse(v, req, reply, 403, v.t('badForm'));
    const text = (form.get('text') ?? '').slice(0, MAX_PASTE);
    const format = form.get('format') === 'json' ? 'json' : 'yaml';
    let result: NonNullable<PlaygroundModel['check']>['result'];
    try {
      const personas = parsePersonaText(text, `pasted.${format}`);
      result = { personas: personas.map((p) => p.name) };
    } catch (err) {
      if (!(err instanceof PersonaFileError)) throw err;
      result = { issues: [...err.issues] };
    }
    // A file with problems is an answer, not a failed request (the page lists them).
    return page(v, req, reply, 200, model(v, { check: { text, format, result } }));
  });

  app.get<{ Params: { n: string } }>('/console/playground/files/:n', async (req, reply) => {
    const v = signedIn(req, reply, d.sessions);
    if (!v) return reply;
    const list = files();
    const n = Number(req.params.n);
    const name = Number.isInteger(n) ? list[n] : undefined;
    if (name === undefined) return refuse(v, req, reply, 404, v.t('notFound'));
    let text: string;
    if (name === BUILTIN_NAME && n === list.length - 1) text = BUILTIN_PERSONAS_YAML.replace(/^\n/, '');
    else {
      try {
        text = await readFile(name, 'utf8');
      } catch (err) {
        return refuse(v, req, reply, 404, `${name}: ${(err as Error).message}`);
      }
    }
    return sendPage(reply, 200, personaFileView(pageContext(v, req, d.store), name, text));
  });
}
