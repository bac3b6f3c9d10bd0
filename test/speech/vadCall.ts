/**
 * The noisy test call for VAD measurements (tests and bench): TTS sentences separated by pauses,
 * the truth being each clean sentence's energy-trimmed span, mixed with pink noise at a given SNR.
 */
import { Endpointer } from '../../src/speech/endpointer.js';
import type { Tts } from '../../src/speech/tts.js';
import type { Vad } from '../../src/speech/vad.js';
import { energySpan, mixAtSnr, pinkNoise, speak, telephone } from './speechFixtures.js';

export const CALL_SENTENCES: [string, string][] = [
  ['喂，你好', 'xiaoyun'],
  ['hello, who is this', 'abby'],
  ['我现在没空，请稍后再打', 'xiaogang'],
  ['please call me later', 'harry'],
  ['好的', 'ruoxi'],
  ['我已经还款了', 'siqi'],
  ['yes, I am interested', 'emily'],
  ['不需要，谢谢', 'aicheng'],
  ['wrong number', 'andy'],
  ['你们是哪家公司', 'ninger'],
  ['ok, thank you, goodbye', 'olivia'],
  ['我考虑一下再说', 'aida'],
  ['不是我', 'sijia'],
];

export interface TestCall {
  clean: Int16Array;
  /** Truth speech spans, samples. */
  truth: [number, number][];
}

export async function buildTestCall(tts: Tts, seed = 7): Promise<TestCall> {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const parts: Int16Array[] = [new Int16Array(8000)];
  const truth: [number, number][] = [];
  let at = 8000;
  for (const [text, voice] of CALL_SENTENCES) {
    const pcm = telephone(await speak(tts, text, voice));
    const [a, b] = energySpan(pcm);
    truth.push([at + a, at + b]);
    parts.push(pcm);
    at += pcm.length;
    const gap = new Int16Array(Math.round((0.6 + 1.4 * rand()) * 8000));
    parts.push(gap);
    at += gap.length;
  }
  const clean = new Int16Array(at);
  let o = 0;
  for (const p of parts) {
    clean.set(p, o);
    o += p.length;
  }
  return { clean, truth };
}

export function noisy(call: TestCall, snrDb: number, seed = 11): Int16Array {
  const mask = new Uint8Array(call.clean.length);
  for (const [a, b] of call.truth) mask.fill(1, a, b);
  return mixAtSnr(call.clean, pinkNoise(call.clean.length, seed), snrDb, mask);
}

export interface VadScore {
  recall: number;
  falseAlarm: number;
  segments: number;
  msPerFrame: number;
}

/** Runs VAD + endpointer (pause 300 ms, minimum speech 100 ms) and scores on a 10 ms grid. */
export function scoreVad(vad: Vad, audio: Int16Array, truth: [number, number][]): VadScore {
  const ep = new Endpointer({ pauseMs: 300, minSpeechMs: 100 });
  const segments: [number, number][] = [];
  let spent = 0;
  let frames = 0;
  for (let i = 0; i + 160 <= audio.length; i += 160) {
    const frame = audio.subarray(i, i + 160);
    const t0 = performance.now();
    const speech = vad.process(frame) >= vad.threshold;
    spent += performance.now() - t0;
    frames++;
    for (const e of ep.push(i / 8, speech)) if (e.type === 'speech-end') segments.push([e.beginMs, e.endMs]);
  }
  const cells = Math.floor(audio.length / 80);
  const isTruth = new Uint8Array(cells);
  for (const [a, b] of truth) isTruth.fill(1, Math.floor(a / 80), Math.ceil(b / 80));
  const isSpeech = new Uint8Array(cells);
  for (const [a, b] of segments) isSpeech.fill(1, Math.floor(a / 10), Math.ceil(b / 10));
  let hit = 0;
  let speechCells = 0;
  let fa = 0;
  let silenceCells = 0;
  for (let c = 0; c < cells; c++) {
    if (isTruth[c]) {
      speechCells++;
      if (isSpeech[c]) hit++;
    } else {
      silenceCells++;
      if (isSpeech[c]) fa++;
    }
  }
  return {
    recall: hit / speechCells,
    falseAlarm: fa / silenceCells,
    segments: segments.length,
    msPerFrame: spent / frames,
  };
}
