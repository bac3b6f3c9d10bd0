/**
 * CPU time of the processes a bench runs (Linux /proc), so a figure can be given as CPU per request
 * for each side: a node process, a PostgreSQL server with all its backends, a Redis server.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** /proc/<pid>/stat's clock ticks (USER_HZ: 100 on Linux). */
const TICK_S = 0.01;

interface Times {
  ppid: number;
  /** utime + stime, in seconds. */
  own: number;
  /** cutime + cstime (children waited for), in seconds. */
  children: number;
}

function times(pid: number): Times | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces: the fields after it follow its closing parenthesis.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const n = (i: number) => Number(f[i - 3]);
  return { ppid: n(4), own: (n(14) + n(15)) * TICK_S, children: (n(16) + n(17)) * TICK_S };
}

/** CPU seconds a process has used so far (0 once it is gone). */
export function cpuSeconds(pid: number): number {
  return times(pid)?.own ?? 0;
}

/**
 * CPU seconds of a process tree rooted at `root` (e.g. the postmaster): itself, its live children
 * and the children it has already reaped.
 */
export function treeCpuSeconds(root: number): number {
  const r = times(root);
  if (!r) return 0;
  let total = r.own + r.children;
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === root) continue;
    const t = times(pid);
    if (t?.ppid === root) total += t.own + t.children;
  }
  return total;
}

/** The parent of `pid` (for a PostgreSQL backend: the postmaster). */
export function parentPid(pid: number): number | undefined {
  return times(pid)?.ppid;
}
