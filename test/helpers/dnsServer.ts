/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP, RFC 1035 §4) for tests: answers A, AAAA, SRV
 * (RFC 2782) and NAPTR (RFC 3403) queries from tables the test sets, NXDOMAIN for names it does not
 * know (with an SOA, so the "no such name" may be cached for `ttl`). Enough for `sip.dnsServers` to
 * point at, so no test ever asks a public resolver.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';

export class TestDnsServer {
  readonly #socket: Socket = createSocket('udp4');
  /** Name (lower case, no final dot) → addresses; a function gives a different answer per query. */
  readonly records = new Map<string, string[] | (() => string[])>();
  /** SRV records by name (`_sip._udp.trunk.test`). */
  readonly srv = new Map<string, TestSrv[]>();
  /** NAPTR records by name. */
  readonly naptr = new Map<string, TestNaptr[]>();
  /** TTL (seconds) of every answer; 0 (the default): every lookup asks again. */
  ttl = 0;
  /** Names asked, in order. */
  readonly queries: string[] = [];
  /** Questions asked, in order: `SRV _sip._udp.trunk.test`, `A trunk.test`, … */
  readonly questions: string[] = [];

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
    this.questions.push(`${TYPE_NAMES[qtype] ?? qtype} ${name}`);
    const entry = this.records.get(name);
    const all = typeof entry === 'function' ? entry() : entry;
    const srv = this.srv.get(name);
    const naptr = this.naptr.get(name);
    const known = all !== undefined || srv !== undefined || naptr !== undefined;
    let answers: Array<[type: number, rdata: Buffer]>;
    if (qtype === 33) answers = (srv ?? []).map((r) => [33, srvData(r)]);
    else if (qtype === 35) answers = (naptr ?? []).map((r) => [35, naptrData(r)]);
    else
      answers = (all ?? [])
        .filter((a) => (qtype === 1 ? isIPv4(a) : qtype === 28 && !isIPv4(a)))
        .map((a) => (isIPv4(a) ? [1, Buffer.from(a.split('.').map(Number))] : [28, ipv6Bytes(a)]));
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | (known ? 0 : 3), 2); // QR AA RD, NXDOMAIN
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    header.writeUInt16BE(answers.length ? 0 : 1, 8); // an SOA says how long "nothing" holds
    const rrs = answers.map(([type, rdata]) =>
      Buffer.concat([rrHeader(type, this.ttl, rdata.length), rdata]),
    );
    if (!answers.length) {
      const soa = Buffer.concat([Buffer.from([0, 0]), Buffer.alloc(20)]);
      soa.writeUInt32BE(this.ttl, 18); // MINIMUM
      rrs.push(Buffer.concat([rrHeader(6, this.ttl, soa.length), soa]));
    }
    return Buffer.concat([header, msg.subarray(12, questionEnd), ...rrs]);
  }
}

export interface TestSrv {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface TestNaptr {
  order: number;
  preference: number;
  /** `s` (an SRV name follows) or `a` (an address name). */
  flags: string;
  /** `SIP+D2U`, `SIP+D2T`, `SIPS+D2T`. */
  service: string;
  replacement: string;
}

const TYPE_NAMES: Record<number, string> = { 1: 'A', 6: 'SOA', 28: 'AAAA', 33: 'SRV', 35: 'NAPTR' };

function rrHeader(type: number, ttl: number, length: number): Buffer {
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  rr.writeUInt16BE(type, 2);
  rr.writeUInt16BE(1, 4); // IN
  rr.writeUInt32BE(ttl, 6);
  rr.writeUInt16BE(length, 10);
  return rr;
}

function nameBytes(name: string): Buffer {
  const labels = name.split('.').filter(Boolean);
  return Buffer.concat([
    ...labels.flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]),
    Buffer.from([0]),
  ]);
}

function text(s: string): Buffer {
  return Buffer.concat([Buffer.from([s.length]), Buffer.from(s)]);
}

function srvData(r: TestSrv): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt16BE(r.priority, 0);
  head.writeUInt16BE(r.weight, 2);
  head.writeUInt16BE(r.port, 4);
  return Buffer.concat([head, nameBytes(r.target)]);
}

function naptrData(r: TestNaptr): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(r.order, 0);
  head.writeUInt16BE(r.preference, 2);
  return Buffer.concat([head, text(r.flags), text(r.service), text(''), nameBytes(r.replacement)]);
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
