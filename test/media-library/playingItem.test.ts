/**
 * `current_media_code` names the VoiceCode item that sounds now (spec §4.3, issue 11 item 7): a
 * built prompt tells which of its items the playout is reading, skipped items not counted.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { voiceCodeItemText } from '../../src/contract/voiceCode.js';
import { PcmSource } from '../../src/media/pcmSource.js';
import { NetworkFiles } from '../../src/media-library/networkFiles.js';
import { PromptBuilder } from '../../src/media-library/promptBuilder.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { tempDir } from '../helpers/tempDir.js';

const dir = tempDir();
const store = SqliteStore.inMemory();
after(() => {
  store.close();
  dir.remove();
});
const acme = store.accounts.create({ name: 'acme', now: 1 }).id;
const prompts = new PromptBuilder({
  store,
  networkFiles: new NetworkFiles({
    cacheDir: dir.path,
    maxBytes: 1 << 20,
    timeoutMs: 1000,
    allowPrivate: true,
  }),
  tts: { speak: () => new PcmSource(new Int16Array(320)) },
  log: silentLogger(),
});

test('the item playing moves through the sequence as the playout reads it, skipped items left out', async () => {
  const built = prompts.build(
    acme,
    '$a$,$missing$,$b$',
    { a: '您好', b: '再见' },
    { voice: 'xiaoyun', volume: 0, speed: 0 },
  );
  await new Promise((r) => setImmediate(r));
  const playing = () => {
    const item = built.playing?.();
    return item && voiceCodeItemText(item);
  };
  const frame = new Int16Array(160);
  assert.equal(playing(), '$a$', 'the first item, before a sample is read');
  built.source.read(frame, 0, 160);
  assert.equal(playing(), '$a$');
  built.source.read(frame, 0, 160);
  assert.equal(playing(), '$b$', 'the variable without a value is skipped');
  built.source.read(frame, 0, 160);
  built.source.read(frame, 0, 160);
  assert.equal(built.source.done, true);
  assert.equal(playing(), undefined, 'nothing once the sequence is over');
});

test('items are named as a VoiceCode writes them', () => {
  assert.equal(voiceCodeItemText({ kind: 'tts', name: 'name' }), '$name$');
  assert.equal(
    voiceCodeItemText({ kind: 'file', id: '2d4c-4e78-8d2a-afbb06cf0001.wav' }),
    '2d4c-4e78-8d2a-afbb06cf0001.wav',
  );
  assert.equal(voiceCodeItemText({ kind: 'url', url: 'http://127.0.0.1/a.wav' }), 'http://127.0.0.1/a.wav');
});
