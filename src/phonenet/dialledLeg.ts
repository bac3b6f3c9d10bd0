/**
 * A call a persona places (`smartcall phonenet dial`), seen the way a persona's script sees the
 * calls it receives (`PersonaLeg`): it "rings" until the far end answers, `answer()` waits for that
 * answer and gives the audio, `hangup()` / `reject()` cancel or say BYE. A final failure (404, 603,
 * …) ends it with `finalStatus` set. Owns the outbound call it wraps.
 */
import { EventEmitter } from 'node:events';
import type { CallMedia } from '../media/callMedia.js';
import type { EndedBy } from '../sip/index.js';
import type { OutboundCall } from '../telephony/outboundCall.js';
import { CallOver } from './abortable.js';
import type { PersonaLeg } from './personaCall.js';
import { StepError } from './personaCall.js';

interface DialledLegEvents {
  confirmed: [];
  ended: [by: EndedBy, reason: string];
}

interface SignalEvents {
  ended: [by: EndedBy, reason: string];
}

export class DialledLeg extends EventEmitter<DialledLegEvents> implements PersonaLeg {
  readonly out: OutboundCall;
  readonly sip: PersonaLeg['sip'];
  /** The far end's final failure status (404, 603, …), when it never answered. */
  finalStatus: number | undefined;
  #ended = false;
  /** The script took the answer: until then the call "rings" (whatever the far end did). */
  #taken = false;

  constructor(out: OutboundCall) {
    super();
    this.out = out;
    const signal = new EventEmitter<SignalEvents>();
    const leg = this;
    this.sip = {
      get callId() {
        return out.sip.callId;
      },
      get state() {
        if (leg.#ended) return 'ended';
        return leg.#taken && out.answered ? 'answered' : 'ringing';
      },
      once: (event, listener) => signal.once(event, listener),
    };
    out.once('answered', () => this.emit('confirmed'));
    out.once('ending', (by) => {
      this.#ended = true;
      signal.emit('ended', by, by === 'remote' ? 'bye' : 'hangup');
    });
    out.once('ended', (by, reason) => this.emit('ended', by, reason));
    out.once('failed', (cause) => {
      this.#ended = true;
      this.finalStatus = cause.status;
      const reason = cause.status !== undefined ? 'rejected' : cause.code;
      signal.emit('ended', 'remote', reason);
      this.emit('ended', 'remote', reason);
    });
  }

  /** The far end rings; nothing to send. */
  ring(): void {}

  earlyMedia(): Promise<CallMedia> {
    return Promise.reject(new StepError('announce: a persona placing a call cannot announce'));
  }

  /** Waits for the far end's answer; rejects (the call is over) when it fails instead. */
  answer(): Promise<CallMedia> {
    const out = this.out;
    const take = (): CallMedia => {
      this.#taken = true;
      return out.media;
    };
    if (this.#ended) return Promise.reject(new CallOver());
    if (out.answered) return Promise.resolve(take());
    return new Promise((resolve, reject) => {
      out.once('answered', () => resolve(take()));
      out.once('failed', () => reject(new CallOver()));
      out.once('ending', () => reject(new CallOver()));
    });
  }

  /** Gives up on the call (CANCEL); the status is what a caller cannot choose. */
  reject(): void {
    this.out.hangup();
  }

  hangup(): void {
    this.out.hangup();
  }
}
