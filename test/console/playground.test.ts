/**
 * The phone network playground through the real form posts: an admin places a SmartCall to a
 * persona with SmartCall's own checks and is sent to its live view; callbacks go to the demo bot or
 * a URL for that call only; a viewer cannot place calls, an admin of one account cannot use another
 * account's number, a post without the form token is refused; persona files are listed, shown with
 * line numbers, and a pasted one is checked with its problems' lines.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CallIdGenerator } from '../../src/calls/callId.js';
import { CallWriter } from '../../src/calls/callWriter.js';
import { ConsoleUsers } from '../../src/console/consoleUsers.js';
import type { SmartCallRequest } from '../../src/contract/smartCallRequest.js';
import { smartCallPlacer } from '../../src/openapi/actions/smartCall.js';
import { builtinPersonas, summarizePersona } from '../../src/phonenet/index.js';
import { type ConsoleHarness, loggedIn, PASSWORD, startConsole } from './consoleHarness.js';

const BOT = 'http://127.0.0.1:9/demo-bot/callback';
let h: ConsoleHarness;
const accepted: string[] = [];
before(async () => {
  h = await startConsole({
    playground: (store) => ({
      network: { personaSummaries: () => builtinPersonas().map(summarizePersona), personasFiles: [] },
      placeSmartCall: smartCallPlacer({
        store,
        callIds: new CallIdGenerator(1),
        writer: new CallWriter(store),
        outIdMaxBytes: 256,
        onAccepted: (id) => accepted.push(id),
      }),
      demoBotUrl: () => BOT,
    }),
  });
  h.store.numbers.add({ number: '057188880001', accountId: h.acme, createdAt: h.clock.now() });
  h.store.numbers.add({ number: '057188880002', accountId: h.other, createdAt: h.clock.now() });
  await new ConsoleUsers(h.store, h.clock).add({
    name: 'ada',
    password: PASSWORD,
    role: 'admin',
    account: 'acme',
  });
});
after(async () => {
  await h.close();
});

const place = (extra: Record<string, string> = {}) => ({
  calledNumber: '13800000001',
  showNumber: '057188880001',
  text: '您好，这里是演练。',
  callback: 'bot',
  record: 'on',
  ...extra,
});
const requestOf = (callId: string) => JSON.parse(h.store.calls.find(callId)!.request) as SmartCallRequest;

test('the page lists the personas, a form with their numbers and the admin’s display numbers', async () => {
  const root = await loggedIn(h.app, 'root');
  const res = await root.get('/console/playground');
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /<td><strong>cooperative-zh<\/strong>/);
  assert.match(res.body, /<option value="13800000001">cooperative-zh · 13800000001<\/option>/);
  assert.match(res.body, /<option value="057188880001">057188880001 · acme<\/option>/);
  assert.match(res.body, /<option value="057188880002">057188880002 · other<\/option>/);
  const ada = await loggedIn(h.app, 'ada');
  const hers = (await ada.get('/console/playground')).body;
  assert.ok(hers.includes('057188880001') && !hers.includes('057188880002'), 'only her account’s numbers');
  const ann = await loggedIn(h.app, 'ann');
  const viewer = (await ann.get('/console/playground')).body;
  assert.match(viewer, /Only admins may place calls|只有管理员可以发起呼叫/);
  assert.ok(!viewer.includes('action="/console/playground/call"'), 'no call form for a viewer');
});

test('an admin places a SmartCall to a persona; its callbacks go to the demo bot; then its live view', async () => {
  const root = await loggedIn(h.app, 'root');
  const res = await root.post('/console/playground/call', { _csrf: root.csrf, ...place() });
  assert.equal(res.statusCode, 303, res.body);
  const to = String(res.headers.location);
  assert.match(to, /^\/console\/live\?call=/);
  const callId = decodeURIComponent(to.split('=')[1]!);
  assert.deepEqual(accepted.slice(-1), [callId], 'handed to the dialer');
  const c = h.store.calls.find(callId)!;
  assert.equal(c.accountId, h.acme, 'the display number’s account pays');
  assert.equal(c.calledNumber, '13800000001');
  const r = requestOf(callId);
  assert.equal(r.callbackUrl, BOT);
  assert.equal(r.voiceCodeParam.text, '您好，这里是演练。');
  assert.equal(r.recordFlag, true);

  const url = await root.post('/console/playground/call', {
    _csrf: root.csrf,
    ...place({
      callback: 'url',
      callbackUrl: 'https://bot.example/cb',
      voiceCode: '$a$',
      voiceCodeParam: '{"a":"你好"}',
    }),
  });
  const second = decodeURIComponent(String(url.headers.location).split('=')[1]!);
  assert.equal(requestOf(second).callbackUrl, 'https://bot.example/cb');
  assert.equal(requestOf(second).voiceCode, '$a$');
  const own = await root.post('/console/playground/call', {
    _csrf: root.csrf,
    ...place({ callback: 'account' }),
  });
  const third = decodeURIComponent(String(own.headers.location).split('=')[1]!);
  assert.equal(requestOf(third).callbackUrl, undefined, 'the account’s own setting');
});

test('bad input is shown on the form: SmartCall’s own errors, a bad URL, no prompt', async () => {
  const root = await loggedIn(h.app, 'root');
  const before = h.store.calls.countByState().queued ?? 0;
  const cases: [Record<string, string>, RegExp][] = [
    [{ calledNumber: '12345' }, /isv\.MOBILE_NUMBER_ILLEGAL/],
    [{ voiceCode: 'no-such-file' }, /isv\.VOICE_FILE_ILLEGAL/],
    [{ callback: 'url', callbackUrl: 'ftp://x' }, /http or https|http 或 https/],
    [{ text: '' }, /Write a prompt|请填写放音文本/],
    [{ showNumber: '057100000000' }, /No account owns|没有账号拥有/],
  ];
  for (const [extra, error] of cases) {
    const res = await root.post('/console/playground/call', { _csrf: root.csrf, ...place(extra) });
    assert.equal(res.statusCode, 400, JSON.stringify(extra));
    assert.match(res.body, /<p class="error" role="alert" id="pg-error">/);
    assert.match(res.body, error);
  }
  assert.equal(h.store.calls.countByState().queued ?? 0, before, 'nothing placed');
});

test('a viewer, a foreign number and a missing form token are refused', async () => {
  const count = () => h.store.calls.countByState().queued ?? 0;
  const start = count();
  const ann = await loggedIn(h.app, 'ann');
  assert.equal((await ann.post('/console/playground/call', { _csrf: ann.csrf, ...place() })).statusCode, 403);
  const ada = await loggedIn(h.app, 'ada');
  const foreign = await ada.post('/console/playground/call', {
    _csrf: ada.csrf,
    ...place({ showNumber: '057188880002' }),
  });
  assert.equal(foreign.statusCode, 403);
  assert.match(foreign.body, /own account|所属账号/);
  assert.equal((await ada.post('/console/playground/call', { _csrf: ada.csrf, ...place() })).statusCode, 303);
  const root = await loggedIn(h.app, 'root');
  assert.equal((await root.post('/console/playground/call', { ...place() })).statusCode, 403, 'no token');
  assert.equal(
    (await root.post('/console/playground/call', { _csrf: 'forged', ...place() })).statusCode,
    403,
  );
  assert.equal(count(), start + 1, 'only ada’s call with her own number');
});

test('persona files: shown with line numbers; a pasted one is checked, problems with their lines', async () => {
  const ann = await loggedIn(h.app, 'ann');
  const page = await ann.get('/console/playground');
  assert.match(page.body, /<a href="\/console\/playground\/files\/0">built-in<\/a>/);
  const file = await ann.get('/console/playground/files/0');
  assert.equal(file.statusCode, 200);
  assert.match(file.body, /<li id="line-1"><code>personas:<\/code><\/li>/);
  assert.match(file.body, /cooperative-zh/);
  assert.equal((await ann.get('/console/playground/files/7')).statusCode, 404);

  const good =
    'personas:\n  - name: mine\n    number: "13900000001"\n    steps:\n      - answer\n      - say: 你好\n';
  const ok = await ann.post('/console/playground/validate', { _csrf: ann.csrf, text: good, format: 'yaml' });
  assert.equal(ok.statusCode, 200);
  assert.match(ok.body, /(Valid: 1 persona|有效：1 个角色)[^<]*mine/);

  const bad =
    'personas:\n  - name: mine\n    number: "13900000001"\n    steps:\n      - answer\n      - sing: la\n';
  const res = await ann.post('/console/playground/validate', { _csrf: ann.csrf, text: bad, format: 'yaml' });
  assert.equal(res.statusCode, 200);
  assert.match(
    res.body,
    /<a href="#line-6">(line 6, column \d+|第 6 行，第 \d+ 列)<\/a> <code>personas\[0\]\.steps\[1\][^<]*<\/code>: unknown step/,
  );
  assert.match(res.body, /<li id="line-6" class="bad"><code> {6}- sing: la<\/code><\/li>/);
  const json = await ann.post('/console/playground/validate', {
    _csrf: ann.csrf,
    text: '{"personas": [',
    format: 'json',
  });
  assert.equal(json.statusCode, 200);
  assert.match(json.body, /invalid JSON/);
  assert.equal((await ann.post('/console/playground/validate', { text: good })).statusCode, 403, 'no token');
});
