/**
 * The resources screens: an AccessKey's secret is shown once, a viewer only looks, another account
 * answers 403, the test callback reaches a real HTTP server on 127.0.0.1 and shows its status, an
 * uploaded voice plays back, a phrase model recognises a WAV spoken by espeak, and the trunks screen
 * shows what the keep-alive knows.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ConsoleUsers } from '../../src/console/consoleUsers.js';
import { encodeWav } from '../../src/media/wavWriter.js';
import { EspeakTts } from '../../src/speech/espeak/espeakTts.js';
import { speak, telephone } from '../speech/speechFixtures.js';
import {
  type Browser,
  type ConsoleHarness,
  cookieHeader,
  loggedIn,
  PASSWORD,
  startConsole,
} from './consoleHarness.js';

let h: ConsoleHarness;
let root: Browser & { csrf: string };
let ann: Browser & { csrf: string };
let boss: Browser & { csrf: string };

before(async () => {
  h = await startConsole();
  await new ConsoleUsers(h.store, h.clock).add({
    name: 'boss',
    password: PASSWORD,
    role: 'admin',
    account: 'acme',
  });
  root = await loggedIn(h.app, 'root');
  ann = await loggedIn(h.app, 'ann');
  boss = await loggedIn(h.app, 'boss');
});
after(() => h.close());

/** A multipart/form-data POST as a browser sends a form with a file. */
function postFile(b: Browser & { csrf: string }, url: string, fields: Record<string, string>, file: Buffer) {
  const boundary = '----smartcallTest7d2a';
  const parts = Object.entries({ _csrf: b.csrf, ...fields }).map(
    ([k, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
  );
  const body = Buffer.concat([
    Buffer.from(parts.join('')),
    Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="hello.wav"\r\ncontent-type: audio/wav\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return h.app.inject({
    method: 'POST',
    url,
    remoteAddress: '127.0.0.1',
    headers: { cookie: cookieHeader(b.jar), 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: body,
  });
}

describe('AccessKeys', () => {
  test('a new secret is shown once, then only the key id', async () => {
    const res = await root.post('/console/accounts/acme/keys', { _csrf: root.csrf });
    assert.equal(res.statusCode, 200);
    const id = /id="new-key-id">([^<]+)</.exec(res.body)?.[1];
    const secret = /id="new-key-secret">([^<]+)</.exec(res.body)?.[1];
    assert.ok(id && secret, 'the answer shows the id and the secret');
    assert.equal(h.tenancy.listKeys('acme').filter((k) => k.accessKeyId === id).length, 1);
    assert.match(res.headers['cache-control'] as string, /no-store/);
    const page = await root.get('/console/accounts/acme');
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes(id), 'the id is listed');
    assert.ok(!page.body.includes(secret), 'the secret is not shown again');
    assert.ok(!JSON.stringify(h.store.accessKeys.find(id)).includes(secret), 'nor stored in clear');
  });

  test('disable and delete change the key; a key of another account is refused', async () => {
    const key = h.tenancy.createKey('acme').accessKeyId;
    const off = await root.post(`/console/accounts/acme/keys/${key}/status`, {
      _csrf: root.csrf,
      status: 'disabled',
    });
    assert.equal(off.statusCode, 303);
    assert.equal(h.store.accessKeys.find(key)?.status, 'disabled');
    const theirs = h.tenancy.createKey('other').accessKeyId;
    const cross = await boss.post(`/console/accounts/acme/keys/${theirs}/delete`, { _csrf: boss.csrf });
    assert.equal(cross.statusCode, 400);
    assert.ok(h.store.accessKeys.find(theirs), "another account's key stays");
    const del = await root.post(`/console/accounts/acme/keys/${key}/delete`, { _csrf: root.csrf });
    assert.equal(del.statusCode, 303);
    assert.equal(h.store.accessKeys.find(key), undefined);
  });
});

describe('who may change what', () => {
  test('a viewer sees the account read-only and every change is refused 403', async () => {
    const page = await ann.get('/console/accounts/acme');
    assert.equal(page.statusCode, 200);
    assert.ok(!page.body.includes('id="create-key"'), 'no create button for a viewer');
    const before = h.tenancy.listKeys('acme').length;
    for (const [url, form] of [
      ['/console/accounts/acme/keys', {}],
      ['/console/accounts/acme/numbers', { number: '057100001111' }],
      ['/console/accounts/acme/callback', { url: 'http://127.0.0.1:1/cb' }],
      ['/console/accounts/acme/tts-templates', { id: 'TTS_100000001', text: 'hi' }],
    ] as const) {
      const res = await ann.post(url, { _csrf: ann.csrf, ...form });
      assert.equal(res.statusCode, 403, url);
    }
    assert.equal(h.tenancy.listKeys('acme').length, before);
    assert.equal(h.tenancy.listNumbers('acme').length, 0);
    assert.equal(h.tenancy.account('acme').callback.url, null);
  });

  test("another account's pages and changes answer 403, by URL too", async () => {
    for (const url of [
      '/console/accounts/other',
      '/console/accounts/other/voices',
      '/console/accounts/other/asr-models',
      '/console/accounts/other/tts-templates',
      '/console/trunks',
      '/console/overview?account=other',
    ]) {
      assert.equal((await ann.get(url)).statusCode, 403, url);
      assert.equal((await boss.get(url)).statusCode, 403, url);
    }
    const res = await boss.post('/console/accounts/other/keys', { _csrf: boss.csrf });
    assert.equal(res.statusCode, 403);
    assert.equal(h.tenancy.listKeys('other').length, 1, 'only the key the test made directly');
    const list = await ann.get('/console/accounts');
    assert.match(list.body, /acme/);
    assert.doesNotMatch(list.body, /accounts\/other/);
  });

  test('a change without the form token is refused', async () => {
    const res = await root.post('/console/accounts/acme/numbers', { number: '057100002222' });
    assert.equal(res.statusCode, 403);
    assert.equal(h.tenancy.listNumbers('acme').length, 0);
  });

  test('numbers and accounts: the same rules as the CLI, errors shown on the page', async () => {
    const ok = await boss.post('/console/accounts/acme/numbers', {
      _csrf: boss.csrf,
      number: '057188889999',
      inbound: '1',
    });
    assert.equal(ok.statusCode, 303);
    assert.deepEqual(
      h.tenancy.listNumbers('acme').map((n) => [n.number, n.inbound]),
      [['057188889999', true]],
    );
    const bad = await boss.post('/console/accounts/acme/numbers', { _csrf: boss.csrf, number: '12' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /display number &quot;12&quot; is not valid/);
    const made = await root.post('/console/accounts', { _csrf: root.csrf, name: 'newco', qps: '5' });
    assert.equal(made.statusCode, 303);
    assert.equal(h.tenancy.account('newco').qps, 5);
    assert.equal((await boss.post('/console/accounts', { _csrf: boss.csrf, name: 'mine' })).statusCode, 403);
  });
});

describe('callback settings', () => {
  let server: Server;
  let got: { url: string; body: string }[];
  let status = 200;
  before(async () => {
    got = [];
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ url: req.url ?? '', body });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ result: 'success', data: { action: 'play', action_code: 'hi' } }));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  after(() => new Promise<void>((done) => server.close(() => done())));

  test('"send a test callback" posts a sample to the URL and shows its status and latency', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`;
    const saved = await root.post('/console/accounts/acme/callback', {
      _csrf: root.csrf,
      url,
      timeoutMs: '2000',
      bodyMode: 'form',
      unrecognized: 'callback',
      fallbackReply: '',
      signingSecret: '',
    });
    assert.equal(saved.statusCode, 303);
    assert.equal(h.tenancy.account('acme').callback.bodyMode, 'form');
    const res = await root.post('/console/accounts/acme/callback/test', { _csrf: root.csrf });
    assert.equal(res.statusCode, 200);
    assert.equal(got.length, 1, 'the server got one request');
    const params = new URLSearchParams(got[0]!.body);
    assert.equal(params.get('content_type'), 'normal');
    assert.match(params.get('content') ?? '', /测试回调/);
    const shown = /id="callback-test"[\s\S]*?<\/div>/.exec(res.body)?.[0] ?? '';
    assert.match(shown, /回调已应答：HTTP 200，耗时 \d+ 毫秒/);

    status = 503;
    const failed = await root.post('/console/accounts/acme/callback/test', { _csrf: root.csrf });
    assert.match(failed.body, /回调失败（http-status）：HTTP 503/);
  });

  test('a bad setting is refused with the rule it breaks', async () => {
    const res = await root.post('/console/accounts/acme/callback', {
      _csrf: root.csrf,
      url: 'ftp://x',
      timeoutMs: '1000',
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /callback URL must use http or https/);
  });
});

describe('media library', () => {
  test('an uploaded WAV is listed and its play URL serves the audio; not to another account', async () => {
    const tone = new Int16Array(16000).map((_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16000)),
    );
    const res = await postFile(
      boss,
      '/console/accounts/acme/voices',
      { name: 'greeting' },
      encodeWav([tone], 16000),
    );
    assert.equal(res.statusCode, 303, res.body);
    const [voice] = h.store.voiceFiles.listByAccount(h.acme);
    assert.ok(voice);
    assert.equal(voice.durationMs, 1000);
    const page = await ann.get('/console/accounts/acme/voices');
    const src = /<audio[^>]*src="([^"]+)"/.exec(page.body)?.[1]?.replaceAll('&amp;', '&');
    assert.ok(src?.includes(encodeURIComponent(voice.id)));
    const audio = await ann.get(src!);
    assert.equal(audio.statusCode, 200);
    assert.equal(audio.headers['content-type'], 'audio/wav');
    assert.equal(audio.rawPayload.subarray(0, 4).toString(), 'RIFF');
    assert.equal(audio.rawPayload.readUInt32LE(24), 8000, 'stored at the telephone rate');
    const intruder = await loggedIn(h.app, 'root');
    assert.equal((await intruder.get(src!)).statusCode, 200, 'an installation-wide user may');
    await new ConsoleUsers(h.store, h.clock).add({
      name: 'otto',
      password: PASSWORD,
      role: 'viewer',
      account: 'other',
    });
    const otto = await loggedIn(h.app, 'otto');
    assert.equal((await otto.get(src!)).statusCode, 403);
  });

  test('an upload that is not a WAV is refused with the reason', async () => {
    const res = await postFile(boss, '/console/accounts/acme/voices', {}, Buffer.from('not audio at all'));
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /hello\.wav/);
    assert.equal(h.store.voiceFiles.listByAccount(h.acme).length, 1);
  });

  test('TTS templates: add, list with variables, remove', async () => {
    const add = await boss.post('/console/accounts/acme/tts-templates', {
      _csrf: boss.csrf,
      id: 'TTS_171950027',
      name: 'notice',
      text: `您好\${name}，您的订单\${order}已发货`,
    });
    assert.equal(add.statusCode, 303);
    const page = await ann.get('/console/accounts/acme/tts-templates');
    assert.match(page.body, /name, order/);
    const rm = await boss.post('/console/accounts/acme/tts-templates/remove', {
      _csrf: boss.csrf,
      id: 'TTS_171950027',
    });
    assert.equal(rm.statusCode, 303);
    assert.equal(h.store.ttsTemplates.listByAccount(h.acme).length, 0);
  });
});

describe('ASR phrase models', () => {
  let tts: EspeakTts;
  before(() => {
    tts = new EspeakTts();
  });
  after(() => tts.close());

  test('create, edit (a bad line is named), then try a WAV spoken by espeak → the words', async () => {
    const created = await boss.post('/console/accounts/acme/asr-models', {
      _csrf: boss.csrf,
      name: 'answers',
      phrases: 'satisfied\nnot satisfied\n',
    });
    assert.equal(created.statusCode, 303);
    const href = created.headers.location as string;
    const model = h.store.asrModels.listByAccount(h.acme)[0]!;
    assert.equal(href, `/console/accounts/acme/asr-models/${model.id}`);
    const bad = await boss.post(href, { _csrf: boss.csrf, name: 'answers', phrases: 'yes\n\nzorbulate\n' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /line 3: &quot;zorbulate&quot; is not in the dictionary/);
    const edited = await boss.post(href, {
      _csrf: boss.csrf,
      name: 'answers',
      phrases: 'wrong number\nsatisfied\nnot satisfied\n',
    });
    assert.equal(edited.statusCode, 200);
    assert.equal(
      h.store.asrModels.find(h.acme, model.id)?.phrases,
      'wrong number\nsatisfied\nnot satisfied\n',
    );
    // Trying changes nothing: a viewer may.
    const wav = encodeWav([telephone(await speak(tts, 'wrong number', 'harry'))], 8000);
    const res = await postFile(ann, `${href}/try`, {}, wav);
    assert.equal(res.statusCode, 200, res.body);
    assert.match(
      /id="trial"[^>]*>([^<]*)</.exec(res.body)?.[1] ?? '',
      /识别结果：wrong number（置信度 0\.\d+）/,
    );
  });
});

describe('trunks', () => {
  test('installation-wide users see each trunk with its keep-alive and registration state', async () => {
    h.trunks.add({ name: 'carrier', uri: 'sip:127.0.0.1:5080', optionsIntervalS: 30, cps: 7, maxCalls: 40 });
    h.health.set('carrier', { state: 'down', lastPingAt: h.clock.now(), lastResult: 'timeout: no answer' });
    const page = await root.get('/console/trunks');
    assert.equal(page.statusCode, 200);
    const row = /<tr>\s*<td>carrier[\s\S]*?<\/tr>/.exec(page.body)?.[0] ?? '';
    assert.match(row, /state-failed">down</);
    assert.match(row, /timeout: no answer/);
    assert.match(row, /<td>7<\/td><td>40<\/td>/);
  });
});
