/**
 * The console's browser tests' common ground: Debian's chromium driven headless by playwright-core
 * (which downloads nothing) with the flags that keep it off the network, axe-core's serious and
 * critical violations on a page, and screenshots — to docs/console/ with CONSOLE_SCREENSHOTS=1 (to
 * refresh the pictures the docs show), else to a temporary folder removed at the end.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

const AXE = readFileSync(
  fileURLToPath(new URL('../../../node_modules/axe-core/axe.min.js', import.meta.url)),
  'utf8',
);

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/** Where screenshots go; `remove()` in the test's `after`. */
export function screenshots(): { dir: string; remove(): void } {
  const keep = process.env.CONSOLE_SCREENSHOTS === '1';
  const dir = keep
    ? fileURLToPath(new URL('../../../docs/console/', import.meta.url))
    : `${mkdtempSync(join(tmpdir(), 'console-shots-'))}/`;
  mkdirSync(dir, { recursive: true });
  return { dir, remove: () => (keep ? undefined : rmSync(dir, { recursive: true, force: true })) };
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the console's CSP (script-src 'self') stays on.
  await page.evaluate(AXE);
  return page.evaluate(`(async () => {
    const r = await axe.run(document);
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.impact + ' ' + v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', '));
  })()`);
}

/** No serious or critical accessibility problem on the page; a screenshot of it into `dir`. */
export async function checkScreen(page: Page, name: string, dir: string | undefined): Promise<void> {
  assert.deepEqual(await accessibilityProblems(page), [], `axe on ${name}`);
  if (dir !== undefined) await page.screenshot({ path: `${dir}${name}.png`, fullPage: true });
}
