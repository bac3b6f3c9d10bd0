/**
 * Checks a case's expectations against what the platform recorded. A failure says what was
 * expected, what happened, and where in the call's timeline (ms offset and event).
 */
import {
  describeCallback,
  formatOffset,
  hangupSide,
  type Observation,
  type ObservedCallback,
  replyMedia,
} from './observation.js';
import type { ActionMatcher, CallbackMatcher, Expectations, Range } from './suiteSchema.js';

export interface ExpectationFailure {
  /** Which expectation, e.g. `callbacks[1]`, `status`. */
  expectation: string;
  expected: string;
  actual: string;
  /** Where in the timeline: `+3.42s callback normal ...`. */
  where: string;
}

const at = (t: number | undefined, what: string) =>
  t === undefined ? what : `${formatOffset(t).trim()} ${what}`;

function describeMatcher(m: Record<string, unknown>): string {
  return Object.entries(m)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
}

function callbackMatches(c: ObservedCallback, m: CallbackMatcher): boolean {
  if (m.content_type !== undefined && c.contentType !== m.content_type) return false;
  if (m.words !== undefined && !String(c.content.words ?? '').includes(m.words)) return false;
  if (m.dynamic_id !== undefined && String(c.content.dynamic_id ?? '') !== m.dynamic_id) return false;
  if (m.outcome !== undefined && c.outcome !== m.outcome) return false;
  return true;
}

function actionMatches(c: ObservedCallback, m: ActionMatcher): boolean | 'unknown' {
  if (!c.action) return false;
  if (m.action !== undefined && c.action !== m.action) return false;
  if (m.source !== undefined && c.source !== m.source) return false;
  if (m.media !== undefined || m.transfer_to !== undefined) {
    if (!c.reply) return c.source === 'reply' ? 'unknown' : false;
    if (m.media !== undefined && !replyMedia(c.reply).includes(m.media)) return false;
    if (m.transfer_to !== undefined && String(c.reply.number ?? '') !== m.transfer_to) return false;
  }
  return true;
}

/**
 * Matches `matchers` in order against `items` (others may come between). On a miss, the failure
 * points just after the last item matched.
 */
function inOrder<T, M extends Record<string, unknown>>(
  name: string,
  items: readonly T[],
  matchers: readonly M[],
  matches: (item: T, m: M) => boolean | 'unknown',
  describe: (item: T) => string,
  time: (item: T) => number,
  what: string,
): ExpectationFailure[] {
  let from = 0;
  let last: T | undefined;
  for (const [i, m] of matchers.entries()) {
    let found = -1;
    let unknown = false;
    for (let j = from; j < items.length; j++) {
      const r = matches(items[j]!, m);
      if (r === 'unknown') unknown = true;
      if (r === true) {
        found = j;
        break;
      }
    }
    if (found < 0) {
      const rest = items.slice(from);
      return [
        {
          expectation: `${name}[${i}]`,
          expected: `${what} ${describeMatcher(m)}${i > 0 ? ` after ${name}[${i - 1}]` : ''}`,
          actual:
            rest.length === 0
              ? `no further ${what}s${items.length > 0 ? ` (${items.length} in all)` : ''}`
              : rest.map(describe).join('; ') +
                (unknown ? ' (the reply bodies are not known here: run embedded)' : ''),
          where:
            last === undefined ? 'from the start of the call' : at(time(last), `after ${describe(last)}`),
        },
      ];
    }
    last = items[found];
    from = found + 1;
  }
  return [];
}

function inRange(v: number, r: Range): boolean {
  return (r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max);
}

function rangeText(r: Range, unit: string): string {
  if (r.min !== undefined && r.max !== undefined) return `between ${r.min} and ${r.max} ${unit}`;
  if (r.min !== undefined) return `at least ${r.min} ${unit}`;
  return `at most ${r.max} ${unit}`;
}

function endWhere(o: Observation): string {
  return o.endT === undefined ? 'the call had not ended' : at(o.endT, 'ended');
}

/** Every failed expectation of the case (empty: it passed). */
export function checkExpectations(o: Observation, e: Expectations): ExpectationFailure[] {
  const failures: ExpectationFailure[] = [];
  if (e.callbacks)
    failures.push(
      ...inOrder(
        'callbacks',
        o.callbacks,
        e.callbacks,
        callbackMatches,
        describeCallback,
        (c) => c.t,
        'callback',
      ),
    );
  if (e.actions) {
    const acted = o.callbacks.filter((c) => c.action);
    failures.push(
      ...inOrder(
        'actions',
        acted,
        e.actions,
        actionMatches,
        (c) =>
          `${c.action}${c.source === 'reply' ? '' : ` (${c.source})`}${c.reply ? ` ${replyMedia(c.reply)}` : ''}`,
        (c) => c.t,
        'action',
      ),
    );
  }
  const prompts = o.said.map((s) => ({ t: s.t, text: s.texts.join(' ') }));
  for (const [i, phrase] of (e.prompts ?? []).entries()) {
    if (prompts.some((p) => p.text.includes(phrase))) continue;
    failures.push({
      expectation: `prompts[${i}]`,
      expected: `a prompt containing "${phrase}"`,
      actual: prompts.length === 0 ? 'no prompt was played' : prompts.map((p) => `"${p.text}"`).join('; '),
      where: prompts.length === 0 ? endWhere(o) : at(prompts.at(-1)!.t, 'last prompt'),
    });
  }
  for (const [i, phrase] of (e.no_prompts ?? []).entries()) {
    const hit = prompts.find((p) => p.text.includes(phrase));
    if (hit)
      failures.push({
        expectation: `no_prompts[${i}]`,
        expected: `no prompt containing "${phrase}"`,
        actual: `"${hit.text}"`,
        where: at(hit.t, 'prompt'),
      });
  }
  const r = o.record;
  if (e.status !== undefined && r?.statusCode !== e.status)
    failures.push({
      expectation: 'status',
      expected: `status ${e.status}`,
      actual: r ? `${r.statusCode} ${r.statusMsg ?? ''}`.trim() : 'no final record',
      where: endWhere(o),
    });
  if (e.hangup_by !== undefined) {
    const side = hangupSide(r?.hangupDirection ?? null);
    if (side !== e.hangup_by)
      failures.push({
        expectation: 'hangup_by',
        expected: `hung up by the ${e.hangup_by}`,
        actual: side ? `hung up by the ${side}` : 'no hang-up side recorded (not answered?)',
        where: endWhere(o),
      });
  }
  if (e.duration) {
    const talk = o.answerT !== undefined && o.endT !== undefined ? (o.endT - o.answerT) / 1000 : undefined;
    if (talk === undefined || !inRange(talk, e.duration))
      failures.push({
        expectation: 'duration',
        expected: `talk time ${rangeText(e.duration, 's')}`,
        actual: talk === undefined ? 'the call was not answered' : `${talk.toFixed(1)} s`,
        where: endWhere(o),
      });
  }
  if (e.dtmf !== undefined && (r?.dtmf ?? '') !== e.dtmf)
    failures.push({
      expectation: 'dtmf',
      expected: `keys "${e.dtmf}" recorded`,
      actual: r?.dtmf ? `keys "${r.dtmf}"` : 'no keys recorded',
      where: endWhere(o),
    });
  if (e.interrupted !== undefined && o.interrupted.length > 0 !== e.interrupted)
    failures.push({
      expectation: 'interrupted',
      expected: e.interrupted ? 'playback stopped by the callee at least once' : 'playback never stopped',
      actual: o.interrupted.length > 0 ? `stopped ${o.interrupted.length} time(s)` : 'never stopped',
      where: o.interrupted.length > 0 ? at(o.interrupted[0], '(playback stopped)') : endWhere(o),
    });
  for (const type of e.receipts ?? []) {
    if (o.receipts?.includes(type)) continue;
    failures.push({
      expectation: 'receipts',
      expected: `a ${type} receipt delivered`,
      actual:
        o.receipts === undefined
          ? 'receipts are not watched here (run embedded)'
          : `received: ${o.receipts.length > 0 ? o.receipts.join(', ') : 'none'}`,
      where: endWhere(o),
    });
  }
  if (e.callback_latency_ms) {
    const slow = o.callbacks.find((c) => !inRange(c.latencyMs, e.callback_latency_ms!));
    if (slow)
      failures.push({
        expectation: 'callback_latency_ms',
        expected: `every callback answered in ${rangeText(e.callback_latency_ms, 'ms')}`,
        actual: `${slow.latencyMs} ms (${slow.outcome})`,
        where: at(slow.t, describeCallback(slow)),
      });
  }
  if (e.turn_latency_ms) {
    for (const turn of turnLatencies(o)) {
      if (inRange(turn.ms, e.turn_latency_ms)) continue;
      failures.push({
        expectation: 'turn_latency_ms',
        expected: `each answer audible ${rangeText(e.turn_latency_ms, 'ms')} after the callee stopped`,
        actual: `${turn.ms} ms`,
        where: at(turn.t, `after callee "${turn.words ?? '(not recognised)'}"`),
      });
      break;
    }
  }
  return failures;
}

/** For each recognised utterance, how long until the bot's next audio began. */
export function turnLatencies(o: Observation): { t: number; ms: number; words: string | undefined }[] {
  const starts = o.playStarted.length > 0 ? o.playStarted : o.said.map((s) => s.t);
  const out: { t: number; ms: number; words: string | undefined }[] = [];
  for (const h of o.heard) {
    const next = starts.find((s) => s >= h.endT);
    if (next !== undefined) out.push({ t: h.endT, ms: next - h.endT, words: h.words });
  }
  return out;
}
