/**
 * The calls screen and a call's detail: keyset pages that list every call once, newest first;
 * filters that combine; CSV export; both languages; the detail's fields, timeline, exchanges,
 * receipts and recording.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../helpers/tempDir.js';
import { type ConsoleHarness, call, loggedIn, startConsole } from './consoleHarness.js';

let h: ConsoleHarness;
const dir = tempDir('smartcall-console-');
const T = Date.UTC(2025, 5, 1, 2, 0, 0); // 2025-06-01 10:00:00 China time
before(async () => {
  h = await startConsole();
});
after(async () => {
  await h.close();
  dir.remove();
});

const idsIn = (body: string) =>
  [...body.matchAll(/<td><a href="\/console\/calls\/([^"]+)">/g)].map((m) => decodeURIComponent(m[1]!));
const nextLink = (body: string) => /<a href="([^"]+)" rel="next">/.exec(body)?.[1]?.replace(/&amp;/g, '&');

describe('the calls list', () => {
  const made: string[] = [];
  before(() => {
    h.store.transaction(() => {
      // 130 calls, three to a millisecond: the cursor must split ties by CallId.
      for (let i = 0; i < 130; i++) {
        const c = call(i % 2 ? h.acme : h.other, T + Math.floor(i / 3), {
          calledNumber: i === 7 ? '13911112222' : '13800000000',
          outId: `order-${i}`,
          state: i % 10 === 0 ? 'failed' : 'ended',
          statusCode: i % 10 === 0 ? '200005' : '200000',
        });
        h.store.calls.insert(c);
        made.push(c.callId);
      }
    });
  });

  test('pages newest first with a cursor; walking "older" lists every call exactly once', async () => {
    const b = await loggedIn(h.app, 'root');
    const seen: string[] = [];
    let url: string | undefined = '/console/calls';
    let pages = 0;
    while (url) {
      const res = await b.get(url);
      assert.equal(res.statusCode, 200);
      seen.push(...idsIn(res.body));
      url = nextLink(res.body);
      pages++;
    }
    assert.equal(pages, 3);
    const expected = [...made].sort((x, y) => (x < y ? 1 : -1));
    assert.deepEqual(seen, expected, 'newest first, none twice, none missing');
    assert.match((await b.get('/console/calls?after=x')).body, /after: not a page cursor/);
  });

  test('filters combine: account, number, OutId, CallId, state, outcome and a China-time range', async () => {
    const b = await loggedIn(h.app, 'root');
    const ids = async (q: string) => idsIn((await b.get(`/console/calls?${q}`)).body);
    assert.deepEqual(await ids('number=13911112222'), [made[7]]);
    assert.deepEqual(await ids('outId=order-42'), [made[42]]);
    assert.deepEqual(await ids(`callId=${encodeURIComponent(made[5]!)}`), [made[5]]);
    assert.equal((await ids('state=failed')).length, 13);
    assert.equal(
      (await ids('status=200005&account=acme')).length,
      0,
      'failed calls are the even ones (other)',
    );
    assert.equal((await ids('status=200005&account=other')).length, 13);
    assert.equal((await ids('account=acme')).length, 50);
    // 10:00:00.000 … 10:00:00.043 China time; the range ends before 10:00:00.
    assert.equal((await ids('to=2025-06-01T10:00')).length, 0);
    assert.equal((await ids('from=2025-06-01T10:00&to=2025-06-01T10:01&state=failed')).length, 13);
    const bad = await b.get('/console/calls?from=yesterday');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /from: a time such as/);
    assert.match((await b.get('/console/calls?account=nope')).body, /no account named nope/);
  });

  test('exports the filtered calls as CSV, every row, with formula-looking cells defused', async () => {
    h.store.calls.insert(call(h.acme, T - 10_000, { outId: '=HYPERLINK("x")' }));
    const b = await loggedIn(h.app, 'root');
    const res = await b.get('/console/calls.csv?account=acme');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/csv/);
    assert.match(String(res.headers['content-disposition']), /attachment/);
    assert.deepEqual([...res.rawPayload.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 BOM for spreadsheets');
    const lines = res.rawPayload.subarray(3).toString('utf8').trim().split('\r\n');
    assert.equal(
      lines[0],
      'CallId,Account,CalledNumber,CalledShowNumber,OutId,State,StatusCode,StatusMsg,HangupDirection,CreatedAt,AnswerAt,EndAt,Trunk,SipStatus',
    );
    assert.equal(lines.length, 1 + 65 + 1, 'every acme call, not one page');
    assert.ok(
      lines.some((l) => l.includes(`"'=HYPERLINK(""x"")"`)),
      lines.at(-1),
    );
    assert.ok(lines.slice(1).every((l) => l.includes(',acme,')));
  });

  test('speaks English when the browser prefers it, and the switch sets Chinese in a cookie', async () => {
    const b = await loggedIn(h.app, 'root');
    const en = await b.get('/console/calls', { 'accept-language': 'en-US,en;q=0.9,zh;q=0.5' });
    assert.match(en.body, /<html lang="en">/);
    assert.match(en.body, />Older calls</);
    const zh = await b.get('/console/calls', { 'accept-language': 'zh-CN,zh;q=0.9' });
    assert.match(zh.body, /更早的通话/);
    const refused = await b.post('/console/lang', { lang: 'zh', back: '/console/calls' });
    assert.equal(refused.statusCode, 403, 'a change without the token');
    const sw = await b.post('/console/lang', {
      _csrf: b.csrf,
      lang: 'zh',
      back: '/console/calls?state=failed',
    });
    assert.equal(sw.statusCode, 303);
    assert.equal(sw.headers.location, '/console/calls?state=failed');
    const after = await b.get('/console/calls', { 'accept-language': 'en' });
    assert.match(after.body, /<html lang="zh-CN">/, 'the choice beats the browser');
  });
});

test('a call detail shows its fields, timeline, callback exchanges, receipts and recording', async () => {
  const wav = join(dir.path, 'rec.wav');
  writeFileSync(wav, Buffer.from('RIFF....WAVEfmt '));
  const c = call(h.acme, T + 5000, {
    outId: 'detail-1',
    originateAt: T + 5010,
    ringAt: T + 5500,
    answerAt: T + 7000,
    endAt: T + 19_000,
    statusMsg: '执行完成',
    hangupDirection: '机器',
    trunk: 'phonenet',
    recordPath: wav,
    recordBeginAt: T + 7000,
  });
  h.store.calls.insert(c);
  h.store.callbackExchanges.insert({
    callId: c.callId,
    contentType: 'normal',
    content: JSON.stringify({ words: '我是张三' }),
    outcome: 'ok',
    httpStatus: 200,
    reply: '{"result":"success"}',
    action: 'hangup (reply)',
    detail: null,
    latencyMs: 12,
    createdAt: T + 12_000,
  });
  h.store.receipts.append({
    receiptId: `${c.callId}:VoiceReport:1`,
    accountId: h.acme,
    callId: c.callId,
    type: 'VoiceReport',
    stream: 'http://x/r',
    payload: '{}',
    nextAttemptAt: T + 19_000,
    createdAt: T + 19_000,
  });
  const b = await loggedIn(h.app, 'ann');
  const res = await b.get(`/console/calls/${encodeURIComponent(c.callId)}`);
  assert.equal(res.statusCode, 200);
  const body = res.body;
  assert.ok(body.includes('detail-1'));
  const events = [...body.matchAll(/<tr class="ev ev-(\w+)"/g)].map((m) => m[1]);
  assert.deepEqual(events, [
    'accepted',
    'dialing',
    'ringing',
    'answered',
    'recording',
    'callback',
    'ended',
    'receipt',
  ]);
  assert.match(body, /normal “我是张三” → ok \(HTTP 200\) 12 ms → hangup \(reply\)/);
  assert.match(body, /200000 执行完成 · hang-up: 机器/);
  assert.match(body, /\+14\.000 s/, 'offset from acceptance');
  assert.match(body, /2025-06-01 10:00:05/, 'China time');
  assert.match(body, /<td>VoiceReport<\/td><td>pending<\/td>/);
  const src = /<audio controls preload="metadata" src="([^"]+)"/.exec(body)?.[1];
  assert.equal(src, `/console/calls/${encodeURIComponent(c.callId)}/recording`);
  const audio = await b.get(src!);
  assert.equal(audio.statusCode, 200);
  assert.equal(audio.headers['content-type'], 'audio/wav');
  assert.equal((await h.app.inject({ url: src! })).statusCode, 303, 'no session, no recording');
  const missing = await b.get('/console/calls/nope');
  assert.equal(missing.statusCode, 404);
});
