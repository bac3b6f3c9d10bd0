/**
 * Crash safety: `kill -9` in the middle of an answered, recorded call; the next start gives the
 * call its terminal state, its VoiceReport and its VoiceRecordReport (the recording cut by the
 * kill is still readable) — exactly once, also across a further restart. Once with recordings on
 * local disk, once in S3-compatible storage (s3rver on 127.0.0.1): there the next start uploads the
 * cut recording, the VoiceRecordReport's presigned link downloads it and no local copy is left.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readWav } from '../../src/media/wavReader.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { TenancyAdmin } from '../../src/tenancy/tenancyAdmin.js';
import { callAction } from '../helpers/aliClients.js';
import { lanePortRange, laneRtpPorts } from '../helpers/lanes.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../helpers/s3rver.js';
import { tempDir } from '../helpers/tempDir.js';

const dirs: ReturnType<typeof tempDir>[] = [];
const receipts: Record<string, string | number>[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => {
    body += d;
  });
  req.on('end', () => {
    receipts.push(...JSON.parse(body));
    res.end('{"code":0}');
  });
});
let receiptPort = 0;
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiptPort = (server.address() as AddressInfo).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
  for (const d of dirs) d.remove();
});

function dataDir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d.path;
}

interface Serve {
  child: ChildProcess;
  port: number;
  output: () => string;
}

/** How a test's `serve` differs from the plain one. */
interface ServeExtras {
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

async function serve(dir: string, extras: ServeExtras): Promise<Serve> {
  // This lane's RTP windows (the defaults would be shared with files running in other lanes).
  const config = join(dir, 'serve.json');
  writeFileSync(config, JSON.stringify({ rtp: lanePortRange('rtp'), phonenet: laneRtpPorts('phonenet') }));
  const child = spawn(
    process.execPath,
    [
      'bin/smartcall.js',
      'serve',
      '--config',
      config,
      '--data-dir',
      dir,
      '--http-port',
      '0',
      '--sip-port',
      '0',
      ...(extras.args ?? []),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SMARTCALL_PHONENET_PORT: '0', ...extras.env },
    },
  );
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const until = Date.now() + 20_000;
  while (!/"msg":"smartcall started"/.test(out)) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`serve did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const port = Number(/"port":(\d+),"sip"/.exec(out)?.[1] ?? /"host":"127.0.0.1","port":(\d+)/.exec(out)![1]);
  return { child, port, output: () => out };
}

async function stop(s: Serve, signal: NodeJS.Signals): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = once(s.child, 'exit');
  s.child.kill(signal);
  if (signal !== 'SIGKILL') {
    // serve drains on the first signal; the second stops it at once.
    const again = setTimeout(() => s.child.kill(signal), 2000);
    await exited;
    clearTimeout(again);
    return;
  }
  await exited;
}

/** The demo key, read as the CLI does: a key of the demo account made for this test. */
function demoKey(dir: string): { accessKeyId: string; accessKeySecret: string } {
  const store = SqliteStore.open(dir);
  try {
    const admin = new TenancyAdmin(store, SecretBox.fromKeyFile(dir));
    admin.setReceipts('demo', {
      url: `http://127.0.0.1:${receiptPort}/r`,
      types: ['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport'],
    });
    return admin.createKey('demo');
  } finally {
    store.close();
  }
}

/**
 * A recorded call to the silent persona, killed with SIGKILL after a couple of seconds of talk;
 * the next start must report it once. Resolves the VoiceRecordReport's link (checked further by
 * `check` while the second server still runs), after a third start that sends nothing again.
 */
async function crashMidCall(dir: string, extras: ServeExtras, check: (link: string) => Promise<void>) {
  const first = await serve(dir, extras);
  const key = demoKey(dir);
  const creds = { endpoint: `127.0.0.1:${first.port}`, ...key };
  const r = await callAction('core', creds, 'SmartCall', {
    CalledShowNumber: '057188880000',
    CalledNumber: '13800000007', // silent: answers and stays on the line
    VoiceCode: '$t$',
    VoiceCodeParam: '{"t":"您好，这是一通会被中断的电话。"}',
    RecordFlag: 'true',
    MuteTime: '20000',
  });
  const callId = String(r.body!.CallId);
  const state = async () => {
    const q = await callAction('core', creds, 'QueryCallDetailByCallId', {
      CallId: callId,
      ProdId: '11030000180001',
      QueryDate: String(Date.now() - 60_000),
    });
    return q.body?.Data ? JSON.parse(String(q.body.Data)).state : undefined;
  };
  const until = Date.now() + 20_000;
  while ((await state()) !== '200102') {
    assert.ok(Date.now() < until, 'the call was answered');
    await new Promise((res) => setTimeout(res, 200));
  }
  await new Promise((res) => setTimeout(res, 2500)); // a couple of seconds of recorded talk
  await stop(first, 'SIGKILL');

  const second = await serve(dir, extras);
  try {
    const deadline = Date.now() + 15_000;
    while (!receipts.some((x) => x.call_id === callId && x.record_file)) {
      assert.ok(Date.now() < deadline, `the recovered call's receipts arrived: ${JSON.stringify(receipts)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const mine = receipts.filter((x) => x.call_id === callId);
    const reports = mine.filter((x) => x.caller);
    assert.equal(reports.length, 1, 'one VoiceReport');
    assert.equal(reports[0]!.status_code, '200000');
    assert.match(String(reports[0]!.status_msg), /平台重启/);
    const recordReports = mine.filter((x) => x.record_file);
    assert.equal(recordReports.length, 1, 'one VoiceRecordReport');
    const link = String(recordReports[0]!.record_file);
    const wav = await fetch(link);
    assert.equal(wav.status, 200);
    const audio = readWav(Buffer.from(await wav.arrayBuffer()));
    assert.equal(audio.channels, 2);
    assert.ok(audio.durationMs >= 1000, `the recording kept ${audio.durationMs} ms`);
    await check(link);
  } finally {
    await stop(second, 'SIGTERM');
  }

  const sent = receipts.filter((x) => x.call_id === callId).length;
  const third = await serve(dir, extras);
  await new Promise((res) => setTimeout(res, 1500));
  await stop(third, 'SIGTERM');
  assert.equal(
    receipts.filter((x) => x.call_id === callId).length,
    sent,
    'a further restart sends nothing again',
  );
}

test('after kill -9 mid-call, the next start finalises the call with its reports, exactly once', async () => {
  await crashMidCall(dataDir('smartcall-crash-'), {}, async () => {});
});

test('with recordings in S3 storage, the next start uploads the cut recording and reports it, exactly once', async () => {
  const s3dir = dataDir('smartcall-crash-s3rver-');
  const s3 = await startS3rver(s3dir, 'calls');
  try {
    const dir = dataDir('smartcall-crash-s3-');
    const extras = {
      args: ['--recordings-s3', `${s3.endpoint}/calls/rec/`],
      env: {
        SMARTCALL_S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        SMARTCALL_S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      },
    };
    await crashMidCall(dir, extras, async (link) => {
      assert.ok(link.startsWith(`${s3.endpoint}/calls/rec/`), link);
      const days = readdirSync(join(dir, 'recordings'));
      assert.ok(
        days.every((d) => readdirSync(join(dir, 'recordings', d)).length === 0),
        'no local copy is left once uploaded',
      );
    });
  } finally {
    await s3.close();
  }
});
