import { createSocket, type Socket } from 'node:dgram';
import { parseSipMessage } from '../../src/sip/messageParser.js';
import type { SipMessage, SipRequest } from '../../src/sip/sipMessage.js';

/**
 * A hand-driven SIP peer on a UDP socket: the test reads what our user agent sends and writes raw
 * messages back, to produce situations real peers rarely produce on demand (races, retransmissions,
 * forks, garbage).
 */
export class ScriptedPeer {
  readonly socket: Socket;
  readonly received: Array<{ message: SipMessage; from: { address: string; port: number } }> = [];
  readonly raw: Buffer[] = [];
  #waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (data, rinfo) => {
      this.raw.push(data);
      const parsed = parseSipMessage(data);
      if (parsed.ok)
        this.received.push({ message: parsed.message, from: { address: rinfo.address, port: rinfo.port } });
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** Bound to `host` (another loopback address, e.g. 127.0.0.2, is a second server); it sends to 127.0.0.1. */
  static async create(host = '127.0.0.1'): Promise<ScriptedPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, host, () => r()));
    return new ScriptedPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  uri(user = 'peer'): string {
    return `sip:${user}@127.0.0.1:${this.port}`;
  }

  /** Waits for a message matching the predicate (received after `fromIndex`). */
  async next(predicate: (m: SipMessage) => boolean, timeoutMs = 3000, fromIndex = 0): Promise<SipMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.slice(fromIndex).find((r) => predicate(r.message));
      if (found) return found.message;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('scripted peer: expected message did not arrive');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  request(method: string, timeoutMs?: number, fromIndex?: number): Promise<SipRequest> {
    return this.next(
      (m) => m.kind === 'request' && m.method === method,
      timeoutMs,
      fromIndex,
    ) as Promise<SipRequest>;
  }

  count(predicate: (m: SipMessage) => boolean): number {
    return this.received.filter((r) => predicate(r.message)).length;
  }

  send(text: string | Buffer, port: number): void {
    const data = typeof text === 'string' ? Buffer.from(text.replace(/\r?\n/g, '\r\n')) : text;
    this.socket.send(data, port, '127.0.0.1');
  }

  /** A response to `req` (copying Via, From, To, Call-ID, CSeq), with optional To tag, headers and SDP. */
  respond(
    req: SipRequest,
    port: number,
    status: string,
    options: { toTag?: string; headers?: string[]; sdp?: string } = {},
  ): void {
    const h = req.headers;
    const lines = [
      `SIP/2.0 ${status}`,
      ...h.getAll('via').map((v) => `Via: ${v}`),
      `From: ${h.get('from')}`,
      `To: ${h.get('to')}${options.toTag && !req.to.tag ? `;tag=${options.toTag}` : ''}`,
      `Call-ID: ${h.get('call-id')}`,
      `CSeq: ${h.get('cseq')}`,
      ...(options.headers ?? []),
    ];
    const body = options.sdp ?? '';
    if (body) lines.push('Content-Type: application/sdp');
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
    this.send(lines.join('\r\n'), port);
  }

  close(): void {
    this.socket.close();
  }
}

export const PEER_SDP =
  'v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n';
