#!/usr/bin/env node
// Runs the compiled test files (dist/test/**/*.test.js) with node:test.
// Usage: node scripts/run-tests.mjs [substring filter ...]
// Unit tests run two at a time (2-core machines); files under interop/ and e2e/ use real peers and
// ports, so they run one at a time after the unit tests.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = 'dist/test';
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}
const filters = process.argv.slice(2);
const files = walk(root)
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
const serial = (f) => /(^|\/)(interop|e2e|serial)\//.test(relative(root, f));
const groups = [
  { files: files.filter((f) => !serial(f)), concurrency: 2 },
  { files: files.filter(serial), concurrency: 1 },
];
let failed = false;
for (const g of groups) {
  if (g.files.length === 0) continue;
  const r = spawnSync(
    process.execPath,
    ['--test', `--test-concurrency=${g.concurrency}`, '--test-timeout=180000', ...g.files],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
