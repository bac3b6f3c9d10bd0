/**
 * Issue 11 item 8 end to end: a virtual callee says something off the built-in phrase list. By
 * default the business gets a `normal` callback with empty `words` (every utterance is a turn); an
 * account set with `--unrecognized silent` gets none, and its `mute` comes MuteTime after the
 * callee stopped speaking (the rejected utterance is speech all the same).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';
import { laneRtpPorts } from '../helpers/lanes.js';

let e2e: E2e;
const OFF_THE_LIST = '13900000041';

/** Places a call to the off-the-list callee; the business hangs up at its first callback. */
async function call(muteTime: number) {
  const r = await e2e.smartCall({
    CalledNumber: OFF_THE_LIST,
    VoiceCode: '$t$',
    VoiceCodeParam: JSON.stringify({ t: '您好，这里是客服中心。' }),
    MuteTime: String(muteTime),
    DynamicId: 'ask',
  });
  assert.equal(r.code, 'OK', JSON.stringify(r));
  const callId = String(r.body!.CallId);
  const heard: { at: number; words: string | undefined; endAt: number }[] = [];
  const onHeard = (e: { callId: string; at: number; words: string | undefined; endAt: number }) => {
    if (e.callId === callId) heard.push(e);
  };
  e2e.running.events.on('heard', onHeard);
  try {
    const record = await e2e.waitForEnd(callId, 60_000);
    return { record, heard, callbacks: e2e.callbacks.forCall(callId) };
  } finally {
    e2e.running.events.off('heard', onHeard);
  }
}

describe('speech off the phrase list', () => {
  before(async () => {
    e2e = await startE2e({
      phonenet: {
        sipPort: 0,
        ...laneRtpPorts('phonenet'),
        personasFiles: [join(process.cwd(), 'test/fixtures/e2e/unrecognized.yaml')],
      },
    });
    e2e.callbacks.script = () => ({ action: 'hangup' });
  });
  after(() => e2e.close());

  test('reaches the business as a normal callback with empty words', async () => {
    const { record, heard, callbacks } = await call(10_000);
    assert.deepEqual(
      heard.map((h) => h.words),
      [undefined],
      'the recognizer rejected the sentence',
    );
    assert.deepEqual(
      callbacks.map((c) => c.contentType),
      ['normal'],
    );
    const c = callbacks[0]!.content;
    assert.equal(c.words, '');
    assert.equal(c.is_playing, false);
    assert.equal(c.current_media_code, '', 'nothing plays when the sentence ends');
    assert.equal(c.dynamic_id, 'ask');
    assert.ok(Number(c.end_offset) > Number(c.begin_offset), JSON.stringify(c));
    assert.equal(record.statusCode, '200000');
    assert.equal(record.hangupDirection, '机器', 'the business hung up on it');
  });

  test('with --unrecognized silent the business hears nothing of it: mute comes MuteTime after it', async () => {
    e2e.admin.setCallback('demo', { unrecognized: 'silent' });
    try {
      const { heard, callbacks } = await call(4000);
      assert.deepEqual(
        heard.map((h) => h.words),
        [undefined],
      );
      assert.deepEqual(
        callbacks.map((c) => c.contentType),
        ['mute'],
      );
      const quiet = callbacks[0]!.timestamp - heard[0]!.at;
      assert.ok(quiet >= 3900 && quiet < 6000, `mute ${quiet} ms after the sentence ended`);
    } finally {
      e2e.admin.setCallback('demo', { unrecognized: 'callback' });
    }
  });
});
