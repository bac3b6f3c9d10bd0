/**
 * A prompt item that cannot be fetched or decoded is visible (issue 11 item 6): it is logged with
 * its URL and why, and when the playout reaches it the caller learns it (the call then ends with
 * 200006) — the items before it play first.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { PcmSource } from '../../src/media/pcmSource.js';
import { NetworkFiles } from '../../src/media-library/networkFiles.js';
import { PromptBuilder, type PromptFailure } from '../../src/media-library/promptBuilder.js';
import type { Logger } from '../../src/observability/logger.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { tempDir } from '../helpers/tempDir.js';

const dir = tempDir();
const store = SqliteStore.inMemory();
after(() => {
  store.close();
  dir.remove();
});
const account = store.accounts.create({ name: 'acme', now: 1 }).id;
const warnings: { fields: Record<string, unknown>; msg: string }[] = [];
const log = Object.assign(Object.create(silentLogger()) as Logger, {
  warn: (fields: Record<string, unknown>, msg: string) => warnings.push({ fields, msg }),
});
const prompts = new PromptBuilder({
  store,
  networkFiles: new NetworkFiles({
    cacheDir: dir.path,
    maxBytes: 1 << 20,
    timeoutMs: 1000,
    resolve: async (host) => {
      throw new Error(`${host}: no such host`);
    },
  }),
  tts: { speak: () => new PcmSource(new Int16Array(160).fill(1000)) },
  log,
});
const speech = { voice: 'xiaoyun', volume: 0, speed: 0 };
const url = 'http://gone.test/prompt.wav';
const settle = () => new Promise((r) => setImmediate(r));
/** Lets the failed fetch (file system, resolver) settle. */
const fetchFailed = () => new Promise((r) => setTimeout(r, 100));

test('the playout reaching an unfetchable file reports it once, after the items before it played', async () => {
  const failures: PromptFailure[] = [];
  const { source } = prompts.build(account, `$a$,${url}`, { a: '您好' }, speech, log, (f) =>
    failures.push(f),
  );
  await fetchFailed();
  const out = new Int16Array(400);
  assert.equal(source.read(out, 0, 100), 100);
  assert.equal(failures.length, 0, 'not before the playout reaches it');
  assert.equal(source.read(out, 0, 100), 60);
  await settle();
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.name, url);
  assert.equal(failures[0]!.code, 'DNS');
  assert.match(failures[0]!.reason, /gone\.test/);
  assert.equal(source.done, true);
  source.read(out, 0, 100);
  await settle();
  assert.equal(failures.length, 1, 'reported once');
  const line = warnings.find((w) => w.msg === 'prompt item cannot be played');
  assert.ok(line, 'a log line');
  assert.equal(line.fields.item, url);
});

test('a voice file ID unknown to the account is reported the same way', async () => {
  const failures: PromptFailure[] = [];
  const { source } = prompts.build(account, 'no-such-voice.wav', {}, speech, log, (f) => failures.push(f));
  source.read(new Int16Array(10), 0, 10);
  await settle();
  assert.deepEqual(
    failures.map((f) => [f.name, f.code]),
    [['no-such-voice.wav', 'NOT_FOUND']],
  );
});

test('without a listener the item is skipped (the early-media and hold prompts)', async () => {
  const { source } = prompts.build(account, `${url},$a$`, { a: '您好' }, speech, log);
  await fetchFailed();
  assert.equal(source.read(new Int16Array(400), 0, 400), 160);
  assert.equal(source.done, true);
});
