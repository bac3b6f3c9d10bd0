/**
 * README "Connect a real trunk": its commands run as printed through the real CLI (a shell function
 * stands in for the installed `smartcall`), and its configuration loads. The trunk they make carries
 * every setting the README names; nothing resolves the provider's name (no DNS at `trunk add`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { tempDir } from '../helpers/tempDir.js';
import { CLI, smartcall } from './cliHarness.js';

const dir = tempDir('smartcall-readme-trunk-');
after(() => dir.remove());

function sectionBlocks(kind: 'sh' | 'yaml'): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('## Connect a real trunk');
  assert.ok(start >= 0, 'the README has the section');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 3));
  return [...section.matchAll(new RegExp(`\`\`\`${kind}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);
}

test("README 'Connect a real trunk': the commands run as printed and make the trunk they describe", () => {
  const [commands] = sectionBlocks('sh');
  assert.ok(commands?.includes('trunk add'), 'the section shows a trunk add');
  assert.equal(smartcall(['--data-dir', dir.path, 'admin', 'account', 'create', '--name', 'acme']).status, 0);
  const script = `set -e\nsmartcall() { "${process.execPath}" "${CLI}" --data-dir "${dir.path}" "$@"; }\n${commands}`;
  const run = spawnSync('sh', ['-c', script], { cwd: dir.path, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const listed = JSON.parse(run.stdout.slice(run.stdout.indexOf('['))) as Array<Record<string, unknown>>;
  const carrier = listed.find((t) => t.name === 'carrier')!;
  assert.equal(carrier.uri, 'sips:sip.carrier.example.com');
  assert.equal(carrier.transport, 'tls');
  assert.equal(carrier.port, 5061);
  assert.equal(carrier.username, '0571888800001');
  assert.equal(carrier.register, true);
  assert.equal(carrier.registerExpiresS, 600);
  assert.equal(carrier.srtp, 'required');
  assert.deepEqual(carrier.codecs, ['PCMA', 'PCMU']);
  assert.deepEqual(carrier.inboundFrom, ['203.0.113.0/24']);
  assert.equal(carrier.isDefault, true);
  assert.ok(!JSON.stringify(carrier).includes('s3cret'), 'the password is never shown');
  const numbers = smartcall([
    '--data-dir',
    dir.path,
    'admin',
    'number',
    'list',
    '--account',
    'acme',
    '--json',
  ]);
  assert.deepEqual(
    (numbers.json() as Array<{ number: string; inbound: boolean }>).map((n) => [n.number, n.inbound]),
    [['057188880001', true]],
  );
});

test("README 'Connect a real trunk': its configuration loads with the addresses and TLS it shows", () => {
  const [yaml] = sectionBlocks('yaml');
  const file = join(dir.path, 'carrier.yaml');
  writeFileSync(file, yaml!);
  const config = loadConfig({ configFile: file }, {});
  assert.equal(config.sip.address, '0.0.0.0');
  assert.equal(config.sip.advertisedAddress, '198.51.100.7');
  assert.equal(config.rtp.advertisedAddress, '198.51.100.7');
  assert.equal(config.sip.tls.port, 5061);
  assert.equal(config.sip.tls.certFile, '/etc/smartcall/sip.pem');
  assert.deepEqual([config.rtp.portMin, config.rtp.portMax], [20000, 29999]);
});
