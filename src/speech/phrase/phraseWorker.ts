/**
 * Worker thread that runs soundswallower (pocketsphinx in WASM). Decoding is synchronous and costs
 * about a tenth of the audio's duration, so it must not run on the thread that drives the 20 ms
 * media clock. One WASM module per worker; decoders stay warm (init ≈ 270 ms each): one phone-loop
 * decoder shared by every grammar, and an LRU of grammar decoders keyed by the grammar's hash.
 *
 * Decoder settings, measured on the bench set (espeak voices through µ-law):
 * - `fsgusefiller: false`: with silence fillers the search explains most of a male voice's speech
 *   as silence plus a short phrase (en-us 25/35 → 34/35 with fillers off and edges trimmed).
 * - Rejection needs a score to compare: each utterance is decoded twice, with the phrase grammar
 *   and with a free phone loop; their per-frame score difference is the confidence (a likelihood
 *   ratio), and frames per phone of the matched phrase catch long sentences forced onto short
 *   phrases. The decision thresholds live on the main thread (phraseRecognizer.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import createModule from 'soundswallower';
import { trimSilence } from './energyTrim.js';
import type { CompiledGrammar } from './phraseGrammar.js';

export interface RecognizeRequest {
  id: number;
  grammar: CompiledGrammar;
  samples: Int16Array;
}

export interface RawRecognition {
  /** Decoder word sequence ('' when the grammar search ended nowhere). */
  sequence: string;
  /** Grammar score minus phone-loop score, per 10 ms frame. */
  scorePerFrame: number;
  frames: number;
  decodeMs: number;
}

export type WorkerReply =
  | { kind: 'result'; id: number; result: RawRecognition }
  | { kind: 'error'; id: number; error: string }
  | { kind: 'ready' }
  | { kind: 'failed'; error: string };

interface SsDecoder {
  cdecoder: number;
  initialize(): Promise<void>;
  set_config(key: string, value: string | number | boolean): boolean;
  add_words(...words: [string, string][]): void;
  set_grammar(jsgf: string): void;
  start(): void;
  process_audio(pcm: Float32Array, noSearch?: boolean, fullUtt?: boolean): number;
  stop(): void;
  get_text(): string;
  delete(): void;
}

interface SsModule {
  Decoder: new (config: Record<string, string | number | boolean>) => SsDecoder;
  _malloc(bytes: number): number;
  _decoder_hyp(decoder: number, scoreOut: number): number;
  HEAP32: Int32Array;
}

const { modelDir, maxGrammars } = workerData as { modelDir: string; maxGrammars: number };

async function main(): Promise<void> {
  const port = parentPort!;
  let ss: SsModule;
  let loop: SsDecoder;
  try {
    ss = (await createModule()) as unknown as SsModule;
    loop = await newDecoder(ss);
    const phones = (await import('node:fs')).readFileSync(`${modelDir}/phoneset.json`, 'utf8');
    const names = Object.keys(JSON.parse(phones) as Record<string, string>).filter((p) => /^[A-Z]+$/.test(p));
    loop.add_words(...names.map((p): [string, string] => [`ph_${p.toLowerCase()}`, p]));
    loop.set_grammar(
      `#JSGF V1.0;\ngrammar loop;\npublic <loop> = (${names.map((p) => `ph_${p.toLowerCase()}`).join(' | ')})+;\n`,
    );
  } catch (err) {
    port.postMessage({ kind: 'failed', error: (err as Error).message } satisfies WorkerReply);
    return;
  }
  const scoreSlot = ss._malloc(4);
  const grammars = new Map<string, SsDecoder>();
  port.postMessage({ kind: 'ready' } satisfies WorkerReply);

  const decode = (decoder: SsDecoder, audio: Float32Array): { text: string; score: number } => {
    decoder.start();
    decoder.process_audio(audio, false, true);
    decoder.stop();
    const text = decoder.get_text().trim();
    ss._decoder_hyp(decoder.cdecoder, scoreSlot);
    return { text, score: ss.HEAP32[scoreSlot >> 2]! };
  };

  port.on('message', async (msg: RecognizeRequest) => {
    try {
      let decoder = grammars.get(msg.grammar.key);
      if (decoder) {
        grammars.delete(msg.grammar.key);
      } else {
        decoder = await newDecoder(ss);
        if (msg.grammar.words.length > 0) decoder.add_words(...msg.grammar.words);
        decoder.set_grammar(msg.grammar.jsgf);
        if (grammars.size >= maxGrammars) {
          const [oldest, old] = grammars.entries().next().value as [string, SsDecoder];
          grammars.delete(oldest);
          old.delete();
        }
      }
      grammars.set(msg.grammar.key, decoder);
      const started = performance.now();
      const trimmed = trimSilence(msg.samples);
      const audio = new Float32Array(trimmed.length);
      for (let i = 0; i < trimmed.length; i++) audio[i] = trimmed[i]! / 32768;
      const frames = Math.max(1, Math.round(trimmed.length / 80));
      if (trimmed.length < 1600) {
        // Under 0.2 s of audio: nothing a phrase could be.
        reply({ sequence: '', scorePerFrame: Number.NEGATIVE_INFINITY, frames, decodeMs: 0 });
        return;
      }
      const g = decode(decoder, audio);
      const l = g.text ? decode(loop, audio) : { text: '', score: 0 };
      reply({
        sequence: g.text,
        scorePerFrame: g.text ? (g.score - l.score) / frames : Number.NEGATIVE_INFINITY,
        frames,
        decodeMs: performance.now() - started,
      });
    } catch (err) {
      port.postMessage({ kind: 'error', id: msg.id, error: (err as Error).message } satisfies WorkerReply);
    }

    function reply(result: RawRecognition): void {
      port.postMessage({ kind: 'result', id: msg.id, result } satisfies WorkerReply);
    }
  });
}

async function newDecoder(ss: SsModule): Promise<SsDecoder> {
  const decoder = new ss.Decoder({
    samprate: 8000,
    loglevel: 'FATAL',
    hmm: modelDir,
    dict: `${modelDir}/dict.txt`,
  });
  await decoder.initialize();
  decoder.set_config('fsgusefiller', false);
  return decoder;
}

void main();
