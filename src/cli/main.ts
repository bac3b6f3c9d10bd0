/** The `smartcall` command line. */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerAdminCommands } from './adminCommands.js';
import { registerAsrCommands } from './asrCommands.js';
import { registerCallCommand } from './callCommand.js';
import { registerCampaignCommands } from './campaignCommands.js';
import { fail } from './output.js';
import { registerPhonenetCommand } from './phonenetCommand.js';
import { registerServeCommand } from './serveCommand.js';
import { registerTestCommand } from './testCommand.js';

const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('smartcall')
    .description('self-hosted intelligent outbound voice platform, wire-compatible with Alibaba SmartCall')
    .version(pkg.version)
    .option('--config <file>', 'config file, JSON or YAML (env SMARTCALL_CONFIG)')
    .option('--data-dir <dir>', 'data directory (env SMARTCALL_DATA_DIR, default ./data)')
    .option('--json', 'print results as JSON')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerServeCommand(program);
  registerAdminCommands(program);
  registerAsrCommands(program);
  registerPhonenetCommand(program);
  registerCallCommand(program);
  registerCampaignCommands(program);
  registerTestCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version "errors" are normal exits; commander already printed the message.
      process.exitCode = err.exitCode;
      return;
    }
    fail({ json: argv.includes('--json') }, err instanceof Error ? err.message : String(err));
  }
}
