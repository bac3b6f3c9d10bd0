/**
 * `smartcall admin amd …`: answering-machine detection per account (issue 16 item 4). Off until
 * set; `set` turns it on with what a machine gets — `report` (detect only), `hangup`, or `message`
 * (wait for the beep or the end of the greeting, play `--message-voice-code`, hang up).
 */
import type { Command } from 'commander';
import { systemClock } from '../clock/clock.js';
import {
  AMD_DEFAULT_MAX_MS,
  AMD_MACHINE_ACTIONS,
  type AmdMachineAction,
  type AmdSettings,
  amdSettingsProblem,
} from '../contract/answeringMachine.js';
import { parseVoiceCode, VoiceCodeError } from '../contract/voiceCode.js';
import { isTtsTemplateId } from '../media-library/mediaIds.js';
import type { SqliteStore } from '../store/sqlite/sqliteStore.js';
import { type GlobalOptions, withAdmin } from './context.js';
import { emit } from './output.js';

type Opts = GlobalOptions & Record<string, unknown>;
const opts = (cmd: Command) => cmd.optsWithGlobals() as Opts;

function accountId(store: SqliteStore, o: Opts): number {
  const a = store.accounts.findByName(o.account as string);
  if (!a) throw new Error(`no account named ${o.account}`);
  return a.id;
}

/** The message must play without parameters: voice files and TTS templates of the account. */
function checkMessage(store: SqliteStore, account: number, code: string): void {
  let items: ReturnType<typeof parseVoiceCode>;
  try {
    items = parseVoiceCode(code);
  } catch (err) {
    throw new Error(
      `--message-voice-code: ${err instanceof VoiceCodeError ? `bad item ${err.item}` : (err as Error).message}`,
    );
  }
  for (const item of items) {
    if (item.kind !== 'file')
      throw new Error('--message-voice-code: name voice files or TTS templates ($var$ has no value here)');
    const known = isTtsTemplateId(item.id)
      ? store.ttsTemplates.find(account, item.id)
      : store.voiceFiles.find(account, item.id);
    if (!known)
      throw new Error(`--message-voice-code: ${item.id} is not a voice file or TTS template of this account`);
  }
}

function describe(account: string, s: AmdSettings | null): string {
  if (!s) return `answering-machine detection of ${account}: off`;
  const machine =
    s.machine === 'message'
      ? `leave the message ${s.messageVoiceCode} after the beep, then hang up`
      : s.machine === 'hangup'
        ? 'hang up'
        : 'report only';
  return `answering-machine detection of ${account}: on (decides within ${s.maxMs} ms); a machine: ${machine}`;
}

const read = (store: SqliteStore, id: number): AmdSettings | null => {
  const json = store.amdSettings.get(id);
  return json ? (JSON.parse(json) as AmdSettings) : null;
};

export function registerAmdCommands(admin: Command): void {
  const amd = admin
    .command('amd')
    .description('answering-machine detection per account (off by default): what a machine gets');
  amd
    .command('set')
    .description('turns detection on (settings not named keep their value)')
    .requiredOption('--account <name>', 'the account')
    .option('--machine <action>', `what a machine gets: ${AMD_MACHINE_ACTIONS.join(' | ')} (default report)`)
    .option('--message-voice-code <code>', 'the message left on a machine (voice file or TTS template IDs)')
    .option('--max-ms <ms>', `decide within this many ms of the answer (default ${AMD_DEFAULT_MAX_MS})`)
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const view = withAdmin(o, (_a, store) => {
        const id = accountId(store, o);
        const before = read(store, id);
        const machine = (o.machine as AmdMachineAction | undefined) ?? before?.machine ?? 'report';
        if (!AMD_MACHINE_ACTIONS.includes(machine))
          throw new Error(`--machine must be one of ${AMD_MACHINE_ACTIONS.join(', ')}, got "${machine}"`);
        let maxMs = before?.maxMs ?? AMD_DEFAULT_MAX_MS;
        if (o.maxMs !== undefined) {
          if (!/^\d+$/.test(String(o.maxMs)))
            throw new Error(`--max-ms must be a number of ms, got "${o.maxMs}"`);
          maxMs = Number(o.maxMs);
        }
        const messageVoiceCode = (o.messageVoiceCode as string | undefined) ?? before?.messageVoiceCode;
        if (o.messageVoiceCode !== undefined) checkMessage(store, id, messageVoiceCode!);
        const settings: AmdSettings = {
          machine,
          maxMs,
          ...(messageVoiceCode !== undefined && { messageVoiceCode }),
        };
        const problem = amdSettingsProblem(settings);
        if (problem) throw new Error(problem.replace(/^max-ms/, '--max-ms'));
        store.amdSettings.set(id, JSON.stringify(settings), systemClock.now());
        return { account: o.account as string, amd: settings };
      });
      emit(o, view, () => describe(view.account, view.amd));
    });
  amd
    .command('show')
    .requiredOption('--account <name>', 'the account')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const view = withAdmin(o, (_a, store) => ({
        account: o.account as string,
        amd: read(store, accountId(store, o)),
      }));
      emit(o, view, () => describe(view.account, view.amd));
    });
  amd
    .command('off')
    .description('turns detection off')
    .requiredOption('--account <name>', 'the account')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const view = withAdmin(o, (_a, store) => {
        store.amdSettings.remove(accountId(store, o));
        return { account: o.account as string, amd: null };
      });
      emit(o, view, () => describe(view.account, view.amd));
    });
}
