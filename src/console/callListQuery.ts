/**
 * The calls screen's query string ⇄ a store filter and cursor. Times are entered as China time
 * (`2025-06-01T09:30` from a datetime-local input, or with a space and seconds) like every time the
 * API shows. A cursor is `<created_at>.<CallId>`: the last call of the page before.
 */
import { CALL_STATES, type CallCursor, type CallFilter, type CallState } from '../store/records.js';

export const PAGE_SIZE = 50;

/** The filter fields as the form names them. */
export const FILTER_PARAMS = [
  'account',
  'number',
  'outId',
  'callId',
  'state',
  'status',
  'from',
  'to',
] as const;
export type FilterParam = (typeof FILTER_PARAMS)[number];
export type FilterForm = Partial<Record<FilterParam, string>>;

export interface CallListQuery {
  form: FilterForm;
  /** Account name as typed; the caller resolves it (and checks the user may see it). */
  account: string | undefined;
  filter: Omit<CallFilter, 'accountId'>;
  after: CallCursor | undefined;
}

const CHINA_OFFSET_MS = 8 * 3600_000;
const TIME = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d))?$/;

/** A China-time wall clock string → epoch ms; undefined when it is not one. */
export function parseChinaTime(text: string): number | undefined {
  const m = TIME.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as number[];
  const utc = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const back = new Date(utc);
  if (back.getUTCMonth() !== mo! - 1 || back.getUTCDate() !== d! || h! > 23 || mi! > 59 || s! > 59)
    return undefined;
  return utc - CHINA_OFFSET_MS;
}

export function encodeCursor(c: CallCursor): string {
  return `${c.createdAt}.${c.callId}`;
}

function decodeCursor(text: string): CallCursor | undefined {
  const dot = text.indexOf('.');
  const createdAt = Number(text.slice(0, dot));
  const callId = text.slice(dot + 1);
  if (dot < 1 || !Number.isSafeInteger(createdAt) || callId.length === 0 || callId.length > 64)
    return undefined;
  return { createdAt, callId };
}

/** Parses the query string; a string error names the bad field. */
export function parseCallListQuery(query: Record<string, unknown>): CallListQuery | string {
  const form: FilterForm = {};
  for (const p of FILTER_PARAMS) {
    const v = query[p];
    if (typeof v === 'string' && v.trim() !== '') {
      if (v.length > 128) return `${p}: too long`;
      form[p] = v.trim();
    }
  }
  const filter: CallListQuery['filter'] = {};
  if (form.number !== undefined) filter.calledNumber = form.number;
  if (form.outId !== undefined) filter.outId = form.outId;
  if (form.callId !== undefined) filter.callId = form.callId;
  if (form.state !== undefined) {
    if (!(CALL_STATES as readonly string[]).includes(form.state))
      return `state: one of ${CALL_STATES.join(', ')}`;
    filter.state = form.state as CallState;
  }
  if (form.status !== undefined) {
    if (!/^\d{3,6}$/.test(form.status)) return 'status: a result code such as 200000';
    filter.statusCode = form.status;
  }
  for (const edge of ['from', 'to'] as const) {
    const text = form[edge];
    if (text === undefined) continue;
    const at = parseChinaTime(text);
    if (at === undefined) return `${edge}: a time such as 2025-06-01 09:30`;
    filter[edge] = at;
  }
  let after: CallCursor | undefined;
  const rawAfter = query.after;
  if (typeof rawAfter === 'string' && rawAfter !== '') {
    after = decodeCursor(rawAfter);
    if (!after) return 'after: not a page cursor';
  }
  return { form, account: form.account, filter, after };
}

/** The query string of this filter (plus extra parameters), for links. */
export function filterQueryString(form: FilterForm, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const p of FILTER_PARAMS) if (form[p] !== undefined) params.set(p, form[p]!);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
}
