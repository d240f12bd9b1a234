/**
 * The decision pipeline of a `TradingCore` (core.ts; the decision rule is stated there): after a
 * book event, whether the touch or the book's validity moved (`afterBook`, which also marks the
 * portfolio at the mid and publishes validity changes); whether a trigger decides now or is
 * deferred (`trigger`: throttle, `minIntervalUs`); the decision itself (`decide`: orders collected,
 * strategy, risk) and its action (`act`: the OMS's commands queued by `enqueue`); the immediate
 * cancel-all of a HALTED symbol. Separate from the venue-event handling (core-venue.ts) and the
 * inputs (core.ts), which call into it. This is the backtest's hot path (every book event passes
 * `afterBook`): the strategy and risk contexts and the order views are per-symbol objects rewritten
 * at each decision, not built anew.
 *
 * Units: ticks, lots, integer µs (every step stamped with the injected clock). Ordering: commands
 * in the order the OMS returned them.
 */
import type { Intent, RiskDecision } from '../model/trading.ts';
import type { VenueCommand } from '../model/venue.ts';
import type { RiskContext } from '../risk/index.ts';
import type { BookValidityCause, DecisionTrigger } from './events.ts';
import { marginUsed } from './margin.ts';
import { writeStrategySignals } from './signals.ts';
import { TradingCoreState, type SymbolPipeline } from './core-state.ts';

/** The decision pipeline over the core's state (see the header); `TradingCore` is the class to use. */
export abstract class TradingCoreDecisions extends TradingCoreState {
  protected afterBook(p: SymbolPipeline): void {
    this.counters.bookUpdates++;
    const now = this.clock.nowUs();
    const book = (p.book = p.market.book);
    p.bookSeen = true;
    p.lastBookUpdateUs = now;
    p.signal.onBook(now, book);
    const valid = book.isValid();
    if ((valid ? 1 : 0) !== p.validity) this.bookValidity(p, valid, now);
    const bid = book.bestBidTicks();
    const ask = book.bestAskTicks();
    let moved = valid !== p.lastValid || !samePrice(bid, p.lastBid) || !samePrice(ask, p.lastAsk);
    if (!moved && this.decision.decideOnTopQtyChange) moved = book.bestBidLots() !== p.lastBidLots || book.bestAskLots() !== p.lastAskLots;
    if (!moved) return;
    p.lastValid = valid;
    p.lastBid = bid;
    p.lastAsk = ask;
    p.lastBidLots = book.bestBidLots();
    p.lastAskLots = book.bestAskLots();
    if (valid && bid < ask && this.decision.markSource !== 'markPrice' && !(this.decision.markSource === 'auto' && p.markSeen) && now - p.lastMidMarkUs >= this.decision.midMarkIntervalUs) {
      p.lastMidMarkUs = now;
      this.portfolio.mark({ symbol: p.instrument.symbol, tsUs: now, priceTicks: (bid + ask) / 2 });
      p.account.version++;
    }
    this.trigger(p, now, 'book');
  }

  /** Records (and publishes) a change of the book's validity; on transitions only, off the per-event path. */
  protected bookValidity(p: SymbolPipeline, valid: boolean, now: number, cause?: BookValidityCause): void {
    p.validity = valid ? 1 : 0;
    if (!this.bus.hasListeners('trader.bookValidityChanged')) return;
    let why: BookValidityCause;
    if (cause !== undefined) why = cause;
    else if (p.book !== p.market.depthBook) why = 'topOfBook';
    else if (valid) why = p.syncEvent === 'resync' ? 'resynced' : 'synced';
    else why = p.syncEvent === 'gap' || p.syncEvent === 'crossed' ? p.syncEvent : 'awaitingSync';
    this.bus.emit('trader.bookValidityChanged', { symbol: p.instrument.symbol, tsUs: now, valid, cause: why });
  }

  protected trigger(p: SymbolPipeline, now: number, why: DecisionTrigger): void {
    if (now < this.throttledUntilUs) {
      if (this.throttledUntilUs < p.pendingDecisionUs) p.pendingDecisionUs = this.throttledUntilUs;
      return;
    }
    const min = this.decision.minIntervalUs;
    if (min > 0 && now - p.lastDecisionUs < min) {
      const at = p.lastDecisionUs + min;
      if (at < p.pendingDecisionUs) p.pendingDecisionUs = at;
      return;
    }
    if (!p.bookSeen) return;
    this.decide(p, now, why);
  }

  protected decide(p: SymbolPipeline, now: number, why: DecisionTrigger): void {
    if (this.decisionsStopped) return;
    if (!this.orderEntryUp) {
      // Nothing could be sent: every symbol decides when order entry is back (`onOrderEntry`).
      p.pendingDecisionUs = Number.POSITIVE_INFINITY;
      return;
    }
    this.counters.decisions++;
    p.lastDecisionUs = now;
    p.pendingDecisionUs = Number.POSITIVE_INFINITY;
    const symbol = p.instrument.symbol;
    const position = this.oms.positionLots(symbol);
    this.collectOrders(p, now);
    if (p.paused) {
      p.cancellingAll = true;
      this.enqueue(p, this.oms.decide(cancelAllIntent(symbol, now, 'paused by the operator')), now, 'decision');
      return;
    }

    const sctx = p.strategyCtx;
    sctx.tsUs = now;
    sctx.book = p.book;
    sctx.positionLots = position;
    // Multi-level and band imbalances walk the book: computed per decision, and only when read.
    if (this.decision.obiSource !== 'l1') p.signal.refreshDepthImbalances(p.book);
    writeStrategySignals(p.signal.signal, p.signals, this.decision.obiSource, this.decision.micropriceSource);
    const intent = p.strategy.decide(sctx);
    if (this.bus.hasListeners('trader.intentDecided')) this.bus.emit('trader.intentDecided', { symbol, tsUs: now, trigger: why, intent });

    const rctx = this.riskContext(p, now, position);
    const decision = p.risk.check(intent, rctx);
    if (this.bus.hasListeners('trader.riskDecided')) this.bus.emit('trader.riskDecided', { symbol, tsUs: now, decision });
    this.act(p, decision, now, position);
  }

  protected act(p: SymbolPipeline, decision: RiskDecision, now: number, position: number): void {
    let approved: Intent;
    if (decision.approved) approved = decision.intent;
    else if (decision.cancelAll) approved = cancelAllIntent(p.instrument.symbol, now, `risk denied: ${decision.reason.code}`);
    else return;
    p.cancellingAll = approved.cancelAll;
    const bid = p.book.bestBidTicks();
    const ask = p.book.bestAskTicks();
    const flattenPriceTicks = position > 0 ? bid : ask;
    const cmds = this.oms.decide(approved, { positionLots: position, flattenPriceTicks: Number.isNaN(flattenPriceTicks) ? undefined : flattenPriceTicks });
    this.enqueue(p, cmds, now, 'decision');
  }

  protected enqueue(p: SymbolPipeline, cmds: VenueCommand[], now: number, cause: 'decision' | 'halt'): void {
    if (cmds.length === 0) return;
    for (const c of cmds) {
      if (c.kind === 'submit' || c.kind === 'modify') p.risk.recordOrderSent(now);
      this.queue.push(c);
    }
    this.counters.commands += cmds.length;
    if (this.bus.hasListeners('trader.commandsQueued')) this.bus.emit('trader.commandsQueued', { symbol: p.instrument.symbol, tsUs: now, cause, commands: cmds });
  }

  protected cancelAllNow(symbol: string, reason: string): void {
    const p = this.pipelines.get(symbol);
    // Order entry down: the decision when it is back cancels (HALTED).
    if (!p || this.decisionsStopped || !this.orderEntryUp) return;
    const now = this.clock.nowUs();
    // Throttled: the venue would refuse the cancels; the decision at the throttle's end cancels (HALTED).
    if (now < this.throttledUntilUs) {
      if (this.throttledUntilUs < p.pendingDecisionUs) p.pendingDecisionUs = this.throttledUntilUs;
      return;
    }
    this.enqueue(p, this.oms.decide(cancelAllIntent(symbol, now, reason)), now, 'halt');
  }

  /**
   * Live quotes for the strategy, open-order views for risk, the next age check, the order margin.
   * The views are pooled objects rewritten at every decision (nothing keeps them past it).
   */
  protected collectOrders(p: SymbolPipeline, now: number): void {
    const live = p.liveQuotes;
    const views = p.openViews;
    const livePool = p.liveQuotePool;
    const viewPool = p.openViewPool;
    let nLive = 0;
    let nViews = 0;
    let tickLots = 0;
    let oldest = Number.POSITIVE_INFINITY;
    const orders = this.oms.liveOrders(p.instrument.symbol);
    for (let i = 0; i < orders.length; i++) {
      const o = orders[i];
      const remaining = o.qtyLots - o.filledLots;
      // Risk counts what can still fill: with a modify in flight the order may fill at its current
      // quantity (before the modify lands) or up to its target (after), Binance's modify quantity
      // being the order's total. Counting only the current remaining let a quantity-raising modify
      // plus a new quote exceed the position limit.
      const target = o.state === 'pending-modify' ? o.modifyTarget : null;
      const fillable = target !== null && target.qtyLots > o.qtyLots ? target.qtyLots - o.filledLots : remaining;
      const keepable = (o.state === 'open' || o.state === 'partially-filled' || o.state === 'pending-new') && !o.unknown && !o.reduceOnly;
      let v = viewPool[nViews];
      if (v === undefined) viewPool.push((v = { side: o.side, priceTicks: 0, remainingLots: 0, keepable: false }));
      v.side = o.side;
      v.priceTicks = o.priceTicks;
      v.remainingLots = fillable;
      v.keepable = keepable;
      views[nViews++] = v;
      tickLots += o.priceTicks * remaining;
      if (o.state === 'pending-cancel' || o.reduceOnly) continue;
      let l = livePool[nLive];
      if (l === undefined) livePool.push((l = { side: o.side, priceTicks: 0, qtyLots: 0, placedAtUs: 0 }));
      l.side = o.side;
      l.priceTicks = o.priceTicks;
      l.qtyLots = remaining;
      l.placedAtUs = o.placedUs;
      live[nLive++] = l;
      if (o.placedUs < oldest) oldest = o.placedUs;
    }
    if (views.length !== nViews) views.length = nViews;
    if (live.length !== nLive) live.length = nLive;
    const ttl = this.config.oms.orderTtlUs > 0 ? this.config.oms.orderTtlUs : Number.POSITIVE_INFINITY;
    const age = Math.min(ttl, this.config.strategy.maxOrderAgeUs);
    p.nextAgeCheckUs = oldest + age > now ? oldest + age : Number.POSITIVE_INFINITY;
    p.orderTickLots = tickLots;
  }

  protected riskContext(p: SymbolPipeline, now: number, position: number): RiskContext {
    const a = p.account;
    if (a.seenVersion !== a.version) this.refreshAccount(a, now);
    else this.rollDay(a, now);
    if (a.positionMargin !== p.marginPositionMargin || p.orderTickLots !== p.marginTickLots) {
      p.marginPositionMargin = a.positionMargin;
      p.marginTickLots = p.orderTickLots;
      p.marginUsed = marginUsed(p.orderTickLots, p.instrument, this.leverage, a.positionMargin);
    }
    const s = p.signal.signal;
    const book = p.book;
    const r = p.riskCtx;
    r.tsUs = now;
    r.positionLots = position;
    r.markPriceTicks = s.ready.markDeviation ? Math.round(s.markPriceTicks) : NaN;
    r.bestBidTicks = book.bestBidTicks();
    r.bestAskTicks = book.bestAskTicks();
    r.bookValid = book.isValid();
    r.lastBookUpdateUs = p.lastBookUpdateUs;
    r.equity = a.equity;
    r.peakEquity = a.peakEquity;
    r.dayStartEquity = a.dayStartEquity;
    r.marginUsed = p.marginUsed;
    r.sigmaTicksPerSqrtS = s.ready.sigma ? s.sigmaTicksPerSqrtS : NaN;
    r.accountInSync = this.userStream === 'up';
    return r;
  }
}

/** Equal prices, an empty side (NaN) equal to an empty side. */
function samePrice(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

function cancelAllIntent(symbol: string, tsUs: number, reason: string): Intent {
  return { symbol, tsUs, quotes: [], cancelAll: true, flatten: false, reason };
}
