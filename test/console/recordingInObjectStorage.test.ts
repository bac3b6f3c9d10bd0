/**
 * With recordings in object storage the local copy goes once uploaded; the console still plays the
 * recording (its route redirects to a short-lived presigned GET on the bucket, s3rver here) and
 * draws its waveform from there.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeWav } from '../../src/media/wavWriter.js';
import { recordingKey } from '../../src/media-library/objects/recordingObjects.js';
import { S3Client } from '../../src/media-library/objects/s3Client.js';
import { type RunningS3rver, S3RVER_CREDENTIALS, startS3rver } from '../helpers/s3rver.js';
import { tempDir } from '../helpers/tempDir.js';
import { type ConsoleHarness, call, loggedIn, startConsole } from './consoleHarness.js';

const dir = tempDir('smartcall-console-s3-');
let s3: RunningS3rver;
let client: S3Client;
let h: ConsoleHarness;
before(async () => {
  s3 = await startS3rver(join(dir.path, 's3'), 'calls');
  client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: 'calls',
    credentials: S3RVER_CREDENTIALS,
    forcePathStyle: true,
  });
  h = await startConsole({
    storedRecording: (c) =>
      c.recordPath ? client.presignGet(recordingKey('rec/', c.recordPath), 600) : undefined,
  });
});
after(async () => {
  await h.close();
  await s3.close();
  dir.remove();
});

test('an uploaded recording is played and drawn from the bucket', async () => {
  const T = Date.UTC(2025, 5, 1, 2, 0, 0);
  const left = new Int16Array(8000).map((_, i) => Math.round(20000 * Math.sin(i / 3)));
  const wav = encodeWav([left, new Int16Array(8000)], 8000);
  // The local copy is gone (uploaded); only the object remains.
  const gone = join(dir.path, '2025-06-01', 'x_1.wav');
  await client.putObject(recordingKey('rec/', gone), wav, 'audio/wav');
  const c = call(h.acme, T, { answerAt: T, recordBeginAt: T, endAt: T + 1000, recordPath: gone });
  h.store.calls.insert(c);
  const url = `/console/calls/${encodeURIComponent(c.callId)}`;
  const ann = await loggedIn(h.app, 'ann');
  const page = await ann.get(url);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<canvas id="waveform"/, 'the detail shows the player, not "no longer kept"');
  const rec = await ann.get(`${url}/recording`);
  assert.equal(rec.statusCode, 302);
  const location = String(rec.headers.location);
  assert.ok(location.startsWith(`${s3.endpoint}/calls/rec/2025-06-01/x_1.wav?`), location);
  assert.deepEqual(Buffer.from(await (await fetch(location)).arrayBuffer()), wav);
  const wave = await ann.get(`${url}/waveform`);
  assert.equal(wave.statusCode, 200);
  const w = wave.json() as { channels: number; durationMs: number };
  assert.equal(w.channels, 2);
  assert.equal(w.durationMs, 1000);
});
