/**
 * `SimExchange`: the simulated Binance matching engine, a `SimVenue` (model/venue.ts). See
 * index.ts for the fill rules; this file holds the event handlers and the order lifecycle.
 */
import type { BookView, L2Book } from '../book/index.ts';
import { MarketBook, type BookSource } from '../marketdata/index.ts';
import type { Rng } from '../core/random.ts';
import type { AggTrade, BookTicker, FlatDepthDiff, MarketEvent, MarketEventType, MarkPrice, Side, Trade } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import type { AccountSync, ExecutionReport, Liquidity, OrderRequest, SimVenue, VenueCommand, VenueEvent, VenueOrder } from '../model/venue.ts';
import { OrderFilters, REJECT, type FilterMarket, type Reject } from './filters.ts';
import { FundingClock, type SymbolFunding } from './funding.ts';
import { formatScaled, mulScaled, parseDecimal, type ScaledDecimal } from '../model/money.ts';
import { bandEdgeTicks, commission, fundingPayment, priceExact } from './money.ts';
import { SimAccount, type MarginSymbol, type PositionSide, type TransferOutcome } from './margin.ts';
import { requestReject, SimOrder } from './order.ts';
import { createQueueModel, type QueueModel } from './queue.ts';
import type { FeeRates, SimExchangeCounters, SimExchangeOptions, SimOrderView, StpMode } from './types.ts';

const EPS = 1e-9;
/** What `drainEvents` returns when nothing happened (frozen: a caller cannot add to it). */
const NO_EVENTS = Object.freeze([]) as unknown as VenueEvent[];

/** An event's match time: `T` (`tsTransactUs`, never after `E`), or its exchange time `E` where it has none (mark prices, flat diffs). */
function matchTimeUs(e: MarketEvent | FlatDepthDiff): number {
  const t = 'tsTransactUs' in e ? e.tsTransactUs : e.tsExchangeUs;
  return t > e.tsExchangeUs ? e.tsExchangeUs : t;
}

const byPriceDesc = (a: SimOrder, b: SimOrder): number => b.priceTicks - a.priceTicks;
const byPriceAsc = (a: SimOrder, b: SimOrder): number => a.priceTicks - b.priceTicks;

/**
 * The fields of a refused modify of a known order (built only when refused; a plain literal: an
 * object spread followed by more keys costs microseconds in V8, and modifies are most commands).
 */
function modifyFields(cmd: Extract<VenueCommand, { kind: 'modify' }>, o: SimOrder): Parameters<typeof requestReject>[1] {
  return { symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, side: cmd.side, priceTicks: cmd.priceTicks, qtyLots: cmd.qtyLots, reduceOnly: o.reduceOnly, orderId: o.orderId, cumFilledLots: o.filledLots, status: o.status };
}

/** A level's market quantity less what our own taker fills took from it. */
function availableLots(depleted: Map<number, number>, priceTicks: number, lots: number): number {
  const d = depleted.get(priceTicks);
  return d === undefined ? lots : lots > d ? lots - d : 0;
}

/** The market updated these levels: our depletion of them is over. */
function refreshLevels(depleted: Map<number, number>, ticks: ArrayLike<number>, start: number, end: number): void {
  for (let i = start; i < end; i++) depleted.delete(ticks[i]);
}

/** Everything the exchange keeps about one symbol. */
class SymbolState implements SymbolFunding, MarginSymbol {
  /** The replayed book (fused depth + bookTicker by default, depth only, or top of book): marketdata's one book keeper. */
  readonly marketBook: MarketBook;
  readonly filters: OrderFilters;
  readonly makerRate: ScaledDecimal;
  readonly takerRate: ScaledDecimal;
  /** Open orders in time priority (a modified order moves to the back). */
  resting: SimOrder[] = [];
  readonly open = new Map<string, SimOrder>();
  reduceOnlyResting = 0;
  /** Set when an order in `resting` has closed; `compact` clears it. */
  needsCompact = false;
  positionLots = 0;
  /** Hedge mode: the LONG and SHORT positions (both ≥ 0; `positionLots` stays their net). */
  longLots = 0;
  shortLots = 0;
  /** Last mark price (null until one is seen), and in ticks (a float, for the liquidation trigger). */
  mark: ScaledDecimal | null = null;
  markTicks = NaN;
  tradeSeen = false;
  readonly market: FilterMarket = { mark: null, maxBuyTicks: Infinity, minSellTicks: -Infinity, oppositeBestTicks: NaN };
  // Funding (data mode): the announced next funding time and the rate announced for it.
  pendingFundingUs = -1;
  pendingRate = '';
  lastSettledUs = -Infinity;
  /**
   * Lots our own taker fills took from each level of the replayed book (price → lots), subtracted
   * from that level until the market next updates it (a diff or bookTicker naming the price, or a
   * snapshot): the replayed book itself never holds our trades.
   */
  readonly depletedBid = new Map<number, number>();
  readonly depletedAsk = new Map<number, number>();

  constructor(readonly inst: Instrument, fees: FeeRates, bookSource: BookSource) {
    this.marketBook = new MarketBook(inst.symbol, bookSource);
    this.filters = new OrderFilters(inst);
    this.makerRate = parseDecimal(fees.makerRate, `fees.${inst.symbol}.makerRate`);
    this.takerRate = parseDecimal(fees.takerRate, `fees.${inst.symbol}.takerRate`);
  }

  /** The book matching reads: the replayed book without our orders. */
  get book(): L2Book {
    return this.marketBook.book;
  }

  /** Σ remaining lots of open orders of one side that are not reduce-only (margin.ts). */
  openLots(isBuy: boolean): number {
    let n = 0;
    for (const o of this.resting) if (o.isOpen && o.isBuy === isBuy && !o.closing) n += o.remainingLots;
    return n;
  }

  /** Hedge mode: Σ remaining lots of open orders opening `side` (BUY LONG, SELL SHORT). */
  openingLots(side: 'LONG' | 'SHORT'): number {
    let n = 0;
    for (const o of this.resting) if (o.isOpen && o.positionSide === side && !o.closing) n += o.remainingLots;
    return n;
  }

  /** Book mid as an exact decimal, null when a side is empty. */
  midExact(): ScaledDecimal | null {
    const b = this.book.bestBidTicks();
    const a = this.book.bestAskTicks();
    if (Number.isNaN(b) || Number.isNaN(a)) return null;
    return { units: BigInt(a + b) * BigInt(this.inst.tickUnits) * 5n, scale: this.inst.priceDecimals + 1 };
  }
}

export class SimExchange implements SimVenue {
  readonly queueModel: QueueModel;
  readonly rng: Rng;
  readonly counters: SimExchangeCounters = { marketEvents: 0, ignoredEvents: 0, commands: 0, fills: 0, rejects: 0, fundingSettlements: 0, fundingSkipped: 0, selfTradesPrevented: 0, liquidations: 0, marginRejects: 0 };
  /** The exchange-side account (margin.ts); null: no margin checks, no liquidation. */
  private readonly account: SimAccount | null;
  /** Something the account's equity or requirement depends on changed since the last exact check. */
  private marginDirty = false;
  private readonly symbols = new Map<string, SymbolState>();
  private readonly ordered: SymbolState[] = [];
  private readonly crossingFills: boolean;
  private readonly bookSource: BookSource;
  private readonly tradeSource: 'auto' | 'trade' | 'aggTrade';
  private readonly funding: FundingClock;
  private readonly fundingFixed: boolean;
  private readonly partialFills: boolean;
  private events: VenueEvent[] = [];
  /** Orders that ended, by client id, kept for queries: at most `closedOrderRetention`, oldest dropped first. */
  private readonly closed = new Map<string, SimOrder>();
  private readonly closedOrderRetention: number;
  private nextOrderId: number;
  private nextTradeId = 1;
  private lastSymbol = '';
  private lastState: SymbolState | undefined;
  private readonly stpMode: StpMode;
  private nowUs = -Infinity;
  /** Reused list of orders (prints, taker walks); never held across calls. */
  private readonly scratch: SimOrder[] = [];
  /** Hedge mode (Binance `dualSidePosition`). */
  private hedge: boolean;
  /** Symbols in ISOLATED margin (the account's, kept here too for an exchange without one). */
  private readonly isolatedSymbols = new Set<string>();

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

  // ---- public API -------------------------------------------------------------------------------

  /**
   * The exchange's clock: the latest time it was given (events, commands). Never goes back, so a
   * report is never stamped before anything the exchange already saw, such as its order's arrival.
   */
  private advance(tsUs: number): number {
    if (tsUs > this.nowUs) this.nowUs = tsUs;
    return this.nowUs;
  }

  /**
   * A market event at the exchange's time `atUs` (the driver's; default its match time). Events of
   * unknown symbols are counted and ignored; an event `ignores` (the one predicate `accepts` also
   * reads) holds for changes nothing but the funding clock.
   */
  onMarketEvent(e: MarketEvent, atUs: number = matchTimeUs(e)): void {
    this.counters.marketEvents++;
    const t = this.advance(atUs);
    const s = this.state(e.symbol);
    if (s === undefined) {
      this.counters.ignoredEvents++;
      return;
    }
    if (this.funding.due(t)) this.funding.settleFixed(this.ordered, t);
    if (this.ignores(e.type, s)) return;
    this.apply(e, s, t);
    if (this.account !== null) this.checkMargin(s, t);
  }

  private apply(e: MarketEvent, s: SymbolState, t: number): void {
    switch (e.type) {
      case 'depth':
        s.marketBook.applyDiff(e);
        if (s.depletedBid.size > 0) refreshLevels(s.depletedBid, e.bidTicks, 0, e.bidTicks.length);
        if (s.depletedAsk.size > 0) refreshLevels(s.depletedAsk, e.askTicks, 0, e.askTicks.length);
        if (s.resting.length > 0) this.afterBookChange(s, t);
        return;
      case 'snapshot':
        s.marketBook.applySnapshot(e);
        s.depletedBid.clear();
        s.depletedAsk.clear();
        if (s.resting.length > 0) this.afterBookChange(s, t);
        return;
      case 'bookTicker':
        if (!s.marketBook.applyTicker(e)) return; // stale (older than the depth book): nothing changed
        if (s.depletedBid.size > 0) s.depletedBid.delete(e.bidTicks);
        if (s.depletedAsk.size > 0) s.depletedAsk.delete(e.askTicks);
        if (s.resting.length > 0) this.afterBookChange(s, t);
        return;
      case 'trade':
        s.tradeSeen = true;
        if (s.resting.length > 0) this.onPrint(s, e, t);
        return;
      case 'aggTrade':
        if (s.resting.length > 0) this.onPrint(s, e, t);
        return;
      case 'markPrice':
        this.onMark(s, e);
        return;
      case 'forceOrder': // another account's liquidation: information only, its fills come as prints
        return;
    }
  }

  /**
   * A depth diff given as flat level ranges (replay from columnar batches, no `DepthDiff` object);
   * the same as `onMarketEvent` of the equivalent `DepthDiff`.
   */
  onFlatDepthDiff(symbol: string, d: FlatDepthDiff, atUs: number = matchTimeUs(d)): void {
    this.counters.marketEvents++;
    const t = this.advance(atUs);
    const s = this.state(symbol);
    if (s === undefined) {
      this.counters.ignoredEvents++;
      return;
    }
    if (this.funding.due(t)) this.funding.settleFixed(this.ordered, t);
    if (this.ignores('depth', s)) return;
    s.marketBook.applyFlatDiff(d);
    if (s.depletedBid.size > 0) refreshLevels(s.depletedBid, d.bidTicks, d.bidStart, d.bidEnd);
    if (s.depletedAsk.size > 0) refreshLevels(s.depletedAsk, d.askTicks, d.askStart, d.askEnd);
    if (s.resting.length > 0) this.afterBookChange(s, t);
    if (this.account !== null) this.checkMargin(s, t);
  }

  /**
   * A bookTicker in an object the replay refills for the next one: the same as `onMarketEvent` of
   * it (which keeps no reference to a bookTicker).
   */
  onFlatBookTicker(e: BookTicker, atUs: number = matchTimeUs(e)): void {
    this.onMarketEvent(e, atUs);
  }

  /** A trade in an object the replay refills for the next one: the same as `onMarketEvent` of it (which keeps no reference to a print). */
  onFlatTrade(e: Trade, atUs: number = matchTimeUs(e)): void {
    this.onMarketEvent(e, atUs);
  }

  /**
   * Whether delivering an event of this type and symbol now could change anything (pure; a replay
   * that builds events lazily skips the rest). Always true under fixed-rate funding, whose schedule
   * runs on every event's time, and for symbols the exchange does not know (they are counted).
   */
  accepts(type: MarketEventType, symbol: string): boolean {
    if (this.fundingFixed) return true;
    const s = this.state(symbol);
    return s === undefined || !this.ignores(type, s);
  }

  /**
   * The one "ignored now" rule: a book event of a source the symbol's book does not use (the
   * book keeper's rule), a print of the trade source not used, or a print while no order rests
   * (once the trade source is settled: the first `trade` still has to switch `auto` to trades),
   * and always a liquidation order (its fills reach us as the prints and book changes they made).
   */
  private ignores(type: MarketEventType, s: SymbolState): boolean {
    switch (type) {
      case 'depth':
      case 'snapshot':
      case 'bookTicker':
        return s.marketBook.ignores(type);
      case 'trade':
        return this.tradeSource === 'aggTrade' || (s.tradeSeen && s.resting.length === 0);
      case 'aggTrade':
        return this.tradeSource === 'trade' || (this.tradeSource === 'auto' && s.tradeSeen) || s.resting.length === 0;
      case 'markPrice':
        return false;
      case 'forceOrder':
        return true;
    }
  }

  /** A command arriving at the exchange at `tsUs` (after the entry latency). */
  send(cmd: VenueCommand, atUs: number): void {
    this.counters.commands++;
    const tsUs = this.advance(atUs);
    if (this.funding.due(tsUs)) this.funding.settleFixed(this.ordered, tsUs);
    switch (cmd.kind) {
      case 'submit':
        this.submit(cmd.order, tsUs);
        break;
      case 'cancel':
        this.cancel(cmd.symbol, cmd.clientOrderId, tsUs);
        break;
      case 'modify':
        this.modify(cmd, tsUs);
        break;
      case 'query':
        this.query(cmd.symbol, cmd.clientOrderId);
        return;
    }
    const s = this.symbols.get(cmd.kind === 'submit' ? cmd.order.symbol : cmd.symbol);
    if (s !== undefined && s.needsCompact) this.compact(s);
    if (this.account !== null) this.checkMargin(s, tsUs);
  }

  /**
   * Fills the rest of an open order at its own price as maker, from a counterparty the replayed
   * market does not show. Used by the local exchange's "fill racing a cancel" fault (the order
   * fills just before the cancel reaches it); fees, position and margin move as for any fill.
   * Returns false when the order is not open.
   */
  fillRestingNow(symbol: string, clientOrderId: string, atUs: number): boolean {
    const s = this.symbols.get(symbol);
    const o = s?.open.get(clientOrderId);
    if (s === undefined || o === undefined || !o.isOpen) return false;
    const tsUs = this.advance(atUs);
    this.fill(s, o, o.origQtyLots - o.filledLots, o.priceTicks, 'maker', tsUs);
    if (s.needsCompact) this.compact(s);
    if (this.account !== null) this.checkMargin(s, tsUs);
    return true;
  }

  /** Reports, funding settlements and query answers since the last call, in the order they happened. */
  drainEvents(): VenueEvent[] {
    if (this.events.length === 0) return NO_EVENTS; // most market events cause none: no array each
    const out = this.events;
    this.events = [];
    return out;
  }

  /**
   * The account as the exchange sees it at `tsUs`: positions (from our fills) and open orders of
   * every symbol. The simulated exchange keeps no wallet, so `balances` is empty.
   */
  accountSync(tsUs: number): AccountSync {
    const positions = this.ordered.filter((s) => s.positionLots !== 0).map((s) => ({ symbol: s.inst.symbol, lots: s.positionLots, entryPrice: '' }));
    const openOrders: VenueOrder[] = [];
    for (const s of this.ordered) for (const o of s.resting) if (o.isOpen) openOrders.push(o.view());
    return { tsUs, symbols: this.ordered.map((s) => s.inst.symbol), positions, balances: [], openOrders };
  }

  /** The exchange-side margin balance (wallet + unrealized PnL at the reference prices, margin.ts), exact decimal string; null without an account. */
  accountEquity(): string | null {
    return this.account === null ? null : formatScaled(this.account.equityM(this.ordered), 24);
  }

  /**
   * Binance `POST /fapi/v1/leverage` on the exchange-side account: the symbol's new leverage for
   * the initial-margin check of later orders; false (unchanged) when lowering it would leave the
   * open positions and orders uncovered (-2028). Without an account it always succeeds.
   */
  changeLeverage(symbol: string, leverage: number): boolean {
    this.mustState(symbol);
    return this.account === null || this.account.changeLeverage(this.ordered, symbol, leverage);
  }

  /** The price margin and liquidation use for a symbol: its last mark, else the book mid; null when neither is known. */
  referencePrice(symbol: string): string | null {
    const s = this.mustState(symbol);
    const p = s.mark ?? s.midExact();
    return p === null ? null : formatScaled(p.units, p.scale);
  }

  /** The exchange's replayed book of a symbol (without our orders). */
  book(symbol: string): BookView {
    return this.mustState(symbol).book;
  }

  /** Open orders of a symbol in time priority. */
  openOrders(symbol: string): SimOrderView[] {
    return this.mustState(symbol).resting.map((o) => ({
      symbol: o.symbol, clientOrderId: o.clientOrderId, orderId: o.orderId, side: o.side, type: o.type, timeInForce: o.timeInForce,
      priceTicks: o.priceTicks, origQtyLots: o.origQtyLots, filledLots: o.filledLots, reduceOnly: o.reduceOnly, status: o.status,
      queueAheadLots: Math.max(o.front, 0),
    }));
  }

  /**
   * The best price of the orders `openOrders(symbol)` lists on one side (the highest buy, the
   * lowest sell), NaN when there is none; without a view per order (the report samples it every
   * second of a run).
   */
  bestOpenPriceTicks(symbol: string, side: Side): number {
    let best = NaN;
    const buy = side === 'buy';
    for (const o of this.mustState(symbol).resting) {
      if (o.side !== side) continue;
      if (buy ? !(o.priceTicks <= best) : !(o.priceTicks >= best)) best = o.priceTicks;
    }
    return best;
  }

  /** The symbols the exchange trades, in its order. */
  tradedSymbols(): string[] {
    return this.ordered.map((x) => x.inst.symbol);
  }

  /** Number of open orders of a symbol (no allocation, unlike `openOrders`). */
  openOrderCount(symbol: string): number {
    return this.mustState(symbol).resting.length;
  }

  /** The exchange's position of a symbol, lots (signed, from our fills only). */
  positionLots(symbol: string): number {
    return this.mustState(symbol).positionLots;
  }

  // ---- margin type and position mode (the local exchange's accounts; the backtest never calls these) ----

  /** Whether the exchange is in hedge mode (Binance `dualSidePosition`). */
  get dualSidePosition(): boolean {
    return this.hedge;
  }

  /**
   * Binance `POST /fapi/v1/positionSide/dual`: hedge mode on or off. Refused while any order is
   * open (`openOrders`, Binance -4067) or any position is open (`position`, -4068); `same` when
   * already so (-4059).
   */
  setDualSidePosition(dual: boolean): 'ok' | 'same' | 'openOrders' | 'position' {
    if (dual === this.hedge) return 'same';
    if (this.ordered.some((x) => x.open.size > 0)) return 'openOrders';
    if (this.ordered.some((x) => x.positionLots !== 0 || x.longLots !== 0 || x.shortLots !== 0)) return 'position';
    this.hedge = dual;
    if (this.account !== null) {
      this.account.hedge = dual;
      this.marginDirty = true;
    }
    return 'ok';
  }

  /** Whether a symbol is in ISOLATED margin. */
  isIsolated(symbol: string): boolean {
    this.mustState(symbol);
    return this.isolatedSymbols.has(symbol);
  }

  /**
   * Binance `POST /fapi/v1/marginType`: ISOLATED or CROSSED margin of a symbol. Refused while the
   * symbol has an open order (`openOrders`, Binance -4047) or a position (`position`, -4048);
   * `same` when already so (-4046).
   */
  setMarginType(symbol: string, isolated: boolean): 'ok' | 'same' | 'openOrders' | 'position' {
    const s = this.mustState(symbol);
    if (this.isolatedSymbols.has(symbol) === isolated) return 'same';
    if (s.open.size > 0) return 'openOrders';
    if (s.positionLots !== 0 || s.longLots !== 0 || s.shortLots !== 0) return 'position';
    if (isolated) this.isolatedSymbols.add(symbol);
    else this.isolatedSymbols.delete(symbol);
    if (this.account !== null) {
      this.account.setIsolated(symbol, isolated);
      this.marginDirty = true;
    }
    return 'ok';
  }

  /** The positions of a symbol by side: BOTH (one-way) or LONG and SHORT (hedge), signed lots. */
  positionSides(symbol: string): [PositionSide, number][] {
    const s = this.mustState(symbol);
    return this.hedge ? [['LONG', s.longLots], ['SHORT', s.shortLots === 0 ? 0 : -s.shortLots]] : [['BOTH', s.positionLots]];
  }

  /**
   * Binance `POST /fapi/v1/positionMargin`: `amount` (exact decimal, > 0) added to (`add`) or
   * removed from an isolated position's wallet (margin.ts `transferIsolated`). `noAccount` without
   * an exchange-side account.
   */
  transferIsolatedMargin(symbol: string, side: PositionSide, amount: string, add: boolean, tsUs: number): TransferOutcome | 'noAccount' {
    const s = this.mustState(symbol);
    if (this.account === null) return 'noAccount';
    this.advance(tsUs);
    const d = parseDecimal(amount, 'amount');
    const m = d.scale <= 24 ? d.units * 10n ** BigInt(24 - d.scale) : d.units / 10n ** BigInt(d.scale - 24);
    const out = this.account.transferIsolated(this.ordered, s, side, add ? m : -m);
    if (out === 'ok') this.marginDirty = true;
    return out;
  }

  /**
   * An isolated position's wallet, margin (wallet + unrealized PnL at the reference price) and
   * liquidation price, exact decimal strings; null when the symbol is cross or there is no account.
   */
  isolatedPosition(symbol: string, side: PositionSide): { wallet: string; margin: string; liquidationPrice: string | null } | null {
    const s = this.mustState(symbol);
    if (this.account === null) return null;
    const lots = this.positionSides(symbol).find(([ps]) => ps === side)?.[1] ?? 0;
    const v = this.account.isolatedView(s, side, lots);
    if (v === null) return null;
    return { wallet: formatScaled(v.iwM, 24), margin: formatScaled(v.marginM, 24), liquidationPrice: v.liquidationPrice8 === null ? null : formatScaled(v.liquidationPrice8, 8) };
  }

  /** Σ isolated wallets of the account (its wallet less them is the cross wallet), exact decimal string; "0" without an account. */
  isolatedWallets(): string {
    return this.account === null ? '0' : formatScaled(this.account.isolatedWalletsM(), 24);
  }

  /** A funding settlement of an isolated symbol split by position side (each side's payment goes into its isolated wallet). */
  private fundingPerSide(f: { symbol: string; markPrice: string; rate: string; payment: string }): [PositionSide, string][] {
    if (!this.hedge) return [['BOTH', f.payment]];
    const s = this.mustState(f.symbol);
    const mark = parseDecimal(f.markPrice, `${f.symbol}.markPrice`);
    const rate = parseDecimal(f.rate, `${f.symbol}.fundingRate`);
    return [['LONG', fundingPayment(s.inst, s.longLots, mark, rate)], ['SHORT', fundingPayment(s.inst, -s.shortLots, mark, rate)]];
  }

  // ---- market side ------------------------------------------------------------------------------

  private state(symbol: string): SymbolState | undefined {
    if (symbol === this.lastSymbol) return this.lastState;
    const s = this.symbols.get(symbol);
    this.lastSymbol = symbol;
    this.lastState = s;
    return s;
  }

  private mustState(symbol: string): SymbolState {
    const s = this.symbols.get(symbol);
    if (s === undefined) throw new RangeError(`SimExchange has no instrument ${symbol}`);
    return s;
  }

  /** Level changes at our prices feed the queue model; a crossing book may fill resting orders. */
  private afterBookChange(s: SymbolState, tsUs: number): void {
    const book = s.book;
    const topOnly = !s.marketBook.depthSeen;
    const bestBid = book.bestBidTicks();
    const bestAsk = book.bestAskTicks();
    const q = this.queueModel;
    const list = s.resting;
    for (let i = 0; i < list.length; i++) {
      const o = list[i];
      if (!o.isOpen) continue;
      // With top of book only, a level behind the best is unknown (not empty): leave the queue be.
      const visible = !topOnly || (o.isBuy ? !(o.priceTicks < bestBid) : !(o.priceTicks > bestAsk));
      if (visible) {
        const level = book.qtyAt(o.isBuy ? 'bid' : 'ask', o.priceTicks);
        if (o.queueUnknown) {
          // First sight of the level (top-of-book data): join behind all of it.
          q.onPlace(o, level);
          o.levelLots = level;
          o.queueUnknown = false;
        } else if (level !== o.levelLots) {
          q.onLevelChange(o, o.levelLots, level);
          // Cancellations can bring us to the front, never past it: only prints fill.
          if (o.front < 0) o.front = 0;
          o.levelLots = level;
        }
      }
      const crossed = o.isBuy ? bestAsk <= o.priceTicks : bestBid >= o.priceTicks;
      if (!crossed) o.crossingArmed = true;
      else if (this.crossingFills && o.crossingArmed) this.fill(s, o, o.remainingLots, o.priceTicks, 'maker', tsUs);
    }
    if (s.needsCompact) this.compact(s);
  }

  /**
   * A print: a taker hit our side at `price` for `qty`. The print's quantity is the most it can
   * give all our orders together (conserved volume), handed out in price-time priority: first our
   * orders through its price (a sell print below our bid: the taker went through our level), best
   * price first, then ours at its price, each after the queue ahead of it (the queue model takes
   * the print off that queue first). An order that reached the exchange after the print matched
   * (`arrivalUs` > the print's match time) is not in its way. An order whose queue is unknown
   * (top-of-book data, placed behind the best) takes only from prints through its price.
   */
  private onPrint(s: SymbolState, e: Trade | AggTrade, tsUs: number): void {
    const takerSold = e.buyerIsMaker;
    const price = e.priceTicks;
    const qty = e.qtyLots;
    const matchUs = matchTimeUs(e);
    const q = this.queueModel;
    const list = s.resting;
    let budget = qty;
    // Through orders, best price first (stable: time priority within a price).
    const through = this.scratch;
    // (Emptied only when not empty: a length store is a runtime call even when it changes nothing,
    // and most prints find no order through their price.)
    if (through.length !== 0) through.length = 0;
    for (let i = 0; i < list.length; i++) {
      const o = list[i];
      if (!o.isOpen || o.isBuy !== takerSold || o.arrivalUs > matchUs) continue;
      if (o.isBuy ? o.priceTicks > price : o.priceTicks < price) through.push(o);
    }
    if (through.length > 1) through.sort(takerSold ? byPriceDesc : byPriceAsc);
    for (let i = 0; i < through.length && budget > 0; i++) {
      const o = through[i];
      if (!o.isOpen) continue;
      if (!this.partialFills && budget < o.remainingLots) continue;
      budget -= this.fill(s, o, Math.min(o.remainingLots, budget), o.priceTicks, 'maker', tsUs);
      o.front = 0;
    }
    if (through.length !== 0) through.length = 0;
    // At the print's price, in time priority.
    let consumedAtPrice = 0;
    for (let i = 0; i < list.length; i++) {
      const o = list[i];
      if (!o.isOpen || o.isBuy !== takerSold || o.priceTicks !== price || o.arrivalUs > matchUs || o.queueUnknown) continue;
      const aheadBefore = o.front > 0 ? o.front : 0;
      q.onTrade(o, qty);
      let available = qty - aheadBefore - consumedAtPrice;
      if (available > budget) available = budget;
      if (available < 1 - EPS) continue;
      o.front = 0;
      const lots = Math.floor(available + EPS);
      // No partial fills: the print reached us but cannot fill all we have left; we stay at the front.
      if (!this.partialFills && lots < o.remainingLots) continue;
      const got = this.fill(s, o, Math.min(o.remainingLots, lots), o.priceTicks, 'maker', tsUs);
      consumedAtPrice += got;
      budget -= got;
    }
    if (s.needsCompact) this.compact(s);
  }

  private onMark(s: SymbolState, e: MarkPrice): void {
    this.funding.onMark(s, e);
    if (e.markPrice === '') return;
    const mark = parseDecimal(e.markPrice, `${s.inst.symbol}.markPrice`);
    s.mark = mark;
    s.market.mark = mark;
    s.markTicks = Number(mark.units) / 10 ** mark.scale / (s.inst.tickUnits / 10 ** s.inst.priceDecimals);
    this.marginDirty = true;
    const pp = s.inst.percentPrice;
    if (pp !== null) {
      s.market.maxBuyTicks = bandEdgeTicks(s.inst, mulScaled(mark, pp.up), false);
      s.market.minSellTicks = bandEdgeTicks(s.inst, mulScaled(mark, pp.down), true);
    }
  }

  // ---- order side -------------------------------------------------------------------------------

  private submit(req: OrderRequest, tsUs: number): void {
    const s = this.symbols.get(req.symbol);
    if (s === undefined) return this.rejectSubmit(req, REJECT.badSymbol, tsUs);
    if (s.open.has(req.clientOrderId)) return this.rejectSubmit(req, REJECT.duplicateClientId, tsUs);
    if ((req.positionSide !== undefined) !== this.hedge) return this.rejectSubmit(req, REJECT.positionSideMismatch, tsUs);
    if (this.hedge && req.reduceOnly) return this.rejectSubmit(req, REJECT.reduceOnlyInHedge, tsUs);
    s.market.oppositeBestTicks = req.side === 'buy' ? s.book.bestAskTicks() : s.book.bestBidTicks();
    const bad = s.filters.check(req.type, req.side, req.priceTicks, req.qtyLots, req.reduceOnly, s.market);
    if (bad !== null) return this.rejectSubmit(req, bad, tsUs);
    const maxOrders = s.inst.spec.maxNumOrders;
    if (maxOrders !== undefined && s.resting.length >= maxOrders) return this.rejectSubmit(req, REJECT.maxOpenOrders, tsUs);
    const reducible = this.reducibleLots(s, req.side, req.positionSide);
    const closing = req.reduceOnly || (req.positionSide !== undefined && (req.positionSide === 'LONG') !== (req.side === 'buy'));
    if (closing && reducible === 0) return this.rejectSubmit(req, REJECT.reduceOnly, tsUs);
    if (this.account !== null && !closing && !this.account.entryAllowed(this.ordered, s, req.side === 'buy', req.qtyLots, req.type === 'LIMIT' ? priceExact(s.inst, req.priceTicks) : null, req.positionSide ?? 'BOTH')) {
      this.counters.marginRejects++;
      return this.rejectSubmit(req, REJECT.marginInsufficient, tsUs);
    }
    const marketable = req.type === 'MARKET' || this.crosses(s, req.side === 'buy', req.priceTicks) || this.crossesOwn(s, req.side === 'buy', req.priceTicks);
    if (req.type === 'LIMIT' && req.timeInForce === 'GTX' && marketable) return this.rejectSubmit(req, REJECT.postOnly, tsUs);
    if (req.type === 'LIMIT' && req.timeInForce === 'FOK') {
      const cap = closing ? Math.min(req.qtyLots, reducible) : req.qtyLots;
      if (cap < req.qtyLots || this.fillableLots(s, req.side === 'buy', req.priceTicks, req.qtyLots) < req.qtyLots) {
        return this.rejectSubmit(req, REJECT.fokUnfillable, tsUs);
      }
    }
    const o = new SimOrder(req, this.nextOrderId++, tsUs, req.selfTradePrevention ?? this.stpMode);
    this.report(o.report('NEW', tsUs));
    if (marketable) this.takeLiquidity(s, o, tsUs);
    if (!o.isOpen) return;
    if (o.type === 'MARKET' || o.timeInForce === 'IOC' || o.timeInForce === 'FOK') {
      o.status = 'EXPIRED';
      this.report(o.report('EXPIRED', tsUs));
      this.retain(o);
      return;
    }
    this.rest(s, o);
  }

  /** `GET /fapi/v1/order`: an open order, or one that ended within the retention; else -2013. */
  private query(symbol: string, clientOrderId: string): void {
    const o = this.symbols.get(symbol)?.open.get(clientOrderId) ?? this.closed.get(clientOrderId);
    const result = o === undefined || o.symbol !== symbol ? { clientOrderId, found: false as const } : { found: true as const, ...o.view() };
    this.events.push({ kind: 'queryAnswer', symbol, result });
  }

  private cancel(symbol: string, clientOrderId: string, tsUs: number): void {
    const o = this.symbols.get(symbol)?.open.get(clientOrderId);
    if (o === undefined) {
      this.counters.rejects++;
      this.report(requestReject('CANCEL_REJECTED', { symbol, clientOrderId, side: 'buy', priceTicks: 0, qtyLots: 0, reduceOnly: false }, REJECT.unknownOrder.code, REJECT.unknownOrder.message, tsUs));
      return;
    }
    this.close(this.mustState(symbol), o, 'CANCELED', tsUs);
  }

  private modify(cmd: Extract<VenueCommand, { kind: 'modify' }>, tsUs: number): void {
    const s = this.symbols.get(cmd.symbol);
    const o = s?.open.get(cmd.clientOrderId);
    if (s === undefined || o === undefined) {
      return this.rejectModify({ symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, side: cmd.side, priceTicks: cmd.priceTicks, qtyLots: cmd.qtyLots, reduceOnly: false }, REJECT.unknownOrder, tsUs);
    }
    if (o.type !== 'LIMIT') return this.rejectModify(modifyFields(cmd, o), REJECT.modifyNotLimit, tsUs);
    if (cmd.priceTicks === o.priceTicks && cmd.qtyLots === o.origQtyLots) return this.rejectModify(modifyFields(cmd, o), REJECT.sameOrder, tsUs);
    s.market.oppositeBestTicks = o.isBuy ? s.book.bestAskTicks() : s.book.bestBidTicks();
    const bad = s.filters.check('LIMIT', o.side, cmd.priceTicks, cmd.qtyLots, o.reduceOnly, s.market);
    if (bad !== null) return this.rejectModify(modifyFields(cmd, o), bad, tsUs);
    const crosses = this.crosses(s, o.isBuy, cmd.priceTicks) || this.crossesOwn(s, o.isBuy, cmd.priceTicks, o);
    // Binance cancels (not rejects) a modify that leaves nothing to fill or makes a post-only take.
    if (cmd.qtyLots <= o.filledLots || (o.timeInForce === 'GTX' && crosses)) {
      this.close(s, o, 'CANCELED', tsUs);
      return;
    }
    o.priceTicks = cmd.priceTicks;
    o.origQtyLots = cmd.qtyLots;
    o.arrivalUs = tsUs;
    this.report(o.report('AMENDMENT', tsUs));
    // Loses queue priority: leaves the list and is placed again behind everyone at its new price.
    s.resting.splice(s.resting.indexOf(o), 1);
    if (o.closing) s.reduceOnlyResting--;
    s.open.delete(o.clientOrderId);
    if (crosses) this.takeLiquidity(s, o, tsUs);
    if (o.isOpen) this.rest(s, o);
  }

  // ---- matching helpers -------------------------------------------------------------------------

  private crosses(s: SymbolState, isBuy: boolean, priceTicks: number): boolean {
    return isBuy ? s.book.bestAskTicks() <= priceTicks : s.book.bestBidTicks() >= priceTicks;
  }

  /** Whether one of our own open orders on the other side is at or through `priceTicks` (a self-cross: STP or -5022). */
  private crossesOwn(s: SymbolState, isBuy: boolean, priceTicks: number, except?: SimOrder): boolean {
    for (const m of s.resting) {
      if (m.isOpen && m.isBuy !== isBuy && m !== except && (isBuy ? m.priceTicks <= priceTicks : m.priceTicks >= priceTicks)) return true;
    }
    return false;
  }

  /** Opposite-side quantity within the limit (net of our own earlier taker fills), counted up to `needLots`. */
  private fillableLots(s: SymbolState, isBuy: boolean, limitTicks: number, needLots: number): number {
    let sum = 0;
    const depleted = isBuy ? s.depletedAsk : s.depletedBid;
    s.book.forEachLevel(isBuy ? 'ask' : 'bid', (p, q) => {
      if (isBuy ? p > limitTicks : p < limitTicks) return false;
      sum += depleted.size === 0 ? q : availableLots(depleted, p, q);
      return sum < needLots;
    });
    return sum;
  }

  /**
   * Walks the opposite side of the replayed book from the best price, level by level, filling as
   * taker at each level's price, until the order is filled or its limit is reached. What it takes
   * is remembered per level (`depleted*`) and subtracted from that level until the market next
   * updates it, so a second taker order does not take the same quantity again. Our own resting
   * orders on the other side are met in price-time priority (after the queue ahead of them) and
   * handled by self-trade prevention (`stpMode`).
   */
  private takeLiquidity(s: SymbolState, o: SimOrder, tsUs: number): void {
    const isMarket = o.type === 'MARKET';
    const limit = o.priceTicks;
    const depleted = o.isBuy ? s.depletedAsk : s.depletedBid;
    const own = this.ownOpposite(s, o, isMarket);
    let k = 0;
    s.book.forEachLevel(o.isBuy ? 'ask' : 'bid', (p, q) => {
      if (!isMarket && (o.isBuy ? p > limit : p < limit)) return false;
      // Our own orders at better prices than this level (no market quantity there) come first.
      while (k < own.length && (o.isBuy ? own[k].priceTicks < p : own[k].priceTicks > p)) {
        if (!this.meetOwn(s, o, own[k++], tsUs)) return false;
      }
      let avail = depleted.size === 0 ? q : availableLots(depleted, p, q);
      let taken = 0;
      // Our own orders at this level: the taker takes the market quantity ahead of each first.
      while (k < own.length && own[k].priceTicks === p) {
        const m = own[k++];
        const ahead = Math.min(Math.max(Math.ceil(m.front - EPS), 0) - taken, avail);
        if (ahead > 0) {
          const got = this.fill(s, o, Math.min(ahead, o.remainingLots), p, 'taker', tsUs);
          taken += got;
          avail -= got;
          depleted.set(p, (depleted.get(p) ?? 0) + got);
          if (!o.isOpen) return false;
        }
        if (!this.meetOwn(s, o, m, tsUs)) return false;
      }
      if (avail > 0) {
        const got = this.fill(s, o, Math.min(avail, o.remainingLots), p, 'taker', tsUs);
        if (got > 0) depleted.set(p, (depleted.get(p) ?? 0) + got);
      }
      return o.isOpen;
    });
    // Our own orders beyond the book's last level, within the limit.
    while (o.isOpen && k < own.length) if (!this.meetOwn(s, o, own[k++], tsUs)) break;
    own.length = 0;
    if (s.needsCompact) this.compact(s);
  }

  /** Our open orders on the other side of taker `o` that it can reach (within its limit), in price-time priority. */
  private ownOpposite(s: SymbolState, o: SimOrder, isMarket: boolean): SimOrder[] {
    const out = this.scratch;
    out.length = 0;
    for (const m of s.resting) {
      if (!m.isOpen || m.isBuy === o.isBuy || m === o) continue;
      if (isMarket || (o.isBuy ? m.priceTicks <= o.priceTicks : m.priceTicks >= o.priceTicks)) out.push(m);
    }
    if (out.length > 1) out.sort(o.isBuy ? byPriceAsc : byPriceDesc);
    return out;
  }

  /**
   * Taker `o` reaches our own resting order `m`: self-trade prevention (Binance `selfTradePreventionMode`).
   * EXPIRE_MAKER expires `m`, EXPIRE_TAKER the rest of `o`, EXPIRE_BOTH both (status EXPIRED_IN_MATCH);
   * NONE lets them trade with each other (both fills booked, the position nets out). Returns whether
   * the walk goes on.
   */
  private meetOwn(s: SymbolState, o: SimOrder, m: SimOrder, tsUs: number): boolean {
    if (!o.isOpen) return false;
    if (!m.isOpen) return true;
    this.counters.selfTradesPrevented++;
    switch (o.stpMode) {
      case 'EXPIRE_MAKER':
        this.close(s, m, 'EXPIRED_IN_MATCH', tsUs);
        return true;
      case 'EXPIRE_TAKER':
        this.close(s, o, 'EXPIRED_IN_MATCH', tsUs);
        return false;
      case 'EXPIRE_BOTH':
        this.close(s, m, 'EXPIRED_IN_MATCH', tsUs);
        this.close(s, o, 'EXPIRED_IN_MATCH', tsUs);
        return false;
      case 'NONE': {
        this.counters.selfTradesPrevented--;
        const got = this.fill(s, o, Math.min(o.remainingLots, m.remainingLots), m.priceTicks, 'taker', tsUs);
        if (got > 0) this.fill(s, m, got, m.priceTicks, 'maker', tsUs);
        return o.isOpen;
      }
    }
  }

  private rest(s: SymbolState, o: SimOrder): void {
    const level = s.book.qtyAt(o.isBuy ? 'bid' : 'ask', o.priceTicks);
    this.queueModel.onPlace(o, level);
    o.levelLots = level;
    // With top of book only, a price behind the best has an unknown queue (not an empty one).
    if (!s.marketBook.depthSeen) o.queueUnknown = o.isBuy ? o.priceTicks < s.book.bestBidTicks() : o.priceTicks > s.book.bestAskTicks();
    o.crossingArmed = !this.crosses(s, o.isBuy, o.priceTicks);
    s.resting.push(o);
    s.open.set(o.clientOrderId, o);
    if (o.closing) s.reduceOnlyResting++;
  }

  /** What an order of `side` (and hedge-mode `positionSide`) can reduce: the position it closes, lots. */
  private reducibleLots(s: SymbolState, side: 'buy' | 'sell', positionSide?: 'LONG' | 'SHORT'): number {
    if (positionSide === 'LONG') return side === 'sell' ? s.longLots : 0;
    if (positionSide === 'SHORT') return side === 'buy' ? s.shortLots : 0;
    return side === 'buy' ? Math.max(-s.positionLots, 0) : Math.max(s.positionLots, 0);
  }

  /**
   * Fills `lots` of `o` at `priceTicks`. A reduce-only order is capped at what reduces the position
   * and expires once the position it reduces is gone. Returns the lots filled.
   */
  private fill(s: SymbolState, o: SimOrder, lots: number, priceTicks: number, liquidity: Liquidity, tsUs: number): number {
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

  // ---- the account (margin.ts) -----------------------------------------------------------------

  /**
   * After an event or command: the exact liquidation check when something it depends on changed
   * (a fill, a funding settlement, a mark price) or when `s`'s reference price reached its trigger;
   * the triggers are refreshed then, and at least every second of exchange time.
   */
  private checkMargin(s: SymbolState | undefined, tsUs: number): void {
    const a = this.account!;
    if (!a.plain) return this.checkMarginSided(s, tsUs);
    if (!this.marginDirty) {
      if (s === undefined || s.positionLots === 0) return;
      const refTicks = s.mark !== null ? s.markTicks : (s.book.bestBidTicks() + s.book.bestAskTicks()) / 2;
      if (!a.triggered(s, refTicks) && tsUs - a.lastRefreshUs < 1_000_000) return;
    }
    this.marginDirty = false;
    if (a.liquidatable(this.ordered)) this.liquidate(tsUs);
    a.refresh(this.ordered, tsUs);
  }

  /**
   * Liquidation (cross margin): every open order is cancelled, then every position is closed at its
   * reference price (ticks rounded against us) by an `autoclose-` order reported as Binance does
   * (CALCULATED, FILLED, taker commission), with the insurance clearance fee.
   */
  private liquidate(tsUs: number): void {
    const a = this.account!;
    this.counters.liquidations++;
    for (const s of this.ordered) {
      for (const o of s.resting) if (o.isOpen) this.close(s, o, 'CANCELED', tsUs);
      if (s.needsCompact) this.compact(s);
    }
    const closes: { s: SymbolState; o: SimOrder; fee: string }[] = [];
    for (const s of this.ordered) {
      const ref = s.mark ?? s.midExact();
      if (s.positionLots === 0 || ref === null) continue;
      const isBuy = s.positionLots < 0;
      const lots = Math.abs(s.positionLots);
      const priceTicks = bandEdgeTicks(s.inst, ref, isBuy);
      const orderId = this.nextOrderId++;
      const o = new SimOrder({ symbol: s.inst.symbol, clientOrderId: `autoclose-${orderId}`, side: isBuy ? 'buy' : 'sell', type: 'LIMIT', timeInForce: 'IOC', priceTicks, qtyLots: lots, reduceOnly: true }, orderId, tsUs, 'NONE');
      o.filledLots = lots;
      o.status = 'FILLED';
      s.positionLots = 0;
      const fee = commission(s.inst, priceTicks, lots, s.takerRate);
      a.onFill(s.inst.symbol, isBuy ? lots : -lots, priceTicks, fee);
      closes.push({ s, o, fee });
    }
    for (const { s, o, fee } of closes) {
      const clearance = a.clearanceFee(s.inst, o.origQtyLots, o.priceTicks, a.equityM(this.ordered));
      a.debit(clearance);
      const trade = o.tradeReport(o.origQtyLots, o.priceTicks, this.nextTradeId++, 'taker', fee, tsUs);
      this.report({ ...trade, execType: 'CALCULATED', insuranceClearance: formatScaled(clearance.units, clearance.scale) });
      this.retain(o);
    }
  }

  /**
   * `checkMargin` with isolated symbols or hedge mode (margin.ts): the exact check on every event of
   * a symbol with a position and after every change; each isolated position that reached its own
   * maintenance margin is liquidated alone, then the cross positions together if the cross equity
   * reached theirs.
   */
  private checkMarginSided(s: SymbolState | undefined, tsUs: number): void {
    const a = this.account!;
    if (!this.marginDirty && (s === undefined || (s.positionLots === 0 && s.longLots === 0 && s.shortLots === 0))) return;
    this.marginDirty = false;
    for (const x of this.ordered) {
      if (!this.isolatedSymbols.has(x.inst.symbol)) continue;
      for (const [side, lots] of a.sides(x)) if (lots !== 0 && a.isolatedLiquidatable(x, side, lots)) this.liquidateSided(tsUs, [[x, side]], true);
    }
    if (a.crossLiquidatable(this.ordered)) {
      const targets: [SymbolState, PositionSide][] = [];
      for (const x of this.ordered) if (!this.isolatedSymbols.has(x.inst.symbol)) for (const [side] of a.sides(x)) targets.push([x, side]);
      this.liquidateSided(tsUs, targets, false);
    }
    a.refresh(this.ordered, tsUs);
  }

  /**
   * `liquidate` of some positions (isolated: one position; cross: every position of the cross
   * symbols): their open orders are cancelled (an isolated position's: the orders of its side), each
   * position is closed at its reference price (an isolated one no worse than its bankruptcy price)
   * by an `autoclose-` order (with its `positionSide` in hedge mode), and the insurance clearance
   * fee is taken, at most what is left of the margin that backed it (the isolated position's own,
   * or the cross equity).
   */
  private liquidateSided(tsUs: number, targets: readonly [SymbolState, PositionSide][], isolated: boolean): void {
    const a = this.account!;
    this.counters.liquidations++;
    for (const s of this.ordered) {
      if (this.isolatedSymbols.has(s.inst.symbol) !== isolated) continue;
      if (isolated && s !== targets[0][0]) continue;
      for (const o of s.resting) if (o.isOpen && (!isolated || targets[0][1] === 'BOTH' || o.positionSide === targets[0][1])) this.close(s, o, 'CANCELED', tsUs);
      if (s.needsCompact) this.compact(s);
    }
    const closes: { s: SymbolState; o: SimOrder; fee: string; leftM: bigint }[] = [];
    for (const [s, side] of targets) {
      const lots = side === 'BOTH' ? s.positionLots : side === 'LONG' ? s.longLots : -s.shortLots;
      const ref = s.mark ?? s.midExact();
      if (lots === 0 || ref === null) continue;
      const isBuy = lots < 0;
      const abs = Math.abs(lots);
      let priceTicks = bandEdgeTicks(s.inst, ref, isBuy);
      if (isolated) {
        const bankrupt = a.bankruptcyTicks(s, side, lots, s.takerRate);
        if (bankrupt !== null && (lots > 0 ? priceTicks < bankrupt : priceTicks > bankrupt)) priceTicks = bankrupt;
      }
      const leftM = isolated ? a.isolatedEquityAtM(s, side, lots, priceTicks) : 0n;
      const orderId = this.nextOrderId++;
      const o = new SimOrder({ symbol: s.inst.symbol, clientOrderId: `autoclose-${orderId}`, side: isBuy ? 'buy' : 'sell', type: 'LIMIT', timeInForce: 'IOC', priceTicks, qtyLots: abs, reduceOnly: side === 'BOTH', positionSide: side === 'BOTH' ? undefined : side }, orderId, tsUs, 'NONE');
      o.filledLots = abs;
      o.status = 'FILLED';
      s.positionLots -= lots;
      if (side === 'LONG') s.longLots = 0;
      else if (side === 'SHORT') s.shortLots = 0;
      const fee = commission(s.inst, priceTicks, abs, s.takerRate);
      a.onFill(s.inst.symbol, isBuy ? abs : -abs, priceTicks, fee, s.inst, side);
      closes.push({ s, o, fee, leftM: leftM - parseFeeM(fee) });
    }
    for (const { s, o, fee, leftM } of closes) {
      const clearance = a.clearanceFee(s.inst, o.origQtyLots, o.priceTicks, isolated ? leftM : a.crossEquityM(this.ordered));
      a.debit(clearance);
      const trade = o.tradeReport(o.origQtyLots, o.priceTicks, this.nextTradeId++, 'taker', fee, tsUs);
      this.report({ ...trade, execType: 'CALCULATED', insuranceClearance: formatScaled(clearance.units, clearance.scale) });
      this.retain(o);
    }
  }

  /** After the position moved: reduce-only orders that can no longer reduce anything expire. */
  private expireStaleReduceOnly(s: SymbolState, tsUs: number): void {
    for (const r of s.resting) {
      if (r.isOpen && r.closing && this.reducibleLots(s, r.side, r.positionSide) === 0) this.close(s, r, 'EXPIRED', tsUs);
    }
  }

  /** Ends an open order (CANCELED or EXPIRED) and reports it; `resting` is compacted at the end of the event or command. */
  private close(s: SymbolState, o: SimOrder, status: 'CANCELED' | 'EXPIRED' | 'EXPIRED_IN_MATCH', tsUs: number): void {
    o.status = status;
    this.forget(s, o);
    this.report(o.report(status === 'CANCELED' ? 'CANCELED' : 'EXPIRED', tsUs));
  }

  private forget(s: SymbolState, o: SimOrder): void {
    if (s.open.get(o.clientOrderId) === o) {
      s.open.delete(o.clientOrderId);
      if (o.closing) s.reduceOnlyResting--;
      s.needsCompact = true;
    }
    this.retain(o);
  }

  /** Keeps an ended order queryable (a re-used client id keeps its latest order). */
  private retain(o: SimOrder): void {
    if (this.closedOrderRetention <= 0) return;
    this.closed.delete(o.clientOrderId);
    this.closed.set(o.clientOrderId, o);
    if (this.closed.size > this.closedOrderRetention) this.closed.delete(this.closed.keys().next().value as string);
  }

  private report(r: ExecutionReport): void {
    this.events.push({ kind: 'report', report: r });
  }

  /** Drops closed orders from `resting`, keeping the priority order. */
  private compact(s: SymbolState): void {
    const list = s.resting;
    let j = 0;
    for (let i = 0; i < list.length; i++) if (list[i].isOpen) list[j++] = list[i];
    list.length = j;
    s.needsCompact = false;
  }

  private rejectSubmit(req: OrderRequest, why: Reject, tsUs: number): void {
    this.counters.rejects++;
    const fields = { symbol: req.symbol, clientOrderId: req.clientOrderId, side: req.side, priceTicks: req.type === 'MARKET' ? 0 : req.priceTicks, qtyLots: req.qtyLots, reduceOnly: req.reduceOnly };
    this.report(requestReject('REJECTED', fields, why.code, why.message, tsUs));
  }

  private rejectModify(fields: Parameters<typeof requestReject>[1], why: Reject, tsUs: number): void {
    this.counters.rejects++;
    this.report(requestReject('MODIFY_REJECTED', fields, why.code, why.message, tsUs));
  }
}

/** A commission string at 10^-24 (rounded toward zero). */
function parseFeeM(fee: string): bigint {
  const d = parseDecimal(fee, 'commission');
  return d.scale <= 24 ? d.units * 10n ** BigInt(24 - d.scale) : d.units / 10n ** BigInt(d.scale - 24);
}
