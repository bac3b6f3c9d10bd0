/**
 * Around the conversation (spec §5, §5.4): receipts reach the business in order and once per id,
 * even when the receiver fails first; the recording is a two-channel WAV (callee left, platform
 * right) served through an expiring signed URL.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { readWav } from '../../src/media/wavReader.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';

type Receipt = Record<string, string | number>;

/** The business's receipt endpoint: fails the first `failFirst` batches, then acknowledges. */
class ReceiptServer {
  readonly batches: Receipt[][] = [];
  failFirst = 0;
  readonly #server: Server;
  port = 0;
  constructor() {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        this.batches.push(JSON.parse(body));
        if (this.failFirst > 0) {
          this.failFirst--;
          res.statusCode = 503;
          res.end('{"code":1}');
        } else res.end('{"code":0,"msg":"接收成功"}');
      });
    });
  }
  async start() {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.port = (this.#server.address() as AddressInfo).port;
  }
  /** Each receipt id once, in arrival order (what a deduplicating receiver keeps). */
  deduplicated(callId: string): Receipt[] {
    const seen = new Set<string>();
    return this.batches.flat().filter((r) => {
      if (r.call_id !== callId || seen.has(String(r.receipt_id))) return false;
      seen.add(String(r.receipt_id));
      return true;
    });
  }
  async close() {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }
}

const tts = (text: string) => ({ VoiceCode: '$t$', VoiceCodeParam: JSON.stringify({ t: text }) });
const label = (r: Receipt) =>
  r.record_file ? 'VoiceRecordReport' : r.caller ? 'VoiceReport' : String(r.status_code);

async function waitFor(cond: () => boolean, ms: number, what: string) {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('receipts and recordings', { concurrency: true }, () => {
  let e2e: E2e;
  const receipts = new ReceiptServer();
  before(async () => {
    await receipts.start();
    e2e = await startE2e({ receipts: { timeoutMs: 700, retryDelaysSeconds: [1, 1, 1] } });
    e2e.admin.setReceipts('demo', {
      url: `http://127.0.0.1:${receipts.port}/receipts`,
      types: ['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport'],
    });
    e2e.callbacks.script = () => ({ action: 'donothing' });
  });
  after(async () => {
    await e2e.close();
    await receipts.close();
  });

  test('an answered, recorded call sends its receipts in order, each once, and its recording holds both parties', async () => {
    const r = await e2e.smartCall({
      CalledNumber: '13800000001',
      ...tts('您好，这是一通录音测试电话。'),
      RecordFlag: 'true',
      SessionTimeout: '12',
      OutId: 'order-42',
    });
    const callId = String(r.body!.CallId);
    const heard: { beginAt: number; endAt: number }[] = [];
    const said: number[] = [];
    e2e.running.events.on('heard', (h) => h.callId === callId && heard.push(h));
    e2e.running.events.on('said', (x) => x.callId === callId && said.push(x.at));
    const record = await e2e.waitForEnd(callId, 30_000);
    await waitFor(
      () => receipts.deduplicated(callId).some((x) => x.record_file),
      10_000,
      'the VoiceRecordReport',
    );
    const got = receipts.deduplicated(callId);
    assert.deepEqual(got.map(label), [
      '200101',
      '200201',
      '200102',
      '200100',
      'VoiceReport',
      'VoiceRecordReport',
    ]);
    assert.ok(got.every((x) => x.out_id === 'order-42'));
    const report = got.find((x) => x.caller)!;
    assert.equal(report.status_code, '200000');
    assert.equal(report.callee, '13800000001');
    assert.equal(report.duration, String(Math.round((record.endAt! - record.answerAt!) / 1000)));

    const url = String(got.find((x) => x.record_file)!.record_file);
    assert.match(url, /\/recordings\/.+\.wav\?Expires=\d+&Signature=[0-9a-f]{64}$/);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    const wav = readWav(Buffer.from(await res.arrayBuffer()));
    assert.equal(wav.channels, 2);
    assert.equal(wav.sampleRate, 8000);
    // Left = callee, right = platform: compare the channels' levels while each party spoke.
    const raw = Buffer.from(await (await fetch(url)).arrayBuffer());
    const data = raw.subarray(44);
    const level = (fromMs: number, toMs: number, channel: 0 | 1) => {
      const start = Math.max(0, Math.round(((fromMs - record.recordBeginAt!) * 8000) / 1000));
      const end = Math.min(data.length / 4, Math.round(((toMs - record.recordBeginAt!) * 8000) / 1000));
      let sum = 0;
      for (let i = start; i < end; i++) sum += Math.abs(data.readInt16LE(i * 4 + channel * 2));
      return sum / Math.max(1, end - start);
    };
    assert.ok(heard.length >= 1, 'the callee spoke');
    for (const h of heard) {
      const [calleeL, calleeR] = [level(h.beginAt, h.endAt, 0), level(h.beginAt, h.endAt, 1)];
      assert.ok(calleeL > 200 && calleeL > 5 * calleeR, `callee's words: left ${calleeL}, right ${calleeR}`);
    }
    const promptAt = said[0]! + 300;
    const [botL, botR] = [level(promptAt, promptAt + 1200, 0), level(promptAt, promptAt + 1200, 1)];
    assert.ok(botR > 200 && botR > 5 * botL, `the platform's prompt: left ${botL}, right ${botR}`);

    const forged = url.replace(/Signature=[0-9a-f]+/, `Signature=${'0'.repeat(64)}`);
    assert.equal((await fetch(forged)).status, 403);
    const extended = url.replace(/Expires=\d+/, (m) => `Expires=${Number(m.slice(8)) + 86400}`);
    assert.equal((await fetch(extended)).status, 403, 'the expiry is part of the signature');
  });

  test('a failed call sends calling, ringing and its VoiceReport', async () => {
    const r = await e2e.smartCall({ CalledNumber: '13800000003', ...tts('您好') });
    const callId = String(r.body!.CallId);
    await e2e.waitForEnd(callId, 30_000);
    await waitFor(() => receipts.deduplicated(callId).some((x) => x.caller), 10_000, 'the VoiceReport');
    const got = receipts.deduplicated(callId);
    assert.equal(got.map(label).at(-1), 'VoiceReport');
    assert.equal(got.at(-1)!.status_code, '200002');
    assert.equal(got.at(-1)!.start_time, '');
    assert.equal(got.at(-1)!.duration, '0');
  });

  test('receipts that a receiver failed at first arrive on retry, in order, once per id', async () => {
    receipts.failFirst = 2;
    const r = await e2e.smartCall({ CalledNumber: '13800000005', ...tts('您好') });
    const callId = String(r.body!.CallId);
    await e2e.waitForEnd(callId, 30_000);
    await waitFor(
      () => receipts.deduplicated(callId).some((x) => x.caller),
      15_000,
      'the VoiceReport after retries',
    );
    assert.deepEqual(receipts.deduplicated(callId).map(label), ['200101', '200201', 'VoiceReport']);
  });
});
