/**
 * The serial test files run in lanes (scripts/run-tests.mjs, SMARTCALL_TEST_LANES): each lane is its
 * own `node --test` with SMARTCALL_TEST_LANE=k, and test/helpers/lanes.ts gives lane k port windows
 * no other lane, no ephemeral port and no smartcall default window can reach.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tempDir.js';

const RUN_TESTS = fileURLToPath(new URL('../../../scripts/run-tests.mjs', import.meta.url));
const LANES = fileURLToPath(new URL('../helpers/lanes.js', import.meta.url));
const dir = tempDir('smartcall-lanes-');
after(() => dir.remove());
/** This process's environment without what `node --test` tells its own children. */
const { NODE_TEST_CONTEXT: _, ...cleanEnv } = process.env;

/** test/helpers/lanes.ts's windows as a process in `lane` sees them. */
function windowsOf(lane: string): { ok: boolean; out: string } {
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const l = await import(${JSON.stringify(LANES)});
       console.log(JSON.stringify(['rtp', 'phonenet', 'peers', 'signal'].map((s) => l.laneWindow(s)).concat([l.peerRtpPorts()])));`,
    ],
    { env: { ...process.env, SMARTCALL_TEST_LANE: lane }, encoding: 'utf8' },
  );
  return { ok: r.status === 0, out: r.status === 0 ? r.stdout : r.stderr };
}

test('each lane gets its own port windows, below the ephemeral range and smartcall’s defaults', () => {
  const ranges: Array<[number, number]> = [];
  for (const lane of ['0', '1', '2', '3', '4', '5']) {
    const r = windowsOf(lane);
    assert.ok(r.ok, r.out);
    const [rtp, phonenet, peers, signal, peer] = JSON.parse(r.out) as [
      { min: number; max: number },
      { min: number; max: number },
      { min: number; max: number },
      { min: number; max: number },
      string,
    ];
    const [a, b] = peer.split('-').map(Number) as [number, number];
    assert.ok(a >= peers.min && b <= peers.max && b - a === 9, `${peer} inside ${JSON.stringify(peers)}`);
    for (const w of [rtp, phonenet, peers, signal]) {
      assert.ok(w.min >= 1024 && w.max < 20000, `${JSON.stringify(w)} below 20000 (RTP default 20000-29999)`);
      for (const [min, max] of ranges) assert.ok(w.max < min || w.min > max, `lane ${lane} overlaps`);
      ranges.push([w.min, w.max]);
    }
  }
  const ephemeral = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/).map(Number);
  assert.ok(Math.max(...ranges.map(([, max]) => max)) < ephemeral[0]!);
  const bad = windowsOf('6');
  assert.ok(!bad.ok);
  assert.match(bad.out, /SMARTCALL_TEST_LANE=6: want an integer 0\.\.5/);
});

test('run-tests runs the serial files in SMARTCALL_TEST_LANES lanes at once, each with its lane', () => {
  // A tree as run-tests sees it: two e2e files that each note their lane and the time they ran.
  const e2e = join(dir.path, 'dist/test/e2e');
  mkdirSync(e2e, { recursive: true });
  const log = join(dir.path, 'ran.txt');
  writeFileSync(join(dir.path, 'package.json'), '{ "type": "module" }\n');
  for (const name of ['a', 'b']) {
    writeFileSync(
      join(e2e, `${name}.test.js`),
      `import { appendFileSync } from 'node:fs';
       import { test } from 'node:test';
       test('${name}', async () => {
         const from = Date.now();
         await new Promise((r) => setTimeout(r, 1500));
         appendFileSync(${JSON.stringify(log)}, JSON.stringify({ name: '${name}', lane: process.env.SMARTCALL_TEST_LANE, from, to: Date.now() }) + '\\n');
       });`,
    );
  }
  const run = (lanes: string) => {
    writeFileSync(log, '');
    const r = spawnSync(process.execPath, [RUN_TESTS, 'e2e/'], {
      cwd: dir.path,
      env: { ...cleanEnv, SMARTCALL_TEST_LANES: lanes },
      encoding: 'utf8',
    });
    const ran = readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { name: string; lane: string; from: number; to: number })
      .sort((x, y) => x.name.localeCompare(y.name));
    return { r, ran };
  };

  const two = run('2');
  assert.equal(two.r.status, 0, two.r.stdout + two.r.stderr);
  assert.deepEqual(two.ran.map((x) => x.lane).sort(), ['0', '1']);
  const [a, b] = two.ran as [(typeof two.ran)[0], (typeof two.ran)[0]];
  assert.ok(a.from < b.to && b.from < a.to, `the lanes ran at the same time: ${JSON.stringify(two.ran)}`);
  assert.match(two.r.stdout, /serial files in 2 lane\(s\)/);
  assert.match(
    two.r.stdout,
    /lane 0: [\d.]+ s\n +[\d.]+ s {2}e2e\/\w\.test\.js\nlane 1: [\d.]+ s\n +[\d.]+ s {2}e2e\/\w\.test\.js/,
  );

  const one = run('1');
  assert.equal(one.r.status, 0, one.r.stdout + one.r.stderr);
  assert.deepEqual(
    one.ran.map((x) => x.lane),
    ['0', '0'],
  );
  const [c, d] = one.ran as [(typeof one.ran)[0], (typeof one.ran)[0]];
  assert.ok(c.to <= d.from || d.to <= c.from, 'one lane: one file after the other');

  const bad = spawnSync(process.execPath, [RUN_TESTS, 'e2e/'], {
    cwd: dir.path,
    env: { ...cleanEnv, SMARTCALL_TEST_LANES: '0' },
    encoding: 'utf8',
  });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /SMARTCALL_TEST_LANES=0: want an integer 1\.\.6/);
});
