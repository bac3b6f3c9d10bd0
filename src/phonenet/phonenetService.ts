/**
 * The virtual phone network as a service, from configuration: loads the persona files, picks the
 * voice (the speech layer's espeak-ng TTS unless told otherwise, falling back to the synthetic voice
 * when it cannot start), and starts the carrier. Used by `smartcall phonenet` and by `smartcall
 * serve` in embedded mode. It owns the carrier and any TTS it created; `close()` releases both.
 */
import { join } from 'node:path';
import type { MediaClock } from '../media/mediaClock.js';
import type { Logger } from '../observability/logger.js';
import type { Tts } from '../speech/tts.js';
import { Carrier } from './carrier.js';
import { loadPersonaFile } from './personaFile.js';
import type { Persona } from './personaSchema.js';
import type { PersonaVoice } from './personaVoice.js';
import type { PhonenetConfig } from './phonenetConfig.js';
import { TtsPersonaVoice } from './speechVoice.js';
import { SyntheticVoice } from './syntheticVoice.js';

export type VoiceChoice = 'espeak' | 'synthetic' | PersonaVoice;

export interface PhonenetServiceOptions {
  config: PhonenetConfig;
  /** smartcall's data directory: the run directory defaults to `<dataDir>/phonenet`. */
  dataDir: string;
  /** Default 'espeak'. A PersonaVoice given here stays the caller's to release. */
  voice?: VoiceChoice;
  /** Share the platform's media clock (embedded mode). */
  clock?: MediaClock;
  /** Media worker threads for the callees' media (the platform's `media.workers`). */
  mediaWorkers?: number;
  /** Synthesize every persona phrase at start-up (default true; a one-off `dial` skips it). */
  warmUp?: boolean;
  logger: Logger;
}

export class PhonenetService {
  readonly carrier: Carrier;
  /** Which voice the personas speak with ('espeak', 'synthetic' or 'custom'). */
  readonly voiceName: string;
  readonly #tts: Tts | undefined;

  private constructor(carrier: Carrier, voiceName: string, tts: Tts | undefined) {
    this.carrier = carrier;
    this.voiceName = voiceName;
    this.#tts = tts;
  }

  static async start(options: PhonenetServiceOptions): Promise<PhonenetService> {
    const { config, logger } = options;
    const personas: Persona[] = config.personasFiles.flatMap((file) => loadPersonaFile(file));
    const { voice, name, tts } = await pickVoice(options.voice ?? 'espeak', logger);
    try {
      const carrier = await Carrier.create({
        address: config.address,
        sipPort: config.sipPort,
        rtpPortMin: config.rtpPortMin,
        rtpPortMax: config.rtpPortMax,
        personas,
        voice,
        runDir: config.runDir ?? join(options.dataDir, 'phonenet'),
        keepCalls: config.keepCalls,
        acceptNonLoopback: config.acceptNonLoopback,
        allowedSources: config.allowedSources,
        ...(options.clock && { clock: options.clock }),
        ...(options.mediaWorkers && { mediaWorkers: options.mediaWorkers }),
        ...(options.warmUp === false && { warmUp: false }),
        logger,
      });
      return new PhonenetService(carrier, name, tts);
    } catch (err) {
      await tts?.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.carrier.close();
    await this.#tts?.close();
  }
}

async function pickVoice(
  choice: VoiceChoice,
  log: Logger,
): Promise<{ voice: PersonaVoice; name: string; tts: Tts | undefined }> {
  if (typeof choice !== 'string') return { voice: choice, name: 'custom', tts: undefined };
  if (choice === 'synthetic') return { voice: new SyntheticVoice(), name: 'synthetic', tts: undefined };
  let tts: (Tts & { ready(): Promise<void> }) | undefined;
  try {
    const { EspeakTts } = await import('../speech/espeak/espeakTts.js');
    tts = new EspeakTts();
    await tts.ready();
    return { voice: new TtsPersonaVoice(tts), name: 'espeak', tts };
  } catch (err) {
    await tts?.close().catch(() => undefined);
    log.warn(
      { err: (err as Error).message },
      'phonenet: espeak-ng TTS unavailable, personas use the synthetic voice',
    );
    return { voice: new SyntheticVoice(), name: 'synthetic', tts: undefined };
  }
}
