/**
 * `smartcall phonenet` flags as a SIP client sees them (test/phonenet/phonenetCli.test.ts covers a
 * whole conversation, `personas`, and `calls`/`timeline` in the default run directory): where the
 * network binds (--address, --sip-port), whom it takes calls from (--accept-non-loopback), its RTP
 * ports, voice, log level, and where and how many calls it keeps (--run-dir, --keep-calls, --limit).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePorts } from '../helpers/ports.js';
import { tempDir } from '../helpers/tempDir.js';
import { smartcall, start, stopAll, tcpAccepts } from './cliHarness.js';
import { sipInvite } from './sipProbe.js';

const dir = tempDir('smartcall-phonenet-flags-');
after(async () => {
  await stopAll();
  dir.remove();
});
const data = join(dir.path, 'data');
const runDir = join(dir.path, 'run');
const personas = join(dir.path, 'personas.yaml');
writeFileSync(
  personas,
  'personas:\n  - name: picks-up\n    number: "13912340000"\n    steps:\n      - answer\n      - wait: 5000\n      - hangup\n',
);
// Only 127.0.0.2 may call: every probe below comes from 127.0.0.1.
const restricted = join(dir.path, 'restricted.yaml');
writeFileSync(restricted, 'phonenet: { allowedSources: ["127.0.0.2/32"] }\n');
const BUSY = '13800000003';

/** The JSON document `phonenet --json` prints once it listens. */
function startupJson(stdout: string): Record<string, unknown> | undefined {
  const block = /^\{\n[\s\S]*?^\}$/m.exec(stdout)?.[0];
  return block ? JSON.parse(block) : undefined;
}

test('without --accept-non-loopback a source outside allowedSources gets 403; info lines by default', async () => {
  const [port] = await freePorts(1);
  const net = await start(
    [
      'phonenet',
      '--sip-port',
      String(port),
      '--config',
      restricted,
      '--data-dir',
      data,
      '--voice',
      'synthetic',
    ],
    (out) => out.includes('phonenet: sip:'),
    { cwd: dir.path },
  );
  try {
    assert.match(net.stdout(), new RegExp(`phonenet: sip:<number>@127\\.0\\.0\\.1:${port} `));
    const r = await sipInvite({ host: '127.0.0.1', port: port!, number: BUSY });
    assert.equal(r?.status, 403);
    assert.match(net.output(), /"level":30/);
  } finally {
    assert.equal(await net.stop(), 0);
  }
});

test('phonenet binds --address/--sip-port, answers from --rtp-ports with --personas, keeps --keep-calls in --run-dir', async () => {
  const [port] = await freePorts(1);
  const rtpMin = 30000 + 20 * Math.floor(Math.random() * 400);
  const rtpMax = rtpMin + 19;
  const host = '127.0.0.2';
  const args = [
    'phonenet',
    '--address',
    host,
    '--sip-port',
    String(port),
    '--rtp-ports',
    `${rtpMin}-${rtpMax}`,
  ];
  const net = await start(
    [
      ...args,
      '--personas',
      personas,
      '--accept-non-loopback',
      '--config',
      restricted,
      '--voice',
      'synthetic',
      '--keep-calls',
      '2',
      '--run-dir',
      runDir,
      '--log-level',
      'warn',
      '--data-dir',
      data,
      '--json',
    ],
    (out) => startupJson(out) !== undefined,
    { cwd: dir.path },
  );
  const callIds: string[] = [];
  try {
    assert.deepEqual(startupJson(net.stdout()), {
      sipPort: port,
      tcpPort: port,
      address: host,
      personas: 24,
      voice: 'synthetic',
      runDir,
    });
    assert.ok(await tcpAccepts(host, port!), `SIP listens on ${host}`);
    assert.equal(await tcpAccepts('127.0.0.1', port!), false, 'and only there');

    const busy = await sipInvite({ host, port: port!, number: BUSY });
    assert.equal(busy?.status, 486, '--accept-non-loopback: 127.0.0.1 may call despite allowedSources');
    const answered = await sipInvite({ host, port: port!, number: '13912340000' });
    assert.equal(answered?.status, 200, 'the --personas file answers its number');
    assert.ok(
      answered!.audioPort! >= rtpMin && answered!.audioPort! <= rtpMax,
      `RTP port ${answered?.audioPort} in ${rtpMin}-${rtpMax}`,
    );
    const busyAgain = await sipInvite({ host, port: port!, number: BUSY });
    assert.equal(busyAgain?.status, 486);
    callIds.push(busy!.callId, answered!.callId, busyAgain!.callId);
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    assert.equal(await net.stop(), 0);
  }
  assert.doesNotMatch(net.output(), /"level":30/, '--log-level warn: no info lines');

  const calls = smartcall([
    'phonenet',
    'calls',
    '--run-dir',
    runDir,
    '--json',
    '--data-dir',
    data,
  ]).json() as {
    callId: string;
    persona: string;
  }[];
  assert.deepEqual(
    calls.map((c) => c.callId),
    callIds.slice(1),
    '--keep-calls 2: the oldest call was dropped',
  );
  assert.equal(calls[0]!.persona, 'picks-up');
  const last = smartcall([
    'phonenet',
    'calls',
    '--run-dir',
    runDir,
    '--limit',
    '1',
    '--json',
    '--data-dir',
    data,
  ]);
  assert.deepEqual(
    last.json().map((c: { callId: string }) => c.callId),
    callIds.slice(2),
  );
  const elsewhere = smartcall(['phonenet', 'calls', '--json', '--data-dir', data]).json() as {
    callId: string;
  }[];
  assert.ok(!elsewhere.some((c) => callIds.includes(c.callId)), 'nothing in the default run directory');

  const timeline = smartcall([
    'phonenet',
    'timeline',
    callIds[1]!,
    '--run-dir',
    runDir,
    '--json',
    '--data-dir',
    data,
  ]);
  assert.equal(timeline.status, 0, timeline.stderr);
  assert.equal(timeline.json().persona, 'picks-up');
  assert.equal(smartcall(['phonenet', 'timeline', callIds[1]!, '--data-dir', data]).status, 1);
});
