/** `smartcall admin trunk ...`: the SIP trunks outbound calls leave through. */
import { type Command, InvalidArgumentError } from 'commander';
import { TrunkAdmin, trunkView } from '../calls/trunkAdmin.js';
import { SecretBox } from '../tenancy/secretBox.js';
import { configFrom, type GlobalOptions, withAdmin } from './context.js';
import { emit, table } from './output.js';

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

type Opts = GlobalOptions & Record<string, unknown>;

function withTrunks<T>(o: Opts, fn: (admin: TrunkAdmin) => T): T {
  return withAdmin(o, (_tenancy, store) => fn(new TrunkAdmin(store, SecretBox.forConfig(configFrom(o)))));
}

export function registerTrunkCommands(admin: Command): void {
  const trunk = admin.command('trunk').description('SIP trunks for outbound calls');
  trunk
    .command('add')
    .description('add a trunk, or replace the one with this name')
    .requiredOption('--name <name>', 'trunk name')
    .requiredOption('--uri <uri>', 'SIP URI with an IP address, e.g. sip:127.0.0.1:5065')
    .option(
      '--transport <t>',
      'udp, tcp or tls (default: the URI transport parameter, else udp; sips: is tls)',
    )
    .option('--username <user>', 'digest username')
    .option('--password <password>', 'digest password (stored encrypted)')
    .option('--realm <realm>', 'digest realm to answer (default: whatever the trunk challenges with)')
    .option('--caller-format <f>', 'caller number in From/PAI: national | e164 | e164-no-plus')
    .option('--callee-format <f>', 'callee number in the Request-URI: national | e164 | e164-no-plus')
    .option('--pai', 'send P-Asserted-Identity with the caller number')
    .option('--cps <n>', 'new calls per second (default 10)', nonNegativeInt)
    .option('--max-calls <n>', 'concurrent calls (default 100)', nonNegativeInt)
    .option('--options-interval <s>', 'OPTIONS keep-alive every s seconds (0 = off)', nonNegativeInt)
    .option(
      '--inbound-from <cidr>',
      'a range the trunk sends INVITEs from, e.g. 203.0.113.0/24 (repeatable; none: every INVITE is refused 403)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--register', 'register at the trunk (REGISTER with --username/--password) while the server runs')
    .option('--expires <s>', 'registration lifetime to ask for, seconds (default 3600)', nonNegativeInt)
    .option(
      '--codecs <list>',
      'codecs to offer, in order of preference, from PCMU, PCMA, G722: e.g. G722,PCMA,PCMU (default PCMU,PCMA)',
    )
    .option(
      '--srtp <mode>',
      'media encryption (SDES-SRTP): off | optional (offered on RTP/AVP) | required (RTP/SAVP) (default off)',
    )
    .option('--tls-ca-file <pem>', 'TLS trunks: CA certificates to trust beside the system ones')
    .option('--tls-cert-file <pem>', 'TLS trunks: client certificate to present (with --tls-key-file)')
    .option('--tls-key-file <pem>', 'TLS trunks: the client certificate key')
    .option('--default', 'make it the default trunk')
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const t = withTrunks(o, (a) =>
        a.add({
          name: o.name as string,
          uri: o.uri as string,
          transport: o.transport as string | undefined,
          username: o.username as string | undefined,
          password: o.password as string | undefined,
          realm: o.realm as string | undefined,
          callerFormat: o.callerFormat as string | undefined,
          calleeFormat: o.calleeFormat as string | undefined,
          sendPai: o.pai === true ? true : undefined,
          cps: o.cps as number | undefined,
          maxCalls: o.maxCalls as number | undefined,
          optionsIntervalS: o.optionsInterval as number | undefined,
          inboundFrom: o.inboundFrom as string[] | undefined,
          register: o.register === true ? true : undefined,
          registerExpiresS: o.expires as number | undefined,
          codecs: o.codecs as string | undefined,
          srtp: o.srtp as string | undefined,
          tlsCaFile: o.tlsCaFile as string | undefined,
          tlsCertFile: o.tlsCertFile as string | undefined,
          tlsKeyFile: o.tlsKeyFile as string | undefined,
          isDefault: o.default === true ? true : undefined,
        }),
      );
      const view = trunkView(t);
      if (t.srtp && t.srtp !== 'off' && t.transport !== 'tls') {
        // RFC 4568 §8.3: SDES keys ride in the SDP, readable by anyone on a clear-text SIP path.
        process.stderr.write(
          `warning: trunk ${t.name} sends its SRTP keys (SDES) in clear-text SIP over ${t.transport}: use a sips: URI or --transport tls to keep them secret\n`,
        );
      }
      emit(o, view, () => `trunk ${t.name} → ${view.uri}${t.isDefault ? ' (default)' : ''}`);
    });
  trunk
    .command('list')
    .description('trunks; with --json, the registration state the server last saved')
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const list = withTrunks(o, (a) => a.views());
      const columns = ['name', 'uri', 'cps', 'maxCalls', 'isDefault'];
      // The registration column only when some trunk registers.
      if (list.some((t) => t.registration)) columns.push('registration');
      const rows = list.map((t) => ({ ...t, registration: t.registration?.state ?? '-' }));
      emit(o, list, () => table(rows, columns));
    });
  trunk
    .command('show')
    .requiredOption('--name <name>', 'trunk name')
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const name = o.name as string;
      const view = withTrunks(o, (a) => {
        a.get(name);
        return a.views().find((t) => t.name === name)!;
      });
      emit(o, view, () => JSON.stringify(view, null, 2));
    });
  trunk
    .command('remove')
    .requiredOption('--name <name>', 'trunk name')
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      withTrunks(o, (a) => a.remove(o.name as string));
      emit(o, { name: o.name, result: 'removed' }, () => `trunk ${o.name} removed`);
    });
  trunk
    .command('set-default')
    .requiredOption('--name <name>', 'trunk name')
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const t = withTrunks(o, (a) => a.setDefault(o.name as string));
      emit(o, trunkView(t), () => `trunk ${t.name} is the default`);
    });
}
