/**
 * The server side of `npm run bench:api`, run as a child process so the load generator does not
 * share its event loop: either smartcall's gateway (argument `smartcall <dataDir>`) or a bare
 * Fastify hello-world (argument `hello`), the baseline. Prints `{"port":N}` once listening.
 */
import Fastify from 'fastify';
import { configSchema } from '../src/config.js';
import { startSmartcall } from '../src/main.js';
import { silentLogger } from '../src/observability/logger.js';

async function main(): Promise<void> {
  const [kind, dataDir] = process.argv.slice(2);
  let port: number;
  let close: () => Promise<void>;
  if (kind === 'hello') {
    const app = Fastify({ logger: false });
    app.all('*', (_req, reply) => {
      reply.header('content-type', 'application/json;charset=utf-8').send('{"hello":"world"}');
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
    close = () => app.close();
  } else {
    // An API node: it accepts and stores calls; placing them is a dialing node's work (not measured here).
    const config = configSchema.parse({
      mode: 'standalone',
      dataDir,
      http: { host: '127.0.0.1', port: 0 },
      sip: { udpPort: 0, tcpPort: 0 },
      calls: { dialer: false },
      log: { level: 'warn' },
    });
    const running = await startSmartcall(config, silentLogger());
    port = running.httpPort;
    close = () => running.close();
  }
  process.stdout.write(JSON.stringify({ port }) + '\n');
  process.on('SIGTERM', () => {
    close().then(() => process.exit(0));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
