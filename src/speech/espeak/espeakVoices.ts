/**
 * Every SmartCall voice name as a distinct espeak-ng voice: SSML gender and variant (a timbre) plus
 * a pitch offset, so no two names sound the same (docs/speech.md has the table). Voices are dealt
 * out in list order: timbres first, then the next pitch step. Children are female timbres pitched
 * 50–70% up. The language follows the text (Han characters → Mandarin `cmn`, otherwise `en-us`),
 * since most SmartCall voices read both.
 */
import { DEFAULT_VOICE, findVoice, VOICES, type VoiceInfo } from '../voices.js';

export interface EspeakVoice {
  name: string;
  gender: 'female' | 'male';
  variant: number;
  /** Pitch change in percent (SSML prosody pitch). */
  pitchPercent: number;
}

/**
 * The SSML variants that sound different (espeak-ng 1.52, measured on the long-term spectrum):
 * female 5+ repeat 1–4, and male 6 is male 1 again (9–14 repeat 2, 3, 4, 5, 7 and 1).
 */
const FEMALE_TIMBRES = [1, 2, 3, 4];
const MALE_TIMBRES = [1, 2, 3, 4, 5, 7, 8];
/**
 * A step of 10% moves a female voice's pitch by 5–8% (about a semitone): audibly another voice. Male
 * voices move less per step, and there are few of them, so theirs are 20% apart.
 */
const FEMALE_PITCH_STEPS = [0, 10, -10, 20, -20, 30, -30, 40, -40];
const MALE_PITCH_STEPS = [0, 20, -20, 40];
const CHILD_PITCH_STEPS = [50, 60, 70];

function deal(
  voices: readonly VoiceInfo[],
  gender: EspeakVoice['gender'],
  timbres: readonly number[],
  pitches: readonly number[],
): EspeakVoice[] {
  if (voices.length > timbres.length * pitches.length) {
    // A bug in the tables above, not an input: the test suite trips on it first.
    throw new Error(
      `${voices.length} ${gender} voices but only ${timbres.length * pitches.length} renderings`,
    );
  }
  return voices.map((v, i) => ({
    name: v.name,
    gender,
    variant: timbres[i % timbres.length]!,
    pitchPercent: pitches[Math.floor(i / timbres.length)]!,
  }));
}

function build(): Map<string, EspeakVoice> {
  const adults = VOICES.filter((v) => v.age === 'adult');
  const rendered = [
    ...deal(
      adults.filter((v) => v.gender === 'female'),
      'female',
      FEMALE_TIMBRES,
      FEMALE_PITCH_STEPS,
    ),
    ...deal(
      adults.filter((v) => v.gender === 'male'),
      'male',
      MALE_TIMBRES,
      MALE_PITCH_STEPS,
    ),
    ...deal(
      VOICES.filter((v) => v.age === 'child'),
      'female',
      FEMALE_TIMBRES,
      CHILD_PITCH_STEPS,
    ),
  ];
  return new Map(rendered.map((voice) => [voice.name, voice]));
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
