/**
 * A call's timeline is kept in the store as it happens: after the console (and its store) restart,
 * the call detail still shows each prompt played and cut, each utterance (speech start, words or
 * rejection), the keys and the transfer; the live view of a call in progress replays the lines it
 * missed before connecting; a quiet live stream gets a keep-alive comment every 15 s; and the
 * retention sweep forgets old calls' events with their recordings.
 */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import { RecordingSweeper } from '../../src/media-library/recordingSweeper.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { tempDir } from '../helpers/tempDir.js';
import { type ConsoleHarness, call, cookieHeader, loggedIn, startConsole } from './consoleHarness.js';

const T = Date.UTC(2025, 5, 1, 2, 0, 0);

/** What the call's timeline emitted while the first console ran. */
function talk(h: ConsoleHarness, callId: string): void {
  h.events.emit('said', { callId, at: T + 1000, code: '$t$', texts: ['您好，请问是张先生吗？'] });
  h.events.emit('heard', {
    callId,
    at: T + 2600,
    words: undefined,
    beginAt: T + 1800,
    endAt: T + 2600,
    earlyMedia: false,
  });
  h.events.emit('interrupted', { callId, at: T + 2700 });
  h.events.emit('heard', {
    callId,
    at: T + 4000,
    words: '是我',
    beginAt: T + 3200,
    endAt: T + 4000,
    earlyMedia: false,
  });
  h.events.emit('dtmf', { callId, at: T + 5000, digit: '7' });
  h.events.emit('said', { callId, at: T + 6000, code: 'transfer', texts: ['[transferred to 138****0000]'] });
}

/** The timeline rows of a call detail page: [kind, detail]. */
const rows = (body: string) =>
  [...body.matchAll(/<tr class="ev ev-(\w+)[^"]*"[^>]*>[\s\S]*?<td>([^<]*)<\/td><\/tr>/g)].map((m) => [
    m[1],
    m[2],
  ]);

/** Reads an event stream for `ms` (or until it ends) and returns its raw text. */
function readStream(
  port: number,
  path: string,
  cookie: string,
  ms: number,
  during?: () => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const req = get({ host: '127.0.0.1', port, path, headers: { cookie } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve(text));
      setTimeout(() => during?.(), 100);
      setTimeout(() => {
        res.destroy();
        resolve(text);
      }, ms);
    });
    req.on('error', reject);
  });
}

test('the call detail shows the stored timeline after a restart; the live view replays what it missed', async () => {
  const dir = tempDir('smartcall-timeline-');
  try {
    const first = await startConsole({ storeDir: dir.path });
    const over = call(first.acme, T, { state: 'ended', answerAt: T + 500, endAt: T + 7000 });
    const going = call(first.acme, T, { state: 'answered', answerAt: T + 500, endAt: null });
    first.store.calls.insert(over);
    first.store.calls.insert(going);
    talk(first, over.callId);
    talk(first, going.callId);
    await first.close(); // the events were written; nothing of them stays in memory

    const h = await startConsole({ storeDir: dir.path });
    try {
      const root = await loggedIn(h.app, 'root');
      const res = await root.get(`/console/calls/${encodeURIComponent(over.callId)}`);
      assert.equal(res.statusCode, 200);
      const timeline = rows(res.body);
      assert.deepEqual(
        timeline.filter(([kind]) => !['accepted', 'answered', 'ended'].includes(kind!)),
        [
          ['said', '您好，请问是张先生吗？'],
          ['speech', ''],
          ['unrecognised', '800 ms'],
          ['interrupted', ''],
          ['speech', ''],
          ['heard', '是我'],
          ['dtmf', '7'],
          ['said', '[transferred to 138****0000]'],
        ],
        JSON.stringify(timeline),
      );
      assert.match(res.body, /用户开始说话/, 'labelled in the viewer’s language');

      await h.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (h.app.server.address() as AddressInfo).port;
      const text = await readStream(
        port,
        `/console/live/events?call=${encodeURIComponent(going.callId)}`,
        cookieHeader(root.jar),
        400,
      );
      const lines = [...text.matchAll(/event: line\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!).text);
      assert.deepEqual(
        lines,
        ['您好，请问是张先生吗？', '800 ms', '', '是我', '7', '[transferred to 138****0000]'],
        'the lines of before the stream opened, in order',
      );
    } finally {
      await h.close();
    }
  } finally {
    dir.remove();
  }
});

test('a quiet live stream gets a keep-alive comment every 15 s', async () => {
  const h = await startConsole();
  try {
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (h.app.server.address() as AddressInfo).port;
    const root = await loggedIn(h.app, 'root');
    const clock = h.clock as ManualClock;
    const text = await readStream(port, '/console/live/events', cookieHeader(root.jar), 400, () => {
      clock.advance(14_999);
      clock.advance(1);
      clock.advance(15_000);
    });
    assert.equal(text.match(/^: keep-alive\n\n/gm)?.length, 2, JSON.stringify(text));
  } finally {
    await h.close();
  }
});

test("the retention sweep forgets old calls' timeline events with their recordings", async () => {
  const store = SqliteStore.inMemory();
  const day = 86_400_000;
  const now = Date.parse('2026-12-06T12:00:00Z');
  const at = (daysAgo: number, i: number) => ({
    callId: `c${daysAgo}`,
    at: now - daysAgo * day + i,
    type: 'dtmf',
    data: '{"digit":"1"}',
  });
  store.callEvents.append([at(40, 0), at(40, 1), at(31, 0)]);
  store.callEvents.append([at(29, 0), at(1, 0)]);
  const dir = tempDir('smartcall-sweep-');
  try {
    const sweeper = new RecordingSweeper({
      dir: dir.path,
      retentionDays: 30,
      time: new ManualClock({ start: now }),
      log: silentLogger(),
      forgetBefore: (before) => store.callEvents.removeBefore(before),
    });
    await sweeper.sweep();
    assert.deepEqual(store.callEvents.listByCall('c40'), []);
    assert.deepEqual(store.callEvents.listByCall('c31'), []);
    assert.equal(store.callEvents.listByCall('c29').length, 1);
    assert.equal(store.callEvents.listByCall('c1').length, 1);
  } finally {
    dir.remove();
    store.close();
  }
});
