/**
 * A filtered call list as CSV, streamed: keyset pages of 1000 read one at a time as the client
 * takes them, so a million rows never sit in memory and the database is never held by one
 * long-running statement (other requests interleave between pages).
 */
import { Readable } from 'node:stream';
import { formatChinaTime } from '../contract/chinaTime.js';
import type { CallFilter, CallRecord } from '../store/records.js';
import type { CallRepository } from '../store/repositories.js';

const BATCH = 1000;

const COLUMNS: [string, (c: CallRecord, account: string) => string | number | null][] = [
  ['CallId', (c) => c.callId],
  ['Account', (_c, a) => a],
  ['CalledNumber', (c) => c.calledNumber],
  ['CalledShowNumber', (c) => c.calledShowNumber],
  ['OutId', (c) => c.outId],
  ['State', (c) => c.state],
  ['StatusCode', (c) => c.statusCode],
  ['StatusMsg', (c) => c.statusMsg],
  ['HangupDirection', (c) => c.hangupDirection],
  ['CreatedAt', (c) => formatChinaTime(c.createdAt)],
  ['AnswerAt', (c) => (c.answerAt === null ? null : formatChinaTime(c.answerAt))],
  ['EndAt', (c) => (c.endAt === null ? null : formatChinaTime(c.endAt))],
  ['Trunk', (c) => c.trunk],
  ['SipStatus', (c) => c.sipStatus],
];

/** One CSV cell: quoted when needed; a leading = + - @ is defused so spreadsheets show, not run, it. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s) && typeof value === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function callsCsv(
  calls: CallRepository,
  filter: CallFilter,
  accountName: (id: number) => string,
): Readable {
  async function* rows(): AsyncGenerator<string> {
    // A BOM: spreadsheet programs then read the Chinese status texts as UTF-8.
    yield `\uFEFF${COLUMNS.map(([name]) => name).join(',')}\r\n`;
    let after: { createdAt: number; callId: string } | undefined;
    for (;;) {
      const page = calls.page(filter, after, BATCH);
      if (page.length === 0) return;
      let chunk = '';
      for (const c of page) {
        const account = accountName(c.accountId);
        chunk += COLUMNS.map(([, get]) => csvCell(get(c, account))).join(',') + '\r\n';
      }
      yield chunk;
      if (page.length < BATCH) return;
      const last = page.at(-1)!;
      after = { createdAt: last.createdAt, callId: last.callId };
    }
  }
  return Readable.from(rows());
}
