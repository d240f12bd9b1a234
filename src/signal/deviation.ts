/**
 * Deviation of the mid from a reference price (mark or index): in ticks, mid − ref, and in basis
 * points, (mid − ref)/ref·10⁴. Positive when the book trades above the reference. Mark and index
 * prices carry more decimals than the tick, so they are held as float ticks (signals only).
 */
export class ReferenceDeviation {
  private readonly maxAgeUs: number;
  private refTicks = NaN;
  private refTsUs = NaN;

  constructor(maxAgeUs: number) {
    this.maxAgeUs = maxAgeUs;
  }

  /** A new reference price in float ticks (NaN clears it: the source had none). */
  set(tsUs: number, priceTicks: number): void {
    this.refTicks = priceTicks > 0 ? priceTicks : NaN;
    this.refTsUs = tsUs;
  }

  get priceTicks(): number {
    return this.refTicks;
  }

  /** Whether a reference is known and no older than the maximum age at `tsUs`. */
  isFresh(tsUs: number): boolean {
    return !Number.isNaN(this.refTicks) && tsUs - this.refTsUs <= this.maxAgeUs;
  }
}

/** (mid − ref) in ticks. */
export function deviationTicks(midTicks: number, refTicks: number): number {
  return midTicks - refTicks;
}

/** (mid − ref)/ref in basis points. */
export function deviationBps(midTicks: number, refTicks: number): number {
  return ((midTicks - refTicks) / refTicks) * 10_000;
}

/** A decimal price string → float ticks ("" → NaN). */
export function priceStringToTicks(price: string, tickSize: number): number {
  if (price.length === 0) return NaN;
  const p = Number(price);
  return Number.isFinite(p) ? p / tickSize : NaN;
}
