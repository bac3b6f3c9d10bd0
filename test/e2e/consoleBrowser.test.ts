/**
 * The web console in a real browser (Debian's chromium, driven headless by playwright-core, kept
 * off the network): log in with the login the first start made, find a SmartCall just placed to a
 * phonenet persona in the calls list, open its detail (timeline, callback exchanges, a recording
 * that plays), switch language, and check that a viewer of another account gets 403 for that
 * call's URL. axe-core finds no serious or critical violation on any screen; screenshots of each
 * screen go to a temporary folder, or to docs/console/ with CONSOLE_SCREENSHOTS=1 (to refresh the
 * pictures the docs show without dirtying the tree on every run).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { systemClock } from '../../src/clock/clock.js';
import { ConsoleUsers } from '../../src/console/consoleUsers.js';
import { checkScreen, launchChromium, screenshots } from '../helpers/consoleBrowser.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';

const shots = screenshots();
const SHOTS = shots.dir;

let e2e: E2e;
let browser: Browser;
let base: string;
let callId: string;

before(async () => {
  e2e = await startE2e();
  // Receipts go to the business's server too (it answers 200), so the detail lists them.
  e2e.admin.setReceipts('demo', { url: e2e.callbacks.url, types: ['VoiceCallReport', 'VoiceReport'] });
  base = `http://127.0.0.1:${e2e.running.httpPort}`;
  // The business hangs up after the callee's first sentence, with a goodbye.
  e2e.callbacks.script = (cb) =>
    cb.contentType === 'normal'
      ? { action: 'hangup', action_code: '$t$', action_code_param: '{"t":"好的，再见。"}' }
      : { action: 'donothing' };
  const r = await e2e.smartCall({
    CalledNumber: '13800000001',
    VoiceCode: '$t$',
    VoiceCodeParam: '{"t":"您好，这里是控制台测试。"}',
    RecordFlag: 'true',
    OutId: 'console-e2e',
  });
  assert.equal(r.code, 'OK', JSON.stringify(r));
  callId = String(r.body!.CallId);
  await e2e.waitForEnd(callId, 60_000);
  e2e.admin.createAccount({ name: 'other' });
  await new ConsoleUsers(e2e.running.store, systemClock).add({
    name: 'olga',
    password: 'olga-password',
    role: 'viewer',
    account: 'other',
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await e2e?.close();
  shots.remove();
});

const screen = (page: Page, name: string) => checkScreen(page, name, SHOTS);

test('log in, find the call, open its detail, play its recording; another account gets 403', async () => {
  const login = e2e.running.consoleLogin!;
  assert.ok(login, 'the first start made a console login');
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} ${m.location().url}`));

  await page.goto(`${base}/console`);
  assert.match(page.url(), /\/console\/login\?next=/);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN', 'Chinese from the browser');
  await screen(page, 'login');

  // Keyboard only: type, Enter.
  await page.keyboard.type(login.name);
  await page.keyboard.press('Tab');
  await page.keyboard.type(login.password);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/console\/calls$/);
  const link = page.getByRole('link', { name: callId });
  await link.waitFor();
  assert.match((await page.locator('tbody tr', { has: link }).textContent()) ?? '', /console-e2e/);
  await screen(page, 'calls');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate('document.activeElement.className'), 'skip', 'the skip link comes first');

  await link.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/console\/calls\/[^/]+$/);
  await page.getByRole('heading', { level: 1, name: new RegExp(callId.replace('^', '\\^')) }).waitFor();
  const timeline = (await page.locator('table.timeline').textContent()) ?? '';
  for (const event of ['已受理', '开始呼叫', '振铃', '接听', '放音', '用户说', '回调', '结束', '回执'])
    assert.ok(timeline.includes(event), `${event} in the timeline:\n${timeline}`);
  assert.match(
    (await page.locator('table.exchanges').textContent()) ?? '',
    /normal[\s\S]*ok \(HTTP 200\)[\s\S]*hangup \(reply\)/,
  );
  assert.match((await page.locator('table.receipts').textContent()) ?? '', /VoiceReport/);
  const duration = await page.locator('audio').evaluate(
    (a: { readyState: number; duration: number; addEventListener(type: string, f: () => void): void }) =>
      new Promise<number>((resolve) => {
        if (a.readyState >= 1) resolve(a.duration);
        else a.addEventListener('loadedmetadata', () => resolve(a.duration));
        a.addEventListener('error', () => resolve(-1));
      }),
  );
  assert.ok(duration > 0, `the recording plays (duration ${duration})`);
  await screen(page, 'call-detail');

  await page.getByRole('button', { name: 'English' }).click();
  // A locator, not waitForFunction: its string form is eval'd in the page when the first check fails
  // (a slow machine), and the console's CSP (no 'unsafe-eval') refuses that.
  await page.locator('html[lang="en"]').waitFor({ state: 'attached' });
  await page.getByRole('heading', { level: 2, name: 'Timeline' }).waitFor();
  await screen(page, 'call-detail-en');
  const detailUrl = page.url();
  assert.deepEqual(errors, [], 'no errors in the browser console (CSP included)');

  const other = await browser.newContext({ locale: 'en-US' });
  const viewer = await other.newPage();
  await viewer.goto(`${base}/console/login`);
  await viewer.getByLabel('Name').fill('olga');
  await viewer.getByLabel('Password').fill('olga-password');
  await viewer.getByRole('button', { name: 'Log in' }).click();
  await viewer.waitForURL(/\/console\/calls$/);
  assert.equal(await viewer.getByRole('link', { name: callId }).count(), 0, 'not in her list');
  const res = await viewer.goto(detailUrl);
  assert.equal(res?.status(), 403);
  assert.ok(!(await viewer.content()).includes('console-e2e'));
  await screen(viewer, 'forbidden');
  await other.close();
  await context.close();
});
