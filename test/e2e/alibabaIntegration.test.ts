/**
 * Issue 11, "done when": an integration written for Alibaba Cloud (test/fixtures/e2e/alibabaIntegration.ts,
 * the code README.md shows) runs unchanged against smartcall in embedded mode. The operator sets up
 * through the real CLI what the integration names — a voice file under its Alibaba ID, the ASR model
 * and TTS template IDs, one receipt URL per MessageType, STS credentials — and the integration's
 * SmartCall (a network prompt by host name, a `$name$` variable, TtsStyle xiaoyan) talks to a
 * cooperative virtual callee through its own callback handler and receipt receivers.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeWav } from '../../src/media/wavWriter.js';
import type { PersonaCallResult } from '../../src/phonenet/personaCall.js';
import { smartcallAsync } from '../cli/cliHarness.js';
import {
  onCallback,
  onReceipts,
  queryCall,
  remind,
  type Settings,
} from '../fixtures/e2e/alibabaIntegration.js';
import { chirp, pcmWav } from '../helpers/audio.js';
import { TestDnsServer } from '../helpers/dnsServer.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';

const VOICE_ID = '2d4c-4e78-8d2a-afbb06cf0001.wav';
const CALLEE = '13800000001'; // cooperative-zh: says 你好, then 是的, each after a prompt ends

let e2e: E2e;
const dns = new TestDnsServer();
const servers: Server[] = [];
const fetched: string[] = [];
const words: string[] = [];
const callReports: Record<string, string>[] = [];
const voiceReports: Record<string, string>[] = [];

async function listen(handler: RequestListener): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** `smartcall --data-dir <the running smartcall's> admin …`, as the operator types it. */
async function admin(...args: string[]): Promise<string> {
  const r = await smartcallAsync(['--data-dir', e2e.dataDir, 'admin', ...args]);
  assert.equal(r.status, 0, `admin ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function waitFor<T>(get: () => T | undefined, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    assert.ok(Date.now() < until, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let settings: Settings;

before(async () => {
  const tone = new Int16Array(8000);
  for (let i = 0; i < tone.length; i++) tone[i] = Math.round(6000 * Math.sin((2 * Math.PI * 660 * i) / 8000));
  const promptPort = await listen((req, res) => {
    fetched.push(`${req.headers.host}${req.url}`);
    res.writeHead(200, { 'content-type': 'audio/wav' }).end(encodeWav([tone], 8000));
  });
  dns.records.set('prompts.test', ['127.0.0.1']);
  e2e = await startE2e({
    sip: { udpPort: 0, tcpPort: 0, t1Ms: 200, dnsServers: [await dns.start()] },
    media: { urlAllowlist: ['prompts.test'] },
  });
  const callbackPort = await listen(onCallback((_callId, w) => words.push(w)));
  const callReportPort = await listen(onReceipts((batch) => callReports.push(...batch)));
  const voiceReportPort = await listen(onReceipts((batch) => voiceReports.push(...batch)));

  // The operator's set-up, the README's commands.
  const dir = e2e.dataDir;
  writeFileSync(join(dir, 'greeting.wav'), pcmWav(chirp(0.8, 300, 900, 3)));
  writeFileSync(join(dir, 'voices.json'), JSON.stringify([{ id: VOICE_ID, file: 'greeting.wav' }]));
  writeFileSync(join(dir, 'phrases.txt'), '你好\n是的\n好的，可以\n不需要\n');
  await admin('account', 'create', '--name', 'acme');
  await admin('number', 'add', '--account', 'acme', '--number', '057188880001');
  await admin('callback', 'set', '--account', 'acme', '--url', `http://127.0.0.1:${callbackPort}/smartcall`);
  await admin('voice', 'import', '--account', 'acme', '--manifest', join(dir, 'voices.json'));
  await admin(
    'asr-model',
    'create',
    '--account',
    'acme',
    '--name',
    'courier',
    '--phrases-file',
    join(dir, 'phrases.txt'),
    '--id',
    '2070aca1eff146f9a7bc826f1c3d0001',
  );
  await admin(
    'tts-template',
    'add',
    '--account',
    'acme',
    '--id',
    'TTS_171950027',
    '--text',
    `我们将在\${time}为您派送`,
  );
  const receipts = (type: string, port: number) =>
    admin(
      'receipts',
      'set',
      '--account',
      'acme',
      '--type',
      type,
      '--url',
      `http://127.0.0.1:${port}/${type}`,
    );
  await receipts('VoiceCallReport', callReportPort);
  await receipts('VoiceReport', voiceReportPort);
  const sts = JSON.parse(await admin('sts', 'create', '--account', 'acme', '--ttl', '3600', '--json'));

  settings = {
    endpoint: e2e.endpoint,
    protocol: 'http',
    sts: {
      accessKeyId: sts.accessKeyId,
      accessKeySecret: sts.accessKeySecret,
      securityToken: sts.securityToken,
    },
    showNumber: '057188880001',
    promptUrl: `http://prompts.test:${promptPort}/chime.wav`,
  };
});

after(async () => {
  await e2e?.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await dns.close();
});

test('the Alibaba integration places its SmartCall with STS credentials, holds the conversation and gets its receipts', async () => {
  const played: { callId: string; code: string; texts: string[] }[] = [];
  const onSaid = (e: { callId: string; code: string; texts: string[] }) => played.push(e);
  e2e.running.events.on('said', onSaid);

  const accepted = await remind(settings, CALLEE, '张先生');
  assert.equal(accepted.Code, 'OK', JSON.stringify(accepted));
  const callId = accepted.CallId!;
  const record = await e2e.waitForEnd(callId, 40_000);
  e2e.running.events.off('said', onSaid);
  const said = played.filter((e) => e.callId === callId);

  assert.equal(record.state, 'ended');
  assert.equal(record.statusCode, '200000', String(record.statusMsg));
  assert.ok(record.answerAt !== null, 'answered');
  assert.equal(record.hangupDirection, '机器', 'the integration hung up (its hangup reply)');

  // The platform played the opening (file, network prompt, $name$), the template, then the goodbye.
  const opening = `${VOICE_ID},${settings.promptUrl},$name$`;
  assert.deepEqual(
    said.map((s) => s.code),
    [opening, 'TTS_171950027', '$bye$'],
  );
  assert.ok(said[0]!.texts.includes('张先生您好，您的快递到了'), JSON.stringify(said[0]));
  assert.ok(said[1]!.texts.includes('我们将在下午三点为您派送'), JSON.stringify(said[1]));
  assert.deepEqual(fetched, [`prompts.test:${settings.promptUrl.split(':')[2]}`]);
  assert.ok(dns.queries.includes('prompts.test'));

  // The callee heard each prompt; the opening at least as long as its two audio files together.
  const carrier = e2e.running.phonenet!.carrier;
  const callee: PersonaCallResult = await waitFor(
    () => carrier.recentCalls.filter((c) => c.number === CALLEE).at(-1),
    10_000,
    'the callee to finish its call',
  );
  const heard = callee.events.filter((e) => e.type === 'heard') as unknown as {
    startMs: number;
    endMs: number;
  }[];
  assert.ok(heard.length >= 3, `heard ${JSON.stringify(heard)}`);
  assert.ok(heard[0]!.endMs - heard[0]!.startMs >= 1800, `the opening lasted ${JSON.stringify(heard[0])}`);

  // The integration's callback got the callee's words, one normal callback per sentence.
  assert.deepEqual(words, ['你好', '是的']);

  // Each MessageType at its own URL.
  const report = await waitFor(
    () => voiceReports.find((r) => r.call_id === callId),
    10_000,
    'the VoiceReport',
  );
  await waitFor(
    () => (callReports.some((r) => r.status_code === '200100') ? true : undefined),
    10_000,
    'the VoiceCallReport of the end',
  );
  assert.deepEqual(
    callReports.map((r) => r.status_code),
    ['200101', '200201', '200102', '200100'],
  );
  assert.ok(
    callReports.every((r) => r.call_id === callId && !('caller' in r)),
    'only VoiceCallReports here',
  );
  assert.equal(voiceReports.length, 1, 'only the VoiceReport there');
  assert.equal(report.status_code, '200000');
  assert.equal(report.callee, CALLEE);
  assert.equal(report.caller, '057188880001');

  // The final state through the same client.
  const detail = await queryCall(settings, callId);
  assert.equal(detail.Code, 'OK', JSON.stringify(detail));
  const data = JSON.parse(detail.Data!);
  assert.equal(data.state, '200000');
  assert.equal(data.callee, CALLEE);
  assert.equal(data.caller, '057188880001');
  assert.ok(data.duration >= 1, JSON.stringify(data));
});

test('README.md shows exactly the integration this test runs', () => {
  const readme = readFileSync('README.md', 'utf8');
  const integration = readFileSync('test/fixtures/e2e/alibabaIntegration.ts', 'utf8');
  assert.ok(
    readme.includes('```ts\n' + integration + '```\n'),
    'the README section quotes the file verbatim',
  );
});
