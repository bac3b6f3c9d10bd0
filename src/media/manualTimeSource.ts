/** Transitional name for the manual clock (src/clock/manualClock.ts). */
export {
  ManualClock as ManualTimeSource,
  type ManualClockOptions as ManualTimeSourceOptions,
} from '../clock/manualClock.js';
