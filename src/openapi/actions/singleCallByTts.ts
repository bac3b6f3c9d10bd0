/**
 * `SingleCallByTts` (spec §6.3): a TTS notification or voice verification code — the account's
 * `TTS_…` template filled from `TtsParam`, spoken `PlayTimes` times, then the call ends. Each callee
 * may get at most 1 call a minute, 5 an hour and 20 in 24 hours from one account
 * (`isv.BUSINESS_LIMIT_CONTROL`), counted from the calls table.
 */
import type { ActionHandler } from '../actionContext.js';
import { businessErrors } from '../apiErrors.js';
import { ParamReader } from '../paramReader.js';
import {
  checkCommon,
  checkOutId,
  checkPrompt,
  insertScriptedCall,
  readCommon,
  type ScriptedCallDeps,
  scriptedRequest,
  templateParams,
  ttsSpeed,
} from './scriptedCalls.js';

/** Per-callee frequency control of SingleCallByTts (spec §6.3), narrowest window first. */
export const TTS_CALLEE_LIMITS: readonly { windowMs: number; max: number; name: string }[] = [
  { windowMs: 60_000, max: 1, name: '1分钟' },
  { windowMs: 3_600_000, max: 5, name: '1小时' },
  { windowMs: 86_400_000, max: 20, name: '24小时' },
];

/**
 * Runs one request per key at a time: a callee's second request is checked only after the first
 * is stored, so two requests arriving together cannot both pass the limit.
 */
class PerKeyQueue {
  readonly #tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.#tails.get(key) ?? Promise.resolve()).then(task);
    const tail = result.then(
      () => {},
      () => {},
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}

export function singleCallByTtsAction(deps: ScriptedCallDeps): ActionHandler {
  const queue = new PerKeyQueue();
  return async (params, ctx) => {
    const r = new ParamReader(params);
    r.requireAll(['CalledNumber', 'TtsCode']);
    const c = readCommon(r);
    const ttsCode = r.requiredString('TtsCode');
    const ttsParam = r.string('TtsParam');
    const { calledShowNumber, playTimes, volume } = checkCommon(c, deps, ctx);
    const prompt = checkPrompt(
      deps.store,
      ctx.account.id,
      ttsCode,
      templateParams('TtsParam', ttsParam),
      'template',
    );
    const speed = ttsSpeed(c.speed);
    checkOutId(c.outId, deps.outIdMaxBytes);
    const request = scriptedRequest({
      calledShowNumber,
      calledNumber: c.calledNumber,
      outId: c.outId,
      volume,
      ttsSpeed: speed,
      first: prompt,
      script: { action: 'SingleCallByTts', prompt, playTimes },
    });
    return queue.run(`${ctx.account.id}/${c.calledNumber}`, async () => {
      const counts = deps.store.calls.countToCallee(
        ctx.account.id,
        c.calledNumber,
        'SingleCallByTts',
        TTS_CALLEE_LIMITS.map((l) => ctx.now - l.windowMs),
      );
      TTS_CALLEE_LIMITS.forEach((limit, i) => {
        if (counts[i]! >= limit.max) throw businessErrors.businessLimitControl(limit.name);
      });
      return { CallId: await insertScriptedCall(deps, ctx, request) };
    });
  };
}
