/**
 * Whole calls through a configured ASR engine that fails under them (issue 19 item 5): the callee
 * says two sentences, one per prompt; the engine (a local peer of the FunASR runtime) drops the
 * connection after the first. Reconnected, the second sentence still reaches the callback through
 * the engine; with the engine gone for good, the call falls back to the embedded engine, which
 * hears the second sentence, and the log line saying so carries the CallId.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { ConfigInput } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';
import { laneRtpPorts } from '../helpers/lanes.js';
import { funAsrServer, type Peer } from '../speech/wsPeers.js';

const PERSONAS = join(process.cwd(), 'test/fixtures/e2e/personas.yaml');
/** Answers each prompt with a sentence (你好, then 我现在没空, …). */
const TALKATIVE = '13900000026';
/** What the peer "recognises": not what the embedded phrase model would say. */
const SENTENCES = [
  { increments: ['你', '好呀'], text: '你好呀' },
  { increments: ['我', '在忙呀'], text: '我在忙呀' },
];

async function start(asrUrl: string, lines: string[]): Promise<E2e> {
  const log = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  });
  const e2e = await startE2e(
    {
      phonenet: { sipPort: 0, ...laneRtpPorts('phonenet'), personasFiles: [PERSONAS] },
      speech: {
        asr: {
          // The adapter's default answer deadline: the peer runs in this test's (busy) process, and a
          // sentence answered after the deadline counts as a stall, i.e. one more fresh task. The drop
          // and the engine going away are seen at once (closed socket, refused connection), not by it.
          engines: { far: { type: 'funasr', url: asrUrl, timeoutMs: 5000 } },
          accounts: { demo: 'far' },
        },
      } as ConfigInput['speech'],
    },
    { log },
  );
  // The first sentence gets another prompt (the callee answers it with the second); the second ends the call.
  e2e.callbacks.script = (cb, all) => {
    if (cb.contentType !== 'normal') return { action: 'donothing' };
    const turns = all.filter((c) => c.callId === cb.callId && c.contentType === 'normal').length;
    return turns === 1
      ? {
          action: 'play',
          action_code: '$t$',
          action_code_param: JSON.stringify({ t: '好的，请问您现在方便吗' }),
        }
      : { action: 'hangup' };
  };
  return e2e;
}

async function call(e2e: E2e): Promise<string> {
  const r = await e2e.smartCall({
    CalledNumber: TALKATIVE,
    VoiceCode: '$t$',
    VoiceCodeParam: JSON.stringify({ t: '您好，这里是测试' }),
    SessionTimeout: '30',
  });
  assert.equal(r.code, 'OK', JSON.stringify(r));
  const callId = String(r.body!.CallId);
  const record = await e2e.waitForEnd(callId, 60_000);
  assert.equal(record.state, 'ended');
  return callId;
}

const words = (e2e: E2e, callId: string) =>
  e2e.callbacks
    .forCall(callId)
    .filter((c) => c.contentType === 'normal')
    .map((c) => c.content.words);

describe('an ASR engine that drops the connection after the first sentence', () => {
  let asr: Peer;
  let e2e: E2e;
  const lines: string[] = [];
  before(async () => {
    asr = await funAsrServer({ speechGated: true, dropAfterSentences: 1, sentences: SENTENCES });
    e2e = await start(asr.url, lines);
  });
  after(async () => {
    await e2e?.close();
    await asr?.close();
  });

  test('reconnects with a fresh task: both sentences reach the callback, no turn for the failure', async () => {
    const callId = await call(e2e);
    assert.deepEqual(words(e2e, callId), ['你好呀', '我在忙呀']);
    // Start messages: the start-up probe's task, the call's first connection and the fresh one.
    assert.equal(asr.received.filter((m) => m.mode === '2pass').length, 3);
    assert.ok(
      lines.some((l) => l.includes(`"callId":"${callId}"`) && /reconnecting with a fresh task/.test(l)),
    );
  });
});

describe('an ASR engine that stays down mid-call', () => {
  let asr: Peer;
  let e2e: E2e;
  const lines: string[] = [];
  before(async () => {
    asr = await funAsrServer({ speechGated: true, dropAfterSentences: 1, sentences: SENTENCES });
    e2e = await start(asr.url, lines);
  });
  after(async () => {
    await e2e?.close();
    await asr?.close();
  });

  test('the call falls back to the embedded engine, logged with its CallId', async () => {
    // The engine goes away for good once the first sentence has reached the business.
    const stop = (async () => {
      while (!e2e.callbacks.received.some((c) => c.contentType === 'normal'))
        await new Promise((r) => setTimeout(r, 20));
      await asr.close();
    })();
    const callId = await call(e2e);
    await stop;
    const said = words(e2e, callId);
    assert.equal(said.length, 2, JSON.stringify(said));
    assert.equal(said[0], '你好呀');
    // The second sentence is the embedded phrase model's hearing of 我现在没空, not the peer's.
    assert.ok(typeof said[1] === 'string' && said[1].length > 0, JSON.stringify(said));
    assert.notEqual(said[1], '我在忙呀');
    const fallback = lines.find((l) => /this call falls back to the embedded engine/.test(l));
    assert.ok(fallback, 'the fallback is logged');
    assert.ok(fallback.includes(`"callId":"${callId}"`), fallback);
    assert.match(fallback, /"engine":"far"/);
  });
});
