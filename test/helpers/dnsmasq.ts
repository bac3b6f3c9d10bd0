/**
 * dnsmasq (Debian's dnsmasq-base) as the authoritative DNS server of a test: it listens on
 * 127.0.0.1 at a free port, knows only the records the test gives it (no upstream, no /etc/hosts,
 * no config file), and is stopped by its PID. The hand-written TestDnsServer double is checked
 * against this real server by test/interop/sipTrunkDnsmasq.test.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from './ports.js';
import { stopChild, udpBound, waitUntil } from './sipPeers.js';

export interface DnsmasqRecords {
  /** name → IPv4 address (`--host-record`). */
  hosts?: Record<string, string>;
  /** SRV records (`--srv-host=_sip._udp.name,target,port,priority,weight`). */
  srv?: Array<{ name: string; target: string; port: number; priority: number; weight: number }>;
  /** NAPTR records (`--naptr-record=name,order,preference,flags,service,regexp,replacement`). */
  naptr?: Array<{
    name: string;
    order: number;
    preference: number;
    flags: string;
    service: string;
    replacement: string;
  }>;
  /** The domain dnsmasq answers for alone (NXDOMAIN for unknown names in it), e.g. `test`. */
  localDomain: string;
  /** TTL of every answer, seconds (default 0: nothing is cached). */
  ttl?: number;
}

export interface Dnsmasq {
  /** `127.0.0.1:<port>`, the form `sip.dnsServers` takes. */
  server: string;
  /** The queries dnsmasq logged so far (`query[SRV] _sip._udp.carrier.test`). */
  queries(): string[];
  stop(): Promise<void>;
}

export async function startDnsmasq(records: DnsmasqRecords): Promise<Dnsmasq> {
  const port = await freePort(); // dnsmasq listens on TCP too
  const ttl = String(records.ttl ?? 0);
  const args = [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--pid-file=',
    // As root it would switch to `nobody`; a test server has no need to.
    ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    '--bind-interfaces',
    '--listen-address=127.0.0.1',
    `--port=${port}`,
    `--local=/${records.localDomain}/`,
    `--local-ttl=${ttl}`,
    `--auth-ttl=${ttl}`,
    '--log-queries',
    '--log-facility=-',
    ...Object.entries(records.hosts ?? {}).map(([name, ip]) => `--host-record=${name},${ip}`),
    ...(records.srv ?? []).map((r) => `--srv-host=${r.name},${r.target},${r.port},${r.priority},${r.weight}`),
    ...(records.naptr ?? []).map(
      (r) => `--naptr-record=${r.name},${r.order},${r.preference},${r.flags},${r.service},,${r.replacement}`,
    ),
  ];
  const child = spawn(existsSync('/usr/sbin/dnsmasq') ? '/usr/sbin/dnsmasq' : 'dnsmasq', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d) => {
    log += d;
  });
  child.stderr!.on('data', (d) => {
    log += d;
  });
  try {
    await waitUntil(() => udpBound(port) || child.exitCode !== null, 5000, 'dnsmasq to listen');
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  if (child.exitCode !== null) throw new Error(`dnsmasq exited ${child.exitCode}:\n${log}`);
  return {
    server: `127.0.0.1:${port}`,
    queries: () => [...log.matchAll(/query\[(\w+)\] (\S+)/g)].map((m) => `query[${m[1]}] ${m[2]}`),
    stop: () => stopChild(child),
  };
}
