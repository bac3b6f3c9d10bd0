import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildProgram } from '../../src/cli/main.js';
import { encodeWav } from '../../src/media/wavWriter.js';
import { EspeakTts } from '../../src/speech/espeak/espeakTts.js';
import { speak, telephone } from './speechFixtures.js';

const program = buildProgram;

async function run(args: string[]): Promise<{ out: string; error?: Error }> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => {
    chunks.push(s);
    return true;
  }) as typeof process.stdout.write;
  try {
    await program().parseAsync(['node', 'smartcall', ...args]);
    return { out: chunks.join('') };
  } catch (error) {
    return { out: chunks.join(''), error: error as Error };
  } finally {
    process.stdout.write = write;
  }
}

describe('smartcall asr commands', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smartcall-asr-'));
  const data = join(dir, 'data');
  let tts: EspeakTts;
  before(async () => {
    tts = new EspeakTts();
    assert.equal(
      (await run(['--data-dir', data, 'admin', 'account', 'create', '--name', 'acme'])).error,
      undefined,
    );
  });
  after(async () => {
    await tts.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('asr-model create validates the phrase file and prints a 32-hex id; list shows it', async () => {
    const file = join(dir, 'survey.txt');
    writeFileSync(file, 'satisfied\nnot satisfied\n满意\n还可以\thai2 ke3 yi3\n');
    const created = await run([
      '--data-dir',
      data,
      '--json',
      'admin',
      'asr-model',
      'create',
      '--account',
      'acme',
      '--name',
      'survey',
      '--phrases-file',
      file,
    ]);
    assert.equal(created.error, undefined);
    const model = JSON.parse(created.out) as { id: string; phrases: number };
    assert.match(model.id, /^[0-9a-f]{32}$/);
    assert.equal(model.phrases, 4);
    const listed = JSON.parse(
      (await run(['--data-dir', data, '--json', 'admin', 'asr-model', 'list', '--account', 'acme'])).out,
    );
    assert.deepEqual(
      listed.map((m: { id: string }) => m.id),
      [model.id],
    );
  });

  test('a bad phrase file is refused naming the line', async () => {
    const file = join(dir, 'bad.txt');
    writeFileSync(file, 'yes\n\nzorbulate\n');
    const r = await run([
      '--data-dir',
      data,
      'admin',
      'asr-model',
      'create',
      '--account',
      'acme',
      '--name',
      'x',
      '--phrases-file',
      file,
    ]);
    assert.match(r.error!.message, /bad\.txt: line 3: "zorbulate" is not in the dictionary/);
  });

  test('asr recognize prints the phrase with its confidence, or that it rejected the speech', async () => {
    const wav = join(dir, 'answer.wav');
    writeFileSync(wav, encodeWav([telephone(await speak(tts, 'wrong number', 'harry'))], 8000));
    const r = await run([
      '--data-dir',
      data,
      '--json',
      'asr',
      'recognize',
      '--model',
      'customer_service_8k',
      wav,
    ]);
    const result = JSON.parse(r.out) as { result: string; text: string; confidence: number };
    assert.equal(result.result, 'recognized');
    assert.equal(result.text, 'wrong number');
    assert.ok(result.confidence > 0.5);

    const other = join(dir, 'other.wav');
    writeFileSync(other, encodeWav([await speak(tts, 'the weather is nice today', 'abby')], 8000));
    const r2 = JSON.parse(
      (await run(['--data-dir', data, '--json', 'asr', 'recognize', '--model', 'customer_service_8k', other]))
        .out,
    );
    assert.equal(r2.result, 'rejected');
    assert.equal(r2.text, null);
  });
});
