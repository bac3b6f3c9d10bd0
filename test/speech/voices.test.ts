/**
 * The SmartCall voice list and its embedded rendering: every voice the vendor lists is known, and
 * every name sounds like no other (measured on the audio espeak-ng makes of it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EspeakEngine } from '../../src/speech/espeak/espeakEngine.js';
import { allEspeakVoices, espeakVoiceFor, ssmlFor } from '../../src/speech/espeak/espeakVoices.js';
import { RealFft } from '../../src/speech/fft.js';
import { DEFAULT_VOICE, findVoice, VOICES } from '../../src/speech/voices.js';

/** The voices of the vendor's SmartCall page, and xiaoyan, which its text names as the default. */
const VENDOR_VOICES = [
  'xiaoyun',
  'xiaogang',
  'ruoxi',
  'siqi',
  'sijia',
  'sicheng',
  'aiqi',
  'aijia',
  'aicheng',
  'aida',
  'ninger',
  'ruilin',
  'xiaomeng',
  'xiaowei',
  'amei',
  'xiaoxue',
  'xiaoyan',
];

describe('the voice list', () => {
  test('has every voice the vendor lists, in any letter case, each once', () => {
    for (const name of VENDOR_VOICES) {
      assert.equal(findVoice(name)?.name, name, name);
      assert.equal(findVoice(name.toUpperCase())?.name, name);
    }
    assert.equal(new Set(VOICES.map((v) => v.name)).size, VOICES.length);
    assert.equal(findVoice('hal9000'), undefined);
    assert.equal(DEFAULT_VOICE, 'xiaoyun', 'spec §3.1 #19 keeps xiaoyun as the default');
  });

  test('the added voices carry gender, language and age', () => {
    assert.deepEqual(
      ['xiaomeng', 'xiaowei', 'amei', 'xiaoxue', 'xiaoyan'].map((n) => findVoice(n)),
      [
        { name: 'xiaomeng', gender: 'female', age: 'adult', language: 'zh' },
        { name: 'xiaowei', gender: 'male', age: 'adult', language: 'zh' },
        { name: 'amei', gender: 'female', age: 'adult', language: 'zh' },
        { name: 'xiaoxue', gender: 'female', age: 'adult', language: 'zh' },
        { name: 'xiaoyan', gender: 'female', age: 'adult', language: 'zh-en' },
      ],
    );
  });
});

describe('the embedded rendering of each voice', () => {
  test('every name has its own espeak voice, of its own gender', () => {
    assert.equal(allEspeakVoices().length, VOICES.length);
    for (const v of VOICES) {
      const e = espeakVoiceFor(v.name);
      assert.equal(e.name, v.name, `${v.name} is not rendered as the default voice`);
      assert.equal(e.gender, v.gender);
      if (v.age === 'child') assert.ok(e.pitchPercent >= 50, `${v.name}: children are pitched up`);
    }
  });

  test('no two names share a timbre and pitch (male variant 6 is variant 1 in espeak-ng)', () => {
    const timbre = (gender: string, variant: number) => (gender === 'male' && variant === 6 ? 1 : variant);
    const seen = new Map<string, string>();
    for (const e of allEspeakVoices()) {
      const key = `${e.gender}/${timbre(e.gender, e.variant)}/${e.pitchPercent}`;
      assert.equal(seen.get(key), undefined, `${e.name} renders like ${seen.get(key)}`);
      seen.set(key, e.name);
    }
  });

  describe('measured on the audio', () => {
    const TEXT = '您好，请问您现在方便接听电话吗';
    let engine: EspeakEngine;
    before(async () => {
      engine = new EspeakEngine();
      await engine.ready();
    });
    after(() => engine.close());

    test('every pair of names differs in pitch or in spectrum', async () => {
      const prints = new Map<string, Voiceprint>();
      for (const v of VOICES) {
        prints.set(v.name, voiceprint(await engine.synthesize(ssmlFor(TEXT, espeakVoiceFor(v.name), 1))));
      }
      // Noise: the same voice twice, after other lines (espeak's output depends a little on its past).
      const again = voiceprint(await engine.synthesize(ssmlFor(TEXT, espeakVoiceFor('xiaoyun'), 1)));
      const noise = distance(prints.get('xiaoyun')!, again);
      assert.ok(noise.pitch < 0.015 && noise.spectrum < 0.3, `repeat noise ${JSON.stringify(noise)}`);
      const alike: string[] = [];
      const names = [...prints.keys()];
      for (let i = 0; i < names.length; i++) {
        for (let j = i + 1; j < names.length; j++) {
          const d = distance(prints.get(names[i]!)!, prints.get(names[j]!)!);
          // 3% is half a semitone; 0.6 dB RMS over the bands is twice the repeat noise.
          if (d.pitch < 0.03 && d.spectrum < 0.6) alike.push(`${names[i]}/${names[j]} ${JSON.stringify(d)}`);
        }
      }
      assert.deepEqual(alike, [], 'these names sound the same');
    });
  });
});

interface Voiceprint {
  /** Pitch of the voiced frames (geometric mean of the middle half), Hz. */
  f0: number;
  /** Long-term average spectrum in log-spaced bands, dB around its mean. */
  bands: number[];
}

const RATE = 22050;
const FRAME = 1024;
const BANDS = 24;
const VOICED_POWER = 1e5;

function voiceprint(pcm: Int16Array): Voiceprint {
  return { f0: typicalPitch(pcm), bands: averageSpectrum(pcm) };
}

function distance(a: Voiceprint, b: Voiceprint): { pitch: number; spectrum: number } {
  let sum = 0;
  for (let i = 0; i < BANDS; i++) sum += (a.bands[i]! - b.bands[i]!) ** 2;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { pitch: round(Math.abs(Math.log(a.f0 / b.f0))), spectrum: round(Math.sqrt(sum / BANDS)) };
}

/**
 * Autocorrelation pitch per 40 ms voiced frame every 20 ms (60–500 Hz), peak refined by a parabola;
 * the middle half of the frames is averaged, which is steadier across repeats than the median.
 */
function typicalPitch(pcm: Int16Array): number {
  const w = 882;
  const minLag = Math.floor(RATE / 500);
  const maxLag = Math.ceil(RATE / 60);
  const pitches: number[] = [];
  const r = new Float64Array(maxLag + 2);
  for (let s = 0; s + w + maxLag + 1 < pcm.length; s += w / 2) {
    let energy = 0;
    for (let i = 0; i < w; i++) energy += pcm[s + i]! ** 2;
    if (energy / w < VOICED_POWER) continue;
    let best = minLag;
    for (let lag = minLag - 1; lag <= maxLag + 1; lag++) {
      let c = 0;
      let e = 0;
      for (let i = 0; i < w; i++) {
        c += pcm[s + i]! * pcm[s + i + lag]!;
        e += pcm[s + i + lag]! ** 2;
      }
      r[lag] = c / Math.sqrt(energy * e + 1);
      if (lag >= minLag && lag <= maxLag && r[lag]! > r[best]!) best = lag;
    }
    if (r[best]! < 0.6) continue;
    const [l, m, h] = [r[best - 1]!, r[best]!, r[best + 1]!];
    const shift = l - 2 * m + h === 0 ? 0 : (0.5 * (l - h)) / (l - 2 * m + h);
    pitches.push(RATE / (best + shift));
  }
  pitches.sort((x, y) => x - y);
  const middle = pitches.slice(pitches.length >> 2, pitches.length - (pitches.length >> 2));
  return Math.exp(middle.reduce((sum, p) => sum + Math.log(p), 0) / middle.length);
}

function averageSpectrum(pcm: Int16Array): number[] {
  const fft = new RealFft(FRAME);
  const re = new Float64Array(FRAME);
  const im = new Float64Array(FRAME);
  const power = new Float64Array(FRAME / 2 + 1);
  const acc = new Float64Array(BANDS);
  let frames = 0;
  for (let s = 0; s + FRAME <= pcm.length; s += FRAME / 2) {
    let energy = 0;
    for (let i = 0; i < FRAME; i++) {
      re[i] = pcm[s + i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / FRAME));
      energy += pcm[s + i]! ** 2;
    }
    if (energy / FRAME < VOICED_POWER) continue;
    fft.power(re, im, power);
    frames++;
    for (let k = 1; k < FRAME / 2; k++) {
      acc[Math.min(BANDS - 1, Math.floor((BANDS * Math.log(k)) / Math.log(FRAME / 2)))]! += power[k]!;
    }
  }
  const db = [...acc].map((x) => 10 * Math.log10(x / frames + 1));
  const mean = db.reduce((a, b) => a + b, 0) / BANDS;
  return db.map((x) => x - mean);
}
