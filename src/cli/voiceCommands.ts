/**
 * `smartcall admin voice ...`: uploaded voice files, referenced by ID in VoiceCode / action_code /
 * BackgroundFileCode. IDs are issued here, or brought from Alibaba (`upload --id`, `import`) so
 * existing code keeps working unchanged.
 */
import type { Command } from 'commander';
import { VOICE_ID_RULE } from '../media-library/mediaIds.js';
import { type VoiceImportEntry, VoiceLibrary } from '../media-library/voiceLibrary.js';
import { readVoiceFolder, readVoiceManifest } from '../media-library/voiceManifest.js';
import type { VoiceFileRecord } from '../store/records.js';
import { configFrom, type GlobalOptions, withAdmin, withAdminAsync } from './context.js';
import { emit, table } from './output.js';

type Opts = GlobalOptions & Record<string, unknown>;

const view = (v: VoiceFileRecord) => ({ id: v.id, name: v.name, durationMs: v.durationMs });

export function registerVoiceCommands(admin: Command): void {
  const voice = admin
    .command('voice')
    .description('voice files for prompts (any common WAV, stored as 8 kHz)');
  voice
    .command('upload')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--file <wav>', 'a WAV file (any rate, channels, bit depth, µ-law/A-law)')
    .option('--id <id>', `keep this voice ID (e.g. the Alibaba one); ${VOICE_ID_RULE}`)
    .option('--name <name>', 'a label (default: the file name)')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const config = configFrom(o);
      const record = await withAdminAsync(o, (admin, store) => {
        const account = admin.account(o.account as string);
        return new VoiceLibrary(store, config.dataDir).upload(account.id, o.file as string, {
          id: o.id as string | undefined,
          name: o.name as string | undefined,
        });
      });
      emit(
        o,
        view(record),
        () => `${record.id}  (${record.name}, ${(record.durationMs / 1000).toFixed(1)} s)`,
      );
    });
  voice
    .command('import')
    .description('store many files under their own IDs, all or none')
    .requiredOption('--account <name>', 'account name')
    .option('--manifest <json>', 'a JSON array of {"id", "file", "name"?}; paths relative to the manifest')
    .option('--dir <folder>', 'every *.wav file in the folder, its file name being the ID')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      if ((o.manifest === undefined) === (o.dir === undefined))
        throw new Error('give either --manifest <json> or --dir <folder>');
      const config = configFrom(o);
      let entries: VoiceImportEntry[];
      let skipped: string[] = [];
      if (o.manifest !== undefined) entries = readVoiceManifest(o.manifest as string);
      else ({ entries, skipped } = readVoiceFolder(o.dir as string));
      const records = await withAdminAsync(o, (admin, store) => {
        const account = admin.account(o.account as string);
        return new VoiceLibrary(store, config.dataDir).import(account.id, entries);
      });
      const imported = records.map(view);
      emit(o, { account: o.account, imported, skipped }, () =>
        [
          `imported ${imported.length} voice file${imported.length === 1 ? '' : 's'} into ${o.account}`,
          table(imported, ['id', 'name', 'durationMs']),
          ...(skipped.length > 0 ? [`skipped (not *.wav): ${skipped.join(', ')}`] : []),
        ].join('\n'),
      );
    });
  voice
    .command('list')
    .requiredOption('--account <name>', 'account name')
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const config = configFrom(o);
      const list = withAdmin(o, (admin, store) =>
        new VoiceLibrary(store, config.dataDir).list(admin.account(o.account as string).id),
      ).map(view);
      emit(o, list, () => table(list, ['id', 'name', 'durationMs']));
    });
}
