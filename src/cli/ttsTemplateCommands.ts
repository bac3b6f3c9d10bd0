/**
 * `smartcall admin tts-template add|list|remove`: TTS templates a `VoiceCode` / `action_code` may
 * name (`TTS_171950027`); `${var}` placeholders are filled from `VoiceCodeParam`.
 */
import type { Command } from 'commander';
import { TTS_TEMPLATE_ID_RULE } from '../media-library/mediaIds.js';
import { TtsTemplates, templateVariables } from '../media-library/ttsTemplates.js';
import type { TtsTemplateRecord } from '../store/records.js';
import { type GlobalOptions, withAdmin } from './context.js';
import { emit, table } from './output.js';

type Opts = GlobalOptions & Record<string, unknown>;

function opts(cmd: Command): Opts {
  return cmd.optsWithGlobals() as Opts;
}

const view = (t: TtsTemplateRecord) => ({
  id: t.id,
  name: t.name,
  text: t.text,
  variables: templateVariables(t.text),
  createdAt: new Date(t.createdAt).toISOString(),
});

export function registerTtsTemplateCommands(admin: Command): void {
  const template = admin
    .command('tts-template')
    .description(`TTS templates a VoiceCode may name; \${var} comes from VoiceCodeParam`);
  template
    .command('add')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--id <id>', TTS_TEMPLATE_ID_RULE)
    .requiredOption('--text <text>', `what to say, with \${name} placeholders`)
    .option('--name <name>', 'a label (default: the ID)')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const t = withAdmin(o, (ad, store) =>
        new TtsTemplates(store).add(ad.account(o.account as string).id, {
          id: o.id as string,
          text: o.text as string,
          name: o.name as string | undefined,
        }),
      );
      const v = view(t);
      emit(o, v, () => `added TTS template ${v.id} (variables: ${v.variables.join(', ') || 'none'})`);
    });
  template
    .command('list')
    .requiredOption('--account <name>', 'account name')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const list = withAdmin(o, (ad, store) =>
        new TtsTemplates(store).list(ad.account(o.account as string).id),
      ).map(view);
      emit(o, list, () => table(list, ['id', 'name', 'text']));
    });
  template
    .command('remove')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--id <id>', 'the template ID')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      withAdmin(o, (ad, store) =>
        new TtsTemplates(store).remove(ad.account(o.account as string).id, o.id as string),
      );
      emit(o, { account: o.account, id: o.id, result: 'removed' }, () => `TTS template ${o.id} removed`);
    });
}
