/**
 * A suite's results for people (a summary with the transcript of each failed case), for CI
 * servers (JUnit XML: testsuites / testsuite / testcase / failure) and for scripts (JSON).
 */
import { XMLBuilder } from 'fast-xml-parser';
import type { ExpectationFailure } from './expectations.js';
import { formatOffset } from './observation.js';
import type { CaseResult, SuiteResult } from './suiteRunner.js';

const seconds = (ms: number) => (ms / 1000).toFixed(1);

export function failureText(f: ExpectationFailure): string {
  return `${f.expectation}: expected ${f.expected}\n    actual:   ${f.actual}\n    where:    ${f.where}`;
}

function transcript(r: CaseResult): string[] {
  return r.timeline.map((l) => `${formatOffset(l.t)}  ${l.text}`);
}

export function terminalReport(result: SuiteResult): string {
  const lines: string[] = [];
  for (const r of result.cases)
    lines.push(`${r.passed ? 'PASS' : 'FAIL'}  ${r.name}  (${r.callee}, ${seconds(r.durationMs)} s)`);
  for (const r of result.cases.filter((c) => !c.passed)) {
    lines.push('', `── ${r.name}${r.callId ? `  (CallId ${r.callId})` : ''}`);
    for (const f of r.failures) lines.push(`  ✗ ${failureText(f)}`);
    if (r.timeline.length > 0) lines.push('  transcript:', ...transcript(r).map((l) => `  ${l}`));
  }
  lines.push(
    '',
    `${result.passed} passed, ${result.failed} failed of ${result.cases.length} (${seconds(result.wallMs)} s, concurrency ${result.concurrency})`,
  );
  return lines.join('\n');
}

export function junitReport(result: SuiteResult): string {
  const time = seconds(result.wallMs);
  const testcases = result.cases.map((r) => ({
    '@_name': r.name,
    '@_classname': result.name,
    '@_time': seconds(r.durationMs),
    ...(!r.passed && {
      failure: {
        '@_message': r.failures
          .map((f) => `${f.expectation}: expected ${f.expected}, actual ${f.actual}`)
          .join('; '),
        '@_type': r.failures.some((f) => f.expectation === 'run' || f.expectation === 'timeout')
          ? 'error'
          : 'expectation',
        '#text': [...r.failures.map(failureText), '', 'transcript:', ...transcript(r)].join('\n'),
      },
    }),
    'system-out': [r.callId ? `CallId ${r.callId}` : '', ...transcript(r)].join('\n'),
  }));
  const doc = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    testsuites: {
      '@_name': 'smartcall test',
      '@_tests': result.cases.length,
      '@_failures': result.failed,
      '@_errors': 0,
      '@_time': time,
      testsuite: {
        '@_name': result.name,
        '@_tests': result.cases.length,
        '@_failures': result.failed,
        '@_errors': 0,
        '@_skipped': 0,
        '@_time': time,
        testcase: testcases,
      },
    },
  };
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    format: true,
    suppressEmptyNode: true,
    processEntities: true,
  });
  return builder.build(doc);
}

export function jsonReport(result: SuiteResult): unknown {
  return {
    suite: result.name,
    passed: result.passed,
    failed: result.failed,
    concurrency: result.concurrency,
    wallSeconds: Number(seconds(result.wallMs)),
    cases: result.cases.map((r) => ({
      name: r.name,
      callee: r.callee,
      passed: r.passed,
      callId: r.callId ?? null,
      startSeconds: Number((r.startMs / 1000).toFixed(3)),
      seconds: Number((r.durationMs / 1000).toFixed(3)),
      failures: r.failures,
      timeline: r.timeline,
    })),
  };
}
