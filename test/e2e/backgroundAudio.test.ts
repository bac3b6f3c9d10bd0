/**
 * BackgroundFileCode and BackgroundVolume through the virtual phone network (spec §3.1): the callee
 * hears the uploaded background file in the pause between two prompts, at BackgroundVolume, and
 * hears silence there when the SmartCall has no background. What the callee heard is the left
 * channel of the persona's recording.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { VoiceLibrary } from '../../src/media-library/voiceLibrary.js';
import type { PersonaCallResult } from '../../src/phonenet/personaCall.js';
import { pcmWav } from '../helpers/audio.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';
import { laneRtpPorts } from '../helpers/lanes.js';

const CALLEE = '13900000061'; // listens-only (test/fixtures/e2e/backgroundPersonas.yaml)
const BACKGROUND = 'hold-music-0001.wav';
const TONE_HZ = 1000;
const TONE_AMPLITUDE = 2000;
/** Frames of the prompts (espeak speech) are mostly louder; the background at -6 dB is ~707. */
const SPEECH_RMS = 1500;

let e2e: E2e;

before(async () => {
  e2e = await startE2e({
    phonenet: {
      sipPort: 0,
      ...laneRtpPorts('phonenet'),
      personasFiles: [join(process.cwd(), 'test/fixtures/e2e/backgroundPersonas.yaml')],
    },
  });
  // One second of a 1 kHz tone: a whole number of periods, so the loop has no seam.
  const tone = new Int16Array(8000);
  for (let i = 0; i < tone.length; i++)
    tone[i] = Math.round(TONE_AMPLITUDE * Math.sin((2 * Math.PI * TONE_HZ * i) / 8000));
  const wav = join(e2e.dataDir, 'hold.wav');
  writeFileSync(wav, pcmWav(tone));
  await new VoiceLibrary(e2e.running.store, e2e.dataDir).upload(e2e.admin.account('demo').id, wav, {
    id: BACKGROUND,
  });
  // The first silence (MuteTime) gets a second prompt, the next one a hang-up.
  e2e.callbacks.script = (cb, all) => {
    if (cb.contentType !== 'mute') return { action: 'donothing' };
    const mutes = all.filter((c) => c.callId === cb.callId && c.contentType === 'mute').length;
    return mutes === 1
      ? { action: 'play', action_code: '$again$', action_code_param: { again: '请问您还在吗' } }
      : { action: 'hangup' };
  };
});
after(() => e2e.close());

/** The left channel (what the persona heard) of its two-channel 8 kHz recording. */
function heardChannel(path: string): Int16Array {
  const bytes = readFileSync(path);
  const data = bytes.indexOf('data', 12);
  assert.ok(data > 0, 'a data chunk');
  const start = data + 8;
  const frames = Math.floor((bytes.length - start) / 4);
  const left = new Int16Array(frames);
  for (let i = 0; i < frames; i++) left[i] = bytes.readInt16LE(start + i * 4);
  return left;
}

const rms = (s: Int16Array) => Math.sqrt(s.reduce((sum, x) => sum + x * x, 0) / Math.max(1, s.length));

/** Amplitude of the TONE_HZ component (Goertzel), comparable with a sine's peak amplitude. */
function toneAmplitude(s: Int16Array): number {
  const k = (2 * Math.PI * TONE_HZ) / 8000;
  let s1 = 0;
  let s2 = 0;
  for (const x of s) {
    const s0 = x + 2 * Math.cos(k) * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - 2 * Math.cos(k) * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / s.length;
}

/**
 * The pause between the two prompts: the longest run of 20 ms frames quieter than speech between
 * the first and the last loud frame, without 200 ms at either edge.
 */
function pauseBetweenPrompts(left: Int16Array): Int16Array {
  const frame = 160;
  const loud: number[] = [];
  for (let f = 0; f * frame < left.length; f++)
    if (rms(left.subarray(f * frame, (f + 1) * frame)) > SPEECH_RMS) loud.push(f);
  let best = { from: 0, to: 0 };
  for (let i = 1; i < loud.length; i++)
    if (loud[i]! - loud[i - 1]! > best.to - best.from) best = { from: loud[i - 1]! + 1, to: loud[i]! };
  const edge = 10;
  assert.ok(
    best.to - best.from > 2 * edge + 25,
    `a pause of ${(best.to - best.from) * 20} ms between prompts`,
  );
  return left.subarray((best.from + edge) * frame, (best.to - edge) * frame);
}

async function callAndRecord(params: Record<string, string>): Promise<Int16Array> {
  const carrier = e2e.running.phonenet!.carrier;
  const earlier = carrier.recentCalls.filter((c) => c.number === CALLEE).length;
  const r = await e2e.smartCall({
    CalledNumber: CALLEE,
    VoiceCode: '$hello$',
    VoiceCodeParam: JSON.stringify({ hello: '您好，这里是快递服务' }),
    MuteTime: '2000',
    ...params,
  });
  assert.equal(r.code, 'OK', JSON.stringify(r));
  const callId = String(r.body!.CallId);
  const record = await e2e.waitForEnd(callId, 30_000);
  assert.equal(record.statusCode, '200000', String(record.statusMsg));
  // The tests run one after the other: the callee's next finished call is this one.
  const until = Date.now() + 10_000;
  let callee: PersonaCallResult | undefined;
  for (;;) {
    callee = carrier.recentCalls.filter((c) => c.number === CALLEE)[earlier];
    if (callee) break;
    assert.ok(Date.now() < until, 'the callee finished its call');
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(callee.recording, 'the callee recorded the call');
  return heardChannel(callee.recording);
}

describe('background audio heard by the callee', () => {
  test('with BackgroundFileCode the callee hears the file between the prompts, at BackgroundVolume', async () => {
    const pause = pauseBetweenPrompts(
      await callAndRecord({ BackgroundFileCode: BACKGROUND, BackgroundVolume: '-2' }),
    );
    // -2 on the Volume scale is -6 dB: half the file's amplitude (µ-law costs a few percent).
    const amplitude = toneAmplitude(pause);
    assert.ok(Math.abs(amplitude - TONE_AMPLITUDE / 2) < TONE_AMPLITUDE * 0.08, `1 kHz at ${amplitude}`);
    assert.ok(rms(pause) > 0.9 * (amplitude / Math.SQRT2), 'the background is all the callee hears there');
  });

  test('without BackgroundFileCode the callee hears silence between the prompts', async () => {
    const pause = pauseBetweenPrompts(await callAndRecord({}));
    assert.ok(rms(pause) < 30, `silence between the prompts: rms ${rms(pause)}`);
    assert.ok(toneAmplitude(pause) < 10);
  });
});
