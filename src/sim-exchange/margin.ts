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
 *
 * Isolated margin and hedge mode (options, used by the local exchange; the backtest never sets
 * them and keeps the cross, one-way arithmetic above unchanged). In hedge mode (`hedge`) a symbol
 * has a LONG and a SHORT position, each with its own initial and maintenance margin (an order
 * opening one side needs (side + its open orders) × price / leverage; orders closing a side need
 * nothing). A symbol in ISOLATED margin (`setIsolated`) gives each of its positions an isolated
 * wallet `iw`: a fill that opens or adds moves its initial margin (fill notional / leverage) from
 * the cross wallet into `iw`; a fill that reduces releases the same fraction of `iw` (and of the
 * entry cost) back; funding of the position is paid into or out of `iw`; `transferIsolated` adds or
 * removes margin (Binance `positionMargin`). Commissions are paid from the cross wallet. The
 * position's own margin is `iw` + its unrealized PnL (entry cost kept exactly per position), and it
 * is liquidated alone when that is ≤ its maintenance margin. Cross equity is the total equity less
 * every isolated position's own margin; the cross check and cross liquidation see only the cross
 * positions and the initial margin of the isolated symbols' open orders. With either option the
 * trigger-price shortcut is off: the exact check runs on every event of a symbol with a position.
 *
 * The built-in bracket tables: leverage-brackets.ts.
 */
import { ConfigError } from '../core/errors.ts';
import type { Instrument } from '../model/instrument.ts';
import { addScaled, divFloor, mulScaled, parseDecimal, pow10n, type ScaledDecimal } from '../model/money.ts';
import { bracketFor, initialMargin, liquidationPrice8, maintenanceMargin, parseBrackets, RATIO_DECIMALS, type ParsedBracket } from '../portfolio/index.ts';
import { DEFAULT_LEVERAGE_BRACKETS, FALLBACK_LEVERAGE_BRACKETS, type LeverageBracket } from './leverage-brackets.ts';

/** Money scale of the margin arithmetic (10^-24 of the margin asset). */
const M = 24;

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
  /** Symbols in ISOLATED margin at the start (default: none, every symbol cross). */
  isolated?: readonly string[];
}

/** Binance `positionSide`: BOTH in one-way mode, LONG or SHORT in hedge mode. */
export type PositionSide = 'BOTH' | 'LONG' | 'SHORT';

/** The own margin of one isolated position (10^-24 of the margin asset). */
interface IsolatedSlot {
  /** Signed position, lots (the account's own count of the fills it was told). */
  lots: number;
  /** Isolated wallet: margin moved into the position (Binance `isolatedWallet`). */
  iwM: bigint;
  /** Signed entry cost of the open quantity (Σ signed qty × price, reduced proportionally). */
  costM: bigint;
}

/** What the isolated view of a position shows (`positionRisk`). */
export interface IsolatedView {
  /** Isolated wallet, 10^-24. */
  readonly iwM: bigint;
  /** Isolated margin: wallet + unrealized PnL at the reference price, 10^-24. */
  readonly marginM: bigint;
  /** Liquidation price at 10^-8 (null: none). */
  readonly liquidationPrice8: bigint | null;
}

/** Outcome of `transferIsolated` (Binance `positionMargin`). */
export type TransferOutcome = 'ok' | 'notIsolated' | 'noPosition' | 'crossInsufficient' | 'isolatedInsufficient';

/** What the account reads of a symbol's exchange state. */
export interface MarginSymbol {
  readonly inst: Instrument;
  readonly positionLots: number;
  readonly mark: ScaledDecimal | null;
  midExact(): ScaledDecimal | null;
  /** Σ remaining lots of open buy / sell orders that are not reduce-only. */
  openLots(isBuy: boolean): number;
  /** Hedge mode: the LONG position (≥ 0) and the SHORT position (≥ 0, lots short), lots. */
  readonly longLots: number;
  readonly shortLots: number;
  /** Hedge mode: Σ remaining lots of open orders opening `side` (BUY LONG, SELL SHORT). */
  openingLots(side: 'LONG' | 'SHORT'): number;
}

interface SymbolAccount {
  /** Changed by `changeLeverage` (Binance `POST /fapi/v1/leverage`). */
  leverage: number;
  readonly brackets: ParsedBracket[];
  /** Σ −signed lots × price ticks of every fill (exact). */
  cashTickLots: bigint;
  /** Reference price in ticks at or beyond which the position is liquidated (NaN: none). */
  triggerTicks: number;
  /** ISOLATED margin: the own margin of each position side; null: cross. */
  isolated: Map<PositionSide, IsolatedSlot> | null;
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
  /** Hedge mode (Binance `dualSidePosition`): LONG and SHORT positions per symbol. Set by the exchange. */
  hedge = false;
  /** Symbols in ISOLATED margin now. */
  private isolatedCount = 0;

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
      this.perSymbol.set(sym, { leverage, brackets: parseBrackets(table.map((t) => ({ notionalCap: t.notionalCap, maintMarginRatio: t.maintMarginRatio, cum: t.cum })), M, where), cashTickLots: 0n, triggerTicks: NaN, isolated: null });
    }
    for (const sym of cfg.isolated ?? []) {
      if (!this.perSymbol.has(sym)) throw new ConfigError(`account.isolated names ${sym}, which is not traded`, { field: 'account.isolated' });
      this.setIsolated(sym, true);
    }
  }

  /** Whether the plain cross, one-way arithmetic applies (no hedge mode, no isolated symbol). */
  get plain(): boolean {
    return !this.hedge && this.isolatedCount === 0;
  }

  /**
   * Binance `POST /fapi/v1/marginType`: the caller has checked the symbol has no position and no
   * open order (Binance -4047/-4048), so no isolated wallet is left behind.
   */
  setIsolated(symbol: string, isolated: boolean): void {
    const a = this.must(symbol);
    if ((a.isolated !== null) === isolated) return;
    if (isolated) {
      a.isolated = new Map((['BOTH', 'LONG', 'SHORT'] as const).map((ps) => [ps, { lots: 0, iwM: 0n, costM: 0n }]));
      this.isolatedCount++;
    } else {
      a.isolated = null;
      this.isolatedCount--;
    }
  }

  /** The positions of a symbol as (side, signed lots): BOTH in one-way mode, LONG and SHORT in hedge mode. */
  sides(s: MarginSymbol): [PositionSide, number][] {
    return this.hedge ? [['LONG', s.longLots], ['SHORT', -s.shortLots]] : [['BOTH', s.positionLots]];
  }

  /** A fill of `signedLots` at `priceTicks` with `commission` (exact decimal string). */
  onFill(symbol: string, signedLots: number, priceTicks: number, commission: string, inst?: Instrument, side: PositionSide = 'BOTH'): void {
    const a = this.must(symbol);
    a.cashTickLots -= BigInt(signedLots) * BigInt(priceTicks);
    if (commission !== '0') this.wallet = addScaled(this.wallet, negate(parseDecimal(commission, `${symbol}.commission`)));
    if (a.isolated !== null && inst !== undefined) this.isolatedFill(a, a.isolated.get(side)!, inst, signedLots, priceTicks);
  }

  /** An isolated position's fill: opening moves initial margin into `iw`, reducing releases its share of `iw` and of the entry cost. */
  private isolatedFill(a: SymbolAccount, slot: IsolatedSlot, inst: Instrument, signedLots: number, priceTicks: number): void {
    const q0 = slot.lots;
    let rest = signedLots;
    if (q0 !== 0 && Math.sign(q0) !== Math.sign(signedLots)) {
      const abs0 = BigInt(Math.abs(q0));
      const r = Math.min(Math.abs(signedLots), Math.abs(q0));
      const left = abs0 - BigInt(r);
      // Exact when the position closes (left 0); else rounded toward zero at 10^-24.
      slot.iwM = (slot.iwM * left) / abs0;
      slot.costM = (slot.costM * left) / abs0;
      rest = signedLots + (q0 > 0 ? r : -r);
    }
    if (rest !== 0) {
      const notional = toM({ units: BigInt(Math.abs(rest)) * BigInt(inst.stepUnits) * BigInt(priceTicks) * BigInt(inst.tickUnits), scale: inst.qtyDecimals + inst.priceDecimals });
      slot.costM += rest > 0 ? notional : -notional;
      slot.iwM += initialMargin(notional, a.leverage);
    }
    slot.lots = q0 + signedLots;
  }

  /**
   * A funding payment received (negative = paid). `perSide`: the payment of each position side of
   * an isolated symbol (it goes into that position's isolated wallet).
   */
  onFunding(payment: string, symbol: string, perSide?: readonly (readonly [PositionSide, string])[]): void {
    if (payment !== '0') this.wallet = addScaled(this.wallet, parseDecimal(payment, `${symbol}.funding`));
    const iso = this.must(symbol).isolated;
    if (iso !== null && perSide !== undefined) for (const [side, p] of perSide) if (p !== '0') iso.get(side)!.iwM += toM(parseDecimal(p, `${symbol}.funding`));
  }

  /** Σ isolated wallets (the wallet less them is Binance's cross wallet balance), 10^-24. */
  isolatedWalletsM(): bigint {
    let sum = 0n;
    for (const a of this.perSymbol.values()) if (a.isolated !== null) for (const slot of a.isolated.values()) sum += slot.iwM;
    return sum;
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
  entryAllowed(states: readonly MarginSymbol[], s: MarginSymbol, isBuy: boolean, lots: number, orderPrice: ScaledDecimal | null, side: PositionSide = 'BOTH'): boolean {
    const price = this.refPrice(s) ?? orderPrice;
    if (price === null) return true;
    if (!this.plain) return this.entryAllowedSided(states, s, isBuy, lots, price, side);
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
    if (!this.plain) {
      if (this.crossEquityM(states) - this.usedM(states) >= 0n) return true;
      a.leverage = before;
      return false;
    }
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
    if (!this.plain) {
      // No trigger shortcut: the exchange checks exactly on every event of a symbol with a position.
      for (const a of this.perSymbol.values()) a.triggerTicks = NaN;
      return;
    }
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

  // ---- isolated margin and hedge mode (not `plain`) ---------------------------------------------

  /** The own margin of an isolated position: iw + q × reference − entry cost (q × reference left out without a price, as `equityM` does). */
  private slotEquityM(s: MarginSymbol, slot: IsolatedSlot, lots: number): bigint {
    let e = slot.iwM - slot.costM;
    const ref = this.refPrice(s);
    if (lots !== 0 && ref !== null) e += toM(mulScaled(qty(s.inst, lots), ref));
    return e;
  }

  /** Equity backing the cross positions: total equity less every isolated position's own margin. */
  crossEquityM(states: readonly MarginSymbol[]): bigint {
    let e = this.equityM(states);
    for (const s of states) {
      const iso = this.must(s.inst.symbol).isolated;
      if (iso === null) continue;
      for (const [side, lots] of this.sides(s)) e -= this.slotEquityM(s, iso.get(side)!, lots);
    }
    return e;
  }

  /**
   * What a symbol needs of the cross equity at `price`, with extra open lots: the initial margin of
   * its positions and orders (cross), or only of the orders that would add to its positions
   * (isolated: the positions are backed by their own wallets).
   */
  private needM(s: MarginSymbol, price: ScaledDecimal, extraBuy: number, extraSell: number, extraLong: number, extraShort: number): bigint {
    const a = this.must(s.inst.symbol);
    const im = (lots: number): bigint => (lots === 0 ? 0n : initialMargin(this.notionalM(s.inst, lots, price), a.leverage));
    if (!this.hedge) {
      const q = s.positionLots;
      const all = im(Math.max(Math.abs(q + s.openLots(true) + extraBuy), Math.abs(q - s.openLots(false) - extraSell)));
      if (a.isolated === null) return all;
      const own = im(Math.abs(q));
      return all > own ? all - own : 0n;
    }
    const long = s.openingLots('LONG') + extraLong;
    const short = s.openingLots('SHORT') + extraShort;
    return a.isolated === null ? im(s.longLots + long) + im(s.shortLots + short) : im(long) + im(short);
  }

  /** Σ `needM` of every symbol with a price (`replace`: this symbol's value instead of its own). */
  private usedM(states: readonly MarginSymbol[], replace?: MarginSymbol, value = 0n): bigint {
    let used = 0n;
    for (const o of states) {
      if (o === replace) {
        used += value;
        continue;
      }
      const p = this.refPrice(o);
      if (p !== null) used += this.needM(o, p, 0, 0, 0, 0);
    }
    return used;
  }

  /** `entryAllowed` with isolated symbols or hedge mode: the order's side (`LONG`/`SHORT` opening that side, BOTH in one-way mode). */
  private entryAllowedSided(states: readonly MarginSymbol[], s: MarginSymbol, isBuy: boolean, lots: number, price: ScaledDecimal, side: PositionSide): boolean {
    const before = this.needM(s, price, 0, 0, 0, 0);
    const after = side === 'BOTH' ? this.needM(s, price, isBuy ? lots : 0, isBuy ? 0 : lots, 0, 0) : this.needM(s, price, 0, 0, side === 'LONG' ? lots : 0, side === 'SHORT' ? lots : 0);
    if (after <= before) return true;
    return this.crossEquityM(states) - this.usedM(states, s, after) >= 0n;
  }

  /** Whether the cross positions are at or below their maintenance margin (some cross position open). */
  crossLiquidatable(states: readonly MarginSymbol[]): boolean {
    let open = false;
    let mm = 0n;
    for (const s of states) {
      const a = this.must(s.inst.symbol);
      const ref = this.refPrice(s);
      if (a.isolated !== null || ref === null) continue;
      for (const [, lots] of this.sides(s)) {
        if (lots === 0) continue;
        open = true;
        const n = this.notionalM(s.inst, Math.abs(lots), ref);
        mm += maintenanceMargin(n, bracketFor(n, a.brackets));
      }
    }
    return open && this.crossEquityM(states) <= mm;
  }

  /** Whether one isolated position is at or below its maintenance margin (its own margin only). */
  isolatedLiquidatable(s: MarginSymbol, side: PositionSide, lots: number): boolean {
    const a = this.must(s.inst.symbol);
    const ref = this.refPrice(s);
    if (a.isolated === null || lots === 0 || ref === null) return false;
    const n = this.notionalM(s.inst, Math.abs(lots), ref);
    return this.slotEquityM(s, a.isolated.get(side)!, lots) <= maintenanceMargin(n, bracketFor(n, a.brackets));
  }

  /** An isolated position's own margin if closed at `priceTicks`: iw + q × price − entry cost, 10^-24; 0 when cross. */
  isolatedEquityAtM(s: MarginSymbol, side: PositionSide, lots: number, priceTicks: number): bigint {
    const iso = this.must(s.inst.symbol).isolated;
    if (iso === null) return 0n;
    const slot = iso.get(side)!;
    return slot.iwM - slot.costM + toM({ units: BigInt(lots) * BigInt(s.inst.stepUnits) * BigInt(priceTicks) * BigInt(s.inst.tickUnits), scale: s.inst.qtyDecimals + s.inst.priceDecimals });
  }

  /**
   * An isolated position's bankruptcy price in ticks: where its own margin less the taker commission
   * of the close is 0, P = (cost − iw) / (q − |q| × takerRate), rounded in the position's favour
   * (long: up, short: down); null when there is none. A liquidation closes no worse than it, so an
   * isolated position never loses more than its own margin (Binance's insurance fund takes the rest).
   */
  bankruptcyTicks(s: MarginSymbol, side: PositionSide, lots: number, takerRate: ScaledDecimal): number | null {
    const iso = this.must(s.inst.symbol).isolated;
    if (iso === null || lots === 0) return null;
    const slot = iso.get(side)!;
    const p8 = liquidationPrice8(BigInt(lots) * BigInt(s.inst.stepUnits), s.inst.qtyDecimals, slot.costM, slot.iwM, { capUnits: null, rate: takerRate, cumUnits: 0n }, M);
    if (p8 === null) return null;
    const num = p8 * pow10n(s.inst.priceDecimals);
    const den = pow10n(RATIO_DECIMALS) * BigInt(s.inst.tickUnits);
    return Number(lots > 0 ? -divFloor(-num, den) : divFloor(num, den));
  }

  /** The isolated wallet, margin and liquidation price of a position (null when the symbol is cross). */
  isolatedView(s: MarginSymbol, side: PositionSide, lots: number): IsolatedView | null {
    const a = this.must(s.inst.symbol);
    if (a.isolated === null) return null;
    const slot = a.isolated.get(side)!;
    const ref = this.refPrice(s);
    let liq: bigint | null = null;
    if (lots !== 0) {
      const n = ref === null ? 0n : this.notionalM(s.inst, Math.abs(lots), ref);
      liq = liquidationPrice8(BigInt(lots) * BigInt(s.inst.stepUnits), s.inst.qtyDecimals, slot.costM, slot.iwM, bracketFor(n, a.brackets), M);
    }
    return { iwM: slot.iwM, marginM: this.slotEquityM(s, slot, lots), liquidationPrice8: liq };
  }

  /**
   * Binance `POST /fapi/v1/positionMargin`: `amountM` (10^-24) added to (> 0) or removed from (< 0)
   * an isolated position's wallet. Adding needs that much cross equity above the cross
   * requirement; removing must leave the position's own margin at or above its initial margin.
   */
  transferIsolated(states: readonly MarginSymbol[], s: MarginSymbol, side: PositionSide, amountM: bigint): TransferOutcome {
    const a = this.must(s.inst.symbol);
    if (a.isolated === null) return 'notIsolated';
    const lots = this.sides(s).find(([ps]) => ps === side)?.[1] ?? 0;
    if (lots === 0) return 'noPosition';
    const slot = a.isolated.get(side)!;
    if (amountM > 0n) {
      if (this.crossEquityM(states) - this.usedM(states) < amountM) return 'crossInsufficient';
    } else {
      const ref = this.refPrice(s);
      const need = ref === null ? 0n : initialMargin(this.notionalM(s.inst, Math.abs(lots), ref), a.leverage);
      if (slot.iwM + amountM < 0n || this.slotEquityM(s, slot, lots) + amountM < need) return 'isolatedInsufficient';
    }
    slot.iwM += amountM;
    return 'ok';
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
    // Strictly below: a fee finer than 10^-24 whose floor equals what is left may exceed it (by < 10^-24).
    return toM(fee) < leftM ? fee : { units: leftM, scale: M };
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
