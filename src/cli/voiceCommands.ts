/** `smartcall admin voice ...`: uploaded voice files, referenced by ID in VoiceCode / action_code. */
import type { Command } from 'commander';
import { VoiceLibrary } from '../media-library/voiceLibrary.js';
import { configFrom, type GlobalOptions, withAdmin, withAdminAsync } from './context.js';
import { emit, table } from './output.js';

type Opts = GlobalOptions & Record<string, unknown>;

export function registerVoiceCommands(admin: Command): void {
  const voice = admin
    .command('voice')
    .description('voice files for prompts (any common WAV, stored as 8 kHz)');
  voice
    .command('upload')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--file <wav>', 'a WAV file (any rate, channels, bit depth, µ-law/A-law)')
    .option('--name <name>', 'a label (default: the file name)')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const config = configFrom(o);
      const record = await withAdminAsync(o, (admin, store) => {
        const account = admin.account(o.account as string);
        return new VoiceLibrary(store, config.dataDir).upload(
          account.id,
          o.file as string,
          o.name as string | undefined,
        );
      });
      emit(
        o,
        { id: record.id, name: record.name, durationMs: record.durationMs },
        () => `${record.id}  (${record.name}, ${(record.durationMs / 1000).toFixed(1)} s)`,
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
      ).map((v) => ({ id: v.id, name: v.name, durationMs: v.durationMs }));
      emit(o, list, () => table(list, ['id', 'name', 'durationMs']));
    });
}
