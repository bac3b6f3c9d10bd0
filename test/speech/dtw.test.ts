/**
 * The DTW of the template matcher is its hot loop; its speed-ups must not change a single result.
 * `referenceDtw` is the plain version it replaced (commit f0d9ae3), kept here as the oracle.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dtw, matchTemplates, melSpectrum, packTemplates } from '../../src/speech/phrase/templateMatcher.js';

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

test('dtw with a limit gives the same distance when it is within the limit, and abandons only past it', () => {
  let abandoned = 0;
  for (const n of [7, 40, 160]) {
    for (const m of [9, 38, 150, 240]) {
      const a = frames(n, n + m);
      const b = frames(m, m * 3 + n);
      const exact = referenceDtw(a, b);
      for (const limit of [exact * 0.3, exact * 0.9, exact, exact * 1.1, Number.POSITIVE_INFINITY]) {
        const got = dtw(a, b, Number.POSITIVE_INFINITY, limit);
        if (got === Number.POSITIVE_INFINITY && exact !== got) {
          assert.ok(exact > limit, `n=${n} m=${m}: abandoned at ${limit} but the distance is ${exact}`);
          abandoned++;
        } else assert.ok(Object.is(got, exact), `n=${n} m=${m} limit=${limit}: ${got} ≠ ${exact}`);
      }
    }
  }
  assert.ok(abandoned >= 3, 'the limit does cut work');
});

/** A pseudo-utterance: a few gliding tones in noise, seeded. */
function utterance(seed: number, ms: number): Int16Array {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const f = [200 + 600 * rand(), 700 + 1200 * rand(), 1800 + 1500 * rand()];
  const out = new Int16Array(ms * 8);
  for (let i = 0; i < out.length; i++) {
    const t = i / 8000;
    let v = 0;
    for (const [k, hz] of f.entries()) v += Math.sin(2 * Math.PI * hz * (1 + 0.3 * t) * t + k) * 3000;
    out[i] = Math.round(v * Math.sin((Math.PI * i) / out.length) + (rand() - 0.5) * 400);
  }
  return out;
}

test("matchTemplates with a call's limit names the same phrase at the same distance whenever it is within the limit", () => {
  const items = [];
  for (let w = 0; w < 12; w++)
    for (let v = 0; v < 3; v++)
      items.push({ word: `__p${w}`, mel: melSpectrum(utterance(w * 17 + 1, 500 + w * 60 + v * 40)) });
  const bank = packTemplates(items);
  let within = 0;
  for (let seed = 0; seed < 24; seed++) {
    // Near a phrase's own templates (same seed, other lengths) or off the list.
    const samples = utterance(seed < 12 ? seed * 17 + 1 : 1000 + seed, 520 + (seed % 12) * 60);
    const full = matchTemplates(samples, bank);
    for (const limit of [
      full.distance * 0.8,
      full.distance,
      full.distance * 1.5,
      16.5,
      Number.POSITIVE_INFINITY,
    ]) {
      const limited = matchTemplates(samples, bank, limit);
      if (full.distance <= limit) {
        assert.equal(limited.word, full.word, `seed ${seed} limit ${limit}`);
        assert.ok(Object.is(limited.distance, full.distance), `seed ${seed} limit ${limit}`);
        within++;
      } else assert.ok(!(limited.distance <= limit), 'nothing within the limit is invented');
    }
  }
  assert.ok(within > 40);
});

test('a limit equal to the distance never abandons it (the bound is compared as the quotient returned)', () => {
  // Frames far apart, so the only good path is the diagonal and the last row has one cell within
  // reach: a product test (cost ≤ limit × length) abandoned a few percent of these at their own
  // distance, as the quotient rounds below the cost.
  let seed = 7;
  const rand = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const sequence = (v: number[][]) => {
    const out = new Float32Array(v.length * CEPS);
    for (const [i, f] of v.entries()) out.set(f, i * CEPS);
    return out;
  };
  const a = sequence([
    [0, 0],
    [100, 0],
    [200, 0],
  ]);
  for (let k = 0; k < 3000; k++) {
    const b = sequence([
      [rand(), rand()],
      [100 + rand(), rand()],
      [200 + rand(), rand()],
    ]);
    const d = dtw(a, b);
    assert.ok(
      Object.is(dtw(a, b, Number.POSITIVE_INFINITY, d), d),
      `case ${k}: abandoned at its own distance`,
    );
  }
});

test('two phrases with identical templates tie, whatever the order of comparison: the first in the bank wins, the other is the runner-up', () => {
  const same = melSpectrum(utterance(5, 700));
  const bank = packTemplates([
    { word: '__p0', mel: melSpectrum(utterance(1, 900)) },
    { word: '__p1', mel: same },
    { word: '__p2', mel: same },
    { word: '__p3', mel: melSpectrum(utterance(9, 650)) },
  ]);
  const samples = utterance(5, 720);
  for (const limit of [Number.POSITIVE_INFINITY, 30]) {
    const m = matchTemplates(samples, bank, limit);
    assert.equal(m.word, '__p1');
    assert.ok(
      Object.is(m.runnerUp, m.distance),
      `limit ${limit}: the twin is the runner-up at the same distance`,
    );
  }
});
