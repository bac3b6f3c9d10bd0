/**
 * Recording storage settings: disk by default; S3 from the config file, SMARTCALL_S3_* or
 * `--recordings-s3`, with credentials only from the file or the environment.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { tempDir } from '../helpers/tempDir.js';

const KEYS = { SMARTCALL_S3_ACCESS_KEY_ID: 'AK', SMARTCALL_S3_SECRET_ACCESS_KEY: 'SK' };

test('recordings stay on disk unless S3 storage is configured', () => {
  assert.deepEqual(loadConfig({}, {}).recordings.storage, { kind: 'disk' });
});

test('SMARTCALL_S3_* switch recordings to S3 storage', () => {
  const s = loadConfig(
    {},
    {
      ...KEYS,
      SMARTCALL_S3_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com',
      SMARTCALL_S3_BUCKET: 'acme-calls',
      SMARTCALL_S3_REGION: 'eu-west-1',
      SMARTCALL_S3_PREFIX: 'smartcall/',
      SMARTCALL_S3_FORCE_PATH_STYLE: 'false',
    },
  ).recordings.storage;
  assert.deepEqual(s, {
    kind: 's3',
    endpoint: 'https://s3.eu-west-1.amazonaws.com',
    bucket: 'acme-calls',
    region: 'eu-west-1',
    prefix: 'smartcall/',
    forcePathStyle: false,
    accessKeyId: 'AK',
    secretAccessKey: 'SK',
    multipartAboveBytes: 16 * 1024 * 1024,
    partBytes: 8 * 1024 * 1024,
  });
});

test('--recordings-s3 names endpoint, bucket, prefix and region, path-style; keys from the file or env', () => {
  const dir = tempDir();
  try {
    const file = `${dir.path}/c.yaml`;
    writeFileSync(
      file,
      'recordings:\n  storage: { kind: s3, endpoint: "https://x.example", bucket: other, accessKeyId: FILEKEY, secretAccessKey: FILESECRET }\n',
    );
    const s = loadConfig(
      { configFile: file, recordingsS3: 'http://127.0.0.1:9000/calls/rec/a?region=cn-hangzhou' },
      {},
    ).recordings.storage;
    assert.equal(s.kind, 's3');
    if (s.kind !== 's3') return;
    assert.equal(s.endpoint, 'http://127.0.0.1:9000');
    assert.equal(s.bucket, 'calls');
    assert.equal(s.prefix, 'rec/a/');
    assert.equal(s.region, 'cn-hangzhou');
    assert.equal(s.forcePathStyle, true);
    assert.equal(s.accessKeyId, 'FILEKEY');
    const fromEnv = loadConfig({ configFile: file }, KEYS).recordings.storage;
    assert.equal(fromEnv.kind === 's3' && fromEnv.accessKeyId, 'AK');
  } finally {
    dir.remove();
  }
});

test('bad S3 settings are named: a URL with credentials, links beyond 7 days, a small part size', () => {
  assert.throws(
    () => loadConfig({ recordingsS3: 'http://AK:SK@127.0.0.1:9000/calls' }, KEYS),
    /--recordings-s3 must be http\(s\):\/\/host\[:port\]\/bucket\[\/prefix\/\] with no credentials in it/,
  );
  const dir = tempDir();
  try {
    const file = `${dir.path}/c.yaml`;
    assert.throws(
      () =>
        loadConfig(
          {},
          { ...KEYS, SMARTCALL_S3_ENDPOINT: 'http://127.0.0.1:9/x', SMARTCALL_S3_BUCKET: 'calls' },
        ),
      /recordings\.storage\.endpoint: an S3 endpoint is http\(s\):\/\/host\[:port\] with no path/,
    );
    writeFileSync(file, 'recordings: { urlValidDays: 30 }\n');
    assert.throws(
      () => loadConfig({ configFile: file, recordingsS3: 'http://127.0.0.1:9000/calls' }, KEYS),
      /recordings\.urlValidDays: with recordings in S3 storage, links are valid 7 days at most/,
    );
    writeFileSync(
      file,
      'recordings: { storage: { kind: s3, endpoint: "http://h", bucket: calls, partBytes: 1000 } }\n',
    );
    assert.throws(() => loadConfig({ configFile: file }, KEYS), /recordings\.storage\.partBytes/);
  } finally {
    dir.remove();
  }
});
