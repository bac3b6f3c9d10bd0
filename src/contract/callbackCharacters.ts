/**
 * Spec §10 Q9: "characters `@ = : " $ { } ^ * ￥` may not appear in SmartCall callbacks". One rule
 * for both places a business can put text into callbacks: the request's `DynamicId` (refused) and
 * a reply's `dynamic_id` (dropped, with a warning). `$` stays legal as the `$var$` delimiter of
 * `VoiceCode` and `action_code`, which never travel back.
 */
const FORBIDDEN = /[@=:"${}^*￥]/;

/** The forbidden characters, as a reader would list them in an error message. */
export const CALLBACK_FORBIDDEN_LIST = '@ = : " $ { } ^ * ￥';

/** True when `text` could not travel in a callback. */
export function hasCallbackForbiddenCharacters(text: string): boolean {
  return FORBIDDEN.test(text);
}
