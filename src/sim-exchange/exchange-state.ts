/**
 * The base of the `SimExchange` class chain (exchange.ts): the exchange's state (symbols, options,
 * the account, the event list, order and trade ids, the clock, closed orders kept for queries) and
 * the order book-keeping every layer uses: `fill` (position, fees, the account, the TRADE report,
 * reduce-only caps and expiry), `close`, `forget`, `retain`, `report`, `compact`. Each layer
 * beside it (liquidation.ts, self-trade.ts, order-entry.ts, position-modes.ts, queries.ts) extends
 * the one before, and exchange.ts ends the chain: direct method calls, no indirection per event.
 */
import type { BookSource } from '../marketdata/index.ts';
import type { Rng } from '../core/random.ts';
import type { ExecutionReport, Liquidity, VenueEvent } from '../model/venue.ts';
import { FundingClock } from './funding.ts';
import { commission } from './money.ts';
import { SimAccount, type PositionSide } from './margin.ts';
import type { SimOrder } from './order.ts';
import { createQueueModel, type QueueModel } from './queue.ts';
import { SymbolState } from './symbol-state.ts';
import type { SimExchangeCounters, SimExchangeOptions, StpMode } from './types.ts';

/** Tolerance of the queue model's float fronts (`SimOrder.front`) when counting whole lots. */
export const EPS = 1e-9;

/** Price priority of our orders: the highest buy first, the lowest sell first (`sort` is stable: time priority within a price). */
export const byPriceDesc = (a: SimOrder, b: SimOrder): number => b.priceTicks - a.priceTicks;
export const byPriceAsc = (a: SimOrder, b: SimOrder): number => a.priceTicks - b.priceTicks;

/** The exchange's state and order book-keeping, shared by every layer of the chain. */
export abstract class ExchangeState {
  readonly queueModel: QueueModel;
  readonly rng: Rng;
  readonly counters: SimExchangeCounters = { marketEvents: 0, ignoredEvents: 0, commands: 0, fills: 0, rejects: 0, fundingSettlements: 0, fundingSkipped: 0, selfTradesPrevented: 0, liquidations: 0, marginRejects: 0 };
  /** The exchange-side account (margin.ts); null: no margin checks, no liquidation. */
  protected readonly account: SimAccount | null;
  /** Something the account's equity or requirement depends on changed since the last exact check. */
  protected marginDirty = false;
  protected readonly symbols = new Map<string, SymbolState>();
  protected readonly ordered: SymbolState[] = [];
  protected readonly crossingFills: boolean;
  protected readonly bookSource: BookSource;
  protected readonly tradeSource: 'auto' | 'trade' | 'aggTrade';
  protected readonly funding: FundingClock;
  protected readonly fundingFixed: boolean;
  protected readonly partialFills: boolean;
  protected events: VenueEvent[] = [];
  /** Orders that ended, by client id, kept for queries: at most `closedOrderRetention`, oldest dropped first. */
  protected readonly closed = new Map<string, SimOrder>();
  protected readonly closedOrderRetention: number;
  protected nextOrderId: number;
  protected nextTradeId = 1;
  protected lastSymbol = '';
  protected lastState: SymbolState | undefined;
  protected readonly stpMode: StpMode;
  protected nowUs = -Infinity;
  /** Reused list of orders (prints, taker walks); never held across calls. */
  protected readonly scratch: SimOrder[] = [];
  /** Hedge mode (Binance `dualSidePosition`). */
  protected hedge: boolean;
  /** Symbols in ISOLATED margin (the account's, kept here too for an exchange without one). */
  protected readonly isolatedSymbols = new Set<string>();

  constructor(opts: SimExchangeOptions) {
    this.rng = opts.rng;
    this.queueModel = 'onPlace' in opts.queueModel ? opts.queueModel : createQueueModel(opts.queueModel);
    this.crossingFills = opts.crossingFills ?? false;
    this.stpMode = opts.selfTradePrevention ?? 'EXPIRE_MAKER';
    this.bookSource = opts.bookSource ?? 'auto';
    this.tradeSource = opts.tradeSource ?? 'auto';
    this.nextOrderId = opts.firstOrderId ?? 1;
    for (const inst of opts.instruments) {
      const s = new SymbolState(inst, opts.fees.symbols?.[inst.symbol] ?? opts.fees.default, this.bookSource);
      this.symbols.set(inst.symbol, s);
      this.ordered.push(s);
    }
    this.account = opts.account === undefined ? null : new SimAccount(opts.account, opts.instruments);
    this.hedge = opts.dualSidePosition ?? false;
    if (this.account !== null) this.account.hedge = this.hedge;
    for (const sym of opts.account?.isolated ?? []) this.isolatedSymbols.add(sym);
    this.funding = new FundingClock(opts.funding ?? { mode: 'data' }, this.counters, (settlement) => {
      this.events.push({ kind: 'funding', settlement });
      if (this.account !== null) {
        this.account.onFunding(settlement.payment, settlement.symbol, this.isolatedSymbols.has(settlement.symbol) ? this.fundingPerSide(settlement) : undefined);
        this.marginDirty = true;
      }
    });
    this.closedOrderRetention = opts.closedOrderRetention ?? 10_000;
    this.fundingFixed = this.funding.scheduled;
    this.partialFills = opts.partialFills ?? true;
  }

  /**
   * The exchange's clock: the latest time it was given (events, commands). Never goes back, so a
   * report is never stamped before anything the exchange already saw, such as its order's arrival.
   */
  protected advance(tsUs: number): number {
    if (tsUs > this.nowUs) this.nowUs = tsUs;
    return this.nowUs;
  }

  protected state(symbol: string): SymbolState | undefined {
    if (symbol === this.lastSymbol) return this.lastState;
    const s = this.symbols.get(symbol);
    this.lastSymbol = symbol;
    this.lastState = s;
    return s;
  }

  protected mustState(symbol: string): SymbolState {
    const s = this.symbols.get(symbol);
    if (s === undefined) throw new RangeError(`SimExchange has no instrument ${symbol}`);
    return s;
  }

  /** What an order of `side` (and hedge-mode `positionSide`) can reduce: the position it closes, lots. */
  protected reducibleLots(s: SymbolState, side: 'buy' | 'sell', positionSide?: 'LONG' | 'SHORT'): number {
    if (positionSide === 'LONG') return side === 'sell' ? s.longLots : 0;
    if (positionSide === 'SHORT') return side === 'buy' ? s.shortLots : 0;
    return side === 'buy' ? Math.max(-s.positionLots, 0) : Math.max(s.positionLots, 0);
  }

  /**
   * Fills `lots` of `o` at `priceTicks`. A reduce-only order is capped at what reduces the position
   * and expires once the position it reduces is gone. Returns the lots filled.
   */
  protected fill(s: SymbolState, o: SimOrder, lots: number, priceTicks: number, liquidity: Liquidity, tsUs: number): number {
    if (o.closing) lots = Math.min(lots, this.reducibleLots(s, o.side, o.positionSide));
    if (lots > 0) {
      o.filledLots += lots;
      o.status = o.filledLots === o.origQtyLots ? 'FILLED' : 'PARTIALLY_FILLED';
      s.positionLots += o.isBuy ? lots : -lots;
      if (o.positionSide === 'LONG') s.longLots += o.isBuy ? lots : -lots;
      else if (o.positionSide === 'SHORT') s.shortLots += o.isBuy ? -lots : lots;
      const fee = commission(s.inst, priceTicks, lots, liquidity === 'maker' ? s.makerRate : s.takerRate);
      if (this.account !== null) {
        this.account.onFill(s.inst.symbol, o.isBuy ? lots : -lots, priceTicks, fee, s.inst, o.positionSide ?? 'BOTH');
        this.marginDirty = true;
      }
      this.report(o.tradeReport(lots, priceTicks, this.nextTradeId++, liquidity, fee, tsUs));
      this.counters.fills++;
      if (o.status === 'FILLED') this.forget(s, o);
    }
    if (o.isOpen && o.closing && this.reducibleLots(s, o.side, o.positionSide) === 0) this.close(s, o, 'EXPIRED', tsUs);
    if (lots > 0 && s.reduceOnlyResting > 0) this.expireStaleReduceOnly(s, tsUs);
    return lots;
  }

  /** After the position moved: reduce-only orders that can no longer reduce anything expire. */
  protected expireStaleReduceOnly(s: SymbolState, tsUs: number): void {
    for (const r of s.resting) {
      if (r.isOpen && r.closing && this.reducibleLots(s, r.side, r.positionSide) === 0) this.close(s, r, 'EXPIRED', tsUs);
    }
  }

  /** Ends an open order (CANCELED or EXPIRED) and reports it; `resting` is compacted at the end of the event or command. */
  protected close(s: SymbolState, o: SimOrder, status: 'CANCELED' | 'EXPIRED' | 'EXPIRED_IN_MATCH', tsUs: number): void {
    o.status = status;
    this.forget(s, o);
    this.report(o.report(status === 'CANCELED' ? 'CANCELED' : 'EXPIRED', tsUs));
  }

  protected forget(s: SymbolState, o: SimOrder): void {
    if (s.open.get(o.clientOrderId) === o) {
      s.open.delete(o.clientOrderId);
      if (o.closing) s.reduceOnlyResting--;
      s.needsCompact = true;
    }
    this.retain(o);
  }

  /** Keeps an ended order queryable (a re-used client id keeps its latest order). */
  protected retain(o: SimOrder): void {
    if (this.closedOrderRetention <= 0) return;
    this.closed.delete(o.clientOrderId);
    this.closed.set(o.clientOrderId, o);
    if (this.closed.size > this.closedOrderRetention) this.closed.delete(this.closed.keys().next().value as string);
  }

  protected report(r: ExecutionReport): void {
    this.events.push({ kind: 'report', report: r });
  }

  /** Drops closed orders from `resting`, keeping the priority order. */
  protected compact(s: SymbolState): void {
    const list = s.resting;
    let j = 0;
    for (let i = 0; i < list.length; i++) if (list[i].isOpen) list[j++] = list[i];
    list.length = j;
    s.needsCompact = false;
  }

  /** A funding settlement of an isolated symbol split by position side (position-modes.ts). */
  protected abstract fundingPerSide(f: { symbol: string; markPrice: string; rate: string; payment: string }): [PositionSide, string][];
}
