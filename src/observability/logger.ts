/**
 * Structured logging (pino). One line per event that matters; secrets are redacted by key name so
 * that a careless `log.info({ key })` cannot leak them, and phone numbers are masked at info level.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

const REDACTED_KEYS = [
  'secret',
  'accessKeySecret',
  'password',
  'masterKey',
  'authorization',
  'Signature',
  '*.secret',
  '*.accessKeySecret',
  '*.password',
  '*.masterKey',
  '*.authorization',
  '*.Signature',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      redact: { paths: REDACTED_KEYS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? process.stdout,
  );
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
