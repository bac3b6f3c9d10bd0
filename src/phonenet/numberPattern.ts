/**
 * Which called numbers a persona answers: an exact number (`13800000001`), a digit pattern where
 * each `*` stands for one digit (`1390000****`), or a regular expression written between slashes
 * (`/^1391234\d{4}$/`). Patterns are matched against the whole called number.
 */

export type NumberPatternKind = 'exact' | 'wildcard' | 'regex';

/** Thrown with a message fit for a persona-file error. */
export class NumberPatternError extends Error {
  override name = 'NumberPatternError';
}

const EXACT = /^\+?[0-9A-Za-z#._-]+$/;
const WILDCARD = /^\+?[0-9#*]+$/;

export class NumberPattern {
  readonly source: string;
  readonly kind: NumberPatternKind;
  readonly #regex: RegExp | undefined;

  private constructor(source: string, kind: NumberPatternKind, regex: RegExp | undefined) {
    this.source = source;
    this.kind = kind;
    this.#regex = regex;
  }

  static parse(source: string): NumberPattern {
    const text = source.trim();
    if (text.length >= 2 && text.startsWith('/') && text.endsWith('/')) {
      let regex: RegExp;
      try {
        regex = new RegExp(text.slice(1, -1), 'u');
      } catch (err) {
        throw new NumberPatternError(`invalid regular expression ${text}: ${(err as Error).message}`);
      }
      return new NumberPattern(text, 'regex', regex);
    }
    if (text.includes('*')) {
      if (!WILDCARD.test(text))
        throw new NumberPatternError(`"${text}" is not a number pattern (digits, and * for any one digit)`);
      const body = text.replace(/[+]/g, '\\+').replace(/\*/g, '[0-9]');
      return new NumberPattern(text, 'wildcard', new RegExp(`^${body}$`));
    }
    if (!EXACT.test(text)) throw new NumberPatternError(`"${text}" is not a phone number`);
    return new NumberPattern(text, 'exact', undefined);
  }

  matches(number: string): boolean {
    return this.#regex ? this.#regex.test(number) : number === this.source;
  }

  toString(): string {
    return this.source;
  }
}

/**
 * The forms one mainland mobile arrives in from a trunk: `+8613800000001`, `008613800000001`,
 * `8613800000001`, `013800000001`. Personas are written with the 11-digit form; the raw form is
 * tried first so that a persona can still claim a prefixed number explicitly.
 */
export function calledNumberForms(raw: string): string[] {
  const forms = [raw];
  const m = /^(?:\+86|0086|86|0)(1\d{10})$/.exec(raw);
  if (m?.[1]) forms.push(m[1]);
  return forms;
}
