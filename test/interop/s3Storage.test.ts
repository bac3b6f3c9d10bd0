/**
 * Our S3 client and recording uploads against s3rver, an S3-compatible server run here
 * (test/helpers/s3rver.ts says what it verifies). s3rver does NOT verify SigV4 signatures: what
 * these tests prove is the wire (addressing, query and header forms, multipart, ranges, error
 * documents, presigned expiry); the signatures themselves are proven by AWS's published vectors
 * (test/media-library/sigV4Vectors.test.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '../../src/clock/clock.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { sleep } from '../../src/clock/within.js';
import { sweepRecordingObjects } from '../../src/media-library/objects/recordingObjects.js';
import { RecordingUploads } from '../../src/media-library/objects/recordingUploads.js';
import { S3Client, type S3Error } from '../../src/media-library/objects/s3Client.js';
import { RecordingSweeper } from '../../src/media-library/recordingSweeper.js';
import { silentLogger } from '../../src/observability/logger.js';
import { type RunningS3rver, S3RVER_CREDENTIALS, startS3rver } from '../helpers/s3rver.js';
import { tempDir } from '../helpers/tempDir.js';

const BUCKET = 'recordings';
const tmp = tempDir('smartcall-s3-');
let server: RunningS3rver;

function client(options: { now?: number; accessKeyId?: string } = {}): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    bucket: BUCKET,
    credentials: { ...S3RVER_CREDENTIALS, ...(options.accessKeyId && { accessKeyId: options.accessKeyId }) },
    forcePathStyle: true,
    ...(options.now !== undefined && {
      clock: { ...systemClock, now: () => options.now! },
    }),
  });
}

before(async () => {
  server = await startS3rver(join(tmp.path, 's3'), BUCKET);
});
after(async () => {
  await server.close().catch(() => {});
  tmp.remove();
});

describe('S3 client against s3rver', () => {
  test('PUT, HEAD, GET and a ranged GET give back the bytes; DELETE removes them', async () => {
    const s3 = client();
    const body = randomBytes(1000);
    await s3.putObject('2026-12-06/a b+c.wav', body, 'audio/wav');
    assert.deepEqual(await s3.headObject('2026-12-06/a b+c.wav'), {
      size: 1000,
      etag: (await s3.headObject('2026-12-06/a b+c.wav'))!.etag,
    });
    assert.deepEqual(await s3.getObject('2026-12-06/a b+c.wav'), body);
    assert.deepEqual(
      await s3.getObject('2026-12-06/a b+c.wav', { start: 10, end: 19 }),
      body.subarray(10, 20),
    );
    const listed = await s3.listObjects('', { delimiter: '/' });
    assert.deepEqual(listed.prefixes, ['2026-12-06/']);
    await s3.deleteObject('2026-12-06/a b+c.wav');
    assert.equal(await s3.headObject('2026-12-06/a b+c.wav'), undefined);
  });

  test("S3's error document comes back as its code and message", async () => {
    await assert.rejects(client().getObject('no/such.wav'), (err: S3Error) => {
      assert.equal(err.code, 'NoSuchKey');
      assert.equal(err.status, 404);
      return true;
    });
    await assert.rejects(client({ accessKeyId: 'NOBODY' }).putObject('x', Buffer.from('x')), {
      code: 'InvalidAccessKeyId',
    });
  });

  test('a file above the threshold goes up in parts and comes back whole', async () => {
    const path = join(tmp.path, 'long.wav');
    const body = randomBytes(25_000);
    writeFileSync(path, body);
    const s3 = client();
    // s3rver does not enforce S3's 5 MiB minimum part, so small parts exercise the same requests.
    const r = await s3.uploadFile('long.wav', path, { multipartAboveBytes: 10_000, partBytes: 10_000 });
    assert.deepEqual(r, { parts: 3, bytes: 25_000 });
    assert.deepEqual(await s3.getObject('long.wav'), body);
  });

  test('a presigned GET is fetched with plain fetch; once expired it is refused', async () => {
    const s3 = client();
    await s3.putObject('signed.wav', Buffer.from('RIFF....WAVE'));
    const ok = await fetch(s3.presignGet('signed.wav', 3600));
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'RIFF....WAVE');
    // Signed two days ago, valid one day.
    const old = client({ now: Date.now() - 2 * 86_400_000 }).presignGet('signed.wav', 86_400);
    const expired = await fetch(old);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /<Code>AccessDenied<\/Code>[\s\S]*expired/);
  });
});

describe('retention in object storage', () => {
  test('day prefixes older than the retention are deleted; recent days and other keys stay', async () => {
    const s3 = client();
    for (const key of [
      'keep/2026-11-01/a.wav',
      'ret/2026-11-01/a.wav',
      'ret/2026-11-01/b.wav',
      'ret/2026-11-28/a.wav',
      'ret/2026-11-29/a.wav',
      'ret/2026-12-05/a.wav',
      'ret/notes.txt',
    ])
      await s3.putObject(key, Buffer.from('x'));
    const clock = new ManualClock({ start: Date.parse('2026-12-06T12:00:00Z') });
    const sweeper = new RecordingSweeper({
      dir: join(tmp.path, 'none'),
      retentionDays: 7,
      time: clock,
      log: silentLogger(),
      sweepObjects: (cutoff) => sweepRecordingObjects(s3, 'ret/', cutoff, silentLogger()),
    });
    await sweeper.sweep();
    const left = async (prefix: string) => (await s3.listObjects(prefix)).keys.sort();
    assert.deepEqual(await left('ret/'), ['ret/2026-11-29/a.wav', 'ret/2026-12-05/a.wav', 'ret/notes.txt']);
    assert.deepEqual(await left('keep/'), ['keep/2026-11-01/a.wav']);
  });
});

describe('recording uploads survive an outage of the storage', () => {
  test('server down: the local copy is kept and the failure logged; back up: uploaded, reported, removed', async () => {
    const dir = join(tmp.path, 'rec');
    mkdirSync(join(dir, '2026-12-06'), { recursive: true });
    const file = join(dir, '2026-12-06', '116012854210_102814279210.wav');
    writeFileSync(file, randomBytes(3000));
    const errors: string[] = [];
    const log = silentLogger();
    const logged = Object.assign(Object.create(log), {
      error: (o: { err?: Error }, msg: string) => errors.push(`${msg}: ${o.err?.message}`),
      info: () => {},
      child: () => logged,
    });
    const stored: [string, string][] = [];
    const uploads = new RecordingUploads({
      client: client(),
      dir,
      prefix: 'calls/',
      clock: systemClock,
      log: logged,
      multipartAboveBytes: 1_000_000,
      partBytes: 5 * 1024 * 1024,
      isFinal: () => true,
      stored: (callId, key) => void stored.push([callId, key]),
      retriesMs: [300],
      rescanMs: 3_600_000,
    });
    await server.close();
    try {
      await uploads.start(); // finds the file left in the folder
      await uploads.whenIdle();
      assert.equal(existsSync(file), true, 'the local copy is kept');
      assert.equal(stored.length, 0);
      assert.match(errors[0] ?? '', /recording upload failed: local copy kept, retrying: NetworkError/);
      server = await startS3rver(join(tmp.path, 's3'), BUCKET, server.port);
      for (let i = 0; i < 50 && existsSync(file); i++) await sleep(100);
      await uploads.whenIdle();
      assert.deepEqual(stored, [
        ['116012854210^102814279210', 'calls/2026-12-06/116012854210_102814279210.wav'],
      ]);
      assert.equal(existsSync(file), false, 'the local copy goes once the object is stored');
      assert.equal((await client().headObject('calls/2026-12-06/116012854210_102814279210.wav'))?.size, 3000);
    } finally {
      await uploads.stop();
    }
  });
});
