/**
 * smartcall behind a NAT: three network namespaces made for this run —
 *
 *   inside 10.201.1.2 ── 10.201.1.1 router 10.201.2.1 ── 10.201.2.2 outside (baresip)
 *
 * The router forwards (ip_forward=1), masquerades what leaves toward the outside and forwards the
 * SIP port and the RTP port range back to the inside host (DNAT): the usual cloud 1:1 NAT. The
 * outside host has no route to 10.201.1.0/24, as the internet has none to a private network.
 * smartcall runs inside as its own process (test/helpers/natCaller.ts, real configuration file),
 * bound to 0.0.0.0, and calls baresip outside.
 *
 * Needs root (`ip netns`, veth, iptables); skipped with a message where `ip netns add` fails.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readWav } from '../../src/media/wavReader.js';
import { findInRecording, pcmWav } from '../helpers/audio.js';
import { NAT_OURS, NAT_THEIRS } from '../helpers/natCaller.js';
import { startBaresipCallee, stopChild, waitForExit } from '../helpers/sipPeers.js';
import { tempDir } from '../helpers/tempDir.js';

const ns = {
  inside: `scnat-${process.pid}-in`,
  router: `scnat-${process.pid}-rt`,
  outside: `scnat-${process.pid}-out`,
};
const INSIDE = '10.201.1.2';
const ROUTER_IN = '10.201.1.1';
const ROUTER_OUT = '10.201.2.1';
const OUTSIDE = '10.201.2.2';
const SIP_PORT = 5060;
const RTP_MIN = 30000;
const RTP_MAX = 30019;
const CALLEE_PORT = 5080;

const dir = tempDir();
const created: string[] = [];
let skip: string | false = false;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function inNs(name: string, ...command: string[]): void {
  execFileSync('ip', ['netns', 'exec', name, ...command], { stdio: ['ignore', 'ignore', 'pipe'] });
}

before(() => {
  try {
    ip('netns', 'add', ns.inside);
    created.push(ns.inside);
  } catch (err) {
    skip = `network namespaces unavailable (needs root and iproute2): ${String(err).split('\n')[0]}`;
    return;
  }
  ip('netns', 'add', ns.router);
  created.push(ns.router);
  ip('netns', 'add', ns.outside);
  created.push(ns.outside);
  // veth names are global while they are created in this namespace: make them unique per run.
  const v = (s: string) => `sn${process.pid}${s}`;
  ip('link', 'add', v('i'), 'type', 'veth', 'peer', 'name', v('ri'));
  ip('link', 'set', v('i'), 'netns', ns.inside);
  ip('link', 'set', v('ri'), 'netns', ns.router);
  ip('link', 'add', v('o'), 'type', 'veth', 'peer', 'name', v('ro'));
  ip('link', 'set', v('o'), 'netns', ns.outside);
  ip('link', 'set', v('ro'), 'netns', ns.router);
  const up = (n: string, dev: string, cidr?: string) => {
    if (cidr) ip('-n', n, 'addr', 'add', cidr, 'dev', dev);
    ip('-n', n, 'link', 'set', dev, 'up');
  };
  up(ns.inside, 'lo');
  up(ns.inside, v('i'), `${INSIDE}/24`);
  ip('-n', ns.inside, 'route', 'add', 'default', 'via', ROUTER_IN);
  up(ns.router, 'lo');
  up(ns.router, v('ri'), `${ROUTER_IN}/24`);
  up(ns.router, v('ro'), `${ROUTER_OUT}/24`);
  up(ns.outside, 'lo');
  up(ns.outside, v('o'), `${OUTSIDE}/24`);
  inNs(ns.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  const nat = (...rule: string[]) => inNs(ns.router, 'iptables', '-t', 'nat', '-A', ...rule);
  nat('POSTROUTING', '-o', v('ro'), '-j', 'MASQUERADE');
  nat(
    'PREROUTING',
    '-i',
    v('ro'),
    '-p',
    'udp',
    '--dport',
    String(SIP_PORT),
    '-j',
    'DNAT',
    '--to-destination',
    INSIDE,
  );
  nat(
    'PREROUTING',
    '-i',
    v('ro'),
    '-p',
    'udp',
    '--dport',
    `${RTP_MIN}:${RTP_MAX}`,
    '-j',
    'DNAT',
    '--to-destination',
    INSIDE,
  );
});

after(() => {
  // The iptables rules and veth pairs live in the namespaces: deleting them removes everything.
  for (const name of created.reverse()) {
    try {
      ip('netns', 'del', name);
    } catch {
      // already gone
    }
  }
  // A veth that never reached its namespace (setup failed half-way) is still here.
  for (const end of ['i', 'o']) {
    try {
      ip('link', 'del', `sn${process.pid}${end}`);
    } catch {
      // moved into a namespace and gone with it
    }
  }
  dir.remove();
});

interface CallerReport {
  outcome?: string;
  sipAddress?: string;
  mediaAddress?: string;
  latched?: string;
  heard?: { envelope: number; waveform: number };
  rtp?: { packetsSent: number; packetsReceived: number };
  error?: string;
}

const callerScript = fileURLToPath(new URL('../helpers/natCaller.js', import.meta.url));

/** Runs smartcall inside with this configuration; resolves with its report. */
async function callFromInside(sip: Record<string, unknown>, listenMs: number): Promise<CallerReport> {
  const configFile = join(dir.path, `smartcall-${Object.keys(sip).join('-')}.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      sip: { udpPort: SIP_PORT, ...sip },
      rtp: { portMin: RTP_MIN, portMax: RTP_MAX },
    }),
  );
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns.inside,
      process.execPath,
      callerScript,
      `sip:callee@${OUTSIDE}:${CALLEE_PORT}`,
      String(listenMs),
    ],
    { env: { ...process.env, SMARTCALL_CONFIG: configFile }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  try {
    await waitForExit(child, listenMs + 20_000);
  } finally {
    await stopChild(child);
  }
  const line = out.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as CallerReport;
  } catch {
    throw new Error(`the smartcall process inside printed no report: ${out}`);
  }
}

async function callee() {
  const prompt = join(dir.path, 'theirs.wav');
  const padded = new Int16Array(10 * 8000);
  padded.set(NAT_THEIRS);
  writeFileSync(prompt, pcmWav(padded));
  return startBaresipCallee({
    port: CALLEE_PORT,
    address: OUTSIDE,
    netns: ns.outside,
    rtpPorts: '31000-31019',
    promptWav: prompt,
  });
}

/** How well baresip heard our chirp (its recording of what arrived). */
async function heardByCallee(peer: Awaited<ReturnType<typeof callee>>) {
  await new Promise((r) => setTimeout(r, 300)); // baresip closes its recording after the BYE
  const rec = peer.recordings().find((f) => f.endsWith('-dec.wav'));
  assert.ok(rec, `baresip recorded nothing: ${peer.output()}`);
  return findInRecording(NAT_OURS, readWav(readFileSync(rec)).samples);
}

test('with sip/rtp advertisedAddress = the router’s outside address: answered, audio both ways', async (t) => {
  if (skip) return t.skip(skip);
  const peer = await callee();
  t.after(() => peer.stop());
  const report = await callFromInside({ address: '0.0.0.0', advertisedAddress: ROUTER_OUT }, 4000);
  t.diagnostic(JSON.stringify(report));
  assert.equal(report.outcome, 'answered', JSON.stringify(report));
  assert.equal(report.sipAddress, ROUTER_OUT, 'Via/Contact name the router');
  assert.equal(report.mediaAddress, ROUTER_OUT, 'rtp.advertisedAddress follows sip.advertisedAddress');
  // Symmetric RTP: we latched onto the address baresip really sends from (through the DNAT).
  assert.equal(report.latched?.split(':')[0], OUTSIDE, JSON.stringify(report));
  const atUs = report.heard!;
  assert.ok(atUs.envelope > 0.9 && atUs.waveform > 0.8, `baresip's chirp at us: ${JSON.stringify(report)}`);
  const atCallee = await heardByCallee(peer);
  assert.ok(
    atCallee.envelope > 0.9 && atCallee.waveform > 0.8,
    `our chirp at baresip: ${JSON.stringify(atCallee)}`,
  );
});

test('bound to 0.0.0.0 without an advertised address: SIP works through rport, the callee hears us, we hear nothing', async (t) => {
  if (skip) return t.skip(skip);
  const peer = await callee();
  t.after(() => peer.stop());
  const report = await callFromInside({ address: '0.0.0.0' }, 3000);
  t.diagnostic(JSON.stringify(report));
  // The INVITE leaves masqueraded; baresip answers to received/rport (RFC 3581), which the NAT maps back.
  assert.equal(report.outcome, 'answered', JSON.stringify(report));
  // Never 0.0.0.0: the inside host's own address toward the callee (the route's source).
  assert.equal(report.sipAddress, INSIDE);
  assert.equal(report.mediaAddress, INSIDE);
  // Our RTP leaves masqueraded and reaches baresip...
  const atCallee = await heardByCallee(peer);
  t.diagnostic(`at baresip: ${JSON.stringify(atCallee)}`);
  assert.ok(atCallee.envelope > 0.9, `our chirp at baresip: ${JSON.stringify(atCallee)}`);
  // ...but baresip sends to the private address our SDP names, which the outside cannot reach
  // (baresip does not latch onto our source): nothing comes back. This is what
  // sip.advertisedAddress is for.
  assert.equal(report.rtp?.packetsReceived, 0, JSON.stringify(report));
});
