/**
 * Lowers the scheduling priority of the calling thread (a worker thread), so that background
 * computation — the phrase decoders — yields a core to the main thread, which carries every call's
 * SIP, RTP and barge-in. Linux schedules threads, not processes: `setpriority(PRIO_PROCESS, tid)`
 * on a thread id changes that thread only, and `os.setPriority` passes the id through. The id comes
 * from /proc/thread-self (Linux 3.17+). Elsewhere, or when refused, nothing changes.
 *
 * A nice value only ever goes up here (lower priority), which needs no privilege.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The calling thread's kernel id, or undefined where /proc/thread-self does not exist. */
export function currentThreadId(): number | undefined {
  try {
    // "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sets the calling thread's nice value to `niceness` (0–19) if that lowers its priority. Returns the
 * nice value the thread runs at afterwards, or undefined when it could not be read or changed.
 */
export function lowerThreadPriority(niceness: number): number | undefined {
  const tid = currentThreadId();
  if (tid === undefined) return undefined;
  try {
    if (getPriority(tid) < niceness) setPriority(tid, Math.min(19, Math.max(0, niceness)));
    return getPriority(tid);
  } catch {
    return undefined;
  }
}
