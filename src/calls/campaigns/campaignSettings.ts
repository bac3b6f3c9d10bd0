/**
 * What a campaign is: its prompt (VoiceCode or a BatchRobotSmartCall DialogId), its display numbers
 * (a pool), its own policy layer (window, retries, caps) and the numbers with their variables. Rows
 * that cannot be called are kept as `skipped` with the reason, so the preview, `campaign show` and the
 * export all say why.
 */
import { isChineseMainlandNumber } from '../../contract/smartCallRequest.js';
import { parseVoiceCode, type VoiceCodeItem } from '../../contract/voiceCode.js';
import type { CallingPolicy, CallingPolicyInput } from '../policy/callingPolicy.js';
import { parsePolicy } from '../policy/callingPolicy.js';

export interface CampaignSettings {
  voiceCode: string;
  dialogId?: string;
  /** Display numbers: one, or a pool the policy's strategy picks from. */
  showNumbers: string[];
  /** The campaign's layer: window, holidays, caps, retry, caller-ID strategy. */
  policy: CallingPolicyInput;
  /** VoiceCodeParam values every row gets unless it has its own. */
  defaults?: Record<string, string>;
  earlyMediaAsr?: boolean;
  recordFlag?: boolean;
  corpName?: string;
}

/** The campaign's policy layer with its display numbers as the pool. */
export function campaignPolicy(settings: CampaignSettings): CallingPolicy {
  return parsePolicy({
    ...settings.policy,
    callerIds: {
      numbers: settings.showNumbers,
      strategy: settings.policy.callerIds?.strategy ?? 'round-robin',
      regions: settings.policy.callerIds?.regions ?? {},
    },
  });
}

export interface CampaignInputRow {
  /** 1-based line in the file (or position in the list). */
  line: number;
  number: string;
  outId: string | null;
  params: Record<string, string>;
}

export interface RowCheck {
  row: CampaignInputRow;
  /** Why the row will not be called; undefined: it will. */
  skip?: string;
}

export class CsvError extends Error {}

/** RFC 4180 CSV (quotes, doubled quotes, CRLF); returns the rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new CsvError('a quoted field is never closed');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
}

const NUMBER_COLUMNS = ['number', 'phone', 'mobile', 'callednumber', 'called_number', 'callee'];
const OUT_ID_COLUMNS = ['outid', 'out_id'];

/**
 * A campaign file: a header line naming a number column (`number`, `phone`, `CalledNumber`…), an
 * optional `OutId` column, and any other columns as VoiceCodeParam variables of that row.
 */
export function readCampaignCsv(text: string): CampaignInputRow[] {
  const rows = parseCsv(text);
  if (rows.length === 0)
    throw new CsvError('the file is empty (expected a header line, e.g. number,OutId,name)');
  const header = rows[0]!.map((h) => h.trim());
  const lower = header.map((h) => h.toLowerCase());
  const numberCol = lower.findIndex((h) => NUMBER_COLUMNS.includes(h));
  if (numberCol < 0) {
    throw new CsvError(
      `line 1: no number column (name one of: ${NUMBER_COLUMNS.join(', ')}); found ${header.join(', ')}`,
    );
  }
  const outIdCol = lower.findIndex((h) => OUT_ID_COLUMNS.includes(h));
  return rows.slice(1).map((fields, i) => {
    const params: Record<string, string> = {};
    header.forEach((name, col) => {
      if (
        col !== numberCol &&
        col !== outIdCol &&
        name !== '' &&
        fields[col] !== undefined &&
        fields[col] !== ''
      ) {
        params[name] = fields[col]!;
      }
    });
    const outId = outIdCol >= 0 ? (fields[outIdCol]?.trim() ?? '') : '';
    return {
      line: i + 2,
      number: (fields[numberCol] ?? '').trim(),
      outId: outId === '' ? null : outId,
      params,
    };
  });
}

/**
 * Which rows will be skipped and why: not a mainland number, a duplicate, on a do-not-call list, an
 * OutId too long, a `$var$` of the VoiceCode without a value.
 */
export function checkRows(
  rows: readonly CampaignInputRow[],
  options: {
    voiceCode: string;
    defaults?: Record<string, string>;
    outIdMaxBytes: number;
    blocked: (number: string) => string | undefined;
  },
): RowCheck[] {
  // A dialog script (DialogId) has no VoiceCode: its variables are checked when the call runs it.
  const items: VoiceCodeItem[] = options.voiceCode === '' ? [] : parseVoiceCode(options.voiceCode);
  const vars = items.flatMap((i) => (i.kind === 'tts' ? [i.name] : []));
  const seen = new Map<string, number>();
  return rows.map((row) => {
    let skip: string | undefined;
    if (!isChineseMainlandNumber(row.number)) skip = `"${row.number}" is not a mainland China number`;
    else if (seen.has(row.number)) skip = `duplicate of line ${seen.get(row.number)}`;
    else {
      const blocked = options.blocked(row.number);
      if (blocked) skip = `on the ${blocked} do-not-call list`;
    }
    if (!skip && row.outId !== null && Buffer.byteLength(row.outId, 'utf8') > options.outIdMaxBytes) {
      skip = `OutId longer than ${options.outIdMaxBytes} bytes`;
    }
    if (!skip) {
      const missing = vars.find((v) => row.params[v] === undefined && options.defaults?.[v] === undefined);
      if (missing) skip = `no value for $${missing}$`;
    }
    if (!seen.has(row.number)) seen.set(row.number, row.line);
    return skip ? { row, skip } : { row };
  });
}
