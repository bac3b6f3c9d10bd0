/**
 * EnableITN (spec §3.1 row 26): spoken numbers in recognised words become digits, Chinese and
 * English; a lone numeral that is more often a word stays a word; text without numbers is unchanged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inverseTextNormalize } from '../../src/speech/itn/itn.js';

const cases = (pairs: [string, string][]) => {
  for (const [spoken, written] of pairs) assert.equal(inverseTextNormalize(spoken), written, spoken);
};

test('Chinese digit strings read digit by digit, as phone numbers are spoken', () => {
  cases([
    ['一三八零零', '13800'],
    ['我的电话是一三八零零一二三四五六七', '我的电话是138001234567'],
    ['幺零零八六', '10086'],
    ['二零二四年', '2024年'],
  ]);
});

test('Chinese values with units become their number', () => {
  cases([
    ['二十三', '23'],
    ['十五', '15'],
    ['一百零五', '105'],
    ['两千零二十四', '2024'],
    ['三万五千', '35000'],
    ['一千万', '10000000'],
    ['一亿二千万', '120000000'],
    ['我要二十三个', '我要23个'],
  ]);
});

test('Chinese short forms, decimals and percentages', () => {
  cases([
    ['一百五', '150'],
    ['三千二', '3200'],
    ['两万三', '23000'],
    ['三点一四', '3.14'],
    ['零点五', '0.5'],
    ['百分之五十', '50%'],
    ['十一点见', '11点见'],
  ]);
});

test('a lone Chinese numeral and malformed runs stay as spoken', () => {
  cases([
    ['等一下', '等一下'],
    ['一样', '一样'],
    ['十分感谢', '十分感谢'],
    ['第一', '第一'],
    ['三个', '三个'],
    ['万一', '万一'],
    ['十百', '十百'],
    ['五五百', '五五百'],
    ['你好', '你好'],
  ]);
});

test('English digit words in a row are written one after the other', () => {
  cases([
    ['one two three', '123'],
    ['My number is one three eight, thanks', 'My number is 138, thanks'],
    ['nineteen eighty four', '1984'],
    ['twenty twenty four', '2024'],
    ['one zero zero eight six', '10086'],
  ]);
});

test('English values become their number', () => {
  cases([
    ['twenty three', '23'],
    ['Twenty-three', '23'],
    ['one hundred and five', '105'],
    ['a hundred', '100'],
    ['two thousand twenty four', '2024'],
    ['two hundred thousand', '200000'],
    ['I have two hundred and fifty dollars and one cat', 'I have 250 dollars and one cat'],
  ]);
});

test('a lone English digit word and words containing one stay as spoken', () => {
  cases([
    ['someone called', 'someone called'],
    ['one of them', 'one of them'],
    ['hundred', 'hundred'],
    ['digits 123 stay', 'digits 123 stay'],
  ]);
});
