/**
 * The business's reply (spec §4.4), parsed at the boundary into a typed action. Businesses write
 * these by hand in many languages, so scalars are accepted as JSON values or as their string forms
 * ("true", "120"); anything else that is wrong (unknown action, a play without media, an object
 * where a number belongs) makes the reply invalid, and the failure policy applies (spec §4.6).
 */
import { hasCallbackForbiddenCharacters } from './callbackCharacters.js';
import { ASR_BASE_IDS } from './smartCallRequest.js';
import { findVoice } from './ttsVoices.js';

export const ACTIONS = [
  'play',
  'break',
  'continue',
  'hangup',
  'transfer',
  'donothing',
  'dtmf',
  'parallel_transfer',
  'parallel_bridge',
] as const;
export type ActionName = (typeof ACTIONS)[number];

/** Fields any action may carry (spec §4.4): they update the call's settings whatever it does. */
export interface ActionSettings {
  /** New MuteTime, ms (out of range already replaced by 10000). */
  muteTime?: number;
  pauseTime?: number;
  dynamicId?: string;
  /** `session_timeout`: the call's new maximum duration, s from the answer (as `SessionTimeout`: ≤ 0 ⇒ 3600, clamped to 3600). */
  sessionTimeout?: number;
  /** `asr_model_id`: recognise the following sentences with this model of the account. */
  asrModelId?: string;
  /** `asr_base_id`: recognise the following sentences with this base model. */
  asrBaseId?: string;
  /** `record_flag`: true starts recording the call from now on (false changes nothing). */
  recordFlag?: boolean;
  tts?: { style?: string; volume?: number; speed?: number };
}

/** The media of `play`, `hangup` and `dtmf`, with its interruption rules (spec §4.4, §4.5). */
export interface ActionMedia {
  /** Media to play: `VoiceCode` grammar. */
  actionCode?: string;
  actionCodeParam?: Record<string, string>;
  /** Interrupt what is playing now (default true). */
  actionBreak: boolean;
  /** The new media may be interrupted later (default true). */
  actionCodeBreak: boolean;
  /** Barge-in after this much continuous speech, ms; 0 = off. */
  actionCodeTimeBreak: number;
}

export interface DtmfSettings {
  /** `dtmf_nonin_overtime`, clamped to 3 … 60 s. */
  noInputTimeoutS: number;
  /** `dtmf_max_numbers`, clamped to 1 … 50. */
  maxDigits: number;
  /** `*`, `#` or '' (none). */
  endCharacter: '' | '*' | '#';
}

export interface ParallelTransferSettings {
  playFile?: string;
  isMonitor: boolean;
  ccName?: string;
}

export interface PlayAction extends ActionSettings, ActionMedia {
  action: 'play';
  actionCode: string;
}
/** With `actionCode`, that media plays (uninterruptibly) before the call ends (spec §10 Q6). */
export interface HangupAction extends ActionSettings, ActionMedia {
  action: 'hangup';
}
/** `actionCode`, when present, is the prompt that asks for the keys. */
export interface DtmfAction extends ActionSettings, ActionMedia {
  action: 'dtmf';
  dtmf: DtmfSettings;
}
export interface TransferAction extends ActionSettings {
  action: 'transfer';
  number: string;
}
export interface ParallelTransferAction extends ActionSettings {
  action: 'parallel_transfer';
  transfer: ParallelTransferSettings;
}
export interface PlainAction extends ActionSettings {
  action: 'break' | 'continue' | 'donothing' | 'parallel_bridge';
}

/** One parsed reply action: narrow on `action` to reach the fields that action needs. */
export type CallbackAction =
  | PlayAction
  | HangupAction
  | DtmfAction
  | TransferAction
  | ParallelTransferAction
  | PlainAction;

/**
 * `answer` (spec §4.7, inbound calls only): take the call and play `actionCode` (the opening, with
 * its interruption rules); the settings (`record_flag`, `session_timeout`, `asr_*`, `tts_*`,
 * `mute_time`, `pause_time`, `dynamic_id`) are the call's from the answer on.
 */
export interface AnswerAction extends ActionSettings, ActionMedia {
  action: 'answer';
}

/** What a `callin` reply may say: answer the call, or refuse it (`hangup`). */
export type CallinAction = AnswerAction | HangupAction;

export interface ParsedCallinReply {
  action: CallinAction;
  warnings: string[];
}

/** Why a reply was refused: `fail-result` is the business saying no; the rest are malformed replies. */
export type ReplyErrorCode =
  | 'not-json'
  | 'not-object'
  | 'fail-result'
  | 'no-data'
  | 'unknown-action'
  | 'missing-field'
  | 'bad-field';

export class ReplyError extends Error {
  override name = 'ReplyError';
  readonly code: ReplyErrorCode;
  constructor(code: ReplyErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

type Json = Record<string, unknown>;

/** Longest call, s (spec §3.1 #17). */
const MAX_SESSION_S = 3600;

function bool(v: unknown, name: string, fallback: boolean): boolean {
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new ReplyError('bad-field', `${name} must be a boolean, got ${JSON.stringify(v)}`);
}

function int(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n))
    throw new ReplyError('bad-field', `${name} must be an integer, got ${JSON.stringify(v)}`);
  return n;
}

function str(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new ReplyError('bad-field', `${name} must be a string, got ${JSON.stringify(v)}`);
}

/** `action_code_param` arrives as a JSON string (spec sample) or, leniently, as an object. */
function params(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  let obj: unknown = v;
  if (typeof v === 'string') {
    try {
      obj = JSON.parse(v);
    } catch {
      throw new ReplyError('bad-field', 'action_code_param is not JSON');
    }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new ReplyError('bad-field', 'action_code_param must be a JSON object');
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj)) {
    if (typeof val !== 'string' && typeof val !== 'number')
      throw new ReplyError('bad-field', `action_code_param.${k} must be text`);
    out[k] = String(val);
  }
  return out;
}

export interface ParsedReply {
  action: CallbackAction;
  /** Notes for the log: fields dropped or defaulted. */
  warnings: string[];
}

/**
 * Parses a reply body. Throws ReplyError when it is not a usable reply; `result: "fail"` is
 * reported with code `fail-result` so the caller can apply its policy.
 */
export function parseCallbackReply(body: string): ParsedReply {
  return parseActionData(replyData(body));
}

/**
 * Parses the reply to a `callin` callback (spec §4.7): `answer` or `hangup`, with the same fields
 * and checks as any reply. Another action refuses the reply (`unknown-action`).
 */
export function parseCallinReply(body: string): ParsedCallinReply {
  const data = replyData(body);
  const name = data.action;
  if (name !== 'answer' && name !== 'hangup')
    throw new ReplyError(
      'unknown-action',
      `a callin reply must be answer or hangup, got ${JSON.stringify(name)}`,
    );
  const warnings: string[] = [];
  const settings = parseSettings(data, warnings);
  const media = parseMedia(data);
  return { action: { ...settings, ...media, action: name }, warnings };
}

/** The envelope (spec §4.4): its `data` when `result` is success (a bare data object is accepted). */
function replyData(body: string): Json {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ReplyError('not-json', 'reply is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ReplyError('not-object', 'reply is not a JSON object');
  const envelope = json as Json;
  if (envelope.result !== undefined && envelope.result !== 'success') {
    throw new ReplyError(
      'fail-result',
      `result is ${JSON.stringify(envelope.result)}${envelope.msg ? `: ${String(envelope.msg)}` : ''}`,
    );
  }
  // A bare data object (no envelope) is accepted too: fallback replies are often written that way.
  const data = (envelope.data ?? (envelope.action !== undefined ? envelope : undefined)) as Json | undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ReplyError('no-data', 'reply has no data object');
  return data;
}

function isActionName(v: unknown): v is ActionName {
  return typeof v === 'string' && (ACTIONS as readonly string[]).includes(v);
}

function isEndCharacter(v: string): v is DtmfSettings['endCharacter'] {
  return v === '' || v === '#' || v === '*';
}

export function parseActionData(data: Json): ParsedReply {
  const warnings: string[] = [];
  const name = data.action;
  if (name === 'answer')
    throw new ReplyError('unknown-action', 'answer is a reply to callin only (inbound calls, spec §4.7)');
  if (!isActionName(name)) throw new ReplyError('unknown-action', `unknown action ${JSON.stringify(name)}`);
  // Every field is checked whatever the action: a malformed reply is refused as a whole.
  const settings = parseSettings(data, warnings);
  const media = parseMedia(data);
  switch (name) {
    case 'play': {
      const { actionCode } = media;
      if (!actionCode) throw new ReplyError('missing-field', 'play needs action_code');
      return { action: { ...settings, ...media, action: name, actionCode }, warnings };
    }
    case 'hangup':
      return { action: { ...settings, ...media, action: name }, warnings };
    case 'dtmf': {
      const timeout = int(data.dtmf_nonin_overtime, 'dtmf_nonin_overtime') ?? 3;
      const max = int(data.dtmf_max_numbers, 'dtmf_max_numbers') ?? 1;
      const end = str(data.dtmf_end_character, 'dtmf_end_character') ?? '';
      if (!isEndCharacter(end)) throw new ReplyError('bad-field', 'dtmf_end_character must be *, # or empty');
      const dtmf: DtmfSettings = {
        noInputTimeoutS: Math.min(60, Math.max(3, timeout)),
        maxDigits: Math.min(50, Math.max(1, max)),
        endCharacter: end,
      };
      return { action: { ...settings, ...media, action: name, dtmf }, warnings };
    }
    case 'transfer': {
      const number = str(data.number, 'number');
      if (!number) throw new ReplyError('missing-field', 'transfer needs number');
      return { action: { ...settings, action: name, number }, warnings };
    }
    case 'parallel_transfer': {
      const playFile = str(data.transfer_playfile, 'transfer_playfile');
      const ccName = str(data.cc_name, 'cc_name');
      const transfer: ParallelTransferSettings = {
        isMonitor: bool(data.is_monitor, 'is_monitor', false),
        ...(playFile && { playFile }),
        ...(ccName && { ccName }),
      };
      return { action: { ...settings, action: name, transfer }, warnings };
    }
    case 'break':
    case 'continue':
    case 'donothing':
    case 'parallel_bridge':
      return { action: { ...settings, action: name }, warnings };
  }
}

function parseSettings(data: Json, warnings: string[]): ActionSettings {
  const settings: ActionSettings = {};
  const mute = int(data.mute_time, 'mute_time');
  if (mute !== undefined) settings.muteTime = mute >= 1000 && mute <= 20_000 ? mute : 10_000;
  const pause = int(data.pause_time, 'pause_time');
  if (pause !== undefined) settings.pauseTime = pause;
  const dyn = str(data.dynamic_id, 'dynamic_id');
  if (dyn !== undefined) {
    // Spec §10 Q9: dropped (and logged by the caller).
    if (hasCallbackForbiddenCharacters(dyn))
      warnings.push(`dynamic_id ${JSON.stringify(dyn)} dropped: forbidden characters`);
    else settings.dynamicId = dyn;
  }
  const session = int(data.session_timeout, 'session_timeout');
  // Spec §3.1 #17 for the request's SessionTimeout: at most 3600 s; unset or ≤ 0 means 3600.
  if (session !== undefined)
    settings.sessionTimeout = session > 0 ? Math.min(session, MAX_SESSION_S) : MAX_SESSION_S;
  const model = str(data.asr_model_id, 'asr_model_id');
  if (model) settings.asrModelId = model;
  const base = str(data.asr_base_id, 'asr_base_id');
  if (base) {
    if (!(ASR_BASE_IDS as readonly string[]).includes(base))
      throw new ReplyError('bad-field', `asr_base_id must be one of ${ASR_BASE_IDS.join(', ')}`);
    settings.asrBaseId = base;
  }
  if (data.record_flag !== undefined && data.record_flag !== null && data.record_flag !== '')
    settings.recordFlag = bool(data.record_flag, 'record_flag', false);
  const style = str(data.tts_style, 'tts_style');
  const volume = int(data.tts_volume, 'tts_volume');
  const speed = int(data.tts_speed, 'tts_speed');
  if (bool(data.tts_conf, 'tts_conf', false)) {
    // As `TtsStyle` in the request: checked only under tts_conf, an unknown voice refuses the
    // reply rather than being spoken in another voice; the name is kept as the list spells it.
    const voice = style ? findVoice(style) : undefined;
    if (style && !voice)
      throw new ReplyError('bad-field', `tts_style ${JSON.stringify(style)} is not a known voice`);
    settings.tts = {
      ...(voice && { style: voice.name }),
      ...(volume !== undefined && { volume }),
      ...(speed !== undefined && { speed }),
    };
  }
  return settings;
}

function parseMedia(data: Json): ActionMedia {
  const media: ActionMedia = {
    actionBreak: bool(data.action_break, 'action_break', true),
    actionCodeBreak: bool(data.action_code_break, 'action_code_break', true),
    actionCodeTimeBreak: Math.max(0, int(data.action_code_time_break, 'action_code_time_break') ?? 0),
  };
  const code = str(data.action_code, 'action_code');
  if (code) media.actionCode = code;
  const codeParam = params(data.action_code_param);
  if (codeParam) media.actionCodeParam = codeParam;
  return media;
}
