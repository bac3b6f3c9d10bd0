/**
 * Messages between the main thread (RemoteMediaSession, MediaWorkerPool) and a media worker
 * thread (mediaWorker.ts). Everything here is structured-cloneable; bulk audio travels as typed
 * arrays whose buffers are transferred, never copied twice.
 *
 * Sessions are numbered by the pool (`id`); requests that answer carry a `req` number.
 */
import type { RtpEndpoint } from '../../rtp/rtpSession.js';
import type { MediaClockStats } from '../mediaClock.js';
import type { MediaCodecName, MediaSessionOptions, MediaSessionUpdate } from '../mediaSession.js';

/** What `open` needs: MediaSessionOptions minus what cannot cross a thread (clock, pool, logger, hooks). */
export type OpenSpec = Pick<
  MediaSessionOptions,
  | 'codec'
  | 'telephoneEventPayloadType'
  | 'jitterBuffer'
  | 'dtmf'
  | 'sendSilence'
  | 'maxPacketBytes'
  | 'srtpRequired'
> & { localAddress: string; logLevel: string };

export type ToWorker =
  | { t: 'open'; id: number; spec: OpenSpec }
  | { t: 'start'; id: number; remote: RtpEndpoint }
  | { t: 'update'; id: number; update: MediaSessionUpdate }
  /** Queues a playout item whose audio follows in `chunk` messages. */
  | { t: 'play'; id: number; item: string; seq: number; gainDb?: number }
  | { t: 'chunk'; id: number; seq: number; pcm: Int16Array; end: boolean }
  | { t: 'flush'; id: number }
  | { t: 'background'; id: number; pcm: Int16Array; gainDb?: number }
  | { t: 'stopBackground'; id: number }
  | { t: 'dtmf'; id: number; digits: string }
  /** Which per-tick audio the main thread listens to (`frame`, `wideFrame`). */
  | { t: 'frames'; id: number; narrow: boolean; wide: boolean }
  | { t: 'record'; id: number; req: number; path: string }
  | { t: 'stopRecord'; id: number; req: number }
  | { t: 'close'; id: number; req: number }
  | { t: 'nextSend'; id: number; req: number }
  | { t: 'stats'; id: number; req: number }
  /** Starts (on) or ends (off, answered with the collected values) send-interval measuring. */
  | { t: 'measure'; on: boolean; req: number };

/**
 * Events a session forwards as they happen (the names of MediaSessionEvents, plus two mirrors).
 * playStarted / playEnded carry the item's `seq` beside the caller's id.
 */
export type SessionEventName =
  | 'dtmf'
  | 'dtmfSent'
  | 'playStarted'
  | 'playEnded'
  | 'latched'
  | 'recordingError'
  /** The remote's audio switched between narrowband and G.722 (data: boolean). */
  | 'wideband'
  /** The recording's first frame was written (data: clock ms). */
  | 'recordingStarted';

export type FromWorker =
  | { t: 'opened'; id: number; localAddress: string; localPort: number; ssrc: number; wideband: boolean }
  | { t: 'openFailed'; id: number; error: string }
  | { t: 'event'; id: number; name: SessionEventName; data: unknown }
  /**
   * One tick's (or one catch-up run's) audio of every listened session, packed: per entry
   * `meta` holds [session id, frame kind, wide ? 1 : 0, sample count] and `times` its time; the
   * samples follow one another in `pcm`.
   */
  | { t: 'frames'; meta: Int32Array; times: Float64Array; pcm: Int16Array }
  | { t: 'reply'; req: number; value?: unknown; error?: string }
  /** A pino line logged in the worker, for the session `id` (or the worker itself). */
  | { t: 'log'; id?: number; line: string }
  | { t: 'measured'; req: number; deviations: Float64Array }
  /** Once a second: the thread's media clock counters (metrics). */
  | { t: 'clock'; stats: MediaClockStats };

export type { MediaCodecName };
