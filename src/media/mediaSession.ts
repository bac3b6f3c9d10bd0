/**
 * The media of ONE call: an RtpSession, a jitter buffer, a playout queue, RFC 4733 DTMF both ways
 * and an optional two-channel recorder, all driven by the shared MediaClock.
 *
 * Each tick:
 * - send phase (`onTick`): once started, one packet — a DTMF event packet while a digit is being
 *   sent (audio pauses), else the playout's next frame with the background bed, if any, mixed in
 *   under it (the bed also fills what would be silence, and the recording's right channel has it). When nothing is playing we still send
 *   silence (unless `sendSilence: false`): peers that latch or keep NAT bindings open need a steady
 *   stream, and a continuous timestamp keeps their jitter buffers calm. RTP timestamps come from the
 *   clock's tick index, so a skipped tick shows as a timestamp gap, as it should.
 * - receive phase (`onAfterTick`): exactly one 20 ms frame (160 samples of 16-bit PCM) is pulled
 *   from the jitter buffer and emitted as `frame` (the speech layer's input), DTMF timeouts are
 *   checked, and the recorder gets the remote frame (left) and what was sent (right).
 *
 * Payload types: audio is decoded as PCMU (0), PCMA (8) or G.722 (9) whatever was negotiated (static
 * types are unambiguous); the negotiated telephone-event type goes to the DTMF receiver; anything else
 * (comfort noise, video...) is counted and ignored.
 *
 * G.722 (wideband): received G.722 goes into a second jitter buffer at 16 kHz (two samples per RTP
 * timestamp unit); each tick its 320 samples are emitted as `wideFrame` and, downsampled, as the
 * usual 160-sample `frame` that VAD, DTMF and the dialogue take. Which buffer plays follows the last
 * audio packet's payload type. Sending G.722, the 8 kHz playout mix is upsampled and encoded (prompts
 * stay narrowband). A recording started while the call runs G.722 is written at 16 kHz. Encoder and
 * decoder state belong to this session (one call, one direction each); SRTP still protects and
 * checks the encoded packets, below all this. Our own packets echoed back verbatim (sipp -rtp_echo, same
 * SSRC) are accepted like any other stream — including our DTMF, which then reports as received.
 *
 * Receiving works from {@link MediaSession.open} on (early media may arrive before we send);
 * sending starts with {@link start}. Lifetime: the session owns its RtpSession (socket + port), its
 * clock subscription and its recorder; {@link close} closes all three.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../observability/logger.js';
import { type DtmfDigitEvent, DtmfReceiver, type DtmfReceiverStats } from '../rtp/dtmfReceiver.js';
import { DtmfSender, type DtmfSenderOptions, type SentDtmfDigit } from '../rtp/dtmfSender.js';
import {
  FrameKind,
  JitterBuffer,
  type JitterBufferOptions,
  type JitterBufferStats,
} from '../rtp/jitterBuffer.js';
import type { PortPool } from '../rtp/portPool.js';
import type { RtpPacket } from '../rtp/rtpPacket.js';
import { type RtpEndpoint, RtpSession, type RtpSessionStats } from '../rtp/rtpSession.js';
import type { SrtpKeys } from '../rtp/srtp.js';
import type { AudioSource } from './audioSource.js';
import { BackgroundMix } from './backgroundMix.js';
import type { CallMedia } from './callMedia.js';
import { CallRecorder, type RecordingInfo } from './callRecorder.js';
import { FRAME_SAMPLES } from './frame.js';
import { type G711Codec, type G711Name, g711ByName, g711ByPayloadType } from './g711.js';
import { G722_PAYLOAD_TYPE, G722Decoder, G722Encoder } from './g722.js';
import type { ClockSubscriber, MediaClock } from './mediaClock.js';
import { type PlayOptions, Playout, type PlayoutEnded, type PlayoutStarted } from './playout.js';
import { Downsampler2x, Upsampler2x } from './wideband.js';

/** The audio codecs a session sends: G.711 either law, or G.722 (16 kHz audio, RTP clock 8000). */
export type MediaCodecName = G711Name | 'G722';

export interface MediaSessionOptions {
  clock: MediaClock;
  portPool: PortPool;
  /** Local IP to bind the RTP socket to. */
  localAddress: string;
  /** Audio codec we send (default PCMU); we decode PCMU, PCMA and G.722 whatever arrives. */
  codec?: MediaCodecName;
  /** RFC 4733 payload type negotiated in SDP (default 101); null when the peer offered none. */
  telephoneEventPayloadType?: number | null;
  jitterBuffer?: JitterBufferOptions;
  /** DTMF sending (tone/gap length, volume) and receiving (end timeout). */
  dtmf?: DtmfSenderOptions & { endTimeoutMs?: number };
  /** Send silence frames when nothing plays (default true; see the file comment). */
  sendSilence?: boolean;
  /** Datagrams above this size are dropped (default 1500). */
  maxPacketBytes?: number;
  /** Random source for SSRC / sequence / timestamp bases (tests). */
  random?: () => number;
  /**
   * SRTP is required (we offered RTP/SAVP): packets that arrive before the keys (see
   * {@link MediaSessionUpdate.srtp}) are dropped (counted as `srtpBeforeKeys`), never played.
   */
  srtpRequired?: boolean;
  logger?: Logger;
  /**
   * Benchmark hook, called after every packet sent: the tick's ideal time and the time the packet
   * was handed to the socket (both clock ms). Keep it cheap; it runs on the hot path.
   */
  onPacketSent?: (idealTime: number, sentAt: number) => void;
}

/** Sent-digit report, stamped with the tick time of its last packet. */
export interface DtmfSentEvent extends SentDtmfDigit {
  at: number;
}

export interface MediaSessionEvents {
  /** One per tick: 160 samples of the remote party (a reused buffer: copy to keep). */
  frame: [pcm: Int16Array, time: number, kind: FrameKind];
  /**
   * While the remote sends G.722: the same tick's audio at 16 kHz (320 samples, a reused buffer),
   * emitted just before its `frame`.
   */
  wideFrame: [pcm: Int16Array, time: number, kind: FrameKind];
  /** A digit received from the remote (RFC 4733), once, in order. */
  dtmf: [DtmfDigitEvent];
  /** A digit we sent has finished. */
  dtmfSent: [DtmfSentEvent];
  playStarted: [PlayoutStarted];
  playEnded: [PlayoutEnded];
  /** Symmetric RTP latched onto the address the remote really sends from. */
  latched: [RtpEndpoint];
  /** The recorder failed to write (recording stopped, the call goes on). */
  recordingError: [Error];
  closed: [];
  /**
   * The media engine under the session died (a media worker thread): the session is closed, no
   * audio flows any more, and the call should end. Only sessions in a worker emit it.
   */
  lost: [Error];
}

export interface MediaSessionStats {
  rtp: Readonly<RtpSessionStats>;
  jitter: Readonly<JitterBufferStats>;
  dtmfReceived: Readonly<DtmfReceiverStats>;
  /** Audio packets sent (silence included). */
  audioPacketsSent: number;
  /** RFC 4733 packets sent. */
  eventPacketsSent: number;
  /** Packets whose payload type is neither G.711, G.722 nor the telephone-event type. */
  unknownPayloadType: number;
  /** Frames a streaming source could not fill in time. */
  starvedFrames: number;
  /** Recorder frames dropped because the disk fell behind. */
  recordingDroppedFrames: number;
}

export interface MediaSessionUpdate {
  /** New remote address/port (re-INVITE): symmetric RTP latches afresh. */
  remote?: RtpEndpoint;
  codec?: MediaCodecName;
  telephoneEventPayloadType?: number | null;
  /**
   * Milliseconds of audio per packet we send: 20 (one tick) or 30 (the far end's a=ptime:30, RFC
   * 4566 §6: the packet time it wants to receive). Received packets may have any length.
   */
  packetMs?: 20 | 30;
  /**
   * SDES-negotiated SRTP keys (RFC 4568): from now on packets are encrypted and authenticated,
   * both ways; received ones are decrypted before the jitter buffer, DTMF and the recorder, so
   * they all see plain audio. null: plain RTP.
   */
  srtp?: SrtpKeys | null;
}

export class MediaSession extends EventEmitter<MediaSessionEvents> implements ClockSubscriber, CallMedia {
  readonly #clock: MediaClock;
  readonly #rtp: RtpSession;
  readonly #jitter: JitterBuffer;
  readonly #playout = new Playout();
  readonly #dtmfSender: DtmfSender;
  readonly #dtmfReceiver: DtmfReceiver;
  readonly #sendSilence: boolean;
  readonly #onPacketSent: ((idealTime: number, sentAt: number) => void) | undefined;
  readonly #log: Logger | undefined;
  readonly #remoteFrame = new Int16Array(FRAME_SAMPLES);
  readonly #localFrame = new Int16Array(FRAME_SAMPLES);
  readonly #jitterOptions: JitterBufferOptions | undefined;
  // Wideband (G.722), made when first needed: 16 kHz frames, the codec states, the 2:1 converters.
  #wide: WidePath | undefined;
  /** The last audio packet was G.722: the wide jitter buffer is the one that plays. */
  #wideRx = false;
  #localAudible = false;
  #promptAudible = false;
  #background: BackgroundMix | undefined;
  #nextSend: ((sentAt: number, audible: boolean) => void) | undefined;
  #codec: G711Codec;
  #codecName: MediaCodecName;
  #eventPt: number | null;
  #sending = false;
  #tickBase = 0;
  #talkspurt = true;
  /** Samples per audio packet sent: 160 (20 ms, one a tick) or 240 (30 ms, two every three ticks). */
  #packetSamples = FRAME_SAMPLES;
  /** Encoded audio waiting to fill a packet longer than a tick (30 ms: 2 packets per 3 ticks). */
  readonly #pending = Buffer.alloc(4 * FRAME_SAMPLES);
  #pendingSamples = 0;
  #pendingTs = 0;
  #recorder: CallRecorder | undefined;
  #closing: Promise<{ recording: RecordingInfo | undefined }> | undefined;
  #audioSent = 0;
  #eventsSent = 0;
  #unknownPt = 0;
  #recordingDropped = 0;

  /** Binds an RTP port from the pool and joins the clock; receiving starts now, sending on start(). */
  static async open(options: MediaSessionOptions): Promise<MediaSession> {
    const rtp = await RtpSession.open({
      localAddress: options.localAddress,
      portPool: options.portPool,
      maxPacketBytes: options.maxPacketBytes,
      random: options.random,
      logger: options.logger,
    });
    if (options.srtpRequired) rtp.expectSrtp();
    return new MediaSession(options, rtp);
  }

  private constructor(options: MediaSessionOptions, rtp: RtpSession) {
    super();
    this.#clock = options.clock;
    this.#rtp = rtp;
    this.#jitter = new JitterBuffer(options.jitterBuffer);
    this.#jitterOptions = options.jitterBuffer;
    this.#dtmfSender = new DtmfSender(options.dtmf);
    this.#dtmfReceiver = new DtmfReceiver({
      endTimeoutMs: options.dtmf?.endTimeoutMs,
      onDigit: (digit) => this.emit('dtmf', digit),
    });
    this.#codecName = options.codec ?? 'PCMU';
    this.#codec = g711ByName(this.#codecName === 'G722' ? 'PCMU' : this.#codecName);
    if (this.#codecName === 'G722') this.#wideRx = this.#widePath() !== undefined;
    this.#eventPt = options.telephoneEventPayloadType === undefined ? 101 : options.telephoneEventPayloadType;
    this.#sendSilence = options.sendSilence ?? true;
    this.#onPacketSent = options.onPacketSent;
    this.#log = options.logger;
    this.#playout.on('started', (e) => this.emit('playStarted', e));
    this.#playout.on('ended', (e) => this.emit('playEnded', e));
    rtp.handler = this;
    rtp.onLatch = (endpoint) => this.emit('latched', endpoint);
    this.#clock.subscribe(this);
    this.#log?.info({ localPort: rtp.localPort, codec: this.#codecName }, 'media session open');
  }

  get localAddress(): string {
    return this.#rtp.localAddress;
  }
  get localPort(): number {
    return this.#rtp.localPort;
  }
  get codec(): MediaCodecName {
    return this.#codecName;
  }
  /** The remote's audio is G.722 now: `wideFrame` events carry it at 16 kHz. */
  get wideband(): boolean {
    return this.#wideRx;
  }
  /** Where packets go now (latched source, else the signalled address). */
  get remote(): RtpEndpoint | undefined {
    return this.#rtp.remote;
  }
  get sending(): boolean {
    return this.#sending;
  }
  get closed(): boolean {
    return this.#closing !== undefined;
  }
  get ssrc(): number {
    return this.#rtp.ssrc;
  }
  /** The playout item on the wire now and since when (clock ms). */
  get playing(): { id: string; startedAt: number } | undefined {
    return this.#playout.current;
  }
  /** Items queued behind the current one. */
  get queuedItems(): number {
    return this.#playout.queued;
  }
  /** The rate the recording in progress is written at (16000 on a G.722 call), when recording. */
  get recordingSampleRate(): number | undefined {
    return this.#recorder?.sampleRate;
  }
  /** Clock time of the recording's first frame, when recording. */
  get recordingStartedAt(): number | undefined {
    return this.#recorder?.startedAt;
  }

  get stats(): MediaSessionStats {
    return {
      rtp: this.#rtp.stats,
      jitter: this.#wideRx && this.#wide ? this.#wide.jitter.stats : this.#jitter.stats,
      dtmfReceived: this.#dtmfReceiver.stats,
      audioPacketsSent: this.#audioSent,
      eventPacketsSent: this.#eventsSent,
      unknownPayloadType: this.#unknownPt,
      starvedFrames: this.#playout.starvedFrames,
      recordingDroppedFrames: this.#recordingDropped + (this.#recorder?.droppedFrames ?? 0),
    };
  }

  /** The counters now (the same as `stats` here; a worker session fetches them). */
  refreshStats(): Promise<MediaSessionStats> {
    return Promise.resolve(this.stats);
  }

  /**
   * Starts sending to the remote from signalling (early media or answer), from the next tick on.
   * Calling it again while sending only moves the remote.
   */
  start(remote: RtpEndpoint): void {
    this.#assertOpen();
    this.#rtp.setRemote(remote);
    if (!this.#sending) {
      this.#sending = true;
      this.#tickBase = this.#clock.tick;
      this.#talkspurt = true;
    }
    this.#log?.info({ remote }, 'media sending');
  }

  /** Applies a re-INVITE: new remote (re-latches), codec and/or telephone-event payload type. */
  update(update: MediaSessionUpdate): void {
    this.#assertOpen();
    if (update.srtp !== undefined) this.#rtp.setSrtp(update.srtp);
    if (update.remote) this.#rtp.setRemote(update.remote);
    if (update.codec) this.#setCodec(update.codec);
    if (update.telephoneEventPayloadType !== undefined) this.#eventPt = update.telephoneEventPayloadType;
    if (update.packetMs !== undefined) {
      this.#packetSamples = (update.packetMs * FRAME_SAMPLES) / 20;
      this.#pendingSamples = 0;
    }
    if (update.remote) this.#dtmfReceiver.reset();
    this.#log?.info(
      { remote: update.remote, codec: this.#codecName, eventPt: this.#eventPt, srtp: this.#rtp.srtp },
      'media updated',
    );
  }

  /** Queues audio behind what is playing; returns the item id used in play events. */
  play(source: AudioSource, options?: PlayOptions): string {
    this.#assertOpen();
    return this.#playout.enqueue(source, options);
  }

  /** Barge-in: stops the current item and drops the queue; the next tick sends silence (or the background). */
  flushPlayout(): void {
    this.#playout.flush(this.#clock.now());
  }

  /**
   * Loops audio under everything sent from the next tick on (SmartCall `BackgroundFileCode`): `make`
   * gives one pass of it, called again for every loop. Replaces a background already playing. Flushing
   * the playout does not stop it; {@link stopBackground} and close() do.
   */
  playBackground(make: () => AudioSource, options: { gainDb?: number } = {}): void {
    this.#assertOpen();
    this.#background?.close();
    this.#background = new BackgroundMix(make, options);
  }

  /** Stops the background (no-op without one). */
  stopBackground(): void {
    this.#background?.close();
    this.#background = undefined;
  }

  /** Queues RFC 4733 digits (0-9 * # A-D). Throws when no telephone-event type was negotiated. */
  sendDtmf(digits: string): void {
    this.#assertOpen();
    if (this.#eventPt === null)
      throw new Error('cannot send DTMF: no telephone-event payload type negotiated');
    this.#dtmfSender.enqueue(digits);
  }

  /**
   * Starts recording to `path` (stereo WAV: left remote, right local) from the next tick; at 16 kHz
   * when the call runs G.722 now (sent or received), else 8 kHz.
   */
  async startRecording(path: string): Promise<void> {
    this.#assertOpen();
    if (this.#recorder) throw new Error('already recording');
    const wide = this.#codecName === 'G722' || this.#wideRx;
    const recorder = await CallRecorder.open({ path, logger: this.#log, sampleRate: wide ? 16000 : 8000 });
    if (this.closed) {
      await recorder.close();
      throw new Error('media session closed while the recording was opening');
    }
    recorder.on('error', (err) => this.emit('recordingError', err));
    this.#recorder = recorder;
  }

  /** Stops recording; resolves with what was written (undefined when not recording). */
  async stopRecording(): Promise<RecordingInfo | undefined> {
    const recorder = this.#recorder;
    if (!recorder) return undefined;
    this.#recorder = undefined;
    const info = await recorder.close();
    this.#recordingDropped += info.droppedFrames;
    return info;
  }

  /**
   * Leaves the clock, closes the socket and returns the port to the pool, flushes the playout (its
   * items get `playEnded` with reason `flushed`) and closes the recorder. Idempotent.
   */
  close(): Promise<{ recording: RecordingInfo | undefined }> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<{ recording: RecordingInfo | undefined }> {
    this.#clock.unsubscribe(this);
    this.#sending = false;
    this.#rtp.close();
    this.#playout.flush(this.#clock.now());
    this.stopBackground();
    this.#dtmfSender.clearQueue();
    const recording = await this.stopRecording();
    const { srtpAuthFailures, srtpReplays } = this.#rtp.stats;
    if (srtpAuthFailures > 0 || srtpReplays > 0) {
      // Once per call: tampering, a wrong key or replays are worth a look, never a line per packet.
      this.#log?.warn({ srtpAuthFailures, srtpReplays }, 'srtp packets dropped');
    }
    this.#log?.info({ stats: this.stats }, 'media session closed');
    this.emit('closed');
    return { recording };
  }

  // ---- clock subscriber (hot path) ----

  /** Send phase. */
  onTick(time: number, tick: number): void {
    if (!this.#sending || this.#closing) {
      this.#localAudible = false;
      this.#promptAudible = false;
      return;
    }
    const rtp = this.#rtp;
    const mediaTs = ((tick - this.#tickBase) * FRAME_SAMPLES) >>> 0;
    const payload = rtp.payloadBuffer();
    const sender = this.#dtmfSender;
    let sent = false;
    if (this.#eventPt !== null && sender.pending && sender.next(mediaTs, payload, 0)) {
      sent = rtp.send(this.#eventPt, sender.marker, sender.timestamp, 4);
      if (sent) this.#eventsSent++;
      this.#talkspurt = true; // audio after the event starts a new talkspurt
      this.#pendingSamples = 0;
      this.#localAudible = false;
      this.#promptAudible = false;
      const done = sender.takeCompleted();
      if (done) this.emit('dtmfSent', { ...done, at: time });
    } else {
      const frame = this.#localFrame;
      const active = this.#playout.next(frame, time);
      const background = this.#background?.mixInto(frame, 0, FRAME_SAMPLES) ?? false;
      this.#promptAudible = active;
      this.#localAudible = active || background;
      // G.722 sends it, a 16 kHz recording keeps it: the 8 kHz mix at 16 kHz.
      if (this.#codecName === 'G722' || this.#recorder?.sampleRate === 16000) {
        const wide = this.#widePath();
        wide.up.process(frame, wide.local);
      }
      if (this.#localAudible || this.#sendSilence) {
        sent = this.#sendAudio(frame, mediaTs);
      } else {
        this.#talkspurt = true;
        this.#pendingSamples = 0;
      }
    }
    if (sent && this.#onPacketSent) this.#onPacketSent(time, this.#clock.now());
    if (sent && this.#nextSend) {
      const report = this.#nextSend;
      this.#nextSend = undefined;
      report(this.#clock.now(), this.#promptAudible);
    }
  }

  /** Encodes one tick of audio and sends it, at once (20 ms) or once a longer packet is full. */
  #sendAudio(frame: Int16Array, mediaTs: number): boolean {
    const rtp = this.#rtp;
    const payload = rtp.payloadBuffer();
    const size = this.#packetSamples;
    // One octet per timestamp unit either way: 160 per tick (G.722: 320 samples at 16 kHz).
    const pt = this.#codecName === 'G722' ? G722_PAYLOAD_TYPE : this.#codec.payloadType;
    if (size === FRAME_SAMPLES) {
      this.#encode(frame, payload, 0);
      return this.#sent(rtp.send(pt, this.#talkspurt, mediaTs, FRAME_SAMPLES));
    }
    const pending = this.#pending;
    if (this.#pendingSamples === 0) this.#pendingTs = mediaTs;
    this.#encode(frame, pending, this.#pendingSamples);
    this.#pendingSamples += FRAME_SAMPLES;
    if (this.#pendingSamples < size) return false;
    pending.copy(payload, 0, 0, size);
    const sent = rtp.send(pt, this.#talkspurt, this.#pendingTs, size);
    pending.copy(pending, 0, size, this.#pendingSamples);
    this.#pendingSamples -= size;
    this.#pendingTs = (this.#pendingTs + size) >>> 0;
    return this.#sent(sent);
  }

  /** One tick of the send mix into `dst` at `offset`: 160 G.711 octets, or 160 G.722 octets. */
  #encode(frame: Int16Array, dst: Uint8Array, offset: number): void {
    if (this.#codecName === 'G722') {
      const wide = this.#widePath();
      wide.encoder.encode(wide.local, 0, 2 * FRAME_SAMPLES, dst, offset);
    } else this.#codec.encode(frame, 0, FRAME_SAMPLES, dst, offset);
  }

  #setCodec(name: MediaCodecName): void {
    if (name === this.#codecName) return;
    this.#codecName = name;
    if (name === 'G722')
      this.#widePath().encoder = new G722Encoder(); // a new stream, a fresh state
    else this.#codec = g711ByName(name);
  }

  #widePath(): WidePath {
    this.#wide ??= {
      jitter: new JitterBuffer({ ...this.#jitterOptions, samplesPerUnit: 2 }),
      decoder: new G722Decoder(),
      encoder: new G722Encoder(),
      up: new Upsampler2x(FRAME_SAMPLES),
      remoteUp: new Upsampler2x(FRAME_SAMPLES),
      down: new Downsampler2x(2 * FRAME_SAMPLES),
      remote: new Int16Array(2 * FRAME_SAMPLES),
      local: new Int16Array(2 * FRAME_SAMPLES),
    };
    return this.#wide;
  }

  #sent(sent: boolean): boolean {
    if (sent) {
      this.#audioSent++;
      this.#talkspurt = false;
    }
    return sent;
  }

  /**
   * Calls `report` once, after the next packet goes out, with its send time and whether it carried
   * prompt audio (false: silence, or only the background). Measures how soon a flush (barge-in)
   * reaches the wire.
   */
  onNextSend(report: (sentAt: number, audible: boolean) => void): void {
    this.#nextSend = report;
  }

  /** Receive phase. */
  onAfterTick(time: number): void {
    if (this.#closing) return;
    const frame = this.#remoteFrame;
    const recorder = this.#recorder;
    const wide = this.#wideRx ? this.#wide : undefined;
    let kind: FrameKind;
    if (wide) {
      kind = wide.jitter.pull(wide.remote);
      wide.down.process(wide.remote, frame);
    } else {
      kind = this.#jitter.pull(frame);
      if (recorder?.sampleRate === 16000) this.#widePath().remoteUp.process(frame, this.#widePath().remote);
    }
    // Record before calling listeners: one that throws must not leave a hole in the recording.
    if (recorder?.sampleRate === 16000) {
      const w = this.#widePath();
      recorder.writeFrame(w.remote, this.#localAudible ? w.local : null, time);
    } else recorder?.writeFrame(frame, this.#localAudible ? this.#localFrame : null, time);
    this.#dtmfReceiver.poll(time);
    if (wide) this.emit('wideFrame', wide.remote, time, kind);
    this.emit('frame', frame, time, kind);
  }

  /** RtpPacketHandler: demultiplexes by payload type. */
  onRtpPacket(packet: RtpPacket): void {
    const pt = packet.payloadType;
    if (pt === G722_PAYLOAD_TYPE && pt !== this.#eventPt) {
      const wide = this.#widePath();
      if (!this.#wideRx) {
        this.#wideRx = true;
        this.#jitter.reset();
      }
      wide.jitter.push(packet, wide.decoder);
      return;
    }
    const codec = g711ByPayloadType(pt);
    if (codec !== undefined && pt !== this.#eventPt) {
      if (this.#wideRx) {
        this.#wideRx = false;
        this.#wide?.jitter.reset();
      }
      this.#jitter.push(packet, codec);
      return;
    }
    (this.#wideRx && this.#wide ? this.#wide.jitter : this.#jitter).noteOtherPacket(packet);
    if (pt === this.#eventPt) this.#dtmfReceiver.onPacket(packet, this.#clock.now());
    else this.#unknownPt++;
  }

  #assertOpen(): void {
    if (this.#closing) throw new Error('media session is closed');
  }
}

/** What a session needs for G.722: made on first use, kept for the session's life. */
interface WidePath {
  jitter: JitterBuffer;
  decoder: G722Decoder;
  encoder: G722Encoder;
  /** The send mix, 8 → 16 kHz (for the encoder and a 16 kHz recording). */
  up: Upsampler2x;
  /** The remote's narrowband audio, 8 → 16 kHz, for a 16 kHz recording of a G.711 stretch. */
  remoteUp: Upsampler2x;
  /** The remote's G.722 audio, 16 → 8 kHz, for the `frame` event. */
  down: Downsampler2x;
  remote: Int16Array;
  local: Int16Array;
}

export { FrameKind };
