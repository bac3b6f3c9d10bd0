/**
 * `smartcall serve --log-format` and `--metrics-token` through the real CLI: the log lines a
 * person reads (pretty) or a collector reads (JSON, also the default when stdout is not a
 * terminal), and who may read `GET /metrics`.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseExposition } from '../helpers/exposition.js';
import { freePorts } from '../helpers/ports.js';
import { tempDir } from '../helpers/tempDir.js';
import { smartcall, start, stopAll } from './cliHarness.js';

const dir = tempDir('smartcall-observability-');
const config = join(dir.path, 'smartcall.yaml');
writeFileSync(config, 'phonenet: { sipPort: 0 }\n');
after(async () => {
  await stopAll();
  dir.remove();
});

let runs = 0;
/** `serve` on a free API port with `extra` flags; resolves once `ready` holds. */
async function serve(extra: string[], ready: (out: string) => boolean, env?: NodeJS.ProcessEnv) {
  const [httpPort] = await freePorts(1);
  const args = ['serve', '--config', config, '--data-dir', join(dir.path, `run-${++runs}`)];
  args.push('--http-port', String(httpPort), '--sip-port', '0', ...extra);
  const server = await start(args, ready, { cwd: dir.path, ...(env && { env: { ...process.env, ...env } }) });
  return { server, base: `http://127.0.0.1:${httpPort}` };
}

const logLines = (out: string) => out.split('\n').filter((l) => /^\{|^\[\d\d:\d\d:\d\d\.\d{3}\]/.test(l));

test('--log-format pretty prints readable lines; json (and the default off a terminal) one JSON object a line', async () => {
  const pretty = await serve(['--log-format', 'pretty'], (out) => /INFO: smartcall started/.test(out));
  try {
    const lines = logLines(pretty.server.stdout());
    assert.ok(lines.length >= 2, pretty.server.output());
    assert.ok(
      lines.every((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR|DEBUG): /.test(l)),
      lines.join('\n'),
    );
    assert.match(pretty.server.stdout(), /INFO: smartcall started \{"host":"127\.0\.0\.1"/);
    assert.doesNotMatch(pretty.server.stdout(), /\u001b\[/, 'no colours when stdout is not a terminal');
  } finally {
    assert.equal(await pretty.server.stop(), 0);
  }

  for (const flags of [['--log-format', 'json'], []]) {
    const json = await serve(flags, (out) => /"msg":"smartcall started"/.test(out));
    try {
      const lines = logLines(json.server.stdout());
      assert.ok(lines.length >= 2);
      for (const l of lines) {
        const o = JSON.parse(l) as { level: number; time: string; msg: string };
        assert.equal(typeof o.level, 'number', l);
        assert.equal(typeof o.msg, 'string', l);
      }
    } finally {
      assert.equal(await json.server.stop(), 0);
    }
  }
});

test('SMARTCALL_LOG_FORMAT=pretty does what the flag does; a bad format is refused with the setting named', async () => {
  const env = await serve([], (out) => /INFO: smartcall started/.test(out), {
    SMARTCALL_LOG_FORMAT: 'pretty',
  });
  assert.equal(await env.server.stop(), 0);

  const r = smartcall(
    ['serve', '--config', config, '--data-dir', join(dir.path, 'bad'), '--log-format', 'xml'],
    { cwd: dir.path },
  );
  assert.equal(r.status, 1);
  assert.match(r.stderr, /log\.format/);
  assert.match(r.stderr, /pretty/);
});

test('GET /metrics is open on loopback; with --metrics-token it asks for the bearer token', async () => {
  const open = await serve([], (out) => /"msg":"smartcall started"/.test(out));
  try {
    const res = await fetch(`${open.base}/metrics`);
    assert.equal(res.status, 200);
    const text = parseExposition(await res.text());
    assert.equal(text.types.get('smartcall_turn_speech_end_to_callback_seconds'), 'histogram');
    assert.equal(
      text.value('smartcall_trunk_cps_limit', { trunk: 'phonenet' }),
      50,
      'a trunk before its first call',
    );
    assert.equal(text.value('smartcall_trunk_call_attempts_total', { trunk: 'phonenet' }), 0);
  } finally {
    await open.server.stop();
  }

  const token = 'scrape-me-5e1f9a7c2b';
  const guarded = await serve(['--metrics-token', token], (out) => /"msg":"smartcall started"/.test(out));
  try {
    const none = await fetch(`${guarded.base}/metrics`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.match(await none.text(), /Authorization: Bearer/);
    const wrong = await fetch(`${guarded.base}/metrics`, {
      headers: { authorization: 'Bearer not-the-token-at-all' },
    });
    assert.equal(wrong.status, 401);
    const right = await fetch(`${guarded.base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(right.status, 200);
    assert.ok(parseExposition(await right.text()).types.has('smartcall_calls_ended_total'));
    assert.doesNotMatch(guarded.server.output(), new RegExp(token), 'the token is never logged');
  } finally {
    await guarded.server.stop();
  }

  const short = smartcall(
    ['serve', '--config', config, '--data-dir', join(dir.path, 'short'), '--metrics-token', 'short'],
    { cwd: dir.path },
  );
  assert.equal(short.status, 1);
  assert.match(short.stderr, /metrics\.token: the metrics token must have at least 16 characters/);
});
