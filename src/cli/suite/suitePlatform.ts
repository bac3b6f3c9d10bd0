/** What the runner needs from the platform a suite runs against (embedded, or a running server). */
import { DEMO_OPENING } from '../../demo/demoBot.js';
import type { Observation } from './observation.js';
import type { SuiteCase } from './suiteSchema.js';

export interface PlacedCall {
  callId: string;
  /** When the SmartCall request was sent (epoch ms): the cases' timelines count from here. */
  startedAt: number;
}

export interface SuitePlatform {
  /** Sets up what the cases need (accounts, callee personas) before any call. */
  prepare(cases: readonly SuiteCase[]): Promise<void>;
  /** Places the case's SmartCall through the API; rejects with the API's refusal. */
  place(c: SuiteCase): Promise<PlacedCall>;
  /** Resolves true once the call has ended, false after `timeoutMs`. */
  waitForEnd(callId: string, timeoutMs: number): Promise<boolean>;
  /** What the platform recorded about the call. */
  observe(c: SuiteCase, call: PlacedCall): Promise<Observation>;
  close(): Promise<void>;
}

/** The case's SmartCall parameters; without a VoiceCode, the demo bot's opening question by TTS. */
export function smartCallParams(c: SuiteCase): Record<string, string> {
  if (c.call.VoiceCode !== undefined) return c.call;
  return { VoiceCode: '$text$', VoiceCodeParam: JSON.stringify({ text: DEMO_OPENING }), ...c.call };
}
