/**
 * A deterministic stand-in for TTS: one voiced, speech-like burst per syllable (a glottal-pulse-like
 * harmonic series on a gliding pitch, shaped by two formant peaks, with attack and decay), short
 * gaps between syllables, longer ones at punctuation. It is not intelligible, but an energy VAD hears
 * speech of the right length and rhythm, and the same text always gives the same samples, so tests
 * can correlate what arrived against what was said.
 *
 * Syllables: one per CJK character or digit; per Latin word, one per vowel group.
 */
import { findVoice } from '../speech/voices.js';
import type { PersonaVoice } from './personaVoice.js';

const RATE = 8000;
const PEAK = 9000;

interface Syllable {
  /** Key that picks pitch, vowel and length. */
  seed: number;
  /** Silence after it, ms. */
  pauseMs: number;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/u;
const LONG_PAUSE = /[。！？.!?；;]/u;
const SHORT_PAUSE = /[，、,：:…—-]/u;

export function syllables(text: string): Syllable[] {
  const out: Syllable[] = [];
  const pause = (ms: number) => {
    const last = out[out.length - 1];
    if (last) last.pauseMs = Math.max(last.pauseMs, ms);
  };
  const words = text.match(/[A-Za-z']+|\d|[\s\S]/gu) ?? [];
  for (const w of words) {
    if (/^[A-Za-z']+$/.test(w)) {
      const lower = w.toLowerCase();
      let groups = lower.match(/[aeiouy]+/g)?.length ?? 1;
      if (groups > 1 && /[^aeiouy]e$/.test(lower)) groups--; // a silent final e, as in please
      for (let i = 0; i < groups; i++) out.push({ seed: fnv1a(`${w}#${i}`), pauseMs: 40 });
      pause(90);
    } else if (CJK.test(w) || /\d/.test(w)) out.push({ seed: fnv1a(w), pauseMs: 50 });
    else if (LONG_PAUSE.test(w)) pause(350);
    else if (SHORT_PAUSE.test(w)) pause(220);
    else if (/\s/.test(w)) pause(90);
  }
  const last = out[out.length - 1];
  if (last) last.pauseMs = 0;
  return out;
}

function pitchFor(voice: string): number {
  const info = findVoice(voice);
  if (info?.age === 'child') return 290;
  return info?.gender === 'male' ? 118 : 212;
}

/** Two formant peaks per vowel (rough F1/F2 of a, i, u, e, o). */
const VOWELS: readonly [number, number][] = [
  [750, 1250],
  [300, 2250],
  [320, 850],
  [500, 1900],
  [480, 950],
];

function formantGain(f: number, f1: number, f2: number): number {
  const peak = (fc: number, bw: number) => 1 / (1 + ((f - fc) / bw) ** 2);
  return 0.15 + peak(f1, 120) + 0.7 * peak(f2, 200);
}

function renderSyllable(out: Int16Array, at: number, seed: number, f0: number): number {
  const ms = 170 + (seed % 70);
  const n = Math.round((ms * RATE) / 1000);
  const [f1, f2] = VOWELS[(seed >>> 8) % VOWELS.length]!;
  const glide = (((seed >>> 12) % 41) - 20) / 100; // -20 % .. +20 % over the syllable (a "tone")
  const start = f0 * (1 + (((seed >>> 20) % 11) - 5) / 100);
  const harmonics = Math.max(1, Math.floor(3400 / (start * 1.25)));
  const gains = new Float64Array(harmonics + 1);
  let norm = 0;
  for (let k = 1; k <= harmonics; k++) {
    gains[k] = formantGain(k * start, f1, f2) / Math.sqrt(k);
    norm += gains[k]!;
  }
  let phase = 0;
  const attack = 0.015 * RATE;
  const decay = 0.04 * RATE;
  for (let i = 0; i < n && at + i < out.length; i++) {
    const f = start * (1 + (glide * i) / n);
    phase += (2 * Math.PI * f) / RATE;
    let s = 0;
    for (let k = 1; k <= harmonics; k++) s += gains[k]! * Math.sin(k * phase);
    const env = Math.min(1, i / attack, (n - i) / decay);
    out[at + i] = Math.round((PEAK * env * s) / norm);
  }
  return n;
}

export class SyntheticVoice implements PersonaVoice {
  /** Synchronous form (tests compute the expected audio with it). */
  render(text: string, voice: string): Int16Array {
    const parts = syllables(text);
    const f0 = pitchFor(voice);
    // Upper bound: every syllable at its longest (240 ms) plus its pause.
    const out = new Int16Array(parts.reduce((sum, s) => sum + ((240 + s.pauseMs) * RATE) / 1000, 0));
    let at = 0;
    for (const s of parts) {
      at += renderSyllable(out, at, s.seed ^ fnv1a(voice), f0);
      at += Math.round((s.pauseMs * RATE) / 1000);
    }
    return out.subarray(0, at);
  }

  synthesize(text: string, voice: string): Promise<Int16Array> {
    return Promise.resolve(this.render(text, voice));
  }
}
