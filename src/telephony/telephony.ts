/**
 * The telephony core of one process: the SIP user agent, the single 20 ms media clock and the RTP
 * port pool. Calls (outbound legs, answered inbound calls) borrow from it; `close()` ends them all.
 */
import type { CallMedia } from '../media/callMedia.js';
import { MediaClock } from '../media/mediaClock.js';
import { MediaSession, type MediaSessionOptions } from '../media/mediaSession.js';
import { MediaWorkerPool } from '../media/worker/mediaWorkerPool.js';
import { LocalAddresses } from '../net/localAddresses.js';
import type { Logger } from '../observability/logger.js';
import { PortPool } from '../rtp/portPool.js';
import type { InviteGate, SipTimerConfig, TlsSettings } from '../sip/index.js';
import { SipUserAgent } from '../sip/index.js';

export interface TelephonyOptions {
  /** IP literal the SIP sockets bind (and RTP's unless `rtpAddress`); 0.0.0.0 / :: for all. */
  address: string;
  /** What SIP peers reach us at when it is not the bound address (NAT): Via, Contact. */
  advertisedAddress?: string | undefined;
  /** IP literal the RTP sockets bind (default: `address`). */
  rtpAddress?: string | undefined;
  /** What media peers send RTP to when it is not the bound address (NAT): SDP c=/o=. */
  rtpAdvertisedAddress?: string | undefined;
  sipUdpPort: number | false;
  sipTcpPort: number | false;
  /** SIP over TLS: outgoing defaults, and a listener when it has a port and a certificate. */
  sipTls?: TlsSettings;
  rtpPortMin: number;
  rtpPortMax: number;
  /** User part of our Contact. */
  user?: string;
  timers?: Partial<SipTimerConfig>;
  /**
   * Media worker threads (0 or absent: every call's media runs on this thread's clock). With N ≥ 1
   * the RTP port range is split between N threads and each call's media runs in the least loaded.
   */
  mediaWorkers?: number;
  /** Share a clock (tests, or several user agents in one process). */
  clock?: MediaClock;
  logger: Logger;
  /** Who may send us an INVITE (the platform passes its `InboundGate`); absent: anyone. */
  admitInvite?: InviteGate;
}

export class Telephony {
  readonly ua: SipUserAgent;
  readonly clock: MediaClock;
  readonly ports: PortPool;
  readonly address: string;
  /** Where RTP sockets bind. */
  readonly rtpAddress: string;
  readonly #mediaAddresses: LocalAddresses;
  readonly #ownsClock: boolean;
  readonly #log: Logger;
  readonly #media = new Set<CallMedia>();
  /** The media worker threads, when media runs off this thread. */
  readonly mediaWorkers: MediaWorkerPool | undefined;

  private constructor(
    ua: SipUserAgent,
    clock: MediaClock,
    ownsClock: boolean,
    mediaAddresses: LocalAddresses,
    options: TelephonyOptions,
  ) {
    this.ua = ua;
    this.clock = clock;
    this.#ownsClock = ownsClock;
    this.address = options.address;
    this.rtpAddress = options.rtpAddress ?? options.address;
    this.#mediaAddresses = mediaAddresses;
    this.#log = options.logger;
    this.ports = new PortPool({ min: options.rtpPortMin, max: options.rtpPortMax });
    this.mediaWorkers = options.mediaWorkers
      ? new MediaWorkerPool({
          size: options.mediaWorkers,
          portMin: options.rtpPortMin,
          portMax: options.rtpPortMax,
          logger: options.logger,
          clock,
        })
      : undefined;
  }

  static async create(options: TelephonyOptions): Promise<Telephony> {
    // Checked before any socket opens: a wildcard or a name as advertised address is refused here.
    const mediaAddresses = new LocalAddresses({
      bind: options.rtpAddress ?? options.address,
      advertised: options.rtpAdvertisedAddress,
    });
    const ua = await SipUserAgent.create({
      address: options.address,
      ...(options.advertisedAddress && { advertisedAddress: options.advertisedAddress }),
      udpPort: options.sipUdpPort,
      tcpPort: options.sipTcpPort,
      ...(options.sipTls && { tls: options.sipTls }),
      user: options.user ?? 'smartcall',
      ...(options.timers && { timers: options.timers }),
      ...(options.admitInvite && { admitInvite: options.admitInvite }),
      logger: options.logger,
    });
    const clock = options.clock ?? new MediaClock({ logger: options.logger });
    if (!options.clock) clock.start();
    return new Telephony(ua, clock, !options.clock, mediaAddresses, options);
  }

  /** Opens an RTP session on a port from the pool; it is closed with the call (or by `close()`). */
  async openMedia(options: Partial<MediaSessionOptions> = {}): Promise<CallMedia> {
    let media: CallMedia;
    if (this.mediaWorkers) {
      const { clock, portPool, random, onPacketSent, localAddress, ...spec } = options;
      if (clock || portPool || random || onPacketSent)
        throw new Error(
          'clock, portPool, random and onPacketSent need media on this thread (mediaWorkers: 0)',
        );
      media = await this.mediaWorkers.open({
        localAddress: localAddress ?? this.rtpAddress,
        logger: this.#log,
        ...spec,
      });
    } else {
      media = await MediaSession.open({
        clock: this.clock,
        portPool: this.ports,
        localAddress: this.rtpAddress,
        logger: this.#log,
        ...options,
      });
    }
    this.#media.add(media);
    media.once('closed', () => this.#media.delete(media));
    return media;
  }

  /**
   * The address our SDP offers or answers for media exchanged with `remote` (an IP): the RTP
   * advertised address, the bound one, or for a wildcard bind the source the OS routes toward it.
   */
  mediaAddressToward(remote: string): Promise<string> {
    return this.#mediaAddresses.learn(remote);
  }

  /** Media sessions still open (tests assert 0 after calls end). */
  get openMediaSessions(): number {
    return this.#media.size;
  }

  async close(): Promise<void> {
    await this.ua.close();
    await Promise.all([...this.#media].map((m) => m.close()));
    await this.mediaWorkers?.close();
    if (this.#ownsClock) this.clock.stop();
  }
}
