/**
 * The platform's own SIP user agent is a door closed to strangers: an INVITE from a source no trunk
 * lists gets 403 and a counter, never a call; one from a listed range gets through; a burst of
 * unauthenticated INVITEs and OPTIONS leaves nothing behind once Timer H/J have run.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { systemClock } from '../../src/clock/clock.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { InboundGate } from '../../src/telephony/inboundGate.js';
import { Telephony } from '../../src/telephony/telephony.js';
import { sipInvite, sipOptions } from '../cli/sipProbe.js';

function lines(): { log: ReturnType<typeof createLogger>; text: string[] } {
  const text: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      text.push(String(chunk));
      done();
    },
  });
  return { log: createLogger({ destination }), text };
}

async function platformUa(ranges: string[], log = silentLogger(), t1 = 500): Promise<Telephony> {
  const gate = new InboundGate({ sources: () => ranges, clock: systemClock, log });
  return Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: false,
    rtpPortMin: 40000,
    rtpPortMax: 40001,
    timers: { t1 },
    admitInvite: (request, source) => gate.admit(request, source),
    logger: silentLogger(),
  });
}

const sipPort = (t: Telephony) => t.ua.localEndpoint('udp')!.port;

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

test('an INVITE from a source no trunk lists gets 403 and is counted, never offered as a call', async () => {
  const { log, text } = lines();
  const telephony = await platformUa([], log);
  let offered = 0;
  telephony.ua.on('incoming', () => offered++);
  try {
    const first = await sipInvite({ host: '127.0.0.1', port: sipPort(telephony), number: '13900000001' });
    const second = await sipInvite({ host: '127.0.0.1', port: sipPort(telephony), number: '13900000001' });
    assert.equal(first?.status, 403);
    assert.equal(second?.status, 403);
    assert.equal(telephony.ua.stats().refusedInvites, 2);
    assert.equal(offered, 0, 'no call was offered');
    assert.equal(telephony.ua.stats().dialogs, 0);
    const warnings = text.filter((l) => l.includes('refused an INVITE from a source no trunk lists'));
    assert.equal(warnings.length, 1, 'one warning per source per minute');
    assert.match(warnings[0]!, /udp:127\.0\.0\.1:\d+/);
    assert.equal(
      await sipOptions({ host: '127.0.0.1', port: sipPort(telephony) }),
      200,
      'OPTIONS still answered',
    );
  } finally {
    await telephony.close();
  }
});

test('an INVITE from a range a trunk lists (--inbound-from) is let in', async () => {
  const telephony = await platformUa(['203.0.113.0/24', '127.0.0.0/8']);
  let offered = 0;
  telephony.ua.on('incoming', (call) => {
    offered++;
    call.reject(486);
  });
  try {
    const answer = await sipInvite({ host: '127.0.0.1', port: sipPort(telephony), number: '13900000001' });
    assert.equal(answer?.status, 486);
    assert.equal(offered, 1);
    assert.equal(telephony.ua.stats().refusedInvites, 0);
  } finally {
    await telephony.close();
  }
});

function invite(port: number, i: number): string {
  const id = randomBytes(8).toString('hex');
  return [
    `INVITE sip:1390000${String(i % 10000).padStart(4, '0')}@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK${id}`,
    'Max-Forwards: 70',
    `From: <sip:stranger@127.0.0.1>;tag=${id}`,
    `To: <sip:1390000@127.0.0.1>`,
    `Call-ID: ${id}@stranger`,
    'CSeq: 1 INVITE',
    'Contact: <sip:stranger@127.0.0.1:9>',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function options(port: number): string {
  const id = randomBytes(8).toString('hex');
  return [
    `OPTIONS sip:smartcall@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK${id}`,
    'Max-Forwards: 70',
    `From: <sip:stranger@127.0.0.1>;tag=${id}`,
    `To: <sip:smartcall@127.0.0.1>`,
    `Call-ID: ${id}@stranger`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** Sends `count` INVITEs and as many OPTIONS, a few dozen per turn so the loopback keeps up. */
async function burst(socket: Socket, port: number, count: number): Promise<void> {
  for (let i = 0; i < count; i += 25) {
    for (let j = i; j < Math.min(count, i + 25); j++) {
      socket.send(invite(port, j), port, '127.0.0.1');
      socket.send(options(port), port, '127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function memoryMb(): { rss: number; heap: number } {
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20 };
}

test('a burst of 2000 unauthenticated INVITEs and OPTIONS leaves no transaction, dialog or timer behind', async () => {
  // T1 = 10 ms: Timer H and J (64·T1) run out in 640 ms.
  const telephony = await platformUa([], silentLogger(), 10);
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  // The 403s come back to Via 127.0.0.1:9 (discard): only the stats tell what happened.
  const port = sipPort(telephony);
  const idle = () => {
    const s = telephony.ua.stats();
    return s.calls === 0 && s.dialogs === 0 && s.transactions.server === 0 && s.timers === 0;
  };
  try {
    // A first burst warms up: code compiled, heap and socket buffers grown to their working size.
    await burst(socket, port, 2000);
    assert.ok(await until(idle, 15_000), 'idle after the warm-up');
    const before = memoryMb();
    const refusedBefore = telephony.ua.stats().refusedInvites;
    await burst(socket, port, 2000);
    await until(() => telephony.ua.stats().refusedInvites - refusedBefore >= 2000, 5_000);
    const refused = telephony.ua.stats().refusedInvites - refusedBefore;
    // UDP on a busy loopback may drop a few; the door must have seen (and refused) nearly all.
    assert.ok(refused >= 1600, `most INVITEs reached the door and were refused (${refused})`);
    assert.ok(
      await until(idle, 15_000),
      `no call, dialog, transaction or timer left: ${JSON.stringify(telephony.ua.stats())}`,
    );
    // What a burst would leave behind stays: a leak of even 5 KB per INVITE is 10 MB here.
    const after = memoryMb();
    const rss = after.rss - before.rss;
    const heap = after.heap - before.heap;
    assert.ok(heap < 5, `heap flat after the burst: ${heap.toFixed(1)} MB`);
    assert.ok(rss < 25, `RSS roughly flat after the burst: ${rss.toFixed(1)} MB`);
  } finally {
    socket.close();
    await telephony.close();
  }
});
