/**
 * Network prompt files in whole SmartCalls (issue 11 items 5 and 6): a VoiceCode URL by host name,
 * resolved through `sip.dnsServers` (a test DNS server on 127.0.0.1) and allowlisted, is played; a
 * name that resolves to loopback without an allowlist entry, or a file that does not decode, ends
 * the answered call with 200006 and a status_msg naming why — never an OK followed by silence.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { encodeWav } from '../../src/media/wavWriter.js';
import { TestDnsServer } from '../helpers/dnsServer.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';

describe('network prompt files in SmartCalls', { concurrency: true }, () => {
  let e2e: E2e;
  const dns = new TestDnsServer();
  let files: Server;
  let port = 0;
  const fetched: string[] = [];
  const hangUp = new Set<string>();

  before(async () => {
    const tone = new Int16Array(16000);
    for (let i = 0; i < tone.length; i++)
      tone[i] = Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / 16000));
    files = createServer((req, res) => {
      fetched.push(`${req.headers.host}${req.url}`);
      if (req.url === '/hello.wav')
        res.writeHead(200, { 'content-type': 'audio/wav' }).end(encodeWav([tone], 16000));
      else res.writeHead(200, { 'content-type': 'audio/wav' }).end('not a wav file');
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    port = (files.address() as AddressInfo).port;
    dns.records.set('prompts.test', ['127.0.0.1']);
    dns.records.set('evil.test', ['127.0.0.1']);
    e2e = await startE2e({
      sip: { udpPort: 0, tcpPort: 0, t1Ms: 200, dnsServers: [await dns.start()] },
      media: { urlAllowlist: ['prompts.test'] },
    });
    // Only the call with a playable prompt is hung up by the business; the others must end by themselves.
    e2e.callbacks.script = (cb) => (hangUp.has(cb.callId) ? { action: 'hangup' } : { action: 'donothing' });
  });
  after(async () => {
    await e2e?.close();
    files.closeAllConnections();
    await new Promise((r) => files.close(r));
    await dns.close();
  });

  async function call(voiceCode: string, businessHangsUp = false) {
    const r = await e2e.smartCall({ CalledNumber: '13800000001', VoiceCode: voiceCode });
    assert.equal(r.code, 'OK', JSON.stringify(r));
    const callId = String(r.body!.CallId);
    if (businessHangsUp) hangUp.add(callId);
    return e2e.waitForEnd(callId, 40_000);
  }

  /** The platform hung up at once: no silence after the answer, no callback needed. */
  function endedAtOnce(record: {
    answerAt: number | null;
    endAt: number | null;
    hangupDirection: string | null;
  }) {
    assert.ok(record.answerAt !== null && record.endAt !== null, 'answered and ended');
    assert.ok(
      record.endAt - record.answerAt < 3000,
      `ended ${record.endAt - record.answerAt} ms after the answer`,
    );
    assert.equal(record.hangupDirection, '机器');
  }

  test('an allowlisted host name is resolved by the configured DNS server and played', async () => {
    const record = await call(`http://prompts.test:${port}/hello.wav`, true);
    assert.ok(fetched.includes(`prompts.test:${port}/hello.wav`));
    assert.equal(record.state, 'ended');
    assert.equal(record.statusCode, '200000', String(record.statusMsg));
  });

  test('a name resolving to 127.0.0.1 without an allowlist entry ends the call with 200006 naming the refusal', async () => {
    const url = `http://evil.test:${port}/hello.wav`;
    const record = await call(url);
    assert.ok(!fetched.some((f) => f.startsWith('evil.test')), 'nothing was requested');
    assert.equal(record.statusCode, '200006');
    assert.equal(record.smartStatusCode, 'ANSWERED');
    assert.equal(record.statusMsg, `放音失败: REFUSED ${url}`);
    endedAtOnce(record);
  });

  test('a file that does not decode ends the call with 200006', async () => {
    const url = `http://prompts.test:${port}/broken.wav`;
    const record = await call(url);
    assert.equal(record.statusCode, '200006');
    assert.equal(record.statusMsg, `放音失败: DECODE ${url}`);
    endedAtOnce(record);
  });
});
