#!/usr/bin/env node
// Runs the compiled test files (dist/test/**/*.test.js) with node:test.
// Usage: node scripts/run-tests.mjs [substring filter ...]
// Unit tests run two at a time (2-core machines). Files under interop/, e2e/ and serial/ use real
// peers and ports: they run after the unit tests in SMARTCALL_TEST_LANES lanes at once (default 2;
// 1 = all one after the other). A free lane takes the next file, longest known first, as its own
// `node --test` with SMARTCALL_TEST_LANE=k, which test/helpers/lanes.ts turns into the lane's own
// block of fixed ports. Most of those files wait on real-time audio, not on the CPU.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = 'dist/test';
const MAX_LANES = 6; // test/helpers/lanes.ts has port blocks for six

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}

/** Seconds each slow file took in CI (2026-12, one at a time); the rest are weighed by size. */
const KNOWN_SECONDS = {
  'e2e/dialogScripts': 48,
  'e2e/suiteCli': 45.5,
  'e2e/scriptedCalls': 35,
  'e2e/transferReceipts': 27.5,
  'e2e/transfers': 25.4,
  'e2e/consolePlayground': 24,
  'e2e/conversation': 22.5,
  'e2e/alibabaIntegration': 21.5,
  'interop/sipCallsAgainstSipp': 21.4,
  'e2e/transferDestinations': 20,
  'e2e/unrecognizedSpeech': 19.6,
  'e2e/answeringMachine': 29,
  'e2e/backgroundAudio': 19.1,
  'e2e/campaign': 15.5,
  'e2e/receiptsAndRecordings': 14.4,
  'e2e/metricsAndCallLogs': 13.5,
  // distributed mode (with their PostgreSQL, Redis and node start-ups)
  'interop/clusterEndToEnd': 50,
  'e2e/crashRecovery': 25,
  'interop/mediaNodes': 25,
  'interop/localCluster': 22,
  'interop/schedulerFailover': 29,
  'interop/inboundMediaNodes': 26,
  'interop/kamailioDispatcher': 13,
  'interop/clusterOperate': 12,
  'e2e/recordingsInObjectStorage': 12,
  'interop/apiNodePostgres': 10,
};
function weight(file) {
  const key = relative(root, file).replace(/\.test\.js$/, '');
  return KNOWN_SECONDS[key] ?? statSync(file).size / 2000; // ~10 s for a 20 kB file
}

/** Runs node with `args`; with a `prefix`, every output line is tagged with it (lanes interleave). */
function run(args, env = process.env, prefix = '') {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      stdio: prefix ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env,
    });
    if (prefix) {
      for (const [from, to] of [
        [child.stdout, process.stdout],
        [child.stderr, process.stderr],
      ]) {
        let rest = '';
        from.setEncoding('utf8');
        from.on('data', (d) => {
          const lines = (rest + d).split('\n');
          rest = lines.pop();
          for (const line of lines) to.write(`${prefix}${line}\n`);
        });
        from.on('end', () => rest && to.write(`${prefix}${rest}\n`));
      }
    }
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function lanesFromEnv() {
  const text = process.env.SMARTCALL_TEST_LANES ?? '2';
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LANES) {
    console.error(`SMARTCALL_TEST_LANES=${text}: want an integer 1..${MAX_LANES}`);
    process.exit(1);
  }
  return n;
}

const lanes = lanesFromEnv();
const filters = process.argv.slice(2);
const files = walk(root)
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
const serial = (f) => /(^|\/)(interop|e2e|serial)\//.test(relative(root, f));
const nodeTest = (concurrency, list) => [
  '--test',
  // A piped child would switch to the TAP reporter: keep what the terminal shows today.
  ...(process.stdout.isTTY ? ['--test-reporter=spec'] : []),
  `--test-concurrency=${concurrency}`,
  '--test-timeout=180000',
  ...list,
];

let failed = false;
const unit = files.filter((f) => !serial(f));
if (unit.length > 0 && (await run(nodeTest(2, unit))) !== 0) failed = true;

const serialFiles = files.filter(serial);
if (serialFiles.length > 0) {
  // Each lane takes the next file when it is free, longest first: the lanes end close together
  // whatever the estimates say.
  const queue = [...serialFiles].sort((a, b) => weight(b) - weight(a));
  const laneCount = Math.min(lanes, serialFiles.length);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: laneCount }, async (_, k) => {
      const done = [];
      const env = { ...process.env, SMARTCALL_TEST_LANE: String(k) };
      for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
        const t0 = performance.now();
        // --test-force-exit: a file whose tests and hooks are done ends even if a handle is left
        // open (kamailioBaresip once passed, then kept its process up to the 180 s timeout).
        const args = ['--test-force-exit', ...nodeTest(1, [file])];
        const code = await run(args, env, laneCount > 1 ? `[lane ${k}] ` : '');
        done.push({ file, code, seconds: (performance.now() - t0) / 1000 });
      }
      return { k, done, seconds: (performance.now() - started) / 1000 };
    }),
  );
  console.log(
    `\nserial files in ${laneCount} lane(s), ${((performance.now() - started) / 1000).toFixed(1)} s:`,
  );
  for (const { k, done, seconds } of results) {
    console.log(`lane ${k}: ${seconds.toFixed(1)} s`);
    for (const { file, code, seconds: s } of done) {
      console.log(
        `  ${s.toFixed(1).padStart(6)} s  ${relative(root, file)}${code === 0 ? '' : `  (exit ${code})`}`,
      );
      if (code !== 0) failed = true;
    }
  }
}
process.exitCode = failed ? 1 : 0;
