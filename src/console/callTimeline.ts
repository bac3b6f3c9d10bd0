/**
 * One call's timeline from what is kept: the call record's instants (accepted, dialling, ringing,
 * answered, recording, ended with its cause), every callback exchange the store logged, the
 * receipts written, and the prompts (and transfers), utterances (speech start and end with the
 * words or the rejection), keys and barge-ins the call event log stored as they happened
 * (calls/callEventLog.ts). Nothing is invented: an instant the store did not keep does not appear.
 */
import type { CallbackExchangeRecord, CallRecord, ReceiptRecord } from '../store/records.js';
import type { TranscriptEntry } from './callTranscripts.js';
import type { MessageKey } from './i18n.js';

/** Where a call's stored events come from (calls/callEventLog.ts's CallEventLog). */
export interface CallTimelineSource {
  listByCall(callId: string): readonly TranscriptEntry[];
}

export interface TimelineEntry {
  at: number;
  kind: MessageKey;
  detail: string;
}

/** The recognised words of a callback's content, when it carries some. */
export function wordsOf(content: string): string | undefined {
  try {
    const parsed = JSON.parse(content) as { words?: unknown };
    return typeof parsed.words === 'string' ? parsed.words : undefined;
  } catch {
    return undefined;
  }
}

export function exchangeSummary(x: CallbackExchangeRecord): string {
  const words = wordsOf(x.content);
  return [
    x.contentType + (words !== undefined ? ` “${words}”` : ''),
    `→ ${x.outcome}${x.httpStatus !== null ? ` (HTTP ${x.httpStatus})` : ''}`,
    `${x.latencyMs} ms`,
    x.action ? `→ ${x.action}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function endDetail(c: CallRecord): string {
  return [
    c.statusCode && `${c.statusCode}${c.statusMsg ? ` ${c.statusMsg}` : ''}`,
    c.hangupDirection && `hang-up: ${c.hangupDirection}`,
    c.sipStatus !== null && `SIP ${c.sipStatus}${c.sipReason ? ` ${c.sipReason}` : ''}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

function fromTranscript(e: TranscriptEntry): TimelineEntry[] {
  switch (e.type) {
    case 'said':
      return [{ at: e.data.at, kind: 'ev.said', detail: e.data.texts.join(' ') || e.data.code }];
    case 'heard': {
      const start: TimelineEntry = { at: e.data.beginAt, kind: 'ev.speech', detail: '' };
      const ms = `${Math.round(e.data.endAt - e.data.beginAt)} ms`;
      return [
        start,
        e.data.words === undefined
          ? { at: e.data.endAt, kind: 'ev.unrecognised', detail: ms }
          : { at: e.data.endAt, kind: 'ev.heard', detail: e.data.words },
      ];
    }
    case 'dtmf':
      return [{ at: e.data.at, kind: 'ev.dtmf', detail: e.data.digit }];
    case 'interrupted':
      return [{ at: e.data.at, kind: 'ev.interrupted', detail: '' }];
    default:
      // States and callbacks come from the call record and the exchange log; the final record too.
      return [];
  }
}

export function callTimeline(
  call: CallRecord,
  exchanges: readonly CallbackExchangeRecord[],
  receipts: readonly ReceiptRecord[],
  transcript: readonly TranscriptEntry[] = [],
): TimelineEntry[] {
  const out: TimelineEntry[] = [{ at: call.createdAt, kind: 'ev.accepted', detail: '' }];
  if (call.originateAt !== null)
    out.push({ at: call.originateAt, kind: 'ev.dialing', detail: call.trunk ? `trunk ${call.trunk}` : '' });
  if (call.ringAt !== null) out.push({ at: call.ringAt, kind: 'ev.ringing', detail: '' });
  if (call.answerAt !== null) out.push({ at: call.answerAt, kind: 'ev.answered', detail: '' });
  if (call.recordBeginAt !== null) out.push({ at: call.recordBeginAt, kind: 'ev.recording', detail: '' });
  for (const x of exchanges) out.push({ at: x.createdAt, kind: 'ev.callback', detail: exchangeSummary(x) });
  for (const e of transcript) out.push(...fromTranscript(e));
  if (call.endAt !== null) out.push({ at: call.endAt, kind: 'ev.ended', detail: endDetail(call) });
  for (const r of receipts)
    out.push({ at: r.createdAt, kind: 'ev.receipt', detail: `${r.type} · ${r.state} · ${r.attempts}×` });
  // Stable: entries at the same instant keep the order above (state before what it caused).
  return out
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at - b.e.at || a.i - b.i)
    .map(({ e }) => e);
}
