/** `smartcall admin console-user ...`: who may log in to the web console (`/console`). */
import type { Command } from 'commander';
import { systemClock } from '../clock/clock.js';
import { ConsoleUsers } from '../console/consoleUsers.js';
import { type GlobalOptions, withAdmin, withAdminAsync } from './context.js';
import { emit, table } from './output.js';

type Opts = GlobalOptions & Record<string, unknown>;

export function registerConsoleUserCommands(admin: Command): void {
  const cu = admin.command('console-user').description('web console users (log in at /console)');
  cu.command('add')
    .description('add a console user (password hashed with scrypt)')
    .requiredOption('--name <name>', 'login name')
    .requiredOption('--password <password>', 'password, at least 8 characters')
    .requiredOption('--role <role>', 'admin (may change settings) or viewer (looks only)')
    .option('--account <account>', 'limit the user to this account (default: every account)')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const user = await withAdminAsync(o, (_a, store) =>
        new ConsoleUsers(store, systemClock).add({
          name: o.name as string,
          password: o.password as string,
          role: o.role as string,
          ...(o.account !== undefined && { account: o.account as string }),
        }),
      );
      emit(
        o,
        user,
        () =>
          `added console user ${user.name} (${user.role}${user.account ? `, account ${user.account}` : ''})`,
      );
    });
  cu.command('list').action((_o, cmd: Command) => {
    const o = cmd.optsWithGlobals() as Opts;
    const users = withAdmin(o, (_a, store) => new ConsoleUsers(store, systemClock).list());
    emit(o, users, () =>
      table(
        users.map((u) => ({ ...u, account: u.account ?? '(all)' })),
        ['name', 'role', 'account', 'createdAt'],
      ),
    );
  });
  cu.command('remove')
    .description('remove a console user and end their sessions')
    .requiredOption('--name <name>', 'login name')
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      withAdmin(o, (_a, store) => new ConsoleUsers(store, systemClock).remove(o.name as string));
      emit(o, { removed: o.name }, () => `removed console user ${o.name as string}`);
    });
}
