import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * Free ports on 127.0.0.1 for tests that start peers (tests run two files at a time, so never a
 * fixed port). A port is free when both a UDP socket and (if asked) a TCP listener can bind it;
 * both are released before returning, so another process could still take it in between —
 * callers start their peer right away.
 */

const HOST = '127.0.0.1';

function bindUdp(port: number): Promise<{ port: number; close: () => Promise<void> } | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, HOST, () => {
      resolve({
        port: socket.address().port,
        close: () => new Promise<void>((r) => socket.close(() => r())),
      });
    });
  });
}

function bindTcp(port: number): Promise<{ close: () => Promise<void> } | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, HOST, () =>
      resolve({ close: () => new Promise<void>((r) => server.close(() => r())) }),
    );
  });
}

export interface FreePortOptions {
  /** Also require the TCP port to be free (default true). */
  tcp?: boolean;
  /** Also require port+2 (UDP) to be free, as sipp's -mp media port uses p and p+2. */
  pairPlus2?: boolean;
}

/** One port free on UDP (and TCP) on 127.0.0.1. */
export async function freePort(options: FreePortOptions = {}): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const udp = await bindUdp(0);
    if (!udp) continue;
    const held: Array<{ close: () => Promise<void> }> = [udp];
    let ok = true;
    if (options.tcp !== false) {
      const tcp = await bindTcp(udp.port);
      if (tcp) held.push(tcp);
      else ok = false;
    }
    if (ok && options.pairPlus2) {
      const next = udp.port + 2 <= 65535 ? await bindUdp(udp.port + 2) : undefined;
      if (next) held.push(next);
      else ok = false;
    }
    await Promise.all(held.map((h) => h.close()));
    if (ok) return udp.port;
  }
  throw new Error('no free port found on 127.0.0.1');
}

/** Several distinct free ports. */
export async function freePorts(count: number, options: FreePortOptions = {}): Promise<number[]> {
  const out: number[] = [];
  while (out.length < count) {
    const p = await freePort(options);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}
