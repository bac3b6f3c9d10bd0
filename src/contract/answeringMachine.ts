/**
 * Answering-machine detection (AMD, a smartcall extension; issue 16 item 4): what the detector
 * decides, what an account does with a machine, and how both travel — `amd_result` in the first
 * `normal` callback and in the VoiceReport, the `amd` object in the call record.
 */

export type AmdResult = 'human' | 'machine' | 'unknown';
export const AMD_RESULTS: readonly AmdResult[] = ['human', 'machine', 'unknown'];

/** Why: a beep, a greeting too long for a person, a short one followed by silence, nothing heard, no rule in time. */
export type AmdReason = 'beep' | 'long-greeting' | 'short-greeting' | 'silence' | 'timeout';

/**
 * What a call answered by a machine gets: `report` (detection only, the call goes on), `hangup` (at
 * once), `message` (wait for the beep or the end of the greeting, play the account's message, hang up).
 */
export type AmdMachineAction = 'report' | 'hangup' | 'message';
export const AMD_MACHINE_ACTIONS: readonly AmdMachineAction[] = ['report', 'hangup', 'message'];

/** An account's AMD setting (none: no detection). */
export interface AmdSettings {
  machine: AmdMachineAction;
  /** The VoiceCode the message plays (`message` only): a voice file ID, `$var$` TTS, … */
  messageVoiceCode?: string | undefined;
  /** The decision is made by then at the latest, ms after the answer (1000–10000, default 4000). */
  maxMs: number;
}

export const AMD_DEFAULT_MAX_MS = 4000;
export const AMD_MAX_MS_RANGE = [1000, 10_000] as const;

/** What the call record keeps (`calls.amd`, JSON). */
export interface AmdOutcome {
  result: AmdResult;
  reason: AmdReason;
  /** When it was decided, ms after the answer. */
  afterMs: number;
  /** Length of the greeting heard by then, ms. */
  greetingMs: number;
  /** What the call did about it: `report` for a person or `unknown`; the account's action for a machine. */
  action: AmdMachineAction;
  /** A beep heard, ms after the answer (its end). */
  beepAtMs?: number;
  /** When the message began to play, ms after the answer (`message`). */
  messageAtMs?: number;
}

/** Checks an AMD setting; returns the problem or undefined. */
export function amdSettingsProblem(s: AmdSettings): string | undefined {
  if (!AMD_MACHINE_ACTIONS.includes(s.machine))
    return `machine action must be one of ${AMD_MACHINE_ACTIONS.join(', ')}, got "${s.machine}"`;
  if (s.machine === 'message' && !s.messageVoiceCode?.trim())
    return 'the message action needs a message voice code (--message-voice-code)';
  if (!Number.isInteger(s.maxMs) || s.maxMs < AMD_MAX_MS_RANGE[0] || s.maxMs > AMD_MAX_MS_RANGE[1])
    return `max-ms must be a whole number of ms from ${AMD_MAX_MS_RANGE[0]} to ${AMD_MAX_MS_RANGE[1]}, got ${s.maxMs}`;
  return undefined;
}
