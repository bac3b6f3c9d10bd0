/**
 * What SingleCallByVoice, SingleCallByTts and IvrCall (spec §6.3) share: the numbers, the prompt
 * codes (an uploaded voice file, or a `TTS_…` template with its JSON variables), `PlayTimes`,
 * `Volume`, `Speed`, `OutId`, and storing the accepted call as a queued SmartCall request that
 * carries its script (src/contract/scriptedCall.ts). The dialer, trunks, receipts and the virtual
 * phone network then treat it like any SmartCall.
 */
import type { CallIdGenerator } from '../../calls/callId.js';
import type { CallWriter } from '../../calls/callWriter.js';
import { SCRIPTED_MUTE_TIME_MS } from '../../calls/scriptedCallbacks.js';
import { type CallScript, PLAY_TIMES, type ScriptPrompt } from '../../contract/scriptedCall.js';
import { isChineseMainlandNumber, type SmartCallRequest } from '../../contract/smartCallRequest.js';
import { parseVoiceCode, parseVoiceCodeParam } from '../../contract/voiceCode.js';
import { isTtsTemplateId } from '../../media-library/mediaIds.js';
import { fillTemplate } from '../../media-library/ttsTemplates.js';
import { DEFAULT_VOICE } from '../../speech/voices.js';
import type { Store } from '../../store/repositories.js';
import type { ActionContext } from '../actionContext.js';
import { businessErrors } from '../apiErrors.js';
import type { ParamReader } from '../paramReader.js';
import { acceptCall } from './acceptCall.js';

export interface ScriptedCallDeps {
  store: Store;
  callIds: CallIdGenerator;
  writer: CallWriter;
  outIdMaxBytes: number;
  /** Told about every accepted call (the dialer listens here). */
  onAccepted?: (callId: string) => void;
}

/** A scripted call ends by itself; this only bounds one whose callee keeps talking, s. */
const SCRIPTED_SESSION_TIMEOUT_S = 600;
/** `TtsParam`: spec §6.3 "< 250 characters in all, no URLs". */
export const TTS_PARAM_MAX_CHARS = 250;
const URL_LIKE = /https?:\/\/|www\./i;

export function inRange(n: number, min: number, max: number): boolean {
  return n >= min && n <= max;
}

/** The parameters every scripted action reads (steps 1 and 4 of spec §3.4). */
export function readCommon(r: ParamReader) {
  return {
    calledShowNumber: r.string('CalledShowNumber')?.trim(),
    calledNumber: r.requiredString('CalledNumber').trim(),
    playTimes: r.int32('PlayTimes'),
    volume: r.int32('Volume'),
    speed: r.int32('Speed'),
    outId: r.string('OutId'),
    // OwnerId, ResourceOwnerAccount, ResourceOwnerId: internal POP fields, accepted and ignored.
    ownerId: r.int64('OwnerId'),
    resourceOwnerId: r.int64('ResourceOwnerId'),
  };
}

type Common = ReturnType<typeof readCommon>;

/**
 * The display number: the request's, which the account must own; without one ("shared-number
 * mode" on Alibaba) the account's first number.
 */
export function displayNumber(store: Store, accountId: number, requested: string | undefined): string {
  if (requested === undefined) {
    const first = store.numbers.listByAccount(accountId)[0];
    if (!first) throw businessErrors.displayNumberIllegal();
    return first.number;
  }
  if (store.numbers.find(requested)?.accountId !== accountId) throw businessErrors.displayNumberIllegal();
  return requested;
}

export function checkCallee(calledNumber: string): void {
  if (!isChineseMainlandNumber(calledNumber)) throw businessErrors.mobileNumberIllegal();
}

/** `PlayTimes` 1–3, default 3 (spec §6.3). */
export function playTimes(value: number | undefined): number {
  if (value === undefined) return PLAY_TIMES.default;
  if (!inRange(value, PLAY_TIMES.min, PLAY_TIMES.max))
    throw businessErrors.invalidParameters(
      `PlayTimes must be between ${PLAY_TIMES.min} and ${PLAY_TIMES.max}`,
    );
  return value;
}

/** A template's variables: a JSON object, under 250 characters, without URLs. */
export function templateParams(name: string, text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  if (text.length > TTS_PARAM_MAX_CHARS) throw businessErrors.paramLengthLimit(name, TTS_PARAM_MAX_CHARS);
  let params: Record<string, string>;
  try {
    params = parseVoiceCodeParam(text);
  } catch (err) {
    throw businessErrors.invalidParameters(`${name} ${(err as Error).message}`);
  }
  for (const value of Object.values(params))
    if (URL_LIKE.test(value)) throw businessErrors.paramNotSupportUrl(name);
  return params;
}

/** What a prompt code may be: `voice` a voice file ID, `template` a TTS template ID, `either`. */
export type PromptKind = 'voice' | 'template' | 'either';

/**
 * One prompt code: a single voice file ID or `TTS_…` template ID of the account; a template's
 * placeholders must all have values.
 */
export function checkPrompt(
  store: Store,
  accountId: number,
  code: string,
  params: Record<string, string>,
  kind: PromptKind,
): ScriptPrompt {
  const id = code.trim();
  let isId = false;
  try {
    const items = parseVoiceCode(id);
    isId = items.length === 1 && items[0]!.kind === 'file';
  } catch {
    // not an ID: refused below
  }
  if (isId && isTtsTemplateId(id)) {
    if (kind === 'voice') throw businessErrors.voiceFileIllegal(id);
    const template = store.ttsTemplates.find(accountId, id);
    if (!template) throw businessErrors.ttsTemplateIllegal(id);
    const filled = fillTemplate(template.text, params);
    if ('missing' in filled) throw businessErrors.templateMissingParameters(filled.missing[0]!);
    return { code: id, params };
  }
  if (kind === 'template') throw businessErrors.ttsTemplateIllegal(id);
  if (!isId || !store.voiceFiles.find(accountId, id)) throw businessErrors.voiceFileIllegal(id);
  return { code: id, params: {} };
}

export function checkOutId(outId: string | undefined, maxBytes: number): void {
  if (outId !== undefined && Buffer.byteLength(outId, 'utf8') > maxBytes) {
    throw businessErrors.invalidParameters(`OutId must be at most ${maxBytes} bytes`);
  }
}

/**
 * `Volume` 0–100 (default 100) as SmartCall's 3 dB steps (−4 … 0): 100 plays as recorded, each
 * halving is −6 dB, and the quietest is −12 dB (0 is not silence).
 */
export function volumeStep(volume: number | undefined): number {
  if (volume === undefined) return 0;
  if (!inRange(volume, 0, 100)) throw businessErrors.invalidParameters('Volume must be between 0 and 100');
  if (volume >= 100) return 0;
  return Math.max(-4, Math.round((20 * Math.log10(Math.max(volume, 1) / 100)) / 3));
}

/** `Speed` −500 … 500 (spec §6.3), as the TtsSpeed scale −200 … 200 for spoken templates. */
export function ttsSpeed(speed: number | undefined): number {
  if (speed === undefined) return 0;
  if (!inRange(speed, -500, 500))
    throw businessErrors.invalidParameters('Speed must be between -500 and 500');
  return Math.round((speed * 200) / 500);
}

/** The stored request of a scripted call: a SmartCall whose dialogue the script answers. */
export function scriptedRequest(f: {
  calledShowNumber: string;
  calledNumber: string;
  outId: string | undefined;
  volume: number;
  ttsSpeed: number;
  first: ScriptPrompt;
  script: CallScript;
  ignored?: SmartCallRequest['ignored'];
}): SmartCallRequest {
  return {
    calledShowNumber: f.calledShowNumber,
    calledNumber: f.calledNumber,
    // What plays first, as QueryCallDetailByCallId and the transcript name it; the script opens.
    voiceCode: f.first.code,
    voiceCodeItems: parseVoiceCode(f.first.code),
    voiceCodeParam: f.first.params,
    recordFlag: false,
    volume: f.volume,
    asrModelId: null,
    asrBaseId: 'customer_service_8k',
    pauseTime: 800,
    muteTime: SCRIPTED_MUTE_TIME_MS,
    actionCodeBreak: false,
    actionCodeTimeBreak: 0,
    outId: f.outId ?? null,
    dynamicId: null,
    earlyMediaAsr: false,
    sessionTimeout: SCRIPTED_SESSION_TIMEOUT_S,
    ttsConf: f.ttsSpeed !== 0,
    ttsStyle: DEFAULT_VOICE,
    ttsVolume: 0,
    ttsSpeed: f.ttsSpeed,
    streamAsr: 0,
    backgroundFileCode: null,
    enableItn: false,
    script: f.script,
    ignored: f.ignored ?? {},
  };
}

/** Stores the accepted call as `queued` and tells the dialer; resolves with its CallId. */
/** Stores a scripted call as queued (it carries no DynamicId); its CallId. */
export function insertScriptedCall(
  deps: ScriptedCallDeps,
  ctx: ActionContext,
  request: SmartCallRequest,
): Promise<string> {
  return acceptCall(deps, ctx, { ...request, dynamicId: null });
}

/** The checks every scripted action makes on its common parameters, in the order of spec §3.4. */
export function checkCommon(
  c: Common,
  deps: ScriptedCallDeps,
  ctx: ActionContext,
): { calledShowNumber: string; playTimes: number; volume: number } {
  if (ctx.account.status !== 'active') throw businessErrors.outOfService();
  const calledShowNumber = displayNumber(deps.store, ctx.account.id, c.calledShowNumber);
  checkCallee(c.calledNumber);
  return { calledShowNumber, playTimes: playTimes(c.playTimes), volume: volumeStep(c.volume) };
}
