/**
 * UTC time ranges as scenarios write them: `start..end`, each side a date (`2024-01-31`) or an
 * ISO-8601 UTC instant (`2024-01-31T23:59:59Z`, `…T23:59:59.5Z`, with `Z` required). The end is
 * inclusive at the precision written: a date covers the whole day, `23:59:59Z` the whole second,
 * `23:59Z` the whole minute. Internally a range is [fromUs, toUs) in integer microseconds.
 */

export interface TimeRange {
  /** Inclusive, µs since the epoch. */
  fromUs: number;
  /** Exclusive, µs since the epoch. */
  toUs: number;
  /** As written. */
  text: string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?Z$/;

/** Parses one side; returns its start and the length of its precision, µs. */
function parseSide(s: string): { us: number; precisionUs: number } {
  let m = DATE.exec(s);
  if (m) {
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    check(ms, s, m, 0, 0, 0);
    return { us: ms * 1000, precisionUs: 86_400_000_000 };
  }
  m = INSTANT.exec(s);
  if (m) {
    const [hh, mm, ss] = [Number(m[4]), Number(m[5]), Number(m[6] ?? '0')];
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), hh, mm, ss);
    check(ms, s, m, hh, mm, ss);
    const frac = m[7] ?? '';
    const us = ms * 1000 + (frac ? Number(frac.padEnd(6, '0')) : 0);
    const precisionUs = frac ? 10 ** (6 - frac.length) : m[6] !== undefined ? 1_000_000 : 60_000_000;
    return { us, precisionUs };
  }
  throw new RangeError(`"${s}" is not a UTC date (2024-01-31) or instant (2024-01-31T23:59:59Z)`);
}

function check(ms: number, s: string, m: RegExpExecArray, hh: number, mm: number, ss: number): void {
  const d = new Date(ms);
  if (d.getUTCFullYear() !== Number(m[1]) || d.getUTCMonth() + 1 !== Number(m[2]) || d.getUTCDate() !== Number(m[3]) || hh > 23 || mm > 59 || ss > 59) {
    throw new RangeError(`"${s}" is not a valid UTC date/time`);
  }
}

export function parseTimeRange(text: string): TimeRange {
  const parts = text.split('..');
  if (parts.length !== 2) throw new RangeError(`expected "start..end", got "${text}"`);
  const a = parseSide(parts[0].trim());
  const b = parseSide(parts[1].trim());
  const toUs = b.us + b.precisionUs;
  if (toUs <= a.us) throw new RangeError(`the range "${text}" ends before it starts`);
  return { fromUs: a.us, toUs, text };
}
