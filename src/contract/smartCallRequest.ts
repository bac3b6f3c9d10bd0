/**
 * A SmartCall request after validation and clamping (spec §3.1): what the dialer and the dialogue
 * work from. Stored with the call as JSON, so every field is plain data.
 */
import type { DialogScript } from './dialogScript.js';
import type { CallScript } from './scriptedCall.js';
import type { VoiceCodeItem } from './voiceCode.js';

export interface SmartCallRequest {
  calledShowNumber: string;
  calledNumber: string;
  voiceCode: string;
  voiceCodeItems: VoiceCodeItem[];
  voiceCodeParam: Record<string, string>;
  recordFlag: boolean;
  /** Prompt file volume, −4 … 4; 0 leaves files as recorded. */
  volume: number;
  asrModelId: string | null;
  asrBaseId: string;
  /** End-of-sentence silence, ms (300 … 1200, else 800). */
  pauseTime: number;
  /** User-silence timeout before a `mute` callback, ms (1000 … 20000, else 10000). */
  muteTime: number;
  actionCodeBreak: boolean;
  /** 0 = time-based barge-in off. */
  actionCodeTimeBreak: number;
  outId: string | null;
  dynamicId: string | null;
  earlyMediaAsr: boolean;
  /** Maximum call duration, s (≤ 3600). */
  sessionTimeout: number;
  ttsConf: boolean;
  ttsStyle: string;
  ttsVolume: number;
  ttsSpeed: number;
  streamAsr: number;
  backgroundFileCode: string | null;
  /** Background file volume on the `Volume` scale, −4 … 4 (out-of-range values clamped); absent = 0. */
  backgroundVolume?: number;
  enableItn: boolean;
  /**
   * Present on SingleCallByVoice / SingleCallByTts / IvrCall calls: the platform answers the
   * dialogue from it instead of posting callbacks (src/calls/scriptedCallbacks.ts).
   */
  script?: CallScript;
  /** The campaign (BatchRobotSmartCall task) this call belongs to; absent for single calls. */
  campaignId?: number;
  /** BatchRobotSmartCall's DialogId, carried for the dialog that runs the call. */
  dialogId?: string;
  /**
   * Present on a SmartCall with `DialogId` (issue 16 item 3): the account's dialog script as it was
   * when the call was accepted; the platform answers the dialogue from it instead of posting
   * callbacks (src/calls/dialogExchange.ts). `voiceCode` is then empty: the script opens.
   */
  dialog?: { id: string; script: DialogScript };
  /**
   * Present on inbound smart calls (spec §4.7): the numbers of the `callin`. The request's other
   * fields then come from the business's `answer` (calledShowNumber is the caller, calledNumber the
   * number called).
   */
  inbound?: { caller: string; callee: string; orgcallee: string };
  /**
   * Present on calls placed from the console's playground: this one call's callbacks go here
   * instead of the account's callback URL (the account's other callback settings still apply).
   */
  callbackUrl?: string;
  /** Accepted and kept, but not used (undocumented; spec §10 Q24). */
  ignored: {
    speed?: number;
    backgroundSpeed?: number;
    noiseThreshold?: number;
  };
}

export const ASR_BASE_IDS = ['customer_service_8k', 'dialect_customer_service_8k'] as const;
export const DEFAULT_PAUSE_TIME = 800;
export const DEFAULT_MUTE_TIME = 10_000;
export const MAX_SESSION_TIMEOUT = 3600;

/** Chinese mainland numbers (spec §3.1 #2): mobile 1[3-9]xxxxxxxxx, landline 0 + area code + number. */
const MOBILE = /^1[3-9]\d{9}$/;
const LANDLINE = /^0[1-9]\d{8,10}$/;

export function isChineseMainlandNumber(number: string): boolean {
  return MOBILE.test(number) || LANDLINE.test(number);
}
