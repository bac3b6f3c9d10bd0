/**
 * Turns a VoiceCode / action_code into something the playout can play: uploaded voice files (read
 * once, kept decoded), network files (fetched through NetworkFiles), `$var$` TTS items and TTS
 * templates (`TTS_…`, their `${var}` filled from the params), spoken as they stream in.
 *
 * An audio item that cannot be had (a voice file gone or undecodable, a network file that cannot be
 * fetched or decoded) is logged when its failure is known, naming the item and why; when the
 * playout reaches it, the caller's `onUnplayable` learns it (the call ends with 200006, spec §5.5.2)
 * — without one the item is skipped. Items before it play as usual.
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

/** An item of a prompt that could not be played, and why. */
export interface PromptFailure {
  item: VoiceCodeItem;
  /** The item as written: its URL or voice file ID. */
  name: string;
  /** NetworkFileError's code for network files; `NOT_FOUND` / `DECODE` for voice files. */
  code: string;
  reason: string;
}

/**
 * Stands in for an item that failed: plays nothing and, when the playout reaches it, reports the
 * failure once — after the read, not inside it (the read runs on the media tick).
 */
class UnplayableSource implements AudioSource {
  #reported = false;
  constructor(readonly report: () => void) {}
  get done(): boolean {
    return true;
  }
  read(): number {
    if (!this.#reported) {
      this.#reported = true;
      queueMicrotask(this.report);
    }
    return 0;
  }
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
    onUnplayable?: (failure: PromptFailure) => void,
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
    const elementItems: VoiceCodeItem[] = [];
    const add = (item: VoiceCodeItem, element: PendingSource) => {
      elements.push(element);
      elementItems.push(item);
    };
    const unplayable = (failure: PromptFailure): PendingSource => {
      log.warn(
        { item: failure.name, code: failure.code, err: failure.reason },
        'prompt item cannot be played',
      );
      return onUnplayable
        ? new UnplayableSource(() => onUnplayable(failure))
        : Promise.reject(new Error(failure.reason));
    };
    const audio = (
      item: VoiceCodeItem,
      name: string,
      samples: Promise<Int16Array>,
      code: string,
    ): PendingSource =>
      samples.then(
        (s) => new PcmSource(s),
        (err: Error & { code?: unknown }) =>
          unplayable({
            item,
            name,
            code: typeof err.code === 'string' ? err.code : code,
            reason: err.message,
          }),
      );
    for (const item of items) {
      if (item.kind === 'tts') {
        const text = params[item.name];
        if (text === undefined) {
          log.warn({ variable: item.name }, 'TTS variable has no value: skipped');
          continue;
        }
        reports.push({ item, text });
        add(item, Promise.resolve(this.#tts.speak(text, speech)));
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
        add(item, Promise.resolve(this.#tts.speak(filled.text, speech)));
      } else if (item.kind === 'file') {
        const file = this.#store.voiceFiles.find(accountId, item.id);
        if (!file) {
          add(
            item,
            unplayable({ item, name: item.id, code: 'NOT_FOUND', reason: `voice file ${item.id} not found` }),
          );
          continue;
        }
        reports.push({ item, text: `[${file.name}]` });
        add(item, audio(item, item.id, this.#decoded(file.path), 'DECODE'));
      } else {
        reports.push({ item, text: `[${item.url}]` });
        add(item, audio(item, item.url, this.#network.load(item.url), 'FETCH'));
      }
    }
    const source = new SequenceSource(elements, (index, err) =>
      log.warn({ item: elementItems[index], err: (err as Error).message }, 'media item failed: skipped'),
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
