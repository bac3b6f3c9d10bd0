/** A TTS template named in a VoiceCode / action_code is spoken with its ${var} filled in. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { PcmSource } from '../../src/media/pcmSource.js';
import { NetworkFiles } from '../../src/media-library/networkFiles.js';
import { PromptBuilder, type SpeechSettings } from '../../src/media-library/promptBuilder.js';
import { fillTemplate, TtsTemplateError, TtsTemplates } from '../../src/media-library/ttsTemplates.js';
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
const other = store.accounts.create({ name: 'other', now: 1 }).id;
const templates = new TtsTemplates(store, () => 2);
templates.add(acme, {
  id: 'TTS_171950027',
  text: `您好\${name}，您的订单\${order}已发货，\${name}请注意查收`,
});
templates.add(other, { id: 'TTS_200000001', text: '别的账号的模板' });

const spoken: string[] = [];
const prompts = new PromptBuilder({
  store,
  networkFiles: new NetworkFiles({
    cacheDir: dir.path,
    maxBytes: 1 << 20,
    timeoutMs: 1000,
    allowPrivate: true,
  }),
  tts: {
    speak(text: string) {
      spoken.push(text);
      return new PcmSource(new Int16Array(80));
    },
  },
  log: silentLogger(),
});
const speech: SpeechSettings = { voice: 'xiaoyun', volume: 0, speed: 0 };

test(`a template ID becomes its text with every \${var} filled, spoken once`, () => {
  spoken.length = 0;
  const { items } = prompts.build(
    acme,
    'TTS_171950027,$tail$',
    { name: '张三', order: 'A-42', tail: '再见' },
    speech,
  );
  assert.deepEqual(spoken, ['您好张三，您的订单A-42已发货，张三请注意查收', '再见']);
  assert.deepEqual(
    items.map((i) => i.text),
    ['您好张三，您的订单A-42已发货，张三请注意查收', '再见'],
  );
  assert.deepEqual(items[0]!.item, { kind: 'file', id: 'TTS_171950027' });
});

test("a template with a missing variable, or another account's template, is skipped", () => {
  spoken.length = 0;
  assert.deepEqual(prompts.build(acme, 'TTS_171950027', { name: '张三' }, speech).items, []);
  assert.deepEqual(prompts.build(acme, 'TTS_200000001', {}, speech).items, []);
  assert.deepEqual(spoken, []);
});

test('fillTemplate names every missing variable; a malformed placeholder is refused at add', () => {
  assert.deepEqual(fillTemplate(`\${a}和\${b}`, {}), { missing: ['a', 'b'] });
  assert.throws(
    () => templates.add(acme, { id: 'TTS_3', text: `您好\${na me}` }),
    (e: Error) => e instanceof TtsTemplateError && /malformed placeholder/.test(e.message),
  );
  assert.throws(() => templates.add(acme, { id: 'TTS_171950027', text: 'x' }), /already exists/);
  assert.throws(() => templates.add(other, { id: 'TTS_171950027', text: 'x' }), /already exists/);
  assert.throws(() => templates.add(acme, { id: 'tts-1', text: 'x' }), /TTS_/);
});
