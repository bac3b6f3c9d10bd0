/**
 * `smartcall admin dialog add|list|show|remove|validate`: an account's dialog scripts, which a
 * SmartCall names with `DialogId` (issue 16 item 3; docs/dialogs.md). Problems in a file are
 * printed as `file:line:column: path: problem`, one per line, with exit code 1.
 */
import type { Command } from 'commander';
import { DIALOG_ID_RULE, type DialogScript, startNode } from '../contract/dialogScript.js';
import { DialogLibrary } from '../dialogue/dialogLibrary.js';
import { loadDialogScript } from '../dialogue/dialogScriptFile.js';
import type { DialogScriptRecord } from '../store/records.js';
import { type GlobalOptions, withAdmin } from './context.js';
import { emit, table } from './output.js';

type Opts = GlobalOptions & Record<string, unknown>;

function opts(cmd: Command): Opts {
  return cmd.optsWithGlobals() as Opts;
}

const view = (d: DialogScriptRecord) => {
  const script = JSON.parse(d.script) as DialogScript;
  return {
    id: d.id,
    name: d.name,
    start: startNode(script),
    nodes: Object.keys(script.nodes).length,
    createdAt: new Date(d.createdAt).toISOString(),
    updatedAt: new Date(d.updatedAt).toISOString(),
  };
};

export function registerDialogCommands(admin: Command): void {
  const dialog = admin
    .command('dialog')
    .description('dialog scripts (YAML or JSON) a SmartCall runs with DialogId, without a callback server');
  dialog
    .command('add')
    .description('check a script file and store it (replacing the script of that ID)')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--file <path>', 'the script, YAML or JSON (.json)')
    .option('--id <id>', `the DialogId (default: the file name without extension); ${DIALOG_ID_RULE}`)
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const d = withAdmin(o, (ad, store) =>
        new DialogLibrary(store).add(ad.account(o.account as string).id, o.file as string, {
          ...(o.id !== undefined && { id: o.id as string }),
        }),
      );
      const v = view(d);
      emit(o, v, () => `added dialog ${v.id} (${v.nodes} nodes, starts at ${v.start})`);
    });
  dialog
    .command('list')
    .requiredOption('--account <name>', 'account name')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const list = withAdmin(o, (ad, store) =>
        new DialogLibrary(store).list(ad.account(o.account as string).id),
      ).map(view);
      emit(o, list, () => table(list, ['id', 'name', 'start', 'nodes', 'updatedAt']));
    });
  dialog
    .command('show')
    .description('print the script as it was written (with --json: its details and the checked script)')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--id <id>', 'the DialogId')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const d = withAdmin(o, (ad, store) =>
        new DialogLibrary(store).get(ad.account(o.account as string).id, o.id as string),
      );
      emit(o, { ...view(d), source: d.source, script: JSON.parse(d.script) }, () => d.source.trimEnd());
    });
  dialog
    .command('remove')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--id <id>', 'the DialogId')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      withAdmin(o, (ad, store) =>
        new DialogLibrary(store).remove(ad.account(o.account as string).id, o.id as string),
      );
      emit(o, { account: o.account, id: o.id, result: 'removed' }, () => `dialog ${o.id} removed`);
    });
  dialog
    .command('validate')
    .description('check a script file without storing it; problems as file:line:column')
    .requiredOption('--file <path>', 'the script, YAML or JSON (.json)')
    .action((_o, cmd: Command) => {
      const o = opts(cmd);
      const file = o.file as string;
      const { script } = loadDialogScript(file);
      const nodes = Object.keys(script.nodes).length;
      emit(
        o,
        { file, valid: true, start: startNode(script), nodes },
        () => `${file}: valid (${nodes} nodes, starts at ${startNode(script)})`,
      );
    });
}
