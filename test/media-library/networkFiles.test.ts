/**
 * Network prompt files by host name (issue 11 item 5): names resolve through the configured DNS
 * server (a test server on 127.0.0.1), the address connected to decides (loopback refused unless
 * allowlisted, the refusal naming the address), every redirect is checked again, HTTPS checks the
 * certificate against a CA the test makes, WAV of any rate and channel count and MP3 decode, and
 * the cache revalidates with ETag / Last-Modified.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import { encodeWav } from '../../src/media/wavWriter.js';
import {
  type NetworkFileError,
  type NetworkFileOptions,
  NetworkFiles,
} from '../../src/media-library/networkFiles.js';
import { DnsResolver } from '../../src/net/dnsResolver.js';
import { TestDnsServer } from '../helpers/dnsServer.js';
import { tempDir } from '../helpers/tempDir.js';
import { makeTestCa, type TestCa } from '../helpers/testCa.js';

const dir = tempDir('smartcall-netfiles-');
const dns = new TestDnsServer();
let resolver: DnsResolver;
let port = 0;
let tlsPort = 0;
let ca: TestCa;
const servers: Server[] = [];
const requests: { url: string; headers: IncomingMessage['headers'] }[] = [];

/** 0.5 s of a 440 Hz tone, 16 kHz stereo. */
const tone16kStereo = (() => {
  const n = 8000;
  const s = new Int16Array(n);
  for (let i = 0; i < n; i++) s[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16000));
  return encodeWav([s, s], 16000);
})();
const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/audio/${name}`, import.meta.url));

function handler(req: IncomingMessage, res: ServerResponse): void {
  requests.push({ url: req.url ?? '', headers: req.headers });
  const path = req.url ?? '';
  const hop = /^\/hop\/(\d+)$/.exec(path);
  if (hop) {
    const left = Number(hop[1]);
    res.writeHead(302, { location: left > 0 ? `/hop/${left - 1}` : '/tone.wav' }).end();
  } else if (path === '/to-loopback-name') {
    res.writeHead(302, { location: `http://inside.test:${port}/tone.wav` }).end();
  } else if (path === '/tone.wav' || path === '/tagged.wav') {
    if (path === '/tagged.wav' && req.headers['if-none-match'] === '"v1"') {
      res.writeHead(304).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'audio/wav', etag: '"v1"' }).end(tone16kStereo);
  } else if (path.endsWith('.mp3')) {
    res.writeHead(200, { 'content-type': 'audio/mpeg' }).end(fixture(path.slice(1)));
  } else if (path === '/slow.wav') {
    res.writeHead(200, { 'content-type': 'audio/wav' }); // and nothing more
  } else if (path === '/junk.wav') {
    res.writeHead(200, { 'content-type': 'audio/wav' }).end('this is not audio at all');
  } else {
    res.writeHead(404).end();
  }
}

before(async () => {
  const server = await dns.start();
  resolver = new DnsResolver({ servers: [server], timeoutMs: 2000 });
  dns.records.set('prompts.test', ['127.0.0.1']);
  dns.records.set('inside.test', ['127.0.0.1']);
  ca = makeTestCa(dir.path, ['prompts.test']);
  const plain = createServer(handler);
  const tls = createHttpsServer({ key: ca.key, cert: ca.cert }, handler);
  servers.push(plain, tls);
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  port = (plain.address() as AddressInfo).port;
  tlsPort = (tls.address() as AddressInfo).port;
});
after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await dns.close();
  dir.remove();
});

let n = 0;
function files(extra: Partial<NetworkFileOptions> = {}): NetworkFiles {
  return new NetworkFiles({
    cacheDir: `${dir.path}/cache-${n++}`,
    maxBytes: 1 << 20,
    timeoutMs: 3000,
    resolve: (h) => resolver.resolve(h),
    ...extra,
  });
}

async function refusal(p: Promise<unknown>): Promise<NetworkFileError> {
  try {
    await p;
  } catch (err) {
    return err as NetworkFileError;
  }
  assert.fail('expected a refusal');
}

describe('network prompt files', () => {
  test('a name that resolves to 127.0.0.1 is refused without an allowlist, naming the address, before any request', async () => {
    const before = requests.length;
    const err = await refusal(files().load(`http://prompts.test:${port}/tone.wav`));
    assert.equal(err.code, 'REFUSED');
    assert.match(err.message, /prompts\.test is at 127\.0\.0\.1, a loopback address/);
    assert.equal(requests.length, before, 'nothing reached the server');
  });

  test('an allowlisted host name is resolved by the configured DNS server and fetched: 16 kHz stereo WAV becomes 8 kHz mono', async () => {
    const samples = await files({ allowlist: ['prompts.test'] }).load(`http://prompts.test:${port}/tone.wav`);
    assert.ok(Math.abs(samples.length - 4000) <= 8, `${samples.length} samples`);
    assert.ok(dns.queries.includes('prompts.test'));
    assert.equal(requests.at(-1)!.headers.host, `prompts.test:${port}`);
  });

  test('a wildcard or a CIDR in the allowlist allows it too', async () => {
    await files({ allowlist: ['*.test'] }).load(`http://prompts.test:${port}/tone.wav`);
    await files({ allowlist: ['127.0.0.0/8'] }).load(`http://prompts.test:${port}/tone.wav`);
    const err = await refusal(
      files({ allowlist: ['10.0.0.0/8', 'other.test'] }).load(`http://prompts.test:${port}/tone.wav`),
    );
    assert.equal(err.code, 'REFUSED');
  });

  test('media.allowPrivateUrls still allows everything', async () => {
    await files({ allowPrivate: true }).load(`http://inside.test:${port}/tone.wav`);
  });

  test('every redirect is checked again: an allowed host redirecting to a loopback name is refused', async () => {
    const err = await refusal(
      files({ allowlist: ['prompts.test'] }).load(`http://prompts.test:${port}/to-loopback-name`),
    );
    assert.equal(err.code, 'REFUSED');
    assert.match(err.message, /inside\.test is at 127\.0\.0\.1/);
  });

  test('three redirects are followed, a fourth is not', async () => {
    const f = files({ allowlist: ['prompts.test'] });
    const samples = await f.load(`http://prompts.test:${port}/hop/2`);
    assert.ok(samples.length > 0);
    const err = await refusal(f.load(`http://prompts.test:${port}/hop/3`));
    assert.equal(err.code, 'REDIRECTS');
  });

  test('HTTPS checks the certificate: trusted with media.caFile, refused without it', async () => {
    const url = `https://prompts.test:${tlsPort}/tone.wav`;
    const samples = await files({ allowlist: ['prompts.test'], ca: ca.ca }).load(url);
    assert.ok(samples.length > 0);
    const err = await refusal(files({ allowlist: ['prompts.test'] }).load(url));
    assert.equal(err.code, 'TLS');
    assert.match(err.message, /certificate/i);
    dns.records.set('wrong-name.test', ['127.0.0.1']);
    const wrong = await refusal(
      files({ allowlist: ['wrong-name.test'], ca: ca.ca }).load(
        `https://wrong-name.test:${tlsPort}/tone.wav`,
      ),
    );
    assert.equal(wrong.code, 'TLS');
  });

  test('a file that is neither WAV nor MP3 fails to decode, with the URL in the reason', async () => {
    const url = `http://prompts.test:${port}/junk.wav`;
    const err = await refusal(files({ allowlist: ['prompts.test'] }).load(url));
    assert.equal(err.code, 'DECODE');
    assert.ok(err.message.includes(url));
  });

  test('a server that stops answering is given up on after the timeout', async () => {
    const started = performance.now();
    const err = await refusal(
      files({ allowlist: ['prompts.test'], timeoutMs: 300 }).load(`http://prompts.test:${port}/slow.wav`),
    );
    assert.equal(err.code, 'TIMEOUT');
    assert.ok(performance.now() - started < 2000);
  });

  test('an unknown name fails with a DNS error', async () => {
    const err = await refusal(files({ allowlist: ['*.test'] }).load(`http://nowhere.test:${port}/tone.wav`));
    assert.equal(err.code, 'DNS');
    assert.match(err.message, /nowhere\.test/);
  });

  test('a cached file is played while fresh, then revalidated with If-None-Match; 304 keeps it', async () => {
    const clock = new ManualClock({ start: 1_000_000 });
    const f = files({ allowlist: ['prompts.test'], clock, freshMs: 60_000 });
    const url = `http://prompts.test:${port}/tagged.wav`;
    const count = () => requests.filter((r) => r.url === '/tagged.wav').length;
    const before = count();
    const first = await f.load(url);
    assert.equal(count(), before + 1);
    await f.load(url);
    assert.equal(count(), before + 1, 'fresh: no request');
    clock.advance(61_000);
    const again = await f.load(url);
    assert.equal(count(), before + 2);
    assert.equal(requests.at(-1)!.headers['if-none-match'], '"v1"');
    assert.deepEqual(again, first);
  });
});

describe('MP3 network files (mpg123-decoder)', () => {
  for (const name of ['tone-44k-stereo.mp3', 'tone-22k-mono.mp3']) {
    test(`${name} decodes to 8 kHz mono`, async () => {
      const samples = await files({ allowlist: ['prompts.test'] }).load(
        `http://prompts.test:${port}/${name}`,
      );
      // 0.5 s of tone (plus the encoder's padding): 4000 samples and a little more.
      assert.ok(samples.length >= 3900 && samples.length < 5000, `${samples.length} samples`);
      const peak = samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(peak > 2000, `peak ${peak}`);
    });
  }
});
