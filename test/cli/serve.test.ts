/**
 * `smartcall serve` as the README starts it: a demo key on the first start only, then a real call;
 * every flag with a visible effect (the ports and address it listens on, the log level, the data
 * directory), and a bad persona file refused with its line. Persona files at work (`--phonenet`)
 * are in call.test.ts, where `smartcall call` reaches them.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { callAction } from '../helpers/aliClients.js';
import { freePorts } from '../helpers/ports.js';
import { tempDir } from '../helpers/tempDir.js';
import { httpAnswers, smartcall, start, stopAll, tcpAccepts } from './cliHarness.js';
import { sipOptions } from './sipProbe.js';

const dir = tempDir('smartcall-serve-');
// The embedded phone network on a free port, so no test needs 5070.
const config = join(dir.path, 'smartcall.yaml');
writeFileSync(config, 'phonenet: { sipPort: 0 }\n');
after(async () => {
  await stopAll();
  dir.remove();
});

const started = (out: string) => /"msg":"smartcall started"/.test(out);
/** The demo banner comes last on a first start. */
const bannerShown = (out: string) => /display number:.*\n/.test(out);
const startedLog = (out: string) =>
  JSON.parse(out.split('\n').find((l) => l.includes('"smartcall started"'))!) as {
    port: number;
    sip: { address: string; port: number };
    dataDir: string;
    mediaWorkers: number;
  };

test('the first start prints a demo key that places a SmartCall; the second start prints none', async () => {
  const data = join(dir.path, 'first');
  const args = ['serve', '--config', config, '--data-dir', data, '--http-port', '0', '--sip-port', '0'];
  const first = await start(args, (out) => started(out) && bannerShown(out), { cwd: dir.path });
  try {
    const out = first.output();
    const id = /AccessKeyId:\s+(\S+)/.exec(out)?.[1];
    const secret = /AccessKeySecret:\s+(\S+)/.exec(out)?.[1];
    const number = /display number:\s+(\d+)/.exec(out)?.[1];
    assert.ok(id && secret && number, out);
    const log = startedLog(out);
    assert.equal(log.dataDir, data, '--data-dir is where the server keeps its data');
    assert.equal(log.mediaWorkers, 0, 'by default media runs on the main thread');
    assert.ok(existsSync(join(data, 'smartcall.db')));
    const r = await callAction(
      'v3',
      { endpoint: `127.0.0.1:${log.port}`, accessKeyId: id, accessKeySecret: secret },
      'SmartCall',
      {
        CalledShowNumber: number,
        CalledNumber: '13800138000',
        VoiceCode: '$hi$',
        VoiceCodeParam: '{"hi":"你好"}',
      },
    );
    assert.equal(r.code, 'OK', JSON.stringify(r));
    const logLines = out.split('\n').filter((l) => l.startsWith('{'));
    assert.ok(
      logLines.every((l) => !l.includes(secret)),
      'the secret never reaches the log',
    );
  } finally {
    assert.equal(await first.stop(), 0, 'SIGTERM stops it cleanly');
  }
  const second = await start([...args, '--media-workers', '2'], started, { cwd: dir.path });
  try {
    assert.doesNotMatch(second.output(), /AccessKeySecret/);
    assert.equal(startedLog(second.output()).mediaWorkers, 2, '--media-workers 2 started two media threads');
  } finally {
    await second.stop();
  }
});

test('serve listens where --http-host, --http-port and --sip-port say, and --log-level quiets it', async () => {
  const [httpPort, sipPort] = await freePorts(2);
  const host = '127.0.0.2';
  const server = await start(
    [
      'serve',
      '--config',
      config,
      '--data-dir',
      join(dir.path, 'ports'),
      '--http-host',
      host,
      '--http-port',
      String(httpPort),
      '--sip-port',
      String(sipPort),
      '--log-level',
      'warn',
    ],
    bannerShown,
    { cwd: dir.path },
  );
  try {
    assert.equal(
      await sipOptions({ host: '127.0.0.1', port: sipPort! }),
      200,
      'SIP answers OPTIONS over UDP',
    );
    assert.ok(await tcpAccepts('127.0.0.1', sipPort!), 'SIP listens on TCP too');
    assert.equal(await httpAnswers('127.0.0.1', httpPort!), false, 'the API is bound to --http-host only');
    assert.match(server.output(), new RegExp(`endpoint:\\s+http://${host}:${httpPort}/`));
    assert.doesNotMatch(server.output(), /"level":30/, '--log-level warn: no info lines');
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('serve refuses a bad persona file with its name and line, before binding anything', () => {
  const bad = join(dir.path, 'bad-personas.yaml');
  writeFileSync(bad, 'personas:\n  - name: x\n    number: "1"\n    steps:\n      - reject: 99\n');
  const args = ['serve', '--config', config, '--data-dir', join(dir.path, 'bad'), '--http-port', '0'];
  const r = smartcall([...args, '--sip-port', '0', '--phonenet', bad], { cwd: dir.path });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad-personas\.yaml:5:\d+: personas\[0\]\.steps\[0\]\.reject: .*400-699/);
  assert.doesNotMatch(r.stdout, /smartcall started/);

  const missing = smartcall([...args, '--phonenet', join(dir.path, 'nope.yaml')], { cwd: dir.path });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope\.yaml: cannot read/);

  const standalone = join(dir.path, 'standalone.yaml');
  writeFileSync(standalone, 'mode: standalone\n');
  const ignored = smartcall(
    ['serve', '--config', standalone, '--data-dir', join(dir.path, 'bad'), '--phonenet', bad],
    {
      cwd: dir.path,
    },
  );
  assert.equal(ignored.status, 1, 'a persona file that could not be used is not silently dropped');
  assert.match(ignored.stderr, /--phonenet needs the embedded virtual phone network/);
});

test('serve refuses a --media-workers that is neither auto nor a thread count', () => {
  const r = smartcall(['serve', '--data-dir', join(dir.path, 'bad'), '--media-workers', 'lots'], {
    cwd: dir.path,
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--media-workers must be auto or a whole number from 0 to 64, got "lots"/);
});
