/**
 * Exact money for the simulated exchange: commission and funding payments as decimal strings,
 * computed in BigInt from integer ticks/lots and the decimal strings of rates and mark prices.
 * Nothing here rounds: a commission of 0.0002 × 61800.1 × 0.001 is "0.00001236002".
 * Called per fill and per funding settlement, never per market event.
 */
import { InputError } from '../core/errors.ts';
import type { Instrument } from '../model/instrument.ts';

/** `units / 10^scale`, exactly. */
export interface ExactDecimal {
  units: bigint;
  scale: number;
}

const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?$/;

export function parseExact(s: string, field: string): ExactDecimal {
  const m = DECIMAL_RE.exec(s.trim());
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) throw new InputError(`"${s}" is not a decimal number`, { field });
  const frac = m[3] ?? '';
  const units = BigInt(`${m[2] || '0'}${frac}`);
  return { units: m[1] === '-' ? -units : units, scale: frac.length };
}

/** Canonical decimal string: no trailing fractional zeros, "0" for zero, "-" only when negative. */
export function formatExact(d: ExactDecimal): string {
  let u = d.units;
  let scale = d.scale;
  while (scale > 0 && u % 10n === 0n) {
    u /= 10n;
    scale--;
  }
  const neg = u < 0n;
  const digits = (neg ? -u : u).toString();
  let out: string;
  if (scale === 0) out = digits;
  else if (digits.length > scale) out = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  else out = `0.${digits.padStart(scale, '0')}`;
  return neg ? `-${out}` : out;
}

function mul(a: ExactDecimal, b: ExactDecimal): ExactDecimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** Price of `ticks` as an exact decimal of the instrument. */
export function priceExact(inst: Instrument, ticks: number): ExactDecimal {
  return { units: BigInt(ticks) * BigInt(inst.tickUnits), scale: inst.priceDecimals };
}

/** Quantity of `lots` as an exact decimal of the instrument. */
export function qtyExact(inst: Instrument, lots: number): ExactDecimal {
  return { units: BigInt(lots) * BigInt(inst.stepUnits), scale: inst.qtyDecimals };
}

/** Commission of one fill: price × qty × rate (negative rate = rebate, returned negative). */
export function commission(inst: Instrument, priceTicks: number, lots: number, rate: ExactDecimal): string {
  if (rate.units === 0n) return '0';
  return formatExact(mul(mul(priceExact(inst, priceTicks), qtyExact(inst, lots)), rate));
}

/**
 * Funding payment received by the position holder: −position × mark × rate (positive rate: longs
 * pay, so a long receives a negative amount).
 */
export function fundingPayment(inst: Instrument, positionLots: number, mark: ExactDecimal, rate: ExactDecimal): string {
  const p = mul(mul(qtyExact(inst, positionLots), mark), rate);
  return formatExact({ units: -p.units, scale: p.scale });
}

/** `floor(x / tick)` for buys or `ceil(x / tick)` for sells: the band edge of PERCENT_PRICE in ticks. */
export function bandEdgeTicks(inst: Instrument, x: ExactDecimal, roundUp: boolean): number {
  // ticks = x.units / 10^x.scale / (tickUnits / 10^priceDecimals)
  const num = x.units * 10n ** BigInt(inst.priceDecimals);
  const den = BigInt(inst.tickUnits) * 10n ** BigInt(x.scale);
  let q = num / den;
  const r = num % den;
  if (r !== 0n) {
    if (roundUp && num > 0n) q += 1n;
    if (!roundUp && num < 0n) q -= 1n;
  }
  return Number(q);
}

export function mulExact(a: ExactDecimal, b: ExactDecimal): ExactDecimal {
  return mul(a, b);
}

/** Compare price × qty ≥ threshold exactly (the MIN_NOTIONAL check of a MARKET order at the mark). */
export function notionalAtLeast(inst: Instrument, price: ExactDecimal, lots: number, threshold: ExactDecimal): boolean {
  const n = mul(price, qtyExact(inst, lots));
  const scale = Math.max(n.scale, threshold.scale);
  return n.units * 10n ** BigInt(scale - n.scale) >= threshold.units * 10n ** BigInt(scale - threshold.scale);
}
