/**
 * A minimal HTTP/1.1 load generator for the API bench: keep-alive connections that write
 * pre-serialised request bytes and read responses by Content-Length. It costs the client a few
 * microseconds per request, so on a 2-core machine the server — not the generator — is measured
 * (autocannon spent a whole core building signed requests and became the limit).
 */
import { connect, type Socket } from 'node:net';

export interface LoadResult {
  requests: number;
  non200: number;
  errors: number;
  seconds: number;
  /** Latencies in ms, in completion order. */
  latencies: number[];
}

export interface LoadOptions {
  port: number;
  connections: number;
  seconds: number;
  /** Requests per second across all connections; unset = as fast as the server answers. */
  rate?: number;
  /** The next request's bytes; undefined when there are none left. */
  next: () => Buffer | undefined;
}

class Connection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #resolve: ((status: number) => void) | undefined;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
      this.#tryComplete();
    });
  }

  static open(port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends one request; resolves with the response status once the whole response is in. */
  request(bytes: Buffer): Promise<number> {
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#socket.write(bytes);
    });
  }

  #tryComplete(): void {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.#buffer.subarray(0, end).toString('latin1');
    const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.#buffer.length < end + 4 + length) return;
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    const status = Number(head.slice(9, 12));
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.(status);
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** Runs the load; closed-loop (each connection sends its next request on each answer) or at a fixed rate. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const connections = await Promise.all(Array.from({ length: o.connections }, () => Connection.open(o.port)));
  const result: LoadResult = { requests: 0, non200: 0, errors: 0, seconds: 0, latencies: [] };
  const started = performance.now();
  const until = started + o.seconds * 1000;
  const interval = o.rate ? 1000 / o.rate : 0;
  let scheduled = started;
  const worker = async (c: Connection) => {
    for (;;) {
      let sendAt = performance.now();
      if (interval) {
        // Open loop: each request has a slot; latency counts from the slot, so a slow server
        // cannot hide its queueing by making the generator wait (coordinated omission).
        scheduled += interval;
        sendAt = scheduled;
        const wait = sendAt - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
      if (sendAt >= until) return;
      const bytes = o.next();
      if (!bytes) return;
      try {
        const status = await c.request(bytes);
        result.latencies.push(performance.now() - sendAt);
        result.requests++;
        if (status !== 200) result.non200++;
      } catch {
        result.errors++;
      }
    }
  };
  await Promise.all(connections.map(worker));
  result.seconds = (performance.now() - started) / 1000;
  for (const c of connections) c.close();
  return result;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
