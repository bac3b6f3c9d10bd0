/**
 * The HTTP hook of a dialog script's node (issue 16 item 3): one POST of JSON
 * `{call_id, dialog_id, node, variables}`, bounded by the hook's timeout, no retry (the callee is
 * waiting). A 2xx reply that is a JSON object gives its top-level strings, numbers and booleans as
 * variables; anything else is an error text (`timeout`, `HTTP 500`, `not a JSON object`, …).
 */
import { type Clock, systemClock } from '../clock/clock.js';
import { within } from '../clock/within.js';

const MAX_REPLY_BYTES = 64 * 1024;

export interface DialogHookRequest {
  url: string;
  timeoutMs: number;
  body: { call_id: string; dialog_id: string; node: string; variables: Record<string, string> };
}

export type DialogHookResult = { variables: Record<string, string> } | { error: string };

export async function postDialogHook(
  request: DialogHookRequest,
  options: { fetch?: typeof fetch; clock?: Clock } = {},
): Promise<DialogHookResult> {
  const doFetch = options.fetch ?? fetch;
  const abort = new AbortController();
  const attempt = (async (): Promise<DialogHookResult> => {
    const res = await doFetch(request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(request.body),
      redirect: 'manual',
      signal: abort.signal,
    });
    const text = (await res.text()).slice(0, MAX_REPLY_BYTES);
    if (res.status < 200 || res.status > 299) return { error: `HTTP ${res.status}` };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { error: 'not JSON' };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return { error: 'not a JSON object' };
    const variables: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      if (!/^[A-Za-z0-9_\-.]{1,64}$/.test(k)) continue;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') variables[k] = String(v);
    }
    return { variables };
  })();
  let result: DialogHookResult = { error: 'timeout' };
  const settled = attempt.then(
    (r) => {
      result = r;
    },
    (err: Error) => {
      result = { error: `network: ${err.message}` };
    },
  );
  const inTime = await within(settled, request.timeoutMs, options.clock ?? systemClock);
  if (!inTime) {
    abort.abort();
    return { error: 'timeout' };
  }
  return result;
}
