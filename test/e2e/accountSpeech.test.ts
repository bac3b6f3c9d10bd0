/**
 * Per-account speech engines reach real calls (fault 5): a call of an account configured with its
 * own ASR engine (`speech.asr.accounts`) streams the callee's audio to that engine, its prompts are
 * spoken by the account's TTS engine (`speech.tts.accounts`), and a call with an AsrModelId uses
 * the configured default remote engine. The remote engines are local peers of their real
 * protocols (Vosk, the NLS gateway); the calls go through the virtual phone network.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ConfigInput } from '../../src/config.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';
import { laneRtpPorts } from '../helpers/lanes.js';
import { tempDir } from '../helpers/tempDir.js';
import { makeTestCa } from '../helpers/testCa.js';
import { type NlsGateway, type NlsMeta, nlsMetaServer } from '../speech/nlsPeers.js';
import { funAsrServer, nlsGateway, type Peer, voskServer } from '../speech/wsPeers.js';

const PERSONAS = join(process.cwd(), 'test/fixtures/e2e/personas.yaml');
const TALKATIVE = '13900000026';

async function start(speech: ConfigInput['speech']): Promise<E2e> {
  const e2e = await startE2e({
    phonenet: { sipPort: 0, ...laneRtpPorts('phonenet'), personasFiles: [PERSONAS] },
    speech,
  });
  // Any turn ends the call: the test is about which engines the call used.
  e2e.callbacks.script = (cb) =>
    cb.contentType === 'normal' ? { action: 'hangup' } : { action: 'donothing' };
  return e2e;
}

async function call(e2e: E2e, params: Record<string, string>) {
  const r = await e2e.smartCall({
    CalledNumber: TALKATIVE,
    VoiceCode: '$t$',
    VoiceCodeParam: JSON.stringify({ t: '您好，这里是测试' }),
    SessionTimeout: '20',
    ...params,
  });
  assert.equal(r.code, 'OK', JSON.stringify(r));
  return e2e.waitForEnd(String(r.body!.CallId), 60_000);
}

describe("an account's own ASR and TTS engines", () => {
  let asr: Peer;
  let tts: Peer;
  let e2e: E2e;
  before(async () => {
    asr = await voskServer();
    tts = await nlsGateway();
    e2e = await start({
      asr: { engines: { acmeAsr: { type: 'vosk', url: asr.url } }, accounts: { demo: 'acmeAsr' } },
      tts: {
        engines: { acmeTts: { type: 'nls', url: tts.url, appKey: 'k', token: 'good-token' } },
        accounts: { demo: 'acmeTts' },
      },
    } as ConfigInput['speech']);
  });
  after(async () => {
    await e2e?.close();
    await asr?.close();
    await tts?.close();
  });

  test("the callee's audio goes to the account's ASR engine, the prompt comes from its TTS engine", async () => {
    const probed = asr.audioBytes(); // the start-up probe's test task sends a little silence
    const record = await call(e2e, {});
    assert.equal(record.state, 'ended');
    assert.ok(asr.audioBytes() > probed, "the account's recognizer heard the call");
    // (The first StartSynthesis is the start-up probe's.)
    const synthesis = tts.received.find(
      (m) =>
        (m.header as { name?: string } | undefined)?.name === 'StartSynthesis' &&
        /这里是测试/.test(JSON.stringify(m.payload)),
    );
    assert.ok(synthesis, `the account's synthesizer spoke: ${JSON.stringify(tts.received)}`);
  });
});

describe('a call with an AsrModelId and a default remote engine', () => {
  let asr: Peer;
  let e2e: E2e;
  before(async () => {
    asr = await voskServer();
    e2e = await start({
      asr: { engines: { cloud: { type: 'vosk', url: asr.url } }, default: 'cloud' },
    } as ConfigInput['speech']);
    const account = e2e.running.store.accounts.findByName('demo')!;
    e2e.running.store.asrModels.insert({
      id: 'model-1',
      accountId: account.id,
      name: 'greetings',
      phrases: '你好\n不需要\n',
      createdAt: Date.now(),
    });
  });
  after(async () => {
    await e2e?.close();
    await asr?.close();
  });

  test('uses the default remote engine, not the embedded one', async () => {
    const probed = asr.audioBytes(); // the start-up probe's test task sends a little silence
    const record = await call(e2e, { AsrModelId: 'model-1' });
    assert.equal(record.state, 'ended');
    assert.ok(asr.audioBytes() > probed, 'the default engine heard the call');
  });
});

describe('a call through a FunASR runtime over WSS', () => {
  let asr: Peer;
  let e2e: E2e;
  let dir: { path: string; remove(): void };
  before(async () => {
    dir = tempDir('funasr-e2e-');
    const ca = makeTestCa(dir.path, ['localhost'], ['127.0.0.1']);
    asr = await funAsrServer({
      tls: { key: ca.key, cert: ca.cert },
      speechGated: true,
      sentences: [{ increments: ['你', '好呀'], text: '你好呀' }], // not what the embedded model would say
    });
    e2e = await start({
      asr: {
        engines: { far: { type: 'funasr', url: asr.url, caFile: ca.caFile } },
        accounts: { demo: 'far' },
      },
    } as ConfigInput['speech']);
  });
  after(async () => {
    await e2e?.close();
    await asr?.close();
    dir?.remove();
  });

  test("the callee's words reach the callback through the engine", async () => {
    const record = await call(e2e, {});
    assert.equal(record.state, 'ended');
    const normal = e2e.callbacks.received.filter((c) => c.contentType === 'normal');
    assert.ok(
      normal.some((c) => c.content.words === '你好呀'),
      `normal callbacks: ${JSON.stringify(normal.map((c) => c.content))}`,
    );
    assert.equal(
      asr.received.filter((m) => 'audio_fs' in m).at(-1)!.audio_fs,
      16000,
      "the call's start message",
    );
  });
});

describe('a call through Alibaba NLS with tokens from CreateToken', () => {
  let gw: NlsGateway;
  let meta: NlsMeta;
  let e2e: E2e;
  before(async () => {
    gw = await nlsGateway({ sentences: ['你好呀'] }); // not what the embedded model would say
    meta = await nlsMetaServer({ keys: { LTAI5tE2E: 'e2e-secret' }, gateway: gw });
    const nls = {
      type: 'nls',
      url: gw.url,
      appKey: 'app',
      accessKeyId: 'LTAI5tE2E',
      accessKeySecret: 'e2e-secret',
      tokenEndpoint: meta.url,
    };
    e2e = await start({
      asr: { engines: { aliyun: nls }, accounts: { demo: 'aliyun' } },
      tts: { engines: { aliyun: nls }, accounts: { demo: 'aliyun' } },
    } as ConfigInput['speech']);
  });
  after(async () => {
    await e2e?.close();
    await gw?.close();
    await meta?.close();
  });

  test("the prompt is NLS's voice and the callee's words reach the callback", async () => {
    const record = await call(e2e, {});
    assert.equal(record.state, 'ended');
    const normal = e2e.callbacks.received.filter((c) => c.contentType === 'normal');
    assert.ok(
      normal.some((c) => c.content.words === '你好呀'),
      `normal callbacks: ${JSON.stringify(normal.map((c) => c.content))}`,
    );
    assert.ok(gw.starts('StartSynthesis').some((p) => /这里是测试/.test(String(p.text))));
    assert.equal(gw.starts('StartTranscription').at(-1)!.sample_rate, 8000);
    assert.equal(meta.issued.length, 1, 'one token for the probes and the call');
    assert.equal(gw.refusedUpgrades(), 0);
  });
});
