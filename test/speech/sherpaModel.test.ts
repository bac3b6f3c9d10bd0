/**
 * What a sherpa-onnx model folder holds is read from its ONNX files' metadata (the keys sherpa-onnx
 * itself reads), never from the folder's name: the upstream layouts, each under a name that would
 * mislead a guess, and the files sherpa-onnx would abort or exit on.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { onnxWithMetadata, readOnnxMetadata } from '../../src/speech/adapters/onnxMetadata.js';
import {
  inspectSherpaModel,
  inspectSileroModel,
  SherpaModelError,
} from '../../src/speech/adapters/sherpaModel.js';
import { tempDir } from '../helpers/tempDir.js';

const dir = tempDir('sherpa-model-');
after(() => dir.remove());

const STREAMING_ENCODER = { model_type: 'zipformer2', T: 45, decode_chunk_len: 32, encoder_dims: '192,256' };
const DECODER = { vocab_size: 6254, context_size: 2 };

function folder(name: string, files: Record<string, Record<string, string | number> | string>): string {
  const path = join(dir.path, name);
  mkdirSync(path, { recursive: true });
  for (const [file, content] of Object.entries(files))
    writeFileSync(join(path, file), typeof content === 'string' ? content : onnxWithMetadata(content));
  return path;
}

const ZH_TOKENS = '<blk> 0\n<sos/eos> 1\n好 2\n的 3\n';

test('a streaming zipformer transducer is streaming whatever its folder is called', () => {
  const path = folder('sherpa-onnx-zipformer-offline-looking', {
    'encoder-epoch-99-avg-1.int8.onnx': STREAMING_ENCODER,
    'encoder-epoch-99-avg-1.onnx': STREAMING_ENCODER,
    'decoder-epoch-99-avg-1.onnx': DECODER,
    'joiner-epoch-99-avg-1.onnx': {},
    'tokens.txt': ZH_TOKENS,
  });
  const m = inspectSherpaModel(path);
  assert.equal(m.kind, 'online-transducer');
  assert.ok(
    'encoder' in m && m.encoder.endsWith('encoder-epoch-99-avg-1.onnx'),
    'the float model before int8',
  );
  assert.ok('modelType' in m && m.modelType === 'zipformer2');
  assert.deepEqual('hotwords' in m && m.hotwords, { modelingUnit: 'cjkchar' });
});

test('an offline zipformer transducer (no T / decode_chunk_len) is offline, with BPE hot words', () => {
  const path = folder('sherpa-onnx-streaming-zipformer-en', {
    'encoder.onnx': { model_type: 'zipformer2', version: '1', comment: 'non-streaming zipformer2' },
    'decoder.onnx': DECODER,
    'joiner.onnx': {},
    'tokens.txt': '<blk> 0\n▁THE 1\n',
    'bpe.vocab': '▁THE -1\n',
  });
  const m = inspectSherpaModel(path);
  assert.equal(m.kind, 'offline-transducer');
  assert.deepEqual('hotwords' in m && m.hotwords, { modelingUnit: 'bpe', bpeVocab: join(path, 'bpe.vocab') });
});

test('SenseVoice is SenseVoice under any folder name; Paraformer is Paraformer', () => {
  const sense = folder('asr-model-2024', {
    'model.int8.onnx': { model_type: 'sense_voice_ctc', vocab_size: 25055, lfr_window_size: 7 },
    'tokens.txt': ZH_TOKENS,
  });
  assert.equal(inspectSherpaModel(sense).kind, 'offline-sense-voice');
  const para = folder('sense-voice-not-really', {
    'model.onnx': { model_type: 'paraformer', vocab_size: 8404 },
    'tokens.txt': ZH_TOKENS,
  });
  assert.equal(inspectSherpaModel(para).kind, 'offline-paraformer');
});

test('a streaming Zipformer2 CTC model.onnx is streaming CTC', () => {
  const path = folder('sherpa-onnx-streaming-zipformer-ctc-multi-zh-hans', {
    'ctc-epoch-20-avg-1-chunk-16-left-128.onnx': STREAMING_ENCODER,
    'model.onnx': STREAMING_ENCODER,
    'tokens.txt': ZH_TOKENS,
  });
  assert.equal(inspectSherpaModel(path).kind, 'online-zipformer2-ctc');
});

test('files sherpa-onnx would abort or exit on are refused before anything loads them', () => {
  const garbage = folder('garbage', {
    'encoder.onnx': 'this is not an onnx model',
    'decoder.onnx': DECODER,
    'joiner.onnx': {},
    'tokens.txt': ZH_TOKENS,
  });
  assert.throws(() => inspectSherpaModel(garbage), SherpaModelError);
  assert.throws(() => inspectSherpaModel(garbage), /encoder\.onnx is not an ONNX model/);
  const noType = folder('old-export', {
    'encoder.onnx': { T: 45 },
    'decoder.onnx': DECODER,
    'joiner.onnx': {},
    'tokens.txt': ZH_TOKENS,
  });
  assert.throws(() => inspectSherpaModel(noType), /has no model_type in its metadata/);
  const decoder = folder('decoder-without-context', {
    'encoder.onnx': STREAMING_ENCODER,
    'decoder.onnx': { vocab_size: 3 },
    'joiner.onnx': {},
    'tokens.txt': ZH_TOKENS,
  });
  assert.throws(() => inspectSherpaModel(decoder), /has no context_size in its metadata/);
  const whisper = folder('whisper', {
    'model.onnx': { model_type: 'whisper-tiny' },
    'tokens.txt': ZH_TOKENS,
  });
  assert.throws(() => inspectSherpaModel(whisper), /is a whisper-tiny model \(metadata model_type\)/);
  const truncated = join(dir.path, 'truncated.onnx');
  writeFileSync(truncated, onnxWithMetadata({ model_type: 'x' }).subarray(0, 9));
  assert.throws(() => inspectSileroModel(truncated), /truncated\.onnx is not an ONNX model/);
  assert.throws(() => inspectSileroModel(join(dir.path, 'nope.onnx')), /does not exist/);
});

test('metadata is read from the file without loading it', () => {
  const path = join(dir.path, 'meta.onnx');
  writeFileSync(path, onnxWithMetadata({ model_type: 'zipformer2', T: 45 }, Buffer.alloc(200_000, 7)));
  assert.deepEqual(Object.fromEntries(readOnnxMetadata(path)), { model_type: 'zipformer2', T: '45' });
});
