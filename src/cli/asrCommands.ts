/**
 * ASR phrase models from the command line:
 * - `smartcall admin asr-model create|list`: an account's phrase lists (AsrModelId), validated
 *   line by line when created; the ID is issued, or kept (`--id`, e.g. the Alibaba one) when new
 *   to the installation: model IDs are unique, as at Alibaba;
 * - `smartcall asr recognize --model <id|base id> file.wav`: runs the embedded phrase recognizer
 *   on a recording and prints what it heard, or that it rejected the speech. An ID alone finds
 *   its model; `--account` is needed only if older data holds the ID in several accounts.
 */

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { readWavFile } from '../media/wavReader.js';
import { AsrModels, checkPhrases, MODEL_ID_RULE, phraseCount } from '../media-library/asrModels.js';
import { BUILTIN_PHRASE_MODELS } from '../speech/phrase/builtinPhrases.js';
import { tryPhrases } from '../speech/phrase/phraseTrial.js';
import type { AsrModelRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import type { TenancyAdmin } from '../tenancy/tenancyAdmin.js';
import { configFrom, type GlobalOptions, withAdmin } from './context.js';
import { emit, table } from './output.js';

type Opts = GlobalOptions & Record<string, unknown>;

function opts(cmd: Command): Opts {
  return cmd.optsWithGlobals() as Opts;
}

/** An account's model by ID alone; `account` only settles an ID that several accounts hold. */
function findModel(ad: TenancyAdmin, store: Store, id: string, account: string | undefined): AsrModelRecord {
  const found = store.asrModels.findEverywhere(id);
  if (account !== undefined) {
    const accountId = ad.account(account).id;
    const model = found.find((m) => m.accountId === accountId);
    if (!model) throw new Error(`ASR model ${id} not found for account ${account}`);
    return model;
  }
  if (found.length === 0) {
    throw new Error(
      `no ASR model ${id}: give a model ID or a base model (${Object.keys(BUILTIN_PHRASE_MODELS).join(', ')})`,
    );
  }
  if (found.length > 1) {
    const owners = found.map((m) => store.accounts.findById(m.accountId)?.name ?? String(m.accountId));
    throw new Error(`ASR model ID ${id} is in several accounts (${owners.join(', ')}): give --account`);
  }
  return found[0]!;
}

function modelView(m: AsrModelRecord, account: string) {
  const phrases = phraseCount(m.phrases);
  return { id: m.id, account, name: m.name, phrases, createdAt: new Date(m.createdAt).toISOString() };
}

export function registerAsrModelCommands(admin: Command): void {
  const model = admin.command('asr-model').description('phrase models an account selects with AsrModelId');
  model
    .command('create')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--name <name>', 'model name')
    .requiredOption('--phrases-file <file>', 'one phrase per line; optional pronunciation after a tab')
    .option('--id <id>', `keep this AsrModelId (e.g. the Alibaba one); ${MODEL_ID_RULE}`)
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const file = o.phrasesFile as string;
      let phrases: string;
      try {
        phrases = readFileSync(file, 'utf8');
      } catch (err) {
        throw new Error(`cannot read ${file}: ${(err as Error).message}`);
      }
      try {
        checkPhrases(phrases);
      } catch (err) {
        throw new Error(`${file}: ${(err as Error).message}`);
      }
      const view = withAdmin(o, (ad, store) => {
        const account = ad.account(o.account as string);
        const record = new AsrModels(store).create(account.id, {
          name: o.name as string,
          phrases,
          id: o.id as string | undefined,
        });
        return modelView(record, account.name);
      });
      emit(o, view, () => `created ASR model ${view.name} (${view.phrases} phrases): ${view.id}`);
    });
  model
    .command('list')
    .requiredOption('--account <name>', 'account name')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const list = withAdmin(o, (ad, store) => {
        const account = ad.account(o.account as string);
        return store.asrModels.listByAccount(account.id).map((m) => modelView(m, account.name));
      });
      emit(o, list, () => table(list, ['id', 'name', 'phrases', 'createdAt']));
    });
}

export function registerAsrCommands(program: Command): void {
  const asr = program.command('asr').description('speech recognition tools');
  asr
    .command('recognize')
    .description('recognise a WAV recording with a phrase model (any common WAV format)')
    .requiredOption(
      '--model <id>',
      `an account's ASR model id, or a base model (${Object.keys(BUILTIN_PHRASE_MODELS).join(', ')})`,
    )
    .option('--account <name>', 'the account owning the model (needed only if several accounts hold the ID)')
    .argument('<file>', 'WAV file')
    .action(async (file: string, _o, cmd: Command) => {
      const o = opts(cmd);
      const id = o.model as string;
      let name = id;
      let phrases = BUILTIN_PHRASE_MODELS[id];
      if (!phrases) {
        const record = withAdmin(o, (ad, store) => findModel(ad, store, id, o.account as string | undefined));
        phrases = record.phrases;
        name = record.name;
      }
      configFrom(o); // validates --config like every other command
      const trial = await tryPhrases(name, phrases, await readWavFile(file));
      const result = { file, model: id, ...trial };
      emit(o, result, () =>
        trial.text === null
          ? `rejected: not on the phrase list (confidence ${trial.confidence})`
          : `${trial.text} (confidence ${trial.confidence})`,
      );
    });
}
