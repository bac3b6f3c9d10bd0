/**
 * What happens in calls, as typed events for whoever watches: receipts, the `smartcall call`
 * transcript, benchmarks. The call path emits and never waits for listeners.
 */
import { EventEmitter } from 'node:events';
import type { AmdOutcome } from '../contract/answeringMachine.js';
import type { CallRecord, CallState } from '../store/records.js';

export interface CallEventMap {
  /** The call moved to a new state. */
  state: [e: { callId: string; state: CallState; at: number }];
  /** The platform started playing something (texts of TTS items, names of files). */
  said: [e: { callId: string; at: number; code: string; texts: string[] }];
  /** The callee said something (recognised words; undefined when not recognised). */
  heard: [
    e: {
      callId: string;
      at: number;
      words: string | undefined;
      beginAt: number;
      endAt: number;
      earlyMedia: boolean;
    },
  ];
  dtmf: [e: { callId: string; at: number; digit: string }];
  /** A callback exchange finished (or failed) and what the platform then did. */
  callback: [
    e: {
      callId: string;
      at: number;
      contentType: string;
      content: unknown;
      outcome: string;
      action: string;
      source: 'reply' | 'fallback' | 'policy';
      latencyMs: number;
    },
  ];
  /** Barge-in: playback stopped (by a reply, a time-break or the hang-up). */
  interrupted: [e: { callId: string; at: number }];
  /** The first packet after a barge-in went out (`audible` false: it was silence). */
  silenced: [e: { callId: string; decidedAt: number; at: number; audible: boolean }];
  /** The first sample of a media item went out (the reply's first RTP packet). */
  playStarted: [e: { callId: string; id: string; code: string; at: number }];
  /** The endpointer decided that a sentence ended (recognition follows). */
  sentenceEnded: [e: { callId: string; at: number }];
  /** Answering-machine detection decided, or learnt more (a beep, the message played). */
  amd: [e: { callId: string; at: number; outcome: AmdOutcome }];
  /** The call is over; the record is final. */
  ended: [e: { callId: string; record: CallRecord }];
}

export class CallEvents extends EventEmitter<CallEventMap> {
  constructor() {
    super();
    this.setMaxListeners(100);
  }
}
