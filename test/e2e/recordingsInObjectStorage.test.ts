/**
 * Recordings in S3-compatible storage (issue 15 item 4), end to end: a real recorded call through
 * the virtual phone network lands in the bucket (s3rver on 127.0.0.1), its VoiceRecordReport comes
 * after the upload with a presigned GET that plain fetch downloads, and the local copy is gone.
 * (s3rver does not verify signatures; signing is proven by test/media-library/sigV4Vectors.test.ts.)
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { readWav } from '../../src/media/wavReader.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';
import { type RunningS3rver, S3RVER_CREDENTIALS, startS3rver } from '../helpers/s3rver.js';
import { tempDir } from '../helpers/tempDir.js';

type Receipt = Record<string, string | number>;

const tts = (text: string) => ({ VoiceCode: '$t$', VoiceCodeParam: JSON.stringify({ t: text }) });

async function waitFor(cond: () => boolean, ms: number, what: string) {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('recordings in object storage', () => {
  const tmp = tempDir('smartcall-s3e2e-');
  const receipts: Receipt[] = [];
  let receiver: Server;
  let s3: RunningS3rver;
  let e2e: E2e;
  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        receipts.push(...(JSON.parse(body) as Receipt[]));
        res.end('{"code":0}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    s3 = await startS3rver(tmp.path, 'calls');
    e2e = await startE2e({
      recordings: {
        storage: {
          kind: 's3',
          endpoint: s3.endpoint,
          bucket: 'calls',
          prefix: 'rec/',
          forcePathStyle: true,
          ...S3RVER_CREDENTIALS,
          // Every recording as a multipart upload (one part: the last may be any size).
          multipartAboveBytes: 1,
        },
      },
    });
    e2e.admin.setReceipts('demo', {
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/receipts`,
      types: ['VoiceReport', 'VoiceRecordReport'],
    });
  });
  after(async () => {
    await e2e?.close();
    await s3?.close();
    receiver?.closeAllConnections();
    await new Promise((r) => receiver?.close(r));
    tmp.remove();
  });

  test("a recorded call's recording lands in the bucket and its receipt URL downloads it", async () => {
    const r = await e2e.smartCall({
      CalledNumber: '13800000001',
      ...tts('您好，这是一通录音测试电话。'),
      RecordFlag: 'true',
      SessionTimeout: '5',
    });
    const callId = String(r.body!.CallId);
    const record = await e2e.waitForEnd(callId, 15_000);
    assert.ok(record.recordPath);
    await waitFor(
      () => receipts.some((x) => x.call_id === callId && x.record_file),
      5_000,
      'VoiceRecordReport',
    );
    const report = receipts.find((x) => x.call_id === callId && x.record_file)!;
    const url = new URL(String(report.record_file));
    assert.equal(url.origin, s3.endpoint);
    assert.match(url.pathname, /^\/calls\/rec\/\d{4}-\d{2}-\d{2}\/\d+_\d+\.wav$/);
    // Valid urlValidDays (7 by default), signed for the key.
    assert.equal(url.searchParams.get('X-Amz-Expires'), '604800');
    assert.match(url.searchParams.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/);
    const got = await fetch(url);
    assert.equal(got.status, 200);
    const wav = readWav(Buffer.from(await got.arrayBuffer()));
    assert.equal(wav.channels, 2);
    assert.ok(wav.durationMs > 1000, 'the recording holds the call');
    assert.equal(existsSync(record.recordPath), false, 'the local copy is gone once uploaded');
    // One VoiceReport, then one VoiceRecordReport (written once the object was stored).
    const mine = receipts.filter((x) => x.call_id === callId);
    assert.deepEqual(
      mine.map((x) => (x.record_file ? 'VoiceRecordReport' : 'VoiceReport')),
      ['VoiceReport', 'VoiceRecordReport'],
    );
  });
});
