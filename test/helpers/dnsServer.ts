/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP, RFC 1035 §4) for tests: answers A and AAAA
 * queries from a table the test sets, NXDOMAIN for names it does not know. Enough for
 * `sip.dnsServers` to point at, so no test ever asks a public resolver.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';

export class TestDnsServer {
  readonly #socket: Socket = createSocket('udp4');
  /** Name (lower case, no final dot) → addresses; a function gives a different answer per query. */
  readonly records = new Map<string, string[] | (() => string[])>();
  /** Names asked, in order. */
  readonly queries: string[] = [];

  async start(): Promise<string> {
    this.#socket.on('message', (msg, rinfo) => {
      const reply = this.#answer(msg);
      if (reply) this.#socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => this.#socket.bind(0, '127.0.0.1', resolve));
    return `127.0.0.1:${this.#socket.address().port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #answer(msg: Buffer): Buffer | undefined {
    if (msg.length < 12) return undefined;
    const labels: string[] = [];
    let at = 12;
    while (at < msg.length && msg[at]! > 0) {
      labels.push(msg.subarray(at + 1, at + 1 + msg[at]!).toString('latin1'));
      at += 1 + msg[at]!;
    }
    const questionEnd = at + 5;
    const qtype = msg.readUInt16BE(at + 1);
    const name = labels.join('.').toLowerCase();
    this.queries.push(name);
    const entry = this.records.get(name);
    const all = typeof entry === 'function' ? entry() : entry;
    const wanted = (all ?? []).filter((a) => (qtype === 1 ? isIPv4(a) : qtype === 28 && !isIPv4(a)));
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | (all ? 0 : 3), 2); // QR AA RD, NXDOMAIN
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(wanted.length, 6);
    const answers = wanted.map((a) => {
      const rdata = isIPv4(a) ? Buffer.from(a.split('.').map(Number)) : ipv6Bytes(a);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      rr.writeUInt16BE(isIPv4(a) ? 1 : 28, 2);
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(0, 6); // TTL 0: every lookup asks again
      rr.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([rr, rdata]);
    });
    return Buffer.concat([header, msg.subarray(12, questionEnd), ...answers]);
  }
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  return out;
}
