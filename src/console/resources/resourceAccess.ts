/**
 * Who may see and change a resource: signed in (else to the login page), the account within the
 * user's scope (else 403), and for a change the CSRF token and the admin role (else 403).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TrunkError } from '../../calls/trunkAdmin.js';
import { WavFormatError } from '../../media/wavReader.js';
import { AsrModelError } from '../../media-library/asrModels.js';
import { TtsTemplateError } from '../../media-library/ttsTemplates.js';
import { VoiceUploadError } from '../../media-library/voiceLibrary.js';
import type { AccountRecord } from '../../store/records.js';
import type { Store } from '../../store/repositories.js';
import { TenancyError } from '../../tenancy/tenancyAdmin.js';
import { csrfOk, pageContext, sendPage, type Visitor, visitor } from '../consoleAccess.js';
import type { ConsoleSessions } from '../consoleSessions.js';
import { messagePage, type PageContext } from '../views/layout.js';
import { MultipartError } from './multipart.js';
import { type ResourceText, resourceText } from './resourceText.js';

const RULE_ERRORS = [
  TenancyError,
  TrunkError,
  AsrModelError,
  TtsTemplateError,
  VoiceUploadError,
  WavFormatError,
  MultipartError,
];

export type Signed = Visitor & { open: NonNullable<Visitor['open']> };

export interface Seen {
  v: Signed;
  ctx: PageContext;
  r: ResourceText;
  admin: boolean;
}

export class ResourceAccess {
  readonly #store: Store;
  readonly #sessions: ConsoleSessions;

  constructor(store: Store, sessions: ConsoleSessions) {
    this.#store = store;
    this.#sessions = sessions;
  }

  /** The signed-in visitor; otherwise the reply is already a redirect to the login page. */
  seen(req: FastifyRequest, reply: FastifyReply): Seen | undefined {
    const v = visitor(req, this.#sessions);
    if (!v.open) {
      const to = `/console/login?next=${encodeURIComponent(req.url)}`;
      if (req.headers['hx-request'] === 'true') void reply.code(200).header('hx-redirect', to).send('');
      else void reply.code(303).header('location', to).send('');
      return undefined;
    }
    const signed = v as Signed;
    return {
      v: signed,
      ctx: pageContext(v, req, this.#store),
      r: resourceText(v.lang),
      admin: signed.open.user.role === 'admin',
    };
  }

  /** The accounts this user may see: all, or its own. */
  accounts(s: Seen): AccountRecord[] {
    const own = s.v.open.user.accountId;
    const all = this.#store.accounts.list();
    return own === null ? all : all.filter((a) => a.id === own);
  }

  /** The named account if the user may see it; otherwise the reply is already a 403 or 404. */
  account(s: Seen, name: string, reply: FastifyReply): AccountRecord | undefined {
    const account = this.#store.accounts.findByName(name);
    const own = s.v.open.user.accountId;
    if (own !== null && account?.id !== own) {
      this.forbidden(s, reply);
      return undefined;
    }
    if (!account) {
      sendPage(reply, 404, messagePage(s.ctx, s.v.t('notFound')));
      return undefined;
    }
    return account;
  }

  /**
   * A change: the CSRF token and the admin role, and when `accountName` is given, that account in
   * scope. Otherwise the reply is already a 403 (or 404) and undefined is returned.
   */
  change(
    req: FastifyRequest,
    reply: FastifyReply,
    form: URLSearchParams,
    accountName?: string,
  ): { s: Seen; account: AccountRecord | undefined } | undefined {
    const s = this.seen(req, reply);
    if (!s) return undefined;
    if (!csrfOk(s.v, req, form)) {
      sendPage(reply, 403, messagePage(s.ctx, s.v.t('badForm')));
      return undefined;
    }
    if (!s.admin) {
      sendPage(reply, 403, messagePage(s.ctx, s.v.t('forbidden'), s.r('notAdmin')));
      return undefined;
    }
    if (accountName === undefined) return { s, account: undefined };
    const account = this.account(s, accountName, reply);
    return account && { s, account };
  }

  /** Installation-wide users only (trunks, creating accounts). */
  global(s: Seen, reply: FastifyReply): boolean {
    if (s.v.open.user.accountId === null) return true;
    this.forbidden(s, reply);
    return false;
  }

  forbidden(s: Seen, reply: FastifyReply): void {
    sendPage(reply, 403, messagePage(s.ctx, s.v.t('forbidden'), s.v.t('forbiddenHint')));
  }
}

/** Runs a change; a rule the service refuses (its error message) comes back as text. */
export function attempt<T>(fn: () => T): { ok: T } | { error: string } {
  try {
    return { ok: fn() };
  } catch (err) {
    if (isRuleError(err)) return { error: err.message };
    throw err;
  }
}

export async function attemptAsync<T>(fn: () => Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await fn() };
  } catch (err) {
    if (isRuleError(err)) return { error: err.message };
    throw err;
  }
}

/** The services' refusals: an input the rules turn down, with a message that says what to fix. */
function isRuleError(err: unknown): err is Error {
  return RULE_ERRORS.some((E) => err instanceof E);
}
