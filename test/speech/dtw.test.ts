/**
 * The DTW of the template matcher is its hot loop; its speed-ups must not change a single result.
 * `referenceDtw` is the plain version it replaced (commit f0d9ae3), kept here as the oracle.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dtw } from '../../src/speech/phrase/templateMatcher.js';

const CEPS = 12;

function referenceDtw(a: Float32Array, b: Float32Array, bound = Number.POSITIVE_INFINITY): number {
  const n = a.length / CEPS;
  const m = b.length / CEPS;
  if (n === 0 || m === 0 || n > 2.2 * m || m > 2.2 * n) return Number.POSITIVE_INFINITY;
  const band = Math.max(Math.abs(n - m) + 2, Math.ceil(0.4 * Math.max(n, m)));
  let prev = new Float64Array(m + 1).fill(Number.POSITIVE_INFINITY);
  let cur = new Float64Array(m + 1);
  let prevLen = new Float64Array(m + 1);
  let curLen = new Float64Array(m + 1);
  prev[0] = 0;
  for (let i = 1; i <= n; i++) {
    cur.fill(Number.POSITIVE_INFINITY);
    const center = Math.round((i * m) / n);
    const lo = Math.max(1, center - band);
    const hi = Math.min(m, center + band);
    let rowMin = Number.POSITIVE_INFINITY;
    for (let j = lo; j <= hi; j++) {
      let d = 0;
      const ai = (i - 1) * CEPS;
      const bj = (j - 1) * CEPS;
      for (let c = 0; c < CEPS; c++) {
        const x = a[ai + c]! - b[bj + c]!;
        d += x * x;
      }
      d = Math.sqrt(d);
      let best = prev[j - 1]!;
      let len = prevLen[j - 1]!;
      if (prev[j]! < best) {
        best = prev[j]!;
        len = prevLen[j]!;
      }
      if (cur[j - 1]! < best) {
        best = cur[j - 1]!;
        len = curLen[j - 1]!;
      }
      cur[j] = best + d;
      curLen[j] = len + 1;
      if (cur[j]! / (i + j) < rowMin) rowMin = cur[j]! / (i + j);
    }
    if (rowMin > bound * 1.5) return Number.POSITIVE_INFINITY;
    [prev, cur] = [cur, prev];
    [prevLen, curLen] = [curLen, prevLen];
    if (i === 1) prev[0] = Number.POSITIVE_INFINITY;
  }
  return prev[m]! / prevLen[m]!;
}

/** Deterministic pseudo-cepstra: a slow walk plus noise, like speech frames. */
function frames(count: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const out = new Float32Array(count * CEPS);
  const walk = new Float64Array(CEPS);
  for (let f = 0; f < count; f++)
    for (let c = 0; c < CEPS; c++) {
      walk[c]! += rand();
      out[f * CEPS + c] = walk[c]! * 3 + rand() * 2;
    }
  return out;
}

test('dtw gives bit-for-bit the distance of the plain DTW it replaced, with and without a bound', () => {
  let compared = 0;
  for (const n of [1, 2, 7, 40, 73, 160, 230]) {
    for (const m of [1, 3, 9, 38, 75, 150, 240, 400]) {
      const a = frames(n, n * 1000 + m);
      const b = frames(m, m * 7 + n);
      for (const bound of [Number.POSITIVE_INFINITY, 20, 5]) {
        const want = referenceDtw(a, b, bound);
        const got = dtw(a, b, bound);
        assert.ok(Object.is(got, want), `n=${n} m=${m} bound=${bound}: ${got} ≠ ${want}`);
        compared++;
      }
    }
  }
  // Near-identical sequences too (the matching template of a phrase).
  const a = frames(120, 42);
  const b = a.map((v, i) => v + ((i % 5) - 2) * 0.01);
  assert.ok(Object.is(dtw(a, b), referenceDtw(a, b)));
  assert.ok(compared > 100);
});
