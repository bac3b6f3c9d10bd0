/** Transitional names for the one clock (src/clock/): new code imports `Clock` from there. */
export type { Clock as TimeSource } from '../clock/clock.js';
export { systemClock as realTimeSource } from '../clock/clock.js';
