/**
 * `SingleCallByVoice` (spec §6.3): a voice notification — one uploaded voice file played
 * `PlayTimes` times, then the call ends. Validated in the order of spec §3.4; the accepted call is
 * queued like a SmartCall whose script plays the file (src/calls/scriptedCallbacks.ts).
 */
import type { ActionHandler } from '../actionContext.js';
import { ParamReader } from '../paramReader.js';
import {
  checkCommon,
  checkOutId,
  checkPrompt,
  insertScriptedCall,
  readCommon,
  type ScriptedCallDeps,
  scriptedRequest,
  ttsSpeed,
} from './scriptedCalls.js';

export function singleCallByVoiceAction(deps: ScriptedCallDeps): ActionHandler {
  return async (params, ctx) => {
    const r = new ParamReader(params);
    r.requireAll(['CalledNumber', 'VoiceCode']);
    const c = readCommon(r);
    const voiceCode = r.requiredString('VoiceCode');
    const { calledShowNumber, playTimes, volume } = checkCommon(c, deps, ctx);
    const prompt = checkPrompt(deps.store, ctx.account.id, voiceCode, {}, 'voice');
    // Checked, but a recorded file plays at its own speed.
    ttsSpeed(c.speed);
    checkOutId(c.outId, deps.outIdMaxBytes);
    const request = scriptedRequest({
      calledShowNumber,
      calledNumber: c.calledNumber,
      outId: c.outId,
      volume,
      ttsSpeed: 0,
      first: prompt,
      script: { action: 'SingleCallByVoice', prompt, playTimes },
      ...(c.speed !== undefined && { ignored: { speed: c.speed } }),
    });
    return { CallId: await insertScriptedCall(deps, ctx, request) };
  };
}
