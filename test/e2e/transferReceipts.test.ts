/**
 * Receipts of a call that hands the callee on (spec §5.1, §5.3, §6.1), whole and over real HTTP:
 * VoiceCallReports and VoiceReports each reach their own URL, one MessageType per batch; a blind
 * transfer's leg gets its own VoiceReport (`voice_type` `smart_transfer`); a parallel leg's end is
 * the call's `parallel_leg_hangup_cause`; QueryCallDetailByCallId gives the A leg and `stateDesc`.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { callAction } from '../helpers/aliClients.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';
import { laneRtpPorts } from '../helpers/lanes.js';

type Receipt = Record<string, string | number>;

/** A business endpoint for one kind of receipt: keeps every batch. */
class Receiver {
  readonly batches: Receipt[][] = [];
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
        res.end('{"code":0,"msg":"接收成功"}');
      });
    });
  }
  async start() {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.port = (this.#server.address() as AddressInfo).port;
  }
  get url() {
    return `http://127.0.0.1:${this.port}/receipts`;
  }
  forCall(callId: string): Receipt[] {
    return this.batches.flat().filter((r) => r.call_id === callId);
  }
  async close() {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }
}

const tts = (text: string) => ({ VoiceCode: '$t$', VoiceCodeParam: JSON.stringify({ t: text }) });
const isReport = (r: Receipt) => 'caller' in r;

async function waitFor(cond: () => boolean, ms: number, what: string) {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('receipts of transferred calls', () => {
  let e2e: E2e;
  const progress = new Receiver();
  const reports = new Receiver();
  before(async () => {
    await progress.start();
    await reports.start();
    e2e = await startE2e({
      calls: { callCenters: { aliyun_cc: '13900000028' } },
      receipts: { timeoutMs: 700, retryDelaysSeconds: [1, 1, 1] },
      phonenet: {
        sipPort: 0,
        ...laneRtpPorts('phonenet'),
        personasFiles: [join(process.cwd(), 'test/fixtures/e2e/personas.yaml')],
      },
    });
    e2e.admin.setReceipts('demo', { type: 'VoiceCallReport', url: progress.url });
    e2e.admin.setReceipts('demo', { type: 'VoiceReport', url: reports.url });
  });
  after(async () => {
    await e2e.close();
    await progress.close();
    await reports.close();
  });

  test('a blind transfer: the leg has its own smart_transfer VoiceReport; each type reaches its own URL', async () => {
    e2e.callbacks.script = (cb) =>
      cb.contentType === 'mute' ? { action: 'transfer', number: '13900000028' } : { action: 'donothing' };
    const r = await e2e.smartCall({
      CalledNumber: '13900000027',
      ...tts('您好，正在为您转接人工'),
      MuteTime: '1000',
      OutId: 'xfer-1',
    });
    const callId = String(r.body!.CallId);
    const record = await e2e.waitForEnd(callId, 40_000);
    assert.equal(record.state, 'ended');
    await waitFor(() => reports.forCall(callId).length >= 2, 10_000, 'two VoiceReports');
    const [legReport, ...others] = reports.forCall(callId).filter((x) => x.voice_type === 'smart_transfer');
    const callReport = reports.forCall(callId).find((x) => x.voice_type === 'voice');
    assert.ok(legReport && callReport, 'the call and its transfer leg each have a VoiceReport');
    assert.equal(others.length, 0, 'one report per leg');
    assert.equal(legReport.callee, '13900000028');
    assert.equal(legReport.caller, e2e.displayNumber);
    assert.equal(legReport.out_id, 'xfer-1');
    assert.equal(legReport.status_code, '200000');
    assert.equal(legReport.hangup_direction, '用户', 'the agent hung up');
    assert.match(String(legReport.start_time), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.ok(Number(legReport.duration) >= 5, `talked a while: ${legReport.duration}`);
    assert.notEqual(legReport.receipt_id, callReport.receipt_id);
    assert.ok(!('parallel_leg_hangup_cause' in callReport), 'no parallel leg');
    assert.ok(progress.forCall(callId).length >= 4, 'the VoiceCallReports went to their own URL');
    assert.ok(
      progress.batches.flat().every((x) => !isReport(x)),
      'no VoiceReport at the VoiceCallReport URL',
    );
    assert.ok(reports.batches.flat().every(isReport), 'only VoiceReports at the VoiceReport URL');
  });

  test('a parallel leg: its end is the call’s parallel_leg_hangup_cause; QueryCallDetailByCallId gives the A leg', async () => {
    e2e.callbacks.script = (cb) =>
      cb.contentType === 'mute' &&
      !e2e.callbacks.forCall(cb.callId).some((c) => c.contentType === 'parallel_transfer')
        ? { action: 'parallel_transfer', cc_name: 'aliyun_cc', dynamic_id: 'xfer' }
        : { action: 'donothing', mute_time: 20000 };
    const r = await e2e.smartCall({
      CalledNumber: '13900000027',
      ...tts('您好'),
      MuteTime: '1000',
      SessionTimeout: '14',
    });
    const callId = String(r.body!.CallId);
    const record = await e2e.waitForEnd(callId, 40_000);
    assert.equal(record.state, 'ended');
    await waitFor(() => reports.forCall(callId).length >= 2, 10_000, 'two VoiceReports');
    const callReport = reports.forCall(callId).find((x) => x.voice_type === 'voice')!;
    const legReport = reports.forCall(callId).find((x) => x.voice_type === 'smart_transfer')!;
    assert.equal(callReport.parallel_leg_hangup_cause, '200000', 'the agent answered and hung up');
    assert.equal(legReport.callee, '13900000028');
    assert.equal(legReport.status_code, '200000');

    const q = await callAction(
      'core',
      { endpoint: e2e.endpoint, accessKeyId: e2e.accessKeyId, accessKeySecret: e2e.accessKeySecret },
      'QueryCallDetailByCallId',
      { CallId: callId, ProdId: '11030000180001', QueryDate: String(Date.now()) },
    );
    const data = JSON.parse(String(q.body!.Data)) as Record<string, string | number>;
    assert.equal(data.state, '200000');
    assert.equal(data.stateDesc, '200000');
    assert.equal(data.aRingTime, callReport.originate_time);
    assert.equal(data.aEndTime, callReport.start_time);
  });
});
