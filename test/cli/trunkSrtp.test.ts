/**
 * `admin trunk add --srtp`: with `required`, the INVITE a SmartCall sends through that trunk offers
 * RTP/SAVP with an SDES crypto line per suite (fresh keys); `trunk list --json` shows the policy;
 * a value that is not off/optional/required is refused. The carrier is a scripted UDP peer that
 * reads the INVITE and answers 486.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { SipRequest } from '../../src/sip/sipMessage.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tempDir.js';
import { ScriptedPeer } from '../sip/scriptedPeer.js';
import { type Running, smartcall, smartcallAsync, start, stopAll } from './cliHarness.js';

const dir = tempDir('smartcall-srtp-');
const data = join(dir.path, 'data');
let carrier: ScriptedPeer;
let server: Running;
let endpoint: string;

const trunkAdd = (...extra: string[]) =>
  smartcall([
    '--data-dir',
    data,
    'admin',
    'trunk',
    'add',
    '--uri',
    `sip:127.0.0.1:${carrier.port}`,
    ...extra,
  ]);

before(async () => {
  carrier = await ScriptedPeer.create();
  const added = trunkAdd('--name', 'carrier', '--srtp', 'required', '--default', '--json');
  assert.equal(added.status, 0, added.stderr);
  assert.equal(added.json().srtp, 'required');
  const httpPort = await freePort();
  endpoint = `127.0.0.1:${httpPort}`;
  const config = join(dir.path, 'serve.yaml');
  writeFileSync(config, 'phonenet: { sipPort: 0 }\n');
  server = await start(
    [
      'serve',
      '--config',
      config,
      '--data-dir',
      data,
      '--http-port',
      String(httpPort),
      '--sip-port',
      '0',
      '--log-level',
      'warn',
    ],
    (out) => /display number:.*\n/.test(out),
    { cwd: dir.path },
  );
});
after(async () => {
  await server?.stop();
  await stopAll();
  carrier?.close();
  dir.remove();
});

test('trunk add --srtp required: the INVITE through that trunk offers RTP/SAVP with SDES keys', async () => {
  const keys: string[] = [];
  for (let i = 0; i < 2; i++) {
    const call = smartcallAsync(
      ['--data-dir', data, 'call', '--to', '13900000001', '--text', '你好', '--endpoint', endpoint],
      { cwd: dir.path },
    );
    const invite = (await carrier.request('INVITE', 20_000)) as SipRequest;
    const from = carrier.received.find((r) => r.message === invite)!.from;
    const body = invite.bodyText();
    assert.match(body, /^m=audio \d+ RTP\/SAVP /m, `offer: ${body}`);
    const lines = [...body.matchAll(/^a=crypto:(\d+) (\S+) inline:(\S+)\r?$/gm)];
    assert.deepEqual(
      lines.map((l) => `${l[1]} ${l[2]}`),
      ['1 AES_CM_128_HMAC_SHA1_80', '2 AES_CM_128_HMAC_SHA1_32'],
    );
    for (const l of lines) assert.equal(Buffer.from(l[3]!, 'base64').length, 30);
    keys.push(lines[0]![3]!);
    carrier.respond(invite, from.port, '486 Busy Here', { toTag: `busy${i}` });
    const r = await call;
    assert.match(r.stdout + r.stderr, /200002|busy/i, r.stdout + r.stderr);
    carrier.received.length = 0;
  }
  assert.notEqual(keys[0], keys[1], 'fresh keys per call');
});

test('trunk list --json shows each trunk its SRTP policy (off by default)', () => {
  assert.equal(trunkAdd('--name', 'plain').status, 0);
  assert.equal(trunkAdd('--name', 'maybe', '--srtp', 'optional').status, 0);
  const list = smartcall(['--data-dir', data, 'admin', 'trunk', 'list', '--json']);
  assert.equal(list.status, 0, list.stderr);
  const srtp = Object.fromEntries(
    (list.json() as Array<{ name: string; srtp: string }>).map((t) => [t.name, t.srtp]),
  );
  assert.deepEqual([srtp.carrier, srtp.plain, srtp.maybe], ['required', 'off', 'optional']);
});

test('trunk add --srtp with a value that is no policy: a clear error, exit 1', () => {
  const r = trunkAdd('--name', 'bad', '--srtp', 'mandatory');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--srtp "mandatory" is not one of off, optional, required/);
});

test('SRTP over clear-text SIP warns that the keys are readable; over TLS it does not', () => {
  const udp = trunkAdd('--name', 'clear', '--srtp', 'required');
  assert.equal(udp.status, 0, udp.stderr);
  assert.match(udp.stderr, /warning: trunk clear sends its SRTP keys \(SDES\) in clear-text SIP over udp/);
  const tls = smartcall([
    ...['--data-dir', data, 'admin', 'trunk', 'add', '--name', 'secret'],
    ...['--uri', 'sips:127.0.0.1:5061', '--srtp', 'required'],
  ]);
  assert.equal(tls.status, 0, tls.stderr);
  assert.doesNotMatch(tls.stderr, /warning/);
});
