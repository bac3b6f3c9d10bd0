/** The options every command takes: --config, --data-dir, --json, and --version. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from '../helpers/tempDir.js';
import { CLI, smartcall } from './cliHarness.js';

const dir = tempDir('smartcall-global-');
after(() => dir.remove());

test('--version prints the package version', () => {
  const pkg = JSON.parse(readFileSync(join(CLI, '..', '..', 'package.json'), 'utf8'));
  const r = smartcall(['--version']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('--config chooses the settings (here the data directory); --data-dir beats it', () => {
  const fromFile = join(dir.path, 'from-file');
  const fromFlag = join(dir.path, 'from-flag');
  const config = join(dir.path, 'smartcall.yaml');
  writeFileSync(config, `dataDir: ${fromFile}\n`);
  const opts = { cwd: dir.path };
  assert.equal(smartcall(['--config', config, 'admin', 'account', 'create', '--name', 'a'], opts).status, 0);
  assert.ok(existsSync(join(fromFile, 'smartcall.db')), 'the config file was read');
  assert.equal(
    smartcall(['--config', config, '--data-dir', fromFlag, 'admin', 'account', 'create', '--name', 'b'], opts)
      .status,
    0,
  );
  const names = (dataDir: string) =>
    (
      smartcall(['--data-dir', dataDir, 'admin', 'account', 'list', '--json'], opts).json() as {
        name: string;
      }[]
    ).map((a) => a.name);
  assert.deepEqual(names(fromFile), ['a']);
  assert.deepEqual(names(fromFlag), ['b']);
  assert.ok(!existsSync(join(dir.path, 'data')), 'nothing went to the default ./data');

  const bad = join(dir.path, 'bad.json');
  writeFileSync(bad, '{"http":{"port":"eighty"}}');
  const r = smartcall(['--config', bad, 'admin', 'account', 'list', '--json'], opts);
  assert.equal(r.status, 1);
  assert.match(JSON.parse(r.stderr).error, /http\.port/, 'with --json the error is JSON too');
});

test('--json prints JSON where the default is text for people', () => {
  const data = join(dir.path, 'from-flag');
  const human = smartcall(['--data-dir', data, 'admin', 'account', 'create', '--name', 'c']);
  assert.match(human.stdout, /^created account c \(id \d+\)\n$/);
  const json = smartcall(['--data-dir', data, 'admin', 'account', 'show', '--name', 'c', '--json']);
  assert.equal(json.json().name, 'c');
  const err = smartcall(['--data-dir', data, 'admin', 'account', 'show', '--name', 'nobody']);
  assert.match(err.stderr, /^error: /);
});
