/**
 * Reads Prometheus exposition text (format 0.0.4) the way a scraper would, and refuses text a
 * scraper would refuse: a sample without its family's TYPE, a malformed line or value, histogram
 * buckets that are not cumulative or whose +Inf bucket differs from the count.
 */
import assert from 'node:assert/strict';

export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: ExpositionSample[];
  /** The value of `name` with exactly these labels among others (0 when absent: a counter not yet moved). */
  value(name: string, labels?: Record<string, string>): number;
  /** The sum over every sample of `name` matching `labels`. */
  sum(name: string, labels?: Record<string, string>): number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: ExpositionSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    assert.ok(!line.startsWith('#'), `unknown comment line: ${line}`);
    const m = SAMPLE.exec(line);
    assert.ok(m, `malformed sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    const value = m[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[3]);
    assert.ok(!Number.isNaN(value), `not a number: ${line}`);
    const name = m[1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(family), `sample before (or without) its TYPE: ${line}`);
    samples.push({ name, labels, value });
  }
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, ExpositionSample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      for (let i = 1; i < buckets.length; i++)
        assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${family}${key}: buckets not cumulative`);
      const count = samples.find(
        (x) => x.name === `${family}_count` && JSON.stringify(x.labels) === key,
      )?.value;
      assert.equal(buckets.at(-1)!.labels.le, '+Inf', `${family}${key}: last bucket is +Inf`);
      assert.equal(buckets.at(-1)!.value, count, `${family}${key}: +Inf bucket equals the count`);
    }
  }
  const matching = (name: string, labels: Record<string, string>) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    types,
    samples,
    value: (name, labels = {}) => matching(name, labels)[0]?.value ?? 0,
    sum: (name, labels = {}) => matching(name, labels).reduce((a, s) => a + s.value, 0),
  };
}
