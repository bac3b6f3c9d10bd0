/**
 * The virtual phone network's carrier: a SIP UAS (UDP and TCP) on a loopback port whose numbers are
 * personas. Each INVITE is checked (loopback source unless configured otherwise: 403), routed by its
 * Request-URI number (unknown: 404) and handed to a {@link PersonaCall} that plays the persona's
 * script over real SIP and RTP. Finished calls leave their timeline and recording in the archive.
 *
 * Ownership: the carrier owns its Telephony (SIP sockets, RTP ports; the media clock too unless one
 * is shared), every persona call, the voice warm-up, and the archive; `close()` hangs up every call
 * and releases all of it.
 */
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { within } from '../clock/within.js';
import type { MediaClock } from '../media/mediaClock.js';
import { LOOPBACK_SOURCES, sourceFilter } from '../net/sourceFilter.js';
import type { Logger } from '../observability/logger.js';
import { maskNumber } from '../observability/logger.js';
import type { Endpoint, IncomingInvite, SipTimerConfig } from '../sip/index.js';
import { isSipUri, parseUri } from '../sip/index.js';
import { InboundCall } from '../telephony/inboundCall.js';
import { OutboundCall } from '../telephony/outboundCall.js';
import { Telephony } from '../telephony/telephony.js';
import { builtinPersonas } from './builtinPersonas.js';
import { CallArchive } from './callArchive.js';
import { CallTimeline } from './callTimeline.js';
import { DialledLeg } from './dialledLeg.js';
import { PersonaCall, type PersonaCallResult, type PersonaLeg } from './personaCall.js';
import { PersonaDirectory } from './personaDirectory.js';
import type { Persona, Step } from './personaSchema.js';
import { type PersonaSummary, summarizePersona } from './personaSummary.js';
import { CachedVoice, type PersonaVoice } from './personaVoice.js';
import { EnergyDetector, type SpeechDetector } from './speechDetector.js';
import { SyntheticVoice } from './syntheticVoice.js';

export interface CarrierOptions {
  /** IP literal to bind SIP and RTP to (default 127.0.0.1). */
  address?: string;
  /** SIP port, UDP and TCP (0: any free port, chosen separately for each). */
  sipPort: number;
  /** Also listen on TCP (default true). */
  tcp?: boolean;
  rtpPortMin: number;
  rtpPortMax: number;
  /** Personas from files; they come before the built-in ones (first match wins). */
  personas?: readonly Persona[];
  /** Include the built-in personas (default true). */
  builtins?: boolean;
  /** How personas speak (default: the synthetic voice). Cached per (voice, text). */
  voice?: PersonaVoice;
  /** A fresh speech detector per call (default: the energy detector). */
  detector?: () => SpeechDetector;
  /** Directory for timelines and recordings; without it timelines stay in memory and nothing is recorded. */
  runDir?: string;
  /** Calls kept in the run directory and in memory (default 100). */
  keepCalls?: number;
  /** Accept INVITEs from any source (default false: only `allowedSources`, others get 403). */
  acceptNonLoopback?: boolean;
  /** Source ranges (CIDR) calls are taken from (default this machine's loopback). */
  allowedSources?: readonly string[];
  /** Media worker threads for the callees' media (default none: this thread's clock). */
  mediaWorkers?: number;
  /** Share a media clock (one process running the platform and the network). */
  clock?: MediaClock;
  /** SIP timers (tests shrink T1). */
  timers?: Partial<SipTimerConfig>;
  /** Synthesize every persona phrase at start-up so the first call has no TTS delay (default true). */
  warmUp?: boolean;
  logger: Logger;
}

/** A call as it starts. */
export interface CarrierCallInfo {
  callId: string;
  number: string;
  persona: string;
  source: Endpoint;
}

/** An INVITE the carrier turned away before any persona saw it. */
export interface RefusedCall {
  callId: string;
  number: string;
  source: Endpoint;
  status: number;
  reason: string;
}

export interface CarrierEvents {
  call: [CarrierCallInfo];
  callEnded: [PersonaCallResult];
  refused: [RefusedCall];
}

/** A call a persona places (`smartcall phonenet dial`). */
export interface DialRequest {
  /** The persona's number (it must route to a persona); shown as the caller. */
  from: string;
  /** The number called. */
  to: string;
  /** Where the INVITE goes: `sip:127.0.0.1:5060` (an IP literal; `;transport=tcp` for TCP). */
  server: string;
  /** CANCEL when not answered within this long (default 60 s). */
  ringTimeoutMs?: number;
}

export class DialError extends Error {
  override name = 'DialError';
}

/** Steps of a receiving script that a caller cannot take. */
const RECEIVING_ONLY = new Set(['reject', 'never-answer', 'announce']);

/**
 * The persona's script for a call it places: its signalling steps (ring, answer) give way to one
 * `answer` that waits for the far end to answer; the rest (say, wait, dtmf, hangup…) runs as is.
 */
export function dialScript(persona: Persona): Step[] {
  const bad = persona.steps.find((s) => RECEIVING_ONLY.has(s.kind));
  if (bad)
    throw new DialError(
      `persona ${persona.name} cannot place a call: its script has a ${bad.kind} step (it only receives calls)`,
    );
  return [{ kind: 'answer' }, ...persona.steps.filter((s) => s.kind !== 'ring' && s.kind !== 'answer')];
}

/** The Request-URI's user part (a tel: URI's number), %-decoded. */
function calledNumber(sip: IncomingInvite): string {
  const uri = sip.invite.uri;
  const user = isSipUri(uri) ? (uri.user ?? '') : uri.opaque.split(';')[0]!;
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

function phrases(steps: readonly Step[], voice: string): { text: string; voice: string }[] {
  return steps.flatMap((s) => {
    if (s.kind === 'say' || s.kind === 'announce' || s.kind === 'barge-in')
      return [{ text: s.text, voice: s.voice ?? voice }];
    if (s.kind === 'repeat') return phrases(s.steps, voice);
    if (s.kind === 'when') return [...phrases(s.steps, voice), ...phrases(s.otherwise, voice)];
    return [];
  });
}

/**
 * What the platform played last on the call to a number (its own record of the prompt text), for
 * personas' `when: {prompt_contains}` steps. Given by a runner that shares the platform's process.
 */
export type PromptSource = (calledNumber: string) => string | undefined;

export class Carrier extends EventEmitter<CarrierEvents> {
  readonly telephony: Telephony;
  #directory: PersonaDirectory;
  /** See {@link PromptSource}; unset, `when` conditions are false. */
  promptSource: PromptSource | undefined;
  readonly #voice: PersonaVoice;
  readonly #detector: () => SpeechDetector;
  readonly #archive: CallArchive | undefined;
  readonly #keep: number;
  readonly #acceptSource: (address: string) => boolean;
  readonly #log: Logger;
  readonly #active = new Map<PersonaCall, Promise<void>>();
  readonly #recent: PersonaCallResult[] = [];
  readonly #warmUp: Promise<void>;
  #closing: Promise<void> | undefined;

  private constructor(telephony: Telephony, options: CarrierOptions) {
    super();
    this.telephony = telephony;
    this.#directory = PersonaDirectory.layered(
      options.personas ?? [],
      options.builtins === false ? [] : builtinPersonas(),
    );
    this.#voice = new CachedVoice(options.voice ?? new SyntheticVoice());
    this.#detector = options.detector ?? (() => new EnergyDetector());
    this.#keep = options.keepCalls ?? 100;
    this.#archive = options.runDir ? new CallArchive(options.runDir, this.#keep) : undefined;
    const allowed = sourceFilter(options.allowedSources ?? LOOPBACK_SOURCES);
    this.#acceptSource = options.acceptNonLoopback ? () => true : allowed;
    this.#log = options.logger;
    this.#warmUp = options.warmUp === false ? Promise.resolve() : this.#synthesizeAll();
    telephony.ua.on('incoming', (sip) => this.#onIncoming(sip));
  }

  static async create(options: CarrierOptions): Promise<Carrier> {
    const telephony = await Telephony.create({
      address: options.address ?? '127.0.0.1',
      sipUdpPort: options.sipPort,
      sipTcpPort: options.tcp === false ? false : options.sipPort,
      rtpPortMin: options.rtpPortMin,
      rtpPortMax: options.rtpPortMax,
      user: 'phonenet',
      ...(options.timers && { timers: options.timers }),
      ...(options.clock && { clock: options.clock }),
      ...(options.mediaWorkers && { mediaWorkers: options.mediaWorkers }),
      logger: options.logger,
    });
    const carrier = new Carrier(telephony, options);
    options.logger.info(
      {
        udp: carrier.sipPort,
        tcp: telephony.ua.localEndpoint('tcp')?.port,
        personas: carrier.directory.personas.length,
        runDir: options.runDir,
      },
      'phonenet carrier listening',
    );
    return carrier;
  }

  get directory(): PersonaDirectory {
    return this.#directory;
  }

  /**
   * Puts personas in front of the current ones (first match wins) while the carrier runs: calls
   * already in progress keep their persona. Their phrases are synthesized in the background.
   */
  addPersonas(personas: readonly Persona[]): void {
    this.#directory = PersonaDirectory.layered(personas, this.#directory.personas);
    for (const p of personas)
      for (const { text, voice } of phrases(p.steps, p.voice))
        this.#voice.synthesize(text, voice).catch((err: unknown) => {
          this.#log.warn({ persona: p.name, voice, err: (err as Error).message }, 'phonenet TTS failed');
        });
  }

  /** The UDP SIP port. */
  get sipPort(): number {
    return this.telephony.ua.localEndpoint('udp')?.port ?? this.telephony.ua.localEndpoint('tcp')?.port ?? 0;
  }

  /** `sip:<number>@<address>:<port>` for a number on this network. */
  uriFor(number: string): string {
    return `sip:${number}@${this.telephony.address}:${this.sipPort}`;
  }

  get activeCalls(): number {
    return this.#active.size;
  }

  /** Where timelines and recordings go (undefined: memory only). */
  get runDir(): string | undefined {
    return this.#archive?.dir;
  }

  personaSummaries(): PersonaSummary[] {
    return this.directory.personas.map(summarizePersona);
  }

  /** The last finished calls, oldest first. */
  get recentCalls(): readonly PersonaCallResult[] {
    return this.#recent;
  }

  /** A finished call by its SIP Call-ID. */
  findCall(callId: string): PersonaCallResult | undefined {
    return this.#recent.findLast((c) => c.callId === callId);
  }

  /** Resolves with the result of the call with this Call-ID (now, if it has already finished). */
  callResult(callId: string): Promise<PersonaCallResult> {
    const done = this.findCall(callId);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => {
      const listener = (result: PersonaCallResult) => {
        if (result.callId !== callId) return;
        this.off('callEnded', listener);
        resolve(result);
      };
      this.on('callEnded', listener);
    });
  }

  /** Resolves once every persona phrase has been synthesized (errors are logged, not thrown). */
  warmedUp(): Promise<void> {
    return this.#warmUp;
  }

  /** Hangs up every call, waits for their records, closes the SIP sockets and RTP sessions. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const call of this.#active.keys()) call.stop();
    // BYEs need their answers (or the UA's close) before the calls report their end.
    const settled = Promise.all(this.#active.values());
    await within(settled, 2000, this.telephony.clock);
    await this.telephony.close();
    await settled;
    await this.#warmUp;
  }

  async #synthesizeAll(): Promise<void> {
    const seen = new Set<string>();
    for (const p of this.directory.personas) {
      for (const { text, voice } of phrases(p.steps, p.voice)) {
        const key = `${voice}\u0000${text}`;
        if (seen.has(key)) continue;
        seen.add(key);
        try {
          await this.#voice.synthesize(text, voice);
        } catch (err) {
          this.#log.warn({ persona: p.name, voice, err: (err as Error).message }, 'phonenet TTS failed');
        }
        if (this.#closing) return;
      }
    }
  }

  #refuse(sip: IncomingInvite, number: string, status: number, reason: string): void {
    sip.reject(status, reason);
    this.emit('refused', { callId: sip.callId, number, source: sip.inbound.source, status, reason });
  }

  #onIncoming(sip: IncomingInvite): void {
    const source = sip.inbound.source;
    const number = calledNumber(sip);
    if (this.#closing) {
      this.#refuse(sip, number, 503, 'Service Unavailable');
      return;
    }
    if (!this.#acceptSource(source.address)) {
      this.#log.warn(
        { source: `${source.protocol}:${source.address}:${source.port}`, callId: sip.callId },
        'phonenet refused an INVITE from a source it does not accept (see allowedSources / acceptNonLoopback)',
      );
      this.#refuse(sip, number, 403, 'Forbidden');
      return;
    }
    const persona = this.directory.route(number);
    if (!persona) {
      this.#log.info(
        { number: maskNumber(number), callId: sip.callId },
        'phonenet: no persona at this number',
      );
      this.#refuse(sip, number, 404, 'Not Found');
      return;
    }
    this.#start(sip, number, persona);
  }

  /**
   * A persona calls `to` at `server` and holds the conversation with its script (it speaks and
   * listens as when it is called); resolves with the call's result once it has ended. Rejects with
   * a DialError when no persona has the `from` number, its script only receives calls, or the
   * server is not a SIP URI with an IP literal.
   */
  async dial(request: DialRequest): Promise<PersonaCallResult> {
    if (this.#closing) throw new DialError('the phone network is closing');
    const persona = this.directory.route(request.from);
    if (!persona) throw new DialError(`no persona has the number ${request.from}`);
    const steps = dialScript(persona);
    const server = parseUri(request.server);
    if (!isSipUri(server) || isIP(server.host) === 0)
      throw new DialError(
        `--server must be a SIP URI with an IP address, like sip:127.0.0.1:5060 (got ${request.server})`,
      );
    const target = server.clone();
    target.user = request.to;
    const transport = server.params.get('transport') === 'tcp' ? 'tcp' : 'udp';
    target.params.delete('transport');
    const out = await OutboundCall.place(this.telephony, {
      target: target.toString(),
      from: `sip:${request.from}@${this.telephony.address}`,
      transport,
      setupTimeoutMs: request.ringTimeoutMs ?? 60_000,
    });
    const leg = new DialledLeg(out);
    this.#start(leg, request.to, { ...persona, steps }, (timeline) => {
      timeline.add('invite', {
        callId: leg.sip.callId,
        persona: persona.name,
        number: request.to,
        from: request.from,
        direction: 'out',
        target: target.toString(),
      });
      out.once('ringing', () => timeline.add('ringing'));
    });
    return this.callResult(leg.sip.callId);
  }

  #start(
    sip: IncomingInvite | DialledLeg,
    number: string,
    persona: Persona,
    describe?: (timeline: CallTimeline) => void,
  ): void {
    const clock = this.telephony.clock;
    const callId = sip instanceof DialledLeg ? sip.sip.callId : sip.callId;
    let paths: { timeline: string; recording: string } | undefined;
    let timeline: CallTimeline;
    try {
      paths = this.#archive?.allocate(callId);
      timeline = new CallTimeline(() => clock.now(), paths?.timeline);
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, 'phonenet cannot write its run directory');
      paths = undefined;
      timeline = new CallTimeline(() => clock.now());
    }
    let leg: PersonaLeg;
    if (sip instanceof DialledLeg) {
      describe?.(timeline);
      leg = sip;
    } else {
      timeline.add('invite', {
        callId: sip.callId,
        persona: persona.name,
        number,
        from: sip.invite.from.uri.toString(),
        source: `${sip.inbound.source.protocol}:${sip.inbound.source.address}:${sip.inbound.source.port}`,
      });
      leg = new InboundCall(this.telephony, sip);
      this.emit('call', { callId, number, persona: persona.name, source: sip.inbound.source });
    }
    const call = new PersonaCall({
      call: leg,
      persona,
      number,
      voice: this.#voice,
      detector: this.#detector(),
      timeline,
      clock,
      recordingPath: paths?.recording,
      latestPrompt: () => this.promptSource?.(number),
      logger: this.#log,
    });
    this.#log.info(
      { sipCallId: callId, persona: persona.name, number: maskNumber(number) },
      sip instanceof DialledLeg ? 'phonenet persona places a call' : 'phonenet call to a persona',
    );
    const done = call
      .run()
      .then(async (result) => {
        const fileError = await timeline.close();
        if (fileError) this.#log.warn({ err: fileError.message }, 'phonenet timeline file failed');
        if (paths) this.#archive?.finished(paths);
        this.#recent.push(result);
        while (this.#recent.length > this.#keep) this.#recent.shift();
        this.#log.info(
          {
            sipCallId: result.callId,
            persona: result.persona,
            outcome: result.outcome,
            durationMs: result.durationMs,
          },
          'phonenet call ended',
        );
        this.emit('callEnded', result);
      })
      .catch((err: unknown) => {
        this.#log.error({ err: (err as Error).message, sipCallId: callId }, 'phonenet persona call crashed');
      })
      .finally(() => this.#active.delete(call));
    this.#active.set(call, done);
  }
}
