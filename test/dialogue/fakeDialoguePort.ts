/**
 * What the dialogue tests share: a port that records what the engine asks for and answers callbacks
 * from a script, and an engine on a manual clock.
 */

import { ManualClock } from '../../src/clock/manualClock.js';
import type { CallbackContent } from '../../src/contract/callbackContent.js';
import { parseActionData } from '../../src/contract/callbackReply.js';
import {
  type CallbackDecision,
  DialogueEngine,
  type DialogueOptions,
  type DialoguePort,
  type HangupCause,
  type PlayRequest,
  type RecognizerChoice,
} from '../../src/dialogue/dialogueEngine.js';
import { silentLogger } from '../../src/observability/logger.js';

export class FakePort implements DialoguePort {
  readonly played: PlayRequest[] = [];
  readonly callbacks: CallbackContent[] = [];
  stops = 0;
  hungUp: HangupCause | undefined;
  replies: Record<string, unknown>[] = [];
  #resolvers: ((d: CallbackDecision) => void)[] = [];
  /** When false, callbacks wait for `answer()`. */
  autoReply = true;
  engine!: DialogueEngine;
  readonly #time: ManualClock;

  constructor(time: ManualClock) {
    this.#time = time;
  }

  play(request: PlayRequest): void {
    this.played.push(request);
  }
  /** Like the media path: the flushed playback is reported a moment later, not completed. */
  stopPlayback(): void {
    this.stops++;
    const current = this.played.at(-1);
    if (current) queueMicrotask(() => this.engine.playbackEnded(current.id, this.#time.now(), false));
  }
  hangup(cause: HangupCause): void {
    this.hungUp = cause;
  }
  readonly legs: string[] = [];
  transfer(number: string): void {
    this.legs.push(`transfer:${number}`);
  }
  parallelTransfer(o: { ccName?: string }): void {
    this.legs.push(`parallel:${o.ccName}`);
  }
  parallelBridge(): boolean {
    this.legs.push('bridge');
    return true;
  }
  /** The item of each play that sounds now, as the media path would tell (unset: none known). */
  readonly items = new Map<string, string>();
  playingItem(id: string): string | undefined {
    return this.items.get(id);
  }
  recordings = 0;
  startRecording(): void {
    this.recordings++;
  }
  readonly recognizers: RecognizerChoice[] = [];
  switchRecognizer(choice: RecognizerChoice): void {
    this.recognizers.push(choice);
  }
  callback(event: CallbackContent): Promise<CallbackDecision> {
    this.callbacks.push(event);
    return new Promise((resolve) => {
      this.#resolvers.push(resolve);
      if (this.autoReply) this.answer();
    });
  }
  answer(): void {
    const resolve = this.#resolvers.shift();
    const data = this.replies.shift() ?? { action: 'donothing' };
    resolve?.({ action: parseActionData(data).action, source: 'reply' });
  }
  /** The `dtmf_digits` of every dtmf callback so far. */
  get dtmfResults(): string[] {
    return this.callbacks.flatMap((c) => (c.type === 'dtmf' ? [c.content.dtmf_digits] : []));
  }
}

/** Lets the callback promise chain run (the engine executes a reply a few microtasks later). */
export const tick = () => new Promise((r) => setImmediate(r));

export function setup(over: Partial<DialogueOptions> = {}) {
  const time = new ManualClock({ start: 1_714_528_800_000 });
  const port = new FakePort(time);
  const engine = new DialogueEngine({
    port,
    time,
    log: silentLogger(),
    callee: '15900001111',
    answeredAt: time.now(),
    voiceCode: 'hello.wav,$name$',
    voiceCodeParam: { name: '张三' },
    actionCodeBreak: true,
    actionCodeTimeBreak: 0,
    muteTimeMs: 5000,
    sessionTimeoutMs: 120_000,
    dynamicId: 'start',
    tts: undefined,
    unrecognized: 'callback',
    ...over,
  });
  port.engine = engine;
  /** The current play request starts now and lasts `ms` (then ends, completed). */
  const playFor = (ms: number) => {
    const p = port.played.at(-1)!;
    engine.playbackStarted(p.id, time.now());
    time.advance(ms);
    engine.playbackEnded(p.id, time.now(), true);
  };
  return { time, port, engine, playFor };
}
