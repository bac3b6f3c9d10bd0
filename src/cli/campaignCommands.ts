/**
 * `smartcall campaign …`: create a campaign from a CSV file (with `--dry-run` to see which rows will
 * be skipped and why), pause, resume, cancel, show progress, list, export results. Like the admin
 * commands it works on the data directory; the running server's campaign runner picks changes up
 * within a second.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { createCampaign, previewCampaign } from '../calls/campaigns/campaignCreation.js';
import { type CampaignSettings, CsvError, readCampaignCsv } from '../calls/campaigns/campaignSettings.js';
import { type CallingPolicyInput, PolicyError } from '../calls/policy/callingPolicy.js';
import { systemClock } from '../clock/clock.js';
import { parseVoiceCode, VoiceCodeError } from '../contract/voiceCode.js';
import { isTtsTemplateId } from '../media-library/mediaIds.js';
import type { CampaignRecord } from '../store/records.js';
import type { SqliteStore } from '../store/sqlite/sqliteStore.js';
import { configFrom, type GlobalOptions, withAdmin } from './context.js';
import { emit, table } from './output.js';

type Opts = GlobalOptions & Record<string, unknown>;
const opts = (cmd: Command) => cmd.optsWithGlobals() as Opts;

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

/** The policy flags shared by `campaign create` and `admin policy set`. */
export function policyFromFlags(o: Opts, base: CallingPolicyInput = {}): CallingPolicyInput {
  const p: CallingPolicyInput = { ...base };
  if (o.window !== undefined) p.window = o.window as string;
  if (o.holidays !== undefined) p.holidays = list(o.holidays as string);
  if (o.retry !== undefined) p.retry = o.retry as string;
  const caps = { ...p.caps };
  if (o.capMinute !== undefined) caps.perMinute = o.capMinute as number;
  if (o.capHour !== undefined) caps.perHour = o.capHour as number;
  if (o.capDay !== undefined) caps.perDay = o.capDay as number;
  if (o.minGap !== undefined) caps.minGap = o.minGap as string;
  if (Object.keys(caps).length > 0) p.caps = caps;
  if (o.callerIdStrategy !== undefined) {
    const s = o.callerIdStrategy as string;
    if (s !== 'region' && s !== 'round-robin')
      throw new PolicyError(`--caller-id-strategy must be region or round-robin, not "${s}"`);
    p.callerIds = { numbers: p.callerIds?.numbers ?? [], ...p.callerIds, strategy: s };
  }
  return p;
}

export function addPolicyFlags(cmd: Command): Command {
  return cmd
    .option(
      '--window <spec>',
      "calling window in the callee's time: 09:00-20:00 or 'mon-fri 09:00-20:00; sat 10:00-16:00'",
    )
    .option('--holidays <dates>', 'dates without calls, comma-separated YYYY-MM-DD')
    .option('--retry <spec>', 'retries by outcome: busy,no-answer:3x30m; powered-off:10m/1h')
    .option('--cap-minute <n>', 'calls to one number per minute at most', positiveInt)
    .option('--cap-hour <n>', 'calls to one number per hour at most', positiveInt)
    .option('--cap-day <n>', 'calls (attempts) to one number per day at most', positiveInt)
    .option('--min-gap <duration>', 'least time between two calls to one number (e.g. 30m)')
    .option('--caller-id-strategy <s>', 'pick display numbers by the callee region or round-robin');
}

function accountId(store: SqliteStore, name: string): number {
  const a = store.accounts.findByName(name);
  if (!a) throw new Error(`no account named ${name}`);
  return a.id;
}

function campaignById(store: SqliteStore, id: number): CampaignRecord {
  const c = store.campaigns.find(id);
  if (!c) throw new Error(`no campaign ${id}`);
  return c;
}

function checkVoiceCode(store: SqliteStore, account: number, voiceCode: string): void {
  let items: ReturnType<typeof parseVoiceCode>;
  try {
    items = parseVoiceCode(voiceCode);
  } catch (err) {
    throw new Error(
      `--voice-code: ${err instanceof VoiceCodeError ? `bad item ${err.item}` : (err as Error).message}`,
    );
  }
  for (const item of items) {
    if (item.kind !== 'file') continue;
    const known = isTtsTemplateId(item.id)
      ? store.ttsTemplates.find(account, item.id)
      : store.voiceFiles.find(account, item.id);
    if (!known)
      throw new Error(`--voice-code: ${item.id} is not a voice file or TTS template of this account`);
  }
}

function campaignView(store: SqliteStore, c: CampaignRecord) {
  const settings = JSON.parse(c.settings) as CampaignSettings;
  return {
    id: c.id,
    account: store.accounts.findById(c.accountId)?.name ?? String(c.accountId),
    name: c.name,
    state: c.state,
    total: c.total,
    progress: store.campaigns.countRows(c.id),
    settings,
    createdAt: new Date(c.createdAt).toISOString(),
    startAt: new Date(c.startAt).toISOString(),
    completedAt: c.completedAt === null ? null : new Date(c.completedAt).toISOString(),
  };
}

function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function registerCampaignCommands(program: Command): void {
  const campaign = program
    .command('campaign')
    .description('outbound campaigns: numbers from a CSV file, one policy');

  addPolicyFlags(
    campaign
      .command('create')
      .description('create (and start) a campaign from a CSV file: a number column, OutId, variables')
      .requiredOption('--account <name>', 'account the calls belong to')
      .requiredOption('--file <csv>', 'CSV with a header: number[,OutId][,variable…]')
      .requiredOption('--voice-code <code>', 'VoiceCode of every call ($var$ filled from the row)')
      .requiredOption('--show-number <numbers>', 'display number, or a comma-separated pool')
      .option('--name <name>', 'campaign name (default: the file name)')
      .option('--dry-run', 'only list the rows that would be skipped and why'),
  ).action((_o, cmd: Command) => {
    const o = opts(cmd);
    const config = configFrom(o);
    const result = withAdmin(o, (_admin, store) => {
      const account = accountId(store, o.account as string);
      const showNumbers = list(o.showNumber as string);
      for (const n of showNumbers) {
        if (store.numbers.find(n)?.accountId !== account)
          throw new Error(`--show-number: ${n} is not a number of ${o.account}`);
      }
      checkVoiceCode(store, account, o.voiceCode as string);
      let text: string;
      try {
        text = readFileSync(o.file as string, 'utf8');
      } catch (err) {
        throw new Error(`cannot read ${o.file}: ${(err as Error).message}`);
      }
      let rows: ReturnType<typeof readCampaignCsv>;
      try {
        rows = readCampaignCsv(text);
      } catch (err) {
        if (err instanceof CsvError) throw new Error(`${o.file}: ${err.message}`);
        throw err;
      }
      const settings: CampaignSettings = {
        voiceCode: o.voiceCode as string,
        showNumbers,
        policy: policyFromFlags(o),
      };
      const input = {
        accountId: account,
        name: (o.name as string | undefined) ?? String(o.file).split('/').pop()!,
        settings,
        rows,
        now: systemClock.now(),
        outIdMaxBytes: config.api.outIdMaxBytes,
      };
      const checks = o.dryRun ? previewCampaign(store, input) : undefined;
      const created = checks ? undefined : createCampaign(store, input);
      const all = checks ?? created!.checks;
      return {
        id: created?.id ?? null,
        dryRun: Boolean(o.dryRun),
        total: all.length,
        toCall: all.filter((c) => !c.skip).length,
        skipped: all
          .filter((c) => c.skip)
          .map((c) => ({ line: c.row.line, number: c.row.number, reason: c.skip })),
      };
    });
    emit(o, result, () =>
      [
        result.dryRun
          ? `dry run: ${result.toCall} of ${result.total} rows would be called`
          : `created campaign ${result.id}: ${result.toCall} of ${result.total} rows to call`,
        ...result.skipped.map((s) => `  skip line ${s.line} ${s.number}: ${s.reason}`),
      ].join('\n'),
    );
  });

  const stateCommand = (verb: string, to: 'paused' | 'running' | 'cancelled') =>
    campaign
      .command(verb)
      .requiredOption('--id <id>', 'campaign id', positiveInt)
      .action((_o, cmd: Command) => {
        const o = opts(cmd);
        const view = withAdmin(o, (_a, store) => {
          const c = campaignById(store, o.id as number);
          const now = systemClock.now();
          const changed = store.transaction(() => {
            const ok = store.campaigns.setState(c.id, to, now);
            if (ok && to === 'cancelled') store.campaigns.cancelRows(c.id, now);
            return ok;
          });
          if (!changed) throw new Error(`campaign ${c.id} is ${c.state}: it cannot be ${verb}d`);
          return campaignView(store, campaignById(store, c.id));
        });
        emit(o, view, () => `campaign ${view.id} is ${view.state}`);
      });
  stateCommand('pause', 'paused');
  stateCommand('resume', 'running');
  stateCommand('cancel', 'cancelled');

  campaign
    .command('show')
    .description("a campaign's settings and progress (rows by state)")
    .requiredOption('--id <id>', 'campaign id', positiveInt)
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const view = withAdmin(o, (_a, store) => campaignView(store, campaignById(store, o.id as number)));
      emit(o, view, () =>
        [
          `campaign ${view.id} ${view.name} (${view.account}): ${view.state}, ${view.total} numbers`,
          ...Object.entries(view.progress).map(([k, v]) => `  ${k}: ${v}`),
        ].join('\n'),
      );
    });

  campaign
    .command('list')
    .option('--account <name>', 'only this account')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const views = withAdmin(o, (_a, store) =>
        store.campaigns
          .list(o.account === undefined ? undefined : accountId(store, o.account as string))
          .map((c) => campaignView(store, c)),
      );
      emit(o, views, () =>
        table(
          views.map((v) => ({ ...v, done: v.progress.done ?? 0 })),
          ['id', 'account', 'name', 'state', 'total', 'done'],
        ),
      );
    });

  campaign
    .command('export')
    .description('every row with its fate as CSV (line, number, state, attempts, outcome, reason, call)')
    .requiredOption('--id <id>', 'campaign id', positiveInt)
    .option('--out <file>', 'write to a file instead of stdout')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const csv = withAdmin(o, (_a, store) => {
        const c = campaignById(store, o.id as number);
        const lines = ['line,number,out_id,state,attempts,outcome,status_code,reason,call_id'];
        for (const r of store.campaigns.rows(c.id)) {
          const call = r.lastCallId ? store.calls.find(r.lastCallId) : undefined;
          lines.push(
            [
              r.rowNo,
              r.calledNumber,
              r.outId,
              r.state,
              r.attempts,
              r.outcome,
              call?.statusCode,
              r.reason,
              r.lastCallId,
            ]
              .map(csvField)
              .join(','),
          );
        }
        return `${lines.join('\n')}\n`;
      });
      if (o.out) {
        writeFileSync(o.out as string, csv);
        emit(o, { file: o.out }, () => `wrote ${o.out}`);
      } else process.stdout.write(csv);
    });
}
