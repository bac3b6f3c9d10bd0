/**
 * `npm run bench:suite`: a conversation test suite of 50 cases of ~15-20 s each (the demo bot with
 * four built-in callees in turn: a full survey, silence, keys, barge-in) run by `smartcall test`'s
 * runner against one embedded smartcall, `BENCH_SUITE_CONCURRENCY` (default 25) at a time. The
 * figure: wall time against the sum of the cases' own durations (what running them one after
 * another would take). Last line: one JSON object.
 */
import { EmbeddedPlatform } from '../src/cli/suite/embeddedPlatform.js';
import { parseSuiteText } from '../src/cli/suite/suiteFile.js';
import { runSuite } from '../src/cli/suite/suiteRunner.js';
import { loadConfig } from '../src/config.js';

const CASES = Number(process.env.BENCH_SUITE_CASES ?? 50);
const CONCURRENCY = Number(process.env.BENCH_SUITE_CONCURRENCY ?? 25);

const KINDS = [
  `callee: cooperative-zh
    expect: { callbacks: [{ content_type: normal }], hangup_by: platform }`,
  `callee: silent
    call: { MuteTime: 2000 }
    expect: { callbacks: [{ content_type: mute }, { content_type: mute }], hangup_by: platform }`,
  `callee: presses-keys
    call: { MuteTime: 3000 }
    expect: { callbacks: [{ content_type: mute }], hangup_by: platform }`,
  `callee: talks-over
    expect: { interrupted: true, hangup_by: platform }`,
];

async function main(): Promise<void> {
  const cases = Array.from(
    { length: CASES },
    (_, i) => `  - name: case ${i + 1}\n    timeout: 90\n    ${KINDS[i % KINDS.length]}`,
  ).join('\n');
  const suite = parseSuiteText(`name: bench\ncases:\n${cases}\n`, 'bench.yaml');
  const platform = await EmbeddedPlatform.start({
    config: loadConfig({ logLevel: process.env.SMARTCALL_LOG_LEVEL || 'silent' }),
    callback: undefined,
  });
  let result: Awaited<ReturnType<typeof runSuite>>;
  try {
    result = await runSuite(suite, platform, { concurrency: CONCURRENCY });
  } finally {
    await platform.close();
  }
  const sum = result.cases.reduce((s, c) => s + c.durationMs, 0) / 1000;
  const wall = result.wallMs / 1000;
  for (const c of result.cases.filter((r) => !r.passed))
    console.log(`failed: ${c.name}: ${c.failures.map((f) => `${f.expectation}: ${f.actual}`).join('; ')}`);
  console.log(
    JSON.stringify({
      bench: 'suite',
      cases: result.cases.length,
      concurrency: CONCURRENCY,
      wallSeconds: Number(wall.toFixed(1)),
      sumOfCaseSeconds: Number(sum.toFixed(1)),
      speedup: Number((sum / wall).toFixed(1)),
      passed: result.passed,
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
