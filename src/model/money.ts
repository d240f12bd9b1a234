/**
 * The project's one exact decimal: a value is a `bigint` count of 10^-scale units
 * (`{ units: 6180020n, scale: 2 }` is 61800.20). The portfolio's ledger, the simulated exchange's
 * commissions and funding, the risk engine's equity stops and the instruments' money limits all
 * use it; nothing here touches a float except `toFloat`, which is for statistics and charts only.
 *
 * Decimal strings are parsed without floats; a string with more non-zero decimals than a requested
 * scale is an error (never silently rounded). Sums, differences and products are exact at the
 * scale they produce. Every rounding is explicit and named by its direction: `divFloor`,
 * `divCeil`, `divRoundHalfEven` (used where a true quotient is needed: releasing cost basis on a
 * partial close, margins, ratios, liquidation prices; every such place says so).
 */
import { NumberFormatError } from '../core/errors.ts';

const POW10_CACHE: bigint[] = [];

/** 10^n as a bigint (cached). */
export function pow10n(n: number): bigint {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`10^${n}: exponent must be a non-negative integer`);
  let p = POW10_CACHE[n];
  if (p === undefined) {
    p = 10n ** BigInt(n);
    POW10_CACHE[n] = p;
  }
  return p;
}

/** An exact decimal: `units × 10^-scale` (scale ≥ 0). */
export interface ScaledDecimal {
  readonly units: bigint;
  readonly scale: number;
}

const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses a decimal string exactly, keeping every written decimal ("1.50" → 150 × 10^-2, "1e-5" → 1 × 10^-5). */
export function parseDecimal(s: string, field = 'value'): ScaledDecimal {
  const m = DECIMAL_RE.exec(s);
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) throw new NumberFormatError(`${field}: "${s}" is not a decimal number`, 'E_NUMBER', { field });
  const frac = m[3] ?? '';
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  let units = BigInt(`${m[2] || '0'}${frac}`);
  let scale = frac.length - exp;
  if (scale < 0) {
    units *= pow10n(-scale);
    scale = 0;
  }
  return { units: m[1] === '-' ? -units : units, scale };
}

/** `s × 10^scale` exactly; throws `E_NUMBER` if `s` has non-zero digits beyond `scale` decimals. */
export function parseScaled(s: string, scale: number, field = 'value'): bigint {
  const d = parseDecimal(s, field);
  return rescaleExact(d, scale, field, s);
}

/** A `ScaledDecimal` at `scale` decimals; throws if that would drop non-zero digits. */
export function rescaleExact(d: ScaledDecimal, scale: number, field = 'value', original?: string): bigint {
  if (d.scale <= scale) return d.units * pow10n(scale - d.scale);
  const div = pow10n(d.scale - scale);
  if (d.units % div !== 0n) {
    throw new NumberFormatError(`${field}: "${original ?? formatScaled(d.units, d.scale)}" has more than ${scale} decimals and cannot be booked exactly`, 'E_NUMBER', { field });
  }
  return d.units / div;
}

/** `a × b`, exactly (the scales add). */
export function mulScaled(a: ScaledDecimal, b: ScaledDecimal): ScaledDecimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** `a + b`, exactly, at the larger of the two scales. */
export function addScaled(a: ScaledDecimal, b: ScaledDecimal): ScaledDecimal {
  if (a.scale === b.scale) return { units: a.units + b.units, scale: a.scale };
  if (a.scale > b.scale) return { units: a.units + b.units * pow10n(a.scale - b.scale), scale: a.scale };
  return { units: a.units * pow10n(b.scale - a.scale) + b.units, scale: b.scale };
}

/** `a − b`, exactly, at the larger of the two scales. */
export function subScaled(a: ScaledDecimal, b: ScaledDecimal): ScaledDecimal {
  return addScaled(a, { units: -b.units, scale: b.scale });
}

/** −1, 0 or 1 as `a` is below, equal to or above `b` (by value: 1.50 equals 1.5). */
export function compareScaled(a: ScaledDecimal, b: ScaledDecimal): -1 | 0 | 1 {
  let x = a.units;
  let y = b.units;
  if (a.scale > b.scale) y *= pow10n(a.scale - b.scale);
  else if (b.scale > a.scale) x *= pow10n(b.scale - a.scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `⌊n / d⌋` (toward −∞), `d ≠ 0`. */
export function divFloor(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError('division by zero');
  const q = n / d; // truncates toward zero
  return n % d !== 0n && n < 0n !== d < 0n ? q - 1n : q;
}

/** `⌈n / d⌉` (toward +∞), `d ≠ 0`. */
export function divCeil(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError('division by zero');
  const q = n / d; // truncates toward zero
  return n % d !== 0n && n < 0n === d < 0n ? q + 1n : q;
}

/** `n / d` rounded half to even (banker's rounding), `d ≠ 0`. */
export function divRoundHalfEven(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError('division by zero');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  let q = n / d; // truncates toward zero
  let r = n % d; // same sign as n
  if (r === 0n) return q;
  const neg = r < 0n;
  if (neg) r = -r;
  const twice = 2n * r;
  if (twice > d || (twice === d && (q & 1n) !== 0n)) q += neg ? -1n : 1n;
  return q;
}

/** The exact decimal string of `units × 10^-scale`, trailing fractional zeros dropped ("12.5", "-0.0004", "0"). */
export function formatScaled(units: bigint, scale: number): string {
  const neg = units < 0n;
  let digits = (neg ? -units : units).toString();
  if (scale > 0) {
    if (digits.length <= scale) digits = digits.padStart(scale + 1, '0');
    const cut = digits.length - scale;
    // Trailing fractional zeros dropped by a scan, not a regular expression (a hot path: equity, margins, samples).
    let end = digits.length;
    while (end > cut && digits.charCodeAt(end - 1) === 48) end--;
    digits = end > cut ? `${digits.slice(0, cut)}.${digits.slice(cut, end)}` : digits.slice(0, cut);
  }
  return neg && digits !== '0' ? `-${digits}` : digits;
}

/** Float of a decimal string, for charts and statistics only (never for the ledger). */
export function toFloat(s: string | null): number {
  return s === null ? Number.NaN : Number(s);
}
