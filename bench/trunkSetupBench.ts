/**
 * `npm run bench:setup`: how long a call takes to set up through a carrier-style trunk — located by
 * DNS (NAPTR → SRV → A from dnsmasq, TTL 0 so every call asks), over SIP/TLS, with SRTP required —
 * against the same call over plain UDP, in the same run, through the same kamailio proxy to the
 * same kind of callee (baresip; the secure one demands SRTP, `mediaenc=srtp-mand`).
 *
 * Per call: from `dial()` to the 200 OK (`answered`), and to the first audio packet received and
 * accepted (decrypted and authenticated for SRTP). Calls run one at a time, the two kinds
 * interleaved round by round so machine noise falls on both. The first call of each kind is
 * reported apart: for TLS it carries the TCP and TLS handshakes, which later calls reuse.
 * The secure callee refuses any offer without SRTP, so every secure call that is answered ran SRTP.
 * Last line: one JSON object with the figures.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TrunkAdmin } from '../src/calls/trunkAdmin.js';
import { trunkDial } from '../src/calls/trunkDial.js';
import { sleep } from '../src/clock/within.js';
import { DnsResolver } from '../src/net/dnsResolver.js';
import { silentLogger } from '../src/observability/logger.js';
import { SqliteStore } from '../src/store/sqlite/sqliteStore.js';
import type { OutboundCall } from '../src/telephony/outboundCall.js';
import { Telephony } from '../src/telephony/telephony.js';
import { SecretBox } from '../src/tenancy/secretBox.js';
import { startDnsmasq } from '../test/helpers/dnsmasq.js';
import { freePort } from '../test/helpers/ports.js';
import { startBaresipCallee, startKamailioTls } from '../test/helpers/sipPeers.js';
import { tempDir } from '../test/helpers/tempDir.js';
import { makeTestCa } from '../test/helpers/testCa.js';

const ROUNDS = Number(process.env.BENCH_CALLS ?? 100);
type Kind = 'plain' | 'secure';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const round1 = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const dir = tempDir('smartcall-bench-setup-');
  const cleanups: Array<() => Promise<void> | void> = [() => dir.remove()];
  try {
    const ca = makeTestCa(dir.path, ['carrier.test', 'edge.carrier.test'], ['127.0.0.1']);
    const [plainPort, securePort, tlsPort, udpPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const plainCallee = await startBaresipCallee({ port: plainPort, rtpPorts: '24100-24199' });
    cleanups.push(() => plainCallee.stop());
    const secureCallee = await startBaresipCallee({
      port: securePort,
      rtpPorts: '24200-24299',
      mediaenc: 'srtp-mand',
    });
    cleanups.push(() => secureCallee.stop());
    // TLS side → the SRTP callee; the UDP side → the plain callee (the proxy's "smartcall" leg).
    const kamailio = await startKamailioTls({
      tlsPort,
      udpPort,
      calleeUri: `sip:callee@127.0.0.1:${securePort}`,
      smartcallUri: `sip:callee@127.0.0.1:${plainPort}`,
      certFile: join(dir.path, 'server.pem'),
      keyFile: join(dir.path, 'server.key'),
      caFile: ca.caFile,
    });
    cleanups.push(() => kamailio.stop());
    const dns = await startDnsmasq({
      localDomain: 'test',
      hosts: { 'edge.carrier.test': '127.0.0.1' },
      naptr: [
        {
          name: 'carrier.test',
          order: 10,
          preference: 10,
          flags: 's',
          service: 'SIPS+D2T',
          replacement: '_sips._tcp.carrier.test',
        },
      ],
      srv: [
        {
          name: '_sips._tcp.carrier.test',
          target: 'edge.carrier.test',
          port: tlsPort,
          priority: 10,
          weight: 0,
        },
      ],
    });
    cleanups.push(() => dns.stop());

    const rtp = await freePort({ tcp: false });
    const tel = await Telephony.create({
      address: '127.0.0.1',
      sipUdpPort: 0,
      sipTcpPort: 0,
      rtpPortMin: rtp,
      rtpPortMax: rtp + 400,
      logger: silentLogger(),
    });
    cleanups.push(() => tel.close());
    const store = SqliteStore.inMemory();
    cleanups.push(() => store.close());
    const trunks = new TrunkAdmin(store, SecretBox.fromMasterKey('bench master key'));
    trunks.add({ name: 'plain', uri: `sip:127.0.0.1:${udpPort}` });
    trunks.add({ name: 'secure', uri: 'sips:carrier.test', tlsCaFile: ca.caFile, srtp: 'required' });
    const dial = trunkDial({
      telephony: tel,
      trunkPassword: () => undefined,
      ringTimeoutMs: 10_000,
      dns: new DnsResolver({ servers: [dns.server], timeoutMs: 2000 }),
      log: silentLogger(),
    });

    const answered: Record<Kind, number[]> = { plain: [], secure: [] };
    const firstAudio: Record<Kind, number[]> = { plain: [], secure: [] };
    const oneCall = async (kind: Kind): Promise<void> => {
      const t0 = performance.now();
      const call = (await dial({
        number: 'callee',
        trunk: trunks.get(kind),
        callerNumber: '057188880000',
      })) as OutboundCall;
      const [outcome] = await Promise.race([
        once(call, 'answered').then(() => ['answered']),
        once(call, 'failed').then(([cause]) => [`failed: ${JSON.stringify(cause)}`]),
      ]);
      if (outcome !== 'answered') throw new Error(`${kind} call ${outcome}`);
      const t1 = performance.now();
      // The callee plays its tone at once: wait for the first packet the media path accepted.
      while (call.media.stats.rtp.packetsReceived === 0) {
        if (performance.now() - t1 > 5000) throw new Error(`${kind} call: no audio in 5 s`);
        await new Promise((r) => setImmediate(r));
      }
      const t2 = performance.now();
      answered[kind].push(t1 - t0);
      firstAudio[kind].push(t2 - t0);
      call.hangup();
      await once(call, 'ended');
    };

    for (let r = 0; r < ROUNDS; r++) {
      const order: Kind[] = r % 2 === 0 ? ['plain', 'secure'] : ['secure', 'plain'];
      for (const kind of order) await oneCall(kind);
      await sleep(5);
    }

    const summary = (kind: Kind) => {
      const a = answered[kind].slice(1).sort((x, y) => x - y);
      const f = firstAudio[kind].slice(1).sort((x, y) => x - y);
      return {
        firstCallAnsweredMs: round1(answered[kind][0]!),
        answeredP50Ms: round1(percentile(a, 50)),
        answeredP99Ms: round1(percentile(a, 99)),
        firstAudioP50Ms: round1(percentile(f, 50)),
        firstAudioP99Ms: round1(percentile(f, 99)),
      };
    };
    const plain = summary('plain');
    const secure = summary('secure');
    console.log(`calls per kind: ${ROUNDS} (the first of each apart; the rest give p50/p99)`);
    console.log('plain  (UDP, IP literal, RTP):                     ', plain);
    console.log('secure (NAPTR+SRV+A each call, TLS, SRTP required):', secure);
    console.log(
      JSON.stringify({
        bench: 'setup',
        callsPerKind: ROUNDS,
        plain,
        secure,
        // What the secure calls really did: DNS questions asked, TLS connections opened.
        dnsQuestions: dns.queries().length,
        tlsConnectionsOpened: tel.ua.stats().transport.tlsConnectionsOpened,
        answeredP50ExtraMs: round1(secure.answeredP50Ms - plain.answeredP50Ms),
        answeredP99ExtraMs: round1(secure.answeredP99Ms - plain.answeredP99Ms),
      }),
    );
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
