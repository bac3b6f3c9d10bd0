/**
 * The overview's figures over a known set of calls, callback exchanges and receipts: counts, answer
 * rate, outcomes, turn-latency percentiles, callback error rate, trunk CPS, the receipt backlog;
 * a viewer's figures are their account's only.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Browser, type ConsoleHarness, call, loggedIn, startConsole } from './consoleHarness.js';

let h: ConsoleHarness;
let root: Browser;
let ann: Browser;
const END = Date.UTC(2025, 5, 1, 2, 0, 0); // 10:00 China time
const URL_1H = '/console/overview?window=1h&end=2025-06-01T10%3A00';

before(async () => {
  h = await startConsole();
  const t0 = END - 30 * 60_000;
  const up = { trunk: 'carrier', originateAt: t0 + 20, endAt: t0 + 60_000 };
  const answered = { ...up, answerAt: t0 + 5000, statusCode: '200000' };
  const c1 = call(h.acme, t0, answered);
  for (const c of [
    c1,
    call(h.acme, t0 + 1, answered),
    call(h.acme, t0 + 2, answered),
    call(h.acme, t0 + 3, { ...up, state: 'failed', statusCode: '200005' }),
    call(h.acme, t0 + 4, { ...up, statusCode: '200003' }),
    call(h.other, t0 + 5, answered),
    call(h.acme, t0 + 6, { ...up, state: 'answered', statusCode: null, endAt: null }),
    // Before the window, dialled and ended then (trunk CPS counts calls by when they were dialled).
    call(h.acme, END - 2 * 3600_000, {
      ...answered,
      originateAt: END - 2 * 3600_000 + 20,
      answerAt: END - 2 * 3600_000 + 5000,
      endAt: END - 2 * 3600_000 + 60_000,
    }),
  ])
    h.store.calls.insert(c);
  // Four turns of c1: speech end → callback 800, 801, 805, 900 ms; round trips 40, 50, 60 and a timeout.
  [
    [800, 40, 'ok'],
    [801, 50, 'ok'],
    [805, 60, 'ok'],
    [900, 1000, 'timeout'],
  ].forEach(([gap, latency, outcome], i) => {
    const at = t0 + 10_000 + i * 5000;
    h.store.callbackExchanges.insert({
      callId: c1.callId,
      contentType: 'normal',
      content: JSON.stringify({ words: '是的', asr_end_time: String(at - (gap as number)) }),
      outcome: outcome as string,
      httpStatus: outcome === 'ok' ? 200 : null,
      reply: null,
      action: null,
      detail: null,
      latencyMs: latency as number,
      createdAt: at,
    });
  });
  for (const type of ['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport'] as const)
    h.store.receipts.append({
      receiptId: `${c1.callId}:${type}:1`,
      accountId: h.acme,
      callId: c1.callId,
      type,
      stream: 'http://127.0.0.1:9/r',
      payload: '{}',
      nextAttemptAt: t0,
      createdAt: t0 + 60_000,
    });
  const [first] = h.store.receipts.due(END, 1);
  h.store.receipts.markDelivered([first!.id], END);
  root = await loggedIn(h.app, 'root');
  ann = await loggedIn(h.app, 'ann');
});
after(() => h.close());

const figure = (body: string, id: string) => new RegExp(`id="${id}">([^<]*)<`).exec(body)?.[1]?.trim();
const cells = (body: string, id: string) =>
  [
    ...(new RegExp(`<tr id="${id}">([\\s\\S]*?)</tr>`).exec(body)?.[1] ?? '').matchAll(/<td[^>]*>([^<]*)</g),
  ].map((m) => m[1]);

test('the figures of a window match the calls in it', async () => {
  const res = await root.get(URL_1H);
  assert.equal(res.statusCode, 200);
  const b = res.body;
  assert.equal(figure(b, 'fig-calls'), '7');
  assert.equal(figure(b, 'fig-answered'), '4');
  assert.equal(figure(b, 'fig-answer-rate'), '66.7%', '4 answered of 6 finished');
  assert.equal(figure(b, 'fig-callback-errors'), '25.0%');
  assert.equal(figure(b, 'fig-receipts-pending'), '2');
  assert.deepEqual(cells(b, 'lat-speech').slice(0, 2), ['801 ms', '900 ms']);
  assert.deepEqual(cells(b, 'lat-callback').slice(0, 2), ['50 ms', '1000 ms']);
  assert.match(cells(b, 'lat-audio')[0] ?? '', /未测量/);
  const outcomes = Object.fromEntries(
    [
      ...(/<table id="outcomes"[\s\S]*?<\/table>/.exec(b)?.[0] ?? '').matchAll(
        /<tr><td>([^<]+)<\/td><td>(\d+)<\/td><\/tr>/g,
      ),
    ].map((m) => [m[1], Number(m[2])]),
  );
  assert.deepEqual(outcomes, { '200000': 4, '200005': 1, '200003': 1, answered: 1 });
  assert.match(b, /carrier 峰值 CPS<\/title><desc[^>]*>峰值 CPS 7/, 'seven calls started within one second');
  assert.match(b, /<svg viewBox="0 0 560 160"[^>]*role="img"/);
  assert.match(b, /<desc id="c-cpm-d">7 呼叫, [^<]*; max 7\/min<\/desc>/, 'seven calls in one minute');
  // The answer-rate line has its one point at the bucket of those calls: 3 answered of 5 finished.
  const answer = /<svg[^>]*aria-labelledby="c-answer-t[\s\S]*?<\/svg>/.exec(b)?.[0] ?? '';
  assert.match(answer, /<path d="M[\d.]+ [\d.]+"/, 'one point drawn');
});

test("a viewer's figures count only their account", async () => {
  const b = (await ann.get(URL_1H)).body;
  assert.equal(figure(b, 'fig-calls'), '6');
  assert.equal(figure(b, 'fig-answered'), '3');
  assert.equal(figure(b, 'fig-answer-rate'), '60.0%');
  const other = await root.get(`${URL_1H}&account=other`);
  assert.equal(figure(other.body, 'fig-calls'), '1');
  assert.equal(figure(other.body, 'fig-callback-errors'), '–');
});

test('a window of the past holds none of these calls; a bad window is refused', async () => {
  const b = (await root.get('/console/overview?window=1h&end=2025-06-01T08%3A00')).body;
  assert.equal(figure(b, 'fig-calls'), '0');
  const bad = await root.get('/console/overview?window=3w');
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /window: one of 1h, 6h, 24h, 7d/);
});
