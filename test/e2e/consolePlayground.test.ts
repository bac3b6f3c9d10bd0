/**
 * The playground, live screen and waveform in a real browser (Debian's chromium driven headless by
 * playwright-core, kept off the network): log in, place a SmartCall from the playground to a phonenet
 * persona with the demo bot answering the callbacks, watch its transcript arrive live, open its
 * detail (callback exchanges, timeline), play the recording (the audio element has a duration, the
 * waveform canvas is not blank, a timeline entry seeks the player). axe-core finds no serious or
 * critical violation on the new screens; screenshots go to a temporary folder, or to docs/console/
 * with CONSOLE_SCREENSHOTS=1.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { checkScreen, launchChromium, screenshots } from '../helpers/consoleBrowser.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';

const shots = screenshots();
const SHOTS = shots.dir;

let e2e: E2e;
let browser: Browser;
let base: string;

before(async () => {
  e2e = await startE2e();
  base = `http://127.0.0.1:${e2e.running.httpPort}`;
  browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
});

after(async () => {
  await browser?.close();
  await e2e?.close();
  shots.remove();
});

const screen = (page: Page, name: string) => checkScreen(page, name, SHOTS);

test('place a call from the playground, follow it live, then hear and see it in its detail', async () => {
  const login = e2e.running.consoleLogin!;
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} ${m.location().url}`));
  page.on('pageerror', (e) => errors.push(String(e)));

  await page.goto(`${base}/console/login`);
  await page.getByLabel('用户名').fill(login.name);
  await page.getByLabel('密码').fill(login.password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/console\/calls$/);

  await page.getByRole('link', { name: '电话网络演练' }).click();
  await page.getByRole('heading', { level: 1, name: '电话网络演练' }).waitFor();
  assert.match((await page.locator('table.personas').textContent()) ?? '', /cooperative-zh/);
  // A pasted persona file with a mistake: the problem comes back with its line.
  await page
    .getByLabel('角色文件（粘贴到这里）')
    .fill('personas:\n  - name: x\n    number: "13900000009"\n    steps:\n      - answr\n');
  await page.getByRole('button', { name: '校验' }).click();
  await page.locator('ul.issues').waitFor();
  assert.match((await page.locator('ul.issues').textContent()) ?? '', /第 5 行/);
  await screen(page, 'playground');

  await page.getByLabel('角色').first().selectOption('13800000001');
  await page.getByLabel('放音文本（TTS 合成）').fill('您好，这里是控制台演练。请问您对我们的服务满意吗？');
  await page.getByLabel('演示机器人').check();
  await page.getByRole('button', { name: '发起呼叫' }).click();
  await Promise.race([page.waitForURL(/\/console\/live\?call=/), page.locator('#pg-error').waitFor()]);
  assert.match(page.url(), /\/console\/live\?call=/, (await page.locator('main').textContent()) ?? '');
  const callId = decodeURIComponent(new URL(page.url()).searchParams.get('call') ?? '');
  assert.match(callId, /^\d+\^\d+$/);

  // The transcript arrives while the call runs: the callee's first words before the call is over.
  await page.locator('.live-call .transcript .kind-heard').first().waitFor({ timeout: 30_000 });
  const endedWhenHeard = await page.locator('.live-call.ended').count();
  assert.equal(endedWhenHeard, 0, 'the callee was heard live, before the end');
  await page.locator('.live-call.ended').waitFor({ timeout: 60_000 });
  const transcript = (await page.locator('.live-call .transcript').textContent()) ?? '';
  for (const what of ['振铃', '接听', '放音', '用户说', '回调'])
    assert.ok(transcript.includes(what), `${what} in the live transcript:\n${transcript}`);
  assert.match((await page.locator('#live-status').textContent()) ?? '', /通话已结束/);
  await screen(page, 'live');

  await page.locator('.live-call').getByRole('link', { name: '详情' }).click();
  await page.waitForURL(/\/console\/calls\/[^/?]+$/);
  await page.getByRole('heading', { level: 1, name: new RegExp(callId.replace('^', '\\^')) }).waitFor();
  const timeline = (await page.locator('table.timeline').textContent()) ?? '';
  for (const event of ['已受理', '接听', '放音', '用户说', '回调', '结束'])
    assert.ok(timeline.includes(event), `${event} in the timeline`);
  assert.match(
    (await page.locator('table.exchanges').textContent()) ?? '',
    /normal[\s\S]*ok \(HTTP 200\)/,
    'the demo bot answered the callbacks',
  );

  const duration = await page.locator('audio').evaluate(
    (a: { readyState: number; duration: number; addEventListener(type: string, f: () => void): void }) =>
      new Promise<number>((resolve) => {
        if (a.readyState >= 1) resolve(a.duration);
        else a.addEventListener('loadedmetadata', () => resolve(a.duration));
        a.addEventListener('error', () => resolve(-1));
      }),
  );
  assert.ok(duration > 0, `the recording plays (duration ${duration})`);
  await page.waitForSelector('canvas#waveform[data-drawn="1"]', { timeout: 10_000 });
  // Sampled pixels: the waveform's colours, not only the background.
  const inked = (await page.evaluate(`(() => {
    const c = document.getElementById('waveform');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const background = (r, g, b) => (r === 0xf6 && g === 0xf8 && b === 0xfa) || (r === 0xd0 && g === 0xd7 && b === 0xde);
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && !background(d[i], d[i + 1], d[i + 2])) n++;
    return n / (d.length / 4);
  })()`)) as number;
  assert.ok(inked > 0.02, `the waveform canvas is not blank (${(inked * 100).toFixed(1)} % inked)`);

  // A timeline entry's ▶ seeks the player there and marks the entry.
  const seek = page.locator('tr.ev-heard button.seek').first();
  const at = Number(await seek.getAttribute('data-seek'));
  await seek.click();
  // (Polled with evaluate: waitForFunction's string form would need the CSP's unsafe-eval.)
  let position = -1;
  for (let i = 0; i < 50 && Math.abs(position - at) >= 1.5; i++) {
    position = (await page.evaluate(`document.querySelector('audio').currentTime`)) as number;
    if (Math.abs(position - at) >= 1.5) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(Math.abs(position - at) < 1.5, `the player went to ${at} s (at ${position} s of ${duration})`);
  await page.locator('tr.ev-heard.now').first().waitFor();
  await page.evaluate(`document.querySelector('audio').pause()`);
  await screen(page, 'call-detail');
  assert.deepEqual(errors, [], 'no errors in the browser console (CSP included)');
  await context.close();
});
