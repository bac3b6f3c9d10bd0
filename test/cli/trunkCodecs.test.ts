/**
 * `admin trunk add --codecs`: the order given is the order of the m=audio line in the INVITE a
 * SmartCall sends through that trunk. The carrier is a scripted UDP peer that reads the INVITE
 * and answers 486. G722 first puts G722/8000 (payload type 9) at the head of the offer.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { SipRequest } from '../../src/sip/sipMessage.js';
import { freePort } from '../helpers/ports.js';
import { tcpListening } from '../helpers/sipPeers.js';
import { tempDir } from '../helpers/tempDir.js';
import { ScriptedPeer } from '../sip/scriptedPeer.js';
import { type Running, smartcall, smartcallAsync, start, stopAll } from './cliHarness.js';

const dir = tempDir('smartcall-codecs-');
const data = join(dir.path, 'data');
let carrier: ScriptedPeer;
let server: Running;
let endpoint: string;

before(async () => {
  carrier = await ScriptedPeer.create();
  const added = smartcall([
    '--data-dir',
    data,
    'admin',
    'trunk',
    'add',
    '--name',
    'carrier',
    '--uri',
    `sip:127.0.0.1:${carrier.port}`,
    '--codecs',
    'PCMA,PCMU',
    '--default',
    '--json',
  ]);
  assert.equal(added.status, 0, added.stderr);
  assert.deepEqual(added.json().codecs, ['PCMA', 'PCMU']);
  server = await startServer(true);
});

/**
 * `smartcall serve` on the data dir (trunks are read when it starts). The first start prints the
 * demo account; a restart prints nothing at `warn`, so it is ready once its HTTP port listens.
 */
async function startServer(first = false): Promise<Running> {
  const httpPort = await freePort();
  endpoint = `127.0.0.1:${httpPort}`;
  const config = join(dir.path, 'serve.yaml');
  writeFileSync(config, 'phonenet: { sipPort: 0 }\n');
  return start(
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
    (out) => (first ? /display number:.*\n/.test(out) : tcpListening(httpPort)),
    { cwd: dir.path },
  );
}
after(async () => {
  await server?.stop();
  await stopAll();
  carrier?.close();
  dir.remove();
});

test('trunk add --codecs PCMA,PCMU: the INVITE through that trunk offers PCMA first', async () => {
  const call = smartcallAsync(
    ['--data-dir', data, 'call', '--to', '13900000001', '--text', '你好', '--endpoint', endpoint],
    {
      cwd: dir.path,
    },
  );
  const invite = (await carrier.request('INVITE', 20_000)) as SipRequest;
  const from = carrier.received.find((r) => r.message === invite)!.from;
  const mLine = /^m=audio \d+ RTP\/AVP ([\d ]+)\r?$/m.exec(invite.bodyText())?.[1];
  assert.equal(mLine, '8 0 101', `offer: ${invite.bodyText()}`);
  assert.match(invite.bodyText(), /a=rtpmap:8 PCMA\/8000[\s\S]*a=rtpmap:0 PCMU\/8000/);
  carrier.respond(invite, from.port, '486 Busy Here', { toTag: 'busy' });
  const r = await call;
  assert.match(r.stdout + r.stderr, /200002|busy/i, r.stdout + r.stderr);
});

test('trunk add --codecs G722,PCMU: the INVITE offers G.722 first (G722/8000 on payload type 9)', async () => {
  // The same trunk, changed: the carrier below sees which offer the new order makes.
  const changed = smartcall([
    '--data-dir',
    data,
    'admin',
    'trunk',
    'add',
    '--name',
    'carrier',
    '--uri',
    `sip:127.0.0.1:${carrier.port}`,
    '--codecs',
    'g722,PCMU',
    '--default',
    '--json',
  ]);
  assert.equal(changed.status, 0, changed.stderr);
  assert.deepEqual(changed.json().codecs, ['G722', 'PCMU']);
  await server.stop();
  server = await startServer();
  const seen = carrier.received.length;
  const call = smartcallAsync(
    ['--data-dir', data, 'call', '--to', '13900000002', '--text', '你好', '--endpoint', endpoint],
    { cwd: dir.path },
  );
  const invite = (await carrier.request('INVITE', 20_000, seen)) as SipRequest;
  const from = carrier.received.find((r) => r.message === invite)!.from;
  const mLine = /^m=audio \d+ RTP\/AVP ([\d ]+)\r?$/m.exec(invite.bodyText())?.[1];
  assert.equal(mLine, '9 0 101', `offer: ${invite.bodyText()}`);
  assert.match(invite.bodyText(), /a=rtpmap:9 G722\/8000[\s\S]*a=rtpmap:0 PCMU\/8000/);
  carrier.respond(invite, from.port, '486 Busy Here', { toTag: 'busy' });
  const r = await call;
  assert.match(r.stdout + r.stderr, /200002|busy/i, r.stdout + r.stderr);
});

test('trunk add --codecs refuses a codec smartcall cannot send', () => {
  const r = smartcall([
    '--data-dir',
    data,
    'admin',
    'trunk',
    'add',
    '--name',
    'narrow',
    '--uri',
    'sip:127.0.0.1:5099',
    '--codecs',
    'G729,PCMA',
  ]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /codec "G729" is not one of PCMU, PCMA, G722/);
});
