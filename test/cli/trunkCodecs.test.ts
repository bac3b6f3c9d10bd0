/**
 * `admin trunk add --codecs`: the order given is the order of the m=audio line in the INVITE a
 * SmartCall sends through that trunk. The carrier is a scripted UDP peer that reads the INVITE
 * and answers 486.
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

test('trunk add --codecs refuses a codec smartcall cannot send', () => {
  const r = smartcall([
    '--data-dir',
    data,
    'admin',
    'trunk',
    'add',
    '--name',
    'wide',
    '--uri',
    'sip:127.0.0.1:5099',
    '--codecs',
    'G722,PCMA',
  ]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /G722 is not supported yet/);
});
