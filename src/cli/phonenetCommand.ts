/**
 * `smartcall phonenet`: the virtual phone network as its own process (so it can serve a smartcall
 * running elsewhere, or any SIP client), and the commands that read it:
 *
 *   smartcall phonenet [--sip-port N] [--personas FILE]... [--rtp-ports A-B] [--address IP]
 *                      [--accept-non-loopback] [--voice espeak|synthetic] [--keep-calls N]
 *   smartcall phonenet personas [--personas FILE]... [--json]
 *   smartcall phonenet calls [--limit N] [--json]
 *   smartcall phonenet timeline <call-id> [--json]
 *   smartcall phonenet dial --from <persona number> --to <number> [--server sip:IP:PORT] [--json]
 *
 * Settings come from the flags, then the config file's `phonenet` section, then the defaults.
 */
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { createLogger } from '../observability/logger.js';
import { builtinPersonas } from '../phonenet/builtinPersonas.js';
import { findArchivedCall, listArchive, readTimelineFile } from '../phonenet/callArchive.js';
import type { TimelineEvent } from '../phonenet/callTimeline.js';
import { type Carrier, DialError } from '../phonenet/carrier.js';
import { PersonaDirectory } from '../phonenet/personaDirectory.js';
import { loadPersonaFile } from '../phonenet/personaFile.js';
import { outcomeText, summarizePersona } from '../phonenet/personaSummary.js';
import { type PhonenetConfig, parsePortRange } from '../phonenet/phonenetConfig.js';
import { PhonenetService } from '../phonenet/phonenetService.js';
import { configFrom, type GlobalOptions } from './context.js';
import { emit, table } from './output.js';

type Opts = GlobalOptions & {
  sipPort?: number;
  address?: string;
  personas?: string[];
  rtpPorts?: { min: number; max: number };
  acceptNonLoopback?: boolean;
  voice?: 'espeak' | 'synthetic';
  keepCalls?: number;
  runDir?: string;
  logLevel?: string;
  limit?: number;
  from?: string;
  to?: string;
  server?: string;
  ringTimeout?: number;
};

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function portRange(value: string): { min: number; max: number } {
  const range = parsePortRange(value);
  if (!range) throw new InvalidArgumentError('must be a port range like 40000-40999');
  return range;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function voiceChoice(value: string): 'espeak' | 'synthetic' {
  if (value !== 'espeak' && value !== 'synthetic') throw new InvalidArgumentError('espeak or synthetic');
  return value;
}

/** The config's `phonenet` section with the flags on top. */
function settings(o: Opts): {
  config: PhonenetConfig;
  dataDir: string;
  logLevel: string;
  smartcallSip: string;
} {
  const base = configFrom(o, { logLevel: o.logLevel });
  const section = base.phonenet;
  const config: PhonenetConfig = {
    ...section,
    ...(o.sipPort !== undefined && { sipPort: o.sipPort }),
    ...(o.address && { address: o.address }),
    ...(o.rtpPorts && { rtpPortMin: o.rtpPorts.min, rtpPortMax: o.rtpPorts.max }),
    ...(o.acceptNonLoopback && { acceptNonLoopback: true }),
    ...(o.keepCalls !== undefined && { keepCalls: o.keepCalls }),
    ...(o.runDir && { runDir: o.runDir }),
    personasFiles: [...section.personasFiles, ...(o.personas ?? [])],
  };
  const host = base.sip.address.includes(':') ? `[${base.sip.address}]` : base.sip.address;
  return {
    config,
    dataDir: base.dataDir,
    logLevel: base.log.level,
    smartcallSip: `sip:${host}:${base.sip.udpPort}`,
  };
}

function runDirOf(o: Opts): string {
  const { config, dataDir } = settings(o);
  return config.runDir ?? join(dataDir, 'phonenet');
}

function personaRows(files: string[]) {
  const fromFiles = files.flatMap((f) => loadPersonaFile(f));
  return PersonaDirectory.layered(fromFiles, builtinPersonas()).personas.map((p) => {
    const s = summarizePersona(p);
    return {
      number: s.numbers.join(' '),
      numbers: s.numbers,
      name: s.name,
      description: s.description ?? null,
      expected: s.expected,
      outcome: outcomeText(s.expected),
      earlyMedia: s.earlyMedia,
      setupMs: s.setupMs,
      voice: s.voice,
      behaviour: s.behaviour,
      builtin: !fromFiles.includes(p),
    };
  });
}

function callRow(events: readonly TimelineEvent[], fallbackId: string) {
  const invite = events.find((e) => e.type === 'invite');
  const ended = events.findLast((e) => e.type === 'ended');
  return {
    callId: (invite?.callId as string | undefined) ?? fallbackId,
    persona: (invite?.persona as string | undefined) ?? null,
    number: (invite?.number as string | undefined) ?? null,
    startedAt: invite?.at ?? null,
    outcome: (ended?.outcome as string | undefined) ?? 'in progress',
    status: (ended?.status as number | null | undefined) ?? null,
    durationMs: ended?.t ?? null,
  };
}

function describeEvent(e: TimelineEvent): string {
  const s = (ms: unknown) => `${((ms as number) / 1000).toFixed(2)} s`;
  switch (e.type) {
    case 'said':
      return `said "${e.text}" (${e.voice}, until ${s(e.endMs)}${e.overPrompt ? ', over the prompt' : ''}${e.cutOff ? ', cut off' : ''})`;
    case 'heard':
      return `heard the platform until ${s(e.endMs)}`;
    case 'dtmf-sent':
      return `pressed ${e.digit}`;
    case 'dtmf-received':
      return `received digit ${e.digit}`;
    case 'rejected':
      return `rejected ${e.status}${e.reason ? ` ${e.reason}` : ''}`;
    case 'waited':
      return `waited for ${e.until} (${e.reached ? 'reached' : 'timed out'})`;
    case 'invite':
      return e.direction === 'out'
        ? `persona ${e.persona} (${e.from}) calls ${e.target}`
        : `INVITE to ${e.number} (persona ${e.persona}) from ${e.source}`;
    case 'ended':
      return `ended by ${e.by} (${e.reason}): ${e.outcome}${e.status ? ` ${e.status}` : ''}`;
    case 'error':
      return `error: ${e.message}`;
    default:
      return e.type;
  }
}

export function registerPhonenetCommand(program: Command): void {
  const phonenet = program
    .command('phonenet')
    .description('run the virtual phone network: a loopback SIP carrier whose numbers are scripted personas')
    .option('--sip-port <port>', 'SIP port, UDP and TCP (default 5070)', port)
    .option('--address <ip>', 'IP address to bind (default 127.0.0.1)')
    .option('--personas <file>', 'persona file, YAML or JSON (repeatable; before the built-in ones)', collect)
    .option('--rtp-ports <range>', 'RTP port range (default 40000-40999)', portRange)
    .option('--accept-non-loopback', 'accept calls from other machines (default: 403 for them)')
    .option('--voice <voice>', 'espeak (default) or synthetic', voiceChoice)
    .option('--keep-calls <n>', 'timelines and recordings kept (default 200)', positiveInt)
    .option('--run-dir <dir>', 'where timelines and recordings go (default <data-dir>/phonenet)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const { config, dataDir, logLevel } = settings(o);
      const log = createLogger({ level: logLevel });
      const service = await PhonenetService.start({
        config,
        dataDir,
        voice: o.voice ?? 'espeak',
        logger: log,
      });
      const carrier = service.carrier;
      const tcp = carrier.telephony.ua.localEndpoint('tcp')?.port;
      emit(
        o,
        {
          sipPort: carrier.sipPort,
          tcpPort: tcp ?? null,
          address: config.address,
          personas: carrier.directory.personas.length,
          voice: service.voiceName,
          runDir: carrier.runDir,
        },
        () =>
          `phonenet: sip:<number>@${config.address}:${carrier.sipPort} (udp${tcp ? `, tcp ${tcp}` : ''}), ` +
          `${carrier.directory.personas.length} personas, voice ${service.voiceName}, calls in ${carrier.runDir}`,
      );
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'phonenet stopping');
        service.close().then(
          () => process.exit(0),
          (err) => {
            log.error({ err }, 'error while stopping phonenet');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });

  phonenet
    .command('personas')
    .description('list every persona: number, name, expected outcome and behaviour')
    .option('--personas <file>', 'persona file to include (repeatable)', collect)
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const files = o.personas ?? settings(o).config.personasFiles;
      const rows = personaRows(files);
      emit(o, rows, () => table(rows, ['number', 'name', 'outcome', 'behaviour']));
    });

  phonenet
    .command('calls')
    .description('the calls whose timelines are kept, newest last')
    .option('--limit <n>', 'only the last n calls', positiveInt)
    .option('--run-dir <dir>', 'run directory (default <data-dir>/phonenet)')
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const calls = listArchive(runDirOf(o));
      const rows = calls.slice(o.limit ? -o.limit : 0).map((c) => ({
        ...callRow(readTimelineFile(c.timeline), c.callId),
        timeline: c.timeline,
        recording: c.recording ?? null,
      }));
      emit(o, rows, () => table(rows, ['callId', 'persona', 'number', 'outcome', 'status', 'durationMs']));
    });

  phonenet
    .command('dial')
    .description('a persona calls a number (an inbound smart call): it talks and listens as scripted')
    .requiredOption('--from <number>', "the persona's number (e.g. 13800000002, cooperative-en)")
    .requiredOption(
      '--to <number>',
      'the number to call (a number marked inbound: admin number add --inbound)',
    )
    .option(
      '--server <uri>',
      "smartcall's SIP address (default sip:<sip.address>:<sip.udpPort> of the config)",
    )
    .option(
      '--ring-timeout <seconds>',
      'give up when not answered within this long (default 60)',
      positiveInt,
    )
    .option('--personas <file>', 'persona file (repeatable; before the built-in ones)', collect)
    .option('--run-dir <dir>', 'where the timeline and recording go (default <data-dir>/phonenet)')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const { config, dataDir, smartcallSip } = settings(o);
      // Warnings to stderr: stdout carries the call's result (--json: one JSON document).
      const log = createLogger({ level: 'warn', destination: process.stderr });
      const service = await PhonenetService.start({
        config: { ...config, sipPort: 0 },
        dataDir,
        voice: 'espeak',
        logger: log,
        warmUp: false,
      });
      let result: Awaited<ReturnType<Carrier['dial']>>;
      try {
        result = await service.carrier.dial({
          from: o.from as string,
          to: o.to as string,
          server: o.server ?? smartcallSip,
          ...(o.ringTimeout !== undefined && { ringTimeoutMs: o.ringTimeout * 1000 }),
        });
      } catch (err) {
        await service.close();
        if (err instanceof DialError) throw new Error(err.message);
        throw err;
      }
      await service.close();
      const events = [...result.events].sort((a, b) => a.t - b.t);
      emit(
        o,
        {
          callId: result.callId,
          persona: result.persona,
          from: o.from,
          to: o.to,
          outcome: result.outcome,
          status: result.status ?? null,
          durationMs: result.durationMs,
          recording: result.recording ?? null,
          events,
        },
        () =>
          [
            ...events.map((e) => `${(e.t / 1000).toFixed(3).padStart(8)} s  ${describeEvent(e)}`),
            `${result.persona} → ${o.to}: ${result.outcome}${result.status ? ` ${result.status}` : ''}`,
          ].join('\n'),
      );
    });

  phonenet
    .command('timeline <call-id>')
    .description("one call's timeline: signalling, what the persona said and heard, digits")
    .option('--run-dir <dir>', 'run directory (default <data-dir>/phonenet)')
    .action((callId: string, _o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const found = findArchivedCall(runDirOf(o), callId);
      if (!found) throw new Error(`no phonenet call ${callId} in ${runDirOf(o)}`);
      const events = readTimelineFile(found.timeline).sort((a, b) => a.t - b.t);
      emit(o, { ...callRow(events, found.callId), recording: found.recording ?? null, events }, () =>
        events.map((e) => `${(e.t / 1000).toFixed(3).padStart(8)} s  ${describeEvent(e)}`).join('\n'),
      );
    });
}
