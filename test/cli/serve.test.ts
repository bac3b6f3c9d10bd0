/** `smartcall serve` as the README starts it: a demo key on the first start only, then a real call. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { callAction } from '../helpers/aliClients.js';
import { tempDir } from '../helpers/tempDir.js';

const dir = tempDir();
after(() => dir.remove());

async function serve(): Promise<{ child: ChildProcess; output: () => string; port: number }> {
  const child = spawn(
    process.execPath,
    ['bin/smartcall.js', 'serve', '--data-dir', dir.path, '--http-port', '0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 15_000;
  while (!/"port":(\d+)/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, output: () => out, port: Number(/"port":(\d+)/.exec(out)![1]) };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = await exited;
  return code as number | null;
}

test('the first start prints a demo key that places a SmartCall; the second start prints none', async () => {
  const first = await serve();
  try {
    await new Promise((r) => setTimeout(r, 100));
    const out = first.output();
    const id = /AccessKeyId:\s+(\S+)/.exec(out)?.[1];
    const secret = /AccessKeySecret:\s+(\S+)/.exec(out)?.[1];
    const number = /display number:\s+(\d+)/.exec(out)?.[1];
    assert.ok(id && secret && number, out);
    const r = await callAction(
      'v3',
      { endpoint: `127.0.0.1:${first.port}`, accessKeyId: id, accessKeySecret: secret },
      'SmartCall',
      {
        CalledShowNumber: number,
        CalledNumber: '13800138000',
        VoiceCode: '$hi$',
        VoiceCodeParam: '{"hi":"你好"}',
      },
    );
    assert.equal(r.code, 'OK', JSON.stringify(r));
    const logLines = out.split('\n').filter((l) => l.startsWith('{'));
    assert.ok(
      logLines.every((l) => !l.includes(secret)),
      'the secret never reaches the log',
    );
  } finally {
    assert.equal(await stop(first.child), 0, 'SIGTERM stops it cleanly');
  }
  const second = await serve();
  try {
    assert.doesNotMatch(second.output(), /AccessKeySecret/);
  } finally {
    await stop(second.child);
  }
});
