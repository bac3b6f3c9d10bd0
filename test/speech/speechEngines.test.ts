import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspectSherpaModel, SherpaModelError } from '../../src/speech/adapters/sherpaModel.js';
import { parseSpeechConfig } from '../../src/speech/speechConfig.js';
import { AsrModelError, SpeechEngines } from '../../src/speech/speechEngines.js';
import type { AsrModelRecord } from '../../src/store/records.js';

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

  test('a model folder without the expected files is explained', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sherpa-'));
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
