/**
 * `smartcall serve` with sherpa-onnx and Silero model files that would abort any process loading
 * them (issue 19, item 3): a transducer folder whose files carry the right metadata but no usable
 * graph (onnxruntime throws an uncaught Ort::Exception: SIGABRT), and a Silero "model" of random
 * bytes. The server must come up anyway, report both engines down with the cause, and calls must
 * be recognised by the embedded engine.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { onnxWithMetadata } from '../../src/speech/adapters/onnxMetadata.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tempDir.js';
import { httpAnswers, type Running, smartcallAsync, start, stopAll } from './cliHarness.js';

const dir = tempDir('smartcall-sherpa-serve-');
const models = join(dir.path, 'models');
const data = join(dir.path, 'data');
let server: Running;
let httpPort: number;

before(async () => {
  // A streaming zipformer2 transducer as far as metadata goes; the graphs are empty.
  const folder = join(models, 'zipformer-broken');
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, 'encoder.onnx'),
    onnxWithMetadata({ model_type: 'zipformer2', T: 45, decode_chunk_len: 32 }),
  );
  writeFileSync(join(folder, 'decoder.onnx'), onnxWithMetadata({ vocab_size: 3, context_size: 2 }));
  writeFileSync(join(folder, 'joiner.onnx'), onnxWithMetadata({}));
  writeFileSync(join(folder, 'tokens.txt'), '<blk> 0\n好 1\n的 2\n');
  // Silero: bytes that parse as a ModelProto with no graph worth loading.
  writeFileSync(join(models, 'silero_vad.onnx'), onnxWithMetadata({}));
  const personas = join(dir.path, 'personas.yaml');
  writeFileSync(
    personas,
    `personas:
  - name: agrees
    number: "13912349001"
    steps:
      - answer
      - wait: { until: prompt-end, maxMs: 15000 }
      - say: "yes"
      - wait: 2500
      - hangup
`,
  );
  const config = join(dir.path, 'smartcall.yaml');
  writeFileSync(
    config,
    `phonenet: { sipPort: 0 }
speech:
  vad: { engine: silero, sileroModel: ${join(models, 'silero_vad.onnx')} }
  asr:
    engines:
      local: { type: sherpa, modelDir: ${join(models, 'zipformer-broken')} }
    default: local
`,
  );
  httpPort = await freePort();
  server = await start(
    [
      'serve',
      '--config',
      config,
      '--data-dir',
      data,
      '--http-port',
      String(httpPort),
      '--sip-port',
      '0',
      '--phonenet',
      personas,
    ],
    (out) => /display number:.*\n/.test(out),
    { cwd: dir.path, timeoutMs: 60_000 },
  );
});
after(async () => {
  await server?.stop();
  await stopAll();
  dir.remove();
});

function logLine(out: string, engine: string): { detail: string; msg: string } {
  const line = out.split('\n').find((l) => l.startsWith('{') && l.includes(`"engine":"${engine}"`));
  assert.ok(line, `a log line about ${engine}:\n${out}`);
  return JSON.parse(line);
}

test('a model that aborts onnxruntime leaves the server up and the engine reported down with the cause', async () => {
  assert.equal(server.child.exitCode, null, 'the server is still running');
  assert.ok(await httpAnswers('127.0.0.1', httpPort), 'the API answers');
  const out = server.output();
  const asr = logLine(out, 'local');
  assert.equal(asr.msg, 'speech engine unavailable; using the embedded engine');
  assert.match(asr.detail, /zipformer-broken failed to load: the probe process died with SIGABRT/);
  assert.match(asr.detail, /Ort::Exception/);
  const vad = logLine(out, 'silero');
  assert.equal(vad.msg, 'speech engine unavailable; using the embedded engine');
  assert.match(vad.detail, /silero_vad\.onnx failed to load: the probe process died with SIGABRT/);
});

test('calls fall back to the embedded recognizer: the callee’s words reach the call', async () => {
  const r = await smartcallAsync(
    [
      '--data-dir',
      data,
      'call',
      '--to',
      '13912349001',
      '--text',
      '您好，请问现在方便吗',
      '--endpoint',
      `127.0.0.1:${httpPort}`,
    ],
    { cwd: dir.path },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /callee:\s+yes/, r.stdout);
  assert.equal(server.child.exitCode, null, 'still running after the call');
});
