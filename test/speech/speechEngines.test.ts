import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/observability/logger.js';
import { inspectSherpaModel, SherpaModelError } from '../../src/speech/adapters/sherpaModel.js';
import type { AsrEvent } from '../../src/speech/asr.js';
import { parseSpeechConfig } from '../../src/speech/speechConfig.js';
import { AsrModelError, SpeechEngines } from '../../src/speech/speechEngines.js';
import type { AsrModelRecord } from '../../src/store/records.js';
import { type NlsGateway, nlsGateway } from './nlsPeers.js';

describe('SpeechEngines', () => {
  let engines: SpeechEngines;
  const models: AsrModelRecord[] = [
    { id: 'a'.repeat(32), accountId: 1, name: 'survey', phrases: '满意\n不满意\nsatisfied', createdAt: 1 },
  ];
  before(async () => {
    const config = parseSpeechConfig({
      asr: {
        engines: {
          local: { type: 'sherpa', modelDir: join(tmpdir(), 'no-such-model-folder') },
          far: { type: 'funasr', url: 'ws://127.0.0.1:1', timeoutMs: 500 },
        },
        baseModels: { customer_service_8k: 'local' },
        accounts: { acme: 'far' },
      },
    });
    engines = await SpeechEngines.start({
      config,
      withoutTts: true,
      asrModels: { find: (accountId, id) => models.find((m) => m.accountId === accountId && m.id === id) },
    });
  });
  after(async () => {
    await engines.close();
  });

  test('a missing sherpa model folder and an unreachable server are reported at start-up', () => {
    const local = engines.health.find((h) => h.name === 'local')!;
    assert.equal(local.ok, false);
    assert.match(local.detail!, /model folder .*no-such-model-folder does not exist/);
    const far = engines.health.find((h) => h.name === 'far')!;
    assert.equal(far.ok, false);
    assert.match(far.detail!, /ws:\/\/127\.0\.0\.1:1/);
    assert.ok(engines.health.find((h) => h.name === 'embedded' && h.role === 'asr')!.ok);
  });

  test('calls fall back to the embedded phrase recognizer when the configured engine is down', () => {
    assert.equal(engines.asr({ asrBaseId: 'customer_service_8k' }).name, 'phrase:customer_service_8k');
    assert.equal(engines.asr({ accountName: 'acme' }).name, 'phrase:customer_service_8k');
    assert.equal(
      engines.asr({ asrBaseId: 'dialect_customer_service_8k' }).name,
      'phrase:dialect_customer_service_8k',
    );
  });

  test("an account's phrase model is selected by AsrModelId", () => {
    assert.equal(engines.asr({ accountId: 1, asrModelId: 'a'.repeat(32) }).name, 'phrase:survey');
  });

  test('unknown base models and other accounts’ models are refused with the API’s codes', () => {
    assert.throws(
      () => engines.asr({ asrBaseId: 'klingon_8k' }),
      (e: unknown) => {
        return e instanceof AsrModelError && e.code === 'isv.INVALID_PARAMETERS';
      },
    );
    assert.throws(
      () => engines.asr({ accountId: 2, asrModelId: 'a'.repeat(32) }),
      (e: unknown) => {
        return e instanceof AsrModelError && e.code === 'isv.ASR_MODEL_ERROR';
      },
    );
  });

  test('a model folder without the expected files is explained', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sherpa-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    assert.throws(() => inspectSherpaModel(dir), SherpaModelError);
    assert.throws(() => inspectSherpaModel(dir), /has no tokens\.txt/);
  });

  test('the config refuses an NLS engine without credentials', () => {
    assert.throws(
      () => parseSpeechConfig({ asr: { engines: { x: { type: 'nls', appKey: 'k' } } } }),
      /needs token, or accessKeyId and accessKeySecret/,
    );
  });
});

describe('SpeechEngines with NLS engines', () => {
  let gw: NlsGateway;
  let engines: SpeechEngines;
  const logged: string[] = [];
  let log: ReturnType<typeof createLogger>;
  const models: AsrModelRecord[] = [
    { id: 'model-x', accountId: 1, name: 'survey', phrases: '满意\n不满意', createdAt: 1 },
  ];
  before(async () => {
    gw = await nlsGateway({
      appKeys: ['app'],
      tokens: new Map([['console-token', Number.POSITIVE_INFINITY]]),
    });
    const nls = { type: 'nls', url: gw.url, token: 'console-token', timeoutMs: 2000 } as const;
    const config = parseSpeechConfig({
      asr: {
        engines: {
          aliyun: {
            ...nls,
            appKey: 'app',
            vocabularyId: 'v-engine',
            models: { 'model-x': { vocabularyId: 'v-model' } },
          },
          typo: { ...nls, appKey: 'typo' },
        },
        default: 'aliyun',
      },
      tts: { engines: { voice: { ...nls, appKey: 'app' } }, default: 'voice' },
    });
    const destination = new Writable({
      write(chunk, _enc, done) {
        logged.push(String(chunk));
        done();
      },
    });
    log = createLogger({ destination });
    engines = await SpeechEngines.start({
      config,
      log,
      asrModels: { find: (accountId, id) => models.find((m) => m.accountId === accountId && m.id === id) },
    });
  });
  after(async () => {
    await engines?.close();
    await gw?.close();
  });

  test('the probe runs a task: a wrong appkey is reported down, the right one up', () => {
    assert.equal(engines.health.find((h) => h.name === 'aliyun')!.ok, true);
    const typo = engines.health.find((h) => h.name === 'typo')!;
    assert.equal(typo.ok, false);
    assert.match(typo.detail!, /40020105 Meta:APPKEY_NOT_EXIST/);
    assert.equal(engines.health.find((h) => h.name === 'voice' && h.role === 'tts')!.ok, true);
    assert.ok(logged.some((l) => /"engine":"aliyun".*fixed token: a console token expires 24 h/.test(l)));
  });

  test('vocabulary_id comes from the ASR model, else from the engine', async () => {
    for (const [selection, expected] of [
      [{ accountId: 1, asrModelId: 'model-x' }, 'v-model'],
      [{ asrBaseId: 'customer_service_8k' }, 'v-engine'],
    ] as const) {
      const engine = engines.asr(selection);
      assert.equal(engine.name, 'nls');
      const stream = engine.createStream({ onEvent: () => {} });
      stream.write(new Int16Array(160));
      await stream.finish();
      assert.equal(gw.starts('StartTranscription').at(-1)!.vocabulary_id, expected);
    }
  });

  test('once the gateway refuses the console token, calls use the embedded engines', async () => {
    assert.equal(engines.tts().name, 'nls');
    gw.tokens.set('console-token', Date.now() - 1);
    const events: AsrEvent[] = [];
    const stream = engines.asr().createStream({ onEvent: (e) => events.push(e), log });
    stream.write(new Int16Array(160));
    for (let i = 0; i < 100 && !logged.some((l) => /falls back/.test(l)); i++)
      await new Promise((r) => setTimeout(r, 20));
    await stream.finish();
    // The failure is no sentence of the callee's: logged, and the stream goes on with the embedded engine.
    assert.deepEqual(events, []);
    assert.ok(logged.some((l) => /reconnecting with a fresh task/.test(l) && /has expired/.test(l)));
    assert.ok(logged.some((l) => /this call falls back to the embedded engine/.test(l)));
    assert.equal(engines.asr().name, 'phrase:customer_service_8k');
    assert.notEqual(engines.tts().name, 'nls');
    assert.ok(logged.some((l) => /NLS token refused/.test(l)));
  });
});
