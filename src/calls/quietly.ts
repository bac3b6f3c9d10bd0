import type { Logger } from '../observability/logger.js';

/**
 * Runs one step of ending a call; a step that throws is logged and the rest still run (the call
 * must get its record whatever broke on the way).
 */
export function quietly(log: Logger, what: string, step: () => void): void {
  try {
    step();
  } catch (err) {
    log.error({ err }, `${what} failed`);
  }
}
