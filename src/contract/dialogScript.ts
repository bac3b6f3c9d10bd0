/**
 * A scripted dialog (issue 16 item 3): the conversation of a SmartCall written as YAML or JSON and
 * run by the platform in place of a callback server. A script is a set of named nodes; each may set
 * variables, call an HTTP hook, say something (TTS text with `{{variable}}`s, or VoiceCode items),
 * and then goes on in exactly one way: to another node (`next`), by a branch on variables
 * (`branch`), by listening for intents (`listen`: phrase lists, keywords, keys), by a key menu or key
 * collection (`menu`), or it ends the robot's part (`hangup`, `transfer`).
 *
 * The schema checks the shape and the references between nodes, each problem at its path, so a file
 * reports the line it is on (src/dialogue/dialogScriptFile.ts). The runner is src/dialogue/dialogRunner.ts.
 */
import { z } from 'zod';
import { parseVoiceCode, VoiceCodeError } from './voiceCode.js';

/** Variable names: what a `$name$` VoiceCode item and a VoiceCodeParam key may be. */
export const VARIABLE_NAME = /^[A-Za-z0-9_\-.]{1,64}$/;
/** Node names. */
export const NODE_NAME = /^[A-Za-z0-9_\-.]{1,64}$/;
/** A dialog's ID in its account: letters, digits, `_ - .`, 1–64, starting with a letter or digit. */
export const DIALOG_ID = /^[A-Za-z0-9][A-Za-z0-9_\-.]{0,63}$/;
export const DIALOG_ID_RULE = '1–64 letters, digits, _ - . (starting with a letter or digit)';
/** Listening timeouts are MuteTimes: 1000 … 20000 ms (spec §3.1 #11). */
export const LISTEN_TIMEOUT_MS = { min: 1000, max: 20_000 } as const;
/** HTTP hook timeouts, ms. */
export const HOOK_TIMEOUT_MS = { min: 100, max: 10_000, default: 3000 } as const;

const text = z.string().min(1, 'must not be empty');
const nodeName = z.string().regex(NODE_NAME, 'a node name: letters, digits, _ - . (at most 64)');
const variables = z.record(
  z.string().regex(VARIABLE_NAME, 'a variable name: letters, digits, _ - . (at most 64)'),
  z.string(),
);
const keys = z.string().regex(/^[0-9*#]+$/, 'keys are 0-9, * and #');
const voiceCode = z.string().superRefine((code, ctx) => {
  try {
    parseVoiceCode(code);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a VoiceCode: ${(err as Error).message}` });
    if (!(err instanceof VoiceCodeError)) throw err;
  }
});

/** What happens on silence (`noInput`) or on what matches nothing (`noMatch`). */
const retryHandler = z.strictObject({
  /** Said before the question is asked again. */
  say: text.optional(),
  /** How many times the question is asked again before `next` (default: the script's `retries`). */
  retries: z.int().min(0).max(10).optional(),
  /** Where to go once the retries are used up (default: hang up). */
  next: nodeName.optional(),
});

const intent = z
  .strictObject({
    name: z.string().regex(VARIABLE_NAME, 'an intent name: letters, digits, _ - . (at most 64)'),
    /** The words match when they are one of these (letter case, spaces and punctuation aside). */
    phrases: z.array(text).min(1).optional(),
    /** The words match when they contain one of these (English: as whole words). */
    keywords: z.array(text).min(1).optional(),
    /** A key (or keys) that picks this intent while listening. */
    dtmf: z
      .string()
      .regex(/^[0-9*#]$/, 'one key: 0-9, * or #')
      .optional(),
    set: variables.optional(),
    next: nodeName,
  })
  .refine((i) => i.phrases || i.keywords || i.dtmf, {
    message: 'an intent needs phrases, keywords or dtmf',
  });

const listen = z.strictObject({
  intents: z.array(intent).min(1),
  /** How long silence lasts before `noInput`, ms (default: the script's `listenTimeoutMs`). */
  timeoutMs: z.int().min(LISTEN_TIMEOUT_MS.min).max(LISTEN_TIMEOUT_MS.max).optional(),
  noInput: retryHandler.optional(),
  noMatch: retryHandler.optional(),
});

const menu = z
  .strictObject({
    /** Key(s) → node. Without `keys`, the keys are collected into `saveAs` and the dialog goes `next`. */
    keys: z.record(keys, nodeName).optional(),
    saveAs: z.string().regex(VARIABLE_NAME).optional(),
    next: nodeName.optional(),
    maxDigits: z.int().min(1).max(50).optional(),
    endKey: z.enum(['*', '#']).optional(),
    /** Seconds without a key before `noInput` (3 … 60, default 5). */
    timeoutS: z.int().min(3).max(60).optional(),
    noInput: retryHandler.optional(),
    noMatch: retryHandler.optional(),
  })
  .refine((m) => (m.keys !== undefined) !== (m.next !== undefined), {
    message: 'a menu has either keys (key → node) or next (keys collected into saveAs)',
  });

const branchCase = z.strictObject({
  /** The variable tested; a case without `if` always matches (the default). */
  if: z.string().regex(VARIABLE_NAME).optional(),
  equals: z.string().optional(),
  in: z.array(z.string()).min(1).optional(),
  contains: z.string().min(1).optional(),
  /** true: the variable is set and not empty; false: it is not. */
  present: z.boolean().optional(),
  next: nodeName,
});

const hook = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
  timeoutMs: z.int().min(HOOK_TIMEOUT_MS.min).max(HOOK_TIMEOUT_MS.max).optional(),
  /** Where to go when the hook fails (timeout, not 2xx, not a JSON object); default: carry on. */
  onError: nodeName.optional(),
});

const CONTINUATIONS = ['next', 'branch', 'listen', 'menu', 'hangup', 'transfer'] as const;

const node = z
  .strictObject({
    set: variables.optional(),
    hook: hook.optional(),
    /** Text to speak (TTS), with `{{variable}}`s. */
    say: text.optional(),
    /** VoiceCode items (voice file IDs, `$variable$`, `TTS_…` templates, URLs); variables fill them. */
    play: voiceCode.optional(),
    next: nodeName.optional(),
    branch: z.array(branchCase).min(1).optional(),
    listen: listen.optional(),
    menu: menu.optional(),
    hangup: z.literal(true).optional(),
    /** Hand the callee to this number (after `say`/`play`). */
    transfer: z
      .string()
      .regex(/^\+?[0-9]{3,32}$/, 'a phone number')
      .optional(),
  })
  .superRefine((n, ctx) => {
    const ways = CONTINUATIONS.filter((k) => n[k] !== undefined);
    if (ways.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message:
          ways.length === 0
            ? `a node needs one of ${CONTINUATIONS.join(', ')}`
            : `a node goes on one way only, not ${ways.join(' and ')}`,
      });
    if (n.say !== undefined && n.play !== undefined)
      ctx.addIssue({ code: 'custom', message: 'a node has say or play, not both', path: ['play'] });
  });

export const dialogScriptSchema = z
  .strictObject({
    name: z.string().optional(),
    description: z.string().optional(),
    /** The first node (default: the first one written). */
    start: nodeName.optional(),
    /** Defaults of variables; VoiceCodeParam overrides them. */
    variables: variables.optional(),
    /** How long a `listen` waits in silence, ms (default: the call's MuteTime). */
    listenTimeoutMs: z.int().min(LISTEN_TIMEOUT_MS.min).max(LISTEN_TIMEOUT_MS.max).optional(),
    /** How many times a question is asked again on silence or no match (default 1). */
    retries: z.int().min(0).max(10).optional(),
    nodes: z.record(nodeName, node).refine((r) => Object.keys(r).length > 0, 'a dialog needs nodes'),
  })
  .superRefine((s, ctx) => {
    const names = new Set(Object.keys(s.nodes));
    const ref = (target: string | undefined, path: PropertyKey[]) => {
      if (target !== undefined && !names.has(target))
        ctx.addIssue({ code: 'custom', message: `no node named "${target}"`, path });
    };
    ref(s.start, ['start']);
    for (const [name, n] of Object.entries(s.nodes)) {
      const at = (...p: PropertyKey[]) => ['nodes', name, ...p];
      ref(n.next, at('next'));
      ref(n.hook?.onError, at('hook', 'onError'));
      for (const [i, c] of (n.branch ?? []).entries()) ref(c.next, at('branch', i, 'next'));
      for (const [i, it] of (n.listen?.intents ?? []).entries())
        ref(it.next, at('listen', 'intents', i, 'next'));
      ref(n.listen?.noInput?.next, at('listen', 'noInput', 'next'));
      ref(n.listen?.noMatch?.next, at('listen', 'noMatch', 'next'));
      for (const [k, target] of Object.entries(n.menu?.keys ?? {})) ref(target, at('menu', 'keys', k));
      ref(n.menu?.next, at('menu', 'next'));
      ref(n.menu?.noInput?.next, at('menu', 'noInput', 'next'));
      ref(n.menu?.noMatch?.next, at('menu', 'noMatch', 'next'));
      if (n.branch && n.branch[n.branch.length - 1]!.if !== undefined)
        ctx.addIssue({
          code: 'custom',
          message: 'the last case of a branch has no `if` (where to go when no case matches)',
          path: at('branch', n.branch.length - 1),
        });
    }
  });

export type DialogScript = z.infer<typeof dialogScriptSchema>;
export type DialogNode = DialogScript['nodes'][string];
export type DialogIntent = NonNullable<DialogNode['listen']>['intents'][number];
export type DialogRetry = z.infer<typeof retryHandler>;
export type DialogHook = NonNullable<DialogNode['hook']>;

/** Keys whose number values stay numbers (every other number is read as the text written). */
export const NUMERIC_KEYS: ReadonlySet<string> = new Set([
  'retries',
  'timeoutMs',
  'listenTimeoutMs',
  'maxDigits',
  'timeoutS',
]);

/** The node a script starts at. */
export function startNode(script: DialogScript): string {
  return script.start ?? Object.keys(script.nodes)[0]!;
}

/** Every phrase and keyword of the script's intents: what the recognizer should expect to hear. */
export function scriptPhrases(script: DialogScript): string[] {
  const out = new Set<string>();
  for (const n of Object.values(script.nodes))
    for (const i of n.listen?.intents ?? [])
      for (const p of [...(i.phrases ?? []), ...(i.keywords ?? [])]) out.add(p);
  return [...out];
}
