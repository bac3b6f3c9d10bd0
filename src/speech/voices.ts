/**
 * The TTS voice names SmartCall accepts in `TtsStyle` / `tts_style`. The list is part of the wire
 * contract (the reply parser refuses unknown names too), so it lives in src/contract/ttsVoices.ts;
 * speech code imports it from here.
 */
export { DEFAULT_VOICE, findVoice, VOICES, type VoiceInfo } from '../contract/ttsVoices.js';
