/**
 * The Vosk adapter against a peer that runs asr_server.py's `process_chunk` as written: the exact
 * end-of-stream string, one reply per message, a hard grammar from `phrase_list`.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { VOSK_EOF, VoskAsrEngine } from '../../src/speech/adapters/voskAsrEngine.js';
import { voskPhraseList, voskText } from '../../src/speech/adapters/voskGrammar.js';
import type { AsrEngine, AsrEvent } from '../../src/speech/asr.js';
import { type Peer, voskServer } from './wsPeers.js';

async function run(engine: AsrEngine, seconds: number): Promise<AsrEvent[]> {
  const events: AsrEvent[] = [];
  const stream = engine.createStream({ onEvent: (e) => events.push(e), pauseMs: 600 });
  const frame = new Int16Array(160).fill(100);
  for (let i = 0; i < seconds * 50; i++) stream.write(frame);
  await new Promise((r) => setTimeout(r, 100));
  await stream.finish();
  stream.close();
  return events;
}

const notPartial = (events: AsrEvent[]) => events.filter((e) => e.type !== 'partial');

describe('Vosk server adapter', () => {
  const peers: Peer[] = [];
  const peer = async (options: Parameters<typeof voskServer>[0] = {}) => {
    const p = await voskServer(options);
    peers.push(p);
    return p;
  };
  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
  });

  test('finish() sends the exact end-of-stream text and the sentence in progress arrives as final', async () => {
    const server = await peer();
    const events = await run(new VoskAsrEngine({ url: server.url }), 2.4);
    assert.deepEqual(notPartial(events), [
      { type: 'final', text: 'wrong number', beginMs: 420, endMs: 1200, confidence: 0.9 },
      { type: 'final', text: 'call me later', beginMs: 1600, endMs: 2200, confidence: 0.8 },
    ]);
    assert.ok(events.some((e) => e.type === 'partial' && e.text === 'wrong'));
    assert.equal(server.receivedText.at(-1), '{"eof" : 1}');
    assert.equal(VOSK_EOF, '{"eof" : 1}');
  });

  test('phrases become a hard grammar: lower case, Chinese in characters, [unk], max_alternatives 0', async () => {
    const server = await peer();
    await run(
      new VoskAsrEngine({
        url: server.url,
        phrases: ['Wrong Number', '我现在没空', '好的，可以', '我 现在 没空', 'wrong number'],
      }),
      0.2,
    );
    assert.deepEqual(server.received[0], {
      config: {
        sample_rate: 8000,
        words: 1,
        max_alternatives: 0,
        phrase_list: ['wrong number', '我 现 在 没 空', '好 的 可 以', '我 现在 没空', '[unk]'],
      },
    });
  });

  test('listed Chinese comes back without spaces; off-list speech is rejected, not forced onto a phrase', async () => {
    const server = await peer({
      vocabulary: ['我', '现', '在', '没', '空', '不', '需', '要', '你', '好'],
      utterances: [
        { words: ['我', '现', '在', '没', '空'], startMs: 200, endMs: 1000 },
        { words: ['你', '好'], startMs: 1500, endMs: 1800 },
      ],
    });
    const events = await run(new VoskAsrEngine({ url: server.url, phrases: ['我现在没空', '不需要'] }), 2.4);
    assert.deepEqual(
      notPartial(events).map((e) => (e.type === 'rejected' ? [e.type, e.reason] : [e.type, e.text])),
      [
        ['final', '我现在没空'],
        ['rejected', 'no-match'],
      ],
    );
  });

  test('results are written like the other engines: no spaces between Chinese words', () => {
    assert.equal(voskText('我 现在 没空'), '我现在没空');
    assert.equal(voskText('wrong number'), 'wrong number');
    assert.equal(voskText('好的 ok 可以'), '好的ok可以');
    assert.equal(voskText('[unk]'), '');
    assert.deepEqual(voskPhraseList([]), []);
  });
});
