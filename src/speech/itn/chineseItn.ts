/**
 * Chinese inverse text normalisation: spoken numbers in recognised text become digits.
 *
 * - a run without units is read digit by digit, as phone numbers and codes are spoken:
 *   一三八零零 → 13800, 幺零零八六 → 10086, 二零二四 → 2024;
 * - a run with units is a value: 二十三 → 23, 一百零五 → 105, 两千零二十四 → 2024, 三万五千 → 35000,
 *   and the spoken short forms 一百五 → 150, 三千二 → 3200, 两万三 → 23000;
 * - 点 between numbers is a decimal point (三点一四 → 3.14), 百分之 a percentage (百分之五十 → 50%).
 *
 * A lone numeral stays as it is (一下, 一样, 十分, 第一, 三个): in running speech a single character is
 * far more often a word than a number, and a wrong digit is worse than a missing one. A run that is
 * not a well-formed number (十百, 五五百) is left as spoken too.
 */

const DIGITS: Readonly<Record<string, number>> = {
  零: 0,
  〇: 0,
  一: 1,
  幺: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};
const SMALL_UNITS: Readonly<Record<string, number>> = { 十: 10, 百: 100, 千: 1000 };
const BIG_UNITS: Readonly<Record<string, number>> = { 万: 1e4, 亿: 1e8 };

const NUMERAL = '零〇一幺二两三四五六七八九十百千万亿';
const FRACTION_DIGIT = '零〇一二三四五六七八九';
const NUMBER = new RegExp(`(百分之)?([${NUMERAL}]+)(?:点([${FRACTION_DIGIT}]+))?`, 'g');

/** Rewrites every spoken number in `text` that reads unambiguously as one (see the file comment). */
export function chineseItn(text: string): string {
  return text.replace(NUMBER, (match, percent: string | undefined, int: string, fraction?: string) => {
    const whole = integerPart(int, fraction !== undefined || percent !== undefined);
    if (whole === undefined) return match;
    const digits = fraction === undefined ? whole : `${whole}.${readDigits(fraction)}`;
    return percent ? `${digits}%` : digits;
  });
}

/** The integer as digits, or undefined when it stays as spoken. */
function integerPart(run: string, standsAlone: boolean): string | undefined {
  if (run.length === 1 && !standsAlone) return undefined;
  const hasUnit = [...run].some((c) => c in SMALL_UNITS || c in BIG_UNITS);
  if (!hasUnit) return run.includes('两') ? undefined : readDigits(run);
  const value = readValue(run);
  return value === undefined ? undefined : String(value);
}

function readDigits(run: string): string {
  let out = '';
  for (const c of run) out += String(DIGITS[c]);
  return out;
}

/** A value with units (二十三, 一百零五, 三万五千, 一百五); undefined when not well formed. */
function readValue(run: string): number | undefined {
  if (run.includes('幺')) return undefined; // 幺 is "one" only in digit strings
  let total = 0; // from the 万/亿 sections already closed
  let section = 0; // below 万
  let digit: number | undefined; // a digit waiting for its unit
  let lastSmall = Number.POSITIVE_INFINITY; // the last 十/百/千 of this section
  let lastBig = Number.POSITIVE_INFINITY;
  let afterZero = false;
  for (const c of run) {
    if (c in DIGITS) {
      if (digit !== undefined) return undefined; // two digits in a row
      if (DIGITS[c] === 0) {
        if (afterZero || section + total === 0) return undefined;
        afterZero = true;
      } else digit = DIGITS[c];
    } else if (c in SMALL_UNITS) {
      const unit = SMALL_UNITS[c]!;
      if (unit >= lastSmall) return undefined;
      // 十 alone means 一十 at the start of a section (十五, 一万十五); other units need a digit.
      if (digit === undefined && !(unit === 10 && section === 0)) return undefined;
      section += (digit ?? 1) * unit;
      digit = undefined;
      lastSmall = unit;
      afterZero = false;
    } else {
      const unit = BIG_UNITS[c]!;
      if (unit >= lastBig) return undefined;
      section += digit ?? 0;
      digit = undefined;
      if (section === 0) return undefined;
      total = unit === 1e8 ? (total + section) * unit : total + section * unit;
      section = 0;
      lastSmall = Number.POSITIVE_INFINITY;
      lastBig = unit;
      afterZero = false;
    }
  }
  if (digit !== undefined) {
    // 一百五 = 150, 三千二 = 3200, 两万三 = 23000: a last digit straight after 百/千/万/亿 counts in
    // the next unit down. After 十 or 零 it is the ones digit.
    const before = [...run].at(-2) ?? '';
    const unit = SMALL_UNITS[before] ?? BIG_UNITS[before];
    section += unit !== undefined && unit > 10 ? digit * (unit / 10) : digit;
  }
  return total + section;
}
