/**
 * RTP port allocation from a configured range. RFC 3550 §11: RTP uses an even port and RTCP the
 * next odd one, so the pool hands out even ports only and keeps each +1 reserved with it (we do
 * not bind RTCP ourselves; see RtpSession). Allocation rotates through the range instead of reusing
 * the lowest free port, so a port just released — whose old peer may still be sending — is the last
 * to be handed out again.
 */

export interface PortPoolOptions {
  /** First port of the range (rounded up to even). */
  min: number;
  /** Last port of the range, inclusive (the last pair must fit: its RTCP port is `max` at most). */
  max: number;
  /** The first port to hand out (default `min`): rotation goes on from there. */
  start?: number | undefined;
}

/** Thrown by {@link PortPool.allocate} when every pair is in use. */
export class PortsExhaustedError extends Error {
  readonly code = 'RTP_PORTS_EXHAUSTED';
  constructor(min: number, max: number, inUse: number) {
    super(`no free RTP port in ${min}-${max}: all ${inUse} pairs are in use`);
    this.name = 'PortsExhaustedError';
  }
}

export class PortPool {
  readonly min: number;
  readonly max: number;
  readonly #inUse: Uint8Array;
  #cursor = 0;
  #used = 0;

  constructor(options: PortPoolOptions) {
    const min = options.min + (options.min % 2);
    const { max } = options;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1024 || max > 65535) {
      throw new RangeError(`RTP port range ${options.min}-${options.max} must lie within 1024-65535`);
    }
    if (max < min + 1)
      throw new RangeError(`RTP port range ${options.min}-${options.max} holds no even/odd pair`);
    this.min = min;
    this.max = max;
    this.#inUse = new Uint8Array(Math.floor((max - min + 1) / 2));
    if (options.start !== undefined) {
      const slot = Math.floor((options.start - min) / 2);
      this.#cursor = slot >= 0 && slot < this.#inUse.length ? slot : 0;
    }
  }

  /** Number of RTP/RTCP pairs in the range. */
  get size(): number {
    return this.#inUse.length;
  }
  get inUse(): number {
    return this.#used;
  }
  get available(): number {
    return this.size - this.#used;
  }

  /** An even RTP port (its +1 reserved for RTCP). Throws {@link PortsExhaustedError} when none is free. */
  allocate(): number {
    const n = this.#inUse.length;
    for (let i = 0; i < n; i++) {
      const slot = (this.#cursor + i) % n;
      if (this.#inUse[slot] === 0) {
        this.#inUse[slot] = 1;
        this.#used++;
        this.#cursor = (slot + 1) % n;
        return this.min + slot * 2;
      }
    }
    throw new PortsExhaustedError(this.min, this.max, this.#used);
  }

  /** Returns a port from {@link allocate}; releasing a port that is not allocated is a bug. */
  release(port: number): void {
    const slot = (port - this.min) / 2;
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.#inUse.length || this.#inUse[slot] === 0) {
      throw new Error(`RTP port ${port} was not allocated from this pool`);
    }
    this.#inUse[slot] = 0;
    this.#used--;
  }

  isAllocated(port: number): boolean {
    const slot = (port - this.min) / 2;
    return Number.isInteger(slot) && this.#inUse[slot] === 1;
  }
}
