/**
 * Instruments and their Binance filters.
 *
 * Prices are integer ticks and quantities integer lots: `ticks = price / tickSize`,
 * `lots = qty / stepSize`, both exact. An `Instrument` converts between the exchange's decimal
 * strings and ticks/lots without floats. Filters change over time, so every spec carries where it
 * came from and the date of that source; that travels with every dataset and report.
 *
 * Money limits are precomputed here, once per instrument, in the integer units every consumer
 * (strategy, risk, the simulated exchange) checks them in: a "tick-lot" is the notional of one lot at
 * a price of one tick (tickSize × stepSize, quote asset), so the notional of `lots` at `ticks` is
 * exactly `ticks × lots` tick-lots.
 */
import { InputError, MissingSpecError, NumberFormatError } from '../core/errors.ts';
import { formatFixed, parseFixed, pow10, significantDecimals } from './decimal.ts';
import { compareScaled, divCeil, divFloor, parseDecimal, pow10n, rescaleExact, type ScaledDecimal } from './money.ts';

export interface SpecSource {
  /** `exchangeInfo`: loaded from a Binance payload; `inferred`: tick and step guessed from data. */
  kind: 'exchangeInfo' | 'inferred' | 'manual';
  /** File the spec was read from, if any. */
  file?: string;
  /** Date the source describes (exchangeInfo `serverTime`, or the first data timestamp), ISO-8601 UTC. */
  asOf: string;
}

export interface InstrumentSpec {
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  marginAsset: string;
  contractType: string;
  /** PRICE_FILTER */
  tickSize: string;
  minPrice: string;
  maxPrice: string;
  /** LOT_SIZE */
  stepSize: string;
  minQty: string;
  maxQty: string;
  /** MARKET_LOT_SIZE (falls back to LOT_SIZE) */
  marketMinQty: string;
  marketMaxQty: string;
  /** MIN_NOTIONAL, in the quote asset */
  minNotional: string;
  /** PERCENT_PRICE: a limit price must lie within [mark × down, mark × up]; absent when unknown. */
  percentPrice?: { multiplierUp: string; multiplierDown: string };
  /** MAX_NUM_ORDERS; absent when unknown. */
  maxNumOrders?: number;
  source: SpecSource;
}

/**
 * PERCENT_PRICE multipliers (a limit price must lie within [mark × down, mark × up]) in the two forms
 * their users need, both exact: decimals for a mark price that is itself a decimal (the simulated
 * exchange), and safe integers over a common power of ten for a mark in ticks (risk).
 */
export interface PercentPriceUnits {
  /** multiplierUp / multiplierDown at the common `scale`. */
  readonly up: ScaledDecimal;
  readonly down: ScaledDecimal;
  /** up.units and down.units as numbers: multiplier = units / unit (1.05, 0.95 → 105, 95 over 100). */
  readonly upUnits: number;
  readonly downUnits: number;
  /** 10^scale. */
  readonly unit: number;
}

export class Instrument {
  readonly spec: InstrumentSpec;
  readonly symbol: string;
  /** Decimals in which prices are written (at least those of tickSize). */
  readonly priceDecimals: number;
  /** tickSize × 10^priceDecimals, an integer. */
  readonly tickUnits: number;
  readonly qtyDecimals: number;
  readonly stepUnits: number;
  readonly minQtyLots: number;
  readonly maxQtyLots: number;
  readonly minPriceTicks: number;
  readonly maxPriceTicks: number;
  /** MARKET_LOT_SIZE in lots, rounded inwards like LOT_SIZE. */
  readonly marketMinQtyLots: number;
  readonly marketMaxQtyLots: number;
  /** The notional of one lot at one tick, tickSize × stepSize (quote asset), exact. */
  readonly tickLot: ScaledDecimal;
  /** MIN_NOTIONAL (quote asset), exact. */
  readonly minNotional: ScaledDecimal;
  /**
   * MIN_NOTIONAL in tick-lots, rounded up (0 when the spec has none): for integers ticks, lots ≥ 0,
   * `ticks × lots ≥ minNotionalTickLots` ⇔ the exact notional ≥ MIN_NOTIONAL, because
   * n ≥ ⌈a/b⌉ ⇔ n·b ≥ a for an integer n. Above 2^53 the number is rounded, but stays ≥ 2^53 and so
   * above every safe product: the comparison is still the exact answer for safe integers.
   */
  readonly minNotionalTickLots: number;
  /** PERCENT_PRICE; null when the spec does not have it. */
  readonly percentPrice: PercentPriceUnits | null;

  constructor(spec: InstrumentSpec) {
    this.spec = spec;
    this.symbol = spec.symbol;
    this.priceDecimals = Math.max(significantDecimals(spec.tickSize), 0);
    this.tickUnits = parseFixed(spec.tickSize, this.priceDecimals);
    this.qtyDecimals = Math.max(significantDecimals(spec.stepSize), 0);
    this.stepUnits = parseFixed(spec.stepSize, this.qtyDecimals);
    if (this.tickUnits <= 0) throw new InputError(`tickSize must be positive, got "${spec.tickSize}"`, { field: `${spec.symbol}.tickSize` });
    if (this.stepUnits <= 0) throw new InputError(`stepSize must be positive, got "${spec.stepSize}"`, { field: `${spec.symbol}.stepSize` });
    this.minQtyLots = Math.ceil(parseFixed(spec.minQty, this.qtyDecimals) / this.stepUnits);
    this.maxQtyLots = Math.floor(parseFixed(spec.maxQty, this.qtyDecimals) / this.stepUnits);
    this.minPriceTicks = Math.ceil(parseFixed(spec.minPrice, this.priceDecimals) / this.tickUnits);
    this.maxPriceTicks = Math.floor(parseFixed(spec.maxPrice, this.priceDecimals) / this.tickUnits);
    this.marketMinQtyLots = Math.ceil(parseFixed(spec.marketMinQty, this.qtyDecimals) / this.stepUnits);
    this.marketMaxQtyLots = Math.floor(parseFixed(spec.marketMaxQty, this.qtyDecimals) / this.stepUnits);
    this.tickLot = { units: BigInt(this.tickUnits) * BigInt(this.stepUnits), scale: this.priceDecimals + this.qtyDecimals };
    this.minNotional = parseDecimal(spec.minNotional, `${spec.symbol}.minNotional`);
    this.minNotionalTickLots = this.minNotional.units > 0n ? Number(this.toTickLots(this.minNotional, 'ceil')) : 0;
    this.percentPrice = spec.percentPrice ? percentPriceUnits(spec.symbol, spec.percentPrice) : null;
  }

  /**
   * An amount of the quote asset in whole tick-lots, rounded as asked: `floor` for a cap (never
   * looser than the decimal limit), `ceil` for a minimum.
   */
  toTickLots(amount: ScaledDecimal, rounding: 'floor' | 'ceil'): bigint {
    // amount / tickLot = (amount.units / 10^amount.scale) / (tickLot.units / 10^tickLot.scale)
    const num = amount.units * pow10n(this.tickLot.scale);
    const den = this.tickLot.units * pow10n(amount.scale);
    return rounding === 'floor' ? divFloor(num, den) : divCeil(num, den);
  }

  /** Exact price string → ticks. Throws E_OFF_GRID if the price is not on the tick grid. */
  priceToTicks(price: string): number {
    const units = parseOnGrid(price, this.priceDecimals);
    const t = units / this.tickUnits;
    if (!Number.isInteger(t)) throw new NumberFormatError(`price ${price} is not a multiple of tick size ${this.spec.tickSize} (${this.symbol})`, 'E_OFF_GRID');
    return t;
  }

  /** Exact quantity string → lots. Throws E_OFF_GRID if the quantity is not a multiple of the step. */
  qtyToLots(qty: string): number {
    const units = parseOnGrid(qty, this.qtyDecimals);
    const l = units / this.stepUnits;
    if (!Number.isInteger(l)) throw new NumberFormatError(`quantity ${qty} is not a multiple of step size ${this.spec.stepSize} (${this.symbol})`, 'E_OFF_GRID');
    return l;
  }

  ticksToPrice(ticks: number): string {
    return formatFixed(ticks * this.tickUnits, this.priceDecimals);
  }

  lotsToQty(lots: number): string {
    return formatFixed(lots * this.stepUnits, this.qtyDecimals);
  }

  /** Float price, for signals and statistics only (never for the ledger or the wire). */
  ticksToFloat(ticks: number): number {
    return (ticks * this.tickUnits) / 10 ** this.priceDecimals;
  }

  lotsToFloat(lots: number): number {
    return (lots * this.stepUnits) / 10 ** this.qtyDecimals;
  }

  /**
   * Whether price × qty ≥ MIN_NOTIONAL, exactly. Integer ticks and lots whose product is a safe
   * integer (every real order) compare tick-lots; anything else takes BigInt. Runs for every quote
   * of every decision.
   */
  meetsMinNotional(ticks: number, lots: number): boolean {
    const tickLots = ticks * lots;
    // A product of non-negative integers that is a safe integer is exact (an inexact one is ≥ 2^53).
    if (Number.isSafeInteger(tickLots) && Number.isInteger(ticks) && Number.isInteger(lots) && ticks >= 0 && lots >= 0) return tickLots >= this.minNotionalTickLots;
    const notional = { units: BigInt(ticks) * BigInt(lots) * this.tickLot.units, scale: this.tickLot.scale };
    return compareScaled(notional, this.minNotional) >= 0;
  }
}

function percentPriceUnits(symbol: string, pp: { multiplierUp: string; multiplierDown: string }): PercentPriceUnits {
  const field = `${symbol}.percentPrice`;
  const up = parseDecimal(pp.multiplierUp, `${field}.multiplierUp`);
  const down = parseDecimal(pp.multiplierDown, `${field}.multiplierDown`);
  const scale = Math.max(up.scale, down.scale);
  const upUnits = rescaleExact(up, scale);
  const downUnits = rescaleExact(down, scale);
  const safe = (u: bigint, s: string): number => {
    if (u > BigInt(Number.MAX_SAFE_INTEGER) || u < -BigInt(Number.MAX_SAFE_INTEGER)) throw new NumberFormatError(`${field}: "${s}" is too large to represent exactly at ${scale} decimals`, 'E_NUMBER', { field });
    return Number(u);
  };
  return {
    up: { units: upUnits, scale },
    down: { units: downUnits, scale },
    upUnits: safe(upUnits, pp.multiplierUp),
    downUnits: safe(downUnits, pp.multiplierDown),
    unit: pow10(scale),
  };
}

/** parseFixed, but "too many decimals" reads as "off the grid" (NaN, which fails the caller's check). */
function parseOnGrid(s: string, decimals: number): number {
  try {
    return parseFixed(s, decimals);
  } catch (e) {
    if (e instanceof NumberFormatError && e.code === 'E_OFF_GRID') return NaN;
    throw e;
  }
}

/**
 * A spec guessed from observed prices and quantities: the tick is 10^-d for the finest number of
 * (significant) price decimals seen, the step likewise. Filters that cannot be observed are left
 * permissive. Callers must warn the user that the spec is inferred.
 */
export function inferSpec(symbol: string, samplePrices: Iterable<string>, sampleQtys: Iterable<string>, asOf: string): InstrumentSpec {
  let pd = 0;
  let qd = 0;
  for (const p of samplePrices) pd = Math.max(pd, significantDecimals(p));
  for (const q of sampleQtys) qd = Math.max(qd, significantDecimals(q));
  const tick = formatFixed(1, pd);
  const step = formatFixed(1, qd);
  const quote = /(USDT|USDC|BUSD|USD)$/.exec(symbol)?.[1] ?? '';
  return {
    symbol,
    baseAsset: quote ? symbol.slice(0, -quote.length) : symbol,
    quoteAsset: quote,
    marginAsset: quote,
    contractType: 'PERPETUAL',
    tickSize: tick,
    minPrice: tick,
    maxPrice: '1000000000',
    stepSize: step,
    minQty: step,
    maxQty: '1000000000',
    marketMinQty: step,
    marketMaxQty: '1000000000',
    minNotional: '0',
    source: { kind: 'inferred', asOf },
  };
}

/** Specs by symbol. A lookup of an unknown symbol is a `MissingSpecError`, never a silent default. */
export class SpecRegistry {
  private readonly specs = new Map<string, Instrument>();

  add(spec: InstrumentSpec): void {
    this.specs.set(spec.symbol.toUpperCase(), new Instrument(spec));
  }

  addAll(specs: Iterable<InstrumentSpec>): void {
    for (const s of specs) this.add(s);
  }

  has(symbol: string): boolean {
    return this.specs.has(symbol.toUpperCase());
  }

  get(symbol: string): Instrument {
    const inst = this.specs.get(symbol.toUpperCase());
    if (!inst) throw new MissingSpecError(symbol, 'pass --spec <exchangeInfo.json> with this symbol, or --infer-spec to infer tick and step from the data');
    return inst;
  }

  symbols(): string[] {
    return [...this.specs.keys()].sort();
  }
}
