/**
 * Initial margin in use, as the decimal string the risk engine reads: the margin of our open orders
 * (Σ price × remaining, in tick-lots, × tickSize × stepSize / leverage) plus the positions' margin.
 *
 * Reference computation: decimal.js at its global precision (`Decimal.precision`, 20 significant
 * digits by default), `toFixed()`. The fast path computes the same value exactly with BigInt when
 * every intermediate result of the reference has at most `Decimal.precision` significant digits and
 * the division by the leverage terminates: decimal.js then rounds nothing, so both print the same
 * string. Anything else (more digits, a negative or exotic input) takes the reference path. (The
 * reference costs several microseconds and runs whenever our orders move.)
 */
import { Decimal } from 'decimal.js';
import type { Instrument } from '../model/instrument.ts';

/** A non-negative plain decimal (the portfolio's money strings). */
const PLAIN_NON_NEGATIVE = /^\d+(\.\d+)?$/;

/** The reference: what the trading core has always computed. */
export function marginUsedDecimal(orderTickLots: number, inst: Instrument, leverage: number, positionMargin: string): string {
  const orderMargin = new Decimal(orderTickLots).times(inst.spec.tickSize).times(inst.spec.stepSize).div(leverage);
  return orderMargin.plus(positionMargin).toFixed();
}

/** The same string as `marginUsedDecimal`, through the exact integer path when it applies. */
export function marginUsed(orderTickLots: number, inst: Instrument, leverage: number, positionMargin: string): string {
  return marginUsedExact(orderTickLots, inst, leverage, positionMargin) ?? marginUsedDecimal(orderTickLots, inst, leverage, positionMargin);
}

/** The exact integer path; null when it does not apply (the caller uses the reference). */
export function marginUsedExact(orderTickLots: number, inst: Instrument, leverage: number, positionMargin: string): string | null {
  if (!(Number.isSafeInteger(orderTickLots) && orderTickLots >= 0 && Number.isSafeInteger(leverage) && leverage > 0)) return null;
  if (!PLAIN_NON_NEGATIVE.test(positionMargin)) return null;
  const digits = Decimal.precision;
  // tickLots × tickSize (scale pd), × stepSize (scale pd + qd): each product must fit the precision.
  const withTick = BigInt(orderTickLots) * BigInt(inst.tickUnits);
  if (significantDigits(withTick) > digits) return null;
  const notional = withTick * BigInt(inst.stepUnits);
  if (significantDigits(notional) > digits) return null;
  let scale = inst.priceDecimals + inst.qtyDecimals;
  // ÷ leverage: exact once enough decimal places are added (leverage ≤ 125 needs at most 3 for 2^a·5^b).
  const lev = BigInt(leverage);
  let numerator = notional;
  let extra = 0;
  while (numerator % lev !== 0n) {
    if (++extra > 8) return null; // not a terminating decimal: decimal.js would round
    numerator *= 10n;
  }
  const orderMargin = numerator / lev;
  scale += extra;
  if (significantDigits(orderMargin) > digits) return null;
  // + positionMargin, aligned to the larger scale.
  const dot = positionMargin.indexOf('.');
  const posScale = dot < 0 ? 0 : positionMargin.length - dot - 1;
  const posUnits = BigInt(dot < 0 ? positionMargin : positionMargin.slice(0, dot) + positionMargin.slice(dot + 1));
  if (significantDigits(posUnits) > digits) return null; // decimal.js keeps it exact, but keep the reasoning simple
  const s = Math.max(scale, posScale);
  const sum = orderMargin * 10n ** BigInt(s - scale) + posUnits * 10n ** BigInt(s - posScale);
  if (significantDigits(sum) > digits) return null;
  return formatPlain(sum, s);
}

/** Digits of `n` without its trailing zeros (0 for 0). */
function significantDigits(n: bigint): number {
  if (n === 0n) return 0;
  const s = (n < 0n ? -n : n).toString();
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  return end;
}

/** `units / 10^scale` (units ≥ 0) in plain notation without trailing zeros, as decimal.js's toFixed() prints it. */
function formatPlain(units: bigint, scale: number): string {
  let u = units;
  let s = scale;
  while (s > 0 && u % 10n === 0n) {
    u /= 10n;
    s--;
  }
  if (s === 0) return u.toString();
  const str = u.toString().padStart(s + 1, '0');
  return `${str.slice(0, str.length - s)}.${str.slice(str.length - s)}`;
}
