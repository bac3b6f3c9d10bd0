/**
 * DNS messages (RFC 1035 §4) for the records SIP server location needs (RFC 3263): A, AAAA, SRV
 * (RFC 2782), NAPTR (RFC 3403), with their TTLs, which node:dns does not report for SRV or NAPTR.
 * Queries are built and answers parsed here; sending them is DnsResolver's job.
 */

export const RR_TYPES = { A: 1, CNAME: 5, SOA: 6, AAAA: 28, SRV: 33, NAPTR: 35 } as const;
export type QueryType = 'A' | 'AAAA' | 'SRV' | 'NAPTR';

export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  /** Host name, no final dot; `.` (the root) means "no service here" (RFC 2782). */
  target: string;
}

export interface NaptrRecord {
  order: number;
  preference: number;
  flags: string;
  service: string;
  regexp: string;
  /** Next name to look up (no final dot); empty for the root. */
  replacement: string;
}

export type RecordData = string | SrvRecord | NaptrRecord;

export interface DnsAnswer<T extends RecordData = RecordData> {
  /** Response code: 0 no error, 2 SERVFAIL, 3 NXDOMAIN, … */
  rcode: number;
  truncated: boolean;
  records: T[];
  /** Seconds this answer may be kept: the smallest record TTL, or for "no such data" the SOA's (RFC 2308 §5). */
  ttl: number;
}

export function encodeQuery(id: number, name: string, type: QueryType): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const parts = [Buffer.alloc(12)];
  parts[0]!.writeUInt16BE(id, 0);
  parts[0]!.writeUInt16BE(0x0100, 2); // RD
  parts[0]!.writeUInt16BE(1, 4); // one question
  for (const l of labels) {
    const b = Buffer.from(l, 'latin1');
    parts.push(Buffer.from([b.length]), b);
  }
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(RR_TYPES[type], 1);
  tail.writeUInt16BE(1, 3); // IN
  parts.push(tail);
  return Buffer.concat(parts);
}

class Reader {
  constructor(
    readonly buf: Buffer,
    public at: number,
  ) {}

  u8(): number {
    return this.buf.readUInt8(this.at++);
  }
  u16(): number {
    const v = this.buf.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  text(): string {
    const n = this.u8();
    const s = this.buf.toString('latin1', this.at, this.at + n);
    this.at += n;
    return s;
  }

  /** A possibly compressed name (§4.1.4), lower case, no final dot. */
  name(): string {
    const labels: string[] = [];
    let at = this.at;
    let jumped = false;
    for (let hops = 0; hops < 64; hops++) {
      const len = this.buf.readUInt8(at);
      if (len === 0) {
        if (!jumped) this.at = at + 1;
        return labels.join('.').toLowerCase();
      }
      if ((len & 0xc0) === 0xc0) {
        if (!jumped) this.at = at + 2;
        jumped = true;
        at = this.buf.readUInt16BE(at) & 0x3fff;
        continue;
      }
      labels.push(this.buf.toString('latin1', at + 1, at + 1 + len));
      at += 1 + len;
    }
    throw new RangeError('DNS name compression loop');
  }
}

function ipv6(buf: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(at + i * 2).toString(16));
  // The longest run of zero groups becomes `::` (RFC 5952 §4.2).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/**
 * The answers of `type` in a response (CNAMEs on the way are followed by the server, so only the
 * records of the type asked are kept). Throws RangeError on a malformed message.
 */
export function parseAnswer(msg: Buffer, type: QueryType): DnsAnswer & { id: number } {
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  const counts = [msg.readUInt16BE(4), msg.readUInt16BE(6), msg.readUInt16BE(8)] as const;
  const r = new Reader(msg, 12);
  for (let i = 0; i < counts[0]; i++) {
    r.name();
    r.at += 4;
  }
  const records: RecordData[] = [];
  let ttl = Number.POSITIVE_INFINITY;
  let soaTtl: number | undefined;
  for (let i = 0; i < counts[1] + counts[2]; i++) {
    r.name();
    const rrType = r.u16();
    r.u16(); // class
    const rrTtl = r.u32();
    const length = r.u16();
    const end = r.at + length;
    if (i >= counts[1]) {
      if (rrType === RR_TYPES.SOA) {
        r.name();
        r.name();
        r.at += 16;
        soaTtl = Math.min(rrTtl, r.u32()); // RFC 2308 §5: the lesser of the SOA's TTL and MINIMUM
      }
    } else if (rrType === RR_TYPES[type]) {
      ttl = Math.min(ttl, rrTtl);
      if (type === 'A') records.push([...msg.subarray(r.at, r.at + 4)].join('.'));
      else if (type === 'AAAA') records.push(ipv6(msg, r.at));
      else if (type === 'SRV')
        records.push({ priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() });
      else
        records.push({
          order: r.u16(),
          preference: r.u16(),
          flags: r.text().toLowerCase(),
          service: r.text().toUpperCase(),
          regexp: r.text(),
          replacement: r.name(),
        });
    }
    r.at = end;
  }
  return {
    id,
    rcode: flags & 0x0f,
    truncated: (flags & 0x0200) !== 0,
    records,
    ttl: records.length ? ttl : (soaTtl ?? 0),
  };
}
