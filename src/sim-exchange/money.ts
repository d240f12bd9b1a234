/**
 * The simulated exchange's money: commission and funding payments as decimal strings, computed
 * exactly (model/money.ts) from integer ticks/lots and the decimal strings of rates and mark prices.
 * Nothing here rounds: a commission of 0.0002 × 61800.1 × 0.001 is "0.00001236002".
 * Called per fill, per funding settlement and per mark price, never per book event.
 */
import type { Instrument } from '../model/instrument.ts';
import { compareScaled, divCeil, divFloor, formatScaled, mulScaled, pow10n, type ScaledDecimal } from '../model/money.ts';

/** Price of `ticks` as an exact decimal of the instrument. */
export function priceExact(inst: Instrument, ticks: number): ScaledDecimal {
  return { units: BigInt(ticks) * BigInt(inst.tickUnits), scale: inst.priceDecimals };
}

/** Quantity of `lots` as an exact decimal of the instrument. */
export function qtyExact(inst: Instrument, lots: number): ScaledDecimal {
  return { units: BigInt(lots) * BigInt(inst.stepUnits), scale: inst.qtyDecimals };
}

/** Commission of one fill: price × qty × rate (negative rate = rebate, returned negative). */
export function commission(inst: Instrument, priceTicks: number, lots: number, rate: ScaledDecimal): string {
  if (rate.units === 0n) return '0';
  const fee = mulScaled(mulScaled(priceExact(inst, priceTicks), qtyExact(inst, lots)), rate);
  return formatScaled(fee.units, fee.scale);
}

/**
 * Funding payment received by the position holder: −position × mark × rate (positive rate: longs
 * pay, so a long receives a negative amount).
 */
export function fundingPayment(inst: Instrument, positionLots: number, mark: ScaledDecimal, rate: ScaledDecimal): string {
  const p = mulScaled(mulScaled(qtyExact(inst, positionLots), mark), rate);
  return formatScaled(-p.units, p.scale);
}

/** `floor(x / tick)` for buys or `ceil(x / tick)` for sells: the band edge of PERCENT_PRICE in ticks. */
export function bandEdgeTicks(inst: Instrument, x: ScaledDecimal, roundUp: boolean): number {
  // ticks = x.units / 10^x.scale / (tickUnits / 10^priceDecimals)
  const num = x.units * pow10n(inst.priceDecimals);
  const den = BigInt(inst.tickUnits) * pow10n(x.scale);
  return Number(roundUp ? divCeil(num, den) : divFloor(num, den));
}

/** Compare price × qty ≥ threshold exactly (the MIN_NOTIONAL check of a MARKET order at the mark). */
export function notionalAtLeast(inst: Instrument, price: ScaledDecimal, lots: number, threshold: ScaledDecimal): boolean {
  return compareScaled(mulScaled(price, qtyExact(inst, lots)), threshold) >= 0;
}
