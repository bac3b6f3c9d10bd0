/**
 * "Wait for this, but give up after that long": the one way smartcall bounds a wait. The timer is
 * always cleared, whichever side wins, so nothing is left to keep the process alive.
 */
import { type Clock, systemClock } from './clock.js';

/** Resolves when `done` settles (fulfilled or rejected) or after `ms`; true when `done` won. */
export async function within(
  done: Promise<unknown>,
  ms: number,
  clock: Clock = systemClock,
): Promise<boolean> {
  let timer: unknown;
  const timeout = new Promise<false>((resolve) => {
    timer = clock.setTimer(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      done.then(
        () => true as const,
        () => true as const,
      ),
      timeout,
    ]);
  } finally {
    clock.clearTimer(timer);
  }
}

/** Resolves after `ms` on `clock`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, clock: Clock = systemClock, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clock.clearTimer(timer);
      resolve();
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
