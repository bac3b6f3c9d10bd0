/**
 * A trunk added as `sip:carrier.test` (transport udp) whose SRV records lead to TLS: its
 * registration and its OPTIONS keep-alive verify the certificate against the trunk's name, as a
 * call does (RFC 5922 §4). The server's certificate carries the name only, no IP address.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { TrunkAdmin } from '../../src/calls/trunkAdmin.js';
import { TrunkMonitor } from '../../src/calls/trunkMonitor.js';
import { TrunkRegistrar } from '../../src/calls/trunkRegistrar.js';
import { systemClock } from '../../src/clock/clock.js';
import { DnsResolver } from '../../src/net/dnsResolver.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { TestDnsServer } from '../helpers/dnsServer.js';
import { tempDir } from '../helpers/tempDir.js';
import { makeTestCa } from '../helpers/testCa.js';
import { createUa, waitFor } from '../sip/uaHarness.js';

for (const kind of ['registration', 'OPTIONS keep-alive'] as const)
  test(`a named trunk that DNS sends to TLS: its ${kind} verifies the name, not the IP`, async () => {
    const dir = tempDir('smartcall-tls-name-');
    const ca = makeTestCa(dir.path, ['carrier.test']);
    const server = await createUa({
      udpPort: false,
      tcpPort: false,
      tls: { port: 0, server: { cert: ca.cert, key: ca.key } },
    });
    const dns = new TestDnsServer();
    const dnsAddress = await dns.start();
    // The trust is the user agent's (sip.tls.caFile): a udp trunk takes no --tls-ca-file.
    const ua = await createUa({ tls: { client: { ca: ca.ca } } });
    const store = SqliteStore.inMemory();
    const lines: string[] = [];
    const destination = new PassThrough();
    destination.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
    const registrar = new TrunkRegistrar({
      ua,
      store,
      password: () => 'unused',
      clock: systemClock,
      log: silentLogger(),
      dns: new DnsResolver({ servers: [dnsAddress] }),
      retryDelaysMs: [60_000],
    });
    let monitor: TrunkMonitor | undefined;
    try {
      dns.srv.set('_sips._tcp.carrier.test', [
        { priority: 1, weight: 0, port: server.localEndpoint('tls')!.port, target: 'edge.carrier.test' },
      ]);
      dns.records.set('edge.carrier.test', ['127.0.0.1']);
      const admin = new TrunkAdmin(store, SecretBox.fromMasterKey('a master key for tests'));
      const t = admin.add({
        name: 'named',
        uri: 'sip:carrier.test',
        register: true,
        username: 'alice',
        password: 'unused',
        optionsIntervalS: 30,
      });
      assert.equal(t.transport, 'udp');
      if (kind === 'registration') registrar.start([t]);
      else
        monitor = new TrunkMonitor(
          ua,
          [t],
          createLogger({ destination }),
          new DnsResolver({ servers: [dnsAddress] }),
        );
      if (kind === 'registration') {
        await waitFor(
          'the REGISTER answered',
          () => registrar.status('named')?.lastError !== undefined,
          5000,
        );
        // Our server answers REGISTER 405: the TLS handshake (name checked) got the request through.
        assert.equal(registrar.status('named')?.lastError, '405 Method Not Allowed');
        return;
      }
      await waitFor('the trunk up', () => lines.some((l) => l.includes('trunk answers OPTIONS: up')), 5000);
      assert.ok(!lines.some((l) => l.includes('down')), lines.join('\n'));
    } finally {
      monitor?.stop();
      await registrar.stop();
      await ua.close();
      await server.close();
      store.close();
      await dns.close();
      dir.remove();
    }
  });
