/**
 * Least-loaded placement (issue 15, the scheduler; LiveKit's node selection): each call, in queue
 * order, goes to the media node with the most free room (capacity − calls carried − calls already
 * held or assigned), so a busier node gets new calls only once the others are as busy. Ties go to
 * the node given fewer calls in this round, then by name, so equal nodes take turns. Pure: the
 * scheduler measures, this decides.
 */

export interface NodeRoom {
  /** The node's name in the queue (`claimed_by`, `assigned_node`). */
  queue: string;
  /** Calls it may still take: capacity − carried − held or assigned. */
  free: number;
}

export interface Placement {
  callId: string;
  node: string;
}

/** Places `callIds` (in order) on `nodes`; a call no node has room for is left out. */
export function placeLeastLoaded(callIds: readonly string[], nodes: readonly NodeRoom[]): Placement[] {
  const rooms = nodes.map((n) => ({ queue: n.queue, free: n.free, given: 0 }));
  const placements: Placement[] = [];
  for (const callId of callIds) {
    let best: (typeof rooms)[number] | undefined;
    for (const r of rooms) {
      if (r.free <= 0) continue;
      if (
        !best ||
        r.free > best.free ||
        (r.free === best.free && (r.given < best.given || (r.given === best.given && r.queue < best.queue)))
      )
        best = r;
    }
    if (!best) break;
    best.free--;
    best.given++;
    placements.push({ callId, node: best.queue });
  }
  return placements;
}
