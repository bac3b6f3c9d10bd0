/**
 * The calls whose logic runs inside the platform instead of over the callback (spec §6.3):
 * `SingleCallByVoice` and `SingleCallByTts` play one prompt `PlayTimes` times and hang up;
 * `IvrCall` plays a menu, collects one key, plays the key's prompt and says goodbye. Each is stored
 * as a SmartCall request carrying one of these scripts; the call engine answers the dialogue's
 * callback events from the script (src/calls/scriptedCallbacks.ts).
 */

export type ScriptedAction = 'SingleCallByVoice' | 'SingleCallByTts' | 'IvrCall';

/** One prompt: `VoiceCode` grammar (a voice file ID or a `TTS_…` template) and its variables. */
export interface ScriptPrompt {
  code: string;
  params: Record<string, string>;
}

/** `SingleCallByVoice` / `SingleCallByTts`: the prompt, `playTimes` times, then hang up. */
export interface NotificationScript {
  action: 'SingleCallByVoice' | 'SingleCallByTts';
  prompt: ScriptPrompt;
  /** 1 … 3. */
  playTimes: number;
}

/**
 * `IvrCall`: `start` asks for one key; a key of `menu` plays its prompt, then `bye` and the call
 * ends. No key within `timeoutMs` (or a key not in the menu) plays `start` again, `playTimes` times
 * in all, then `bye`.
 */
export interface IvrScript {
  action: 'IvrCall';
  start: ScriptPrompt;
  /** Key (`0`-`9`, `*`, `#`) → its prompt. */
  menu: Record<string, ScriptPrompt>;
  bye: ScriptPrompt | null;
  playTimes: number;
  /** How long a key is waited for once the menu has played, ms. */
  timeoutMs: number;
}

export type CallScript = NotificationScript | IvrScript;

/** `PlayTimes` of SingleCallByTts / SingleCallByVoice / IvrCall (spec §6.3: 1–3, default 3). */
export const PLAY_TIMES = { min: 1, max: 3, default: 3 } as const;
/** `Timeout` of IvrCall, ms. */
export const IVR_TIMEOUT_MS = { min: 1000, max: 60_000, default: 3000 } as const;
/** The keys a MenuKeyMap entry may name. */
export const MENU_KEY = /^[0-9*#]$/;

/** ProdId of each product in QueryCallDetailByCallId (spec §6.1). */
export const PROD_IDS: Readonly<Record<ScriptedAction | 'SmartCall', number>> = {
  SmartCall: 11030000180001,
  SingleCallByVoice: 11000000300006,
  SingleCallByTts: 11010000138001,
  IvrCall: 11000000300005,
};
