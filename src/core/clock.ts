/**
 * Clocks. Time is an integer number of microseconds since the Unix epoch (exact in a JS number
 * until the year 2255). Modules read time only from the `Clock` they are given: the simulated clock
 * in backtests and tests, the wall clock (in `src/live`) when trading live.
 */

export interface Clock {
  /** Current time, integer microseconds since the Unix epoch. */
  nowUs(): number;
}

/** A clock that moves only when told to. Time never goes backwards. */
export class SimClock implements Clock {
  // Initialised here, not only in the constructor: a class field declared without a value starts
  // as undefined, and V8 then stores every later (non-Smi) time in a fresh heap number; a numeric
  // start keeps the field a double, written in place (the clock moves on every event).
  private tUs = 0;

  constructor(startUs = 0) {
    assertIntegerUs(startUs, 'startUs');
    this.tUs = startUs;
  }

  nowUs(): number {
    return this.tUs;
  }

  /** Moves the clock to `tUs`. Moving backwards is a bug in the caller and throws. */
  advanceTo(tUs: number): void {
    if (tUs < this.tUs) throw new RangeError(`SimClock cannot go backwards: ${tUs} < ${this.tUs}`);
    this.tUs = tUs;
  }
}

export function assertIntegerUs(v: number, name: string): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`${name} must be an integer number of microseconds, got ${v}`);
}

export const US_PER_MS = 1_000;
/** The longest wait a Node timer keeps (2^31 − 1 ms, ~24.8 days): a longer one fires after 1 ms. */
export const TIMER_MAX_MS = 2_147_483_647;
export const US_PER_SECOND = 1_000_000;
export const US_PER_MINUTE = 60_000_000;
export const US_PER_HOUR = 3_600_000_000;
export const US_PER_DAY = 86_400_000_000;

/** ISO-8601 UTC form of a microsecond timestamp, keeping the microseconds. */
export function formatUs(tUs: number): string {
  const ms = Math.floor(tUs / 1000);
  const micros = tUs - ms * 1000;
  const iso = new Date(ms).toISOString(); // formatting a given instant, not reading ambient time
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}
