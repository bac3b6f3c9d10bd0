/**
 * The live screen's event stream on the console session: calls in progress with their transcript
 * as it happens, only in the accounts the user may see (a viewer of acme never hears of another
 * account's call, not even a new one), and one call followed from its start to its end.
 */
import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { type ConsoleHarness, call, cookieHeader, loggedIn, startConsole } from './consoleHarness.js';

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** An open event stream: what arrived so far, a wait for an event, and a close. */
class Stream {
  readonly events: SseEvent[] = [];
  ended = false;
  #buffer = '';
  #res: IncomingMessage | undefined;
  #waiters: (() => void)[] = [];

  static open(port: number, path: string, cookie: string): Promise<Stream> {
    const s = new Stream();
    return new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, path, headers: { cookie, accept: 'text/event-stream' } }, (res) => {
        s.#res = res;
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /text\/event-stream/);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => s.#take(chunk));
        res.on('end', () => {
          s.ended = true;
          s.#wake();
        });
        resolve(s);
      }).on('error', reject);
    });
  }

  #take(chunk: string): void {
    this.#buffer += chunk;
    let cut = this.#buffer.indexOf('\n\n');
    while (cut >= 0) {
      const block = this.#buffer.slice(0, cut);
      this.#buffer = this.#buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '{}';
      this.events.push({ event, data: JSON.parse(data) });
      cut = this.#buffer.indexOf('\n\n');
    }
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  async until(what: string, ok: (events: SseEvent[]) => boolean, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok(this.events)) {
      const left = deadline - Date.now();
      if (left <= 0 || this.ended) assert.fail(`${what}: got ${JSON.stringify(this.events)}`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }

  close(): void {
    this.#res?.destroy();
  }
}

let h: ConsoleHarness;
let port: number;
const T = Date.UTC(2025, 5, 1, 2, 0, 0);
before(async () => {
  h = await startConsole();
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  port = (h.app.server.address() as AddressInfo).port;
});
after(async () => {
  await h.close();
});

const heard = (callId: string, words: string, at: number) =>
  h.events.emit('heard', { callId, at, words, beginAt: at - 900, endAt: at, earlyMedia: false });

test('a viewer sees the calls in progress of her account only, with each sentence as it is heard', async () => {
  const mine = call(h.acme, T, { state: 'answered', calledNumber: '13800000001' });
  const theirs = call(h.other, T, { state: 'answered', calledNumber: '13800000002' });
  const over = call(h.acme, T, { state: 'ended' });
  for (const c of [mine, theirs, over]) h.store.calls.insert(c);
  h.events.emit('said', { callId: mine.callId, at: T + 1000, code: '$t$', texts: ['您好'] });

  const ann = await loggedIn(h.app, 'ann');
  const root = await loggedIn(h.app, 'root');
  const annStream = await Stream.open(port, '/console/live/events', cookieHeader(ann.jar));
  const rootStream = await Stream.open(port, '/console/live/events', cookieHeader(root.jar));
  try {
    await annStream.until('her call, with what was said before she looked', (es) =>
      es.some((e) => e.event === 'line' && e.data.text === '您好'),
    );
    const cards = () => annStream.events.filter((e) => e.event === 'call').map((e) => e.data.callId);
    assert.deepEqual(cards(), [mine.callId], 'only acme’s call in progress (not the ended one)');
    assert.equal(annStream.events[0]!.data.account, 'acme');

    heard(theirs.callId, '别人的话', T + 2000);
    heard(mine.callId, '我是张三', T + 2500);
    await annStream.until('the sentence heard in her call', (es) =>
      es.some((e) => e.event === 'line' && e.data.text === '我是张三'),
    );
    const line = annStream.events.find((e) => e.data.text === '我是张三')!.data;
    assert.equal(line.kind, 'heard');
    assert.equal(line.label, '用户说', 'labelled in her language');
    await rootStream.until(
      'the admin hears both',
      (es) => es.some((e) => e.data.text === '别人的话') && es.some((e) => e.data.text === '我是张三'),
    );

    // A call that starts after she connected appears when its first event comes.
    const fresh = call(h.acme, T + 5000, { state: 'dialing' });
    const foreign = call(h.other, T + 5000, { state: 'dialing' });
    h.store.calls.insert(fresh);
    h.store.calls.insert(foreign);
    h.events.emit('state', { callId: foreign.callId, state: 'dialing', at: T + 5001 });
    h.events.emit('state', { callId: fresh.callId, state: 'dialing', at: T + 5002 });
    await annStream.until('the new call of her account', (es) =>
      es.some((e) => e.event === 'line' && e.data.callId === fresh.callId && e.data.kind === 'dialing'),
    );
    assert.deepEqual(cards(), [mine.callId, fresh.callId]);
    assert.ok(
      !JSON.stringify(annStream.events).includes('别人的话') &&
        !JSON.stringify(annStream.events).includes(theirs.callId) &&
        !JSON.stringify(annStream.events).includes(foreign.callId),
      'nothing of the other account reached her',
    );

    h.events.emit('ended', {
      callId: mine.callId,
      record: { ...mine, state: 'ended', statusCode: '200000' },
    });
    await annStream.until('the end', (es) =>
      es.some((e) => e.event === 'ended' && e.data.callId === mine.callId),
    );
    assert.ok(!annStream.ended, 'the screen keeps following other calls');
  } finally {
    annStream.close();
    rootStream.close();
  }
});

test('one call followed from its start to its end; another account’s call is refused', async () => {
  const c = call(h.acme, T + 9000, { state: 'ringing' });
  const theirs = call(h.other, T + 9000, { state: 'ringing' });
  h.store.calls.insert(c);
  h.store.calls.insert(theirs);
  h.events.emit('state', { callId: c.callId, state: 'ringing', at: T + 9100 });
  const ann = await loggedIn(h.app, 'ann');
  const page = await ann.get(`/console/live?call=${encodeURIComponent(c.callId)}`);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /data-src="\/console\/live\/events\?call=/);
  assert.match(page.body, /<script src="\/console\/assets\/live.js" defer>/);
  assert.equal((await ann.get(`/console/live?call=${encodeURIComponent(theirs.callId)}`)).statusCode, 403);
  assert.equal((await ann.get('/console/live?call=nope')).statusCode, 404);
  const refused = await ann.get(`/console/live/events?call=${encodeURIComponent(theirs.callId)}`);
  assert.equal(refused.statusCode, 403);
  assert.equal(
    (await h.app.inject({ url: '/console/live/events' })).statusCode,
    401,
    'no session, no stream',
  );

  const s = await Stream.open(
    port,
    `/console/live/events?call=${encodeURIComponent(c.callId)}`,
    cookieHeader(ann.jar),
  );
  try {
    await s.until('the replay from its start', (es) => es.some((e) => e.data.kind === 'ringing'));
    heard(c.callId, '好的', T + 12_000);
    h.events.emit('callback', {
      callId: c.callId,
      at: T + 12_100,
      contentType: 'normal',
      content: {},
      outcome: 'ok',
      action: 'hangup (reply)',
      source: 'reply',
      latencyMs: 42,
    });
    h.events.emit('ended', { callId: c.callId, record: { ...c, state: 'ended', statusCode: '200000' } });
    await s.until('the end closes the stream', () => s.ended);
    assert.deepEqual(
      s.events.map((e) => e.event),
      ['call', 'line', 'line', 'line', 'ended', 'done'],
    );
    assert.match(String(s.events[3]!.data.text), /normal → ok · 42 ms → hangup \(reply\)/);
  } finally {
    s.close();
  }
  // Followed again after the end: the whole call is replayed, then the stream ends.
  const again = await ann.get(`/console/live/events?call=${encodeURIComponent(c.callId)}`);
  assert.match(again.body, /event: call[\s\S]*好的[\s\S]*event: ended[\s\S]*event: done/);
});
