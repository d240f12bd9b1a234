/**
 * Exact conversion between decimal strings (as Binance sends them) and integers.
 *
 * `parseFixed("61800.20", 2)` is 6180020: the value times 10^decimals, exactly, or an error. No
 * float arithmetic is involved, so there is no drift: `formatFixed(parseFixed(s, d), d)` gives back
 * `s` normalised to `d` decimals. Integers must stay within ±2^53 (checked).
 */
import { NumberFormatError } from '../core/errors.ts';

const POW10: number[] = [];
for (let i = 0, p = 1; i <= 15; i++, p *= 10) POW10.push(p);

export function pow10(d: number): number {
  const p = POW10[d];
  if (p === undefined) throw new RangeError(`10^${d} is out of the exact range`);
  return p;
}

/** Number of decimals written in a decimal string ("0.010" → 3, "5" → 0, "1e-5" → 5). */
export function decimalsOf(s: string): number {
  const e = s.search(/[eE]/);
  if (e >= 0) {
    const mant = s.slice(0, e);
    const exp = Number(s.slice(e + 1));
    return Math.max(0, decimalsOf(mant) - exp);
  }
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** Number of decimals needed once trailing zeros are dropped ("0.010" → 2, "100" → 0). */
export function significantDecimals(s: string): number {
  const n = normalizeDecimal(s);
  const dot = n.indexOf('.');
  return dot < 0 ? 0 : n.length - dot - 1;
}

/**
 * `s × 10^decimals` as an exact integer. Accepts an optional sign, digits, one dot, and (slow path)
 * an exponent. Throws `NumberFormatError` when `s` is not a number or has non-zero digits beyond
 * `decimals`, or the result is not a safe integer.
 */
export function parseFixed(s: string, decimals: number): number {
  const n = s.length;
  let i = 0;
  let neg = false;
  if (n === 0) throw new NumberFormatError(`empty string is not a number`);
  if (s.indexOf('e') >= 0 || s.indexOf('E') >= 0) return parseFixedSlow(s, decimals);
  let c = s.charCodeAt(0);
  if (c === 45 /* - */ || c === 43 /* + */) {
    neg = c === 45;
    i = 1;
  }
  let v = 0;
  let digits = 0;
  let frac = -1; // decimals consumed after the dot, -1 before the dot
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      const d = c - 48;
      digits++;
      if (frac >= 0) {
        if (frac >= decimals) {
          if (d !== 0) throw new NumberFormatError(`"${s}" has more than ${decimals} decimals`, 'E_OFF_GRID');
          continue;
        }
        frac++;
      }
      v = v * 10 + d;
    } else if (c === 46 /* . */ && frac < 0) {
      frac = 0;
    } else {
      throw new NumberFormatError(`"${s}" is not a decimal number`);
    }
  }
  if (digits === 0) throw new NumberFormatError(`"${s}" is not a decimal number`);
  const scale = decimals - (frac < 0 ? 0 : frac);
  if (scale > 0) v *= pow10(scale);
  if (!Number.isSafeInteger(v)) throw new NumberFormatError(`"${s}" is too large to represent exactly at ${decimals} decimals`);
  return neg ? -v : v;
}

/** Exponent notation ("1e-05", "2.5E3"): rewrite to plain digits, then parse. */
function parseFixedSlow(s: string, decimals: number): number {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?[eE]([+-]?\d+)$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new NumberFormatError(`"${s}" is not a decimal number`);
  const sign = m[1] === '-' ? '-' : '';
  let intPart = m[2];
  let fracPart = m[3] ?? '';
  let exp = Number(m[4]);
  while (exp > 0) {
    intPart += fracPart.length > 0 ? fracPart[0] : '0';
    fracPart = fracPart.slice(1);
    exp--;
  }
  while (exp < 0) {
    fracPart = (intPart.length > 0 ? intPart[intPart.length - 1] : '0') + fracPart;
    intPart = intPart.slice(0, -1);
    exp++;
  }
  return parseFixed(`${sign}${intPart || '0'}${fracPart ? `.${fracPart}` : ''}`, decimals);
}

/** The exact decimal string of `v / 10^decimals`, with exactly `decimals` digits after the dot. */
export function formatFixed(v: number, decimals: number): string {
  if (!Number.isSafeInteger(v)) throw new RangeError(`formatFixed needs a safe integer, got ${v}`);
  const neg = v < 0;
  const digits = String(neg ? -v : v);
  let out: string;
  if (decimals === 0) out = digits;
  else if (digits.length > decimals) out = `${digits.slice(0, digits.length - decimals)}.${digits.slice(digits.length - decimals)}`;
  else out = `0.${digits.padStart(decimals, '0')}`;
  return neg ? `-${out}` : out;
}

/** Canonical form: no exponent, no leading zeros, no trailing fractional zeros ("061.50" → "61.5"). */
export function normalizeDecimal(s: string): string {
  const d = Math.max(decimalsOf(s), 0);
  if (d > 15) throw new NumberFormatError(`"${s}" has too many decimals`);
  const f = formatFixed(parseFixed(s, d), d);
  if (f.indexOf('.') < 0) return f;
  const t = f.replace(/0+$/, '').replace(/\.$/, '');
  return t === '-0' ? '0' : t;
}
