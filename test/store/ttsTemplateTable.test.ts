/** Migration 5: TTS templates per account, and media found by ID alone across accounts. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';

const store = SqliteStore.inMemory();
after(() => store.close());
const a = store.accounts.create({ name: 'a', now: 1 }).id;
const b = store.accounts.create({ name: 'b', now: 1 }).id;

test('a TTS template is kept per account, listed in order, found by ID alone and removed', () => {
  store.ttsTemplates.insert({ id: 'TTS_2', accountId: a, name: 'two', text: `二\${x}`, createdAt: 2 });
  store.ttsTemplates.insert({ id: 'TTS_1', accountId: a, name: 'one', text: '一', createdAt: 1 });
  assert.deepEqual(
    store.ttsTemplates.listByAccount(a).map((t) => t.id),
    ['TTS_1', 'TTS_2'],
  );
  assert.equal(store.ttsTemplates.find(a, 'TTS_2')?.text, `二\${x}`);
  assert.equal(store.ttsTemplates.find(b, 'TTS_2'), undefined);
  assert.deepEqual(
    store.ttsTemplates.findEverywhere('TTS_2').map((t) => t.accountId),
    [a],
  );
  assert.throws(() =>
    store.ttsTemplates.insert({ id: 'TTS_2', accountId: a, name: 'x', text: 'x', createdAt: 3 }),
  );
  assert.equal(store.ttsTemplates.remove(a, 'TTS_2'), true);
  assert.equal(store.ttsTemplates.remove(a, 'TTS_2'), false);
});

test('voice files and ASR models are found by ID in every account that holds it', () => {
  for (const accountId of [a, b]) {
    store.voiceFiles.insert({ id: 'v.wav', accountId, name: 'v', path: '/v', durationMs: 1, createdAt: 1 });
    store.asrModels.insert({ id: 'm1', accountId, name: 'm', phrases: 'yes', createdAt: 1 });
  }
  assert.deepEqual(
    store.voiceFiles.findEverywhere('v.wav').map((v) => v.accountId),
    [a, b],
  );
  assert.deepEqual(
    store.asrModels.findEverywhere('m1').map((m) => m.accountId),
    [a, b],
  );
  assert.deepEqual(store.voiceFiles.findEverywhere('nope.wav'), []);
});
