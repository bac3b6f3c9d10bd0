/**
 * The NLS adapters against local peers of the NLS gateway and of nls-meta's CreateToken
 * (nlsPeers.ts): transcription offsets, trailing sentences, a task failing mid-stream, token
 * expiry (fixed and fetched tokens), signed CreateToken, the start-up probe, and synthesis of long
 * prompts, odd-sized frames and the fallback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import { NlsAsrEngine, probeNlsTranscription } from '../../src/speech/adapters/nlsAsrEngine.js';
import { NlsTokenProvider, signedCreateTokenQuery } from '../../src/speech/adapters/nlsToken.js';
import { NlsTts, probeNlsSynthesis, splitForSynthesis } from '../../src/speech/adapters/nlsTts.js';
import type { AsrEvent } from '../../src/speech/asr.js';
import type { Tts, TtsRequest } from '../../src/speech/tts.js';
import { freePort } from '../helpers/ports.js';
import { type NlsGateway, type NlsMeta, nlsGateway, nlsMetaServer, synthesizedSample } from './nlsPeers.js';

const QUIET = new Int16Array(160);
const LOUD = new Int16Array(160).fill(2000);

/** Streams `plan` ([frames, loud?]…) through a new stream, then finishes it; the events. */
async function transcribe(engine: NlsAsrEngine, plan: [number, boolean][], settleMs = 150) {
  const events: AsrEvent[] = [];
  const stream = engine.createStream({ onEvent: (e) => events.push(e), pauseMs: 600 });
  for (const [frames, loud] of plan) for (let i = 0; i < frames; i++) stream.write(loud ? LOUD : QUIET);
  await new Promise((r) => setTimeout(r, settleMs));
  await stream.finish();
  stream.close();
  return events;
}

function engineFor(gw: NlsGateway, tokens: NlsTokenProvider, extra: object = {}) {
  return new NlsAsrEngine({ url: gw.url, appKey: 'app', tokens, timeoutMs: 2000, ...extra });
}

async function collect(tts: Tts, request: TtsRequest): Promise<Int16Array> {
  const chunks: Int16Array[] = [];
  for await (const c of tts.synthesize(request)) chunks.push(c);
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

describe('NLS transcription', () => {
  let gw: NlsGateway;
  before(async () => {
    gw = await nlsGateway({ sentences: ['我现在没空', '下午再打'], failAfterSentences: 2 });
  });
  after(() => gw.close());
  const tokens = () => new NlsTokenProvider({ token: 'good-token' });

  test('partials begin at SentenceBegin, finals carry begin_time; 8 kHz PCM, no ids unless configured', async () => {
    const events = await transcribe(engineFor(gw, tokens()), [
      [15, false], // 300 ms quiet
      [50, true], // 1 s speech
      [50, false], // 1 s quiet: the sentence ends after max_sentence_silence (600 ms)
    ]);
    const partials = events.filter((e) => e.type === 'partial');
    assert.ok(partials.length > 0);
    for (const p of partials) assert.equal(p.beginMs, 300, JSON.stringify(p));
    assert.deepEqual(
      events.filter((e) => e.type !== 'partial'),
      [{ type: 'final', text: '我现在没空', beginMs: 300, endMs: 1900, confidence: 0.93 }],
    );
    const start = gw.starts('StartTranscription').at(-1)!;
    assert.equal(start.sample_rate, 8000);
    assert.equal(start.format, 'pcm');
    assert.equal(start.max_sentence_silence, 600);
    assert.equal('vocabulary_id' in start, false);
    assert.equal('customization_id' in start, false);
  });

  test('vocabulary_id and customization_id go into StartTranscription', async () => {
    await transcribe(engineFor(gw, tokens(), { vocabularyId: 'vocab-1', customizationId: 'lm-1' }), [
      [5, false],
    ]);
    const start = gw.starts('StartTranscription').at(-1)!;
    assert.equal(start.vocabulary_id, 'vocab-1');
    assert.equal(start.customization_id, 'lm-1');
  });

  test('the sentence in progress at StopTranscription arrives as a final before the task completes', async () => {
    const events = await transcribe(engineFor(gw, tokens()), [[50, true]], 50);
    assert.deepEqual(
      events.filter((e) => e.type === 'final').map((e) => (e as { text: string }).text),
      ['我现在没空'],
    );
  });

  test('a task failing mid-stream keeps the sentences before it and reports the failure once', async () => {
    const events = await transcribe(engineFor(gw, tokens()), [
      [50, true],
      [40, false],
      [50, true],
      [40, false],
      [50, true],
      [40, false],
    ]);
    const finals = events.filter((e) => e.type === 'final').map((e) => (e as { text: string }).text);
    assert.deepEqual(finals, ['我现在没空', '下午再打']);
    const rejected = events.filter((e) => e.type === 'rejected');
    assert.equal(rejected.length, 1);
    assert.match((rejected[0] as { detail: string }).detail, /50000000 GRPC_ERROR/);
    assert.equal(events.at(-1), rejected[0], 'nothing after the failure');
  });
});

describe('NLS tokens', () => {
  let gw: NlsGateway;
  let meta: NlsMeta;
  before(async () => {
    gw = await nlsGateway();
    meta = await nlsMetaServer({ keys: { LTAI5tTESTKEY: 'test-secret' }, gateway: gw, ttlSeconds: 3600 });
  });
  after(async () => {
    await gw.close();
    await meta.close();
  });

  test('an expired console token is reported loudly once, then fails at once without a connection', async () => {
    gw.tokens.set('console-token', Date.now() - 1000);
    const lines: string[] = [];
    const log = { error: (o: object, m: string) => lines.push(`${JSON.stringify(o)} ${m}`) };
    const tokens = new NlsTokenProvider({ token: 'console-token', log: log as never, name: 'aliyun' });
    assert.equal(tokens.fixed, true);
    const first = await transcribe(engineFor(gw, tokens), [[10, false]]);
    assert.equal(first.length, 1);
    assert.match(
      (first[0] as { detail: string }).detail,
      /40000001 Gateway:ACCESS_DENIED:The token 'console-token' has expired!/,
    );
    assert.match(tokens.refused ?? '', /console token expires 24 h .*accessKeyId and accessKeySecret/);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /"engine":"aliyun".*NLS token refused/);
    const connections = gw.connections();
    const second = await transcribe(engineFor(gw, tokens), [[10, false]]);
    assert.match((second[0] as { detail: string }).detail, /accessKeyId and accessKeySecret/);
    assert.equal(gw.connections(), connections, 'no connection for a token known to be dead');
    assert.equal(lines.length, 1, 'reported once');
  });

  test('an unknown token is refused at the upgrade (403) and counts as a refusal', async () => {
    const tokens = new NlsTokenProvider({ token: 'never-issued' });
    const events = await transcribe(engineFor(gw, tokens), [[10, false]]);
    assert.match((events[0] as { detail: string }).detail, /403/);
    assert.equal(gw.refusedUpgrades() > 0, true);
    assert.ok(tokens.refused);
  });

  test('with an AccessKey pair a signed CreateToken fetches the token, shared by concurrent tasks', async () => {
    const tokens = new NlsTokenProvider({
      accessKeyId: 'LTAI5tTESTKEY',
      accessKeySecret: 'test-secret',
      tokenEndpoint: meta.url,
    });
    assert.equal(tokens.fixed, false);
    const before = meta.issued.length;
    const ids = await Promise.all([tokens.token(), tokens.token(), tokens.token()]);
    assert.equal(meta.issued.length, before + 1, 'one CreateToken for three tasks');
    assert.deepEqual(ids, [ids[0], ids[0], ids[0]]);
    const req = meta.requests.at(-1)!;
    assert.equal(req.Action, 'CreateToken');
    assert.equal(req.Version, '2019-02-28');
    assert.equal(req.RegionId, 'cn-shanghai');
    const events = await transcribe(engineFor(gw, tokens), [
      [50, true],
      [40, false],
    ]);
    assert.equal(events.filter((e) => e.type === 'final').length, 1);
  });

  test('a fetched token is renewed a minute before its ExpireTime', async () => {
    const clock = new ManualClock({ start: Date.now() });
    const tokens = new NlsTokenProvider({
      accessKeyId: 'LTAI5tTESTKEY',
      accessKeySecret: 'test-secret',
      tokenEndpoint: meta.url,
      clock,
    });
    const first = await tokens.token();
    clock.advance(3600_000 - 61_000);
    assert.equal(await tokens.token(), first, 'still a minute and more to go');
    clock.advance(2000);
    const second = await tokens.token();
    assert.notEqual(second, first, 'renewed a minute before ExpireTime');
  });

  test('a fetched token the gateway refuses is dropped: the next task gets a new one', async () => {
    const tokens = new NlsTokenProvider({
      accessKeyId: 'LTAI5tTESTKEY',
      accessKeySecret: 'test-secret',
      tokenEndpoint: meta.url,
    });
    const second = await tokens.token();
    // The gateway expires the token early (e.g. revoked): the task fails, the next one gets a new token.
    gw.tokens.set(second, Date.now() - 1);
    const failed = await transcribe(engineFor(gw, tokens), [[10, false]]);
    assert.match((failed[0] as { detail: string }).detail, /40000001/);
    assert.equal(tokens.refused, null, 'a renewable token is never dead');
    const ok = await transcribe(engineFor(gw, tokens), [
      [50, true],
      [40, false],
    ]);
    assert.equal(ok.filter((e) => e.type === 'final').length, 1);
    assert.notEqual(await tokens.token(), second);
  });

  test('CreateToken errors name the cause: a wrong secret, an unknown AccessKey, no server', async () => {
    const wrong = new NlsTokenProvider({
      accessKeyId: 'LTAI5tTESTKEY',
      accessKeySecret: 'nope',
      tokenEndpoint: meta.url,
    });
    await assert.rejects(wrong.token(), /CreateToken .* HTTP 400 SignatureDoesNotMatch/);
    const unknown = new NlsTokenProvider({
      accessKeyId: 'LTAIother',
      accessKeySecret: 'x',
      tokenEndpoint: meta.url,
    });
    await assert.rejects(unknown.token(), /HTTP 404 InvalidAccessKeyId\.NotFound/);
    const port = await freePort();
    const down = new NlsTokenProvider({
      accessKeyId: 'a',
      accessKeySecret: 'b',
      tokenEndpoint: `http://127.0.0.1:${port}`,
      timeoutMs: 1000,
    });
    await assert.rejects(
      down.token(),
      new RegExp(`CreateToken at http://127\\.0\\.0\\.1:${port} failed: ECONNREFUSED`),
    );
  });

  test('the signature follows POP SignatureVersion 1.0 (a fixed vector)', () => {
    // Computed independently: HMAC-SHA1("test-secret&", "GET&%2F&" + pct(sorted canonical query)).
    const q = signedCreateTokenQuery('LTAI5tTESTKEY', 'test-secret', {
      now: Date.UTC(2024, 0, 2, 3, 4, 5, 678),
      regionId: 'cn-shanghai',
      nonce: 'fixed-nonce',
    });
    assert.equal(
      q.replace(/&Signature=.*/, ''),
      'AccessKeyId=LTAI5tTESTKEY&Action=CreateToken&Format=JSON&RegionId=cn-shanghai&SignatureMethod=HMAC-SHA1' +
        '&SignatureNonce=fixed-nonce&SignatureVersion=1.0&Timestamp=2024-01-02T03%3A04%3A05Z&Version=2019-02-28',
    );
  });
});

describe('NLS start-up probe', () => {
  let gw: NlsGateway;
  let rate16k: NlsGateway;
  before(async () => {
    gw = await nlsGateway({ appKeys: ['app'] });
    rate16k = await nlsGateway({ projectRate: 16000 });
  });
  after(async () => {
    await gw.close();
    await rate16k.close();
  });
  const tokens = () => new NlsTokenProvider({ token: 'good-token' });

  test('runs a real start/stop task', async () => {
    const before = gw.starts('StartTranscription').length;
    assert.equal(
      await probeNlsTranscription({ url: gw.url, appKey: 'app', tokens: tokens(), timeoutMs: 2000 }),
      null,
    );
    assert.equal(gw.starts('StartTranscription').length, before + 1);
    assert.ok(gw.received.some((m) => (m.header as { name: string }).name === 'StopTranscription'));
    assert.equal(
      await probeNlsSynthesis({ url: gw.url, appKey: 'app', tokens: tokens(), timeoutMs: 2000 }),
      null,
    );
  });

  test('a wrong appkey shows', async () => {
    const detail = await probeNlsTranscription({
      url: gw.url,
      appKey: 'typo',
      tokens: tokens(),
      timeoutMs: 2000,
    });
    assert.match(detail ?? '', /40020105 Meta:APPKEY_NOT_EXIST:Appkey not exist! \(check appKey/);
    const tts = await probeNlsSynthesis({ url: gw.url, appKey: 'typo', tokens: tokens(), timeoutMs: 2000 });
    assert.match(tts ?? '', /40020105/);
  });

  test('a project whose model is not 8 kHz shows, with what to change', async () => {
    const detail = await probeNlsTranscription({
      url: rate16k.url,
      appKey: 'app',
      tokens: tokens(),
      timeoutMs: 2000,
    });
    assert.match(
      detail ?? '',
      /41010101 UNSUPPORTED_SAMPLE_RATE \(the appkey's project must use an 8 kHz model/,
    );
  });
});

describe('NLS synthesis', () => {
  let gw: NlsGateway;
  before(async () => {
    gw = await nlsGateway();
  });
  after(() => gw.close());
  const tokens = () => new NlsTokenProvider({ token: 'good-token' });

  test('odd-sized frames make continuous samples (the odd byte is carried to the next frame)', async () => {
    const tts = new NlsTts({ url: gw.url, appKey: 'app', tokens: tokens() });
    const pcm = await collect(tts, { text: '您好，这里是测试', voice: 'xiaogang', volume: 80, speed: 100 });
    assert.equal(pcm.length, 8 * 400);
    for (let k = 0; k < pcm.length; k++)
      if (pcm[k] !== synthesizedSample(k)) assert.fail(`sample ${k} is ${pcm[k]}`);
    assert.deepEqual(gw.starts('StartSynthesis').at(-1), {
      voice: 'xiaogang',
      format: 'pcm',
      sample_rate: 8000,
      volume: 80,
      speech_rate: 100,
      pitch_rate: 0,
      text: '您好，这里是测试',
    });
  });

  test('a prompt over 300 characters is synthesised in pieces cut at sentence ends', async () => {
    const sentence = '您好，这里是某某银行的客户服务中心，今天给您来电是想提醒您本月的账单即将到期。';
    const text = sentence.repeat(12); // 39 × 12 = 468 characters
    const tts = new NlsTts({ url: gw.url, appKey: 'app', tokens: tokens() });
    const before = gw.starts('StartSynthesis').length;
    const pcm = await collect(tts, { text });
    const pieces = gw
      .starts('StartSynthesis')
      .slice(before)
      .map((p) => String(p.text));
    assert.ok(pieces.length >= 2, `pieces: ${pieces.length}`);
    for (const p of pieces) {
      assert.ok([...p].length <= 300, `${[...p].length} characters`);
      assert.ok(p.endsWith('。'), 'cut at a sentence end');
    }
    assert.equal(pieces.join(''), text);
    assert.equal(pcm.length, [...text].length * 400);
  });

  test('when synthesis fails the fallback speaks the rest of the prompt', async () => {
    gw.tokens.set('stale-token', Date.now() - 1);
    const asked: TtsRequest[] = [];
    const fallback: Tts = {
      name: 'embedded',
      async *synthesize(request) {
        asked.push(request);
        yield new Int16Array(80).fill(7);
      },
      close: async () => {},
    };
    const warnings: string[] = [];
    const tts = new NlsTts({
      url: gw.url,
      appKey: 'app',
      tokens: new NlsTokenProvider({ token: 'stale-token' }),
      fallback,
      log: { warn: (_o: object, m: string) => warnings.push(m), error: () => {} } as never,
    });
    const pcm = await collect(tts, { text: '您好，这里是测试', voice: 'xiaoyun' });
    assert.deepEqual([...pcm.slice(0, 3)], [7, 7, 7]);
    assert.deepEqual(
      asked.map((r) => [r.text, r.voice]),
      [['您好，这里是测试', 'xiaoyun']],
    );
    assert.match(warnings[0] ?? '', /NLS synthesis failed/);
    // Without a fallback the failure is the caller's.
    const bare = new NlsTts({
      url: gw.url,
      appKey: 'app',
      tokens: new NlsTokenProvider({ token: 'stale-token' }),
    });
    await assert.rejects(collect(bare, { text: '您好' }), /40000001/);
  });
});

describe('splitForSynthesis', () => {
  test('keeps a short prompt whole and packs sentences up to the limit', () => {
    assert.deepEqual(splitForSynthesis('  您好。  ', 300), ['您好。']);
    assert.deepEqual(splitForSynthesis('一二三。四五六。七八九。', 8), ['一二三。四五六。', '七八九。']);
  });
  test('falls back to commas, then spaces, then a hard cut', () => {
    assert.deepEqual(splitForSynthesis('一二三，四五六，七八九', 8), ['一二三，四五六，', '七八九']);
    assert.deepEqual(splitForSynthesis('aaaa bbbb cccc', 10), ['aaaa bbbb', 'cccc']);
    assert.deepEqual(splitForSynthesis('一二三四五六七八九十', 4), ['一二三四', '五六七八', '九十']);
  });
});
