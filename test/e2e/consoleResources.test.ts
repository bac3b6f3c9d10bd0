/**
 * The resources and overview screens in a real browser (Debian's chromium, headless, off the
 * network) on a real smartcall: the overview draws its charts over the last hour's calls, an admin
 * creates an AccessKey and sees its secret once, and every resources screen passes axe-core with no
 * serious or critical violation. Screenshots go to docs/console/ only with CONSOLE_SCREENSHOTS=1.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { systemClock } from '../../src/clock/clock.js';
import { encodeWav } from '../../src/media/wavWriter.js';
import { call } from '../console/consoleHarness.js';
import { checkScreen, launchChromium, screenshots } from '../helpers/consoleBrowser.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';

const shots = screenshots();
const SHOTS = shots.dir;

let e2e: E2e;
let browser: Browser;
let base: string;
let work: string;

before(async () => {
  e2e = await startE2e();
  base = `http://127.0.0.1:${e2e.running.httpPort}`;
  work = mkdtempSync(join(tmpdir(), 'console-res-'));
  // An hour of calls of the demo account, so the overview's charts have something to draw.
  const demo = e2e.admin.account('demo').id;
  const now = Math.round(systemClock.now());
  for (let i = 0; i < 240; i++) {
    const at = now - 3600_000 + i * 15_000;
    const answered = i % 5 !== 0;
    const record = call(demo, at, {
      trunk: 'phonenet',
      originateAt: at + 20,
      answerAt: answered ? at + 4000 : null,
      endAt: at + 30_000,
      statusCode: answered ? '200000' : i % 10 === 0 ? '200005' : '200003',
      state: answered || i % 10 !== 0 ? 'ended' : 'failed',
    });
    e2e.running.store.calls.insert(record);
    if (answered)
      e2e.running.store.callbackExchanges.insert({
        callId: record.callId,
        contentType: 'normal',
        content: JSON.stringify({ words: '是的', asr_end_time: String(at + 9000 - 700 - (i % 7) * 10) }),
        outcome: i % 23 === 0 ? 'timeout' : 'ok',
        httpStatus: 200,
        reply: null,
        action: 'play (reply)',
        detail: null,
        latencyMs: 30 + (i % 11) * 4,
        createdAt: at + 9000,
      });
  }
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await e2e?.close();
  rmSync(work, { recursive: true, force: true });
  shots.remove();
});

const screen = (page: Page, name: string, shot = false) => checkScreen(page, name, shot ? SHOTS : undefined);

test('overview charts, an AccessKey secret shown once, and every resources screen passes axe', async () => {
  const login = e2e.running.consoleLogin!;
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} ${m.location().url}`));
  await page.goto(`${base}/console/login`);
  await page.getByLabel('用户名').fill(login.name);
  await page.getByLabel('密码').fill(login.password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/console\/calls$/);

  await page.getByRole('link', { name: '概览' }).click();
  await page.waitForURL(/\/console\/overview$/);
  await page.getByLabel('时间范围').selectOption('1h');
  await page.getByRole('button', { name: '显示' }).click();
  await page.waitForURL(/window=1h/);
  assert.ok(Number(await page.locator('#fig-calls').textContent()) >= 200, 'the last hour of calls');
  assert.ok((await page.locator('svg[role="img"] path[d^="M"]').count()) >= 3, 'the charts have lines');
  await screen(page, 'overview', true);

  await page.getByRole('link', { name: '账号', exact: true }).click();
  await page.waitForURL(/\/console\/accounts$/);
  await screen(page, 'accounts');
  await page.getByRole('link', { name: 'demo', exact: true }).click();
  await page.waitForURL(/\/console\/accounts\/demo$/);
  await page.getByRole('button', { name: '创建 AccessKey' }).click();
  const secret = (await page.locator('#new-key-secret').textContent({ timeout: 10_000 })) ?? '';
  const id = (await page.locator('#new-key-id').textContent()) ?? '';
  assert.ok(secret.length >= 20 && id.length > 0);
  await screen(page, 'resources-keys', true);
  await page.goto(`${base}/console/accounts/demo`);
  const again = await page.content();
  assert.ok(again.includes(id) && !again.includes(secret), 'only the id once the page is left');

  // A voice file uploaded through the form plays in the page.
  const tone = new Int16Array(8000).map((_, i) =>
    Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / 8000)),
  );
  const wav = join(work, 'tone.wav');
  await import('node:fs').then((fs) => fs.writeFileSync(wav, encodeWav([tone], 8000)));
  await page.getByRole('link', { name: '语音文件' }).click();
  await page.waitForURL(/\/voices$/);
  await page.getByLabel('WAV 文件').setInputFiles(wav);
  await page.getByRole('button', { name: '上传' }).click();
  await page.waitForURL(/\/voices$/);
  const duration = await page
    .locator('audio')
    .first()
    .evaluate(
      (a: { load(): void; duration: number; addEventListener(t: string, f: () => void): void }) =>
        new Promise<number>((resolve) => {
          a.addEventListener('loadedmetadata', () => resolve(a.duration));
          a.addEventListener('error', () => resolve(-1));
          a.load();
        }),
    );
  assert.ok(duration > 0.9, `the voice plays (duration ${duration})`);
  await screen(page, 'voices');
  for (const [tab, path] of [
    ['ASR 短语模型', /asr-models$/],
    ['TTS 模板', /tts-templates$/],
  ] as const) {
    await page.getByRole('link', { name: tab }).click();
    await page.waitForURL(path);
    await screen(page, tab);
  }
  await page.getByRole('link', { name: '中继' }).click();
  await page.waitForURL(/\/console\/trunks$/);
  assert.match((await page.locator('table').textContent()) ?? '', /phonenet/);
  await screen(page, 'trunks');
  assert.deepEqual(errors, [], 'no errors in the browser console (CSP included)');
  await context.close();
});
