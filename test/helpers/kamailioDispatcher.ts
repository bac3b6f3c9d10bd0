// Starts the shipped deploy/kamailio/dispatcher.cfg on 127.0.0.1 in front of given smartcall
// nodes, with its substdef settings replaced (port, node list, ping interval and threshold).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Peer, stopChild, tcpListening, udpBound, waitForExit, waitUntil } from './sipPeers.js';

export interface DispatcherNode {
  uri: string;
  duid: string;
  maxload: number;
}

export interface DispatcherOptions {
  port: number;
  nodes: DispatcherNode[];
  pingIntervalSeconds: number;
  pingThreshold: number;
}

/** deploy/<sub> from the compiled helper (dist/test/helpers/*.js → repository root). */
export function deployFile(sub: string): string {
  return fileURLToPath(new URL(`../../../deploy/${sub}`, import.meta.url));
}

export async function startKamailioDispatcher(o: DispatcherOptions): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-ds-'));
  const list = join(dir, 'dispatcher.list');
  writeFileSync(list, o.nodes.map((n) => `1 ${n.uri} 0 0 duid=${n.duid};maxload=${n.maxload}\n`).join(''));
  const set = (cfg: string, name: string, value: string | number) => {
    const re = new RegExp(`!${name}![^!]*!`);
    if (!re.test(cfg)) throw new Error(`deploy/kamailio/dispatcher.cfg has no ${name} setting`);
    return cfg.replace(re, `!${name}!${value}!`);
  };
  let cfg = readFileSync(deployFile('kamailio/dispatcher.cfg'), 'utf8');
  cfg = set(cfg, 'LISTEN_PORT', o.port);
  cfg = set(cfg, 'NODE_LIST', list);
  cfg = set(cfg, 'PING_INTERVAL', o.pingIntervalSeconds);
  cfg = set(cfg, 'PING_THRESHOLD', o.pingThreshold);
  writeFileSync(join(dir, 'dispatcher.cfg'), cfg);
  const child = spawn(
    'kamailio',
    ['-f', join(dir, 'dispatcher.cfg'), '-DD', '-E', '-Y', dir, '-m', '32', '-M', '8'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const add = (d: Buffer) => {
    if (out.length < 400_000) out += d.toString();
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(
      () => (udpBound(o.port) && tcpListening(o.port)) || child.exitCode !== null,
      10_000,
      'kamailio dispatcher',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  if (child.exitCode !== null) {
    await stop();
    throw new Error(`kamailio exited: ${out}`);
  }
  return { child, dir, output: () => out, exitCode: (ms = 10_000) => waitForExit(child, ms), stop };
}
