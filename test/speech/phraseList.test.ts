import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileGrammar } from '../../src/speech/phrase/phraseGrammar.js';
import { PhraseListError, parsePhraseList } from '../../src/speech/phrase/phraseList.js';
import { syllableToArpabet } from '../../src/speech/phrase/pinyinArpabet.js';

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
    assert.equal(syllableToArpabet('hello'), null);
  });

  test('the grammar maps each phrase’s word sequence back to its text, first one winning', () => {
    const g = compileGrammar(parsePhraseList('是的\n是得\nyes'));
    assert.equal(g.phrases['shi_zh de_zh'], '是的');
    assert.equal(g.phrases.yes, 'yes');
    assert.match(g.jsgf, /public <phrase> = shi_zh de_zh \| yes;/);
    assert.equal(g.key.length, 32);
  });
});
