/**
 * Every SmartCall voice name as a distinct espeak-ng voice: SSML gender and variant (espeak has 4
 * distinct female and 7 male variants) plus a pitch offset, so no two names sound the same.
 * Children are female variants pitched 50–60% up. The language follows the text (Han characters →
 * Mandarin `cmn`, otherwise `en-us`), since most SmartCall voices read both.
 */
import { DEFAULT_VOICE, findVoice, VOICES, type VoiceInfo } from '../voices.js';

export interface EspeakVoice {
  name: string;
  gender: 'female' | 'male';
  variant: number;
  /** Pitch change in percent (SSML prosody pitch). */
  pitchPercent: number;
}

const FEMALE_VARIANTS = 4;
const MALE_VARIANTS = 7;
const ADULT_PITCH_STEPS = [0, 10, -10, 20, -15, 30, -20, 40];
const CHILD_PITCH_STEPS = [50, 60, 70];

function build(): Map<string, EspeakVoice> {
  const map = new Map<string, EspeakVoice>();
  const groups: Record<string, VoiceInfo[]> = { female: [], male: [], child: [] };
  for (const v of VOICES) groups[v.age === 'child' ? 'child' : v.gender]!.push(v);
  groups.female!.forEach((v, i) => {
    map.set(v.name, {
      name: v.name,
      gender: 'female',
      variant: (i % FEMALE_VARIANTS) + 1,
      pitchPercent: ADULT_PITCH_STEPS[Math.floor(i / FEMALE_VARIANTS) % ADULT_PITCH_STEPS.length]!,
    });
  });
  groups.male!.forEach((v, i) => {
    map.set(v.name, {
      name: v.name,
      gender: 'male',
      variant: (i % MALE_VARIANTS) + 1,
      pitchPercent: ADULT_PITCH_STEPS[Math.floor(i / MALE_VARIANTS) % ADULT_PITCH_STEPS.length]!,
    });
  });
  groups.child!.forEach((v, i) => {
    map.set(v.name, {
      name: v.name,
      gender: 'female',
      variant: (i % FEMALE_VARIANTS) + 1,
      pitchPercent: CHILD_PITCH_STEPS[Math.floor(i / FEMALE_VARIANTS) % CHILD_PITCH_STEPS.length]!,
    });
  });
  return map;
}

const ESPEAK_VOICES = build();

/** The espeak rendering of a SmartCall voice name (case-insensitive); the default voice when unknown. */
export function espeakVoiceFor(name: string | undefined): EspeakVoice {
  const info = findVoice(name ?? DEFAULT_VOICE) ?? findVoice(DEFAULT_VOICE)!;
  return ESPEAK_VOICES.get(info.name)!;
}

export function allEspeakVoices(): EspeakVoice[] {
  return [...ESPEAK_VOICES.values()];
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** One line of SSML for espeak: language, voice, pitch and rate for one sentence. */
export function ssmlFor(text: string, voice: EspeakVoice, rate: number): string {
  const lang = /\p{Script=Han}/u.test(text) ? 'cmn' : 'en-us';
  const escaped = text.replace(/[&<>"]/g, (c) => XML_ESCAPES[c]!);
  const pitch = voice.pitchPercent >= 0 ? `+${voice.pitchPercent}%` : `${voice.pitchPercent}%`;
  return (
    `<speak xml:lang="${lang}"><voice gender="${voice.gender}" variant="${voice.variant}">` +
    `<prosody pitch="${pitch}" rate="${rate.toFixed(3)}">${escaped}</prosody></voice></speak>`
  );
}
