/**
 * A media worker thread: the media of the calls the pool placed here — their RTP sockets, jitter
 * buffers, playout, DTMF and recorders — driven by this thread's own 20 ms MediaClock. The main
 * thread keeps SIP, the dialogue and the store; it talks to the sessions here through
 * RemoteMediaSession (protocol.ts).
 *
 * What crosses back per tick is only the audio somebody listens to (the call engine's VAD and
 * ASR), packed into one message per clock run, not one per call. Prompts arrive as PCM chunks
 * (sourcePump.ts) and play from a StreamSource, so any AudioSource the main thread builds plays
 * here unchanged.
 *
 * The clock is the system clock (epoch ms from performance.timeOrigin + now()), so the times this
 * thread stamps are comparable with the main thread's.
 */
import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { PortPool } from '../../rtp/portPool.js';
import { MediaClock } from '../mediaClock.js';
import { type FrameKind, MediaSession } from '../mediaSession.js';
import { PcmSource } from '../pcmSource.js';
import { StreamSource } from '../streamSource.js';
import type { FromWorker, OpenSpec, SessionEventName, ToWorker } from './protocol.js';

export interface MediaWorkerData {
  portMin: number;
  portMax: number;
  /** The first port to hand out (a replacement thread skips past its predecessor's last). */
  portStart?: number;
  logLevel: string;
}

const data = workerData as MediaWorkerData;
const port = parentPort!;
const post = (message: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer ?? []);

function lineLogger(level: string, id?: number) {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      post({ t: 'log', ...(id !== undefined && { id }), line: chunk.toString() });
      done();
    },
  });
  return pino({ level, base: undefined }, stream);
}

const workerLog = lineLogger(data.logLevel);
const clock = new MediaClock({ logger: workerLog });
const ports = new PortPool({ min: data.portMin, max: data.portMax, start: data.portStart });

interface Entry {
  session: MediaSession;
  narrow: boolean;
  wide: boolean;
  wideband: boolean;
  recordingPending: boolean;
  /** Playout items by seq (the playout knows them by String(seq)), with the caller's id. */
  items: Map<number, { id: string; stream: StreamSource }>;
  lastSent: number;
  /** The onNextSend request waiting for the next packet. */
  nextSendReq: number | undefined;
  onFrame: (samples: Int16Array, time: number, kind: FrameKind) => void;
  onWideFrame: (samples: Int16Array, time: number, kind: FrameKind) => void;
  /** Which of the two is attached now (a listener costs a call a tick: only while needed). */
  listening: { narrow: boolean; wide: boolean };
}

/** Attaches the per-tick listeners a session needs now, and only those. */
function listen(entry: Entry): void {
  const narrow = entry.narrow || entry.recordingPending;
  if (narrow !== entry.listening.narrow) {
    if (narrow) entry.session.on('frame', entry.onFrame);
    else entry.session.off('frame', entry.onFrame);
    entry.listening.narrow = narrow;
  }
  if (entry.wide !== entry.listening.wide) {
    if (entry.wide) entry.session.on('wideFrame', entry.onWideFrame);
    else entry.session.off('wideFrame', entry.onWideFrame);
    entry.listening.wide = entry.wide;
  }
}
const sessions = new Map<number, Entry>();

// ---- send-interval measuring (bench:media) ----
let measuring: Float64Array | undefined;
let measured = 0;
function noteSent(entry: Entry, sentAt: number): void {
  const prev = entry.lastSent;
  entry.lastSent = sentAt;
  if (!measuring || prev === 0) return;
  if (measured === measuring.length) {
    const grown = new Float64Array(measuring.length * 2);
    grown.set(measuring);
    measuring = grown;
  }
  measuring[measured++] = Math.abs(sentAt - prev - clock.intervalMs);
}

// ---- the per-run frame batch ----
let meta: number[] = [];
let times: number[] = [];
let pcm = new Int16Array(160 * 256);
let used = 0;
let flushQueued = false;

function addFrame(id: number, samples: Int16Array, time: number, kind: number, wide: boolean): void {
  if (used + samples.length > pcm.length) {
    const grown = new Int16Array(Math.max(pcm.length * 2, used + samples.length));
    grown.set(pcm.subarray(0, used));
    pcm = grown;
  }
  pcm.set(samples, used);
  used += samples.length;
  meta.push(id, kind, wide ? 1 : 0, samples.length);
  times.push(time);
  if (!flushQueued) {
    flushQueued = true;
    // The clock runs every subscriber synchronously: a microtask runs once the whole run is done.
    queueMicrotask(flushFrames);
  }
}

function flushFrames(): void {
  flushQueued = false;
  if (meta.length === 0) return;
  const message = {
    t: 'frames' as const,
    meta: Int32Array.from(meta),
    times: Float64Array.from(times),
    pcm: pcm.slice(0, used),
  };
  meta = [];
  times = [];
  used = 0;
  post(message, [message.meta.buffer, message.times.buffer, message.pcm.buffer] as ArrayBuffer[]);
}

function emit(id: number, name: SessionEventName, payload: unknown): void {
  post({ t: 'event', id, name, data: payload });
}

async function open(id: number, spec: OpenSpec): Promise<void> {
  const { logLevel, localAddress, ...options } = spec;
  let session: MediaSession;
  try {
    session = await MediaSession.open({
      ...options,
      clock,
      portPool: ports,
      localAddress,
      logger: lineLogger(logLevel, id),
      onPacketSent: (_ideal, sentAt) => noteSent(entry, sentAt),
    });
  } catch (err) {
    post({ t: 'openFailed', id, error: (err as Error).message });
    return;
  }
  const entry: Entry = {
    session,
    narrow: false,
    wide: false,
    wideband: session.wideband,
    recordingPending: false,
    items: new Map(),
    lastSent: 0,
    nextSendReq: undefined,
    onFrame: () => {},
    onWideFrame: () => {},
    listening: { narrow: false, wide: false },
  };
  sessions.set(id, entry);
  entry.onFrame = (samples, time, kind) => {
    if (entry.narrow) addFrame(id, samples, time, kind, false);
    if (entry.recordingPending && session.recordingStartedAt !== undefined) {
      entry.recordingPending = false;
      emit(id, 'recordingStarted', session.recordingStartedAt);
      listen(entry);
    }
  };
  entry.onWideFrame = (samples, time, kind) => addFrame(id, samples, time, kind, true);
  session.on('dtmf', (e) => emit(id, 'dtmf', e));
  session.on('dtmfSent', (e) => emit(id, 'dtmfSent', e));
  session.on('playStarted', (e) => {
    const seq = Number(e.id);
    const item = entry.items.get(seq);
    if (item) emit(id, 'playStarted', { ...e, id: item.id, seq });
  });
  session.on('playEnded', (e) => {
    const seq = Number(e.id);
    const item = entry.items.get(seq);
    entry.items.delete(seq);
    if (item) emit(id, 'playEnded', { ...e, id: item.id, seq });
  });
  session.on('latched', (e) => emit(id, 'latched', e));
  session.on('recordingError', (err) => emit(id, 'recordingError', err.message));
  post({
    t: 'opened',
    id,
    localAddress: session.localAddress,
    localPort: session.localPort,
    ssrc: session.ssrc,
    wideband: session.wideband,
  });
}

function settleNextSend(entry: Entry, why: string): void {
  if (entry.nextSendReq === undefined) return;
  post({ t: 'reply', req: entry.nextSendReq, error: why });
  entry.nextSendReq = undefined;
}

async function answer(req: number, work: () => unknown): Promise<void> {
  try {
    post({ t: 'reply', req, value: await work() });
  } catch (err) {
    post({ t: 'reply', req, error: (err as Error).message });
  }
}

function handle(message: ToWorker): void {
  if (message.t === 'open') {
    void open(message.id, message.spec);
    return;
  }
  if (message.t === 'measure') {
    if (message.on) {
      measuring = new Float64Array(1 << 16);
      measured = 0;
      for (const entry of sessions.values()) entry.lastSent = 0;
      post({ t: 'reply', req: message.req });
    } else {
      const deviations = (measuring ?? new Float64Array(0)).slice(0, measured);
      measuring = undefined;
      post({ t: 'measured', req: message.req, deviations }, [deviations.buffer as ArrayBuffer]);
    }
    return;
  }
  const entry = sessions.get(message.id);
  if (!entry) {
    // Closed (or never opened): commands are moot, requests still get their answer.
    if ('req' in message) post({ t: 'reply', req: message.req, error: 'media session is closed' });
    return;
  }
  const { session } = entry;
  switch (message.t) {
    case 'start':
      session.start(message.remote);
      break;
    case 'update':
      session.update(message.update);
      break;
    case 'play': {
      // The playout knows the item by its seq (unique); events go back with the caller's id too.
      const stream = new StreamSource(8000);
      entry.items.set(message.seq, { id: message.item, stream });
      session.play(stream, {
        id: String(message.seq),
        ...(message.gainDb !== undefined && { gainDb: message.gainDb }),
      });
      break;
    }
    case 'chunk': {
      const stream = entry.items.get(message.seq)?.stream;
      if (!stream) break; // flushed meanwhile
      if (message.pcm.length > 0) stream.appendOwned(message.pcm);
      if (message.end) stream.end();
      break;
    }
    case 'flush':
      session.flushPlayout();
      break;
    case 'background': {
      const samples = message.pcm;
      session.playBackground(() => new PcmSource(samples), {
        ...(message.gainDb !== undefined && { gainDb: message.gainDb }),
      });
      break;
    }
    case 'stopBackground':
      session.stopBackground();
      break;
    case 'dtmf':
      session.sendDtmf(message.digits);
      break;
    case 'frames':
      entry.narrow = message.narrow;
      entry.wide = message.wide;
      listen(entry);
      break;
    case 'record':
      entry.recordingPending = true;
      listen(entry);
      // Answers the rate the recorder writes at, as MediaSession picks it (16 kHz on a G.722 call).
      void answer(message.req, async () => {
        await session.startRecording(message.path);
        return session.recordingSampleRate;
      });
      break;
    case 'stopRecord':
      entry.recordingPending = false;
      listen(entry);
      void answer(message.req, () => session.stopRecording());
      break;
    case 'nextSend': {
      const req = message.req;
      // The session keeps one report: the one it replaces is answered now, so none waits forever.
      settleNextSend(entry, 'replaced by a later request');
      entry.nextSendReq = req;
      session.onNextSend((sentAt, audible) => {
        if (entry.nextSendReq === req) entry.nextSendReq = undefined;
        post({ t: 'reply', req, value: { sentAt, audible } });
      });
      break;
    }
    case 'stats':
      post({ t: 'reply', req: message.req, value: session.stats });
      break;
    case 'close':
      sessions.delete(message.id);
      settleNextSend(entry, 'media session closed');
      void answer(message.req, async () => ({ ...(await session.close()), stats: session.stats }));
      break;
  }
}

port.on('message', (message: ToWorker) => {
  try {
    handle(message);
  } catch (err) {
    // A command the session refuses (closed meanwhile, no DTMF type): the main thread checked what
    // it could; what is left is logged for the call, never fatal for the thread's other calls.
    const id = 'id' in message ? message.id : undefined;
    post({
      t: 'log',
      ...(id !== undefined && { id }),
      line: JSON.stringify({
        level: 40,
        msg: 'media command refused',
        command: message.t,
        err: (err as Error).message,
      }),
    });
  }
});

clock.start();
// Once a second: the clock's counters for the main thread's metrics, and any session whose remote
// switched between G.722 and G.711 (a mirror nothing needs sooner).
setInterval(() => {
  post({ t: 'clock', stats: { ...clock.stats } });
  for (const [id, entry] of sessions) {
    if (entry.wideband !== entry.session.wideband) {
      entry.wideband = entry.session.wideband;
      emit(id, 'wideband', entry.wideband);
    }
  }
}, 1000).unref();
