import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { readWavFile } from '../../src/media/wavReader.js';
import { competitorWords } from '../../src/speech/phrase/competitors.js';
import { PhraseDecoderPool } from '../../src/speech/phrase/phraseDecoderPool.js';
import { compileGrammar } from '../../src/speech/phrase/phraseGrammar.js';
import { parsePhraseList } from '../../src/speech/phrase/phraseList.js';
import { PhraseRecognizer } from '../../src/speech/phrase/phraseRecognizer.js';
import { telephone } from './speechFixtures.js';

describe('phrase grammar competitors', () => {
  test('a common word that sounds like a phrase is no competitor of it', () => {
    const spellings = (list: string) => competitorWords(parsePhraseList(list)).map(([, s]) => s);
    assert.ok(spellings('yes\nno').includes('N AH M B ER'), '"number" competes with yes/no');
    assert.ok(!spellings('numbers\nyes').includes('N AH M B ER'), '"number" is one phone from "numbers"');
  });

  test('the grammar offers the competitor loop beside the phrases', () => {
    const g = compileGrammar(parsePhraseList('yes\nno'));
    assert.match(g.jsgf, /<competitor>\+/);
    assert.ok(g.words.some(([w]) => w.startsWith('__g')));
    assert.deepEqual(Object.values(g.phrases), ['yes', 'no']);
  });
});

/**
 * Real human speech (Debian's asterisk-core-sounds-en-wav): single off-list words against a list
 * of single words were accepted with high posteriors ("hello" → "tango", "sorry" → "whiskey")
 * before the competitor loop; the list's own words must still be heard.
 */
const ASTERISK = ['/usr/share/asterisk/sounds/en', '/usr/share/asterisk/sounds/en_US_f_Allison'].find((d) =>
  existsSync(`${d}/phonetic/t_p.wav`),
);
const NATO =
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey x-ray yankee zulu';

describe('phrase recognizer on human speech off a word list', {
  skip: ASTERISK ? false : 'apt-get install asterisk-core-sounds-en-wav',
}, () => {
  let pool: PhraseDecoderPool;
  let recognizer: PhraseRecognizer;
  const load = async (file: string) => telephone((await readWavFile(`${ASTERISK}/${file}.wav`)).samples);
  before(async () => {
    pool = new PhraseDecoderPool();
    await pool.ready();
    const numbers =
      'zero one two three four five six seven eight nine ten twenty thirty forty fifty sixty seventy eighty ninety';
    recognizer = new PhraseRecognizer(
      'asterisk',
      [...numbers.split(' '), ...NATO.split(' ')].join('\n'),
      pool,
    );
    await recognizer.ready();
  });
  after(async () => {
    await pool.close();
  });

  for (const file of ['hello', 'sorry', 'cancelled']) {
    test(`rejects "${file}"`, async () => {
      const d = await recognizer.decide(await load(file));
      assert.equal(d.text, null, `heard as ${d.text} (${d.by}, posterior ${d.posterior.toFixed(2)})`);
    });
  }

  for (const [file, text] of [
    ['phonetic/t_p', 'tango'],
    ['phonetic/w_p', 'whiskey'],
    ['phonetic/h_p', 'hotel'],
    ['digits/4', 'four'],
    ['digits/9', 'nine'],
    ['digits/7', 'seven'],
  ] as const) {
    test(`hears "${text}"`, async () => {
      const d = await recognizer.decide(await load(file));
      assert.equal(d.text, text, `by ${d.by}`);
    });
  }
});
