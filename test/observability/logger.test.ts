/**
 * The two faces of a log line: JSON for collectors, pretty for a person at a terminal (chosen by
 * `auto` when the destination is one), the CallId leading a call's pretty lines, secrets redacted.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger, type LogFormat } from '../../src/observability/logger.js';

/** Logs through `createLogger` into a stream (a terminal when `tty`), returns what was written. */
function written(
  format: LogFormat | undefined,
  tty: boolean,
  log: (l: ReturnType<typeof createLogger>) => void,
) {
  const out = new PassThrough();
  if (tty) Object.assign(out, { isTTY: true });
  const chunks: string[] = [];
  out.on('data', (b: Buffer) => chunks.push(b.toString('utf8')));
  log(createLogger({ destination: out, ...(format && { format }) }));
  return chunks.join('');
}

const aCall = (l: ReturnType<typeof createLogger>) =>
  l
    .child({ callId: '116012854210^102814279210' })
    .child({ component: 'media' })
    .info({ localPort: 31000 }, 'rtp latched');

test('json: one object a line, with the CallId as a field', () => {
  const text = written('json', false, aCall);
  const line = JSON.parse(text.trim()) as Record<string, unknown>;
  assert.equal(line.callId, '116012854210^102814279210');
  assert.equal(line.msg, 'rtp latched');
  assert.equal(line.level, 30);
});

test('pretty: time, level, [CallId] (component) message, then the other fields, on one line', () => {
  const text = written('pretty', false, aCall);
  assert.match(
    text,
    /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[116012854210\^102814279210\] \(media\) rtp latched \{"localPort":31000\}\n$/,
  );
  assert.doesNotMatch(text, /\u001b\[/, 'no colours off a terminal');
});

test('auto: pretty (in colour) on a terminal, JSON anywhere else', () => {
  const onTty = written('auto', true, aCall);
  assert.match(onTty, /INFO.*rtp latched/);
  assert.match(onTty, /\u001b\[/, 'coloured on a terminal');
  assert.throws(() => JSON.parse(onTty));
  const piped = written(undefined, false, aCall);
  assert.equal((JSON.parse(piped) as { msg: string }).msg, 'rtp latched');
  assert.equal((JSON.parse(written('json', true, aCall)) as { msg: string }).msg, 'rtp latched', 'json wins');
});

test('secrets are redacted in both faces, the metrics token too', () => {
  for (const format of ['json', 'pretty'] as const) {
    const text = written(format, false, (l) =>
      l.info(
        { token: 'scrape-me-5e1f9a7c2b', metrics: { token: 'scrape-me-5e1f9a7c2b' }, secret: 's3' },
        'x',
      ),
    );
    assert.doesNotMatch(text, /scrape-me|s3"/, text);
    assert.match(text, /\[redacted\]/);
  }
});
