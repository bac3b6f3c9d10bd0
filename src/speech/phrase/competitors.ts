/**
 * Competitor words for the phrase grammar: common English words and Mandarin syllables that an
 * utterance off the list can be matched by instead of a phrase. The grammar offers a loop of them
 * beside the phrases (phraseGrammar.ts); when the decoder's best path goes through the loop, the
 * utterance is rejected. Without it the decoder must name *some* phrase, and a single off-list word
 * against a list of single words ("hello" against the phonetic alphabet) gets a high posterior.
 *
 * The English words are Fry's 200 most frequent words (a standard list, not chosen from any
 * test set); the Mandarin syllables are those of the most frequent characters.
 *
 * A competitor that sounds like a phrase would take that phrase's utterances, so every competitor
 * within {@link MIN_PHONE_DISTANCE} − 1 phone edits of a phrase's spelling or of one of its
 * words/syllables is left out (e.g. "for" when "four" is listed, "ate" when "eight" is).
 */
import { lookupEnglish } from './acousticModel.js';
import type { Phrase } from './phraseList.js';
import { syllableToArpabet } from './pinyinArpabet.js';

/**
 * Competitors have at least this many phones: a loop of shorter words (one- to three-phone
 * syllables and function words) can spell out any short phrase and took in-list answers ("four",
 * "echo", "oscar" in the human dev half), at any loop weight.
 */
export const MIN_PHONES = 4;

/** A competitor must be at least this many phone edits from every phrase and phrase unit. */
export const MIN_PHONE_DISTANCE = 2;

const ENGLISH = `the of and to a in is you that it he was for on are as with his they i at be this have from or one
had by words but not what all were we when your can said there use an each which she do how their if
will up other about out many then them these so some her would make like him into time has look two
more write go see number no way could people my than first water been call who oil its now find long
down day did get come made may part over new sound take only little work know place years live me
back give most very after things our just name good sentence man think say great where help through
much before line right too means old any same tell boy follow came want show also around form three
small set put end does another well large must big even such because turn here why asked went men
read need land different home us move try kind hand picture again change off play spell air away
animals house point page letters mother answer found study still learn should america world`;

const PINYIN = `de shi yi bu you zai ren wo ta zhe ge men lai shang da wei he guo di dao chu yao jiu ye
shuo nian zhong sheng ke neng dui xia zi hou hui jia xue fa cheng fang qian jin yong gong mian xiang
kan dong ming tian hao zuo jian li xin dian wen ti bei qi ma ba ni na ne le me zhi ming qu wan mai
mei hen xie zhu hua gei zou pao chi he shui fan che lu jie kai guan xi zhao ying suan qing yue ri
hai zhen cong bie rang jiao gao chang suo yin bian jing tong liang duo shao kuai man zao wan ding
ban huo fei xing lao pian zhuan fu tou ting nan nv zheng shen wu san si liu ba jiu bai wan`;

/** The competitor words as dictionary entries (`__g<n>`, ARPAbet), phrases' near homophones left out. */
export function competitorWords(phrases: readonly Phrase[]): [string, string][] {
  const targets = new Set<string>();
  for (const p of phrases) {
    for (const u of p.units) for (const v of u.variants) targets.add(v);
    targets.add(p.units.map((u) => u.phones).join(' '));
  }
  const targetPhones = [...targets].map((t) => t.split(' '));
  const seen = new Set<string>();
  const out: [string, string][] = [];
  const candidates = [
    ...ENGLISH.split(/\s+/).map((w) => lookupEnglish(w)),
    ...PINYIN.split(/\s+/).map((s) => syllableToArpabet(s) ?? undefined),
  ];
  for (const spelling of candidates) {
    if (!spelling || seen.has(spelling)) continue;
    seen.add(spelling);
    const phones = spelling.split(' ');
    if (phones.length < MIN_PHONES) continue;
    if (targetPhones.some((t) => editDistance(phones, t, MIN_PHONE_DISTANCE) < MIN_PHONE_DISTANCE)) continue;
    out.push([`__g${out.length}`, spelling]);
  }
  return out;
}

/** Levenshtein distance over phones, capped at `cap` (anything farther returns `cap`). */
export function editDistance(
  a: readonly string[],
  b: readonly string[],
  cap = Number.POSITIVE_INFINITY,
): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return Math.min(cap, prev[b.length]!);
}
