/**
 * SIP over TLS through the real CLI: `admin trunk add --tls-ca-file/--tls-cert-file/--tls-key-file`
 * land on the trunk (and bad files are refused with the flag and the cause), and `serve
 * --sip-tls-port` opens a TLS listener with the configured certificate (a bad key stops the start).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { connect } from 'node:tls';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tempDir.js';
import { issueCert, makeTestCa } from '../helpers/testCa.js';
import { smartcall as run, start, stopAll } from './cliHarness.js';

const dir = tempDir('smartcall-tls-cli-');
const ca = makeTestCa(dir.path, ['smartcall.test'], ['127.0.0.1']);
const client = issueCert(dir.path, 'client', ['client.test']);
const other = issueCert(dir.path, 'other', ['other.test']);
after(async () => {
  await stopAll();
  dir.remove();
});
const smartcall = (...args: string[]) => run(['--data-dir', dir.path, ...args], { cwd: dir.path });

test('trunk add --tls-ca-file, --tls-cert-file and --tls-key-file are stored on a TLS trunk', () => {
  const r = smartcall(
    'admin',
    'trunk',
    'add',
    '--name',
    'secure',
    '--uri',
    'sips:127.0.0.1:5071',
    '--tls-ca-file',
    'ca.pem',
    '--tls-cert-file',
    client.certFile,
    '--tls-key-file',
    client.keyFile,
    '--json',
  );
  assert.equal(r.status, 0, r.stderr);
  const t = r.json();
  assert.deepEqual(
    [t.uri, t.transport, t.tlsCaFile, t.tlsCertFile, t.tlsKeyFile],
    ['sips:127.0.0.1:5071', 'tls', ca.caFile, client.certFile, client.keyFile],
  );
  const tcpish = smartcall(
    'admin',
    'trunk',
    'add',
    '--name',
    't',
    '--uri',
    'sip:127.0.0.1',
    '--transport',
    'tls',
    '--json',
  );
  assert.deepEqual([tcpish.json().uri, tcpish.json().port], ['sip:127.0.0.1:5061;transport=tls', 5061]);
});

test('bad TLS files and misplaced TLS flags are refused with the flag and the cause', () => {
  const add = (...extra: string[]) =>
    smartcall('admin', 'trunk', 'add', '--name', 'bad', '--uri', 'sips:127.0.0.1', ...extra);
  const missing = add('--tls-ca-file', 'nope.pem');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /--tls-ca-file nope\.pem: no such file/);
  const notPem = join(dir.path, 'not.pem');
  writeFileSync(notPem, 'hello\n');
  assert.match(add('--tls-ca-file', notPem).stderr, /--tls-ca-file .*not\.pem: no PEM certificate in it/);
  assert.match(
    add('--tls-cert-file', client.certFile).stderr,
    /give both --tls-cert-file and --tls-key-file/,
  );
  const mismatch = add('--tls-cert-file', client.certFile, '--tls-key-file', other.keyFile);
  assert.equal(mismatch.status, 1);
  assert.match(mismatch.stderr, /TLS files not usable: .*key values mismatch/);
  const udp = smartcall(
    'admin',
    'trunk',
    'add',
    '--name',
    'u',
    '--uri',
    'sip:127.0.0.1',
    '--tls-ca-file',
    'ca.pem',
  );
  assert.equal(udp.status, 1);
  assert.match(udp.stderr, /apply to TLS trunks/);
});

test('serve --sip-tls-port opens a TLS listener with sip.tls.certFile; a bad key stops the start', async () => {
  const config = join(dir.path, 'tls.yaml');
  writeFileSync(
    config,
    `phonenet: { sipPort: 0 }\nsip: { tls: { certFile: ${join(dir.path, 'server.pem')}, keyFile: ${join(dir.path, 'server.key')} } }\n`,
  );
  const port = await freePort();
  const args = [
    'serve',
    '--config',
    config,
    '--data-dir',
    join(dir.path, 'serve'),
    '--http-port',
    '0',
    '--sip-port',
    '0',
  ];
  const server = await start(
    [...args, '--sip-tls-port', String(port)],
    (out) => out.includes('"smartcall started"'),
    {
      cwd: dir.path,
    },
  );
  try {
    const socket = connect({ host: '127.0.0.1', port, ca: ca.ca, servername: 'smartcall.test' });
    await once(socket, 'secureConnect');
    assert.equal(socket.authorized, true);
    socket.write('OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKcli1\r\n');
    socket.write('From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: cli-tls-1\r\n');
    socket.write('CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n');
    const [reply] = (await once(socket, 'data')) as [Buffer];
    assert.match(reply.toString(), /^SIP\/2\.0 200 OK\r\n/);
    socket.destroy();
  } finally {
    await server.stop();
  }
  const bad = join(dir.path, 'bad-key.yaml');
  writeFileSync(
    bad,
    `phonenet: { sipPort: 0 }\nsip: { tls: { certFile: ${join(dir.path, 'server.pem')}, keyFile: ${notAKey()} } }\n`,
  );
  const r = run(
    [
      'serve',
      '--config',
      bad,
      '--data-dir',
      join(dir.path, 'bad'),
      '--http-port',
      '0',
      '--sip-port',
      '0',
      '--sip-tls-port',
      '0',
    ],
    { cwd: dir.path },
  );
  assert.equal(r.status, 1);
  assert.match(r.stderr, /sip\.tls\.keyFile .*server\.pem: no PEM private key in it/);
  const mismatched = join(dir.path, 'mismatch.yaml');
  writeFileSync(
    mismatched,
    `phonenet: { sipPort: 0 }\nsip: { tls: { certFile: ${join(dir.path, 'server.pem')}, keyFile: ${other.keyFile} } }\n`,
  );
  const m = run(
    [
      'serve',
      '--config',
      mismatched,
      '--data-dir',
      join(dir.path, 'bad2'),
      '--http-port',
      '0',
      '--sip-port',
      '0',
      '--sip-tls-port',
      '0',
    ],
    { cwd: dir.path },
  );
  assert.equal(m.status, 1);
  assert.match(m.stderr, /TLS listener certificate\/key not usable: .*key values mismatch/);
});

/** A file that holds a certificate where a key should be. */
function notAKey(): string {
  return join(dir.path, 'server.pem');
}
