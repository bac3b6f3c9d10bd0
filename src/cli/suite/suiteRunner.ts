/**
 * Runs a suite's cases against a platform, `concurrency` at a time, each with its own timeout,
 * and checks each case's expectations against what the platform recorded.
 */
import { systemClock } from '../../clock/clock.js';
import { checkExpectations, type ExpectationFailure } from './expectations.js';
import type { TimelineLine } from './observation.js';
import type { SuitePlatform } from './suitePlatform.js';
import type { Suite, SuiteCase } from './suiteSchema.js';

export interface CaseResult {
  name: string;
  callee: string;
  passed: boolean;
  /** Failed expectations; a case that could not run has one with expectation `run`. */
  failures: ExpectationFailure[];
  callId: string | undefined;
  /** When the case started, ms after the suite's calls began. */
  startMs: number;
  /** Wall time of the case, from the request to the last check, ms. */
  durationMs: number;
  timeline: TimelineLine[];
}

export interface SuiteResult {
  name: string;
  cases: CaseResult[];
  passed: number;
  failed: number;
  concurrency: number;
  wallMs: number;
}

export async function runSuite(
  suite: Suite,
  platform: SuitePlatform,
  options: { concurrency: number; onCase?: (r: CaseResult) => void },
): Promise<SuiteResult> {
  const started = systemClock.now();
  await platform.prepare(suite.cases);
  const began = systemClock.now();
  const results: CaseResult[] = new Array(suite.cases.length);
  let next = 0;
  const worker = async () => {
    while (next < suite.cases.length) {
      const c = suite.cases[next++]!;
      const r = await runCase(c, platform, began);
      results[c.index] = r;
      options.onCase?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, suite.cases.length) }, worker));
  const passed = results.filter((r) => r.passed).length;
  return {
    name: suite.name,
    cases: results,
    passed,
    failed: results.length - passed,
    concurrency: options.concurrency,
    wallMs: Math.round(systemClock.now() - started),
  };
}

async function runCase(c: SuiteCase, platform: SuitePlatform, began: number): Promise<CaseResult> {
  const started = systemClock.now();
  const result = (failures: ExpectationFailure[], callId?: string, timeline: TimelineLine[] = []) => ({
    name: c.name,
    callee: c.callee.label,
    passed: failures.length === 0,
    failures,
    callId,
    startMs: Math.round(started - began),
    durationMs: Math.round(systemClock.now() - started),
    timeline,
  });
  let placed: Awaited<ReturnType<SuitePlatform['place']>>;
  try {
    placed = await platform.place(c);
  } catch (err) {
    return result([
      {
        expectation: 'run',
        expected: 'the SmartCall request accepted',
        actual: (err as Error).message,
        where: 'request',
      },
    ]);
  }
  const ended = await platform.waitForEnd(placed.callId, c.timeoutS * 1000);
  const o = await platform.observe(c, placed);
  const failures = ended
    ? checkExpectations(o, c.expect)
    : [
        {
          expectation: 'timeout',
          expected: `the call over within ${c.timeoutS} s`,
          actual: `still going (last: ${o.timeline.at(-1)?.text ?? 'nothing happened'})`,
          where: `+${c.timeoutS}s`,
        },
      ];
  return result(failures, placed.callId, o.timeline);
}
