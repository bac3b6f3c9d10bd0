/**
 * The main thread's handle on a call's media that runs in a media worker: the same surface as
 * MediaSession (CallMedia), so SIP, the dialogue and the call engine do not know where the packets
 * flow.
 *
 * What the call engine reads synchronously (what is playing, the remote, the codec) is mirrored
 * here from the commands it sent and the events the worker sent back. A flush (barge-in) and a
 * close end the playout items *here*, at once, as the in-thread session does — listeners see
 * `playEnded` (flushed) before flushPlayout() returns — and the worker's own late reports of those
 * items are dropped. `stats` is the last snapshot (refreshStats() fetches one; close() keeps the
 * final one).
 *
 * When the worker dies the session is `lost`: it emits `lost` (the call should hang up) and
 * `closed`, and every pending request settles.
 */
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import type { Logger } from '../../observability/logger.js';
import type { FrameKind } from '../../rtp/jitterBuffer.js';
import type { RtpEndpoint } from '../../rtp/rtpSession.js';
import { dtmfEventCode } from '../../rtp/telephoneEvent.js';
import type { AudioSource } from '../audioSource.js';
import type { RecordingInfo } from '../callRecorder.js';
import type {
  MediaCodecName,
  MediaSessionEvents,
  MediaSessionStats,
  MediaSessionUpdate,
} from '../mediaSession.js';
import type { PlayOptions, PlayoutEnded, PlayoutStarted } from '../playout.js';
import { WAV_HEADER_BYTES } from '../wavWriter.js';
import type { SessionEventName, ToWorker } from './protocol.js';
import { SourcePump } from './sourcePump.js';

/** What a session needs of its worker (MediaWorkerPool provides it). */
export interface SessionLink {
  post(message: ToWorker, transfer?: ArrayBuffer[]): void;
  /** Sends a request; rejects with the worker's error, its death, or after `timeoutMs` (if given). */
  request<T>(make: (req: number) => ToWorker, timeoutMs?: number): Promise<T>;
  /** Keeps polling a pump until it finishes. */
  addPump(pump: SourcePump): void;
  /** Reads a source to its end (a background bed, played in loops). */
  collect(source: AudioSource): Promise<Int16Array>;
  now(): number;
}

export interface RemoteSessionInit {
  id: number;
  localAddress: string;
  localPort: number;
  ssrc: number;
  codec: MediaCodecName;
  telephoneEventPayloadType: number | null;
  /** The remote's audio is G.722 from the start (a session opened for a G.722 offer). */
  wideband: boolean;
  logger: Logger | undefined;
}

/** A worker that takes longer than this to close a session is taken as stuck for that session. */
const CLOSE_TIMEOUT_MS = 5000;

const EMPTY_STATS: MediaSessionStats = {
  rtp: {} as MediaSessionStats['rtp'],
  jitter: { received: 0, lost: 0, late: 0 } as MediaSessionStats['jitter'],
  dtmfReceived: {} as MediaSessionStats['dtmfReceived'],
  audioPacketsSent: 0,
  eventPacketsSent: 0,
  unknownPayloadType: 0,
  starvedFrames: 0,
  recordingDroppedFrames: 0,
};

export class RemoteMediaSession extends EventEmitter<MediaSessionEvents> {
  readonly id: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly ssrc: number;
  readonly logger: Logger | undefined;
  readonly #link: SessionLink;
  #codec: MediaCodecName;
  #eventPt: number | null;
  #remote: RtpEndpoint | undefined;
  #sending = false;
  #wideband = false;
  #closing: Promise<{ recording: RecordingInfo | undefined }> | undefined;
  #playing: { id: string; startedAt: number; seq: number } | undefined;
  /**
   * Items queued or playing, in order. `seq` names an item between the threads (a caller may give
   * two items the same id); events carry it back.
   */
  readonly #items: { id: string; seq: number }[] = [];
  readonly #pumps = new Map<number, SourcePump>();
  /** Items this side already reported ended (flushed): the worker's own reports are dropped. */
  readonly #settled = new Set<number>();
  #nextId = 1;
  #nextSeq = 1;
  /** The recording in progress: where, and at which rate the worker's recorder writes. */
  #recording: { path: string; sampleRate: number } | undefined;
  #recordingStartedAt: number | undefined;
  #background = 0;
  #stats: MediaSessionStats = EMPTY_STATS;
  #listening = { narrow: false, wide: false };

  constructor(init: RemoteSessionInit, link: SessionLink) {
    super();
    this.id = init.id;
    this.localAddress = init.localAddress;
    this.localPort = init.localPort;
    this.ssrc = init.ssrc;
    this.logger = init.logger;
    this.#codec = init.codec;
    this.#eventPt = init.telephoneEventPayloadType;
    this.#wideband = init.wideband;
    this.#link = link;
    // Audio crosses the thread only while somebody listens to it.
    const follow = (event: string | symbol) => {
      if (event === 'frame' || event === 'wideFrame') queueMicrotask(() => this.#syncListening());
    };
    const untyped = this as unknown as NodeJS.EventEmitter;
    untyped.on('newListener', follow);
    untyped.on('removeListener', follow);
  }

  get codec(): MediaCodecName {
    return this.#codec;
  }
  get wideband(): boolean {
    return this.#wideband;
  }
  get remote(): RtpEndpoint | undefined {
    return this.#remote;
  }
  get sending(): boolean {
    return this.#sending;
  }
  get closed(): boolean {
    return this.#closing !== undefined;
  }
  get playing(): { id: string; startedAt: number } | undefined {
    return this.#playing && { id: this.#playing.id, startedAt: this.#playing.startedAt };
  }
  get queuedItems(): number {
    return Math.max(0, this.#items.length - (this.#playing ? 1 : 0));
  }
  get recordingStartedAt(): number | undefined {
    return this.#recordingStartedAt;
  }
  get stats(): MediaSessionStats {
    return this.#stats;
  }

  /** A fresh snapshot of the worker's counters (the `stats` getter returns the last one). */
  async refreshStats(): Promise<MediaSessionStats> {
    if (this.closed) return this.#stats;
    try {
      this.#stats = await this.#link.request<MediaSessionStats>((req) => ({ t: 'stats', id: this.id, req }));
    } catch {
      // closed meanwhile: the final snapshot (if any) is already kept
    }
    return this.#stats;
  }

  start(remote: RtpEndpoint): void {
    this.#assertOpen();
    this.#remote = remote;
    this.#sending = true;
    this.#link.post({ t: 'start', id: this.id, remote });
  }

  update(update: MediaSessionUpdate): void {
    this.#assertOpen();
    if (update.remote) this.#remote = update.remote;
    if (update.codec) this.#codec = update.codec;
    if (update.telephoneEventPayloadType !== undefined) this.#eventPt = update.telephoneEventPayloadType;
    this.#link.post({ t: 'update', id: this.id, update });
  }

  play(source: AudioSource, options: PlayOptions = {}): string {
    this.#assertOpen();
    const item = options.id ?? `play-${this.#nextId++}`;
    const seq = this.#nextSeq++;
    this.#items.push({ id: item, seq });
    this.#link.post({
      t: 'play',
      id: this.id,
      item,
      seq,
      ...(options.gainDb !== undefined && { gainDb: options.gainDb }),
    });
    const pump = new SourcePump(
      source,
      (pcm, end) => this.#link.post({ t: 'chunk', id: this.id, seq, pcm, end }, [pcm.buffer as ArrayBuffer]),
      this.#link.now,
    );
    this.#pumps.set(seq, pump);
    pump.pump(this.#link.now());
    if (!pump.finished) this.#link.addPump(pump);
    return item;
  }

  flushPlayout(): void {
    if (this.closed) return;
    this.#link.post({ t: 'flush', id: this.id });
    this.#endAllHere();
  }

  playBackground(make: () => AudioSource, options: { gainDb?: number } = {}): void {
    this.#assertOpen();
    const token = ++this.#background;
    const gainDb = options.gainDb;
    void this.#link.collect(make()).then(
      (pcm) => {
        if (token !== this.#background || this.closed) return;
        this.#link.post({ t: 'background', id: this.id, pcm, ...(gainDb !== undefined && { gainDb }) }, [
          pcm.buffer as ArrayBuffer,
        ]);
      },
      (err: Error) => this.logger?.warn({ err: err.message }, 'background audio cannot be played'),
    );
  }

  stopBackground(): void {
    this.#background++;
    if (!this.closed) this.#link.post({ t: 'stopBackground', id: this.id });
  }

  sendDtmf(digits: string): void {
    this.#assertOpen();
    if (this.#eventPt === null)
      throw new Error('cannot send DTMF: no telephone-event payload type negotiated');
    for (const ch of digits) {
      if (dtmfEventCode(ch) < 0) throw new RangeError(`not a DTMF digit: ${JSON.stringify(ch)}`);
    }
    this.#link.post({ t: 'dtmf', id: this.id, digits });
  }

  async startRecording(path: string): Promise<void> {
    this.#assertOpen();
    if (this.#recording) throw new Error('already recording');
    this.#recording = { path, sampleRate: 8000 };
    try {
      this.#recording.sampleRate = await this.#link.request<number>((req) => ({
        t: 'record',
        id: this.id,
        req,
        path,
      }));
    } catch (err) {
      this.#recording = undefined;
      throw err;
    }
  }

  async stopRecording(): Promise<RecordingInfo | undefined> {
    if (!this.#recording) return undefined;
    this.#recording = undefined;
    this.#recordingStartedAt = undefined;
    return this.#link.request<RecordingInfo | undefined>((req) => ({ t: 'stopRecord', id: this.id, req }));
  }

  onNextSend(report: (sentAt: number, audible: boolean) => void): void {
    if (this.closed) return;
    // The worker answers a request it replaces, or that its close leaves unanswered, with an error:
    // no request (and no call held by `report`) is left behind.
    void this.#link
      .request<{ sentAt: number; audible: boolean }>((req) => ({ t: 'nextSend', id: this.id, req }))
      .then(
        (r) => report(r.sentAt, r.audible),
        () => {},
      );
  }

  close(): Promise<{ recording: RecordingInfo | undefined }> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<{ recording: RecordingInfo | undefined }> {
    this.#sending = false;
    this.#background++;
    // As MediaSession: listeners of the flushed items may still queue (this runs before `closed`
    // is set); those are dropped unplayed and unreported, as the in-thread playout drops them.
    this.#endAllHere();
    this.#dropAll();
    let recording: RecordingInfo | undefined;
    try {
      const closed = await this.#link.request<{
        recording: RecordingInfo | undefined;
        stats: MediaSessionStats;
      }>((req) => ({ t: 'close', id: this.id, req }), CLOSE_TIMEOUT_MS);
      recording = closed.recording;
      this.#stats = closed.stats;
    } catch (err) {
      this.logger?.warn({ err: (err as Error).message }, 'media worker did not confirm the close');
      recording = (await this.#salvageRecording()).recording;
    }
    this.#recording = undefined;
    this.#emitSafely('closed');
    return { recording };
  }

  // ---- from the worker (MediaWorkerPool) ----

  /** The worker died: the media is gone; the call should end. */
  lost(err: Error): void {
    if (this.closed) return;
    this.#sending = false;
    this.#background++;
    // `lost` first: the call starts hanging up before its listeners hear the prompts end.
    this.#emitSafely('lost', err);
    this.#endAllHere();
    this.#closing = this.#salvageRecording();
    this.#dropAll();
    this.#emitSafely('closed');
  }

  /** Emits to every listener even when one throws (a listener's bug is logged, never the caller's). */
  #emitSafely<K extends keyof MediaSessionEvents>(event: K, ...args: MediaSessionEvents[K]): void {
    for (const listener of this.listeners(event) as ((...a: unknown[]) => void)[]) {
      try {
        listener.apply(this, args);
      } catch (e) {
        this.logger?.error({ err: (e as Error).message, event }, 'media event listener failed');
      }
    }
  }

  /**
   * What a dead worker's recorder left on disk: it patches its header every second, so the file is
   * readable up to then; its length gives the duration, and the call still gets its recording.
   */
  async #salvageRecording(): Promise<{ recording: RecordingInfo | undefined }> {
    const recording = this.#recording;
    this.#recording = undefined;
    if (!recording) return { recording: undefined };
    try {
      const { size } = await stat(recording.path);
      const dataBytes = Math.max(0, size - WAV_HEADER_BYTES);
      const bytesPerMs = (recording.sampleRate / 1000) * 2 * 2; // two channels of 16-bit samples
      return {
        recording: {
          path: recording.path,
          startedAt: this.#recordingStartedAt,
          durationMs: Math.floor(dataBytes / bytesPerMs),
          dataBytes,
          droppedFrames: 0,
        },
      };
    } catch {
      return { recording: undefined };
    }
  }

  deliverFrame(pcm: Int16Array, time: number, kind: FrameKind, wide: boolean): void {
    if (this.closed) return; // as in-thread: nothing is heard after close()
    if (wide) this.emit('wideFrame', pcm, time, kind);
    else this.emit('frame', pcm, time, kind);
  }

  deliverEvent(name: SessionEventName, data: unknown): void {
    if (this.closed) return; // its items were ended here at close(); nothing else is news now
    switch (name) {
      case 'playStarted': {
        const { seq, ...e } = data as PlayoutStarted & { seq: number };
        if (this.#settled.has(seq)) return;
        this.#playing = { id: e.id, startedAt: e.at, seq };
        this.#pumps.get(seq)?.started(e.at);
        this.emit('playStarted', e);
        return;
      }
      case 'playEnded': {
        const { seq, ...e } = data as PlayoutEnded & { seq: number };
        if (this.#settled.delete(seq)) return;
        this.#forget(seq);
        this.emit('playEnded', e);
        return;
      }
      case 'latched':
        this.#remote = data as RtpEndpoint;
        this.emit('latched', this.#remote);
        return;
      case 'recordingError':
        this.emit('recordingError', new Error(String(data)));
        return;
      case 'wideband':
        this.#wideband = data as boolean;
        return;
      case 'recordingStarted':
        this.#recordingStartedAt = data as number;
        return;
      case 'dtmf':
        this.emit('dtmf', data as MediaSessionEvents['dtmf'][0]);
        return;
      case 'dtmfSent':
        this.emit('dtmfSent', data as MediaSessionEvents['dtmfSent'][0]);
        return;
    }
  }

  /** Ends every queued and playing item now, as Playout.flush does in-thread. */
  #endAllHere(): void {
    const now = this.#link.now();
    const items = this.#items.splice(0);
    const playing = this.#playing;
    this.#playing = undefined;
    for (const { seq } of items) {
      this.#pumps.get(seq)?.stop();
      this.#pumps.delete(seq);
      this.#settled.add(seq);
    }
    for (const { id, seq } of items) {
      const playedMs = playing?.seq === seq ? Math.max(0, now - playing.startedAt) : 0;
      this.#emitSafely('playEnded', { id, at: now, reason: 'flushed', playedMs });
    }
  }

  /** Drops whatever is still queued, unreported (closing: nothing will play it). */
  #dropAll(): void {
    for (const { seq } of this.#items.splice(0)) this.#pumps.get(seq)?.stop();
    this.#pumps.clear();
    this.#playing = undefined;
  }

  #forget(seq: number): void {
    const index = this.#items.findIndex((i) => i.seq === seq);
    if (index >= 0) this.#items.splice(index, 1);
    if (this.#playing?.seq === seq) this.#playing = undefined;
    this.#pumps.get(seq)?.stop();
    this.#pumps.delete(seq);
  }

  #syncListening(): void {
    const narrow = this.listenerCount('frame') > 0;
    const wide = this.listenerCount('wideFrame') > 0;
    if (narrow === this.#listening.narrow && wide === this.#listening.wide) return;
    this.#listening = { narrow, wide };
    if (!this.closed) this.#link.post({ t: 'frames', id: this.id, narrow, wide });
  }

  #assertOpen(): void {
    if (this.closed) throw new Error('media session is closed');
  }
}
