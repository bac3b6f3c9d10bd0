/**
 * How the phrase recognizer weighs its two parts (issue 13 item 3): the templates (espeak voices)
 * and the decoder (everyone else). Regression cases found on the development data: off-list
 * answers the templates or the decoder took alone, and human words the duration bar refused.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { readWavFile } from '../../src/media/wavReader.js';
import { EspeakTts } from '../../src/speech/espeak/espeakTts.js';
import { CUSTOMER_SERVICE_PHRASES } from '../../src/speech/phrase/builtinPhrases.js';
import { PhraseDecoderPool } from '../../src/speech/phrase/phraseDecoderPool.js';
import { type PhraseDecision, PhraseRecognizer } from '../../src/speech/phrase/phraseRecognizer.js';
import { energySpan, mixAtSnr, pinkNoise, speak, telephone } from './speechFixtures.js';

const why = (r: PhraseRecognizer, d: PhraseDecision) =>
  `heard as ${d.text} (${d.by}; decoder ${r.grammar.phrases[d.sequence] ?? (d.hypothesis || '-')} posterior ${d.posterior.toFixed(2)}; template ${d.templateText} ${d.templateDistance.toFixed(1)}, runner-up ${d.templateRunnerUp.toFixed(1)}, decoder's phrase ${d.decoderTemplateDistance.toFixed(1)})`;

describe('phrase decision on the built-in list', () => {
  let tts: EspeakTts;
  let pool: PhraseDecoderPool;
  let recognizer: PhraseRecognizer;
  before(async () => {
    tts = new EspeakTts({ cacheBytes: 0 });
    pool = new PhraseDecoderPool();
    await Promise.all([tts.ready(), pool.ready()]);
    recognizer = new PhraseRecognizer('customer_service_8k', CUSTOMER_SERVICE_PHRASES, pool);
    await recognizer.ready();
  });
  after(async () => {
    await Promise.all([tts.close(), pool.close()]);
  });

  // Off-list answers: the first came within the templates' former outright bar of "i can't talk
  // right now"; the decoder alone named a phrase for the others, whose templates were far farther
  // than another phrase's.
  for (const [text, voice] of [
    ['i am cooking dinner right now', 'luna'],
    ['我要报警', 'sijia'],
    ['not today', 'olivia'],
    ['我听不懂', 'siqi'],
  ] as const) {
    test(`rejects "${text}" (${voice}), which is not on the list`, async () => {
      const pcm = telephone(await speak(tts, text, voice));
      const d = await recognizer.decide(pcm);
      assert.equal(d.text, null, why(recognizer, d));
      // A call's recognition (templates first, decoder only when needed) decides the same.
      assert.equal((await recognizer.recognize(pcm, new AbortController().signal))?.text ?? null, null);
    });
  }

  // A voice no template speaks: its answers lie farther from the templates, where the decoder's
  // agreement or a clear margin over the other phrases takes them.
  for (const text of ['不对', '别再打了', '可以的', '我已经还款了', '听不清楚']) {
    test(`hears "${text}" spoken by sijia, a voice no template speaks`, async () => {
      const pcm = telephone(await speak(tts, text, 'sijia'));
      const d = await recognizer.decide(pcm);
      assert.equal(d.text, text, why(recognizer, d));
      assert.equal((await recognizer.recognize(pcm, new AbortController().signal))?.text, text);
    });
  }

  // In noise a short answer's templates and those of a longer answer containing it nearly tie
  // (是/是的, 有/没有, no/"no thanks"): the templates alone named the longer one.
  for (const [text, voice] of [
    ['是', 'siqi'],
    ['有', 'siqi'],
    ['no', 'olivia'],
  ] as const) {
    test(`hears "${text}" (${voice}) at 10 dB SNR, not the longer answer its templates nearly tie with`, async () => {
      const clean = telephone(await speak(tts, text, voice));
      const [a, b] = energySpan(clean);
      const pcm = mixAtSnr(clean, pinkNoise(clean.length, 5), 10, new Uint8Array(clean.length).fill(1, a, b));
      const d = await recognizer.decide(pcm);
      assert.equal(d.text, text, why(recognizer, d));
      assert.equal((await recognizer.recognize(pcm, new AbortController().signal))?.text, text);
    });
  }
});

const ASTERISK = ['/usr/share/asterisk/sounds/en', '/usr/share/asterisk/sounds/en_US_f_Allison'].find((d) =>
  existsSync(`${d}/digits/8.wav`),
);

describe('phrase decision on human speech (asterisk-core-sounds-en-wav)', {
  skip: ASTERISK ? false : 'apt-get install asterisk-core-sounds-en-wav',
}, () => {
  let pool: PhraseDecoderPool;
  let recognizer: PhraseRecognizer;
  const load = async (file: string) => telephone((await readWavFile(`${ASTERISK}/${file}.wav`)).samples);
  before(async () => {
    pool = new PhraseDecoderPool();
    await pool.ready();
    // The bench's human list (bench/speechBench.ts): number words and the phonetic alphabet.
    const words =
      'zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey x-ray yankee zulu';
    recognizer = new PhraseRecognizer('asterisk', words.split(' ').join('\n'), pool);
    await recognizer.ready();
  });
  after(async () => {
    await pool.close();
  });

  // Said on their own, "two" (570 ms) and "eight" (530 ms) are drawn out past 26 frames per phone.
  for (const [file, text] of [
    ['digits/2', 'two'],
    ['digits/8', 'eight'],
  ] as const) {
    test(`hears a drawn-out "${text}"`, async () => {
      const d = await recognizer.decide(await load(file));
      assert.equal(d.text, text, why(recognizer, d));
    });
  }

  // The dictionary spells it K IH L OW; this speaker (like many) says K IY L OW.
  test('hears "kilo" said with a tense vowel', async () => {
    const d = await recognizer.decide(await load('phonetic/k_p'));
    assert.equal(d.text, 'kilo', why(recognizer, d));
  });

  // Off-list, and close to "sixteen" said with a lax final vowel (a variant rule left out).
  test('rejects "extension"', async () => {
    const d = await recognizer.decide(await load('extension'));
    assert.equal(d.text, null, why(recognizer, d));
  });

  test('"kilo" is not heard as "uniform", whose templates are far farther than kilo\'s', async () => {
    const d = await recognizer.decide(await load('phonetic/k_p'));
    assert.notEqual(d.text, 'uniform', why(recognizer, d));
  });

  // The competitor loop's "find" (F AY N D) takes this "five"; decoded again with the phrases alone
  // it is "five", which is also the templates' closest phrase: the two agree, so it is heard. In a
  // call too, where the template comparison is first limited to the template bands.
  test('hears "five" when the competitor loop wins but the phrases alone and the templates agree', async () => {
    const audio = await load('digits/5');
    const d = await recognizer.decide(audio);
    assert.equal(d.text, 'five', why(recognizer, d));
    assert.equal(d.by, 'rescue');
    const heard = await recognizer.recognize(audio, new AbortController().signal);
    assert.equal(heard?.text, 'five');
  });

  // The agreement must be exact: the phrases alone hear these as "eighteen" (its templates 1.5
  // farther than the closest, "ten") and "fifteen" (0.6 farther than "quebec").
  for (const [file, wrong] of [
    ['digits/80', 'eighteen'],
    ['please-try-again', 'fifteen'],
  ] as const) {
    test(`"${file}" is not heard as "${wrong}", which the phrases alone name but the templates do not`, async () => {
      const d = await recognizer.decide(await load(file));
      assert.notEqual(d.text, wrong, why(recognizer, d));
      if (file === 'please-try-again') assert.equal(d.text, null, why(recognizer, d));
    });
  }
});
