/**
 * `smartcall admin sts create`: temporary credentials (an `STS.` AccessKeyId, its secret and a
 * SecurityToken) for an account, the way AssumeRole hands them out. Nothing is stored, so there is
 * nothing to list or delete: they stop working at their expiration.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { STS_TTL_SECONDS } from '../tenancy/tenancyAdmin.js';
import { type GlobalOptions, withAdmin } from './context.js';
import { emit } from './output.js';

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be a whole number of seconds');
  return n;
}

export function registerStsCommands(admin: Command): void {
  const sts = admin.command('sts').description('temporary credentials (STS SecurityToken)');
  sts
    .command('create')
    .requiredOption('--account <name>', 'account name')
    .option(
      '--ttl <seconds>',
      `lifetime, ${STS_TTL_SECONDS.min}-${STS_TTL_SECONDS.max} s (default ${STS_TTL_SECONDS.default})`,
      seconds,
    )
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as GlobalOptions & { account: string; ttl?: number };
      const c = withAdmin(o, (ad) => ad.createTemporaryCredential(o.account, o.ttl));
      emit(
        o,
        c,
        () =>
          `AccessKeyId:     ${c.accessKeyId}\nAccessKeySecret: ${c.accessKeySecret}\n` +
          `SecurityToken:   ${c.securityToken}\nExpiration:      ${c.expiration}`,
      );
    });
}
