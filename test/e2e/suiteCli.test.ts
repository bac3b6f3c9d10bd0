/**
 * `smartcall test` through the real CLI: the example suite passes against the demo bot; a broken
 * bot (a small HTTP callback server here: a wrong branch, a missing hang-up, a slow reply) makes
 * exactly the expected cases fail, each message naming the cause; the JUnit report has the
 * testsuites / testsuite / testcase / failure shape; exit codes 0 and 1; a bad suite file is refused
 * with its line; `--endpoint` runs the cases on a running `smartcall serve`, `--concurrency 1` one
 * after the other.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { type Running, smartcall, smartcallAsync, start, stopAll } from '../cli/cliHarness.js';
import { lanePortRange, laneRtpPorts } from '../helpers/lanes.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tempDir.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/suites/demo-bot.yaml', import.meta.url));
const dir = tempDir('smartcall-suite-');

/** The bot under test: `/good` does it right; the others each get one thing wrong. */
function botReply(path: string, contentType: string, content: Record<string, unknown>) {
  const play = (text: string, step: string) => ({
    action: 'play',
    action_code: '$text$',
    action_code_param: JSON.stringify({ text }),
    dynamic_id: step,
  });
  const bye = {
    action: 'hangup',
    action_code: '$text$',
    action_code_param: JSON.stringify({ text: '再见' }),
  };
  if (contentType === 'mute') return bye;
  const first = !content.dynamic_id;
  if (path === '/wrong-branch' && first) return play('很抱歉给您带来不便', 'q2'); // the "no" branch for a yes
  if (path === '/no-hangup' && !first) return play('再见', 'q3'); // says goodbye, never hangs up
  return first ? play('测试机器人：请问您愿意推荐吗', 'q2') : bye;
}

const bot = createServer((req: IncomingMessage, res: ServerResponse) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const reply = () => {
    let content: Record<string, unknown> = {};
    try {
      content = JSON.parse(url.searchParams.get('content') ?? '{}');
    } catch {}
    const data = botReply(url.pathname, url.searchParams.get('content_type') ?? '', content);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ result: 'success', msg: '成功', data }));
  };
  req.resume();
  if (url.pathname === '/slow') setTimeout(reply, 1500);
  else reply();
});
let botUrl: string;

const brokenSuite = () => `
name: broken-bot
defaults:
  timeout: 40
  call:
    VoiceCode: $text$
    VoiceCodeParam: { text: 你好，请问满意吗 }
    MuteTime: 5000
  # the caller answers yes twice, then hangs up if the bot has not
cases:
  - name: the good bot passes
    callee: &yes
      steps:
        - ring: 200
        - answer
        - wait: prompt-end
        - say: 是的
        - wait: prompt-end
        - say: 是的
        - wait: { until: prompt-end, maxMs: 6000 }
        - wait: 1500
        - hangup
    expect: &expect
      prompts: [测试机器人]
      actions:
        - { action: play, media: 请问您愿意推荐吗 }
        - { action: hangup }
      hangup_by: platform
      callback_latency_ms: { max: 1000 }
  - name: wrong branch
    callee: *yes
    callback: ${botUrl}/wrong-branch
    expect:
      actions:
        - { action: play, media: 请问您愿意推荐吗 }
  - name: missing hangup
    callee: *yes
    callback: ${botUrl}/no-hangup
    expect:
      actions:
        - { action: play }
        - { action: hangup }
      hangup_by: platform
  - name: slow callback
    callee: *yes
    callback: { url: "${botUrl}/slow", timeoutMs: 5000 }
    expect:
      callback_latency_ms: { max: 1000 }
`;

before(async () => {
  bot.listen(0, '127.0.0.1');
  await once(bot, 'listening');
  botUrl = `http://127.0.0.1:${(bot.address() as AddressInfo).port}`;
});
after(async () => {
  await stopAll();
  bot.closeAllConnections();
  bot.close();
  dir.remove();
});

const junitOf = (file: string) =>
  new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testcase' }).parse(
    readFileSync(file, 'utf8'),
  );

// The cases are calls that mostly wait: the four tests run at the same time.
describe('smartcall test', { concurrency: true }, () => {
  test('the example suite passes against the demo bot (exit 0, a JUnit report without failures)', async () => {
    const junit = join(dir.path, 'demo.xml');
    const r = await smartcallAsync(['test', EXAMPLE, '--concurrency', '4', '--junit', junit], {
      killAfterMs: 90_000,
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /8 passed, 0 failed of 8/);
    assert.match(r.stdout, /PASS {2}barge-in stops the prompt/);
    const doc = junitOf(junit);
    const suite = doc.testsuites.testsuite;
    assert.equal(suite['@_name'], 'demo-bot');
    assert.equal(suite['@_tests'], '8');
    assert.equal(suite['@_failures'], '0');
    assert.equal(suite.testcase.length, 8);
    for (const c of suite.testcase) assert.equal(c.failure, undefined, c['@_name']);
  });

  test('a broken bot fails exactly the cases it breaks, each failure naming its cause', async () => {
    const file = join(dir.path, 'broken.yaml');
    writeFileSync(file, brokenSuite());
    const junit = join(dir.path, 'broken.xml');
    // --callback: the good case talks to the test bot (its prompt says 测试机器人), not the demo bot.
    const r = await smartcallAsync(
      ['--json', 'test', file, '--callback', `${botUrl}/good`, '--junit', junit],
      {
        killAfterMs: 90_000,
      },
    );
    assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
    const out = r.json();
    const byName = Object.fromEntries(out.cases.map((c: { name: string }) => [c.name, c]));
    assert.equal(out.passed, 1);
    assert.equal(out.failed, 3);
    assert.equal(byName['the good bot passes'].passed, true, JSON.stringify(byName['the good bot passes']));

    const wrong = byName['wrong branch'].failures;
    assert.equal(wrong.length, 1, JSON.stringify(wrong));
    assert.equal(wrong[0].expectation, 'actions[0]');
    assert.match(wrong[0].expected, /media="请问您愿意推荐吗"/);
    assert.match(wrong[0].actual, /play \$text\$ "很抱歉给您带来不便"/);

    const missing = byName['missing hangup'].failures;
    assert.deepEqual(
      missing.map((f: { expectation: string }) => f.expectation),
      ['actions[1]', 'hangup_by'],
    );
    assert.match(missing[0].actual, /play \$text\$ "再见"/);
    assert.match(missing[0].where, /^\d+\.\d\ds after play/);
    assert.match(missing[1].actual, /hung up by the callee/);
    assert.match(missing[1].where, /^\d+\.\d\ds ended/);

    const slow = byName['slow callback'].failures;
    assert.equal(slow.length, 1, JSON.stringify(slow));
    assert.equal(slow[0].expectation, 'callback_latency_ms');
    assert.match(slow[0].actual, /^1[5-9]\d\d ms \(ok\)$/);
    assert.match(slow[0].where, /callback normal, words "/);

    // Default concurrency (4): the four cases ran at the same time.
    const starts = out.cases.map((c: { startSeconds: number }) => c.startSeconds);
    assert.ok(Math.max(...starts) < 2, `starts ${starts}`);

    const suite = junitOf(junit).testsuites.testsuite;
    assert.equal(suite['@_tests'], '4');
    assert.equal(suite['@_failures'], '3');
    const failed = suite.testcase.filter((c: { failure?: unknown }) => c.failure !== undefined);
    assert.deepEqual(
      failed.map((c: { '@_name': string }) => c['@_name']),
      ['wrong branch', 'missing hangup', 'slow callback'],
    );
    assert.match(
      failed[2].failure['@_message'],
      /callback_latency_ms: expected every callback answered in at most 1000 ms/,
    );
    assert.match(failed[2].failure['#text'], /transcript:/);
  });

  test('a bad suite file is refused with its line and column, exit 1, before anything starts', () => {
    const file = join(dir.path, 'bad.yaml');
    writeFileSync(
      file,
      `cases:
  - name: one
    callee:
      steps:
        - answer
        - whisper: hello
    expect:
      hangup: platform
  - name: two
    callee: nobody-at-all
`,
    );
    const r = smartcall(['test', file]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad\.yaml:6:20: cases\[0\]\.callee\.steps\[1\]\.whisper: unknown step "whisper"/);
    assert.match(r.stderr, /bad\.yaml:8:15: cases\[0\]\.expect\.hangup: unknown key "hangup"/);
    assert.match(r.stderr, /bad\.yaml:10:13: cases\[1\]\.callee: unknown built-in persona "nobody-at-all"/);
    const missing = smartcall(['test', join(dir.path, 'nope.yaml')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.yaml: cannot read/);
    const flag = smartcall(['test', file, '--concurrency', '0']);
    assert.equal(flag.status, 1);
    assert.match(flag.stderr, /--concurrency.*must be a whole number 1-200/);
  });

  test('--endpoint runs the cases on a running smartcall with its key; --concurrency 1 runs them in turn', async () => {
    const data = join(dir.path, 'serve-data');
    const personas = join(dir.path, 'personas.yaml');
    // Only the running server knows this number: an embedded run would find nobody there (404).
    writeFileSync(
      personas,
      'personas:\n  - name: far-busy\n    number: "13912349999"\n    steps: [{ wait: 200 }, { reject: 486 }]\n',
    );
    // This lane's RTP windows (the defaults would be shared with files running in other lanes).
    const serveConfig = { rtp: lanePortRange('rtp'), phonenet: { sipPort: 0, ...laneRtpPorts('phonenet') } };
    writeFileSync(join(dir.path, 'serve.yaml'), `${JSON.stringify(serveConfig)}\n`);
    const port = await freePort();
    const server: Running = await start(
      [
        'serve',
        '--config',
        join(dir.path, 'serve.yaml'),
        '--data-dir',
        data,
        '--http-port',
        String(port),
        '--sip-port',
        '0',
        '--phonenet',
        personas,
        '--log-level',
        'warn',
      ],
      (o) => /display number:.*\n/.test(o),
    );
    const id = /AccessKeyId:\s+(\S+)/.exec(server.stdout())![1]!;
    const secret = /AccessKeySecret:\s+(\S+)/.exec(server.stdout())![1]!;
    const file = join(dir.path, 'remote.yaml');
    writeFileSync(
      file,
      `cases:
  - name: busy one
    callee: { number: "13912349999" }
    expect: { status: "200002" }
  - name: busy two
    callee: { number: "13912349999" }
    expect: { status: "200002" }
`,
    );
    const r = await smartcallAsync([
      '--data-dir',
      data,
      '--json',
      'test',
      file,
      '--endpoint',
      `127.0.0.1:${port}`,
      '--access-key-id',
      id,
      '--access-key-secret',
      secret,
      '--from',
      '057188880000',
      '--concurrency',
      '1',
    ]);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const [a, b] = r.json().cases as { startSeconds: number; seconds: number; callId: string }[];
    assert.ok(b!.startSeconds >= a!.startSeconds + a!.seconds - 0.01, `overlap: ${JSON.stringify([a, b])}`);
    assert.ok(a!.callId && b!.callId && a!.callId !== b!.callId);

    const inline = join(dir.path, 'inline.yaml');
    writeFileSync(inline, 'cases:\n  - name: x\n    callee: { steps: [answer] }\n');
    const refused = await smartcallAsync([
      '--data-dir',
      data,
      'test',
      inline,
      '--endpoint',
      `127.0.0.1:${port}`,
      '--access-key-id',
      id,
      '--access-key-secret',
      secret,
      '--from',
      '057188880000',
    ]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /case "x": an inline callee needs the embedded platform/);
    await server.stop();
  });
});
