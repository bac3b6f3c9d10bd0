/**
 * `role` and `store.url` in the config file (issue 15), under the environment and the flags, and
 * `checkRole`'s verdicts on them.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkRole, loadConfig } from '../../src/config.js';
import { tempDir } from '../helpers/tempDir.js';

const dir = tempDir('smartcall-roleconfig-');
after(() => dir.remove());

test('role and store.url come from the file, then SMARTCALL_ROLE / SMARTCALL_STORE_URL, then the flags', () => {
  const file = join(dir.path, 'smartcall.yaml');
  writeFileSync(file, 'role: api\nstore: { url: "postgres://a@db1/x" }\nmasterKey: "0123456789abcdef0123"\n');
  const fromFile = loadConfig({ configFile: file }, {});
  assert.equal(fromFile.role, 'api');
  assert.equal(fromFile.store.url, 'postgres://a@db1/x');
  assert.doesNotThrow(() => checkRole(fromFile));
  const fromEnv = loadConfig({ configFile: file }, { SMARTCALL_STORE_URL: 'postgresql://b@db2/y' });
  assert.equal(fromEnv.store.url, 'postgresql://b@db2/y');
  const fromFlags = loadConfig(
    { configFile: file, role: 'all', storeUrl: 'sqlite' },
    { SMARTCALL_ROLE: 'api' },
  );
  assert.equal(fromFlags.role, 'all');
  assert.equal(fromFlags.store.url, 'sqlite');
  assert.doesNotThrow(() => checkRole(fromFlags));
  const defaults = loadConfig({}, {});
  assert.equal(defaults.role, 'all', 'one process is the default');
  assert.equal(defaults.store.url, 'sqlite');
  assert.throws(() => checkRole({ ...fromFile, masterKey: undefined }), /needs masterKey/);
});
