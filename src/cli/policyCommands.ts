/**
 * `smartcall admin policy …` (calling windows, caps, retries, caller-ID pool, opt-out key of an
 * account, or with `--global` the operator's layer for every account), `smartcall admin dnc …` (the
 * do-not-call lists) and `smartcall admin call show` (a call with every policy decision about it).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type CallingPolicyInput, parsePolicy } from '../calls/policy/callingPolicy.js';
import { systemClock } from '../clock/clock.js';
import { GLOBAL_POLICY_ACCOUNT } from '../store/records.js';
import type { SqliteStore } from '../store/sqlite/sqliteStore.js';
import { addPolicyFlags, policyFromFlags } from './campaignCommands.js';
import { type GlobalOptions, withAdmin } from './context.js';
import { emit, table } from './output.js';

type Opts = GlobalOptions & Record<string, unknown>;
const opts = (cmd: Command) => cmd.optsWithGlobals() as Opts;

function scope(store: SqliteStore, o: Opts): number {
  if (o.global) return GLOBAL_POLICY_ACCOUNT;
  if (o.account === undefined) throw new Error('name --account <name> or --global');
  const a = store.accounts.findByName(o.account as string);
  if (!a) throw new Error(`no account named ${o.account}`);
  return a.id;
}

const withScope = (cmd: Command) =>
  cmd.option('--account <name>', 'the account').option('--global', "the operator's layer (every account)");

export function registerPolicyCommands(admin: Command): void {
  const policy = admin
    .command('policy')
    .description('calling policy: windows, caps, retries, caller-ID pool, opt-out');
  addPolicyFlags(
    withScope(policy.command('set').description('changes the named settings (others stay)'))
      .option(
        '--caller-ids <numbers>',
        'display-number pool, comma-separated (139…@0571 tags a mobile with its region)',
      )
      .option(
        '--time-zone <cc=zone>',
        'country code to IANA zone, e.g. 1=America/Los_Angeles (repeatable)',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option('--opt-out-key <key>', 'a key (0-9, *, #) that puts the callee on the do-not-call list')
      .option('--clear', 'start from an empty policy'),
  ).action((_o, cmd: Command) => {
    const o = opts(cmd);
    const view = withAdmin(o, (_a, store) => {
      const id = scope(store, o);
      const before = o.clear ? {} : (JSON.parse(store.policies.get(id) ?? '{}') as CallingPolicyInput);
      const next = policyFromFlags(o, before);
      if (o.callerIds !== undefined) {
        const numbers = String(o.callerIds)
          .split(',')
          .map((n) => n.trim())
          .filter((n) => n !== '');
        for (const n of numbers) {
          const owner = store.numbers.find(n.split('@')[0]!)?.accountId;
          if (id !== GLOBAL_POLICY_ACCOUNT && owner !== id)
            throw new Error(`--caller-ids: ${n} is not a number of this account`);
        }
        next.callerIds = { ...next.callerIds, numbers };
      }
      for (const pair of (o.timeZone as string[] | undefined) ?? []) {
        const [cc, zone] = pair.split('=');
        if (!cc || !zone) throw new Error(`--time-zone: "${pair}" is not cc=zone`);
        next.timeZones = { ...next.timeZones, [cc]: zone };
      }
      if (o.optOutKey !== undefined) next.optOut = { ...next.optOut, key: o.optOutKey as string };
      parsePolicy(next); // names the problem (PolicyError) before anything is stored
      store.policies.set(id, JSON.stringify(next), systemClock.now());
      return { scope: id === GLOBAL_POLICY_ACCOUNT ? 'global' : o.account, policy: next };
    });
    emit(o, view, () => `policy of ${view.scope}: ${JSON.stringify(view.policy)}`);
  });
  withScope(policy.command('show')).action((_o, cmd: Command) => {
    const o = opts(cmd);
    const view = withAdmin(o, (_a, store) => {
      const id = scope(store, o);
      return {
        scope: id === GLOBAL_POLICY_ACCOUNT ? 'global' : o.account,
        policy: JSON.parse(store.policies.get(id) ?? '{}'),
      };
    });
    emit(o, view, () => `policy of ${view.scope}: ${JSON.stringify(view.policy)}`);
  });

  const dnc = admin
    .command('dnc')
    .description('do-not-call lists (an account’s, or --global for every account)');
  const numbersOf = (o: Opts): string[] => {
    const list = [...((o.number as string[] | undefined) ?? [])];
    if (o.file !== undefined) {
      let text: string;
      try {
        text = readFileSync(o.file as string, 'utf8');
      } catch (err) {
        throw new Error(`cannot read ${o.file}: ${(err as Error).message}`);
      }
      // One number a line, or the first column of a CSV; lines that are not numbers (a header) are skipped.
      for (const line of text.split(/\r?\n/)) {
        const n = line.split(',')[0]!.trim().replace(/^"|"$/g, '');
        if (/^\+?\d{3,20}$/.test(n)) list.push(n);
      }
    }
    for (const n of list) if (!/^\+?\d{3,20}$/.test(n)) throw new Error(`"${n}" is not a phone number`);
    if (list.length === 0) throw new Error('no numbers given (--number or --file)');
    return list;
  };
  const numberFlag = (cmd: Command) =>
    cmd.option('--number <n>', 'a number (repeatable)', (v: string, prev: string[] = []) => [...prev, v]);
  numberFlag(withScope(dnc.command('add')))
    .option('--file <file>', 'import numbers: one a line, or the first column of a CSV')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const r = withAdmin(o, (_a, store) => ({
        added: store.policies.addDnc(
          scope(store, o),
          numbersOf(o),
          o.file ? 'import' : 'cli',
          systemClock.now(),
        ),
      }));
      emit(o, r, () => `added ${r.added} number(s)`);
    });
  dnc
    .command('import')
    .description('the same as add --file')
    .requiredOption('--file <file>', 'one number a line, or the first column of a CSV')
    .option('--account <name>', 'the account')
    .option('--global', "the operator's list")
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const r = withAdmin(o, (_a, store) => ({
        added: store.policies.addDnc(scope(store, o), numbersOf(o), 'import', systemClock.now()),
      }));
      emit(o, r, () => `imported ${r.added} number(s)`);
    });
  numberFlag(withScope(dnc.command('remove'))).action((_o, cmd: Command) => {
    const o = opts(cmd);
    const r = withAdmin(o, (_a, store) => ({
      removed: store.policies.removeDnc(scope(store, o), numbersOf(o)),
    }));
    emit(o, r, () => `removed ${r.removed} number(s)`);
  });
  withScope(dnc.command('list')).action((_o, cmd: Command) => {
    const o = opts(cmd);
    const rows = withAdmin(o, (_a, store) =>
      store.policies
        .listDnc(scope(store, o))
        .map((r) => ({ number: r.number, reason: r.reason, createdAt: new Date(r.createdAt).toISOString() })),
    );
    emit(o, rows, () => table(rows, ['number', 'reason', 'createdAt']));
  });

  const call = admin.command('call').description('calls in the store');
  call
    .command('show')
    .description('one call: its record and every policy decision (why it waited, its caller id, retries)')
    .requiredOption('--call-id <id>', 'the CallId')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const view = withAdmin(o, (_a, store) => {
        const record = store.calls.find(o.callId as string);
        if (!record) throw new Error(`no call ${o.callId}`);
        const { request: _request, amd, ...rest } = record;
        return {
          ...rest,
          amd: amd ? (JSON.parse(amd) as Record<string, unknown>) : null,
          campaignRow: store.campaigns.rowByCall(record.callId) ?? null,
          decisions: store.policies
            .decisions(record.callId)
            .map((d) => ({ ...d, at: new Date(d.at).toISOString() })),
        };
      });
      emit(o, view, () =>
        [
          `call ${view.callId} to ${view.calledNumber} from ${view.calledShowNumber}: ${view.state} ${view.statusCode ?? ''}`,
          ...(view.amd
            ? [
                `  answering machine: ${view.amd.result} (${view.amd.reason}, ${view.amd.afterMs} ms), ${view.amd.action}`,
              ]
            : []),
          ...view.decisions.map((d) => `  ${d.at} ${d.decision}: ${d.detail}`),
        ].join('\n'),
      );
    });
}
