/**
 * The media of one call as the rest of the system sees it, wherever it runs: a MediaSession on the
 * main thread's clock, or a RemoteMediaSession whose packets flow in a media worker thread.
 */
import type { EventEmitter } from 'node:events';
import type { RtpEndpoint } from '../rtp/rtpSession.js';
import type { AudioSource } from './audioSource.js';
import type { RecordingInfo } from './callRecorder.js';
import type {
  MediaCodecName,
  MediaSessionEvents,
  MediaSessionStats,
  MediaSessionUpdate,
} from './mediaSession.js';
import type { PlayOptions } from './playout.js';

export interface CallMedia extends EventEmitter<MediaSessionEvents> {
  readonly localAddress: string;
  readonly localPort: number;
  readonly codec: MediaCodecName;
  readonly wideband: boolean;
  readonly remote: RtpEndpoint | undefined;
  readonly sending: boolean;
  readonly closed: boolean;
  readonly ssrc: number;
  readonly playing: { id: string; startedAt: number } | undefined;
  readonly queuedItems: number;
  readonly recordingStartedAt: number | undefined;
  /** Counters (for a worker session: the last snapshot; see refreshStats). */
  readonly stats: MediaSessionStats;
  refreshStats(): Promise<MediaSessionStats>;
  start(remote: RtpEndpoint): void;
  update(update: MediaSessionUpdate): void;
  play(source: AudioSource, options?: PlayOptions): string;
  flushPlayout(): void;
  playBackground(make: () => AudioSource, options?: { gainDb?: number }): void;
  stopBackground(): void;
  sendDtmf(digits: string): void;
  startRecording(path: string): Promise<void>;
  stopRecording(): Promise<RecordingInfo | undefined>;
  onNextSend(report: (sentAt: number, audible: boolean) => void): void;
  close(): Promise<{ recording: RecordingInfo | undefined }>;
}
