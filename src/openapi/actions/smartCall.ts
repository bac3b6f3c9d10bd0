/**
 * `SmartCall` (spec §3): validates every parameter in the order of §3.4, clamps what the spec says
 * to clamp, and stores the accepted call as `queued`. Placing the call is the dialer's job.
 */
import type { CallIdGenerator } from '../../calls/callId.js';
import type { CallWriter } from '../../calls/callWriter.js';
import type { PolicyGate } from '../../calls/policy/policyGate.js';
import {
  CALLBACK_FORBIDDEN_LIST,
  hasCallbackForbiddenCharacters,
} from '../../contract/callbackCharacters.js';
import {
  ASR_BASE_IDS,
  DEFAULT_MUTE_TIME,
  DEFAULT_PAUSE_TIME,
  isChineseMainlandNumber,
  MAX_SESSION_TIMEOUT,
  type SmartCallRequest,
} from '../../contract/smartCallRequest.js';
import {
  parseVoiceCode,
  parseVoiceCodeParam,
  VoiceCodeError,
  type VoiceCodeItem,
} from '../../contract/voiceCode.js';
import { type ResolvedDialog, resolveDialog } from '../../dialogue/dialogLibrary.js';
import { isTtsTemplateId } from '../../media-library/mediaIds.js';
import { fillTemplate } from '../../media-library/ttsTemplates.js';
import { DEFAULT_VOICE, findVoice } from '../../speech/voices.js';
import type { TtsTemplateRecord } from '../../store/records.js';
import type { Store } from '../../store/repositories.js';
import { TtlCache } from '../../store/ttlCache.js';
import type { ActionContext, ActionHandler } from '../actionContext.js';
import { businessErrors } from '../apiErrors.js';
import { ParamReader } from '../paramReader.js';
import { acceptCall } from './acceptCall.js';

export interface SmartCallDeps {
  store: Store;
  callIds: CallIdGenerator;
  writer: CallWriter;
  outIdMaxBytes: number;
  /** Told about every accepted call (the dialer listens here). */
  onAccepted?: (callId: string) => void;
  /** The calling policy: do-not-call lists and per-callee caps refuse; windows make the call wait. */
  gate?: PolicyGate;
}

function inRange(n: number, min: number, max: number): boolean {
  return n >= min && n <= max;
}

/** Steps 1 and 4 of §3.4: presence and types. */
export function readParams(r: ParamReader) {
  // DialogId (smartcall extension, issue 16 item 3): the account's dialog script opens the call.
  const dialogId = r.string('DialogId');
  r.requireAll(
    dialogId === undefined
      ? ['CalledShowNumber', 'CalledNumber', 'VoiceCode']
      : ['CalledShowNumber', 'CalledNumber'],
  );
  return {
    calledShowNumber: r.requiredString('CalledShowNumber').trim(),
    calledNumber: r.requiredString('CalledNumber').trim(),
    voiceCode: dialogId === undefined ? r.requiredString('VoiceCode') : r.string('VoiceCode'),
    dialogId,
    voiceCodeParam: r.string('VoiceCodeParam'),
    recordFlag: r.boolean('RecordFlag'),
    volume: r.int32('Volume'),
    speed: r.int32('Speed'),
    asrModelId: r.string('AsrModelId'),
    asrBaseId: r.string('AsrBaseId'),
    pauseTime: r.int32('PauseTime'),
    muteTime: r.int32('MuteTime'),
    actionCodeBreak: r.boolean('ActionCodeBreak'),
    actionCodeTimeBreak: r.int32('ActionCodeTimeBreak'),
    outId: r.string('OutId'),
    dynamicId: r.string('DynamicId'),
    earlyMediaAsr: r.boolean('EarlyMediaAsr'),
    sessionTimeout: r.int32('SessionTimeout'),
    ttsConf: r.boolean('TtsConf'),
    ttsStyle: r.string('TtsStyle'),
    ttsVolume: r.int32('TtsVolume'),
    ttsSpeed: r.int32('TtsSpeed'),
    streamAsr: r.int32('StreamAsr'),
    backgroundFileCode: r.string('BackgroundFileCode'),
    backgroundVolume: r.int32('BackgroundVolume'),
    backgroundSpeed: r.int32('BackgroundSpeed'),
    enableItn: r.boolean('EnableITN'),
    noiseThreshold: r.double('NoiseThreshold'),
    // OwnerId, ResourceOwnerAccount, ResourceOwnerId: internal POP fields, accepted and ignored.
    ownerId: r.int64('OwnerId'),
    resourceOwnerId: r.int64('ResourceOwnerId'),
  };
}

export type RawParams = ReturnType<typeof readParams>;

/** The stored things a SmartCall's validation reads, answered at once. */
interface RequestLookups {
  ownerOf(number: string, now: number): number | undefined;
  dialog(accountId: number, dialogId: string): ResolvedDialog | undefined;
  ttsTemplate(accountId: number, id: string): TtsTemplateRecord | undefined;
  /** A voice file of the VoiceCode. */
  hasVoiceFile(accountId: number, id: string): boolean;
  /** The BackgroundFileCode's voice file. */
  hasBackgroundFile(accountId: number, id: string, now: number): boolean;
  hasAsrModel(accountId: number, id: string): boolean;
}

/**
 * Reads on the hot path, cached briefly (admin changes come from another process and take effect
 * within the TTL).
 */
class Lookups implements RequestLookups {
  readonly #store: Store;
  readonly #owners: TtlCache<string, number | undefined>;
  readonly #files: TtlCache<string, boolean>;
  readonly #loadOwner: (n: string) => number | undefined;
  readonly #loadFile: (key: string) => boolean;

  constructor(store: Store, ttlMs = 2000) {
    this.#store = store;
    this.#owners = new TtlCache(ttlMs);
    this.#files = new TtlCache(ttlMs);
    this.#loadOwner = (n) => store.numbers.find(n)?.accountId;
    this.#loadFile = (key) => {
      const slash = key.indexOf('/');
      return store.voiceFiles.find(Number(key.slice(0, slash)), key.slice(slash + 1)) !== undefined;
    };
  }

  ownerOf(number: string, now: number): number | undefined {
    return this.#owners.get(number, this.#loadOwner, now);
  }

  dialog(accountId: number, dialogId: string): ResolvedDialog | undefined {
    return resolveDialog(this.#store, accountId, dialogId);
  }

  ttsTemplate(accountId: number, id: string): TtsTemplateRecord | undefined {
    return this.#store.ttsTemplates.find(accountId, id);
  }

  hasVoiceFile(accountId: number, id: string): boolean {
    return this.#store.voiceFiles.find(accountId, id) !== undefined;
  }

  hasBackgroundFile(accountId: number, id: string, now: number): boolean {
    return this.#files.get(`${accountId}/${id}`, this.#loadFile, now);
  }

  hasAsrModel(accountId: number, id: string): boolean {
    return this.#store.asrModels.find(accountId, id) !== undefined;
  }
}

/** Step 5 of §3.4: business rules, each an `isv.*` code; then step 6, the silent clamps. */
export function validate(
  p: RawParams,
  accountId: number,
  deps: { outIdMaxBytes: number },
  lookups: RequestLookups,
  now: number,
): SmartCallRequest {
  if (lookups.ownerOf(p.calledShowNumber, now) !== accountId) throw businessErrors.displayNumberIllegal();
  if (!isChineseMainlandNumber(p.calledNumber)) throw businessErrors.mobileNumberIllegal();

  let dialog: ResolvedDialog | undefined;
  if (p.dialogId !== undefined) {
    if (p.voiceCode !== undefined)
      throw businessErrors.invalidParameters(
        'give VoiceCode or DialogId, not both: the dialog says what plays',
      );
    dialog = lookups.dialog(accountId, p.dialogId);
    if (!dialog)
      throw businessErrors.invalidParameters(`DialogId ${p.dialogId} is not a dialog of this account`);
  }
  const voiceCode = p.voiceCode ?? '';
  let items: VoiceCodeItem[];
  try {
    items = dialog ? [] : parseVoiceCode(voiceCode);
  } catch (err) {
    throw businessErrors.voiceFileIllegal(err instanceof VoiceCodeError ? err.item : voiceCode);
  }
  // A `TTS_…` item names a TTS template, any other ID a voice file (src/media-library/mediaIds.ts).
  const templates: TtsTemplateRecord[] = [];
  for (const item of items) {
    if (item.kind !== 'file') continue;
    if (isTtsTemplateId(item.id)) {
      const template = lookups.ttsTemplate(accountId, item.id);
      if (!template) throw businessErrors.ttsTemplateIllegal(item.id);
      templates.push(template);
    } else if (!lookups.hasVoiceFile(accountId, item.id)) throw businessErrors.voiceFileIllegal(item.id);
  }
  let voiceCodeParam: Record<string, string> = {};
  if (p.voiceCodeParam !== undefined) {
    try {
      voiceCodeParam = parseVoiceCodeParam(p.voiceCodeParam);
    } catch (err) {
      throw businessErrors.invalidParameters(`VoiceCodeParam ${(err as Error).message}`);
    }
  }
  for (const item of items) {
    if (item.kind === 'tts' && voiceCodeParam[item.name] === undefined) {
      throw businessErrors.templateMissingParameters(item.name);
    }
  }
  for (const template of templates) {
    const filled = fillTemplate(template.text, voiceCodeParam);
    if ('missing' in filled) throw businessErrors.templateMissingParameters(filled.missing[0]!);
  }
  if (
    p.backgroundFileCode !== undefined &&
    !lookups.hasBackgroundFile(accountId, p.backgroundFileCode, now)
  ) {
    throw businessErrors.voiceFileIllegal(p.backgroundFileCode);
  }
  if (p.asrBaseId !== undefined && !(ASR_BASE_IDS as readonly string[]).includes(p.asrBaseId)) {
    throw businessErrors.invalidParameters(`AsrBaseId must be one of ${ASR_BASE_IDS.join(', ')}`);
  }
  if (p.asrModelId !== undefined && !lookups.hasAsrModel(accountId, p.asrModelId))
    throw businessErrors.asrModelError();
  if (p.volume !== undefined && !inRange(p.volume, -4, 4)) {
    throw businessErrors.invalidParameters('Volume must be between -4 and 4');
  }
  const ttsConf = p.ttsConf ?? false;
  if (ttsConf) {
    // TtsConf=false means the Tts* values are ignored even when present (spec §3.1 #18).
    if (p.ttsStyle !== undefined && !findVoice(p.ttsStyle)) {
      throw businessErrors.invalidParameters(`TtsStyle ${p.ttsStyle} is not a known voice`);
    }
    if (p.ttsVolume !== undefined && !inRange(p.ttsVolume, 0, 100)) {
      throw businessErrors.invalidParameters('TtsVolume must be between 0 and 100');
    }
    if (p.ttsSpeed !== undefined && !inRange(p.ttsSpeed, -200, 200)) {
      throw businessErrors.invalidParameters('TtsSpeed must be between -200 and 200');
    }
  }
  if (p.actionCodeTimeBreak !== undefined && p.actionCodeTimeBreak < 0) {
    throw businessErrors.invalidParameters('ActionCodeTimeBreak must not be negative');
  }
  if (p.streamAsr !== undefined && !inRange(p.streamAsr, 0, 100)) {
    throw businessErrors.invalidParameters('StreamAsr must be between 0 and 100');
  }
  if (p.outId !== undefined && Buffer.byteLength(p.outId, 'utf8') > deps.outIdMaxBytes) {
    throw businessErrors.invalidParameters(`OutId must be at most ${deps.outIdMaxBytes} bytes`);
  }
  if (p.dynamicId !== undefined && hasCallbackForbiddenCharacters(p.dynamicId)) {
    throw businessErrors.invalidParameters(`DynamicId must not contain ${CALLBACK_FORBIDDEN_LIST}`);
  }

  const sessionTimeout = p.sessionTimeout;
  return {
    calledShowNumber: p.calledShowNumber,
    calledNumber: p.calledNumber,
    voiceCode,
    voiceCodeItems: items,
    voiceCodeParam,
    recordFlag: p.recordFlag ?? false,
    volume: p.volume ?? 0,
    asrModelId: p.asrModelId ?? null,
    asrBaseId: p.asrBaseId ?? 'customer_service_8k',
    // Spec §3.1 #10, #11: out of range silently becomes the default.
    pauseTime:
      p.pauseTime !== undefined && inRange(p.pauseTime, 300, 1200) ? p.pauseTime : DEFAULT_PAUSE_TIME,
    muteTime: p.muteTime !== undefined && inRange(p.muteTime, 1000, 20_000) ? p.muteTime : DEFAULT_MUTE_TIME,
    actionCodeBreak: p.actionCodeBreak ?? true,
    actionCodeTimeBreak: p.actionCodeTimeBreak ?? 0,
    outId: p.outId ?? null,
    dynamicId: p.dynamicId ?? null,
    earlyMediaAsr: p.earlyMediaAsr ?? false,
    // Spec §3.1 #17: at most 3600 s; unset or not positive means the maximum.
    sessionTimeout:
      sessionTimeout !== undefined && sessionTimeout > 0
        ? Math.min(sessionTimeout, MAX_SESSION_TIMEOUT)
        : MAX_SESSION_TIMEOUT,
    ttsConf,
    ttsStyle: ttsConf && p.ttsStyle ? findVoice(p.ttsStyle)!.name : DEFAULT_VOICE,
    ttsVolume: ttsConf ? (p.ttsVolume ?? 0) : 0,
    ttsSpeed: ttsConf ? (p.ttsSpeed ?? 0) : 0,
    streamAsr: p.streamAsr ?? 0,
    backgroundFileCode: p.backgroundFileCode ?? null,
    // Alibaba accepts any BackgroundVolume (it documents −4…4 and "not supported yet"): clamp, never refuse.
    ...(p.backgroundVolume !== undefined && {
      backgroundVolume: Math.max(-4, Math.min(4, p.backgroundVolume)),
    }),
    enableItn: p.enableItn ?? false,
    ...(dialog && { dialog }),
    ignored: {
      ...(p.speed !== undefined && { speed: p.speed }),
      ...(p.backgroundSpeed !== undefined && { backgroundSpeed: p.backgroundSpeed }),
      ...(p.noiseThreshold !== undefined && { noiseThreshold: p.noiseThreshold }),
    },
  };
}

/**
 * SmartCall's validation as a function of plain parameters (campaign rows become calls through it);
 * throws the same BusinessError the action would answer with.
 */
export function smartCallRequestBuilder(
  deps: SmartCallDeps,
  time: { now(): number },
): (accountId: number, params: Record<string, string>) => SmartCallRequest {
  const lookups = new Lookups(deps.store);
  return (accountId, params) =>
    validate(
      readParams(new ParamReader(new Map(Object.entries(params)))),
      accountId,
      deps,
      lookups,
      time.now(),
    );
}

export function smartCallAction(deps: SmartCallDeps): ActionHandler {
  const place = smartCallPlacer(deps);
  return async (params: ReadonlyMap<string, string>, ctx: ActionContext) => ({
    CallId: await place(params, ctx),
  });
}

/** What the console's playground adds to a SmartCall: a callback URL for this call only. */
export interface SmartCallExtras {
  callbackUrl?: string;
}

/**
 * SmartCall as a function: the same checks and errors (BusinessError) as the RPC action, resolving
 * with the CallId; `extras` are kept with the request (the console's playground uses them).
 */
export function smartCallPlacer(
  deps: SmartCallDeps,
): (params: ReadonlyMap<string, string>, ctx: ActionContext, extras?: SmartCallExtras) => Promise<string> {
  const lookups = new Lookups(deps.store);
  return async (params, ctx, extras = {}) => {
    const raw = readParams(new ParamReader(params));
    if (ctx.account.status !== 'active') throw businessErrors.outOfService();
    const request = validate(raw, ctx.account.id, deps, lookups, ctx.now);
    if (extras.callbackUrl !== undefined) request.callbackUrl = extras.callbackUrl;
    // One calling policy for every call: the API's, the playground's (issue 16).
    const gate = deps.gate;
    if (!gate) return acceptCall(deps, ctx, request);
    const decision = gate.decide({ accountId: ctx.account.id, callee: request.calledNumber, kind: 'single' });
    if (decision.verdict === 'refuse') {
      ctx.log.info(
        { accountId: ctx.account.id, why: decision.reason },
        'SmartCall refused by the calling policy',
      );
      throw decision.code === 'dnc'
        ? businessErrors.doNotCall(decision.reason)
        : businessErrors.policyLimitControl(decision.reason);
    }
    gate.noteAttempt(ctx.account.id, request.calledNumber, ctx.now);
    const callId = await acceptCall(deps, ctx, request);
    const at = gate.now();
    deps.store.policies.addDecision({
      callId,
      at,
      decision: 'admitted',
      detail: 'passed the calling policy',
    });
    if (decision.verdict === 'wait') {
      deps.store.policies.addDecision({ callId, at, decision: 'wait', detail: decision.reason });
    }
    return callId;
  };
}
