/**
 * Who gets into the web console and what they see: passwords, the form token on every change,
 * the login pause after repeated failures, session cookies, and a viewer limited to one account
 * (403 for another account's calls, by URL too).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashPassword, verifyPassword } from '../../src/console/passwordHash.js';
import {
  browser,
  type ConsoleHarness,
  call,
  cookieHeader,
  loggedIn,
  PASSWORD,
  setCookies,
  startConsole,
  tokenIn,
} from './consoleHarness.js';

let h: ConsoleHarness;
before(async () => {
  h = await startConsole();
});
after(() => h.close());

test('passwords are stored as scrypt hashes that only the same password matches', async () => {
  const stored = await hashPassword('s3cret-pass');
  assert.match(stored, /^scrypt\$65536\$8\$1\$[\w-]+\$[\w-]{43}$/);
  assert.ok(!stored.includes('s3cret-pass'));
  assert.equal(await verifyPassword('s3cret-pass', stored), true);
  assert.equal(await verifyPassword('s3cret-pasS', stored), false);
  assert.notEqual(await hashPassword('s3cret-pass'), stored, 'salted: the same password hashes differently');
  assert.equal(h.store.consoleUsers.find('root')!.passwordHash.startsWith('scrypt$'), true);
});

describe('logging in', () => {
  test('the right password opens a session cookie that is httpOnly and SameSite=Strict', async () => {
    const b = browser(h.app);
    const page = await b.get('/console/login');
    assert.equal(page.statusCode, 200);
    const res = await b.post('/console/login', {
      _csrf: tokenIn(page.body)!,
      name: 'root',
      password: PASSWORD,
    });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/console/calls');
    const session = setCookies(res).raw.find((c) => c.startsWith('smartcall_session='))!;
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Strict/);
    assert.match(session, /Path=\/console/);
    const token = setCookies(res).jar.get('smartcall_session')!;
    const stored = h.store.db.prepare('SELECT token_hash FROM console_sessions').all() as {
      token_hash: string;
    }[];
    assert.ok(
      stored.length > 0 && stored.every((r) => r.token_hash !== token),
      'the store keeps a hash, not the token',
    );
    assert.equal((await b.get('/console/calls')).statusCode, 200);
  });

  test('a wrong password or unknown name is refused with the same message', async () => {
    for (const [name, password] of [
      ['root', 'wrong password'],
      ['nobody', PASSWORD],
    ]) {
      const b = browser(h.app, '10.0.0.9');
      const page = await b.get('/console/login');
      const res = await b.post('/console/login', {
        _csrf: tokenIn(page.body)!,
        name: name!,
        password: password!,
      });
      assert.equal(res.statusCode, 401);
      assert.match(res.body, /用户名或密码错误/);
      assert.equal(setCookies(res).jar.has('smartcall_session'), false);
    }
  });

  test('a login without the form token is refused even with the right password', async () => {
    const b = browser(h.app);
    await b.get('/console/login');
    const res = await b.post('/console/login', { name: 'root', password: PASSWORD });
    assert.equal(res.statusCode, 403);
    assert.equal(setCookies(res).jar.has('smartcall_session'), false);
  });

  test('after 5 wrong passwords a name is paused from that address (429), not from another; the pause ends', async () => {
    const b = browser(h.app, '10.0.0.1');
    const page = await b.get('/console/login');
    const form = { _csrf: tokenIn(page.body)!, name: 'root' };
    for (let i = 0; i < 5; i++) {
      const res = await b.post('/console/login', { ...form, password: `wrong ${i}` });
      assert.equal(res.statusCode, 401);
    }
    const paused = await b.post('/console/login', { ...form, password: PASSWORD });
    assert.equal(paused.statusCode, 429, 'even the right password waits');
    assert.match(paused.body, /失败次数过多/);
    assert.ok(Number(paused.headers['retry-after']) > 0);
    const elsewhere = await b.post('/console/login', { ...form, password: PASSWORD }, '10.0.0.2');
    assert.equal(elsewhere.statusCode, 303, 'another address is not paused');
    h.clock.advance(61_000);
    const later = await b.post('/console/login', { ...form, password: PASSWORD });
    assert.equal(later.statusCode, 303, 'the pause ends with the window');
  });

  test('a page without a session sends to the login page, which comes back to it', async () => {
    const b = browser(h.app);
    const res = await b.get('/console/calls?state=ended');
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/console/login?next=%2Fconsole%2Fcalls%3Fstate%3Dended');
    const page = await b.get(String(res.headers.location));
    const login = await b.post('/console/login', {
      _csrf: tokenIn(page.body)!,
      name: 'root',
      password: PASSWORD,
      next: /name="next" value="([^"]+)"/.exec(page.body)![1]!.replace(/&amp;/g, '&'),
    });
    assert.equal(login.headers.location, '/console/calls?state=ended');
    const offsite = await b.post('/console/login', {
      _csrf: tokenIn(page.body)!,
      name: 'root',
      password: PASSWORD,
      next: '//evil.example/console',
    });
    assert.equal(offsite.headers.location, '/console/calls', 'never leaves the console');
  });
});

test('changes need the session CSRF token: logout without it is refused, with it the cookie opens nothing', async () => {
  const b = await loggedIn(h.app, 'root');
  const cookie = cookieHeader(b.jar);
  const refused = await b.post('/console/logout', {});
  assert.equal(refused.statusCode, 403);
  const wrong = await b.post('/console/logout', { _csrf: 'x'.repeat(32) });
  assert.equal(wrong.statusCode, 403);
  assert.equal((await b.get('/console/calls')).statusCode, 200, 'still signed in');
  const out = await b.post('/console/logout', { _csrf: b.csrf });
  assert.equal(out.statusCode, 303);
  const replay = await h.app.inject({ url: '/console/calls', headers: { cookie } });
  assert.equal(replay.statusCode, 303, 'the old cookie no longer opens a page');
});

test('a removed user loses their sessions', async () => {
  const users = (await import('../../src/console/consoleUsers.js')).ConsoleUsers;
  const admin = new users(h.store, h.clock);
  await admin.add({ name: 'temp', password: PASSWORD, role: 'viewer' });
  const b = await loggedIn(h.app, 'temp');
  admin.remove('temp');
  assert.equal((await b.get('/console/calls')).statusCode, 303);
});

describe('a viewer of one account', () => {
  let mine: string;
  let theirs: string;
  before(() => {
    const t = h.clock.now();
    const a = call(h.acme, t - 1000, { outId: 'acme-1' });
    const o = call(h.other, t - 500, { outId: 'other-1' });
    h.store.calls.insert(a);
    h.store.calls.insert(o);
    mine = a.callId;
    theirs = o.callId;
  });

  test('sees only its calls in the list and no account choice', async () => {
    const b = await loggedIn(h.app, 'ann');
    const list = await b.get('/console/calls');
    assert.ok(list.body.includes('acme-1'));
    assert.ok(!list.body.includes('other-1'));
    assert.ok(!list.body.includes('id="f-account"'));
    const root = await loggedIn(h.app, 'root');
    const all = await root.get('/console/calls');
    assert.ok(all.body.includes('acme-1') && all.body.includes('other-1'), 'an admin sees both');
  });

  test("gets 403 for another account's call, its recording, its list and its CSV, by URL", async () => {
    const b = await loggedIn(h.app, 'ann');
    assert.equal((await b.get(`/console/calls/${encodeURIComponent(mine)}`)).statusCode, 200);
    const detail = await b.get(`/console/calls/${encodeURIComponent(theirs)}`);
    assert.equal(detail.statusCode, 403);
    assert.ok(!detail.body.includes('other-1'));
    assert.equal((await b.get(`/console/calls/${encodeURIComponent(theirs)}/recording`)).statusCode, 403);
    assert.equal((await b.get('/console/calls?account=other')).statusCode, 403);
    assert.equal((await b.get('/console/calls.csv?account=other')).statusCode, 403);
    const csv = await b.get('/console/calls.csv');
    assert.ok(csv.body.includes('acme-1') && !csv.body.includes('other-1'));
  });
});
