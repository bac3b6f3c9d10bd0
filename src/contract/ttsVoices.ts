/**
 * The TTS voice names SmartCall accepts in `TtsStyle` and a reply's `tts_style` (spec §3.1 #19,
 * §4.4): Alibaba's intelligent-speech voice list. It lives in the contract because both the request
 * and the reply refuse a name that is not here; each entry carries what an engine needs to pick a
 * matching voice of its own (docs/speech.md has the table).
 */
export interface VoiceInfo {
  name: string;
  gender: 'female' | 'male';
  age: 'adult' | 'child';
  /** Main language; `zh-en` voices read mixed Mandarin and English. */
  language: 'zh' | 'en' | 'zh-en';
}

const v = (
  name: string,
  gender: VoiceInfo['gender'],
  language: VoiceInfo['language'],
  age: VoiceInfo['age'] = 'adult',
) => ({ name, gender, age, language }) satisfies VoiceInfo;

/**
 * Order matters to the embedded TTS, which hands out its voice variants in this order: new names
 * go at the end, so that the existing names keep their sound.
 */
export const VOICES: readonly VoiceInfo[] = [
  v('xiaoyun', 'female', 'zh-en'),
  v('xiaogang', 'male', 'zh-en'),
  v('ruoxi', 'female', 'zh-en'),
  v('siqi', 'female', 'zh-en'),
  v('sijia', 'female', 'zh-en'),
  v('sicheng', 'male', 'zh-en'),
  v('aiqi', 'female', 'zh-en'),
  v('aijia', 'female', 'zh-en'),
  v('aicheng', 'male', 'zh-en'),
  v('aida', 'male', 'zh-en'),
  v('ninger', 'female', 'zh'),
  v('ruilin', 'female', 'zh'),
  v('siyue', 'female', 'zh-en'),
  v('aiya', 'female', 'zh-en'),
  v('aixia', 'female', 'zh-en'),
  v('aimei', 'female', 'zh-en'),
  v('aiyu', 'female', 'zh-en'),
  v('aiyue', 'female', 'zh-en'),
  v('aijing', 'female', 'zh-en'),
  v('xiaomei', 'female', 'zh-en'),
  v('aina', 'female', 'zh'),
  v('yina', 'female', 'zh'),
  v('sijing', 'female', 'zh'),
  v('sitong', 'female', 'zh', 'child'),
  v('xiaobei', 'female', 'zh', 'child'),
  v('aitong', 'female', 'zh', 'child'),
  v('aiwei', 'female', 'zh', 'child'),
  v('aibao', 'female', 'zh', 'child'),
  v('shanshan', 'female', 'zh'),
  v('qingqing', 'female', 'zh'),
  v('cuijie', 'female', 'zh'),
  v('xiaoze', 'male', 'zh'),
  v('aishuo', 'male', 'zh-en'),
  v('harry', 'male', 'en'),
  v('abby', 'female', 'en'),
  v('andy', 'male', 'en'),
  v('eric', 'male', 'en'),
  v('emily', 'female', 'en'),
  v('luna', 'female', 'en'),
  v('luca', 'male', 'en'),
  v('wendy', 'female', 'en'),
  v('william', 'male', 'en'),
  v('olivia', 'female', 'en'),
  v('lydia', 'female', 'zh-en'),
  // The rest of the vendor's 16-voice list, and xiaoyan, which the vendor text names as the default
  // (the default here stays xiaoyun, as spec §3.1 #19 and the vendor's example have it). The vendor
  // gives neither gender nor language for these five: both are our reading of the names.
  v('xiaomeng', 'female', 'zh'),
  v('xiaowei', 'male', 'zh'),
  v('amei', 'female', 'zh'),
  v('xiaoxue', 'female', 'zh'),
  v('xiaoyan', 'female', 'zh-en'),
];

const BY_NAME = new Map(VOICES.map((voice) => [voice.name, voice]));

export const DEFAULT_VOICE = 'xiaoyun';

/** Voice names are matched case-insensitively, as the real service does. */
export function findVoice(name: string): VoiceInfo | undefined {
  return BY_NAME.get(name.toLowerCase());
}
