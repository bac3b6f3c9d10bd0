/**
 * Turns a VoiceCode / action_code into something the playout can play: uploaded voice files (read
 * once, kept decoded), network files (fetched through NetworkFiles), `$var$` TTS items and TTS
 * templates (`TTS_…`, their `${var}` filled from the params), spoken as they stream in. Items that
 * cannot be played are skipped with a log line naming them.
 */
import { readFile } from 'node:fs/promises';
import { parseVoiceCode, type VoiceCodeItem } from '../contract/voiceCode.js';
import type { AudioSource } from '../media/audioSource.js';
import { PcmSource } from '../media/pcmSource.js';
import { type PendingSource, SequenceSource } from '../media/sequenceSource.js';
import { readWav } from '../media/wavReader.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/repositories.js';
import { isTtsTemplateId } from './mediaIds.js';
import type { NetworkFiles } from './networkFiles.js';
import { fillTemplate } from './ttsTemplates.js';

export interface SpeechSettings {
  voice: string;
  /** TtsVolume 0–100 (0 = engine default). */
  volume: number;
  /** TtsSpeed −200…200. */
  speed: number;
}

/** The TTS the prompts use: text in, an 8 kHz source that fills as synthesis proceeds. */
export interface PromptSynthesizer {
  speak(text: string, settings: SpeechSettings): AudioSource | Promise<AudioSource>;
}

export interface PromptItemReport {
  item: VoiceCodeItem;
  /** What the item says, for transcripts (TTS text, or the file's name). */
  text: string;
}

export class PromptBuilder {
  readonly #store: Store;
  readonly #network: NetworkFiles;
  readonly #tts: PromptSynthesizer;
  readonly #log: Logger;
  /** Decoded voice files by path; small prompts, so a plain bounded map. */
  readonly #files = new Map<string, Promise<Int16Array>>();

  constructor(options: { store: Store; networkFiles: NetworkFiles; tts: PromptSynthesizer; log: Logger }) {
    this.#store = options.store;
    this.#network = options.networkFiles;
    this.#tts = options.tts;
    this.#log = options.log;
  }

  /**
   * The whole code as one source, plus what each item says and which item the source is playing
   * now (`current_media_code` names it, spec §4.3).
   */
  build(
    accountId: number,
    code: string,
    params: Record<string, string>,
    speech: SpeechSettings,
    log: Logger = this.#log,
  ): { source: AudioSource; items: PromptItemReport[]; playing?: () => VoiceCodeItem | undefined } {
    let items: VoiceCodeItem[];
    try {
      items = parseVoiceCode(code);
    } catch (err) {
      log.warn({ code, err: (err as Error).message }, 'media code cannot be played');
      return { source: new SequenceSource([]), items: [] };
    }
    const reports: PromptItemReport[] = [];
    const elements: PendingSource[] = [];
    for (const item of items) {
      if (item.kind === 'tts') {
        const text = params[item.name];
        if (text === undefined) {
          log.warn({ variable: item.name }, 'TTS variable has no value: skipped');
          continue;
        }
        reports.push({ item, text });
        elements.push(Promise.resolve(this.#tts.speak(text, speech)));
      } else if (item.kind === 'file' && isTtsTemplateId(item.id)) {
        const template = this.#store.ttsTemplates.find(accountId, item.id);
        if (!template) {
          log.warn({ templateId: item.id }, 'TTS template not found: skipped');
          continue;
        }
        const filled = fillTemplate(template.text, params);
        if ('missing' in filled) {
          log.warn(
            { templateId: item.id, missing: filled.missing },
            'TTS template variables have no value: skipped',
          );
          continue;
        }
        reports.push({ item, text: filled.text });
        elements.push(Promise.resolve(this.#tts.speak(filled.text, speech)));
      } else if (item.kind === 'file') {
        const file = this.#store.voiceFiles.find(accountId, item.id);
        if (!file) {
          log.warn({ voiceId: item.id }, 'voice file not found: skipped');
          continue;
        }
        reports.push({ item, text: `[${file.name}]` });
        elements.push(this.#decoded(file.path).then((s) => new PcmSource(s)));
      } else {
        reports.push({ item, text: `[${item.url}]` });
        elements.push(this.#network.load(item.url).then((s) => new PcmSource(s)));
      }
    }
    const source = new SequenceSource(elements, (index, err) =>
      log.warn({ item: reports[index]?.item, err: (err as Error).message }, 'media item failed: skipped'),
    );
    // Elements and reports are pushed together: the element index is the report index.
    return { source, items: reports, playing: () => reports[source.index]?.item };
  }

  #decoded(path: string): Promise<Int16Array> {
    let p = this.#files.get(path);
    if (!p) {
      p = readFile(path).then((b) => readWav(b).samples);
      p.catch(() => this.#files.delete(path));
      if (this.#files.size > 500) this.#files.clear();
      this.#files.set(path, p);
    }
    return p;
  }
}
