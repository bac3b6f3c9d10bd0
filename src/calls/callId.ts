/**
 * CallIds in the spec's form: two 12-digit decimal parts joined by `^`
 * (`116012854210^102814270001`). The first part is the creation time in milliseconds since
 * 2020-01-01 (12 digits until the 2050s), so CallIds sort by creation time; the second is this
 * node's 5-digit ID and a 7-digit counter, so two processes never mint the same ID.
 */
import { randomInt } from 'node:crypto';
import { systemClock } from '../clock/clock.js';

const EPOCH_2020 = Date.UTC(2020, 0, 1);
const COUNTER_MOD = 10_000_000;

export class CallIdGenerator {
  readonly #node: string;
  #counter = randomInt(COUNTER_MOD);

  constructor(nodeId: number = randomInt(100_000)) {
    if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > 99_999) throw new Error('nodeId must be 0-99999');
    this.#node = String(nodeId).padStart(5, '0');
  }

  /** This node's 5-digit ID, as in the CallIds it mints. */
  get nodeId(): string {
    return this.#node;
  }

  next(now: number = systemClock.now()): string {
    this.#counter = (this.#counter + 1) % COUNTER_MOD;
    const time = String(Math.max(0, Math.floor(now - EPOCH_2020))).padStart(12, '0');
    return `${time}^${this.#node}${String(this.#counter).padStart(7, '0')}`;
  }
}

const CALL_ID = /^\d{12}\^\d{12}$/;

export function isCallId(value: string): boolean {
  return CALL_ID.test(value);
}

/** The creation time encoded in a CallId of ours. */
export function callIdTime(callId: string): number {
  return EPOCH_2020 + Number(callId.slice(0, 12));
}
