/**
 * Test lanes: scripts/run-tests.mjs runs the files under interop/, e2e/ and serial/ in several
 * lanes at once (SMARTCALL_TEST_LANE=k in each lane's environment, 0 when unset). Files in one lane
 * run one after the other, so a file may bind fixed ports, but only inside its lane's block:
 *
 *   lane k owns 127.0.0.1 ports [8000 + 2000k, 10000 + 2000k)   (k = 0..5, so up to 19999)
 *
 * That range is below the kernel's ephemeral ports (32768–60999 here: what freePort() and outgoing
 * connections get) and below smartcall's own defaults (RTP 20000–29999, phone network 40000–40999,
 * `smartcall test`'s random windows in 20000–29999 and 41000–49999), so nothing else lands in it.
 * Each block is cut into slots a file picks by what the ports are for.
 */

const LANE_BASE = 8000;
const LANE_SIZE = 2000;
export const MAX_LANES = 6;

/** Offsets inside a lane's block. */
const SLOTS = {
  /** The smartcall under test (its `rtp` pool, or the Telephony a test creates). */
  rtp: [0, 599],
  /** The phone network (phonenet / Carrier) or a second smartcall in the same test. */
  phonenet: [600, 1199],
  /** Third-party peers (baresip's `rtp_ports`): 70 windows of 10, see peerRtpPorts(). */
  peers: [1200, 1899],
  /**
   * Signalling and HTTP ports of the processes a file starts (cluster nodes), see laneSignalPorts():
   * a port picked from the ephemeral range and bound a moment later can be taken meanwhile by an
   * outgoing connection or a UDP socket of the other lane.
   */
  signal: [1900, 1999],
} as const;

function laneFromEnv(): number {
  const text = process.env.SMARTCALL_TEST_LANE ?? '0';
  const lane = Number(text);
  if (!Number.isInteger(lane) || lane < 0 || lane >= MAX_LANES) {
    throw new Error(`SMARTCALL_TEST_LANE=${text}: want an integer 0..${MAX_LANES - 1}`);
  }
  return lane;
}

/** This process's lane (SMARTCALL_TEST_LANE, default 0). */
export const LANE = laneFromEnv();

/** A port window of this lane: `laneWindow('rtp')` → { min, max }. */
export function laneWindow(slot: keyof typeof SLOTS): { min: number; max: number } {
  const base = LANE_BASE + LANE * LANE_SIZE;
  const [from, to] = SLOTS[slot];
  return { min: base + from, max: base + to };
}

/**
 * A 10-port `rtp_ports` window for a third-party peer, e.g. `'9210-9219'`: the next of this lane's
 * 70 windows (from a start that differs per process), so peers of one file never share one.
 */
export function peerRtpPorts(): string {
  const { min, max } = laneWindow('peers');
  const count = (max - min + 1) / 10;
  const start = min + (nextPeerWindow++ % count) * 10;
  return `${start}-${start + 9}`;
}
let nextPeerWindow = process.pid;

/**
 * `count` ports of this lane's signalling slot, the next ones each call (cycling through the slot's
 * 100 from a start that differs per process): a file's processes never share one.
 */
export function laneSignalPorts(count: number): number[] {
  const { min, max } = laneWindow('signal');
  const size = max - min + 1;
  return Array.from({ length: count }, () => min + (nextSignalPort++ % size));
}
let nextSignalPort = process.pid;

/** A slot as phonenet / Telephony options spell it: `{ rtpPortMin, rtpPortMax }`. */
export function laneRtpPorts(slot: keyof typeof SLOTS): { rtpPortMin: number; rtpPortMax: number } {
  const { min, max } = laneWindow(slot);
  return { rtpPortMin: min, rtpPortMax: max };
}

/** A slot as the `rtp` config section spells it: `{ portMin, portMax }`. */
export function lanePortRange(slot: keyof typeof SLOTS): { portMin: number; portMax: number } {
  const { min, max } = laneWindow(slot);
  return { portMin: min, portMax: max };
}
