/**
 * One call to a persona: runs its script step by step against the inbound call — signalling (180,
 * 183 with an announcement, 200, a rejection, BYE), speech (TTS played into the call), listening
 * (prompt start/end from the received audio), DTMF — and writes everything to the call's timeline.
 *
 * Ending: whatever ends the call (the caller's BYE or CANCEL, the persona hanging up, the carrier
 * closing) aborts the script's current wait; `run()` resolves once the call and its media are
 * closed, with the result. After the script's last step the persona stays on the line (or keeps
 * ringing) until the caller ends the call or `maxCallMs` passes. Every timer of the call is cleared
 * by then.
 */

import { basename } from 'node:path';
import type { Clock } from '../clock/clock.js';
import type { CallMedia } from '../media/callMedia.js';
import type { DtmfSentEvent } from '../media/mediaSession.js';
import { PcmSource } from '../media/pcmSource.js';
import type { PlayoutEnded, PlayoutStarted } from '../media/playout.js';
import type { Logger } from '../observability/logger.js';
import type { EndedBy } from '../sip/index.js';
import { MediaOfferError } from '../telephony/inboundCall.js';
import { CallOver, nextEvent, sleep, untilAborted } from './abortable.js';
import type { CallTimeline, TimelineEvent } from './callTimeline.js';
import type { Persona, Step } from './personaSchema.js';
import type { PersonaVoice } from './personaVoice.js';
import { PromptWatcher } from './promptWatcher.js';
import type { SpeechDetector } from './speechDetector.js';

/**
 * The call a persona's script runs on: one it receives (`InboundCall`), or one it placed
 * (`DialledLeg`, which "rings" until the far end answers).
 */
export interface PersonaLeg {
  readonly sip: {
    readonly callId: string;
    readonly state: string;
    once(event: 'ended', listener: (by: EndedBy, reason: string) => void): unknown;
  };
  once(event: 'ended', listener: (by: EndedBy, reason: string) => void): unknown;
  once(event: 'confirmed', listener: () => void): unknown;
  ring(): void;
  earlyMedia(): Promise<CallMedia>;
  answer(): Promise<CallMedia>;
  reject(status: number, reason?: string): void;
  hangup(): void;
  /** A placed call that was not answered: the far end's final status. */
  readonly finalStatus?: number | undefined;
}

export interface PersonaCallOptions {
  call: PersonaLeg;
  persona: Persona;
  /** The called number as it arrived. */
  number: string;
  voice: PersonaVoice;
  detector: SpeechDetector;
  timeline: CallTimeline;
  /** The media clock's time source: the timeline's time base and every wait of the script. */
  clock: Clock;
  /**
   * The text of the prompt the platform played last on this call, from the platform's own record
   * (for `when: {prompt_contains}`); absent where no platform shares it: the condition is false.
   */
  latestPrompt?: (() => string | undefined) | undefined;
  /** Where to record what the persona hears (when the persona records). */
  recordingPath?: string | undefined;
  logger: Logger;
}

export type PersonaCallOutcome = 'answered' | 'rejected' | 'cancelled' | 'failed';

export interface PersonaCallResult {
  callId: string;
  persona: string;
  number: string;
  /** ISO time of the INVITE. */
  startedAt: string;
  durationMs: number;
  outcome: PersonaCallOutcome;
  /** Final status the persona sent: 200, its rejection, 487 after a CANCEL (undefined if none). */
  status: number | undefined;
  earlyMedia: boolean;
  endedBy: EndedBy;
  reason: string;
  events: readonly TimelineEvent[];
  /** The two-channel WAV (left = what the persona heard), when it recorded. */
  recording: string | undefined;
}

/** A beep: a sine at `hz` for `ms`, at −12 dBFS, with 5 ms ramps (no clicks). */
export function beepTone(hz: number, ms: number): Int16Array {
  const rate = 8000;
  const out = new Int16Array(Math.round((ms * rate) / 1000));
  const ramp = 0.005 * rate;
  for (let i = 0; i < out.length; i++) {
    const env = Math.min(1, i / ramp, (out.length - i) / ramp);
    out[i] = Math.round(8200 * env * Math.sin((2 * Math.PI * hz * i) / rate));
  }
  return out;
}

export class StepError extends Error {
  override name = 'StepError';
}

export class PersonaCall {
  readonly #o: PersonaCallOptions;
  readonly #abort = new AbortController();
  readonly #ended: Promise<[EndedBy, string]>;
  readonly #watcher: PromptWatcher;
  #media: CallMedia | undefined;
  #recordingPending = false;
  #recording: string | undefined;
  #rang = false;
  #early = false;
  #answered = false;
  #status: number | undefined;
  #plays = 0;

  constructor(options: PersonaCallOptions) {
    this.#o = options;
    const { call, timeline } = options;
    this.#watcher = new PromptWatcher(options.detector, options.clock, (s) =>
      timeline.add('heard', { startMs: timeline.offset(s.start), endMs: timeline.offset(s.end) }, s.start),
    );
    this.#ended = new Promise((resolve) => call.once('ended', (by, reason) => resolve([by, reason])));
    call.sip.once('ended', (by, reason) => {
      if (reason === 'cancelled') {
        this.#status = 487;
        timeline.add('cancelled');
      } else if (by === 'remote' && reason === 'bye') timeline.add('bye-received');
      this.#abort.abort();
    });
    call.once('confirmed', () => timeline.add('confirmed'));
  }

  get callId(): string {
    return this.#o.call.sip.callId;
  }

  /** Ends the call now (the carrier is closing): BYE, or 503 while ringing. */
  stop(): void {
    const sip = this.#o.call.sip;
    if (sip.state === 'ringing') this.#reject(503, 'Service Unavailable');
    else if (sip.state === 'answered') this.#bye();
  }

  async run(): Promise<PersonaCallResult> {
    const { persona, timeline, logger } = this.#o;
    const signal = this.#abort.signal;
    const maxTimer = this.#o.clock.setTimer(() => {
      timeline.add('max-duration', { maxCallMs: persona.maxCallMs });
      this.#hangup();
    }, persona.maxCallMs);
    try {
      await this.#steps(persona.steps);
      await untilAborted(signal);
    } catch (err) {
      if (!(err instanceof CallOver) && !signal.aborted) {
        const message = (err as Error).message;
        logger.warn(
          { callId: this.callId, persona: persona.name, err: message },
          'phonenet persona step failed',
        );
        timeline.add('error', { message });
        if (err instanceof MediaOfferError) this.#status ??= 488;
        this.#hangup();
      }
    }
    const [endedBy, reason] = await this.#ended;
    this.#status ??= this.#o.call.finalStatus;
    this.#o.clock.clearTimer(maxTimer);
    const end = this.#o.clock.now();
    this.#watcher.finish(end);
    const outcome: PersonaCallOutcome = this.#answered
      ? 'answered'
      : this.#status === 487
        ? 'cancelled'
        : this.#status !== undefined && this.#status !== 488 && reason === 'rejected'
          ? 'rejected'
          : 'failed';
    timeline.add('ended', { by: endedBy, reason, outcome, status: this.#status ?? null }, end);
    return {
      callId: this.callId,
      persona: persona.name,
      number: this.#o.number,
      startedAt: timeline.events[0]?.at ?? new Date(this.#o.clock.now()).toISOString(),
      durationMs: timeline.offset(end),
      outcome,
      status: this.#status,
      earlyMedia: this.#early,
      endedBy,
      reason,
      events: timeline.events,
      recording: this.#recording,
    };
  }

  async #steps(steps: readonly Step[]): Promise<void> {
    for (const step of steps) {
      if (this.#abort.signal.aborted) throw new CallOver();
      await this.#step(step);
    }
  }

  async #step(step: Step): Promise<void> {
    const { timeline, persona } = this.#o;
    const signal = this.#abort.signal;
    switch (step.kind) {
      case 'ring':
        this.#ring();
        await sleep(step.ms, signal, this.#o.clock);
        return;
      case 'answer':
        await this.#answer();
        return;
      case 'reject':
        if (this.#o.call.sip.state !== 'ringing') throw new StepError('reject: the call is already answered');
        this.#reject(step.status, step.reason);
        return;
      case 'never-answer':
        this.#ring();
        if (step.giveUpAfterMs === undefined) await untilAborted(signal);
        else {
          await sleep(step.giveUpAfterMs, signal, this.#o.clock);
          this.#reject(step.status);
        }
        throw new CallOver();
      case 'announce': {
        const pcm = await this.#synthesize(step.text, step.voice);
        await this.#earlyMedia();
        for (let i = 0; i < step.times; i++)
          await this.#play(pcm, step.text, step.voice ?? persona.voice, false);
        return;
      }
      case 'wait':
        await sleep(step.ms, signal, this.#o.clock);
        return;
      case 'wait-prompt': {
        const from = this.#o.clock.now();
        const reached = await this.#watcher.wait(step.until, step.maxMs, signal);
        if (signal.aborted) throw new CallOver();
        timeline.add('waited', { until: step.until, reached, ms: Math.round(this.#o.clock.now() - from) });
        return;
      }
      case 'say': {
        const pcm = await this.#synthesize(step.text, step.voice);
        await this.#play(pcm, step.text, step.voice ?? persona.voice, false);
        return;
      }
      case 'barge-in': {
        const pcm = await this.#synthesize(step.text, step.voice);
        const reached = await this.#watcher.wait('prompt-start', step.maxWaitMs, signal);
        if (signal.aborted) throw new CallOver();
        if (reached) await sleep(step.afterMs, signal, this.#o.clock);
        await this.#play(pcm, step.text, step.voice ?? persona.voice, true);
        return;
      }
      case 'silence':
        timeline.add('silence', { ms: step.ms });
        await sleep(step.ms, signal, this.#o.clock);
        return;
      case 'dtmf':
        await this.#dtmf(step.digits);
        return;
      case 'beep':
        await this.#play(beepTone(step.hz, step.ms), `<beep ${step.hz} Hz>`, 'tone', false, {
          beep: { hz: step.hz, ms: step.ms },
        });
        return;
      case 'hangup':
        this.#hangup();
        throw new CallOver();
      case 'when': {
        const prompt = this.#o.latestPrompt?.();
        const lower = prompt?.toLowerCase();
        const matched =
          lower !== undefined && step.promptContains.some((p) => lower.includes(p.toLowerCase()));
        timeline.add('when', { promptContains: step.promptContains, prompt: prompt ?? null, matched });
        await this.#steps(matched ? step.steps : step.otherwise);
        return;
      }
      case 'repeat':
        for (let i = 0; step.times === undefined || i < step.times; i++) {
          const started = this.#o.clock.now();
          await this.#steps(step.steps);
          // A body that takes no time must not spin the event loop.
          if (this.#o.clock.now() - started < 20) await sleep(20, signal, this.#o.clock);
        }
        return;
    }
  }

  #ring(): void {
    if (this.#rang || this.#o.call.sip.state !== 'ringing') return;
    this.#rang = true;
    this.#o.call.ring();
    this.#o.timeline.add('ringing');
  }

  #reject(status: number, reason?: string): void {
    if (this.#o.call.sip.state !== 'ringing') return;
    this.#status = status;
    this.#o.timeline.add('rejected', { status, ...(reason && { reason }) });
    this.#o.call.reject(status, reason);
  }

  #bye(): void {
    if (this.#o.call.sip.state !== 'answered') return;
    this.#o.timeline.add('bye-sent');
    this.#o.call.hangup();
  }

  /** The persona puts the phone down: BYE once answered, 480 while ringing. */
  #hangup(): void {
    if (this.#o.call.sip.state === 'ringing') this.#reject(480);
    else this.#bye();
  }

  async #answer(): Promise<void> {
    if (this.#o.call.sip.state !== 'ringing') throw new StepError('answer: the call is no longer ringing');
    const media = await this.#o.call.answer();
    this.#answered = true;
    this.#status = 200;
    this.#o.timeline.add('answered');
    await this.#attach(media);
  }

  async #earlyMedia(): Promise<void> {
    if (this.#early) return;
    if (this.#o.call.sip.state !== 'ringing') throw new StepError('announce: the call is no longer ringing');
    const media = await this.#o.call.earlyMedia();
    this.#early = true;
    this.#o.timeline.add('early-media');
    await this.#attach(media);
  }

  async #attach(media: CallMedia): Promise<void> {
    if (this.#media === media) return;
    this.#media = media;
    const { timeline } = this.#o;
    media.on('frame', (pcm, time) => {
      this.#watcher.push(pcm, time);
      if (this.#recordingPending && media.recordingStartedAt !== undefined) {
        this.#recordingPending = false;
        const file = this.#recording ? basename(this.#recording) : undefined;
        timeline.add(
          'recording',
          { file, startMs: timeline.offset(media.recordingStartedAt) },
          media.recordingStartedAt,
        );
      }
    });
    media.on('dtmf', (d) => timeline.add('dtmf-received', { digit: d.digit }));
    const path = this.#o.recordingPath;
    if (!this.#o.persona.record || !path) return;
    try {
      await media.startRecording(path);
      this.#recording = path;
      this.#recordingPending = true;
    } catch (err) {
      if (!media.closed)
        this.#o.logger.warn(
          { callId: this.callId, err: (err as Error).message },
          'phonenet recording failed',
        );
    }
  }

  #requireMedia(what: string): CallMedia {
    const media = this.#media;
    if (!media || media.closed) throw new StepError(`${what}: no audio yet (answer or announce first)`);
    return media;
  }

  async #synthesize(text: string, voice: string | undefined): Promise<Int16Array> {
    const pcm = await this.#o.voice.synthesize(text, voice ?? this.#o.persona.voice);
    if (this.#abort.signal.aborted) throw new CallOver();
    return pcm;
  }

  async #play(
    pcm: Int16Array,
    text: string,
    voice: string,
    overPrompt: boolean,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const media = this.#requireMedia('say');
    const signal = this.#abort.signal;
    const { timeline } = this.#o;
    const id = `persona-${++this.#plays}`;
    const started = nextEvent<[PlayoutStarted]>(media, 'playStarted', (e) => e.id === id, signal);
    const ended = nextEvent<[PlayoutEnded]>(media, 'playEnded', (e) => e.id === id, signal);
    started.catch(() => undefined);
    ended.catch(() => undefined);
    media.play(new PcmSource(pcm), { id });
    let startedAt: number | undefined;
    try {
      [{ at: startedAt }] = await started;
      const platformTalking = this.#watcher.speaking;
      const [end] = await ended;
      timeline.add(
        'said',
        {
          text,
          voice,
          startMs: timeline.offset(startedAt),
          endMs: timeline.offset(end.at),
          ...(overPrompt && { overPrompt: true, platformTalking }),
          ...extra,
        },
        startedAt,
      );
    } catch (err) {
      if (err instanceof CallOver && startedAt !== undefined)
        timeline.add(
          'said',
          { text, voice, startMs: timeline.offset(startedAt), endMs: timeline.offset(), cutOff: true },
          startedAt,
        );
      throw err;
    }
  }

  async #dtmf(digits: string): Promise<void> {
    const media = this.#requireMedia('dtmf');
    const { timeline } = this.#o;
    const sent: DtmfSentEvent[] = [];
    const all = nextEvent<[DtmfSentEvent]>(
      media,
      'dtmfSent',
      (e) => {
        sent.push(e);
        timeline.add('dtmf-sent', { digit: e.digit, durationMs: e.durationMs }, e.at);
        return sent.length === digits.length;
      },
      this.#abort.signal,
    );
    all.catch(() => undefined);
    media.sendDtmf(digits);
    await all;
  }
}
