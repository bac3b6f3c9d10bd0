/**
 * The numbers an account's calls may be handed to (`transfer`, `parallel_transfer` with a number):
 * a list of regular expressions, one of which must match the whole number as the callback wrote
 * it. The default is mainland China only, so a compromised callback cannot make the platform dial
 * premium-rate or foreign numbers (`0044…`, `+44…`, `00…`). Call-centre names from
 * `calls.callCenters` are the operator's own and are not checked.
 */

/** Mainland mobiles (optionally +86/0086) and landlines (0 + area code, or +86/0086 without the 0). */
export const DEFAULT_DESTINATIONS: readonly string[] = [
  '^(?:\\+86|0086)?1[3-9]\\d{9}$',
  '^(?:0|\\+86|0086)[1-9]\\d{8,10}$',
];

export class DestinationPatternError extends Error {
  override name = 'DestinationPatternError';
}

/** Compiles patterns, anchored at both ends; throws DestinationPatternError naming a bad one. */
export function compileDestinations(patterns: readonly string[]): RegExp[] {
  return patterns.map((p) => {
    if (p.trim() === '') throw new DestinationPatternError('an empty destination pattern allows nothing');
    try {
      return new RegExp(`^(?:${p.replace(/^\^/, '').replace(/(?<!\\)\$$/, '')})$`);
    } catch (err) {
      throw new DestinationPatternError(`"${p}" is not a regular expression: ${(err as Error).message}`);
    }
  });
}

/** A predicate for an account's setting (null/absent: the default list). */
export function destinationFilter(
  patterns: readonly string[] | null | undefined,
): (number: string) => boolean {
  const compiled = compileDestinations(patterns ?? DEFAULT_DESTINATIONS);
  return (number) => compiled.some((re) => re.test(number.trim()));
}
