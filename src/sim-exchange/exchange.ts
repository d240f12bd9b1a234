/**
 * `SimExchange`: the simulated Binance matching engine, a `SimVenue` (model/venue.ts). See
 * index.ts for the fill rules; this file holds the market-event handlers (book changes, prints,
 * mark prices: the backtest's hot path) and the command entry point (`send`). The class is the
 * end of a chain of layers beside it, each extending the one before (direct method calls):
 * exchange-state.ts (state, fills, order book-keeping; per-symbol state in symbol-state.ts) →
 * liquidation.ts → self-trade.ts → order-entry.ts → position-modes.ts → queries.ts → this file.
 */
import type { AggTrade, BookTicker, FlatDepthDiff, MarketEvent, MarketEventType, MarkPrice, Trade } from '../model/events.ts';
import { mulScaled, parseDecimal } from '../model/money.ts';
import type { SimVenue, VenueCommand, VenueEvent } from '../model/venue.ts';
import { byPriceAsc, byPriceDesc, EPS } from './exchange-state.ts';
import { bandEdgeTicks } from './money.ts';
import { ExchangeQueries } from './queries.ts';
import { refreshLevels, type SymbolState } from './symbol-state.ts';

/** What `drainEvents` returns when nothing happened (frozen: a caller cannot add to it). */
const NO_EVENTS = Object.freeze([]) as unknown as VenueEvent[];

/** An event's match time: `T` (`tsTransactUs`, never after `E`), or its exchange time `E` where it has none (mark prices, flat diffs). */
function matchTimeUs(e: MarketEvent | FlatDepthDiff): number {
  const t = 'tsTransactUs' in e ? e.tsTransactUs : e.tsExchangeUs;
  return t > e.tsExchangeUs ? e.tsExchangeUs : t;
}

export class SimExchange extends ExchangeQueries implements SimVenue {
  // ---- public API -------------------------------------------------------------------------------

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

  // ---- market side ------------------------------------------------------------------------------

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
}
