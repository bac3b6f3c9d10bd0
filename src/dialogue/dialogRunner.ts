/**
 * Runs a dialog script (dialogScript.ts) as the business's callback would: the opening, then one
 * reply action per callback event (spec §4.3, §4.4). The dialogue engine around it is the SmartCall
 * engine unchanged — barge-in, MuteTime, PauseTime, key collection, recording, receipts — so the
 * runner only decides. Its one wait is the HTTP hook, reached through `hooks` (bounded by the
 * caller).
 *
 * Walking: from a node, the runner sets variables, calls the hook, queues the node's prompt and goes
 * on — through `next` and `branch` nodes without waiting, their prompts played back to back — until
 * a node waits for the callee (`listen`, `menu`) or ends the robot's part (`hangup`, `transfer`).
 *
 * - `listen`: the prompt plays (speech may cut it) and the engine reports the next sentence
 *   (`normal`), a key (`dtmf`, the engine's keys-while-listening mode), or silence (`mute` after the
 *   listen timeout). A sentence matches the first intent one of whose phrases it is, or one of whose
 *   keywords it contains; a key, the intent with that `dtmf`.
 * - `menu`: a `dtmf` action; its keys choose a node, or are saved into a variable.
 * - silence (`noInput`) and what matches nothing (`noMatch`) ask again (`say`, then the node's own
 *   prompt) `retries` times, then go to their `next`, or hang up.
 * - `transfer` after a prompt: the prompt plays with a 1 s MuteTime and the transfer follows the
 *   silence after it (a reply's transfer would cut the prompt).
 *
 * Variables: the script's defaults, overridden by the call's (VoiceCodeParam, `callee`, `caller`,
 * `out_id`, `call_id`); `set` and the hook's reply add to them; `heard` (the last sentence),
 * `intent` and `digits` are set by what the callee did.
 */
import type { CallbackContent } from '../contract/callbackContent.js';
import type { CallbackAction, DtmfAction, HangupAction, PlayAction } from '../contract/callbackReply.js';
import type {
  DialogHook,
  DialogIntent,
  DialogNode,
  DialogRetry,
  DialogScript,
} from '../contract/dialogScript.js';
import { startNode } from '../contract/dialogScript.js';

/** Posts a node's hook; resolves with the variables of its reply, or an error text. */
export type DialogHooks = (
  hook: DialogHook,
  body: { node: string; variables: Record<string, string> },
) => Promise<{ variables: Record<string, string> } | { error: string }>;

export interface DialogRunnerOptions {
  /** The call's variables (VoiceCodeParam, callee, …): they override the script's defaults. */
  variables: Record<string, string>;
  /** The listen timeout when neither the node nor the script sets one (the call's MuteTime). */
  muteTimeMs: number;
  hooks: DialogHooks;
}

/** Steps walked without waiting for the callee before the runner gives up (a loop of `next`s). */
export const MAX_STEPS = 100;
/** A prompt before a transfer: how long the silence after it lasts before the transfer. */
const TRANSFER_AFTER_MS = 1000;
const DEFAULT_MENU_TIMEOUT_S = 5;

interface Prompt {
  code: string;
  params: Record<string, string>;
}

type Waiting =
  | { kind: 'listen' | 'menu'; node: string; noInput: number; noMatch: number }
  | { kind: 'transfer'; number: string }
  | { kind: 'done' };

const NOTHING: CallbackAction = { action: 'donothing' };
const MEDIA = { actionBreak: true, actionCodeTimeBreak: 0 } as const;

/** Lower case, without spaces or punctuation: what phrases and words are compared as. */
export function normalizeWords(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'\s]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const compact = (s: string) => s.replace(/ /g, '');

/** Whether `words` are one of the intent's phrases or contain one of its keywords. */
export function matchesIntent(intent: DialogIntent, words: string): boolean {
  const said = normalizeWords(words);
  if (!said) return false;
  if (intent.phrases?.some((p) => compact(normalizeWords(p)) === compact(said))) return true;
  return (
    intent.keywords?.some((k) => {
      const kw = normalizeWords(k);
      if (!kw) return false;
      // English keywords match whole words ("no" is not in "know"); others any substring.
      return /^[\x20-\x7e]+$/.test(kw)
        ? ` ${said} `.includes(` ${kw} `)
        : compact(said).includes(compact(kw));
    }) ?? false
  );
}

/** `{{name}}` → the variable's value ('' when unset). */
export function fillText(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{\s*([A-Za-z0-9_\-.]+)\s*\}\}/g, (_, name: string) => vars[name] ?? '');
}

export class DialogRunner {
  readonly #script: DialogScript;
  readonly #o: DialogRunnerOptions;
  readonly #vars: Record<string, string>;
  readonly #path: string[] = [];
  #waiting: Waiting = { kind: 'done' };
  #says = 0;

  constructor(script: DialogScript, options: DialogRunnerOptions) {
    this.#script = script;
    this.#o = options;
    this.#vars = { ...script.variables, ...options.variables };
  }

  /** The nodes entered so far, in order (a node asked again is not entered again). */
  get path(): readonly string[] {
    return this.#path;
  }

  get variables(): Readonly<Record<string, string>> {
    return this.#vars;
  }

  /** Whether the robot's part is over (hang-up or transfer decided): later events get `donothing`. */
  get done(): boolean {
    return this.#waiting.kind === 'done' && this.#path.length > 0;
  }

  /** What the call does once answered: the walk from the start node. */
  opening(): Promise<CallbackAction> {
    return this.#walk(startNode(this.#script), []);
  }

  /** The reply to one callback event. */
  async answer(event: CallbackContent): Promise<CallbackAction> {
    const w = this.#waiting;
    if (w.kind === 'done') return NOTHING;
    if (w.kind === 'transfer') {
      if (event.type !== 'mute') return NOTHING;
      this.#waiting = { kind: 'done' };
      return { action: 'transfer', number: w.number };
    }
    const node = this.#script.nodes[w.node]!;
    if (w.kind === 'listen') {
      const listen = node.listen!;
      if (event.type === 'mute') return this.#retry(w, 'noInput', listen.noInput);
      if (event.type === 'normal') {
        const words = event.content.words ?? '';
        this.#vars.heard = words;
        const intent = words ? listen.intents.find((i) => matchesIntent(i, words)) : undefined;
        return intent ? this.#chose(intent) : this.#retry(w, 'noMatch', listen.noMatch);
      }
      if (event.type === 'dtmf') {
        const digits = event.content.dtmf_digits;
        this.#vars.digits = digits;
        const intent = listen.intents.find((i) => i.dtmf === digits);
        return intent ? this.#chose(intent) : this.#retry(w, 'noMatch', listen.noMatch);
      }
      return NOTHING;
    }
    // A menu: only its key collection's report moves it on.
    if (event.type !== 'dtmf') return NOTHING;
    const menu = node.menu!;
    const raw = event.content.dtmf_digits;
    if (raw === 'noInputTimeout' || raw === '') return this.#retry(w, 'noInput', menu.noInput);
    const digits = menu.endKey && raw.endsWith(menu.endKey) ? raw.slice(0, -1) : raw;
    this.#vars.digits = digits;
    if (menu.saveAs) this.#vars[menu.saveAs] = digits;
    if (menu.next !== undefined) return this.#walk(menu.next, []);
    const target = menu.keys?.[digits];
    return target ? this.#walk(target, []) : this.#retry(w, 'noMatch', menu.noMatch);
  }

  #chose(intent: DialogIntent): Promise<CallbackAction> {
    this.#vars.intent = intent.name;
    this.#set(intent.set);
    return this.#walk(intent.next, []);
  }

  /** Silence or no match: ask again while retries last, then go on (or hang up). */
  #retry(
    w: Extract<Waiting, { kind: 'listen' | 'menu' }>,
    kind: 'noInput' | 'noMatch',
    handler: DialogRetry | undefined,
  ): Promise<CallbackAction> {
    w[kind]++;
    const retries = handler?.retries ?? this.#script.retries ?? 1;
    if (w[kind] > retries) {
      if (handler?.next) return this.#walk(handler.next, handler.say ? [this.#say(handler.say)] : []);
      this.#waiting = { kind: 'done' };
      return Promise.resolve(this.#hangup(handler?.say ? [this.#say(handler.say)] : []));
    }
    const node = this.#script.nodes[w.node]!;
    const prompts = handler?.say ? [this.#say(handler.say)] : [];
    const own = this.#prompt(node);
    if (own) prompts.push(own);
    return Promise.resolve(this.#wait(w.node, node, prompts, w));
  }

  async #walk(start: string, prompts: Prompt[]): Promise<CallbackAction> {
    let name = start;
    for (let step = 0; step < MAX_STEPS; step++) {
      const node = this.#script.nodes[name]!;
      this.#path.push(name);
      this.#set(node.set);
      if (node.hook) {
        const r = await this.#o.hooks(node.hook, { node: name, variables: { ...this.#vars } });
        if ('error' in r) {
          this.#vars.hook_error = r.error;
          if (node.hook.onError) {
            name = node.hook.onError;
            continue;
          }
        } else {
          delete this.#vars.hook_error;
          Object.assign(this.#vars, r.variables);
        }
      }
      const prompt = this.#prompt(node);
      if (prompt) prompts.push(prompt);
      if (node.next !== undefined) name = node.next;
      else if (node.branch) name = this.#branch(node.branch);
      else if (node.listen || node.menu) return this.#wait(name, node, prompts, { noInput: 0, noMatch: 0 });
      else if (node.transfer !== undefined) {
        const number = fillText(node.transfer, this.#vars);
        if (prompts.length === 0) {
          this.#waiting = { kind: 'done' };
          return { action: 'transfer', number };
        }
        this.#waiting = { kind: 'transfer', number };
        return { ...this.#play(prompts, false), muteTime: TRANSFER_AFTER_MS };
      } else {
        this.#waiting = { kind: 'done' };
        return this.#hangup(prompts);
      }
    }
    this.#waiting = { kind: 'done' };
    return this.#hangup([]);
  }

  /** Waits at a listen or menu node, after `prompts`. */
  #wait(
    name: string,
    node: DialogNode,
    prompts: Prompt[],
    counts: { noInput: number; noMatch: number },
  ): CallbackAction {
    if (node.menu) {
      const m = node.menu;
      this.#waiting = { kind: 'menu', node: name, ...counts };
      const joined = prompts.length > 0 ? join(prompts) : undefined;
      const action: DtmfAction = {
        action: 'dtmf',
        ...(joined && { actionCode: joined.code, actionCodeParam: joined.params }),
        ...MEDIA,
        // A key stops the prompt asking for it.
        actionCodeBreak: true,
        dtmf: {
          noInputTimeoutS: m.timeoutS ?? DEFAULT_MENU_TIMEOUT_S,
          maxDigits: m.maxDigits ?? (m.keys ? Math.max(...Object.keys(m.keys).map((k) => k.length)) : 1),
          endCharacter: m.endKey ?? '',
        },
      };
      return action;
    }
    this.#waiting = { kind: 'listen', node: name, ...counts };
    const muteTime = node.listen?.timeoutMs ?? this.#script.listenTimeoutMs ?? this.#o.muteTimeMs;
    if (prompts.length === 0) return { action: 'donothing', muteTime };
    return { ...this.#play(prompts, true), muteTime };
  }

  #branch(cases: NonNullable<DialogNode['branch']>): string {
    for (const c of cases) {
      if (c.if === undefined) return c.next;
      const v = this.#vars[c.if];
      const ok =
        (c.equals === undefined || v === c.equals) &&
        (c.in === undefined || (v !== undefined && c.in.includes(v))) &&
        (c.contains === undefined || v?.includes(c.contains) === true) &&
        (c.present === undefined || c.present === (v !== undefined && v !== ''));
      if (ok) return c.next;
    }
    return cases[cases.length - 1]!.next; // validated: the last case has no `if`
  }

  #set(values: Record<string, string> | undefined): void {
    for (const [k, v] of Object.entries(values ?? {})) this.#vars[k] = fillText(v, this.#vars);
  }

  #prompt(node: DialogNode): Prompt | undefined {
    if (node.say !== undefined) return this.#say(node.say);
    if (node.play !== undefined) return { code: node.play, params: { ...this.#vars } };
    return undefined;
  }

  /** TTS text as a VoiceCode item of its own: `$dialog_say_N$` with the text as its value. */
  #say(text: string): Prompt {
    const name = `dialog_say_${++this.#says}`;
    return { code: `$${name}$`, params: { [name]: fillText(text, this.#vars) } };
  }

  #play(prompts: Prompt[], breakable: boolean): PlayAction {
    const p = join(prompts);
    return {
      action: 'play',
      actionCode: p.code,
      actionCodeParam: p.params,
      ...MEDIA,
      actionCodeBreak: breakable,
    };
  }

  #hangup(prompts: Prompt[]): HangupAction {
    const p = prompts.length > 0 ? join(prompts) : undefined;
    return {
      action: 'hangup',
      ...(p && { actionCode: p.code, actionCodeParam: p.params }),
      ...MEDIA,
      actionCodeBreak: false,
    };
  }
}

function join(prompts: Prompt[]): Prompt {
  return {
    code: prompts.map((p) => p.code).join(','),
    params: Object.assign({}, ...prompts.map((p) => p.params)) as Record<string, string>,
  };
}
