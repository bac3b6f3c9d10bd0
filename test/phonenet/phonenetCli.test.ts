/**
 * `smartcall phonenet` as its own process, called over SIP by the telephony core as another
 * program would; then `phonenet calls` and `phonenet timeline` read what it left behind, and
 * `phonenet personas` lists every persona and rejects a bad file with its line.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../src/observability/logger.js';
import { Telephony } from '../../src/telephony/telephony.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tempDir.js';
import { dial } from './platformDriver.js';

const CLI = fileURLToPath(new URL('../../../bin/smartcall.js', import.meta.url));
const dir = tempDir('phonenet-cli-');
const personasFile = join(dir.path, 'personas.yaml');
writeFileSync(
  personasFile,
  `personas:
  - name: shop-owner
    number: "13912340000"
    description: Answers and says one thing.
    voice: xiaogang
    steps:
      - ring: 300
      - answer
      - say: 你好，我是店主
      - wait: 400
      - hangup
`,
);

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'phonenet', ...args, '--data-dir', dir.path], {
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let platform: Telephony;
before(async () => {
  platform = await Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: false,
    rtpPortMin: 28600,
    rtpPortMax: 28699,
    timers: { t1: 100 },
    logger: silentLogger(),
  });
});
after(async () => {
  await platform.close();
  dir.remove();
});

test('phonenet personas --json lists every persona with its number and expected outcome', () => {
  const r = cli('personas', '--json', '--personas', personasFile);
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as {
    number: string;
    name: string;
    expected: { outcome: string; status?: number };
    builtin: boolean;
  }[];
  assert.equal(rows[0]!.name, 'shop-owner', 'file personas come first');
  assert.equal(rows[0]!.builtin, false);
  const busy = rows.find((p) => p.name === 'busy')!;
  assert.equal(busy.number, '13800000003');
  assert.deepEqual(busy.expected, { outcome: 'failed', status: 486 });
  assert.equal(rows.filter((p) => p.builtin).length, 23);
});

test('phonenet personas with a bad file fails with the file, line and problem', () => {
  const bad = join(dir.path, 'bad.yaml');
  writeFileSync(bad, 'personas:\n  - name: x\n    number: "1"\n    steps:\n      - reject: 99\n');
  const r = cli('personas', '--personas', bad);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.yaml:5:\d+: personas\[0\]\.steps\[0\]\.reject: .*400-699/);
});

async function startNetwork(sipPort: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'phonenet',
      '--sip-port',
      String(sipPort),
      '--personas',
      personasFile,
      '--rtp-ports',
      '27600-27699',
      '--data-dir',
      dir.path,
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 20_000;
  while (!out.includes('phonenet: sip:')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`phonenet did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, output: () => out };
}

test('smartcall phonenet serves calls as its own process, speaks with espeak-ng, and stops on SIGTERM', async () => {
  const sipPort = await freePort();
  const { child, output } = await startNetwork(sipPort);
  let callId: string;
  try {
    assert.match(output(), /voice (espeak|synthetic)/);
    const d = await dial(platform, `sip:13912340000@127.0.0.1:${sipPort}`, { lingerMs: 10_000 });
    callId = d.callId;
    assert.ok(d.answeredAt !== undefined);
    assert.equal(d.endedBy, 'remote', 'the persona hung up');
    assert.equal(
      d.calleeSpeech.length >= 1,
      true,
      `the platform heard the persona: ${JSON.stringify(d.calleeSpeech)}`,
    );
    const busy = await dial(platform, `sip:13800000003@127.0.0.1:${sipPort}`);
    assert.equal(busy.failure?.status, 486);
  } finally {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, output());
  }
  const calls = cli('calls', '--json');
  assert.equal(calls.status, 0, calls.stderr);
  const rows = JSON.parse(calls.stdout) as {
    callId: string;
    persona: string;
    outcome: string;
    recording: string | null;
  }[];
  const mine = rows.find((c) => c.callId === callId);
  assert.ok(mine, calls.stdout);
  assert.equal(mine.persona, 'shop-owner');
  assert.equal(mine.outcome, 'answered');
  assert.ok(mine.recording);
  const timeline = cli('timeline', callId, '--json');
  assert.equal(timeline.status, 0, timeline.stderr);
  const t = JSON.parse(timeline.stdout) as { events: { type: string; text?: string }[] };
  assert.deepEqual(
    t.events.filter((e) => e.type === 'said').map((e) => e.text),
    ['你好，我是店主'],
  );
  const human = cli('timeline', callId);
  assert.match(human.stdout, /said "你好，我是店主"/);
  assert.equal(cli('timeline', 'no-such-call').status, 1);
});
