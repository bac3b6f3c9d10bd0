/**
 * The persona file format, validated with zod. A step is written either as a bare word
 * (`answer`, `hangup`, `never-answer`) or as a map with exactly one step name as its key, whose value
 * is the step's short form (`ring: 1500`, `say: 你好`, `reject: 486`) or its long form (a map of
 * options). Parsing turns every step into one normalized {@link Step} value.
 */
import { z } from 'zod';
import { findVoice } from '../speech/voices.js';
import { NumberPattern, NumberPatternError } from './numberPattern.js';

/** How long `wait: prompt-end` / `prompt-start` and `barge-in` wait at most unless told. */
export const DEFAULT_PROMPT_WAIT_MS = 15_000;
/** A persona call is hung up after this long unless the persona says otherwise. */
export const DEFAULT_MAX_CALL_MS = 300_000;
/** The voice of personas that name none. */
export const DEFAULT_PERSONA_VOICE = 'xiaoyun';

export type Step =
  | { kind: 'ring'; ms: number }
  | { kind: 'answer' }
  | { kind: 'reject'; status: number; reason?: string | undefined }
  | { kind: 'never-answer'; giveUpAfterMs?: number | undefined; status: number }
  | { kind: 'announce'; text: string; voice?: string | undefined; times: number }
  | { kind: 'wait'; ms: number }
  | { kind: 'wait-prompt'; until: 'prompt-start' | 'prompt-end'; maxMs: number }
  | { kind: 'say'; text: string; voice?: string | undefined }
  | {
      kind: 'when';
      /** Phrases of which one must be in the platform's latest prompt text (case-insensitive). */
      promptContains: string[];
      steps: Step[];
      otherwise: Step[];
    }
  | {
      kind: 'barge-in';
      text: string;
      voice?: string | undefined;
      afterMs: number;
      maxWaitMs: number;
    }
  | { kind: 'silence'; ms: number }
  | { kind: 'dtmf'; digits: string }
  /** A pure tone, as an answering machine's beep before it records. */
  | { kind: 'beep'; hz: number; ms: number }
  | { kind: 'hangup' }
  | { kind: 'repeat'; times?: number | undefined; steps: Step[] };

export type StepKind = Step['kind'];

export interface Persona {
  name: string;
  /** The patterns as written (first match wins across personas). */
  numbers: NumberPattern[];
  description?: string | undefined;
  /** Default voice of `say`, `barge-in` and `announce`. */
  voice: string;
  maxCallMs: number;
  /** Record what the persona hears (two-channel WAV). */
  record: boolean;
  steps: Step[];
}

const ms = z.number().int().min(0).max(3_600_000);
const positiveMs = z.number().int().min(1).max(3_600_000);
const text = z.string().trim().min(1, 'needs some text to say');
const voice = z.string().refine((v) => findVoice(v) !== undefined, {
  message: 'is not a SmartCall voice name (e.g. xiaoyun, harry)',
});
const failureStatus = z
  .number()
  .int()
  .min(400, 'must be a final failure status, 400-699 (e.g. 486, 480, 404, 603)')
  .max(699, 'must be a final failure status, 400-699 (e.g. 486, 480, 404, 603)');
const digits = z.string().regex(/^[0-9*#A-Da-d]+$/, 'must be DTMF digits: 0-9 * # A-D');

const stepBodies = {
  ring: z.union([ms, z.object({ ms }).strict()]).transform((v) => ({
    kind: 'ring' as const,
    ms: typeof v === 'number' ? v : v.ms,
  })),
  answer: z.null().transform(() => ({ kind: 'answer' as const })),
  reject: z
    .union([
      failureStatus,
      z.object({ status: failureStatus, reason: z.string().min(1).optional() }).strict(),
    ])
    .transform((v) =>
      typeof v === 'number'
        ? { kind: 'reject' as const, status: v }
        : { kind: 'reject' as const, status: v.status, reason: v.reason },
    ),
  'never-answer': z
    .union([
      z.null(),
      z.object({ giveUpAfterMs: positiveMs.optional(), status: failureStatus.optional() }).strict(),
    ])
    .transform((v) => ({
      kind: 'never-answer' as const,
      giveUpAfterMs: v?.giveUpAfterMs,
      status: v?.status ?? 480,
    })),
  announce: z
    .union([
      text,
      z.object({ text, voice: voice.optional(), times: z.number().int().min(1).max(10).optional() }).strict(),
    ])
    .transform((v) =>
      typeof v === 'string'
        ? { kind: 'announce' as const, text: v, times: 1 }
        : { kind: 'announce' as const, text: v.text, voice: v.voice, times: v.times ?? 1 },
    ),
  wait: z
    .union([
      ms,
      z.enum(['prompt-end', 'prompt-start']),
      z.object({ until: z.enum(['prompt-end', 'prompt-start']), maxMs: positiveMs.optional() }).strict(),
    ])
    .transform((v): Step => {
      if (typeof v === 'number') return { kind: 'wait', ms: v };
      if (typeof v === 'string') return { kind: 'wait-prompt', until: v, maxMs: DEFAULT_PROMPT_WAIT_MS };
      return { kind: 'wait-prompt', until: v.until, maxMs: v.maxMs ?? DEFAULT_PROMPT_WAIT_MS };
    }),
  say: z
    .union([text, z.object({ text, voice: voice.optional() }).strict()])
    .transform((v) =>
      typeof v === 'string'
        ? { kind: 'say' as const, text: v }
        : { kind: 'say' as const, text: v.text, voice: v.voice },
    ),
  'barge-in': z
    .union([
      text,
      z
        .object({ text, voice: voice.optional(), afterMs: ms.optional(), maxWaitMs: positiveMs.optional() })
        .strict(),
    ])
    .transform((v) =>
      typeof v === 'string'
        ? { kind: 'barge-in' as const, text: v, afterMs: 800, maxWaitMs: DEFAULT_PROMPT_WAIT_MS }
        : {
            kind: 'barge-in' as const,
            text: v.text,
            voice: v.voice,
            afterMs: v.afterMs ?? 800,
            maxWaitMs: v.maxWaitMs ?? DEFAULT_PROMPT_WAIT_MS,
          },
    ),
  silence: ms.transform((v) => ({ kind: 'silence' as const, ms: v })),
  dtmf: z.union([digits, z.object({ digits }).strict()]).transform((v) => ({
    kind: 'dtmf' as const,
    digits: (typeof v === 'string' ? v : v.digits).toUpperCase(),
  })),
  beep: z
    .union([
      z.null(),
      z
        .object({
          hz: z.number().min(100, 'must be 100-3800 Hz').max(3800, 'must be 100-3800 Hz').optional(),
          ms: positiveMs.max(10_000, 'must be at most 10000 ms').optional(),
        })
        .strict(),
    ])
    .transform((v) => ({ kind: 'beep' as const, hz: v?.hz ?? 1000, ms: v?.ms ?? 500 })),
  hangup: z.null().transform(() => ({ kind: 'hangup' as const })),
  repeat: z
    .object({
      times: z.number().int().min(1).max(1000).optional(),
      steps: z.array(z.lazy(() => stepSchema)).min(1, 'needs at least one step'),
    })
    .strict()
    .transform((v) => ({ kind: 'repeat' as const, times: v.times, steps: v.steps as Step[] })),
  // The condition reads the platform's own record of the prompt it played (a persona hears audio
  // only): available where the carrier is given a prompt source, as under `smartcall test`.
  when: z
    .object({
      prompt_contains: z.preprocess(
        (v) => (Array.isArray(v) ? v : [v]),
        z.array(text).min(1, 'needs at least one phrase'),
      ),
      steps: z.array(z.lazy(() => stepSchema)).min(1, 'needs at least one step'),
      otherwise: z.array(z.lazy(() => stepSchema)).optional(),
    })
    .strict()
    .transform((v) => ({
      kind: 'when' as const,
      promptContains: v.prompt_contains,
      steps: v.steps as Step[],
      otherwise: (v.otherwise ?? []) as Step[],
    })),
} satisfies Record<string, z.ZodType>;

type StepName = keyof typeof stepBodies;
export const STEP_NAMES = Object.keys(stepBodies) as StepName[];
/** Steps that may be written as a bare word. */
const BARE = new Set<string>(['answer', 'hangup', 'never-answer', 'beep']);

function isStepName(key: string): key is StepName {
  return Object.hasOwn(stepBodies, key);
}

/** One step: a bare word or a one-key map, dispatched to its body schema (issues keep their path). */
export const stepSchema: z.ZodType<Step, unknown> = z.unknown().transform((raw, ctx): Step => {
  const stepList = STEP_NAMES.join(', ');
  let key: string;
  let body: unknown;
  if (typeof raw === 'string') {
    if (!BARE.has(raw)) {
      ctx.addIssue({
        code: 'custom',
        message: isStepName(raw)
          ? `step "${raw}" needs a value (e.g. "${raw}: ...")`
          : `unknown step "${raw}" (steps: ${stepList})`,
      });
      return z.NEVER;
    }
    key = raw;
    body = null;
  } else if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const keys = Object.keys(raw);
    if (keys.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a step is a map with exactly one step name, got ${keys.length === 0 ? 'none' : keys.join(', ')}`,
      });
      return z.NEVER;
    }
    key = keys[0]!;
    body = (raw as Record<string, unknown>)[key];
  } else {
    ctx.addIssue({ code: 'custom', message: `a step must be a step name or a map (steps: ${stepList})` });
    return z.NEVER;
  }
  if (!isStepName(key)) {
    ctx.addIssue({ code: 'custom', message: `unknown step "${key}" (steps: ${stepList})`, path: [key] });
    return z.NEVER;
  }
  const parsed = stepBodies[key].safeParse(body);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      ctx.addIssue({ ...issue, message: describeIssue(key, issue), path: [key, ...issue.path] } as never);
    return z.NEVER;
  }
  return parsed.data as Step;
});

/** zod's union messages say "Invalid input"; say what the step accepts instead. */
function describeIssue(step: StepName, issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_union') return issue.message;
  const forms: Record<StepName, string> = {
    ring: 'milliseconds, e.g. "ring: 1500"',
    answer: 'no value ("- answer")',
    reject: 'a SIP status 400-699 or {status, reason}',
    'never-answer': 'no value, or {giveUpAfterMs, status}',
    announce: 'the text, or {text, voice, times}',
    wait: 'milliseconds, "prompt-end", "prompt-start" or {until, maxMs}',
    say: 'the text, or {text, voice}',
    'barge-in': 'the text, or {text, voice, afterMs, maxWaitMs}',
    silence: 'milliseconds',
    dtmf: 'digits (0-9 * # A-D), e.g. "dtmf: \'1#\'"',
    beep: 'no value ("- beep": 1000 Hz, 500 ms) or {hz, ms}',
    hangup: 'no value ("- hangup")',
    repeat: '{times, steps}',
    when: '{prompt_contains, steps, otherwise}',
  };
  // The first branch's own problem is usually the useful one for a value of the right type.
  const inner = issue.errors.flat().find((i) => i.code !== 'invalid_type');
  return inner ? inner.message : `"${step}" takes ${forms[step]}`;
}

const numberPattern = z.string().transform((source, ctx) => {
  try {
    return NumberPattern.parse(source);
  } catch (err) {
    if (!(err instanceof NumberPatternError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
    return z.NEVER;
  }
});

/** What a persona is besides its name and number. */
const personaBody = {
  description: z.string().optional(),
  voice: voice.optional(),
  maxCallMs: positiveMs.optional(),
  record: z.boolean().optional(),
  steps: z.array(stepSchema).min(1, 'needs at least one step'),
};

/**
 * A persona written without name and number (a test case's inline callee: its runner gives both);
 * `toPersona` completes it.
 */
export const personaBodySchema = z.object(personaBody).strict();

export function toPersona(
  name: string,
  numbers: NumberPattern[],
  p: z.infer<typeof personaBodySchema>,
): Persona {
  return {
    name,
    numbers,
    description: p.description,
    voice: p.voice ?? DEFAULT_PERSONA_VOICE,
    maxCallMs: p.maxCallMs ?? DEFAULT_MAX_CALL_MS,
    record: p.record ?? true,
    steps: p.steps,
  };
}

export const personaSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes (e.g. busy-line)'),
    /** One pattern or a list of them. */
    number: z.preprocess(
      (v) => (Array.isArray(v) ? v : [v]),
      z.array(numberPattern).min(1, 'needs at least one number'),
    ),
    ...personaBody,
  })
  .strict()
  .transform((p): Persona => toPersona(p.name, p.number, p));

export const personaFileSchema = z
  .object({ personas: z.array(personaSchema) })
  .strict()
  .superRefine((file, ctx) => {
    const names = new Map<string, number>();
    const exact = new Map<string, string>();
    file.personas.forEach((p, i) => {
      const first = names.get(p.name);
      if (first !== undefined)
        ctx.addIssue({
          code: 'custom',
          message: `persona name "${p.name}" is already used by personas[${first}]`,
          path: ['personas', i, 'name'],
        });
      else names.set(p.name, i);
      for (const n of p.numbers) {
        if (n.kind !== 'exact') continue;
        const owner = exact.get(n.source);
        if (owner !== undefined)
          ctx.addIssue({
            code: 'custom',
            message: `number ${n.source} already belongs to persona "${owner}" (first match wins: this one would never answer)`,
            path: ['personas', i, 'number'],
          });
        else exact.set(n.source, p.name);
      }
    });
  });
