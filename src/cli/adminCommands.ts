/**
 * `smartcall admin ...`: accounts, access keys, display numbers, callback and receipt settings.
 * Every command works on the data directory directly (SQLite in WAL mode lets it run beside
 * `smartcall serve`) and prints JSON with `--json`. With `--store postgres://…` (env
 * SMARTCALL_STORE_URL) the commands a PostgreSQL deployment needs first work on that store; the
 * others are refused by name.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { type AccountRecord, RECEIPT_TYPES } from '../store/records.js';
import { DEFAULT_DESTINATIONS } from '../tenancy/destinations.js';
import { receiptUrl } from '../tenancy/receiptRoutes.js';
import { registerAmdCommands } from './amdCommands.js';
import { registerAsrModelCommands } from './asrCommands.js';
import { registerConsoleUserCommands } from './consoleUserCommands.js';
import { type GlobalOptions, refuseOnPostgres, withAdmin, withTenancy } from './context.js';
import { registerDialogCommands } from './dialogCommands.js';
import { registerNodeCommands } from './nodeCommands.js';
import { emit, fail, table } from './output.js';
import { registerPolicyCommands } from './policyCommands.js';
import { registerStsCommands } from './stsCommands.js';
import { registerTrunkCommands } from './trunkCommands.js';
import { registerTtsTemplateCommands } from './ttsTemplateCommands.js';
import { registerVoiceCommands } from './voiceCommands.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** Callback settings as shown: whether callbacks are signed, never the (sealed) secret. */
function callbackView(c: AccountRecord['callback']) {
  const { signingSecretEnc, ...rest } = c;
  return { ...rest, signed: signingSecretEnc !== null };
}

function accountView(a: AccountRecord) {
  return {
    id: a.id,
    name: a.name,
    status: a.status,
    qps: a.qps,
    callback: callbackView(a.callback),
    receipts: receiptsView(a.receipts),
    allowedDestinations: a.allowedDestinations ?? DEFAULT_DESTINATIONS,
    createdAt: new Date(a.createdAt).toISOString(),
  };
}

type Opts = GlobalOptions & Record<string, unknown>;

function opts(cmd: Command): Opts {
  return cmd.optsWithGlobals() as Opts;
}

/** `action`'s words below `admin`, e.g. `trunk add`. */
function commandPath(admin: Command, action: Command): string {
  const words: string[] = [];
  for (let c: Command | null = action; c && c !== admin; c = c.parent) words.unshift(c.name());
  return words.join(' ');
}

export function registerAdminCommands(program: Command): void {
  const admin = program
    .command('admin')
    .description('manage accounts, keys, numbers, trunks and settings')
    .option(
      '--store <url>',
      'sqlite (the data directory, default) or postgres://… : the shared store of a distributed deployment (env SMARTCALL_STORE_URL)',
    )
    .hook('preAction', (self, action) => refuseOnPostgres(opts(action), commandPath(self, action)));
  registerTrunkCommands(admin);
  registerVoiceCommands(admin);
  registerAsrModelCommands(admin);
  registerTtsTemplateCommands(admin);
  registerStsCommands(admin);
  registerConsoleUserCommands(admin);
  registerDialogCommands(admin);
  registerPolicyCommands(admin);
  registerAmdCommands(admin);
  registerNodeCommands(admin);

  const account = admin.command('account').description('tenant accounts');
  account
    .command('create')
    .requiredOption('--name <name>', 'account name')
    .option('--qps <n>', 'API requests per second (default: the configured limit)', positiveInt)
    .action(async (_o, cmd: Command) => {
      const o = opts(cmd);
      const a = await withTenancy(o, (ad) =>
        ad.createAccount({ name: o.name as string, qps: (o.qps as number) ?? null }),
      );
      emit(o, accountView(a), () => `created account ${a.name} (id ${a.id})`);
    });
  account.command('list').action(async (_o, cmd: Command) => {
    const o = opts(cmd);
    const list = (await withTenancy(o, (ad) => ad.listAccounts())).map(accountView);
    emit(o, list, () => table(list, ['id', 'name', 'status', 'qps']));
  });
  account
    .command('show')
    .requiredOption('--name <name>', 'account name')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const view = accountView(withAdmin(o, (ad) => ad.account(o.name as string)));
      emit(o, view, () => JSON.stringify(view, null, 2));
    });
  for (const [verb, status] of [
    ['disable', 'disabled'],
    ['enable', 'active'],
  ] as const) {
    account
      .command(verb)
      .requiredOption('--name <name>', 'account name')
      .action((_o, cmd: Command) => {
        const o = opts(cmd);
        const a = withAdmin(o, (ad) => ad.setAccountStatus(o.name as string, status));
        emit(o, accountView(a), () => `account ${a.name} is ${a.status}`);
      });
  }
  account
    .command('set-qps')
    .requiredOption('--name <name>', 'account name')
    .option('--qps <n>', 'requests per second; omit to use the configured default', positiveInt)
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const a = withAdmin(o, (ad) => ad.setAccountQps(o.name as string, (o.qps as number) ?? null));
      emit(o, accountView(a), () => `account ${a.name} qps ${a.qps ?? 'default'}`);
    });

  account
    .command('set-destinations')
    .description('numbers transfer / parallel_transfer may dial (default: mainland China numbers only)')
    .requiredOption('--name <name>', 'account name')
    .option(
      '--allow <regex>',
      "a pattern the whole number must match, e.g. '^1[3-9]\\d{9}$' (repeatable; replaces the list)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--default', 'back to the default list')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const allow = o.allow as string[] | undefined;
      if ((allow === undefined) === (o.default !== true))
        return fail(o, 'give --allow patterns or --default');
      const a = withAdmin(o, (ad) => ad.setAllowedDestinations(o.name as string, allow ?? null));
      const view = accountView(a);
      emit(o, view, () => `account ${a.name} may transfer to: ${view.allowedDestinations.join('  ')}`);
    });

  const key = admin.command('key').description('AccessKey pairs');
  key
    .command('create')
    .requiredOption('--account <name>', 'account name')
    .action(async (_o, cmd: Command) => {
      const o = opts(cmd);
      const k = await withTenancy(o, (ad) => ad.createKey(o.account as string));
      emit(
        o,
        k,
        () =>
          `AccessKeyId:     ${k.accessKeyId}\nAccessKeySecret: ${k.accessKeySecret}\n` +
          '(the secret is shown only now; store it safely)',
      );
    });
  key
    .command('list')
    .requiredOption('--account <name>', 'account name')
    .action(async (_o, cmd: Command) => {
      const o = opts(cmd);
      const keys = (await withTenancy(o, (ad) => ad.listKeys(o.account as string))).map((k) => ({
        ...k,
        createdAt: new Date(k.createdAt).toISOString(),
      }));
      emit(o, keys, () => table(keys, ['accessKeyId', 'status', 'createdAt']));
    });
  for (const verb of ['disable', 'enable', 'delete'] as const) {
    key
      .command(verb)
      .requiredOption('--id <accessKeyId>', 'the AccessKeyId')
      .action((_o, cmd: Command) => {
        const o = opts(cmd);
        const id = o.id as string;
        withAdmin(o, (ad) =>
          verb === 'delete'
            ? ad.deleteKey(id)
            : ad.setKeyStatus(id, verb === 'enable' ? 'active' : 'disabled'),
        );
        emit(
          o,
          { accessKeyId: id, result: verb === 'delete' ? 'deleted' : verb + 'd' },
          () => `${id} ${verb}d`,
        );
      });
  }

  const number = admin.command('number').description('display numbers an account owns');
  for (const verb of ['add', 'remove'] as const) {
    const cmd = number
      .command(verb)
      .requiredOption('--account <name>', 'account name')
      .requiredOption('--number <number>', 'the display number, e.g. 057188880000');
    if (verb === 'add')
      cmd.option('--inbound', 'calls to this number from a trunk are inbound smart calls (callin callback)');
    cmd.action(async (_o, c: Command) => {
      const o = opts(c);
      const n = o.number as string;
      const inbound = o.inbound === true;
      if (verb === 'add') await withTenancy(o, (ad) => ad.addNumber(o.account as string, n, { inbound }));
      else withAdmin(o, (ad) => ad.removeNumber(o.account as string, n));
      emit(
        o,
        {
          account: o.account,
          number: n,
          result: verb === 'add' ? 'added' : 'removed',
          ...(verb === 'add' && { inbound }),
        },
        () =>
          verb === 'add'
            ? `${n} added to ${o.account}${inbound ? ' (takes inbound calls)' : ''}`
            : `${n} removed from ${o.account}`,
      );
    });
  }
  number
    .command('list')
    .requiredOption('--account <name>', 'account name')
    .action(async (_o, cmd: Command) => {
      const o = opts(cmd);
      const list = (await withTenancy(o, (ad) => ad.listNumbers(o.account as string))).map((n) => ({
        number: n.number,
        inbound: n.inbound === true,
        createdAt: new Date(n.createdAt).toISOString(),
      }));
      emit(o, list, () => table(list, ['number', 'inbound', 'createdAt']));
    });

  const callback = admin.command('callback').description("the account's callback (spec §4)");
  callback
    .command('set')
    .requiredOption('--account <name>', 'account name')
    .option('--url <url>', 'callback URL (http or https); empty string removes it')
    .option('--timeout-ms <ms>', 'callback timeout in ms (default 3000)', positiveInt)
    .option(
      '--fallback <json>',
      'reply used when the callback fails, e.g. {"action":"hangup"}; empty removes it',
    )
    .option('--body-mode <mode>', 'send parameters in the query string (default) or a form body: query|form')
    .option(
      '--signing-secret <secret>',
      'sign callbacks (X-Smartcall-Signature, HMAC-SHA256); empty removes it',
    )
    .option(
      '--unrecognized <mode>',
      'speech the recognizer rejects: a normal callback with empty words (default) or none: callback|silent',
    )
    .action(async (_o, cmd: Command) => {
      const o = opts(cmd);
      const s = await withTenancy(o, (ad) =>
        ad.setCallback(o.account as string, {
          url: o.url === undefined ? undefined : (o.url as string) || null,
          timeoutMs: o.timeoutMs as number | undefined,
          fallbackReply: o.fallback === undefined ? undefined : (o.fallback as string) || null,
          bodyMode: o.bodyMode as 'query' | 'form' | undefined,
          signingSecret: o.signingSecret === undefined ? undefined : (o.signingSecret as string) || null,
          unrecognized: o.unrecognized as string | undefined,
        }),
      );
      emit(
        o,
        { account: o.account, callback: callbackView(s) },
        () => `callback of ${o.account}: ${s.url ?? '(none)'}`,
      );
    });
  callback
    .command('show')
    .requiredOption('--account <name>', 'account name')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const s = callbackView(withAdmin(o, (ad) => ad.account(o.account as string).callback));
      emit(o, s, () => JSON.stringify(s, null, 2));
    });

  const receipts = admin.command('receipts').description('receipt push settings (spec §5)');
  receipts
    .command('set')
    .requiredOption('--account <name>', 'account name')
    .option(
      '--type <MessageType>',
      "set one MessageType's own push URL (--url; empty removes it), as the Alibaba console does",
    )
    .option('--url <url>', 'HTTP batch push URL; empty string removes it')
    .option('--types <list>', 'without --type: the types --url serves, e.g. VoiceCallReport,VoiceReport')
    .action(async (_o, cmd: Command) => {
      const o = opts(cmd);
      const s = await withTenancy(o, (ad) =>
        ad.setReceipts(o.account as string, {
          url: o.url === undefined ? undefined : (o.url as string) || null,
          ...(o.type !== undefined && { type: o.type as string }),
          types:
            o.types === undefined
              ? undefined
              : (o.types as string)
                  .split(',')
                  .map((t) => t.trim())
                  .filter(Boolean),
        }),
      );
      const view = receiptsView(s);
      emit(o, { account: o.account, receipts: view }, () =>
        [
          `receipts of ${o.account}:`,
          ...Object.entries(view.routes).map(([t, u]) => `  ${t}: ${u ?? '(off)'}`),
        ].join('\n'),
      );
    });
  receipts
    .command('show')
    .requiredOption('--account <name>', 'account name')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const s = receiptsView(withAdmin(o, (ad) => ad.account(o.account as string).receipts));
      emit(o, s, () => JSON.stringify(s, null, 2));
    });
}

/** Receipt settings as stored, and where each MessageType goes (`null`: not pushed). */
function receiptsView(s: AccountRecord['receipts']) {
  const routes = Object.fromEntries(RECEIPT_TYPES.map((t) => [t, receiptUrl(s, t) ?? null]));
  return { ...s, routes };
}
