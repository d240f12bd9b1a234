/**
 * The exchange-side account of the simulated exchange: one cross-margin wallet in the margin asset
 * backing every position, Binance's leverage brackets, the initial-margin check of a new order
 * (-2019 "Margin is insufficient.") and liquidation at maintenance margin. docs/SIM_EXCHANGE.md §4
 * has the long form.
 *
 * Money. The wallet (deposit − commissions ± funding − insurance clearance) is an exact decimal;
 * the trading cash of each symbol is kept in tick-lots (Σ −signed lots × price ticks, an exact
 * integer), so equity = wallet + Σ (cash + position × reference price) needs no entry price and no
 * rounding. Margin arithmetic runs on bigints at 10^-24 of the margin asset.
 *
 * Reference price of a symbol: its last mark price (markPrice stream), else the replayed book mid,
 * else none (a symbol without a price has no margin requirement and cannot be liquidated).
 *
 * Initial margin (Binance: notional / leverage). Open orders are charged as the position they would
 * make if every order of one side filled: a symbol needs
 *   max(|q + Σ buy lots open|, |q − Σ sell lots open|) × reference price / leverage,
 * so orders that only reduce the position need nothing and the two sides are not added up (the
 * simplification of Binance's per-side open-order margin that keeps the check exact and cheap).
 * A new order (not reduce-only) is rejected -2019 when it raises its symbol's requirement and
 * equity − Σ initial margin of every symbol would then be below 0. Modifies are not checked.
 *
 * Maintenance margin (Binance): notional × maintMarginRatio − cum, with the tier of the position's
 * notional. Liquidation: when equity ≤ Σ maintenance margin (cross: the whole wallet backs every
 * position) the exchange cancels every open order and closes every position at its reference price
 * (ticks rounded against us) with `autoclose-` orders reported as Binance reports them
 * (execution type CALCULATED, status FILLED, taker commission), plus the insurance clearance fee
 * (notional × liquidationFeeRate, at most what is left of the equity) in `insuranceClearance`.
 * Equity below 0 after the close stays negative (no socialised loss).
 *
 * Cost: the exact check runs on every mark price, fill and funding settlement; between them a book
 * move is compared with a per-symbol trigger price in ticks (recomputed on those, and at most every
 * second of exchange time while a position is open, so other symbols' moves are followed).
 */
import { ConfigError } from '../core/errors.ts';
import type { Instrument } from '../model/instrument.ts';
import { addScaled, divFloor, mulScaled, parseDecimal, pow10n, type ScaledDecimal } from '../model/money.ts';
import { bracketFor, initialMargin, liquidationPrice8, maintenanceMargin, parseBrackets, RATIO_DECIMALS, type ParsedBracket } from '../portfolio/index.ts';

/** Money scale of the margin arithmetic (10^-24 of the margin asset). */
const M = 24;

/** One tier of Binance's leverage brackets (`GET /fapi/v1/leverageBracket`). */
export interface LeverageBracket {
  /** Upper bound of the position notional of this tier, quote asset; "" = unbounded. */
  notionalCap: string;
  /** Highest leverage allowed in this tier. */
  initialLeverage: number;
  /** Maintenance margin rate, decimal fraction. */
  maintMarginRatio: string;
  /** Maintenance amount subtracted from notional × rate. */
  cum: string;
}

const tiers = (rows: [string, number, string, string][]): LeverageBracket[] => rows.map(([notionalCap, initialLeverage, maintMarginRatio, cum]) => ({ notionalCap, initialLeverage, maintMarginRatio, cum }));

/**
 * Binance's published USDⓈ-M brackets of the symbols we ship (2024; `cum` of each tier is the
 * previous cum + floor × (rate − previous rate)). Check `GET /fapi/v1/leverageBracket` and
 * override with `account.brackets.<SYMBOL>` when they change.
 */
export const DEFAULT_LEVERAGE_BRACKETS: Readonly<Record<string, readonly LeverageBracket[]>> = {
  BTCUSDT: tiers([
    ['50000', 125, '0.004', '0'],
    ['600000', 100, '0.005', '50'],
    ['3000000', 75, '0.0065', '950'],
    ['12000000', 50, '0.01', '11450'],
    ['70000000', 25, '0.02', '131450'],
    ['100000000', 20, '0.025', '481450'],
    ['230000000', 10, '0.05', '2981450'],
    ['480000000', 5, '0.1', '14481450'],
    ['600000000', 4, '0.125', '26481450'],
    ['800000000', 3, '0.15', '41481450'],
    ['1200000000', 2, '0.25', '121481450'],
    ['', 1, '0.5', '421481450'],
  ]),
  ETHUSDT: tiers([
    ['50000', 100, '0.005', '0'],
    ['600000', 75, '0.0065', '75'],
    ['3000000', 50, '0.01', '2175'],
    ['12000000', 25, '0.02', '32175'],
    ['50000000', 20, '0.025', '92175'],
    ['65000000', 10, '0.05', '1342175'],
    ['150000000', 5, '0.1', '4592175'],
    ['320000000', 4, '0.125', '8342175'],
    ['400000000', 3, '0.15', '16342175'],
    ['530000000', 2, '0.25', '56342175'],
    ['', 1, '0.5', '188842175'],
  ]),
};

/** Brackets of a symbol without a table: one unbounded tier at 1 % maintenance (conservative for a small alt). */
export const FALLBACK_LEVERAGE_BRACKETS: readonly LeverageBracket[] = tiers([['', 50, '0.01', '0']]);

/** Binance's insurance clearance fee of BTCUSDT/ETHUSDT (exchangeInfo `liquidationFee`). */
export const DEFAULT_LIQUIDATION_FEE_RATE = '0.0125';

export interface SimAccountConfig {
  /** Wallet at the start, margin asset, exact decimal. */
  balance: string;
  /** Leverage of every symbol (or per symbol), 1..125. */
  leverage: number | Readonly<Record<string, number>>;
  /** Brackets per symbol replacing `DEFAULT_LEVERAGE_BRACKETS` (symbols not listed keep the defaults). */
  brackets?: Readonly<Record<string, readonly LeverageBracket[]>>;
  /** Insurance clearance fee of a liquidation as a fraction of the closed notional (default 0.0125). */
  liquidationFeeRate?: string;
}

/** What the account reads of a symbol's exchange state. */
export interface MarginSymbol {
  readonly inst: Instrument;
  readonly positionLots: number;
  readonly mark: ScaledDecimal | null;
  midExact(): ScaledDecimal | null;
  /** Σ remaining lots of open buy / sell orders that are not reduce-only. */
  openLots(isBuy: boolean): number;
}

interface SymbolAccount {
  /** Changed by `changeLeverage` (Binance `POST /fapi/v1/leverage`). */
  leverage: number;
  readonly brackets: ParsedBracket[];
  /** Σ −signed lots × price ticks of every fill (exact). */
  cashTickLots: bigint;
  /** Reference price in ticks at or beyond which the position is liquidated (NaN: none). */
  triggerTicks: number;
}

function toM(d: ScaledDecimal): bigint {
  return d.scale <= M ? d.units * pow10n(M - d.scale) : divFloor(d.units, pow10n(d.scale - M));
}

export class SimAccount {
  /** deposit − commissions ± funding − insurance clearance, exact. */
  private wallet: ScaledDecimal;
  private readonly perSymbol = new Map<string, SymbolAccount>();
  readonly liquidationFeeRate: ScaledDecimal;
  /** Exchange time of the last trigger refresh, µs. */
  lastRefreshUs = -Infinity;

  constructor(
    cfg: SimAccountConfig,
    instruments: readonly Instrument[],
  ) {
    this.wallet = parseDecimal(cfg.balance, 'account.balance');
    this.liquidationFeeRate = parseDecimal(cfg.liquidationFeeRate ?? DEFAULT_LIQUIDATION_FEE_RATE, 'account.liquidationFeeRate');
    for (const inst of instruments) {
      const sym = inst.symbol;
      const leverage = typeof cfg.leverage === 'number' ? cfg.leverage : cfg.leverage[sym] ?? 1;
      const where = `account.brackets.${sym}`;
      if (!Number.isInteger(leverage) || leverage < 1 || leverage > 125) throw new ConfigError(`account.leverage of ${sym} must be an integer in 1..125, got ${leverage}`, { field: 'account.leverage' });
      const table = cfg.brackets?.[sym] ?? DEFAULT_LEVERAGE_BRACKETS[sym] ?? FALLBACK_LEVERAGE_BRACKETS;
      for (const [i, t] of table.entries()) {
        if (!Number.isInteger(t.initialLeverage) || t.initialLeverage < 1) throw new ConfigError(`${where}[${i}].initialLeverage must be a positive integer, got ${t.initialLeverage}`, { field: `${where}[${i}].initialLeverage` });
      }
      if (leverage > table[0].initialLeverage) throw new ConfigError(`account.leverage ${leverage} is above ${sym}'s highest leverage ${table[0].initialLeverage} (${where})`, { field: 'account.leverage' });
      this.perSymbol.set(sym, { leverage, brackets: parseBrackets(table.map((t) => ({ notionalCap: t.notionalCap, maintMarginRatio: t.maintMarginRatio, cum: t.cum })), M, where), cashTickLots: 0n, triggerTicks: NaN });
    }
  }

  /** A fill of `signedLots` at `priceTicks` with `commission` (exact decimal string). */
  onFill(symbol: string, signedLots: number, priceTicks: number, commission: string): void {
    const a = this.must(symbol);
    a.cashTickLots -= BigInt(signedLots) * BigInt(priceTicks);
    if (commission !== '0') this.wallet = addScaled(this.wallet, negate(parseDecimal(commission, `${symbol}.commission`)));
  }

  /** A funding payment received (negative = paid). */
  onFunding(payment: string, symbol: string): void {
    if (payment !== '0') this.wallet = addScaled(this.wallet, parseDecimal(payment, `${symbol}.funding`));
  }

  /** An amount taken from the wallet (insurance clearance). */
  debit(amount: ScaledDecimal): void {
    this.wallet = addScaled(this.wallet, negate(amount));
  }

  /** Reference price of a symbol: mark, else mid, else null. */
  refPrice(s: MarginSymbol): ScaledDecimal | null {
    return s.mark ?? s.midExact();
  }

  /** Equity = wallet + Σ (cash + position × reference), at 10^-24. */
  equityM(states: readonly MarginSymbol[]): bigint {
    let e = toM(this.wallet);
    for (const s of states) {
      const a = this.must(s.inst.symbol);
      if (a.cashTickLots !== 0n) e += toM({ units: a.cashTickLots * s.inst.tickLot.units, scale: s.inst.tickLot.scale });
      if (s.positionLots !== 0) {
        const ref = this.refPrice(s);
        if (ref !== null) e += toM(mulScaled(qty(s.inst, s.positionLots), ref));
      }
    }
    return e;
  }

  /** Notional of `lots` (≥ 0) at `price`, 10^-24. */
  private notionalM(inst: Instrument, lots: number, price: ScaledDecimal): bigint {
    return toM(mulScaled(qty(inst, lots), price));
  }

  /** Initial margin of a symbol with `extraBuy`/`extraSell` more open lots, at `price`. */
  private initialM(s: MarginSymbol, price: ScaledDecimal, extraBuy: number, extraSell: number): bigint {
    const a = this.must(s.inst.symbol);
    const q = s.positionLots;
    const worst = Math.max(Math.abs(q + s.openLots(true) + extraBuy), Math.abs(q - s.openLots(false) - extraSell));
    return worst === 0 ? 0n : initialMargin(this.notionalM(s.inst, worst, price), a.leverage);
  }

  /**
   * Whether a new order of `lots` on `side` of `s` (not reduce-only) passes the initial-margin check.
   * `orderPrice` values the symbol when it has no reference price yet (null for MARKET: then it passes).
   */
  entryAllowed(states: readonly MarginSymbol[], s: MarginSymbol, isBuy: boolean, lots: number, orderPrice: ScaledDecimal | null): boolean {
    const price = this.refPrice(s) ?? orderPrice;
    if (price === null) return true;
    const before = this.initialM(s, price, 0, 0);
    const after = this.initialM(s, price, isBuy ? lots : 0, isBuy ? 0 : lots);
    if (after <= before) return true;
    let used = after;
    for (const o of states) {
      if (o === s) continue;
      const p = this.refPrice(o);
      if (p !== null) used += this.initialM(o, p, 0, 0);
    }
    return this.equityM(states) - used >= 0n;
  }

  /**
   * A new leverage of `symbol` (1..its highest, checked by the caller). Lowering it is refused
   * (false, nothing changed) when equity would no longer cover the initial margin of every symbol
   * (Binance -2028 "Leverage is smaller than permitted: insufficient margin balance.").
   */
  changeLeverage(states: readonly MarginSymbol[], symbol: string, leverage: number): boolean {
    const a = this.must(symbol);
    const before = a.leverage;
    a.leverage = leverage;
    if (leverage >= before) return true;
    let used = 0n;
    for (const s of states) {
      const p = this.refPrice(s);
      if (p !== null) used += this.initialM(s, p, 0, 0);
    }
    if (this.equityM(states) - used >= 0n) return true;
    a.leverage = before;
    return false;
  }

  /** Σ maintenance margin of the positions, 10^-24. */
  maintenanceM(states: readonly MarginSymbol[]): bigint {
    let mm = 0n;
    for (const s of states) {
      if (s.positionLots === 0) continue;
      const ref = this.refPrice(s);
      if (ref === null) continue;
      const n = this.notionalM(s.inst, Math.abs(s.positionLots), ref);
      mm += maintenanceMargin(n, bracketFor(n, this.must(s.inst.symbol).brackets));
    }
    return mm;
  }

  /** Whether the account is at or below maintenance margin now (exact). */
  liquidatable(states: readonly MarginSymbol[]): boolean {
    let open = false;
    for (const s of states) if (s.positionLots !== 0 && this.refPrice(s) !== null) open = true;
    return open && this.equityM(states) <= this.maintenanceM(states);
  }

  /**
   * Recomputes each symbol's trigger price in ticks: the reference price at which equity equals
   * maintenance margin, every other symbol held at its current reference price and the tier at the
   * current notional (Binance's liquidation price formula, portfolio/margin.ts).
   */
  refresh(states: readonly MarginSymbol[], tsUs: number): void {
    this.lastRefreshUs = tsUs;
    const equity = this.equityM(states);
    const mmAll = this.maintenanceM(states);
    for (const s of states) {
      const a = this.must(s.inst.symbol);
      a.triggerTicks = NaN;
      const ref = this.refPrice(s);
      if (s.positionLots === 0 || ref === null) continue;
      const n = this.notionalM(s.inst, Math.abs(s.positionLots), ref);
      const b = bracketFor(n, a.brackets);
      const posValue = this.notionalM(s.inst, Math.abs(s.positionLots), ref) * (s.positionLots > 0 ? 1n : -1n);
      // W = everything but this position's value and maintenance: equity − q·P − (MM_all − MM_this).
      const others = equity - posValue - (mmAll - maintenanceMargin(n, b));
      const qUnits = BigInt(s.positionLots) * BigInt(s.inst.stepUnits);
      const p8 = liquidationPrice8(qUnits, s.inst.qtyDecimals, 0n, others, b, M);
      if (p8 === null) continue;
      // ticks = p8 / 10^8 / (tickUnits / 10^priceDecimals)
      a.triggerTicks = Number(p8 * pow10n(s.inst.priceDecimals)) / Number(pow10n(RATIO_DECIMALS) * BigInt(s.inst.tickUnits));
    }
  }

  /** Whether `refTicks` of `s` reached its trigger (long: at or below, short: at or above). */
  triggered(s: MarginSymbol, refTicks: number): boolean {
    const t = this.must(s.inst.symbol).triggerTicks;
    if (t !== t || s.positionLots === 0) return false;
    return s.positionLots > 0 ? refTicks <= t : refTicks >= t;
  }

  /** The insurance clearance fee of closing `lots` at `priceTicks`: notional × rate, at most `leftM` (≥ 0), exact. */
  clearanceFee(inst: Instrument, lots: number, priceTicks: number, leftM: bigint): ScaledDecimal {
    const fee = mulScaled(mulScaled({ units: BigInt(priceTicks) * BigInt(inst.tickUnits), scale: inst.priceDecimals }, qty(inst, lots)), this.liquidationFeeRate);
    if (leftM <= 0n) return { units: 0n, scale: 0 };
    return toM(fee) <= leftM ? fee : { units: leftM, scale: M };
  }

  private must(symbol: string): SymbolAccount {
    const a = this.perSymbol.get(symbol);
    if (a === undefined) throw new RangeError(`SimAccount has no instrument ${symbol}`);
    return a;
  }
}

function qty(inst: Instrument, lots: number): ScaledDecimal {
  return { units: BigInt(lots) * BigInt(inst.stepUnits), scale: inst.qtyDecimals };
}

function negate(d: ScaledDecimal): ScaledDecimal {
  return { units: -d.units, scale: d.scale };
}
