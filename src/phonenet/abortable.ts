/** Waiting inside a persona script: every wait ends early, with {@link CallOver}, when the call does. */
import type { EventEmitter } from 'node:events';
import type { Clock } from '../clock/clock.js';

/** Thrown out of a wait when the call ended under it: the script stops there. */
export class CallOver extends Error {
  override name = 'CallOver';
}

/** Resolves after `ms` on `clock`; the timer is cleared when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal, clock: Clock): Promise<void> {
  if (signal.aborted) return Promise.reject(new CallOver());
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimer(timer);
      reject(new CallOver());
    };
    const timer = clock.setTimer(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves when the signal aborts (a step that lasts until the call ends). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** The first `event` whose arguments pass `accept`; rejects with CallOver on abort. */
export function nextEvent<A extends unknown[]>(
  emitter: EventEmitter,
  event: string,
  accept: (...args: A) => boolean,
  signal: AbortSignal,
): Promise<A> {
  if (signal.aborted) return Promise.reject(new CallOver());
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]) => {
      if (!accept(...(args as A))) return;
      cleanup();
      resolve(args as A);
    };
    const onAbort = () => {
      cleanup();
      reject(new CallOver());
    };
    const cleanup = () => {
      emitter.off(event, listener);
      signal.removeEventListener('abort', onAbort);
    };
    emitter.on(event, listener);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
