/**
 * Structured logging (pino). One line per event that matters; secrets are redacted by key name so
 * that a careless `log.info({ key })` cannot leak them, and phone numbers are masked at info level.
 *
 * Two faces of the same lines: JSON (one object a line, for log collectors) or pretty (pino-pretty:
 * time, level, `[CallId]`, message, then the other fields, for a person at a terminal). `auto` picks
 * pretty when the destination is a terminal.
 */
import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

const REDACTED_KEYS = [
  'secret',
  'accessKeySecret',
  'password',
  'masterKey',
  'authorization',
  'Signature',
  'token',
  '*.secret',
  '*.accessKeySecret',
  '*.password',
  '*.masterKey',
  '*.authorization',
  '*.Signature',
  '*.token',
];

export type LogFormat = 'auto' | 'pretty' | 'json';

export interface LoggerOptions {
  level?: string;
  /** `auto` (default): pretty when the destination is a terminal, JSON otherwise. */
  format?: LogFormat;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stdout;
  const tty = (destination as { isTTY?: boolean }).isTTY === true;
  const pretty = options.format === 'pretty' || (options.format !== 'json' && tty);
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      redact: { paths: REDACTED_KEYS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pretty ? prettyStream(destination, tty) : destination,
  );
}

/**
 * pino-pretty's formatter on each line, written straight to the destination (in order with the
 * rest of stdout; no worker thread). Loaded only when wanted. Colours only on a terminal.
 */
function prettyStream(destination: NodeJS.WritableStream, colorize: boolean): DestinationStream {
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const format = prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    // The call a line belongs to leads the message, so a person can follow one call by eye.
    messageFormat: '{if callId}[{callId}] {end}{if component}({component}) {end}{msg}',
    ignore: 'callId,component',
    singleLine: true,
  });
  return { write: (line: string) => destination.write(format(line)) };
}

/** A logger that drops everything (tests and library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** `15900001111` → `159****1111`: enough to recognise a call, not enough to dial the person. */
export function maskNumber(number: string): string {
  if (number.length <= 7) return '*'.repeat(number.length);
  return number.slice(0, 3) + '****' + number.slice(-4);
}
