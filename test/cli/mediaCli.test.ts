/**
 * Voice files and ASR models from the command line, as child processes: `admin voice upload|list`,
 * `admin asr-model create|list` and `asr recognize`, each flag checked by what it changes.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeWav } from '../../src/media/wavWriter.js';
import { EspeakTts } from '../../src/speech/espeak/espeakTts.js';
import { tempDir } from '../helpers/tempDir.js';
import { speak, telephone } from '../speech/speechFixtures.js';
import { smartcall as run } from './cliHarness.js';

const dir = tempDir('smartcall-media-');
const smartcall = (...args: string[]) => run(['--data-dir', dir.path, ...args], { cwd: dir.path });
const answer = join(dir.path, 'answer.wav');

before(async () => {
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'acme').status, 0);
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'other').status, 0);
  const tts = new EspeakTts();
  try {
    writeFileSync(answer, encodeWav([telephone(await speak(tts, 'wrong number', 'harry'))], 8000));
  } finally {
    await tts.close();
  }
});
after(() => dir.remove());

test('voice upload stores the --file under the --account with its --name; voice list shows it', () => {
  const wav = join(dir.path, 'tone.wav');
  const second = new Int16Array(16000).map((_, i) => Math.round(8000 * Math.sin(i / 5)));
  writeFileSync(wav, encodeWav([second, second], 16000));
  const named = smartcall(
    'admin',
    'voice',
    'upload',
    '--account',
    'acme',
    '--file',
    wav,
    '--name',
    'hello',
    '--json',
  );
  assert.equal(named.status, 0, named.stderr);
  assert.equal(named.json().name, 'hello');
  assert.equal(named.json().durationMs, 1000, 'the 1 s stereo 16 kHz file was read');
  const unnamed = smartcall('admin', 'voice', 'upload', '--account', 'acme', '--file', wav, '--json').json();
  assert.match(unnamed.name, /tone/, 'without --name, the file name');
  const ids = (account: string) =>
    (smartcall('admin', 'voice', 'list', '--account', account, '--json').json() as { id: string }[]).map(
      (v) => v.id,
    );
  assert.deepEqual(ids('acme').sort(), [named.json().id, unnamed.id].sort());
  assert.deepEqual(ids('other'), []);
  const missing = smartcall(
    'admin',
    'voice',
    'upload',
    '--account',
    'acme',
    '--file',
    join(dir.path, 'no.wav'),
  );
  assert.equal(missing.status, 1);
});

test('asr-model create reads --phrases-file into a model of --account named --name; recognize uses --model', () => {
  const phrases = join(dir.path, 'survey.txt');
  writeFileSync(phrases, 'satisfied\nnot satisfied\n');
  const created = smartcall(
    'admin',
    'asr-model',
    'create',
    '--account',
    'acme',
    '--name',
    'survey',
    '--phrases-file',
    phrases,
    '--json',
  );
  assert.equal(created.status, 0, created.stderr);
  const model = created.json();
  assert.equal(model.name, 'survey');
  assert.equal(model.account, 'acme');
  assert.equal(model.phrases, 2);
  assert.deepEqual(
    smartcall('admin', 'asr-model', 'list', '--account', 'acme', '--json')
      .json()
      .map((m: { id: string }) => m.id),
    [model.id],
  );
  assert.deepEqual(smartcall('admin', 'asr-model', 'list', '--account', 'other', '--json').json(), []);

  const base = smartcall('asr', 'recognize', '--model', 'customer_service_8k', '--json', answer);
  assert.equal(base.status, 0, base.stderr);
  assert.equal(base.json().model, 'customer_service_8k');
  assert.equal(base.json().text, 'wrong number');
  const human = smartcall('asr', 'recognize', '--model', 'customer_service_8k', answer);
  assert.match(human.stdout, /^wrong number \(confidence [\d.]+\)\n$/);

  const own = smartcall('asr', 'recognize', '--model', model.id, '--account', 'acme', '--json', answer);
  assert.equal(own.status, 0, own.stderr);
  assert.equal(own.json().model, model.id);
  assert.notEqual(own.json().text, 'wrong number', "the account's model knows only its own phrases");
  const byIdAlone = smartcall('asr', 'recognize', '--model', model.id, '--json', answer);
  assert.equal(byIdAlone.status, 0, 'a model ID is unique: --account is not needed');
  assert.equal(byIdAlone.json().model, model.id);
  const wrongAccount = smartcall('asr', 'recognize', '--model', model.id, '--account', 'other', answer);
  assert.equal(wrongAccount.status, 1);
  assert.match(wrongAccount.stderr, /not found for account other/);
});
