/**
 * The ledger of one symbol in one-way mode: signed position, exact cost basis, realized PnL, fees,
 * funding and the PnL decomposition. Pure arithmetic, no I/O.
 *
 * Units: money is a bigint of 10^-S units of the margin asset (S = moneyDecimals); quantities are
 * `lots × stepUnits` (10^-qd units of the base asset, qd = the instrument's qty decimals); prices are
 * kept at P = S − qd decimals, so quantity × price lands exactly on the money scale.
 *
 * Cost basis: `cost` is the signed value paid for the open position (Σ s·x·p of the opening fills,
 * long > 0, short < 0); the average entry price is cost / position, an exact fraction. Reducing
 * fills leave the average unchanged (average-cost method, as Binance): they release
 * cost × closed / |position| — the one rounding in the ledger, half-even to 10^-S, and the remaining
 * cost absorbs it, so realized + unrealized always equals the trades' cash flow plus position × mark
 * exactly. Closing the whole position releases the whole cost (no rounding). A fill that crosses
 * zero closes the old position at the fill price and opens the rest on the other side.
 */
import { ConfigError, InputError } from '../core/errors.ts';
import type { Side } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import type { Liquidity } from '../model/venue.ts';
import { divRoundHalfEven, pow10n, rescaleExact, type ScaledDecimal } from '../model/money.ts';

export class PositionLedger {
  readonly instrument: Instrument;
  readonly symbol: string;
  readonly marginAsset: string;
  /** Decimals of the money scale. */
  readonly moneyDecimals: number;
  /** Decimals at which prices are held (moneyDecimals − qty decimals). */
  readonly priceScale: number;
  /** 10^-qd units per lot. */
  readonly stepUnits: bigint;
  /** Price units per tick. */
  readonly tickPriceUnits: bigint;

  /** Signed position, lots. */
  lots = 0;
  /** Signed cost basis of the open position, money units. */
  cost = 0n;
  realized = 0n;
  fees = 0n;
  makerFees = 0n;
  takerFees = 0n;
  funding = 0n;
  spreadCapture = 0n;
  /** Inventory PnL accrued up to `lastRef`. */
  inventoryAccrued = 0n;
  /** Last reference price of the inventory leg (a mark or a fill mid), price units. */
  lastRef: bigint | null = null;
  /** Last mark price given by `mark` or a funding event, price units. */
  mark: bigint | null = null;
  fillCount = 0;
  boughtLots = 0;
  soldLots = 0;

  constructor(instrument: Instrument, moneyDecimals: number) {
    this.instrument = instrument;
    this.symbol = instrument.symbol;
    this.marginAsset = instrument.spec.marginAsset;
    this.moneyDecimals = moneyDecimals;
    this.priceScale = moneyDecimals - instrument.qtyDecimals;
    // One extra decimal beyond the tick so that half-tick mids are exact.
    if (this.priceScale - instrument.priceDecimals < 1) {
      throw new ConfigError(`moneyDecimals ${moneyDecimals} is too small for ${this.symbol}: need at least ${instrument.qtyDecimals + instrument.priceDecimals + 1}`, { field: 'moneyDecimals' });
    }
    this.stepUnits = BigInt(instrument.stepUnits);
    this.tickPriceUnits = BigInt(instrument.tickUnits) * pow10n(this.priceScale - instrument.priceDecimals);
  }

  /** Signed position in 10^-qd units of the base asset. */
  qtyUnits(): bigint {
    return BigInt(this.lots) * this.stepUnits;
  }

  /** Price units of a tick count (integer or half-tick). */
  ticksToPriceUnits(ticks: number, field: string): bigint {
    const twice = ticks * 2;
    if (!Number.isSafeInteger(twice)) throw new InputError(`${this.symbol}: ${field} must be a whole or half tick count, got ${ticks}`, { field });
    return (BigInt(twice) * this.tickPriceUnits) / 2n;
  }

  /** Price units of an exact decimal price string. */
  priceToUnits(price: ScaledDecimal, field: string, original: string): bigint {
    return rescaleExact(price, this.priceScale, `${this.symbol}.${field}`, original);
  }

  /** The valuation price: the last mark, or the last fill mid while no mark was ever given. */
  valuationPrice(): bigint | null {
    return this.mark ?? this.lastRef;
  }

  /** position × valuation − cost (0 when flat or never valued). */
  unrealized(): bigint {
    const v = this.valuationPrice();
    if (this.lots === 0 || v === null) return 0n;
    return this.qtyUnits() * v - this.cost;
  }

  /** Inventory PnL including the revaluation from the last reference price to the valuation price. */
  inventoryToNow(): bigint {
    const v = this.valuationPrice();
    if (this.lots === 0 || v === null || this.lastRef === null) return this.inventoryAccrued;
    return this.inventoryAccrued + this.qtyUnits() * (v - this.lastRef);
  }

  /** |position| × valuation, money units. */
  notional(): bigint {
    const v = this.valuationPrice();
    if (this.lots === 0 || v === null) return 0n;
    const n = this.qtyUnits() * v;
    return n < 0n ? -n : n;
  }

  /** Moves the inventory reference to `ref`, accruing position × (ref − lastRef). */
  private moveReference(ref: bigint): void {
    if (this.lots !== 0 && this.lastRef !== null) this.inventoryAccrued += this.qtyUnits() * (ref - this.lastRef);
    this.lastRef = ref;
  }

  applyMark(priceUnits: bigint): void {
    this.moveReference(priceUnits);
    this.mark = priceUnits;
  }

  /**
   * Books one fill. Returns the realized PnL of the fill (money units); the fee is booked here too,
   * the caller moves the wallet by `realized − fee`.
   */
  applyFill(side: Side, qtyLots: number, priceTicks: number, feeUnits: bigint, liquidity: Liquidity, midTicks: number | undefined): bigint {
    if (!Number.isSafeInteger(qtyLots) || qtyLots <= 0) throw new InputError(`${this.symbol}: fill quantity must be a positive integer of lots, got ${qtyLots}`, { field: 'qtyLots' });
    if (!Number.isSafeInteger(priceTicks) || priceTicks <= 0) throw new InputError(`${this.symbol}: fill price must be a positive integer of ticks, got ${priceTicks}`, { field: 'priceTicks' });
    const sign = side === 'buy' ? 1 : -1;
    const price = BigInt(priceTicks) * this.tickPriceUnits;
    const mid = midTicks === undefined ? price : this.ticksToPriceUnits(midTicks, 'midTicks');

    // Decomposition: revalue the inventory at this fill's mid, then book the spread captured.
    this.moveReference(mid);
    const qty = BigInt(qtyLots) * this.stepUnits;
    this.spreadCapture += sign > 0 ? qty * (mid - price) : qty * (price - mid);

    this.fees += feeUnits;
    if (liquidity === 'maker') this.makerFees += feeUnits;
    else this.takerFees += feeUnits;
    this.fillCount++;
    if (sign > 0) this.boughtLots += qtyLots;
    else this.soldLots += qtyLots;

    let realized = 0n;
    let remaining = qtyLots;
    if (this.lots !== 0 && Math.sign(this.lots) !== sign) {
      const held = Math.abs(this.lots);
      const closing = Math.min(remaining, held);
      const released = closing === held ? this.cost : divRoundHalfEven(this.cost * BigInt(closing), BigInt(held));
      const closedValue = BigInt(closing) * this.stepUnits * price;
      // Closing a long sells (receives value); closing a short buys (pays value).
      realized = (sign < 0 ? closedValue : -closedValue) - released;
      this.cost -= released;
      this.lots += sign * closing;
      remaining -= closing;
    }
    if (remaining > 0) {
      const openedValue = BigInt(remaining) * this.stepUnits * price;
      this.cost += sign > 0 ? openedValue : -openedValue;
      this.lots += sign * remaining;
    }
    this.realized += realized;
    return realized;
  }

  /** −position × mark × rate, rounded half-even to the money scale only if it has more decimals. */
  fundingPayment(markUnits: bigint, rate: ScaledDecimal): bigint {
    if (this.lots === 0) return 0n;
    return divRoundHalfEven(-this.qtyUnits() * markUnits * rate.units, pow10n(rate.scale));
  }

  bookFunding(payment: bigint): void {
    this.funding += payment;
  }
}
