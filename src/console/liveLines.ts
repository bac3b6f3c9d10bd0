/**
 * What the live screen's event stream carries: a call's card (`call`), one transcript line per thing
 * that happened (`line`, labelled in the viewer's language), and the end (`ended`). Built from the
 * in-memory transcript entries (CallTranscripts) and the call record; the browser only sets text.
 */
import type { CallRecord } from '../store/records.js';
import type { TranscriptEntry } from './callTranscripts.js';
import type { MessageKey, Translate } from './i18n.js';
import { detailHref } from './views/callsView.js';

export interface LiveCall {
  callId: string;
  account: string;
  number: string;
  showNumber: string;
  outId: string;
  state: string;
  createdAt: number;
  href: string;
}

export interface LiveLine {
  callId: string;
  at: number;
  /** The timeline's kind without its prefix (`heard`, `callback` …): the browser styles by it. */
  kind: string;
  label: string;
  text: string;
}

export interface LiveEnd {
  callId: string;
  state: string;
  status: string;
  hangup: string;
}

export function liveCall(c: CallRecord, account: string): LiveCall {
  return {
    callId: c.callId,
    account,
    number: c.calledNumber,
    showNumber: c.calledShowNumber,
    outId: c.outId ?? '',
    state: c.state,
    createdAt: c.createdAt,
    href: detailHref(c.callId),
  };
}

export function liveEnd(c: CallRecord): LiveEnd {
  return {
    callId: c.callId,
    state: c.state,
    status: [c.statusCode, c.statusMsg].filter(Boolean).join(' '),
    hangup: c.hangupDirection ?? '',
  };
}

const STATE_KINDS: Partial<Record<string, MessageKey>> = {
  queued: 'ev.accepted',
  dialing: 'ev.dialing',
  ringing: 'ev.ringing',
  early_media: 'earlyMedia',
  answered: 'ev.answered',
};

/** The line for a transcript entry, or undefined for entries the screen shows otherwise (the end). */
export function liveLine(e: TranscriptEntry, t: Translate): LiveLine | undefined {
  const line = (at: number, kind: MessageKey, text: string): LiveLine => ({
    callId: e.data.callId,
    at,
    kind: kind.replace(/^ev\./, ''),
    label: t(kind),
    text,
  });
  switch (e.type) {
    case 'state': {
      const kind = STATE_KINDS[e.data.state];
      return kind ? line(e.data.at, kind, '') : undefined;
    }
    case 'said':
      return line(e.data.at, 'ev.said', e.data.texts.join(' ') || e.data.code);
    case 'heard':
      return e.data.words === undefined
        ? line(e.data.endAt, 'ev.unrecognised', `${Math.round(e.data.endAt - e.data.beginAt)} ms`)
        : line(e.data.endAt, 'ev.heard', e.data.words);
    case 'dtmf':
      return line(e.data.at, 'ev.dtmf', e.data.digit);
    case 'callback':
      return line(
        e.data.at,
        'ev.callback',
        `${e.data.contentType} → ${e.data.outcome} · ${Math.round(e.data.latencyMs)} ms → ${e.data.action}`,
      );
    case 'interrupted':
      return line(e.data.at, 'ev.interrupted', '');
    case 'ended':
      return undefined;
  }
}
