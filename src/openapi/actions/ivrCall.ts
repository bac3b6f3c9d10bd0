/**
 * `IvrCall` (spec §6.3): an interactive key-press call. `StartCode` asks for one key; the key's
 * `MenuKeyMap` entry plays its `Code`, then `ByeCode` and the call ends. Without a key within
 * `Timeout` ms after the menu (or with a key off the menu) the menu plays again, `PlayTimes` times
 * in all, then `ByeCode`. Every code is an uploaded voice file or a `TTS_…` template of the account
 * with its JSON variables. The keys reach the receipts as on any call (VoiceCallReport 300000).
 */
import { IVR_TIMEOUT_MS, MENU_KEY, type ScriptPrompt } from '../../contract/scriptedCall.js';
import type { Store } from '../../store/repositories.js';
import type { ActionHandler } from '../actionContext.js';
import { businessErrors } from '../apiErrors.js';
import { ParamReader } from '../paramReader.js';
import {
  checkCommon,
  checkOutId,
  checkPrompt,
  inRange,
  insertScriptedCall,
  readCommon,
  type ScriptedCallDeps,
  scriptedRequest,
  templateParams,
} from './scriptedCalls.js';

const MENU_FIELD = /^MenuKeyMap\.(\d{1,3})\.(Key|Code|TtsParams)$/;

/** `MenuKeyMap.N.Key/Code/TtsParams` (the SDK's flattened repeat list), as written. */
export function readMenuKeyMap(
  params: ReadonlyMap<string, string>,
): { n: number; key?: string; code?: string; ttsParams?: string }[] {
  const entries = new Map<number, { n: number; key?: string; code?: string; ttsParams?: string }>();
  for (const [name, value] of params) {
    const m = MENU_FIELD.exec(name);
    if (!m || value === '') continue;
    const n = Number(m[1]);
    const entry = entries.get(n) ?? { n };
    if (m[2] === 'Key') entry.key = value.trim();
    else if (m[2] === 'Code') entry.code = value;
    else entry.ttsParams = value;
    entries.set(n, entry);
  }
  return [...entries.values()].sort((a, b) => a.n - b.n);
}

function checkMenu(
  store: Store,
  accountId: number,
  params: ReadonlyMap<string, string>,
): Record<string, ScriptPrompt> {
  const menu: Record<string, ScriptPrompt> = {};
  for (const e of readMenuKeyMap(params)) {
    const at = `MenuKeyMap.${e.n}`;
    if (e.key === undefined || e.code === undefined)
      throw businessErrors.invalidParameters(`${at} needs both Key and Code`);
    if (!MENU_KEY.test(e.key)) throw businessErrors.invalidParameters(`${at}.Key must be one of 0-9, * or #`);
    if (menu[e.key]) throw businessErrors.invalidParameters(`${at}.Key ${e.key} appears twice`);
    menu[e.key] = checkPrompt(
      store,
      accountId,
      e.code,
      templateParams(`${at}.TtsParams`, e.ttsParams),
      'either',
    );
  }
  return menu;
}

export function ivrCallAction(deps: ScriptedCallDeps): ActionHandler {
  return async (params, ctx) => {
    const r = new ParamReader(params);
    r.requireAll(['CalledShowNumber', 'CalledNumber', 'StartCode']);
    const c = readCommon(r);
    const startCode = r.requiredString('StartCode');
    const startTtsParams = r.string('StartTtsParams');
    const byeCode = r.string('ByeCode');
    const byeTtsParams = r.string('ByeTtsParams');
    const timeout = r.int32('Timeout');
    const { calledShowNumber, playTimes, volume } = checkCommon(c, deps, ctx);
    const { store } = deps;
    const accountId = ctx.account.id;
    const start = checkPrompt(
      store,
      accountId,
      startCode,
      templateParams('StartTtsParams', startTtsParams),
      'either',
    );
    const menu = checkMenu(store, accountId, params);
    const bye =
      byeCode === undefined
        ? null
        : checkPrompt(store, accountId, byeCode, templateParams('ByeTtsParams', byeTtsParams), 'either');
    if (timeout !== undefined && !inRange(timeout, IVR_TIMEOUT_MS.min, IVR_TIMEOUT_MS.max)) {
      throw businessErrors.invalidParameters(
        `Timeout must be between ${IVR_TIMEOUT_MS.min} and ${IVR_TIMEOUT_MS.max} ms`,
      );
    }
    checkOutId(c.outId, deps.outIdMaxBytes);
    const request = scriptedRequest({
      calledShowNumber,
      calledNumber: c.calledNumber,
      outId: c.outId,
      volume,
      ttsSpeed: 0,
      first: start,
      script: {
        action: 'IvrCall',
        start,
        menu,
        bye,
        playTimes,
        timeoutMs: timeout ?? IVR_TIMEOUT_MS.default,
      },
      ...(c.speed !== undefined && { ignored: { speed: c.speed } }),
    });
    return { CallId: await insertScriptedCall(deps, ctx, request) };
  };
}
