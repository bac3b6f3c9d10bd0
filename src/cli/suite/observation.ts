/**
 * What the platform recorded about one case's call, in the shape expectations are checked against:
 * the call's events (state changes, prompts played with their texts, what the callee said, keys,
 * callbacks and the actions taken, playback stopped, the final record), with times as ms offsets
 * from the moment the SmartCall request was sent, plus the receipts the runner received.
 */
import type { CallEventMap } from '../../calls/callEvents.js';
import type { CallbackExchangeRecord, CallRecord } from '../../store/records.js';

/** One call event as the platform emits it (in process) or streams it (the console's events). */
export type RawCallEvent = {
  [K in keyof CallEventMap]: { type: K; data: CallEventMap[K][0] };
}[keyof CallEventMap];

export interface ObservedCallback {
  t: number;
  contentType: string;
  content: Record<string, unknown>;
  outcome: string;
  /** The action carried out next ('' when none). */
  action: string;
  source: string;
  latencyMs: number;
  /** The bot's reply `data` (absent when the reply is not known: it failed, or with --endpoint). */
  reply: Record<string, unknown> | undefined;
  detail: string | undefined;
}

export interface TimelineLine {
  t: number;
  text: string;
}

export interface Observation {
  callId: string;
  said: { t: number; texts: string[] }[];
  heard: { t: number; words: string | undefined; endT: number }[];
  playStarted: number[];
  interrupted: number[];
  callbacks: ObservedCallback[];
  record: CallRecord | undefined;
  /** Offsets of the answer and the end, when they happened. */
  answerT: number | undefined;
  endT: number | undefined;
  /** Receipt types received for the call (undefined: not watched). */
  receipts: string[] | undefined;
  timeline: TimelineLine[];
}

function asObject(v: unknown): Record<string, unknown> {
  if (typeof v === 'string') {
    try {
      return asObject(JSON.parse(v));
    } catch {
      return {};
    }
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The `data` of a reply body (the envelope `{result, msg, data}` or the bare action object). */
function replyData(body: string | null): Record<string, unknown> | undefined {
  if (!body) return undefined;
  const envelope = asObject(body);
  const data = 'data' in envelope ? asObject(envelope.data) : envelope;
  return Object.keys(data).length > 0 ? data : undefined;
}

function quoteTexts(texts: readonly string[]): string {
  return texts.map((t) => `"${t}"`).join(' ');
}

export function describeCallback(c: ObservedCallback): string {
  const content = c.content;
  const parts = [`callback ${c.contentType}`];
  if (typeof content.words === 'string') parts.push(`words "${content.words}"`);
  if (typeof content.dynamic_id === 'string' && content.dynamic_id)
    parts.push(`dynamic_id ${content.dynamic_id}`);
  if (typeof content.dtmf === 'string') parts.push(`dtmf ${content.dtmf}`);
  const what = c.outcome === 'ok' ? '' : ` ${c.outcome}${c.detail ? ` (${c.detail})` : ''}`;
  const media = c.reply ? replyMedia(c.reply) : '';
  return `${parts.join(', ')} →${what} ${c.action || 'nothing'}${c.source === 'reply' ? '' : ` (${c.source})`}${media ? ` ${media}` : ''} [${c.latencyMs} ms]`;
}

/** The media of a reply as text: action_code and the texts of its parameters. */
export function replyMedia(reply: Record<string, unknown>): string {
  const code = typeof reply.action_code === 'string' ? reply.action_code : '';
  const params = asObject(reply.action_code_param);
  const texts = Object.values(params).filter((v): v is string => typeof v === 'string');
  return [code, ...texts.map((t) => `"${t}"`)].filter(Boolean).join(' ');
}

export interface ObserveInput {
  callId: string;
  /** When the SmartCall request was sent (epoch ms, the platform's clock). */
  startedAt: number;
  events: readonly RawCallEvent[];
  /** The platform's log of the call's callback exchanges, when reachable (embedded mode). */
  exchanges: readonly CallbackExchangeRecord[] | undefined;
  receipts: string[] | undefined;
}

export function observe(input: ObserveInput): Observation {
  const at = (ms: number) => Math.round(ms - input.startedAt);
  const o: Observation = {
    callId: input.callId,
    said: [],
    heard: [],
    playStarted: [],
    interrupted: [],
    callbacks: [],
    record: undefined,
    answerT: undefined,
    endT: undefined,
    receipts: input.receipts,
    timeline: [],
  };
  const line = (t: number, text: string) => o.timeline.push({ t, text });
  let exchange = 0;
  for (const e of input.events) {
    switch (e.type) {
      case 'state':
        if (e.data.state === 'answered') o.answerT = at(e.data.at);
        line(at(e.data.at), e.data.state === 'early_media' ? 'early media (183)' : e.data.state);
        break;
      case 'said':
        o.said.push({ t: at(e.data.at), texts: e.data.texts });
        line(at(e.data.at), `bot: ${quoteTexts(e.data.texts) || e.data.code}`);
        break;
      case 'heard':
        if (e.data.earlyMedia) {
          line(at(e.data.at), `early media: "${e.data.words ?? '(not recognised)'}"`);
          break;
        }
        o.heard.push({ t: at(e.data.beginAt), words: e.data.words, endT: at(e.data.endAt) });
        line(
          at(e.data.beginAt),
          `callee: ${e.data.words === undefined ? '(not recognised)' : `"${e.data.words}"`}`,
        );
        break;
      case 'dtmf':
        line(at(e.data.at), `callee pressed ${e.data.digit}`);
        break;
      case 'callback': {
        // The store's log of the same exchange, in the same order, carries the reply.
        const ex = input.exchanges?.filter((x) => x.contentType !== 'callin')[exchange];
        exchange++;
        const c: ObservedCallback = {
          t: at(e.data.at),
          contentType: e.data.contentType,
          content: asObject(e.data.content),
          outcome: e.data.outcome,
          action: e.data.action,
          source: e.data.source,
          latencyMs: e.data.latencyMs,
          reply: e.data.outcome === 'ok' ? replyData(ex?.reply ?? null) : undefined,
          detail: ex?.detail ?? undefined,
        };
        o.callbacks.push(c);
        line(c.t, describeCallback(c));
        break;
      }
      case 'interrupted':
        o.interrupted.push(at(e.data.at));
        line(at(e.data.at), '(playback stopped)');
        break;
      case 'playStarted':
        o.playStarted.push(at(e.data.at));
        break;
      case 'ended': {
        const r = e.data.record;
        o.record = r;
        if (r.answerAt !== null) o.answerT = at(r.answerAt);
        o.endT = at(r.endAt ?? r.createdAt);
        line(
          o.endT,
          `ended: ${r.statusCode} ${r.statusMsg ?? ''}${r.hangupDirection ? `, hung up by ${hangupSide(r.hangupDirection)}` : ''}`,
        );
        break;
      }
      default:
        break;
    }
  }
  o.timeline.sort((a, b) => a.t - b.t);
  return o;
}

/** The record's hang-up direction (用户 / 机器) in the suite's words. */
export function hangupSide(direction: string | null): 'callee' | 'platform' | undefined {
  if (direction === '用户') return 'callee';
  if (direction === '机器') return 'platform';
  return undefined;
}

export function formatOffset(t: number): string {
  return `${(t / 1000).toFixed(2).padStart(7)}s`;
}
