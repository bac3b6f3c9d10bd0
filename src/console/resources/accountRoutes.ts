/**
 * Accounts and their settings: create and disable accounts, AccessKeys (the secret shown once),
 * display numbers, callback settings with a test callback, receipt push settings. Every change
 * carries the CSRF token, needs the admin role and an account in the user's scope.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallbackRequest } from '../../contract/callbackContent.js';
import type { AccountRecord, ReceiptType } from '../../store/records.js';
import { RECEIPT_TYPES } from '../../store/records.js';
import { TenancyError } from '../../tenancy/tenancyAdmin.js';
import { formBody, redirect, sendPage } from '../consoleAccess.js';
import {
  type AccountViewModel,
  accountHref,
  accountsView,
  accountView,
  type CallbackTestView,
} from './accountViews.js';
import { attempt, type Seen } from './resourceAccess.js';
import type { ResourceDeps } from './resourceDeps.js';

type Named = { Params: { name: string } };
type Keyed = { Params: { name: string; id: string } };

/** The sample a test callback posts: a `normal` turn, as a call would send it. */
export function sampleCallback(now: number): CallbackRequest {
  const at = String(Math.round(now));
  return {
    callId: '100000000000^100000000000',
    timestamp: Math.round(now),
    event: {
      type: 'normal',
      content: {
        words: '测试回调',
        begin_offset: '5200',
        end_offset: '6900',
        begin_time: '',
        is_playing: false,
        current_media_code: '',
        dynamic_id: 'console-test',
        asr_begin_time: at,
        asr_end_time: at,
        play_begin_time: at,
        play_end_time: at,
        role: 'B',
        identity: 'id2',
      },
    },
  };
}

export function registerAccountRoutes(app: FastifyInstance, d: ResourceDeps): void {
  const { access } = d;

  const showAccounts = (
    s: Seen,
    reply: FastifyReply,
    status = 200,
    extra: Partial<Parameters<typeof accountsView>[2]> = {},
  ) =>
    sendPage(
      reply,
      status,
      accountsView(s.ctx, s.r, {
        accounts: access.accounts(s),
        admin: s.admin,
        global: s.v.open.user.accountId === null,
        ...extra,
      }),
    );

  const showAccount = (
    s: Seen,
    account: AccountRecord,
    reply: FastifyReply,
    status = 200,
    extra: Partial<AccountViewModel> = {},
  ) =>
    sendPage(
      reply,
      status,
      accountView(s.ctx, s.r, {
        account: d.store.accounts.findById(account.id) ?? account,
        keys: d.tenancy.listKeys(account.name),
        numbers: d.tenancy.listNumbers(account.name),
        admin: s.admin,
        ...extra,
      }),
    );

  /** A change to one account: done → back to its page; refused → its page with the reason (400). */
  function change(
    req: FastifyRequest<Named>,
    reply: FastifyReply,
    what: string,
    fn: (account: AccountRecord, form: URLSearchParams) => unknown,
  ) {
    const form = formBody(req);
    const ok = access.change(req, reply, form, req.params.name);
    if (!ok?.account) return reply;
    const { s, account } = ok;
    const result = attempt(() => fn(account, form));
    if ('error' in result) return showAccount(s, account, reply, 400, { notice: { error: result.error } });
    d.log.info({ user: s.v.open.user.name, account: account.name, change: what }, 'console change');
    return redirect(req, reply, accountHref(account.name));
  }

  app.get('/console/accounts', (req, reply) => {
    const s = access.seen(req, reply);
    return s ? showAccounts(s, reply) : reply;
  });

  app.post('/console/accounts', (req, reply) => {
    const form = formBody(req);
    const ok = access.change(req, reply, form);
    if (!ok || !access.global(ok.s, reply)) return reply;
    const name = (form.get('name') ?? '').trim();
    const qpsText = (form.get('qps') ?? '').trim();
    const result = attempt(() =>
      d.tenancy.createAccount({ name, qps: qpsText === '' ? null : Number(qpsText) }),
    );
    if ('error' in result)
      return showAccounts(ok.s, reply, 400, {
        notice: { error: result.error },
        form: { name, qps: qpsText },
      });
    d.log.info({ user: ok.s.v.open.user.name, account: name, change: 'account created' }, 'console change');
    return redirect(req, reply, accountHref(name));
  });

  app.post<Named>('/console/accounts/:name/status', (req, reply) => {
    const form = formBody(req);
    const ok = access.change(req, reply, form, req.params.name);
    if (!ok?.account || !access.global(ok.s, reply)) return reply;
    const status = form.get('status') === 'disabled' ? 'disabled' : 'active';
    d.tenancy.setAccountStatus(ok.account.name, status);
    d.log.info(
      { user: ok.s.v.open.user.name, account: ok.account.name, change: `account ${status}` },
      'console change',
    );
    return redirect(req, reply, '/console/accounts');
  });

  app.get<Named>('/console/accounts/:name', (req, reply) => {
    const s = access.seen(req, reply);
    const account = s && access.account(s, req.params.name, reply);
    return s && account ? showAccount(s, account, reply) : reply;
  });

  // The secret is in this one answer (never stored in clear, never shown again): no redirect.
  app.post<Named>('/console/accounts/:name/keys', (req, reply) => {
    const ok = access.change(req, reply, formBody(req), req.params.name);
    if (!ok?.account) return reply;
    const key = d.tenancy.createKey(ok.account.name);
    d.log.info(
      { user: ok.s.v.open.user.name, account: ok.account.name, accessKeyId: key.accessKeyId },
      'console change: AccessKey created',
    );
    return showAccount(ok.s, ok.account, reply, 200, { newKey: key });
  });

  /** A key of this account (another account's key is as good as missing). */
  const ownKey = (account: AccountRecord, id: string) => {
    if (!d.tenancy.listKeys(account.name).some((k) => k.accessKeyId === id))
      throw new TenancyError(`no AccessKey ${id} in account ${account.name}`);
  };

  app.post<Keyed>('/console/accounts/:name/keys/:id/status', (req, reply) =>
    change(req, reply, `AccessKey ${req.params.id} status`, (account, form) => {
      ownKey(account, req.params.id);
      d.tenancy.setKeyStatus(req.params.id, form.get('status') === 'disabled' ? 'disabled' : 'active');
    }),
  );

  app.post<Keyed>('/console/accounts/:name/keys/:id/delete', (req, reply) =>
    change(req, reply, `AccessKey ${req.params.id} deleted`, (account) => {
      ownKey(account, req.params.id);
      d.tenancy.deleteKey(req.params.id);
    }),
  );

  app.post<Named>('/console/accounts/:name/numbers', (req, reply) =>
    change(req, reply, 'number added', (account, form) =>
      d.tenancy.addNumber(account.name, (form.get('number') ?? '').trim(), {
        inbound: form.get('inbound') === '1',
      }),
    ),
  );

  app.post<Named>('/console/accounts/:name/numbers/remove', (req, reply) =>
    change(req, reply, 'number removed', (account, form) =>
      d.tenancy.removeNumber(account.name, (form.get('number') ?? '').trim()),
    ),
  );

  app.post<Named>('/console/accounts/:name/callback', (req, reply) =>
    change(req, reply, 'callback settings', (account, form) => {
      const timeout = (form.get('timeoutMs') ?? '').trim();
      const secret = form.get('signingSecret') ?? '';
      const mode = form.get('bodyMode');
      d.tenancy.setCallback(account.name, {
        url: (form.get('url') ?? '').trim() || null,
        ...(timeout !== '' && { timeoutMs: Number(timeout) }),
        fallbackReply: (form.get('fallbackReply') ?? '').trim() || null,
        ...((mode === 'query' || mode === 'form') && { bodyMode: mode }),
        ...(form.get('removeSecret') === '1'
          ? { signingSecret: null }
          : secret !== '' && { signingSecret: secret }),
        ...(form.has('unrecognized') && { unrecognized: form.get('unrecognized') ?? '' }),
      });
    }),
  );

  app.post<Named>('/console/accounts/:name/callback/test', async (req, reply) => {
    const ok = access.change(req, reply, formBody(req), req.params.name);
    if (!ok?.account) return reply;
    const account = ok.account;
    const cb = account.callback;
    if (!cb.url) return showAccount(ok.s, account, reply, 200, { test: 'no-url' });
    const outcome = await d.callbacks
      .send(
        {
          url: cb.url,
          timeoutMs: cb.timeoutMs,
          bodyMode: cb.bodyMode,
          signingSecret: d.tenancy.callbackSecret(account),
        },
        sampleCallback(d.clock.now()),
      )
      .catch((err: Error) => ({ ok: false as const, failure: 'network', detail: err.message, latencyMs: 0 }));
    const test: CallbackTestView = outcome.ok
      ? { ok: true, status: outcome.status, latencyMs: outcome.latencyMs, body: outcome.body }
      : {
          ok: false,
          failure: outcome.failure,
          detail: outcome.detail,
          latencyMs: outcome.latencyMs,
          ...('status' in outcome && { status: outcome.status, body: outcome.body }),
        };
    d.log.info(
      {
        user: ok.s.v.open.user.name,
        account: account.name,
        ok: test.ok,
        status: test.status,
        latencyMs: Math.round(test.latencyMs),
      },
      'console test callback',
    );
    return showAccount(ok.s, account, reply, 200, { test });
  });

  app.post<Named>('/console/accounts/:name/receipts', (req, reply) =>
    change(req, reply, 'receipt settings', (account, form) => {
      d.tenancy.setReceipts(account.name, {
        url: (form.get('url') ?? '').trim() || null,
        types: form.getAll('types'),
      });
      for (const type of RECEIPT_TYPES as readonly ReceiptType[]) {
        if (!form.has(`url.${type}`)) continue;
        const url = (form.get(`url.${type}`) ?? '').trim();
        if (url !== (account.receipts.typeUrls[type] ?? ''))
          d.tenancy.setReceipts(account.name, { type, url: url || null });
      }
    }),
  );
}
