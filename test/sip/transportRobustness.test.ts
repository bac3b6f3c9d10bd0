import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { ScriptedPeer } from './scriptedPeer.js';
import { createUa, waitFor } from './uaHarness.js';

let ua: SipUserAgent;
let peer: ScriptedPeer;
let port: number;

before(async () => {
  ua = await createUa({ limits: { maxMessageBytes: 4096 } });
  port = ua.localEndpoint('udp')!.port;
});
after(async () => {
  await ua.close();
});
beforeEach(async () => {
  peer = await ScriptedPeer.create();
});
afterEach(() => {
  peer.close();
});

const OPTIONS = (branch: string) =>
  [
    `OPTIONS sip:smartcall@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5999;branch=${branch};rport`,
    'Max-Forwards: 70',
    'From: <sip:probe@127.0.0.1>;tag=t1',
    'To: <sip:smartcall@127.0.0.1>',
    `Call-ID: ${branch}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');

describe('bad input from the network', () => {
  test('garbage datagrams are dropped and counted', async () => {
    const before = ua.stats().transport.droppedMalformed;
    for (const junk of [
      Buffer.from([0xff, 0x00, 0x13]),
      Buffer.from('hello world'),
      Buffer.from('INVITE\r\n\r\n'),
      Buffer.from('SIP/2.0 200 OK\r\n\r\n'),
    ]) {
      peer.send(junk, port);
    }
    await waitFor('the drops to be counted', () => ua.stats().transport.droppedMalformed >= before + 4);
  });

  test('oversized datagrams are dropped before parsing', async () => {
    const before = ua.stats().transport.droppedOversized;
    peer.send(Buffer.alloc(5000, 0x41), port);
    await waitFor('the oversize drop', () => ua.stats().transport.droppedOversized === before + 1);
  });

  test('a malformed request that can be answered gets 400 back at its source', async () => {
    const broken = OPTIONS('z9hG4bK-bad1').replace('CSeq: 1 OPTIONS', 'CSeq: x OPTIONS');
    peer.send(broken, port);
    // the 400 copies the broken CSeq as received, so it is read here as raw text
    await waitFor('a 400', () =>
      peer.raw.some((d) => d.toString().startsWith('SIP/2.0 400 Malformed CSeq header')),
    );
    assert.equal(ua.stats().transport.answeredMalformed >= 1, true);
  });

  test('a truncated request (Content-Length beyond the datagram) is answered 400', async () => {
    peer.send(OPTIONS('z9hG4bK-trunc').replace('Content-Length: 0', 'Content-Length: 500'), port);
    const r = await peer.next((m) => m.kind === 'response');
    assert.equal(r.kind === 'response' && r.reason, 'Content-Length Mismatch');
  });

  test('responses to requests we never sent are dropped as misrouted', async () => {
    const before = ua.stats().transport.droppedMisrouted;
    peer.send(
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKx\r\nFrom: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:b@192.0.2.2>;tag=2\r\nCall-ID: y\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
      port,
    );
    await waitFor('misrouted drop', () => ua.stats().transport.droppedMisrouted === before + 1);
  });

  test('out-of-dialog OPTIONS is answered 200 at the rport address', async () => {
    peer.send(OPTIONS('z9hG4bK-opt'), port);
    const r = await peer.next((m) => m.kind === 'response');
    assert.equal(r.kind === 'response' && r.status, 200);
    // sent to the packet's source port although the Via names 5999 (RFC 3581)
    assert.equal(r.topVia.rport, peer.port);
    // RFC 3581 §4: with rport filled in, received is added too, even when it repeats the Via host.
    assert.equal(r.topVia.received, '127.0.0.1');
  });

  test('a TCP stream with an oversized message is closed and counted; a good one is answered', async () => {
    const tcpPort = ua.localEndpoint('tcp')!.port;
    const before = ua.stats().transport.droppedOversized;
    const bad = connect(tcpPort, '127.0.0.1');
    await once(bad, 'connect');
    bad.write(`OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nContent-Length: 999999\r\n\r\n`);
    await once(bad, 'close');
    assert.equal(ua.stats().transport.droppedOversized, before + 1);

    const good = connect(tcpPort, '127.0.0.1');
    await once(good, 'connect');
    let data = '';
    good.on('data', (d) => {
      data += d;
    });
    const msg = OPTIONS('z9hG4bK-tcp').replace('SIP/2.0/UDP', 'SIP/2.0/TCP');
    // split in two writes: the framer must reassemble it
    good.write(msg.slice(0, 50));
    await new Promise((r) => setTimeout(r, 20));
    good.write(msg.slice(50));
    await waitFor('a response over TCP', () => data.includes('\r\n\r\n'));
    assert.match(data, /^SIP\/2\.0 200 OK/);
    good.destroy();
  });
});
