/**
 * Initial margin in use, as the decimal string the risk engine reads: the margin of our open orders
 * (Σ price × remaining, in tick-lots, × tickSize × stepSize / leverage) plus the positions' margin,
 * in the margin asset.
 *
 * Rounding: each step (× tickSize, × stepSize, ÷ leverage, + position margin) is rounded to 20
 * significant digits, half away from zero. That is the rule this string has always followed (it was
 * decimal.js at its default precision, and tests/trader/margin.prop.test.ts still checks it against
 * decimal.js): in the common case nothing is rounded, and only a leverage with a prime factor other
 * than 2 and 5 (3, 7, 12, …) or more than 20 digits makes a step inexact.
 */
import { InvariantError } from '../core/errors.ts';
import type { Instrument } from '../model/instrument.ts';
import { addScaled, formatScaled, mulScaled, parseDecimal, pow10n, type ScaledDecimal } from '../model/money.ts';

/** Significant digits kept by every step. */
const DIGITS = 20;
const TEN_TO_DIGITS = pow10n(DIGITS);

export function marginUsed(orderTickLots: number, inst: Instrument, leverage: number, positionMargin: string): string {
  if (!Number.isFinite(orderTickLots) || !Number.isFinite(leverage) || leverage === 0) throw new InvariantError(`margin in use: ${orderTickLots} tick-lots at leverage ${leverage}`);
  const withTick = roundSignificant(mulScaled(decimalOf(orderTickLots), tickSize(inst)));
  const notional = roundSignificant(mulScaled(withTick, stepSize(inst)));
  const orderMargin = divSignificant(notional, decimalOf(leverage));
  const sum = roundSignificant(addScaled(orderMargin, parsedPositionMargin(positionMargin)));
  return formatScaled(sum.units, sum.scale);
}

// The positions' margin moves only on fills and marks, the orders' at most decisions: its parse is kept.
let lastMarginText: string | null = null;
let lastMargin: ScaledDecimal = { units: 0n, scale: 0 };

function parsedPositionMargin(text: string): ScaledDecimal {
  if (text !== lastMarginText) {
    lastMargin = parseDecimal(text, 'positionMargin');
    lastMarginText = text;
  }
  return lastMargin;
}

/** A finite number as the decimal it reads as (String(n) is its shortest exact reading: "0.5", "1e+21"). */
function decimalOf(n: number): ScaledDecimal {
  return Number.isSafeInteger(n) ? { units: BigInt(n), scale: 0 } : parseDecimal(String(n));
}

function tickSize(inst: Instrument): ScaledDecimal {
  return { units: BigInt(inst.tickUnits), scale: inst.priceDecimals };
}

function stepSize(inst: Instrument): ScaledDecimal {
  return { units: BigInt(inst.stepUnits), scale: inst.qtyDecimals };
}

/** `±kept × 10^-scale` as a ScaledDecimal (a negative scale becomes trailing zeros of the units). */
function fromKept(negative: boolean, kept: bigint, scale: number): ScaledDecimal {
  const units = negative ? -kept : kept;
  return scale >= 0 ? { units, scale } : { units: units * pow10n(-scale), scale: 0 };
}

/** `x` rounded to DIGITS significant digits, half away from zero. */
function roundSignificant(x: ScaledDecimal): ScaledDecimal {
  const negative = x.units < 0n;
  const abs = negative ? -x.units : x.units;
  if (abs < TEN_TO_DIGITS) return x;
  const drop = abs.toString().length - DIGITS;
  if (drop <= 0) return x;
  const p = pow10n(drop);
  let kept = abs / p;
  if (2n * (abs % p) >= p) kept += 1n;
  return fromKept(negative, kept, x.scale - drop);
}

/** `n / d` correctly rounded to DIGITS significant digits, half away from zero; `d ≠ 0`. */
function divSignificant(n: ScaledDecimal, d: ScaledDecimal): ScaledDecimal {
  // n / d = (num / den) × 10^-(n.scale − d.scale)
  let num = n.units;
  let den = d.units;
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const negative = num < 0n;
  if (negative) num = -num;
  if (num === 0n) return { units: 0n, scale: 0 };
  const scale = n.scale - d.scale;
  // A quotient that terminates within 7 more decimals (every leverage 2^a·5^b ≤ 125) is exact; it
  // is then rounded like any other value. This is the common case, and cheaper than the general one.
  for (let extra = 0; extra <= 7; extra++) {
    const scaled = num * pow10n(extra);
    if (scaled % den === 0n) return roundSignificant(fromKept(negative, scaled / den, scale + extra));
  }
  // Scale the numerator by 10^k so that the integer quotient has more than DIGITS digits.
  const k = Math.max(0, DIGITS + 1 + den.toString().length - num.toString().length);
  num *= pow10n(k);
  const q = num / den;
  const r = num % den;
  // The exact quotient is (q + r/den) × 10^-(scale + k); keep the DIGITS leading digits of q and
  // round up when the dropped part, (q mod p) + r/den, is at least half of p.
  const drop = q.toString().length - DIGITS;
  const p = pow10n(drop);
  let kept = q / p;
  if (2n * ((q % p) * den + r) >= p * den) kept += 1n;
  return fromKept(negative, kept, scale + k - drop);
}
