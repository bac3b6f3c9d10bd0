/**
 * `admin trunk add --inbound-from` opens the platform's SIP door to a trunk's range (everything else
 * gets 403); `admin account set-destinations --allow … | --default` sets the numbers a transfer may
 * dial.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from '../helpers/tempDir.js';
import { smartcall as run, start, stopAll } from './cliHarness.js';
import { sipInvite } from './sipProbe.js';

const dir = tempDir('smartcall-door-');
const config = join(dir.path, 'smartcall.yaml');
// The virtual phone network's own trunk would let 127.0.0.1 in: without it no trunk lists a range.
writeFileSync(config, 'phonenet: { enabled: false }\n');
after(async () => {
  await stopAll();
  dir.remove();
});
const smartcall = (...args: string[]) => run(['--data-dir', dir.path, ...args], { cwd: dir.path });

test('trunk add --inbound-from lets that range send INVITEs to a running server; others get 403', async () => {
  const bad = smartcall(
    'admin',
    'trunk',
    'add',
    '--name',
    'x',
    '--uri',
    'sip:127.0.0.1:5065',
    '--inbound-from',
    'carrier.example',
  );
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--inbound-from: "carrier\.example" is not an address range/);

  const server = await start(
    ['serve', '--config', config, '--data-dir', dir.path, '--http-port', '0', '--sip-port', '0'],
    (out) => /"msg":"smartcall started"/.test(out),
    { cwd: dir.path },
  );
  const line = server
    .output()
    .split('\n')
    .find((l) => l.includes('"smartcall started"'))!;
  const sipPort = (JSON.parse(line) as { sip: { port: number } }).sip.port;
  const invite = () => sipInvite({ host: '127.0.0.1', port: sipPort, number: '13900000001' });
  try {
    assert.equal((await invite())?.status, 403, 'no trunk lists a range: the door is shut');
    assert.match(
      server.output(),
      /"source":"udp:127\.0\.0\.1:\d+","msg":"refused an INVITE from a source no trunk lists/,
    );

    const added = smartcall(
      'admin',
      'trunk',
      'add',
      '--name',
      'carrier',
      '--uri',
      'sip:127.0.0.1:5065',
      '--inbound-from',
      '203.0.113.0/24',
      '--inbound-from',
      '127.0.0.1/32',
      '--json',
    );
    assert.equal(added.status, 0, added.stderr);
    assert.deepEqual(added.json().inboundFrom, ['203.0.113.0/24', '127.0.0.1/32']);
    // The server reads the trunks' ranges again within 2 s.
    let status: number | undefined;
    for (const until = Date.now() + 6000; Date.now() < until; ) {
      status = (await invite())?.status;
      if (status !== 403) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(status, 404, 'the listed range is let in (and told no account takes calls at that number)');
  } finally {
    await server.stop();
  }
});

test('account set-destinations --allow replaces the list, --default restores mainland numbers', () => {
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'acme').status, 0);
  const shown = () => smartcall('admin', 'account', 'show', '--name', 'acme', '--json').json();
  const mainland = shown().allowedDestinations as string[];
  assert.ok(mainland.some((p) => new RegExp(p).test('13900000001')));
  assert.ok(!mainland.some((p) => new RegExp(p).test('00442079460000')));

  const set = smartcall(
    'admin',
    'account',
    'set-destinations',
    '--name',
    'acme',
    '--allow',
    '^1[3-9]\\d{9}$',
    '--allow',
    '^0044\\d+$',
  );
  assert.equal(set.status, 0, set.stderr);
  assert.match(set.stdout, /account acme may transfer to: \^1\[3-9\]\\d\{9\}\$ {2}\^0044\\d\+\$/);
  assert.deepEqual(shown().allowedDestinations, ['^1[3-9]\\d{9}$', '^0044\\d+$']);

  const broken = smartcall('admin', 'account', 'set-destinations', '--name', 'acme', '--allow', '(');
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /"\(" is not a regular expression/);
  const neither = smartcall('admin', 'account', 'set-destinations', '--name', 'acme');
  assert.equal(neither.status, 1);
  assert.match(neither.stderr, /give --allow patterns or --default/);

  assert.equal(smartcall('admin', 'account', 'set-destinations', '--name', 'acme', '--default').status, 0);
  assert.deepEqual(shown().allowedDestinations, mainland);
});
