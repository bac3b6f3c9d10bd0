/** `smartcall serve`: runs the platform until SIGINT/SIGTERM. */
import { type Command, InvalidArgumentError } from 'commander';
import { systemClock } from '../clock/clock.js';
import { checkRole, mediaWorkersFrom } from '../config.js';
import { createLogger } from '../observability/logger.js';
import { loadPersonaFile } from '../phonenet/personaFile.js';
import { configFrom, type GlobalOptions } from './context.js';

/** The longest a stop may take once calls are hung up (a drain's own time comes before it). */
const CLOSE_LIMIT_MS = 60_000;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start smartcall (API gateway; embedded mode adds a demo account)')
    .option('--http-port <port>', 'API port (env SMARTCALL_HTTP_PORT, default 8080)', port)
    .option('--http-host <host>', 'API bind address (env SMARTCALL_HTTP_HOST, default 127.0.0.1)')
    .option('--sip-port <port>', 'SIP port, UDP and TCP (env SMARTCALL_SIP_PORT, default 5060)', port)
    .option(
      '--sip-tls-port <port>',
      'SIP over TLS listener port (env SMARTCALL_SIP_TLS_PORT; needs sip.tls.certFile and keyFile)',
      port,
    )
    .option(
      '--media-workers <n>',
      "threads carrying calls' media: a number, 0 for the main thread, auto for one per core (env SMARTCALL_MEDIA_WORKERS, default 0)",
      (v: string) => {
        try {
          return mediaWorkersFrom('--media-workers', v);
        } catch (err) {
          throw new InvalidArgumentError((err as Error).message);
        }
      },
    )
    .option(
      '--drain-seconds <seconds>',
      'on SIGTERM/SIGINT, how long the calls in progress may go on while no new call starts; 0 hangs up at once (env SMARTCALL_DRAIN_SECONDS, default 30)',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 86_400)
          throw new InvalidArgumentError('must be a whole number of seconds from 0 to 86400');
        return n;
      },
    )
    .option(
      '--role <role>',
      'all: everything in one process (default); api: only the HTTP API; media: SIP, RTP, speech and dialogue for calls claimed from the shared queue; scheduler: places queued calls on the least-loaded media node (one active, others standing by); receipts: only the receipt pusher; api, scheduler, media and receipts on --store postgres://… (env SMARTCALL_ROLE)',
    )
    .option(
      '--store <url>',
      "sqlite: the data directory's database (default); postgres://user:pass@host/db: a shared PostgreSQL (env SMARTCALL_STORE_URL)",
    )
    .option('--phonenet <file...>', 'persona files (YAML/JSON) for the embedded virtual phone network')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .option(
      '--log-format <format>',
      'pretty|json|auto: auto is pretty on a terminal, JSON otherwise (env SMARTCALL_LOG_FORMAT)',
    )
    .option(
      '--metrics-token <token>',
      'bearer token for GET /metrics, needed when the API listens beyond loopback (env SMARTCALL_METRICS_TOKEN)',
    )
    .option(
      '--redis <url>',
      'Redis shared by API nodes for signature nonces and QPS, redis://host:port[/db] (env SMARTCALL_REDIS_URL)',
    )
    .option(
      '--recordings-s3 <url>',
      'keep recordings in S3-compatible storage: http(s)://host[:port]/bucket[/prefix/][?region=…], path-style; credentials from SMARTCALL_S3_ACCESS_KEY_ID / SMARTCALL_S3_SECRET_ACCESS_KEY (docs/recordings.md)',
    )
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as GlobalOptions & {
        httpPort?: number;
        httpHost?: string;
        sipPort?: number;
        sipTlsPort?: number;
        mediaWorkers?: number | 'auto';
        drainSeconds?: number;
        phonenet?: string[];
        logLevel?: string;
        logFormat?: string;
        metricsToken?: string;
        role?: string;
        store?: string;
        redis?: string;
        recordingsS3?: string;
      };
      const config = configFrom(o, {
        httpPort: o.httpPort,
        httpHost: o.httpHost,
        sipPort: o.sipPort,
        sipTlsPort: o.sipTlsPort,
        mediaWorkers: o.mediaWorkers,
        drainSeconds: o.drainSeconds,
        personasFiles: o.phonenet,
        logLevel: o.logLevel,
        logFormat: o.logFormat,
        metricsToken: o.metricsToken,
        role: o.role,
        storeUrl: o.store,
        redisUrl: o.redis,
        recordingsS3: o.recordingsS3,
      });
      // Roles and stores not built yet are refused before anything starts.
      checkRole(config);
      const phonenetRuns = config.mode === 'embedded' && config.phonenet.enabled;
      if (o.phonenet && (!phonenetRuns || config.role !== 'all'))
        throw new Error(
          '--phonenet needs the embedded virtual phone network (mode embedded, phonenet.enabled)',
        );
      // A bad persona file is refused (file:line:column: problem) before anything binds a port.
      if (phonenetRuns && config.role === 'all')
        for (const file of config.phonenet.personasFiles) loadPersonaFile(file);
      const log = createLogger({ level: config.log.level, format: config.log.format });
      // Signals are taken from the start: one that comes while smartcall is still starting (a
      // supervisor that gives up early) stops it cleanly once it is up, never kills it half-made.
      let early: string | undefined;
      let stop = (signal: string) => {
        early ??= signal;
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      // Each role's code is loaded only by the command that runs it: every other `smartcall`
      // command starts without reading the whole platform (about 0.3 s each).
      const running =
        config.role === 'api'
          ? await (await import('../apiNode.js')).startApiNode(config, log)
          : config.role === 'receipts'
            ? await (await import('../receiptsNode.js')).startReceiptsNode(config, log)
            : config.role === 'media'
              ? await (await import('../mediaNode.js')).startMediaNode(config, log)
              : config.role === 'scheduler'
                ? await (await import('../schedulerNode.js')).startSchedulerNode(config, log)
                : await (await import('../main.js')).startSmartcall(config, log);
      const base = `http://${config.http.host}:${running.httpPort}`;
      if (running.consoleLogin) {
        const c = running.consoleLogin;
        // Printed once, on the first start; only the password's scrypt hash is stored.
        process.stdout.write(
          [
            '',
            '  smartcall console (shown once; keep it):',
            `    console:           ${base}/console`,
            `    user:              ${c.name}`,
            `    password:          ${c.password}`,
          ].join('\n') + '\n',
        );
      }
      if (running.demo) {
        const d = running.demo;
        // Printed once, on the first start; the secret is stored only in sealed form.
        process.stdout.write(
          [
            '',
            '  smartcall demo account (shown once; keep it):',
            `    endpoint:          ${base}/`,
            `    AccessKeyId:       ${d.accessKeyId}`,
            `    AccessKeySecret:   ${d.accessKeySecret}`,
            `    display number:    ${d.displayNumber}  (CalledShowNumber)`,
            '',
          ].join('\n') + '\n',
        );
      }
      // The first signal drains (no new calls; those in progress may end, for drainSeconds), the
      // second stops at once: a supervisor's SIGTERM lets calls finish, an impatient Ctrl-C twice
      // does not wait.
      let draining = false;
      let closing = false;
      const closeNow = (signal: string) => {
        if (closing) {
          // Already stopping and asked again: whatever is still in progress is left behind.
          log.warn({ signal }, 'stopping at once: what was still being closed is abandoned');
          process.exit(1);
        }
        closing = true;
        log.info({ signal }, 'stopping');
        // A close that cannot finish (a store that does not answer) must not keep the process up.
        systemClock.setTimer(() => {
          log.error({ afterSeconds: CLOSE_LIMIT_MS / 1000 }, 'stopping took too long: exiting anyway');
          process.exit(1);
        }, CLOSE_LIMIT_MS);
        running.close().then(
          () => process.exit(0),
          (err) => {
            log.error({ err }, 'error while stopping');
            process.exit(1);
          },
        );
      };
      stop = (signal: string) => {
        const drainMs = config.calls.drainSeconds * 1000;
        if (draining || drainMs === 0) {
          closeNow(signal);
          return;
        }
        draining = true;
        log.info({ signal }, 'stopping after the calls in progress (send the signal again to stop now)');
        running.drain(drainMs).then(
          () => closeNow(signal),
          (err) => {
            log.error({ err }, 'error while draining');
            closeNow(signal);
          },
        );
      };
      if (early) stop(early);
    });
}
