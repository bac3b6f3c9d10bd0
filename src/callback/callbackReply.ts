/**
 * The business's reply (spec §4.4), parsed at the boundary into a typed action. Businesses write
 * these by hand in many languages, so scalars are accepted as JSON values or as their string forms
 * ("true", "120"); anything else that is wrong (unknown action, a play without media, an object
 * where a number belongs) makes the reply invalid, and the failure policy applies (spec §4.6).
 */

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

export interface CallbackAction {
  action: ActionName;
  /** Media to play: `VoiceCode` grammar. */
  actionCode?: string;
  actionCodeParam?: Record<string, string>;
  /** Interrupt what is playing now (default true). */
  actionBreak: boolean;
  /** The new media may be interrupted later (default true). */
  actionCodeBreak: boolean;
  /** Barge-in after this much continuous speech, ms; 0 = off. */
  actionCodeTimeBreak: number;
  muteTime?: number;
  pauseTime?: number;
  dynamicId?: string;
  number?: string;
  dtmf?: { noInputTimeoutS: number; maxDigits: number; endCharacter: string };
  transfer?: { playFile?: string; isMonitor: boolean; ccName?: string };
  sessionTimeout?: number;
  tts?: { style?: string; volume?: number; speed?: number };
}

export class ReplyError extends Error {
  override name = 'ReplyError';
}

type Json = Record<string, unknown>;

function bool(v: unknown, name: string, fallback: boolean): boolean {
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new ReplyError(`${name} must be a boolean, got ${JSON.stringify(v)}`);
}

function int(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n)) throw new ReplyError(`${name} must be an integer, got ${JSON.stringify(v)}`);
  return n;
}

function str(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new ReplyError(`${name} must be a string, got ${JSON.stringify(v)}`);
}

/** `action_code_param` arrives as a JSON string (spec sample) or, leniently, as an object. */
function params(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  let obj: unknown = v;
  if (typeof v === 'string') {
    try {
      obj = JSON.parse(v);
    } catch {
      throw new ReplyError('action_code_param is not JSON');
    }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new ReplyError('action_code_param must be a JSON object');
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj)) {
    if (typeof val !== 'string' && typeof val !== 'number')
      throw new ReplyError(`action_code_param.${k} must be text`);
    out[k] = String(val);
  }
  return out;
}

/** Spec §10 Q9: a dynamic_id with these characters is dropped (and logged by the caller). */
const FORBIDDEN_IN_CALLBACKS = /[@=:"${}^*￥]/;

export interface ParsedReply {
  action: CallbackAction;
  /** Notes for the log: fields dropped or defaulted. */
  warnings: string[];
}

/**
 * Parses a reply body. Throws ReplyError when it is not a usable reply; `result: "fail"` is
 * reported as such so the caller can apply its policy.
 */
export function parseCallbackReply(body: string): ParsedReply {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ReplyError('reply is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ReplyError('reply is not a JSON object');
  const envelope = json as Json;
  if (envelope.result !== undefined && envelope.result !== 'success') {
    throw new ReplyError(
      `result is ${JSON.stringify(envelope.result)}${envelope.msg ? `: ${String(envelope.msg)}` : ''}`,
    );
  }
  // A bare data object (no envelope) is accepted too: fallback replies are often written that way.
  const data = (envelope.data ?? (envelope.action !== undefined ? envelope : undefined)) as Json | undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ReplyError('reply has no data object');
  return parseActionData(data);
}

export function parseActionData(data: Json): ParsedReply {
  const warnings: string[] = [];
  const name = data.action;
  if (typeof name !== 'string' || !(ACTIONS as readonly string[]).includes(name)) {
    throw new ReplyError(`unknown action ${JSON.stringify(name)}`);
  }
  const action: CallbackAction = {
    action: name as ActionName,
    actionBreak: bool(data.action_break, 'action_break', true),
    actionCodeBreak: bool(data.action_code_break, 'action_code_break', true),
    actionCodeTimeBreak: Math.max(0, int(data.action_code_time_break, 'action_code_time_break') ?? 0),
  };
  const code = str(data.action_code, 'action_code');
  if (code) action.actionCode = code;
  const codeParam = params(data.action_code_param);
  if (codeParam) action.actionCodeParam = codeParam;
  const mute = int(data.mute_time, 'mute_time');
  if (mute !== undefined) action.muteTime = mute >= 1000 && mute <= 20_000 ? mute : 10_000;
  const pause = int(data.pause_time, 'pause_time');
  if (pause !== undefined) action.pauseTime = pause;
  const dyn = str(data.dynamic_id, 'dynamic_id');
  if (dyn !== undefined) {
    if (FORBIDDEN_IN_CALLBACKS.test(dyn))
      warnings.push(`dynamic_id ${JSON.stringify(dyn)} dropped: forbidden characters`);
    else action.dynamicId = dyn;
  }
  const session = int(data.session_timeout, 'session_timeout');
  if (session !== undefined) action.sessionTimeout = session;
  const style = str(data.tts_style, 'tts_style');
  const volume = int(data.tts_volume, 'tts_volume');
  const speed = int(data.tts_speed, 'tts_speed');
  if (bool(data.tts_conf, 'tts_conf', false)) {
    action.tts = {
      ...(style !== undefined && { style }),
      ...(volume !== undefined && { volume }),
      ...(speed !== undefined && { speed }),
    };
  }

  switch (action.action) {
    case 'play':
      if (!action.actionCode) throw new ReplyError('play needs action_code');
      break;
    case 'transfer': {
      const number = str(data.number, 'number');
      if (!number) throw new ReplyError('transfer needs number');
      action.number = number;
      break;
    }
    case 'dtmf': {
      const timeout = int(data.dtmf_nonin_overtime, 'dtmf_nonin_overtime') ?? 3;
      const max = int(data.dtmf_max_numbers, 'dtmf_max_numbers') ?? 1;
      const end = str(data.dtmf_end_character, 'dtmf_end_character') ?? '';
      if (end !== '' && end !== '#' && end !== '*')
        throw new ReplyError('dtmf_end_character must be *, # or empty');
      action.dtmf = {
        noInputTimeoutS: Math.min(60, Math.max(3, timeout)),
        maxDigits: Math.min(50, Math.max(1, max)),
        endCharacter: end,
      };
      break;
    }
    case 'parallel_transfer': {
      const playFile = str(data.transfer_playfile, 'transfer_playfile');
      const ccName = str(data.cc_name, 'cc_name');
      action.transfer = {
        isMonitor: bool(data.is_monitor, 'is_monitor', false),
        ...(playFile && { playFile }),
        ...(ccName && { ccName }),
      };
      break;
    }
    default:
      break;
  }
  return { action, warnings };
}
