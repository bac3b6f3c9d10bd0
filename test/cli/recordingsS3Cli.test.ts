/**
 * `smartcall serve --recordings-s3 <url>`: recordings go to S3-compatible storage (s3rver here),
 * credentials from SMARTCALL_S3_ACCESS_KEY_ID / SMARTCALL_S3_SECRET_ACCESS_KEY. The visible effect:
 * a recording left in the recordings folder (a crash, an outage) is uploaded at start and its
 * local copy removed. A bad URL, or a missing key, is refused with a message and exit 1.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { S3Client } from '../../src/media-library/objects/s3Client.js';
import { type RunningS3rver, S3RVER_CREDENTIALS, startS3rver } from '../helpers/s3rver.js';
import { tempDir } from '../helpers/tempDir.js';
import { smartcall, start, stopAll } from './cliHarness.js';

const dir = tempDir('smartcall-s3cli-');
const config = join(dir.path, 'smartcall.yaml');
writeFileSync(config, 'phonenet: { sipPort: 0 }\n');
let s3: RunningS3rver;
before(async () => {
  s3 = await startS3rver(join(dir.path, 's3'), 'calls');
});
after(async () => {
  await stopAll();
  await s3.close();
  dir.remove();
});

const env = {
  ...process.env,
  SMARTCALL_S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  SMARTCALL_S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
};

test('serve --recordings-s3 uploads a recording left behind and removes the local copy', async () => {
  const data = join(dir.path, 'data');
  mkdirSync(join(data, 'recordings', '2026-12-01'), { recursive: true });
  const left = join(data, 'recordings', '2026-12-01', '111_222.wav');
  writeFileSync(left, Buffer.alloc(2000, 1));
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: 'calls',
    credentials: S3RVER_CREDENTIALS,
    forcePathStyle: true,
  });
  const server = await start(
    [
      'serve',
      '--config',
      config,
      '--data-dir',
      data,
      '--http-port',
      '0',
      '--sip-port',
      '0',
      '--recordings-s3',
      `${s3.endpoint}/calls/rec?region=us-east-1`,
    ],
    async (out) => /"msg":"smartcall started"/.test(out) && !existsSync(left),
    { cwd: dir.path, env },
  );
  try {
    assert.equal((await client.headObject('rec/2026-12-01/111_222.wav'))?.size, 2000);
    assert.match(server.output(), /recording uploaded to object storage/);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('serve refuses a --recordings-s3 that is not a bucket URL, and S3 storage without a key', () => {
  const bad = smartcall(['serve', '--data-dir', join(dir.path, 'bad'), '--recordings-s3', 'calls'], {
    cwd: dir.path,
  });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--recordings-s3 must be a URL like http:\/\/127\.0\.0\.1:9000\/bucket\/prefix\//);
  const noKey = smartcall(
    ['serve', '--data-dir', join(dir.path, 'bad'), '--recordings-s3', 'http://127.0.0.1:9/calls'],
    {
      cwd: dir.path,
      env: { ...process.env, SMARTCALL_S3_ACCESS_KEY_ID: '', SMARTCALL_S3_SECRET_ACCESS_KEY: '' },
    },
  );
  assert.equal(noKey.status, 1);
  assert.match(noKey.stderr, /invalid configuration at recordings\.storage\.accessKeyId/);
});
