/**
 * A few hand-written SIP requests over UDP, as a curious user would send them to check a port:
 * OPTIONS (RFC 3261 §11) and a whole INVITE transaction (ACK for a failure; ACK then BYE for an
 * answer). Independent of src/sip on purpose: it checks what is on the wire, not our parser.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

export interface SipAnswer {
  status: number;
  /** The m=audio port of the SDP answer, for 2xx. */
  audioPort?: number;
  /** The Call-ID used (as phonenet archives it). */
  callId: string;
}

const rand = () => randomBytes(6).toString('hex');

interface Target {
  host: string;
  port: number;
  /** Local address to send from (default 127.0.0.1). */
  from?: string;
  timeoutMs?: number;
}

function open(from: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, from, () => resolve(socket));
  });
}

function header(message: string, name: string): string | undefined {
  return new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(message)?.[1]?.trim();
}

/** Sends OPTIONS; resolves the final status, or undefined when nothing answers in time. */
export async function sipOptions(t: Target): Promise<number | undefined> {
  const socket = await open(t.from ?? '127.0.0.1');
  const local = socket.address();
  const callId = `${rand()}@probe`;
  const request = [
    `OPTIONS sip:probe@${t.host}:${t.port} SIP/2.0`,
    `Via: SIP/2.0/UDP ${local.address}:${local.port};branch=z9hG4bK${rand()};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@${local.address}>;tag=${rand()}`,
    `To: <sip:probe@${t.host}:${t.port}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  try {
    return await new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), t.timeoutMs ?? 2000);
      socket.on('message', (m) => {
        const status = Number(/^SIP\/2\.0 (\d{3})/.exec(m.toString())?.[1]);
        if (status >= 200) {
          clearTimeout(timer);
          resolve(status);
        }
      });
      socket.send(request, t.port, t.host);
    });
  } finally {
    socket.close();
  }
}

/** Places a call to `number`; on an answer, hangs up at once. Resolves the final response. */
export async function sipInvite(
  t: Target & {
    number: string;
    /** The m= line's profile and extra media attributes (default RTP/AVP, none). */
    media?: { profile: string; attributes: string[] };
  },
): Promise<SipAnswer | undefined> {
  const socket = await open(t.from ?? '127.0.0.1');
  const local = socket.address();
  const callId = `${rand()}@probe`;
  const fromTag = rand();
  const branch = `z9hG4bK${rand()}`;
  const via = (b: string) => `Via: SIP/2.0/UDP ${local.address}:${local.port};branch=${b};rport`;
  const uri = `sip:${t.number}@${t.host}:${t.port}`;
  const sdp = [
    'v=0',
    `o=probe 1 1 IN IP4 ${local.address}`,
    's=-',
    `c=IN IP4 ${local.address}`,
    't=0 0',
    `m=audio ${local.port + 2} ${t.media?.profile ?? 'RTP/AVP'} 0 101`,
    ...(t.media?.attributes ?? []),
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
  const common = (to: string, cseq: string) => [
    'Max-Forwards: 70',
    `From: <sip:probe@${local.address}>;tag=${fromTag}`,
    `To: ${to}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq}`,
  ];
  const send = (lines: string[], body = '') =>
    socket.send(
      [...lines, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n'),
      t.port,
      t.host,
    );
  try {
    return await new Promise<SipAnswer | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), t.timeoutMs ?? 5000);
      socket.on('message', (m) => {
        const text = m.toString();
        const request = /^([A-Z]+) \S+ SIP\/2\.0/.exec(text);
        if (request) {
          // The callee hangs up (or anything else in the dialog): accept it.
          const lines = text.split('\r\n');
          const echo = lines.filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
          socket.send(['SIP/2.0 200 OK', ...echo, 'Content-Length: 0', '', ''].join('\r\n'), t.port, t.host);
          return;
        }
        const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1]);
        if (!(status >= 200) || header(text, 'CSeq')?.endsWith('INVITE') !== true) return;
        clearTimeout(timer);
        const to = header(text, 'To') ?? `<${uri}>`;
        if (status >= 300) {
          send([`ACK ${uri} SIP/2.0`, via(branch), ...common(to, '1 ACK')]);
          resolve({ status, callId });
          return;
        }
        const audioPort = Number(/^m=audio (\d+)/m.exec(text)?.[1]);
        send([`ACK ${uri} SIP/2.0`, via(`z9hG4bK${rand()}`), ...common(to, '1 ACK')]);
        send([`BYE ${uri} SIP/2.0`, via(`z9hG4bK${rand()}`), ...common(to, '2 BYE')]);
        // Give the BYE a moment to arrive before the socket closes.
        setTimeout(() => resolve({ status, audioPort, callId }), 300);
      });
      send(
        [
          `INVITE ${uri} SIP/2.0`,
          via(branch),
          ...common(`<${uri}>`, '1 INVITE'),
          `Contact: <sip:probe@${local.address}:${local.port}>`,
          'Content-Type: application/sdp',
        ],
        sdp,
      );
    });
  } finally {
    socket.close();
  }
}
