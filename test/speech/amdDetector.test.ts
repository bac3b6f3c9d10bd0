/**
 * The answering-machine detector on audio with known timing (the phonenet's synthetic voice and
 * tones): a short greeting then silence is a person, a long one a machine, a beep a machine at
 * once, nothing heard `unknown` at max-ms; speech alone never makes a beep.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { beepTone } from '../../src/phonenet/personaCall.js';
import { SyntheticVoice } from '../../src/phonenet/syntheticVoice.js';
import { type AmdEvent, AnsweringMachineDetector } from '../../src/speech/amdDetector.js';

const voice = new SyntheticVoice();
const silence = (ms: number) => new Int16Array(ms * 8);
function join(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A line's own hiss (about −55 dBFS): the VAD learns its noise floor from it, as on a call. */
function line(pcm: Int16Array): Int16Array {
  const out = new Int16Array(pcm.length);
  let s = 7;
  for (let i = 0; i < pcm.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.max(-32768, Math.min(32767, pcm[i]! + ((s >>> 16) % 120) - 60));
  }
  return out;
}

/** Broadband noise at about −23 dBFS: speech to the VAD, no tone. */
function noise(ms: number): Int16Array {
  const out = new Int16Array(ms * 8);
  let seed = 3;
  for (let i = 0; i < out.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    out[i] = ((seed >>> 16) % 6000) - 3000;
  }
  return out;
}

function run(clean: Int16Array, options = {}) {
  const pcm = line(clean);
  const d = new AnsweringMachineDetector({ startMs: 0, ...options });
  const events: AmdEvent[] = [];
  for (let i = 0; i + 160 <= pcm.length; i += 160) events.push(...d.push(pcm.subarray(i, i + 160), i / 8));
  return { decision: d.decision, events };
}

test('one word then silence is a person, decided 500 ms after it (a person stops and waits)', () => {
  for (const [text, v] of [
    ['喂？', 'xiaogang'],
    ['Hello?', 'harry'],
  ] as const) {
    const hello = voice.render(text, v);
    const { decision } = run(join(silence(500), hello, silence(3000)));
    assert.equal(decision?.result, 'human', text);
    assert.equal(decision?.reason, 'short-greeting');
    const end = 500 + hello.length / 8;
    // (the synthetic voice's last syllable decays under the VAD's threshold a little early)
    assert.ok(
      decision!.afterMs >= end + 350 && decision!.afterMs <= end + 600,
      `${text}: decided at ${decision!.afterMs} ms, the word ended at ${end} ms`,
    );
  }
});

test('a sentence then silence is a person, decided 700 ms after it: breaks between sentences are shorter', () => {
  const hello = voice.render('喂，你好，请问哪位？', 'xiaoyun');
  const { decision } = run(join(silence(500), hello, silence(3000)));
  assert.equal(decision?.result, 'human');
  const end = 500 + hello.length / 8;
  assert.ok(
    decision!.afterMs >= end + 550 && decision!.afterMs <= end + 850,
    `${decision!.afterMs} vs ${end}`,
  );
});

test('one word, a sentence break and more speech is not a person yet (a greeting starting "Hello. …")', () => {
  const { decision } = run(
    join(
      silence(300),
      voice.render('Hello.', 'emily'),
      silence(380),
      voice.render('You have reached the voicemail of Tom, please leave a message after the tone.', 'emily'),
      silence(2000),
    ),
  );
  assert.equal(decision?.result, 'machine');
});

test("a person's one-sentence answer of 2.7 s is not a machine (a machine needs 2.8 s)", () => {
  const sentence = join(
    voice.render('喂，你好，请问你是哪位啊？', 'xiaoyun'),
    silence(100),
    voice.render('喂', 'xiaoyun'),
  );
  const { decision } = run(join(silence(400), sentence, silence(3000)), { maxMs: 10_000 });
  assert.ok(decision!.greetingMs >= 2600, `the sentence lasts ${decision!.greetingMs} ms`);
  assert.equal(decision?.result, 'human');
});

test('a break in a greeting is not the silence after an answer when a weak sound splits it', () => {
  // 450 ms of break, 60 ms too faint or short to be a word (the weak start of the next one), 350 ms
  // more: no 700 ms of silence, so no person; the greeting goes on and is a machine's.
  const { decision } = run(
    join(
      silence(300),
      voice.render('您好，您拨打的用户', 'xiaoyun'),
      silence(450),
      noise(60),
      silence(350),
      voice.render('暂时无法接听，请在听到提示音后留言。', 'xiaoyun'),
      silence(2000),
    ),
    { maxMs: 10_000 },
  );
  assert.equal(decision?.result, 'machine', JSON.stringify(decision));
});

test('sounds spread thinly over seconds (clicks, a cough, a TV) are not a machine greeting', () => {
  // 140 ms of broadband noise (a click, a rustle) every 480 ms: each loud enough to be a word to
  // the detector, the breaks too short for a person's silence.
  const burst = noise(140);
  const bits: Int16Array[] = [silence(300)];
  for (let i = 0; i < 10; i++) bits.push(burst, silence(340));
  const { decision } = run(join(...bits, silence(3000)));
  assert.ok(decision!.greetingMs >= 2800, `the sounds span ${decision!.greetingMs} ms`);
  assert.notEqual(decision?.result, 'machine');
});

test('a long greeting is a machine once it has lasted 2.8 s, whatever its pauses', () => {
  const greeting = voice.render('您好，我现在不方便接听电话，请在提示音后留言，谢谢。', 'xiaoyun');
  const { decision, events } = run(join(silence(300), greeting, silence(2000)), { maxMs: 10_000 });
  assert.equal(decision?.result, 'machine');
  assert.equal(decision?.reason, 'long-greeting');
  assert.ok(decision!.afterMs <= 300 + 2800 + 200, String(decision!.afterMs));
  assert.ok(
    events.some((e) => e.type === 'greeting-end'),
    'the end of the greeting is reported after',
  );
});

test('a beep after a short greeting is a machine at once, and its end is reported', () => {
  const short = voice.render('请留言', 'xiaoyun');
  const { decision, events } = run(join(silence(300), short, beepTone(1000, 300), silence(2000)));
  assert.equal(decision?.result, 'machine');
  assert.equal(decision?.reason, 'beep');
  const beep = events.find((e) => e.type === 'beep');
  assert.ok(beep && beep.type === 'beep');
  assert.ok(Math.abs(beep.hz - 1000) <= 32, String(beep.hz));
  const beepStart = 300 + short.length / 8;
  assert.ok(Math.abs(beep.startMs - beepStart) <= 40 && Math.abs(beep.endMs - (beepStart + 300)) <= 40);
});

test('a 400 Hz and a 2000 Hz beep are heard; a 60 ms blip is not a beep', () => {
  for (const hz of [400, 2000])
    assert.equal(run(join(silence(200), beepTone(hz, 150), silence(500))).decision?.reason, 'beep');
  assert.notEqual(run(join(silence(200), beepTone(1000, 60), silence(500))).decision?.reason, 'beep');
});

test('speech in every voice makes no beep', () => {
  for (const v of ['xiaoyun', 'xiaogang', 'harry', 'emily']) {
    const { events } = run(
      join(
        voice.render('Hello, this is Mary. 您好，请问您是哪位？我们想确认一下您的信息。', v),
        silence(200),
      ),
      { maxMs: 60_000 },
    );
    assert.ok(!events.some((e) => e.type === 'beep'), v);
  }
});

test('nothing heard is unknown at max-ms, also without frames (timeout)', () => {
  const { decision } = run(silence(3000), { maxMs: 2000 });
  assert.deepEqual(decision, { result: 'unknown', reason: 'silence', afterMs: 2000, greetingMs: 0 });
  const d = new AnsweringMachineDetector({ startMs: 0, maxMs: 2000 });
  assert.equal(d.timeout(1500).length, 0);
  const [e] = d.timeout(2000);
  assert.equal(e?.type === 'decision' && e.decision.result, 'unknown');
});
