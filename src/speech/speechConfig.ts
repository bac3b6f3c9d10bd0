/**
 * The `speech` section of the smartcall config: which engines exist and who uses which. Every
 * remote engine has a name; base models, accounts and account ASR models point at names. Anything
 * unset, unknown or unhealthy falls back to the embedded engines, which need no configuration.
 *
 * ```yaml
 * speech:
 *   asr:
 *     engines:
 *       aliyun: { type: nls, url: wss://nls-gateway-cn-shanghai.aliyuncs.com/ws/v1, appKey: xxx, token: yyy }
 *       funasr: { type: funasr, url: wss://10.0.0.5:10095, tlsVerify: false }
 *     baseModels: { customer_service_8k: aliyun }
 *     accounts: { acme: funasr }
 *   tts:
 *     engines:
 *       aliyun: { type: nls, url: wss://..., appKey: xxx, token: yyy }
 *     default: aliyun
 * ```
 */
import { z } from 'zod';

const timeoutMs = z.number().int().min(100).max(60000).default(5000);

const nlsEngine = z
  .object({
    type: z.literal('nls'),
    url: z.string().url().default('wss://nls-gateway-cn-shanghai.aliyuncs.com/ws/v1'),
    appKey: z.string().min(1),
    /** A token from the NLS console or CreateToken; or give an AccessKey pair to fetch one. */
    token: z.string().min(1).optional(),
    accessKeyId: z.string().min(1).optional(),
    accessKeySecret: z.string().min(1).optional(),
    /** CreateToken (nls-meta) endpoint used with an AccessKey pair. */
    tokenEndpoint: z.string().url().default('http://nls-meta.cn-shanghai.aliyuncs.com'),
    /** Console hot-word table (`vocabulary_id`) and custom model (`customization_id`) for every task. */
    vocabularyId: z.string().min(1).optional(),
    customizationId: z.string().min(1).optional(),
    /** Per AsrModelId: the ids its calls use instead of the engine's. */
    models: z
      .record(
        z.string(),
        z
          .object({
            vocabularyId: z.string().min(1).optional(),
            customizationId: z.string().min(1).optional(),
          })
          .strict(),
      )
      .default({}),
    timeoutMs,
  })
  .strict()
  .refine((e) => e.token || (e.accessKeyId && e.accessKeySecret), {
    message: 'an nls engine needs token, or accessKeyId and accessKeySecret',
  });

const funAsrEngine = z
  .object({
    type: z.literal('funasr'),
    /** `wss://` for a runtime with TLS (its default), `ws://` for one started with `--certfile 0`. */
    url: z.string().url(),
    mode: z.enum(['2pass', 'online', 'offline']).default('2pass'),
    /** PEM file of the CA that signed the server's certificate (`wss://` only). */
    caFile: z.string().min(1).optional(),
    /** `false`: accept any server certificate, e.g. the runtime's bundled self-signed one (`wss://` only). */
    tlsVerify: z.boolean().default(true),
    timeoutMs,
  })
  .strict()
  .refine((e) => e.url.startsWith('wss:') || (e.caFile === undefined && e.tlsVerify), {
    message: 'caFile and tlsVerify apply to a wss:// url only',
  })
  .refine((e) => e.caFile === undefined || e.tlsVerify, {
    message: 'give caFile (verify against it) or tlsVerify: false (do not verify), not both',
  });

const voskEngine = z.object({ type: z.literal('vosk'), url: z.string().url(), timeoutMs }).strict();

const sherpaAsrEngine = z
  .object({
    type: z.literal('sherpa'),
    /** Folder with the model files (see docs/speech.md for the layouts recognised). */
    modelDir: z.string().min(1),
    numThreads: z.number().int().min(1).max(8).default(1),
    timeoutMs,
  })
  .strict();

export const asrEngineSchema = z.union([nlsEngine, funAsrEngine, voskEngine, sherpaAsrEngine]);
export const ttsEngineSchema = z.union([
  nlsEngine,
  z
    .object({
      type: z.literal('sherpa'),
      modelDir: z.string().min(1),
      numThreads: z.number().int().min(1).max(8).default(1),
      timeoutMs,
    })
    .strict(),
]);

export const speechConfigSchema = z
  .object({
    /**
     * How often an engine that is down (at start-up, or since calls found it down) is probed again,
     * ms; once a probe passes, new calls use it.
     */
    reprobeMs: z.number().int().min(100).max(3_600_000).default(30_000),
    vad: z
      .object({
        /** `spectral`: the built-in detector; `silero`: Silero through sherpa-onnx (needs `sileroModel`). */
        engine: z.enum(['spectral', 'silero']).default('spectral'),
        sileroModel: z.string().optional(),
      })
      .strict()
      .prefault({}),
    asr: z
      .object({
        embedded: z
          .object({
            workers: z.number().int().min(1).max(8).default(1),
            /** Nice value of the decoder threads (Linux): they give way to the calls' media thread. */
            niceness: z.number().int().min(0).max(19).default(10),
            maxGrammars: z.number().int().min(1).max(64).default(8),
            /** Ignored (the former two-pass recognizer's threshold); accepted so older configs load. */
            minScorePerFrame: z.number().optional(),
            /** Phrase recognizer: 10 ms frames per phone above which a match is rejected. */
            maxFramesPerPhone: z.number().positive().default(26),
            timeoutMs: timeoutMs.default(3000),
          })
          .strict()
          .prefault({}),
        engines: z.record(z.string(), asrEngineSchema).default({}),
        /** Engine name used for every base model unless `baseModels` says otherwise; unset = embedded. */
        default: z.string().optional(),
        baseModels: z.record(z.string(), z.string()).default({}),
        /** Account name → engine name. */
        accounts: z.record(z.string(), z.string()).default({}),
        /** Account ASR model id → engine name (the model's phrases become the engine's hot words). */
        models: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .prefault({}),
    tts: z
      .object({
        embedded: z
          .object({
            workers: z.number().int().min(1).max(8).default(1),
            cacheBytes: z
              .number()
              .int()
              .min(0)
              .default(32 * 1024 * 1024),
          })
          .strict()
          .prefault({}),
        engines: z.record(z.string(), ttsEngineSchema).default({}),
        default: z.string().optional(),
        accounts: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type SpeechConfig = z.infer<typeof speechConfigSchema>;
export type SpeechConfigInput = z.input<typeof speechConfigSchema>;
export type AsrEngineConfig = z.infer<typeof asrEngineSchema>;
export type TtsEngineConfig = z.infer<typeof ttsEngineSchema>;

export function parseSpeechConfig(input: unknown = {}): SpeechConfig {
  return speechConfigSchema.parse(input);
}
