/**
 * A stand-in for the SmartCall call engine while it does not exist: places a call with the
 * telephony core and runs a simple conversation — plays prompt 1 on answer, the next prompt after
 * each reply (speech end or a key), stops its prompt when the callee talks over it (barge-in), hangs
 * up when the callee stays quiet or after the last prompt — and reports what happened and when.
 */
import { PcmSource } from '../../src/media/pcmSource.js';
import { EnergyDetector } from '../../src/phonenet/speechDetector.js';
import type { CallFailure, EndedBy } from '../../src/sip/callFailure.js';
import { OutboundCall } from '../../src/telephony/outboundCall.js';
import type { Telephony } from '../../src/telephony/telephony.js';
import { FrameCollector } from '../helpers/audio.js';

export interface DialOptions {
  /** Prompts in order (8 kHz PCM). */
  prompts?: Int16Array[];
  /** CANCEL when not answered by then (default 10 s). */
  ringTimeoutMs?: number;
  /** Hang up when no reply came this long after a prompt ended (default 2500 ms). */
  replyTimeoutMs?: number;
  /** Hang up this long after the last prompt (default 800 ms). */
  lingerMs?: number;
  /** Stop the prompt when the callee starts talking over it (default true). */
  bargeIn?: boolean;
  /** Never let a call run longer (default 40 s). */
  maxMs?: number;
}

export interface PromptRecord {
  index: number;
  startedAt: number;
  endedAt?: number;
  flushed?: boolean;
}

export interface DialResult {
  callId: string;
  /** Times are ms since the INVITE was sent. */
  ringingAt?: number;
  earlyMediaAt?: number;
  answeredAt?: number;
  failure?: CallFailure;
  failedAt?: number;
  endedBy?: EndedBy;
  endedAt?: number;
  heard: Int16Array;
  /** The callee's speech as the platform's detector saw it. */
  calleeSpeech: { start: number; end?: number }[];
  digits: { digit: string; at: number }[];
  prompts: PromptRecord[];
  bargeIns: number[];
}

export async function dial(tel: Telephony, target: string, options: DialOptions = {}): Promise<DialResult> {
  const prompts = options.prompts ?? [];
  const replyTimeoutMs = options.replyTimeoutMs ?? 2500;
  const lingerMs = options.lingerMs ?? 800;
  const bargeIn = options.bargeIn ?? true;
  const t0 = Date.now();
  const at = () => Date.now() - t0;
  const call = await OutboundCall.place(tel, { target, setupTimeoutMs: options.ringTimeoutMs ?? 10_000 });
  const heard = new FrameCollector();
  const detector = new EnergyDetector({ hangoverMs: 500 });
  const result: DialResult = {
    callId: call.sip.callId,
    heard: new Int16Array(0),
    calleeSpeech: [],
    digits: [],
    prompts: [],
    bargeIns: [],
  };
  let next = 0;
  let playing: PromptRecord | undefined;
  let quietTimer: NodeJS.Timeout | undefined;
  const hangupAfter = (ms: number) => {
    clearTimeout(quietTimer);
    quietTimer = setTimeout(() => call.hangup(), ms);
  };
  const playNext = () => {
    clearTimeout(quietTimer);
    if (next >= prompts.length) {
      hangupAfter(lingerMs);
      return;
    }
    const index = next++;
    const record: PromptRecord = { index, startedAt: at() };
    result.prompts.push(record);
    playing = record;
    call.media.play(new PcmSource(prompts[index]!), { id: `prompt-${index}` });
  };
  call.media.on('playEnded', (e) => {
    if (!playing || e.id !== `prompt-${playing.index}`) return;
    playing.endedAt = at();
    playing.flushed = e.reason === 'flushed';
    playing = undefined;
    if (next >= prompts.length) hangupAfter(lingerMs);
    else hangupAfter(replyTimeoutMs);
  });
  call.media.on('frame', (pcm, time) => {
    heard.add(pcm);
    if (result.answeredAt === undefined) return;
    const edge = detector.push(pcm, time);
    if (edge?.type === 'start') {
      result.calleeSpeech.push({ start: at() });
      clearTimeout(quietTimer);
      if (playing && bargeIn) {
        result.bargeIns.push(at());
        call.media.flushPlayout();
      }
    } else if (edge?.type === 'end') {
      const last = result.calleeSpeech.at(-1);
      if (last) last.end = at();
      if (!playing) playNext();
    }
  });
  call.media.on('dtmf', (d) => {
    result.digits.push({ digit: d.digit, at: at() });
    if (!playing) playNext();
  });
  call.on('ringing', () => {
    result.ringingAt ??= at();
  });
  call.on('early-media', () => {
    result.earlyMediaAt ??= at();
  });
  call.on('answered', () => {
    result.answeredAt = at();
    playNext();
  });
  const maxTimer = setTimeout(() => call.hangup(), options.maxMs ?? 40_000);
  await new Promise<void>((resolve) => {
    call.once('failed', (cause) => {
      result.failure = cause;
      result.failedAt = at();
      resolve();
    });
    call.once('ended', (by) => {
      result.endedBy = by;
      result.endedAt = at();
      resolve();
    });
  });
  clearTimeout(maxTimer);
  clearTimeout(quietTimer);
  result.heard = heard.samples();
  return result;
}
