import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { outsideSpeechFraction, trimSilence, withNoiseFloor } from '../../src/speech/phrase/energyTrim.js';
import { compileGrammar, phraseWordOf } from '../../src/speech/phrase/phraseGrammar.js';
import { PhraseListError, parsePhraseList } from '../../src/speech/phrase/phraseList.js';
import { syllableToArpabet, syllableVariants } from '../../src/speech/phrase/pinyinArpabet.js';

describe('phrase lists', () => {
  test('Mandarin phrases are spelled syllable by syllable from pinyin', () => {
    const [p] = parsePhraseList('我现在没空');
    assert.deepEqual(
      p!.units.map((u) => u.name),
      ['wo_zh', 'xian_zh', 'zai_zh', 'mei_zh', 'kong_zh'],
    );
    assert.equal(p!.units[1]!.phones, 'S Y EH N');
  });

  test('a pronunciation after the tab overrides pinyin-pro’s reading', () => {
    const [p] = parsePhraseList('我已经还款了\two3 yi3 jing1 huan2 kuan3 le');
    assert.equal(p!.units[3]!.name, 'huan_zh');
  });

  test('English phrases use the dictionary and ARPAbet overrides', () => {
    const [a, b] = parsePhraseList('please call me later\nZhang San\tJH AA NG S AA N');
    assert.deepEqual(
      a!.units.map((u) => u.name),
      ['please', 'call', 'me', 'later'],
    );
    assert.equal(b!.units[0]!.phones, 'JH AA NG S AA N');
  });

  test('blank lines and comments are skipped', () => {
    assert.equal(parsePhraseList('# answers\n\nyes\n  \nno\n').length, 2);
  });

  test('a bad line is refused with its line number', () => {
    assert.throws(
      () => parsePhraseList('yes\nno\nflurbix'),
      (e: unknown) => {
        assert.ok(e instanceof PhraseListError);
        assert.equal(e.line, 3);
        assert.match(e.message, /line 3: "flurbix" is not in the dictionary/);
        return true;
      },
    );
    assert.throws(() => parsePhraseList('好的\tqqq'), /line 1: "qqq" is not a pinyin syllable/);
    assert.throws(() => parsePhraseList('ok\tXX YY'), /line 1: unknown ARPAbet phone "XX"/);
    assert.throws(() => parsePhraseList('\tHH AY'), /line 1: the phrase before the tab is empty/);
    assert.throws(() => parsePhraseList('\n\n'), /no phrases/);
  });

  test('pinyin covers ü, zero initials and retroflex vowels', () => {
    assert.equal(syllableToArpabet('lv'), 'L Y UW');
    assert.equal(syllableToArpabet('xue'), 'S Y UW EH');
    assert.equal(syllableToArpabet('yi'), 'IY');
    assert.equal(syllableToArpabet('wu'), 'UW');
    assert.equal(syllableToArpabet('shi4'), 'SH IH');
    assert.equal(syllableToArpabet('zi'), 'T S IH');
    assert.equal(syllableToArpabet('ye'), 'Y EH');
    assert.equal(syllableToArpabet('yan'), 'Y EH N');
    assert.equal(syllableToArpabet('hello'), null);
  });

  test('sounds English phones straddle get variant spellings, the primary first', () => {
    assert.deepEqual(syllableVariants('shi'), ['SH IH', 'SH IY', 'S IH', 'S IY']);
    assert.deepEqual(syllableVariants('chuo'), ['CH W AO', 'CH W OW', 'T S W AO', 'T S W OW']);
    assert.deepEqual(syllableVariants('hao'), ['HH AW']);
    const [p] = parsePhraseList('是的');
    assert.deepEqual(p!.units[0]!.variants, ['SH IH', 'SH IY', 'S IH', 'S IY']);
    assert.deepEqual(p!.units[1]!.variants, ['D AH']);
  });

  test("English words may be said with a tense IY for the dictionary's IH, one vowel at a time", () => {
    const [kilo, sixteen, yes, spelled] = parsePhraseList('kilo\nsixteen\nyes\nZhang San\tJH IH NG');
    assert.deepEqual(kilo!.units[0]!.variants, ['K IH L OW', 'K IY L OW']);
    // IY is not reduced to IH ("extension" was then heard as a lax "sixteen").
    assert.deepEqual(sixteen!.units[0]!.variants, ['S IH K S T IY N', 'S IY K S T IY N']);
    assert.deepEqual(yes!.units[0]!.variants, ['Y EH S']);
    assert.deepEqual(spelled!.units[0]!.variants, ['JH IH NG'], 'a given pronunciation is taken as is');
    const g = compileGrammar(parsePhraseList('kilo\nyes'));
    assert.deepEqual(
      g.words.filter(([w]) => w.startsWith('__p0')),
      [
        ['__p0', 'K IH L OW'],
        ['__p0(2)', 'K IY L OW'],
      ],
    );
  });

  test('each phrase is one decoder word with its spellings as alternative pronunciations', () => {
    const g = compileGrammar(parsePhraseList('是的\nyes'));
    assert.deepEqual(g.phrases, { __p0: '是的', __p1: 'yes' });
    assert.deepEqual(g.words.slice(0, 4), [
      ['__p0', 'SH IH D AH'],
      ['__p0(2)', 'SH IY D AH'],
      ['__p0(3)', 'S IH D AH'],
      ['__p0(4)', 'S IY D AH'],
    ]);
    assert.equal(g.phoneCounts.__p0, 4);
    assert.match(g.jsgf, /public <phrase> = \/1\/ __p0 \| \/1\/ __p1 \| \/0\.000001\/ <competitor>\+;/);
    assert.match(compileGrammar(parsePhraseList('yes'), { competitorWeight: 0 }).jsgf, /= __p0;/);
    assert.equal(g.key.length, 32);
    assert.equal(phraseWordOf('<sil> __p0(3) <sil>'), '__p0');
    assert.equal(phraseWordOf('<sil>'), '');
    assert.equal(phraseWordOf('<sil> __g3 __g12 <sil>'), '', 'the competitor loop names no phrase');
  });

  test('homophones: the first phrase listed wins, and no variant hides another phrase', () => {
    const g = compileGrammar(parsePhraseList('ok\nokay\n十\n四\n是得\n是的'));
    assert.deepEqual(Object.values(g.phrases), ['ok', '十', '四', '是得']);
    // 十 (shi) may also sound like "si", but 四 is on the list: that variant is dropped.
    const shi = g.words.filter(([w]) => w.startsWith('__p2')).map(([, p]) => p);
    assert.deepEqual(shi, ['SH IH', 'SH IY', 'S IY']);
  });
});

describe('phrase decoder signal helpers', () => {
  test('speech outside the phrase is measured above the noise floor, not against silence', () => {
    // 100 frames: noise at 40 dB, speech at 80 dB in frames 20–79.
    const levels = Float64Array.from({ length: 100 }, (_, f) => (f >= 20 && f < 80 ? 80 : 40));
    assert.equal(outsideSpeechFraction(levels, 20, 80), 0);
    assert.equal(outsideSpeechFraction(levels, 20, 50), 0.5);
    assert.equal(outsideSpeechFraction(levels, 0, 100), 0);
    assert.equal(outsideSpeechFraction(new Float64Array(0), 0, 0), 1);
  });

  test('trimming keeps a margin, and the noise floor is deterministic', () => {
    const pcm = new Int16Array(8000);
    for (let i = 3200; i < 4800; i++) pcm[i] = i % 2 ? 8000 : -8000;
    const trimmed = trimSilence(pcm, 35, 40);
    assert.equal(trimmed.length, 1600 + 2 * 320);
    const a = withNoiseFloor(trimmed);
    const b = withNoiseFloor(trimmed);
    assert.deepEqual(a, b);
    assert.ok(a.some((x, i) => x !== trimmed[i]! / 32768));
    assert.ok(a.every((x, i) => Math.abs(x - trimmed[i]! / 32768) <= 1 / 32768));
  });
});
