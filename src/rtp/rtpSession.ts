/**
 * One RTP stream over UDP: owns the socket and its port from the pool; sends packets it is handed
 * and delivers the valid ones it receives. Symmetric RTP (RFC 4961 spirit, as carriers behind NAT
 * expect): packets go to the signalled address until the first valid RTP packet arrives, then to the
 * address that packet came from ("latching"); after latching, packets from any other address are
 * dropped and counted. Garbage, oversized datagrams and RTCP muxed onto the port (RFC 5761 §4) are
 * dropped and counted, never delivered.
 *
 * RTCP: the pool reserves the odd port above ours (RFC 3550 §11) but we neither bind it nor send
 * RTCP; a peer's RTCP to it is simply not answered.
 *
 * SRTP (RFC 3711, keys from SDES): once {@link RtpSession.setSrtp} has keys, every packet sent is
 * encrypted and tagged, and every packet received is authenticated, checked against the replay
 * window and decrypted before anything else looks at it — latching included, so a forged packet
 * can neither be played nor move the stream. Failures are dropped and counted.
 *
 * Hot path: one parse view, a small ring of preallocated send buffers, a synchronous address
 * "lookup" (see {@link literalLookup}) so `send` runs inline without per-packet DNS deferral.
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { isIP, isIPv6 } from 'node:net';
import type { Logger } from '../observability/logger.js';
import type { PortPool } from './portPool.js';
import { isRtcpPacket } from './rtcp.js';
import { RTP_HEADER_BYTES, RtpPacket, writeRtpHeader } from './rtpPacket.js';
import { SRTP_MAX_TAG_BYTES, type SrtpKeys, SrtpReceiver, SrtpSender } from './srtp.js';

export interface RtpEndpoint {
  address: string;
  port: number;
}

/** Receives every valid RTP packet from the (latched) remote. The view is reused: copy to keep. */
export interface RtpPacketHandler {
  onRtpPacket(packet: RtpPacket): void;
}

export interface RtpSessionOptions {
  /** Local IP to bind (127.0.0.1 in tests). */
  localAddress: string;
  portPool: PortPool;
  /** Datagrams longer than this are dropped (default 1500). */
  maxPacketBytes?: number;
  /** Largest payload we send (default 480: 60 ms of G.711). */
  maxSendPayload?: number;
  /** Random integer source in [0, 2^32) for SSRC, first sequence number and timestamp base. */
  random?: () => number;
  /** Distinct ports tried when a pooled port is taken by another process (default 8). */
  bindAttempts?: number;
  logger?: Logger;
}

export interface RtpSessionStats {
  packetsSent: number;
  bytesSent: number;
  /** Valid RTP packets delivered to the handler. */
  packetsReceived: number;
  bytesReceived: number;
  /** RTCP packets that arrived on the RTP port (rtcp-mux): counted, ignored. */
  rtcp: number;
  /** Datagrams that are not RTP version 2 or whose header lengths do not add up. */
  malformed: number;
  /** Datagrams larger than `maxPacketBytes`. */
  oversized: number;
  /** Packets from an address other than the latched one. */
  unknownSource: number;
  /** Socket errors (send failures included). */
  errors: number;
  /** Exceptions thrown by the packet handler (caught and counted). */
  handlerErrors: number;
  /** SRTP packets whose tag did not match (tampered, wrong key, or plain RTP when SRTP is due). */
  srtpAuthFailures: number;
  /** SRTP packets seen before (or too old for the replay window). */
  srtpReplays: number;
  /**
   * Packets dropped because SRTP is required but its keys were not known yet (the far end's media
   * can overtake the answer that carries them).
   */
  srtpBeforeKeys: number;
}

const SEND_RING = 4;

export class RtpSession {
  readonly localAddress: string;
  readonly localPort: number;
  /** Our synchronization source identifier (random, RFC 3550 §8.1). */
  readonly ssrc: number;
  readonly #socket: dgram.Socket;
  readonly #pool: PortPool;
  readonly #maxPacketBytes: number;
  readonly #view = new RtpPacket();
  readonly #sendBuffers: Buffer[];
  readonly #payloadViews: Buffer[];
  // Per ring slot, the last exact-length view sent: passing dgram a whole Buffer avoids a slice
  // per send (audio packets all have one length, event packets another).
  readonly #packetViews: Buffer[];
  #sendIndex = 0;
  #seq: number;
  readonly #timestampBase: number;
  #remote: RtpEndpoint | undefined;
  #latched: RtpEndpoint | undefined;
  #handler: RtpPacketHandler | undefined;
  #onLatch: ((endpoint: RtpEndpoint) => void) | undefined;
  #srtpSender: SrtpSender | undefined;
  #srtpReceiver: SrtpReceiver | undefined;
  #srtpKeys: SrtpKeys | undefined;
  /** SRTP was required: until keys arrive, nothing received can be authenticated. */
  #srtpExpected = false;
  #closed = false;
  readonly #log: Logger | undefined;
  readonly #stats: RtpSessionStats = {
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    rtcp: 0,
    malformed: 0,
    oversized: 0,
    unknownSource: 0,
    errors: 0,
    handlerErrors: 0,
    srtpAuthFailures: 0,
    srtpReplays: 0,
    srtpBeforeKeys: 0,
  };

  /** Allocates a port pair and binds the RTP socket. */
  static async open(options: RtpSessionOptions): Promise<RtpSession> {
    const attempts = options.bindAttempts ?? 8;
    const taken: number[] = [];
    try {
      for (let i = 0; i < attempts; i++) {
        const port = options.portPool.allocate();
        const socket = dgram.createSocket({
          type: isIPv6(options.localAddress) ? 'udp6' : 'udp4',
          lookup: literalLookup,
        });
        try {
          await bindSocket(socket, port, options.localAddress);
          return new RtpSession(options, socket, port);
        } catch (err) {
          closeQuietly(socket);
          taken.push(port);
          if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        }
      }
      throw new Error(`could not bind an RTP port on ${options.localAddress} after ${attempts} attempts`);
    } finally {
      for (const port of taken) options.portPool.release(port);
    }
  }

  private constructor(options: RtpSessionOptions, socket: dgram.Socket, port: number) {
    this.localAddress = options.localAddress;
    this.localPort = port;
    this.#socket = socket;
    this.#pool = options.portPool;
    this.#maxPacketBytes = options.maxPacketBytes ?? 1500;
    this.#log = options.logger;
    const random = options.random ?? (() => randomInt(0, 2 ** 32 - 1));
    this.ssrc = random() >>> 0;
    this.#seq = random() & 0xffff;
    this.#timestampBase = random() >>> 0;
    const size = RTP_HEADER_BYTES + (options.maxSendPayload ?? 480) + SRTP_MAX_TAG_BYTES;
    this.#sendBuffers = Array.from({ length: SEND_RING }, () => Buffer.alloc(size));
    this.#payloadViews = this.#sendBuffers.map((b) => b.subarray(RTP_HEADER_BYTES));
    this.#packetViews = this.#sendBuffers.slice();
    socket.on('message', this.#onMessage);
    socket.on('error', this.#onError);
  }

  get stats(): Readonly<RtpSessionStats> {
    return this.#stats;
  }

  /** Where packets go now: the latched source, else the signalled address. */
  get remote(): RtpEndpoint | undefined {
    return this.#latched ?? this.#remote;
  }

  /** The address packets were latched to, if any has arrived since the last {@link setRemote}. */
  get latched(): RtpEndpoint | undefined {
    return this.#latched;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Next sequence number to be sent. */
  get sequenceNumber(): number {
    return this.#seq;
  }

  /** Random offset added to every media timestamp handed to {@link send}. */
  get timestampBase(): number {
    return this.#timestampBase;
  }

  set handler(handler: RtpPacketHandler | undefined) {
    this.#handler = handler;
  }

  /** Called once each time the session latches onto a source address. */
  set onLatch(callback: ((endpoint: RtpEndpoint) => void) | undefined) {
    this.#onLatch = callback;
  }

  /**
   * Sets the signalled remote (SDP c= address and m= port); forgets any latched address, so a
   * re-INVITE that moves the media latches afresh. The address must be an IP literal.
   */
  setRemote(remote: RtpEndpoint): void {
    if (isIP(remote.address) === 0)
      throw new TypeError(`remote RTP address must be an IP: ${remote.address}`);
    if (!Number.isInteger(remote.port) || remote.port <= 0 || remote.port > 65535) {
      throw new RangeError(`remote RTP port out of range: ${remote.port}`);
    }
    this.#remote = { address: remote.address, port: remote.port };
    this.#latched = undefined;
  }

  /** Whether packets are protected with SRTP now. */
  get srtp(): boolean {
    return this.#srtpSender !== undefined;
  }

  /**
   * Protects the stream with SRTP from the next packet on (null: plain RTP again). A direction whose
   * key did not change keeps its state (rollover counter, replay window), so a re-INVITE that
   * repeats the keys costs nothing.
   */
  setSrtp(keys: SrtpKeys | null): void {
    if (keys === null) {
      this.#srtpSender = undefined;
      this.#srtpReceiver = undefined;
      this.#srtpKeys = undefined;
      return;
    }
    const before = this.#srtpKeys;
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;
    const sameSuite = before?.suite === keys.suite;
    if (!this.#srtpSender || !sameSuite || !same(before.localKey, keys.localKey)) {
      this.#srtpSender = new SrtpSender(keys.suite, keys.localKey);
    }
    if (!this.#srtpReceiver || !sameSuite || !same(before.remoteKey, keys.remoteKey)) {
      this.#srtpReceiver = new SrtpReceiver(keys.suite, keys.remoteKey);
    }
    this.#srtpKeys = { suite: keys.suite, localKey: keys.localKey, remoteKey: keys.remoteKey };
  }

  /**
   * We offered SRTP as required: drop (and count) whatever arrives before the keys are known
   * rather than take it for plain RTP.
   */
  expectSrtp(): void {
    this.#srtpExpected = true;
  }

  /**
   * The payload area (length `maxSendPayload`) of the buffer the next {@link send} uses: encode
   * into it, then call send. Buffers rotate through a small ring so a send still queued in the
   * kernel path is never overwritten by the next.
   */
  payloadBuffer(): Buffer {
    return this.#payloadViews[this.#sendIndex]!;
  }

  /**
   * Sends the packet whose payload was written into {@link payloadBuffer}. `mediaTimestamp` is on
   * the caller's timeline (samples since its start); the random base is added here. Returns false
   * when no remote is known yet or the session is closed.
   */
  send(payloadType: number, marker: boolean, mediaTimestamp: number, payloadLength: number): boolean {
    const target = this.#latched ?? this.#remote;
    if (!target || this.#closed) return false;
    const slot = this.#sendIndex;
    this.#sendIndex = (slot + 1) % SEND_RING;
    const buffer = this.#sendBuffers[slot]!;
    const timestamp = (this.#timestampBase + mediaTimestamp) >>> 0;
    writeRtpHeader(buffer, payloadType, marker, this.#seq, timestamp, this.ssrc);
    this.#seq = (this.#seq + 1) & 0xffff;
    let length = RTP_HEADER_BYTES + payloadLength;
    if (this.#srtpSender) length = this.#srtpSender.protect(buffer, length);
    let packet = this.#packetViews[slot]!;
    if (packet.length !== length) {
      packet = buffer.subarray(0, length);
      this.#packetViews[slot] = packet;
    }
    this.#socket.send(packet, target.port, target.address);
    this.#stats.packetsSent++;
    this.#stats.bytesSent += length;
    return true;
  }

  /** Closes the socket and returns its port to the pool. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handler = undefined;
    this.#socket.off('message', this.#onMessage);
    this.#socket.close();
    this.#pool.release(this.localPort);
  }

  readonly #onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    const stats = this.#stats;
    if (msg.length > this.#maxPacketBytes) {
      stats.oversized++;
      return;
    }
    if (msg.length < 2 || msg[0]! >> 6 !== 2) {
      stats.malformed++;
      return;
    }
    // Before the length check: an RTCP RR without report blocks is only 8 bytes.
    if (isRtcpPacket(msg)) {
      stats.rtcp++;
      return;
    }
    let length = msg.length;
    if (this.#srtpReceiver) {
      const result = this.#srtpReceiver.unprotect(msg, length);
      if (result === 'auth') {
        stats.srtpAuthFailures++;
        return;
      }
      if (result === 'replay') {
        stats.srtpReplays++;
        return;
      }
      length = result;
    } else if (this.#srtpExpected) {
      stats.srtpBeforeKeys++;
      return;
    }
    const view = this.#view;
    if (!view.wrap(msg, length)) {
      stats.malformed++;
      return;
    }
    const latched = this.#latched;
    if (latched === undefined) {
      this.#latched = { address: rinfo.address, port: rinfo.port };
      this.#log?.info({ from: this.#latched, localPort: this.localPort }, 'rtp latched');
      this.#onLatch?.(this.#latched);
    } else if (rinfo.port !== latched.port || rinfo.address !== latched.address) {
      stats.unknownSource++;
      return;
    }
    stats.packetsReceived++;
    stats.bytesReceived += length;
    try {
      this.#handler?.onRtpPacket(view);
    } catch (err) {
      // A failing consumer (e.g. a DTMF listener) must not turn into an uncaught socket exception.
      stats.handlerErrors++;
      if (stats.handlerErrors === 1 || stats.handlerErrors % 1000 === 0) {
        this.#log?.error(
          { err, localPort: this.localPort, errors: stats.handlerErrors },
          'rtp packet handler threw',
        );
      }
    }
  };

  readonly #onError = (err: Error): void => {
    // A UDP socket error (e.g. ICMP-reported failure on send) must not end the call or the process.
    this.#stats.errors++;
    if (this.#stats.errors === 1 || this.#stats.errors % 1000 === 0) {
      this.#log?.warn({ err, localPort: this.localPort, errors: this.#stats.errors }, 'rtp socket error');
    }
  };
}

/**
 * dgram's default lookup resolves even an IP literal through dns.lookup, which defers the send to
 * a later tick and allocates per packet. Remotes are always IP literals here (checked in
 * setRemote), so answer synchronously.
 */
function literalLookup(
  address: string,
  family: unknown,
  callback?: (err: Error | null, address: string, family: number) => void,
): void {
  const cb = (typeof family === 'function' ? family : callback) as (
    err: Error | null,
    address: string,
    family: number,
  ) => void;
  const kind = isIP(address);
  if (kind === 0) cb(new Error(`not an IP address: ${address}`), address, 4);
  else cb(null, address, kind);
}

function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // never bound: nothing to close
  }
}

function bindSocket(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}
