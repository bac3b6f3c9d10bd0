/**
 * A server stopped at any moment lets its process end: nothing it started (a timer, a socket, a
 * worker) outlives `close()`. Run in a child process, since a leak shows only as a process that
 * does not exit.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const harness = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'helpers/apiHarness.js');

function startAndStop(delayMs: number): { status: number | null; signal: string | null } {
  const script = `
    const { startApiHarness } = await import(${JSON.stringify(harness)});
    const h = await startApiHarness();
    if (${delayMs} > 0) await new Promise((r) => setTimeout(r, ${delayMs}));
    await h.close();
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 20_000,
    encoding: 'utf8',
  });
  return { status: r.status, signal: r.signal };
}

describe('lifetimes', () => {
  for (const delayMs of [0, 300]) {
    test(`a server closed ${delayMs} ms after it started lets its process exit`, () => {
      assert.deepEqual(startAndStop(delayMs), { status: 0, signal: null });
    });
  }
});
