/**
 * Composition of the speech layer: builds the embedded engines and the configured adapters at
 * start-up, probes each adapter (model folder loads, server answers), reports the result, and
 * hands calls the engine their account and ASR model select, falling back to the embedded engines
 * for anything missing or unhealthy. An engine that is down (at start-up, or since a call found it
 * down) is probed again every `reprobeMs` on the clock and used by new calls once a probe passes.
 * A call's stream on a configured engine reconnects and falls back by itself
 * (resilientAsrStream.ts). It owns every engine and closes them all.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Clock, systemClock } from '../clock/clock.js';
import type { Logger } from '../observability/logger.js';
import type { WorkerPoolLoad } from '../workers/workerPool.js';
import { FunAsrEngine, probeFunAsr } from './adapters/funAsrEngine.js';
import { NlsAsrEngine, probeNlsTranscription } from './adapters/nlsAsrEngine.js';
import { NlsTokenProvider } from './adapters/nlsToken.js';
import { NlsTts, probeNlsSynthesis } from './adapters/nlsTts.js';
import { SherpaAsrEngine } from './adapters/sherpaAsrEngine.js';
import { inspectSherpaModel, inspectSileroModel } from './adapters/sherpaModel.js';
import { probeSherpa } from './adapters/sherpaProbe.js';
import { SileroVad } from './adapters/sileroVad.js';
import { probeVosk, VoskAsrEngine } from './adapters/voskAsrEngine.js';
import type { AsrEngine } from './asr.js';
import { EARLY_MEDIA_MODEL, EARLY_MEDIA_PHRASES } from './earlyMediaPhrases.js';
import { EspeakTts } from './espeak/espeakTts.js';
import { BUILTIN_PHRASE_MODELS, DEFAULT_BASE_MODEL } from './phrase/builtinPhrases.js';
import { PhraseAsrEngine } from './phrase/phraseAsrEngine.js';
import { PhraseDecoderPool } from './phrase/phraseDecoderPool.js';
import { PhraseRecognizer } from './phrase/phraseRecognizer.js';
import { ResilientAsrStream } from './resilientAsrStream.js';
import { SpectralVad } from './spectralVad.js';
import type { AsrEngineConfig, SpeechConfig, TtsEngineConfig } from './speechConfig.js';
import type { Tts } from './tts.js';
import type { Vad } from './vad.js';

/** A SmartCall-visible problem with AsrBaseId / AsrModelId; `code` is the API's business code. */
export class AsrModelError extends Error {
  readonly code: 'isv.ASR_MODEL_ERROR' | 'isv.INVALID_PARAMETERS';
  constructor(code: AsrModelError['code'], message: string) {
    super(message);
    this.name = 'AsrModelError';
    this.code = code;
  }
}

/** What speech needs of a stored ASR model (the store's record has this shape; speech sits below it). */
export interface AsrModelPhrases {
  id: string;
  name: string;
  /** When the model was last written (a changed model gets a fresh recognizer). */
  createdAt: number;
  /** One phrase per line, optional pronunciation after a tab. */
  phrases: string;
}

export interface EngineHealth {
  name: string;
  role: 'asr' | 'tts' | 'vad';
  type: string;
  ok: boolean;
  detail?: string;
}

export interface AsrSelection {
  accountId?: number;
  accountName?: string;
  asrBaseId?: string;
  asrModelId?: string;
  /**
   * Phrases expected beside the base model's (a dialog script's intents): added to the embedded
   * grammar, given to a remote engine as hot words. Not used with `asrModelId`.
   */
  phrases?: readonly string[];
}

export interface SpeechEnginesOptions {
  config: SpeechConfig;
  /** Account phrase models (the store's `asrModels` repository). */
  asrModels?: { find(accountId: number, id: string): AsrModelPhrases | undefined };
  log?: Logger;
  /** Skip the embedded TTS (CLI commands that only recognise). */
  withoutTts?: boolean;
  /** Times re-probes (default the system clock). */
  clock?: Clock;
  /** The sherpa-onnx addon module (default sherpa-onnx-node; tests name a stand-in). */
  sherpaAddon?: string;
}

type AsrFactory = (hotwords?: string[], asrModelId?: string) => AsrEngine;

export class SpeechEngines {
  readonly health: EngineHealth[] = [];
  readonly #config: SpeechConfig;
  readonly #options: SpeechEnginesOptions;
  readonly #pool: PhraseDecoderPool;
  readonly #embeddedTts: EspeakTts | null;
  readonly #asrFactories = new Map<string, AsrFactory>();
  readonly #tts = new Map<string, Tts>();
  readonly #engines = new Map<string, AsrEngine>();
  /** NLS engines' tokens by `asr:name` / `tts:name`: an engine whose fixed token was refused is skipped. */
  readonly #nlsTokens = new Map<string, NlsTokenProvider>();
  readonly #nlsTokenSources = new Map<string, NlsTokenProvider>();
  #sileroModel: string | null = null;
  #closed = false;
  readonly #clock: Clock;
  /** Engines that are down, by `role:name`: probed again every `reprobeMs`. */
  readonly #down = new Map<string, { role: 'asr' | 'tts'; name: string }>();
  #reprobeTimer: unknown;
  #reprobing = false;

  private constructor(options: SpeechEnginesOptions) {
    this.#options = options;
    this.#config = options.config;
    this.#clock = options.clock ?? systemClock;
    const e = options.config.asr.embedded;
    this.#pool = new PhraseDecoderPool({
      workers: e.workers,
      niceness: e.niceness,
      maxGrammars: e.maxGrammars,
      log: options.log,
    });
    this.#embeddedTts = options.withoutTts
      ? null
      : new EspeakTts({
          workers: options.config.tts.embedded.workers,
          cacheBytes: options.config.tts.embedded.cacheBytes,
        });
  }

  /** Builds and probes everything; never throws for an adapter (it is reported and skipped). */
  static async start(options: SpeechEnginesOptions): Promise<SpeechEngines> {
    const engines = new SpeechEngines(options);
    await engines.#probe();
    return engines;
  }

  async #probe(): Promise<void> {
    const log = this.#options.log;
    const report = (h: EngineHealth) => {
      this.health.push(h);
      if (h.ok) log?.info({ engine: h.name, role: h.role, type: h.type }, 'speech engine ready');
      else
        log?.error(
          { engine: h.name, role: h.role, type: h.type, detail: h.detail },
          'speech engine unavailable; using the embedded engine',
        );
    };
    await Promise.all([
      this.#pool.ready().then(
        () => report({ name: 'embedded', role: 'asr', type: 'phrase', ok: true }),
        (err: Error) =>
          report({ name: 'embedded', role: 'asr', type: 'phrase', ok: false, detail: err.message }),
      ),
      this.#embeddedTts?.ready().then(
        () => report({ name: 'embedded', role: 'tts', type: 'espeak', ok: true }),
        (err: Error) =>
          report({ name: 'embedded', role: 'tts', type: 'espeak', ok: false, detail: err.message }),
      ),
      ...Object.entries(this.#config.asr.engines).map(async ([name, c]) => {
        const detail = await this.#probeAsr(name, c);
        report({ name, role: 'asr', type: c.type, ok: detail === null, detail: detail ?? undefined });
        if (detail !== null) this.#down.set(`asr:${name}`, { role: 'asr', name });
      }),
      ...Object.entries(this.#config.tts.engines).map(async ([name, c]) => {
        const detail = await this.#probeTts(name, c);
        report({ name, role: 'tts', type: c.type, ok: detail === null, detail: detail ?? undefined });
        if (detail !== null) this.#down.set(`tts:${name}`, { role: 'tts', name });
      }),
    ]);
    this.#scheduleReprobe();
    const vad = this.#config.vad;
    if (vad.engine === 'silero') {
      try {
        // Checked, then loaded in a child first: a bad file aborts whatever process loads it.
        const path = inspectSileroModel(vad.sileroModel ?? '');
        await probeSherpa({ kind: 'silero', path });
        this.#sileroModel = path;
        report({ name: 'silero', role: 'vad', type: 'silero', ok: true });
      } catch (err) {
        report({ name: 'silero', role: 'vad', type: 'silero', ok: false, detail: (err as Error).message });
      }
    }
  }

  async #probeAsr(name: string, c: AsrEngineConfig): Promise<string | null> {
    try {
      if (c.type === 'sherpa') {
        // Kind from the files' metadata, then a load in a child process: only a model that
        // survived both is loaded here (in the engine's decode thread).
        const model = inspectSherpaModel(c.modelDir);
        if (model.kind === 'tts-vits') return `${c.modelDir} holds a TTS model, not an ASR model`;
        const addon = this.#options.sherpaAddon;
        await probeSherpa({ kind: 'asr', model, numThreads: c.numThreads }, { addon });
        const engine = new SherpaAsrEngine({
          model,
          addon,
          numThreads: c.numThreads,
          createVad: () => this.createVad(),
          timeoutMs: c.timeoutMs,
          log: this.#options.log,
        });
        try {
          await engine.ready();
        } catch (err) {
          await engine.close(); // no thread respawning in the background for an engine that is down
          throw err;
        }
        this.#engines.set(name, engine);
        this.#asrFactories.set(name, (hotwords) =>
          hotwords?.length ? engine.withHotwords(hotwords) : engine,
        );
        return null;
      }
      if (c.type === 'nls') {
        const tokens = this.#nlsTokenProvider(`asr:${name}`, c);
        const nls = (asrModelId?: string) => {
          const ids = asrModelId ? c.models[asrModelId] : undefined;
          return {
            url: c.url,
            appKey: c.appKey,
            tokens,
            timeoutMs: c.timeoutMs,
            vocabularyId: ids?.vocabularyId ?? c.vocabularyId,
            customizationId: ids?.customizationId ?? c.customizationId,
          };
        };
        const failure = await probeNlsTranscription(nls());
        if (failure) return failure;
        this.#asrFactories.set(name, (_hotwords, asrModelId) => new NlsAsrEngine(nls(asrModelId)));
        return null;
      }
      if (c.type === 'funasr') {
        const tls = {
          ca: c.caFile ? readCaFile(c.caFile) : undefined,
          rejectUnauthorized: c.tlsVerify,
        };
        const failure = await probeFunAsr({ url: c.url, mode: c.mode, timeoutMs: c.timeoutMs, ...tls });
        if (failure) return failure;
        this.#asrFactories.set(
          name,
          (hotwords) =>
            new FunAsrEngine({ url: c.url, mode: c.mode, timeoutMs: c.timeoutMs, hotwords, ...tls }),
        );
        return null;
      }
      const failure = await probeVosk({ url: c.url, timeoutMs: c.timeoutMs });
      if (failure) return failure;
      this.#asrFactories.set(
        name,
        (phrases) => new VoskAsrEngine({ url: c.url, timeoutMs: c.timeoutMs, phrases }),
      );
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  async #probeTts(name: string, c: TtsEngineConfig): Promise<string | null> {
    try {
      if (c.type === 'sherpa') {
        const model = inspectSherpaModel(c.modelDir);
        if (model.kind !== 'tts-vits') return `${c.modelDir} is not a TTS model (found ${model.kind})`;
        return 'sherpa-onnx TTS is not wired yet (model folder found)';
      }
      const tokens = this.#nlsTokenProvider(`tts:${name}`, c);
      const options = {
        url: c.url,
        appKey: c.appKey,
        tokens,
        timeoutMs: c.timeoutMs,
        fallback: this.#embeddedTts ?? undefined,
        log: this.#options.log,
        name,
      };
      const failure = await probeNlsSynthesis(options);
      if (failure) return failure;
      this.#tts.set(name, new NlsTts(options));
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** The token source of an NLS engine; a fixed (console) token is announced as one that expires. */
  #nlsTokenProvider(key: string, c: Extract<AsrEngineConfig, { type: 'nls' }>): NlsTokenProvider {
    const name = key.slice(key.indexOf(':') + 1);
    // Engines with the same credentials share one provider: one CreateToken, one refusal.
    const credentials = JSON.stringify([c.token, c.accessKeyId, c.accessKeySecret, c.tokenEndpoint]);
    let tokens = this.#nlsTokenSources.get(credentials);
    if (!tokens) {
      tokens = new NlsTokenProvider({ ...c, log: this.#options.log, name });
      this.#nlsTokenSources.set(credentials, tokens);
      if (tokens.fixed)
        this.#options.log?.warn(
          { engine: name },
          'NLS engine uses a fixed token: a console token expires 24 h after it was issued; give accessKeyId and accessKeySecret to have tokens renewed',
        );
    }
    this.#nlsTokens.set(key, tokens);
    return tokens;
  }

  #setHealth(h: EngineHealth): void {
    const i = this.health.findIndex((x) => x.name === h.name && x.role === h.role);
    if (i >= 0) this.health[i] = h;
    else this.health.push(h);
  }

  #scheduleReprobe(): void {
    if (this.#closed || this.#down.size === 0 || this.#reprobeTimer !== undefined) return;
    this.#reprobeTimer = this.#clock.setTimer(() => {
      this.#reprobeTimer = undefined;
      void this.#reprobe();
    }, this.#config.reprobeMs);
  }

  /** Probes every engine that is down once more; one that passes is used by new calls. */
  async #reprobe(): Promise<void> {
    if (this.#closed || this.#reprobing) return;
    this.#reprobing = true;
    try {
      await Promise.all(
        [...this.#down].map(async ([key, { role, name }]) => {
          const c = role === 'asr' ? this.#config.asr.engines[name] : this.#config.tts.engines[name];
          if (!c) return;
          const detail =
            role === 'asr'
              ? await this.#probeAsr(name, c as AsrEngineConfig)
              : await this.#probeTts(name, c as TtsEngineConfig);
          if (this.#closed) {
            if (role === 'asr') await this.#engines.get(name)?.close(); // loaded while closing
            return;
          }
          if (detail === null) {
            this.#down.delete(key);
            this.#setHealth({ name, role, type: c.type, ok: true });
            this.#options.log?.info(
              { engine: name, role, type: c.type },
              'speech engine is up: new calls use it',
            );
          } else this.#setHealth({ name, role, type: c.type, ok: false, detail });
        }),
      );
    } finally {
      this.#reprobing = false;
      this.#scheduleReprobe();
    }
  }

  /**
   * A call found a remote engine down (it failed again right after reconnecting): new calls use the
   * embedded engine until a re-probe passes. sherpa-onnx engines stay (their decode thread restarts).
   */
  #markDown(name: string, detail: string): void {
    const c = this.#config.asr.engines[name];
    if (!c || c.type === 'sherpa' || this.#closed || this.#down.has(`asr:${name}`)) return;
    this.#asrFactories.delete(name);
    this.#down.set(`asr:${name}`, { role: 'asr', name });
    this.#setHealth({ name, role: 'asr', type: c.type, ok: false, detail });
    this.#options.log?.error(
      { engine: name, role: 'asr', type: c.type, detail },
      'speech engine down: new calls use the embedded engine until it answers a probe',
    );
    this.#scheduleReprobe();
  }

  /** A fresh detector for one call. */
  createVad(): Vad {
    if (this.#sileroModel) {
      try {
        return new SileroVad(this.#sileroModel);
      } catch {
        // fall through to the embedded detector
      }
    }
    return new SpectralVad();
  }

  /**
   * The recognizer for a call. AsrModelId (an account phrase model) wins over AsrBaseId; a
   * configured engine for the model, the account, the base model or the default wins over the
   * embedded one.
   */
  asr(selection: AsrSelection = {}): AsrEngine {
    if (this.#closed) throw new Error('speech engines are closed');
    const e = this.#config.asr;
    if (selection.asrModelId) {
      const record =
        selection.accountId === undefined
          ? undefined
          : this.#options.asrModels?.find(selection.accountId, selection.asrModelId);
      if (!record)
        throw new AsrModelError(
          'isv.ASR_MODEL_ERROR',
          `ASR model ${selection.asrModelId} not found for this account`,
        );
      const phrases = record.phrases
        .split(/\r?\n/)
        .map((l) => l.split('\t')[0]!.trim())
        .filter(Boolean);
      const name =
        e.models[record.id] ??
        (selection.accountName ? e.accounts[selection.accountName] : undefined) ??
        e.default;
      const embedded = () =>
        this.#phraseEngine(`model:${record.id}:${record.createdAt}`, record.name, record.phrases);
      // Keyed by the record's version too: an edited model's phrases (hot words, Vosk grammar) reach
      // new calls without a restart, as they do for the embedded engine.
      const remote = this.#remote(name, `model:${record.id}:${modelVersion(record)}`, phrases, record.id);
      return remote && name ? this.#resilient(name, remote, embedded) : embedded();
    }
    const base = selection.asrBaseId || DEFAULT_BASE_MODEL;
    const builtin = base === EARLY_MEDIA_MODEL ? EARLY_MEDIA_PHRASES : BUILTIN_PHRASE_MODELS[base];
    if (!builtin)
      throw new AsrModelError('isv.INVALID_PARAMETERS', `AsrBaseId ${base} is not a known base model`);
    const name =
      (selection.accountName ? e.accounts[selection.accountName] : undefined) ??
      e.baseModels[base] ??
      e.default;
    const known = new Set(builtin.split('\n').map((l) => l.split('\t')[0]!.trim()));
    const extra = [
      ...new Set(
        selection.phrases?.map((p) =>
          p
            .toLowerCase()
            .replace(/[^\p{L}\p{N}']+/gu, ' ')
            .trim(),
        ) ?? [],
      ),
    ].filter((p) => p && !known.has(p));
    if (extra.length > 0) {
      // One engine per distinct phrase list (a script's), kept like an ASR model's.
      const digest = createHash('sha256').update(extra.join('\n')).digest('hex').slice(0, 16);
      const grammar = `${builtin}\n${extra.join('\n')}`;
      const embedded = () => this.#phraseEngine(`base:${base}:${digest}`, base, grammar);
      const remote = this.#remote(name, `base:${base}:${digest}`, extra);
      return remote && name ? this.#resilient(name, remote, embedded) : embedded();
    }
    const embedded = () => this.#phraseEngine(`base:${base}`, base, builtin);
    const remote = this.#remote(name, `base:${base}`);
    return remote && name ? this.#resilient(name, remote, embedded) : embedded();
  }

  /** A configured engine whose streams reconnect, and fall back to `embedded` when it stays down. */
  #resilient(name: string, remote: AsrEngine, embedded: () => AsrEngine): AsrEngine {
    const c = this.#config.asr.engines[name];
    // Offline sherpa models answer through our VAD segmentation, which starts a little after the
    // call's sentence end and bounds each recognition by timeoutMs itself: leave it that margin.
    const timeoutMs = (c?.timeoutMs ?? 5000) + (c?.type === 'sherpa' ? 1000 : 0);
    return {
      name: remote.name,
      createStream: (options) =>
        new ResilientAsrStream({
          ...options,
          engine: name,
          open: (o) => remote.createStream(o),
          fallback: (o) => embedded().createStream(o),
          onDown: (detail) => this.#markDown(name, detail),
          timeoutMs,
          clock: this.#clock,
        }),
      close: async () => {}, // the engines are SpeechEngines'
    };
  }

  /** TTS for an account: its configured engine when healthy, else the default, else embedded. */
  tts(accountName?: string): Tts {
    const t = this.#config.tts;
    const name = (accountName ? t.accounts[accountName] : undefined) ?? t.default;
    const remote = name ? this.#tts.get(name) : undefined;
    if (remote && !this.#nlsTokens.get(`tts:${name}`)?.refused) return remote;
    if (!this.#embeddedTts) throw new Error('embedded TTS was not started');
    return this.#embeddedTts;
  }

  #remote(name: string | undefined, key: string, hotwords?: string[], asrModelId?: string): AsrEngine | null {
    if (!name) return null;
    const factory = this.#asrFactories.get(name);
    if (!factory) return null; // unknown or unhealthy: reported at start-up
    if (this.#nlsTokens.get(`asr:${name}`)?.refused) return null; // logged when it was refused
    const cacheKey = `${name}|${key}`;
    let engine = this.#engines.get(cacheKey);
    if (!engine) {
      engine = factory(hotwords, asrModelId);
      this.#engines.set(cacheKey, engine);
    }
    return engine;
  }

  #phraseEngine(key: string, name: string, phrases: string): AsrEngine {
    let engine = this.#engines.get(key);
    if (!engine) {
      const e = this.#config.asr.embedded;
      const recognizer = new PhraseRecognizer(name, phrases, this.#pool, {
        minScorePerFrame: e.minScorePerFrame,
        maxFramesPerPhone: e.maxFramesPerPhone,
      });
      engine = new PhraseAsrEngine(recognizer, () => this.createVad(), e.timeoutMs);
      this.#engines.set(key, engine);
    }
    return engine;
  }

  /** The embedded engines' worker threads and their load (metrics): phrase decoder, espeak-ng. */
  workerLoad(): { pool: string; load: WorkerPoolLoad }[] {
    const pools = [{ pool: 'asr-phrase', load: this.#pool.load }];
    if (this.#embeddedTts) pools.push({ pool: 'tts-espeak', load: this.#embeddedTts.load });
    return pools;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#clock.clearTimer(this.#reprobeTimer);
    await Promise.all([
      this.#pool.close(),
      this.#embeddedTts?.close(),
      ...[...this.#engines.values()].map((e) => e.close()),
      ...[...this.#tts.values()].map((t) => t.close()),
    ]);
  }
}

/** What changes when a stored ASR model is written again: its time and its phrases. */
function modelVersion(record: AsrModelPhrases): string {
  const digest = createHash('sha256').update(record.phrases).digest('hex').slice(0, 16);
  return `${record.createdAt}:${digest}`;
}

/** The PEM text of a CA file, or an error that names the file. */
function readCaFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`caFile ${path} cannot be read: ${(err as Error).message}`);
  }
}
