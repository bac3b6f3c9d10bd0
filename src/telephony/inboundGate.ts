/**
 * The door of the platform's own SIP user agent. smartcall places calls; an INVITE sent to it is
 * let in only from a configured trunk — a source inside one of the ranges a trunk lists
 * (`admin trunk add --inbound-from 203.0.113.0/24`) — or a flow the `registered` hook vouches for
 * (registration-based acceptance plugs in there). Everything else is refused 403 by the user agent,
 * which counts it (`SipStats.refusedInvites`) before any call or dialog exists.
 *
 * One warning per refused source per `logEveryMs`, from a table of at most `maxLoggedSources`
 * entries (cleared when full), so a flood costs a fixed amount of memory and of log.
 */
import type { Clock } from '../clock/clock.js';
import { sourceFilter } from '../net/sourceFilter.js';
import type { Logger } from '../observability/logger.js';
import type { Endpoint, SipRequest } from '../sip/index.js';

export interface InboundGateOptions {
  /** The CIDR ranges configured trunks send from (read again at most every `refreshMs`). */
  sources(): readonly string[];
  /** A flow registration vouches for (another trunk kind); absent: none. */
  registered?(request: SipRequest, source: Endpoint): boolean;
  clock: Clock;
  log: Logger;
  /** How long the trunks' ranges are trusted before being read again (default 2000 ms). */
  refreshMs?: number;
  /** One warning per refused source per this interval (default 60 s). */
  logEveryMs?: number;
  /** Sources remembered for rate-limiting the warning (default 1024). */
  maxLoggedSources?: number;
}

export class InboundGate {
  readonly #o: InboundGateOptions;
  readonly #lastLogged = new Map<string, number>();
  #allows: (address: string) => boolean = () => false;
  #readAt = Number.NEGATIVE_INFINITY;

  constructor(options: InboundGateOptions) {
    this.#o = options;
  }

  /** Whether an out-of-dialog INVITE from `source` may go on; logs (rate-limited) when not. */
  admit(request: SipRequest, source: Endpoint): boolean {
    const now = this.#o.clock.now();
    if (this.#fromTrunk(source.address, now) || this.#o.registered?.(request, source)) return true;
    this.#warn(source, now);
    return false;
  }

  #fromTrunk(address: string, now: number): boolean {
    if (now - this.#readAt >= (this.#o.refreshMs ?? 2000)) {
      this.#readAt = now;
      try {
        this.#allows = sourceFilter(this.#o.sources());
      } catch (err) {
        // Ranges are checked when a trunk is saved; one that is not still closes the door.
        this.#o.log.error({ err }, 'a trunk inbound range is not valid: refusing every INVITE');
        this.#allows = () => false;
      }
    }
    return this.#allows(address);
  }

  #warn(source: Endpoint, now: number): void {
    const last = this.#lastLogged.get(source.address);
    if (last !== undefined && now - last < (this.#o.logEveryMs ?? 60_000)) return;
    if (this.#lastLogged.size >= (this.#o.maxLoggedSources ?? 1024)) this.#lastLogged.clear();
    this.#lastLogged.set(source.address, now);
    this.#o.log.warn(
      { source: `${source.protocol}:${source.address}:${source.port}` },
      'refused an INVITE from a source no trunk lists (admin trunk add --inbound-from): 403',
    );
  }
}
