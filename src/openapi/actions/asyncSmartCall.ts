/**
 * `SmartCall` on the async store (an API node on PostgreSQL, issue 15): the same checks, errors and
 * clamps as smartCall.ts, whose `validate` runs unchanged over what this file reads first. Every
 * stored thing the request names (its display number's owner, dialog, templates, voice files, ASR
 * model) is fetched at once, so a request costs one round of parallel queries, not one per item;
 * then the accepted call is written `queued` for the schedulers to claim.
 */
import type { CallIdGenerator } from '../../calls/callId.js';
import type { CallWriter } from '../../calls/callWriter.js';
import type { DialogScript } from '../../contract/dialogScript.js';
import { parseVoiceCode, type VoiceCodeItem } from '../../contract/voiceCode.js';
import type { ResolvedDialog } from '../../dialogue/dialogLibrary.js';
import { isTtsTemplateId } from '../../media-library/mediaIds.js';
import type { AsyncRepositories } from '../../store/asyncStore.js';
import type { TtsTemplateRecord } from '../../store/records.js';
import { TtlCache } from '../../store/ttlCache.js';
import type { ActionContext, ActionHandler } from '../actionContext.js';
import { businessErrors } from '../apiErrors.js';
import { ParamReader } from '../paramReader.js';
import { acceptCall } from './acceptCall.js';
import { type RawParams, readParams, validate } from './smartCall.js';

export interface AsyncSmartCallDeps {
  store: Pick<AsyncRepositories, 'numbers' | 'voiceFiles' | 'ttsTemplates' | 'dialogScripts' | 'asrModels'>;
  callIds: CallIdGenerator;
  writer: CallWriter;
  outIdMaxBytes: number;
}

/** The items of a VoiceCode, or none when it does not parse (validate then answers the error). */
function itemsOf(voiceCode: string | undefined): VoiceCodeItem[] {
  if (voiceCode === undefined) return [];
  try {
    return parseVoiceCode(voiceCode);
  } catch {
    return [];
  }
}

/** Display number owners, kept briefly as on the embedded path (one query per number per TTL). */
class Owners {
  readonly #cache: TtlCache<string, Promise<number | undefined>>;
  readonly #load: (n: string) => Promise<number | undefined>;

  constructor(store: AsyncSmartCallDeps['store'], ttlMs = 2000) {
    this.#cache = new TtlCache(ttlMs);
    this.#load = (n) => {
      const owner = store.numbers.find(n).then((r) => r?.accountId);
      owner.catch(() => this.#cache.delete(n));
      return owner;
    };
  }

  get(number: string, now: number): Promise<number | undefined> {
    return this.#cache.get(number, this.#load, now);
  }
}

/** Reads what `validate` will ask about, in parallel, and answers its questions from that. */
async function prefetch(
  store: AsyncSmartCallDeps['store'],
  owners: Owners,
  p: RawParams,
  accountId: number,
  now: number,
) {
  const templateIds = new Set<string>();
  const fileIds = new Set<string>();
  for (const item of itemsOf(p.voiceCode)) {
    if (item.kind !== 'file') continue;
    (isTtsTemplateId(item.id) ? templateIds : fileIds).add(item.id);
  }
  if (p.backgroundFileCode !== undefined) fileIds.add(p.backgroundFileCode);
  const [owner, dialogRecord, templates, files, asrModel] = await Promise.all([
    owners.get(p.calledShowNumber, now),
    p.dialogId === undefined ? undefined : store.dialogScripts.find(accountId, p.dialogId),
    Promise.all([...templateIds].map((id) => store.ttsTemplates.find(accountId, id))),
    Promise.all([...fileIds].map(async (id) => [id, await store.voiceFiles.find(accountId, id)] as const)),
    p.asrModelId === undefined ? undefined : store.asrModels.find(accountId, p.asrModelId),
  ]);
  const templateById = new Map<string, TtsTemplateRecord>();
  for (const t of templates) if (t) templateById.set(t.id, t);
  const presentFiles = new Set(files.filter(([, f]) => f !== undefined).map(([id]) => id));
  const dialog: ResolvedDialog | undefined = dialogRecord && {
    id: dialogRecord.id,
    script: JSON.parse(dialogRecord.script) as DialogScript,
  };
  return {
    ownerOf: () => owner,
    dialog: () => dialog,
    ttsTemplate: (_account: number, id: string) => templateById.get(id),
    hasVoiceFile: (_account: number, id: string) => presentFiles.has(id),
    hasBackgroundFile: (_account: number, id: string) => presentFiles.has(id),
    hasAsrModel: () => asrModel !== undefined,
  };
}

/**
 * SmartCall for an API node. The calling policy (do-not-call lists, caps, windows: PolicyGate) is not
 * applied here: it lives in the embedded store's process (docs/scale-out.md, "API nodes").
 */
export function asyncSmartCallAction(deps: AsyncSmartCallDeps): ActionHandler {
  const owners = new Owners(deps.store);
  return async (params: ReadonlyMap<string, string>, ctx: ActionContext) => {
    const raw = readParams(new ParamReader(params));
    if (ctx.account.status !== 'active') throw businessErrors.outOfService();
    const lookups = await prefetch(deps.store, owners, raw, ctx.account.id, ctx.now);
    const request = validate(raw, ctx.account.id, deps, lookups, ctx.now);
    return { CallId: await acceptCall(deps, ctx, request) };
  };
}
