/**
 * The test suite file of `smartcall test` (YAML or JSON): cases, each a SmartCall placed through
 * the real API to a callee persona, with expectations checked against what the platform recorded.
 * Validated with zod; `suiteFile.ts` reports problems with their line and column.
 */
import { z } from 'zod';
import { ACTIONS } from '../../contract/callbackReply.js';
import {
  builtinPersonas,
  NumberPattern,
  type Persona,
  personaBodySchema,
  toPersona,
} from '../../phonenet/index.js';

/** Per-case timeout unless the suite or the case says otherwise, seconds. */
export const DEFAULT_CASE_TIMEOUT_S = 60;

const text = z.union([z.string().min(1, 'must not be empty'), z.number()]).transform(String);
const range = z
  .object({ min: z.number().min(0).optional(), max: z.number().min(0).optional() })
  .strict()
  .refine((r) => r.min !== undefined || r.max !== undefined, { message: 'needs min or max' })
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
    message: 'min must not exceed max',
  });
export type Range = z.infer<typeof range>;

/** Which callee a case calls. */
export type Callee =
  /** A persona of this run (a built-in one copied, or written inline) at the case's own number. */
  | { kind: 'persona'; label: string; persona: Omit<Persona, 'name' | 'numbers'> }
  /** A number the platform's phone network already serves (with `--endpoint`). */
  | { kind: 'number'; label: string; number: string };

const builtinNames = () => builtinPersonas().map((p) => p.name);

const callee = z.unknown().transform((raw, ctx): Callee => {
  if (typeof raw === 'string') {
    const found = builtinPersonas().find((p) => p.name === raw);
    if (!found) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown built-in persona "${raw}" (built-in: ${builtinNames().join(', ')}; or write one inline with steps)`,
      });
      return z.NEVER;
    }
    const { name, numbers: _numbers, ...rest } = found;
    return { kind: 'persona', label: name, persona: rest };
  }
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'number' in raw) {
    const parsed = z.object({ number: text }).strict().safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue(issue as never);
      return z.NEVER;
    }
    if (!/^1\d{10}$/.test(parsed.data.number)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be an 11-digit mainland mobile number',
        path: ['number'],
      });
      return z.NEVER;
    }
    return { kind: 'number', label: parsed.data.number, number: parsed.data.number };
  }
  const parsed = personaBodySchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue(issue as never);
    return z.NEVER;
  }
  const { name, numbers: _numbers, ...rest } = toPersona('inline', [], parsed.data);
  return { kind: 'persona', label: name, persona: rest };
});

const callback = z
  .union([
    z.string(),
    z
      .object({
        url: z.string().optional(),
        /** The account's callback timeout, ms (100-60000). */
        timeoutMs: z.number().int().min(100).max(60_000).optional(),
        /** Hold each callback this long before the bot sees it (a slow bot, without changing it). */
        delayMs: z.number().int().min(0).max(60_000).optional(),
      })
      .strict(),
  ])
  .transform((v) => (typeof v === 'string' ? { url: v } : v))
  .refine((v) => v.url === undefined || /^https?:\/\/[^\s]+$/.test(v.url), {
    message: 'url must be an http:// or https:// URL',
  });
export type CaseCallback = z.infer<typeof callback>;

/** SmartCall request parameters as the API takes them; objects (VoiceCodeParam) are sent as JSON. */
const callParams = z
  .record(
    z.string().regex(/^[A-Z][A-Za-z]+$/, 'SmartCall parameters are written as in the API (e.g. VoiceCode)'),
    z.union([z.string(), z.number(), z.boolean(), z.record(z.string(), z.unknown())]),
  )
  .transform((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]),
    ),
  )
  .refine((r) => !('CalledNumber' in r) && !('CalledShowNumber' in r), {
    message: 'CalledNumber and CalledShowNumber are the runner’s: name the callee instead',
  });

const callbackMatcher = z
  .object({
    content_type: z.string().min(1).optional(),
    /** The recognised words contain this. */
    words: text.optional(),
    dynamic_id: text.optional(),
    /** `ok`, or how the exchange failed: timeout, http-status, bad-reply, fail-result, network. */
    outcome: z.string().min(1).optional(),
  })
  .strict();
export type CallbackMatcher = z.infer<typeof callbackMatcher>;

const actionMatcher = z
  .object({
    action: z.enum(ACTIONS).optional(),
    /** The reply's media (action_code and its parameters' texts) contains this. */
    media: text.optional(),
    /** A transfer's number. */
    transfer_to: text.optional(),
    /** Where the action came from: the bot's reply, the account's fallback, or the failure policy. */
    source: z.enum(['reply', 'fallback', 'policy']).optional(),
  })
  .strict();
export type ActionMatcher = z.infer<typeof actionMatcher>;

const phrases = z.preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(text).min(1));

const expectations = z
  .object({
    /** Callbacks in this order (others may come between). */
    callbacks: z.array(callbackMatcher).optional(),
    /** Actions the platform carried out after callbacks, in this order (others may come between). */
    actions: z.array(actionMatcher).optional(),
    /** Each phrase is in some prompt the platform played. */
    prompts: phrases.optional(),
    /** No prompt contains any of these. */
    no_prompts: phrases.optional(),
    /** Final status code (`Status` of QueryCallDetailByCallId), e.g. "200000". */
    status: text.optional(),
    /** Who hung up. */
    hangup_by: z.enum(['callee', 'platform']).optional(),
    /** Talk time, answer to hang-up, seconds. */
    duration: range.optional(),
    /** The keys the callee pressed, as the platform recorded them (e.g. "12#"). */
    dtmf: z.union([z.string(), z.number()]).transform(String).optional(),
    /** Playback was stopped by the callee at least once (true) or never (false). */
    interrupted: z.boolean().optional(),
    /** Receipts delivered to the receipt URL. */
    receipts: z.array(z.enum(['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport'])).optional(),
    /** Every callback answered within this, ms. */
    callback_latency_ms: range.optional(),
    /** From the end of each callee utterance to the first audio of the bot's answer, ms. */
    turn_latency_ms: range.optional(),
  })
  .strict();
export type Expectations = z.infer<typeof expectations>;

const caseSchema = z
  .object({
    name: z.string().min(1),
    callee,
    callback: callback.optional(),
    call: callParams.optional(),
    /** Seconds before the case fails as timed out. */
    timeout: z.number().positive().max(3600).optional(),
    expect: expectations.default({}),
  })
  .strict();

export const suiteSchema = z
  .object({
    name: z.string().min(1).optional(),
    defaults: z
      .object({
        callback: callback.optional(),
        call: callParams.optional(),
        timeout: z.number().positive().max(3600).optional(),
      })
      .strict()
      .optional(),
    cases: z.array(caseSchema).min(1, 'needs at least one case'),
  })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Map<string, number>();
    s.cases.forEach((c, i) => {
      const first = seen.get(c.name);
      if (first !== undefined)
        ctx.addIssue({
          code: 'custom',
          message: `case name "${c.name}" is already used by cases[${first}]`,
          path: ['cases', i, 'name'],
        });
      else seen.set(c.name, i);
    });
  });

export type SuiteDocument = z.infer<typeof suiteSchema>;

/** One case with the suite's defaults applied. */
export interface SuiteCase {
  index: number;
  name: string;
  callee: Callee;
  callback: CaseCallback | undefined;
  call: Record<string, string>;
  timeoutS: number;
  expect: Expectations;
}

export interface Suite {
  name: string;
  cases: SuiteCase[];
}

export function resolveSuite(doc: SuiteDocument, fallbackName: string): Suite {
  const d = doc.defaults;
  return {
    name: doc.name ?? fallbackName,
    cases: doc.cases.map((c, index) => ({
      index,
      name: c.name,
      callee: c.callee,
      callback: c.callback || d?.callback ? { ...d?.callback, ...c.callback } : undefined,
      call: { ...d?.call, ...c.call },
      timeoutS: c.timeout ?? d?.timeout ?? DEFAULT_CASE_TIMEOUT_S,
      expect: c.expect,
    })),
  };
}

/** The case's own number on the virtual network (never a built-in's). */
export function caseNumber(index: number): string {
  // The built-ins live in 1380000xxxx; a run's cases in 1399xxxxxxx.
  return `1399${String(index + 1).padStart(7, '0')}`;
}

export function casePersona(c: SuiteCase, runTag: string): Persona | undefined {
  if (c.callee.kind !== 'persona') return undefined;
  return {
    ...c.callee.persona,
    name: `suite-${runTag}-${c.index + 1}`,
    numbers: [NumberPattern.parse(caseNumber(c.index))],
  };
}
