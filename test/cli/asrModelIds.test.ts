/**
 * ASR models keep their Alibaba IDs (`asr-model create --id`), and `asr recognize --model ID`
 * finds the model by its ID alone, through the real `smartcall` command.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeWav } from '../../src/media/wavWriter.js';
import { EspeakTts } from '../../src/speech/espeak/espeakTts.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { tempDir } from '../helpers/tempDir.js';
import { speak, telephone } from '../speech/speechFixtures.js';

const dir = tempDir();
const data = join(dir.path, 'data');
const phrases = join(dir.path, 'survey.txt');
const MODEL_ID = '2070aca1eff146f9a7bc826f1c3d0001';
after(() => dir.remove());

function smartcall(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/smartcall.js', '--data-dir', data, '--json', ...args], {
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}
const error = (r: { stderr: string }) => JSON.parse(r.stderr).error as string;
const create = (account: string, ...more: string[]) =>
  smartcall(
    'admin',
    'asr-model',
    'create',
    '--account',
    account,
    '--name',
    'survey',
    '--phrases-file',
    phrases,
    ...more,
  );

before(() => {
  writeFileSync(phrases, 'wrong number\nsatisfied\nnot satisfied\n');
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'acme').status, 0);
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'beta').status, 0);
});

test('asr-model create --id keeps the Alibaba ID; a taken or malformed ID is refused and nothing changes', () => {
  const r = create('acme', '--id', MODEL_ID);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json().id, MODEL_ID);

  for (const account of ['acme', 'beta']) {
    const again = create(account, '--id', MODEL_ID);
    assert.equal(again.status, 1);
    assert.match(error(again), /ASR model ID 2070aca1eff146f9a7bc826f1c3d0001 is already taken/);
  }
  for (const id of ['customer_service_8k', 'has space', 'x'.repeat(65), '-lead']) {
    const bad = create('acme', '--id', id);
    assert.equal(bad.status, 1, id);
    assert.match(error(bad), /is not a valid ASR model ID/, id);
  }
  const list = (account: string) =>
    smartcall('admin', 'asr-model', 'list', '--account', account)
      .json()
      .map((m: { id: string }) => m.id);
  assert.deepEqual(list('acme'), [MODEL_ID]);
  assert.deepEqual(list('beta'), []);
});

test('asr recognize --model ID works without --account; an ID several accounts hold asks for it', async () => {
  const tts = new EspeakTts();
  const wav = join(dir.path, 'answer.wav');
  try {
    writeFileSync(wav, encodeWav([telephone(await speak(tts, 'wrong number', 'harry'))], 8000));
  } finally {
    await tts.close();
  }
  const r = smartcall('asr', 'recognize', '--model', MODEL_ID, wav);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json().model, MODEL_ID);
  assert.equal(r.json().result, 'recognized');
  assert.equal(r.json().text, 'wrong number');

  const unknown = smartcall('asr', 'recognize', '--model', 'ffff0000ffff0000ffff0000ffff0000', wav);
  assert.equal(unknown.status, 1);
  assert.match(error(unknown), /no ASR model ffff0000ffff0000ffff0000ffff0000/);

  // Data from before IDs were unique may hold one ID in two accounts: then --account decides.
  const store = SqliteStore.open(data);
  try {
    const beta = store.accounts.findByName('beta')!.id;
    store.asrModels.insert({
      id: MODEL_ID,
      accountId: beta,
      name: 'old',
      phrases: 'satisfied',
      createdAt: 1,
    });
  } finally {
    store.close();
  }
  const ambiguous = smartcall('asr', 'recognize', '--model', MODEL_ID, wav);
  assert.equal(ambiguous.status, 1);
  assert.match(error(ambiguous), /is in several accounts \(acme, beta\): give --account/);
  const chosen = smartcall('asr', 'recognize', '--model', MODEL_ID, '--account', 'acme', wav);
  assert.equal(chosen.status, 0, chosen.stderr);
  assert.equal(chosen.json().text, 'wrong number');
});
