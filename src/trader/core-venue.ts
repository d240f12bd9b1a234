/**
 * What a `TradingCore` (core.ts) does with each venue event `onVenueEvent` hands it: fills booked
 * in the portfolio from the OMS's `order.filled` (`bookFill`), liquidation fills, funding, a
 * market / user-data / order-entry stream going down or coming back, the venue's account snapshot
 * (orders adopted, position and start balance reconciled) and a throttle (HTTP 429/418); then the
 * symbols that must decide again (`cancelStragglers`, `decideChanged`: decision rule 2). Separate
 * from the decision pipeline (core-decisions.ts) because this is reconciliation with the venue,
 * rare next to market events, with its own state (stream and throttle state, the ledger's first
 * booking, liquidations seen: fields in core-state.ts).
 *
 * Units: ticks, lots, integer µs; money exact decimal strings. Ordering: symbols in the order of
 * `instruments`; bus events synchronously as they happen.
 */
import { formatScaled, parseScaled } from '../model/money.ts';
import type { AccountSync, ExecutionReport, FundingSettlement } from '../model/venue.ts';
import type { OmsFill } from '../oms/index.ts';
import type { SymbolPipeline } from './core-state.ts';
import { TradingCoreDecisions } from './core-decisions.ts';

/** The venue-event handling over the decision pipeline (see the header); `TradingCore` is the class to use. */
export abstract class TradingCoreVenue extends TradingCoreDecisions {
  /**
   * A symbol that is not quoting (HALTED, or its last decision cancelled everything: an invalid
   * book, an account out of sync) decides again as soon as one of its orders can be cancelled (an
   * ack, an amendment, a refused cancel, a query that found it resting), not at the next book move.
   */
  protected cancelStragglers(): void {
    for (const p of this.pipelineList) {
      if (!(p.cancellingAll || p.risk.state === 'HALTED') || this.ordersChanged.has(p)) continue;
      const live = this.oms.liveOrders(p.instrument.symbol);
      for (let i = 0; i < live.length; i++) {
        const o = live[i];
        if (!o.unknown && (o.state === 'open' || o.state === 'partially-filled')) {
          this.ordersChanged.add(p);
          break;
        }
      }
    }
  }

  /** One decision for each symbol whose orders, position or venue state changed (rule 2). */
  protected decideChanged(): void {
    if (this.ordersChanged.size === 0) return;
    const now = this.clock.nowUs();
    for (const p of this.pipelineList) {
      if (!this.ordersChanged.has(p)) continue;
      this.ordersChanged.delete(p);
      this.trigger(p, now, 'orders');
    }
  }

  /**
   * A liquidation fill (CALCULATED, an `autoclose-` order the venue placed): booked in the ledger
   * as a taker fill with its commission and the insurance clearance fee, and the OMS's position
   * moves with it. A duplicate (same orderId and tradeId) is ignored.
   */
  protected onLiquidation(r: ExecutionReport): void {
    const p = this.pipelines.get(r.symbol);
    if (!p || r.lastFillLots <= 0) return;
    const key = `${r.symbol}|${r.orderId}|${r.tradeId}`;
    if (this.liquidationsSeen.has(key)) return;
    this.liquidationsSeen.add(key);
    const signed = r.side === 'buy' ? r.lastFillLots : -r.lastFillLots;
    const toLots = this.oms.positionLots(r.symbol) + signed;
    this.oms.setPosition(r.symbol, toLots);
    const fee = r.commission === '' ? '0' : r.commission;
    const clearance = r.insuranceClearance ?? '0';
    this.portfolio.applyFill({ symbol: r.symbol, side: r.side, qtyLots: r.lastFillLots, priceTicks: r.lastFillPriceTicks, fee, liquidity: 'taker', tsUs: r.tsExchangeUs });
    if (clearance !== '0') this.portfolio.applyFee({ symbol: r.symbol, fee: clearance, liquidity: 'taker' });
    this.ledgerUntouched = false;
    p.account.version++;
    this.ordersChanged.add(p);
    this.bus.emit('position.liquidated', { symbol: r.symbol, tsUs: r.tsExchangeUs, clientOrderId: r.clientOrderId, side: r.side, qtyLots: r.lastFillLots, priceTicks: r.lastFillPriceTicks, commission: fee, insuranceClearance: clearance, positionLots: toLots });
  }

  /** A funding settlement the venue booked. */
  protected onFunding(f: FundingSettlement): void {
    this.counters.fundings++;
    const p = this.pipeline(f.symbol);
    this.portfolio.applyFunding({ symbol: f.symbol, tsUs: f.tsUs, markPrice: f.markPrice, rate: f.rate, amount: f.payment });
    this.ledgerUntouched = false;
    p.account.version++;
  }

  /**
   * The market stream of `symbols` (all when absent) went down or came back. Down: each book is
   * invalid (the depth book waits for a new snapshot, the top-of-book book for the next
   * bookTicker), so risk quotes nothing there and cancels what rests. Up changes nothing by itself:
   * the book becomes valid only by re-syncing.
   */
  protected onMarketStream(up: boolean, symbols: readonly string[] | undefined, tsUs: number, reason: string): void {
    const affected = symbols === undefined ? this.pipelineList : this.pipelineList.filter((p) => symbols.includes(p.instrument.symbol));
    const now = this.clock.nowUs();
    for (const p of affected) {
      p.marketUp = up;
      if (up) continue;
      p.market.invalidate();
      if (p.validity === 1) this.bookValidity(p, false, now, 'streamDown');
      // Decide at once on the invalid book (the strategy quotes nothing, risk would refuse), so
      // what rests is cancelled; the re-synced book then counts as a move.
      p.lastValid = false;
      p.lastBid = NaN;
      p.lastAsk = NaN;
      this.ordersChanged.add(p);
    }
    if (this.bus.hasListeners('venue.streamChanged')) {
      this.bus.emit('venue.streamChanged', { tsUs: now, stream: 'market', up, symbols: affected.map((p) => p.instrument.symbol), reason: `${reason} (venue time ${tsUs})` });
    }
  }

  /**
   * The user-data stream went down (fills and cancels of ours are no longer seen: quote nothing,
   * cancel what rests) or came back (still not in sync until the venue's account snapshot).
   */
  protected onUserStream(up: boolean, tsUs: number, reason: string): void {
    const was = this.userStream;
    this.userStream = up ? (was === 'up' ? 'up' : 'resyncing') : 'down';
    if (this.userStream !== was) for (const p of this.pipelineList) this.ordersChanged.add(p);
    if (this.bus.hasListeners('venue.streamChanged')) {
      this.bus.emit('venue.streamChanged', { tsUs: this.clock.nowUs(), stream: 'user', up, symbols: [], reason: `${reason} (venue time ${tsUs})` });
    }
  }

  /**
   * Order entry went down or came back (see the header). Down: every decision, halt cancel and query
   * waits (what rests stays; deferred decisions are dropped, not re-armed, so no timer spins). Back
   * up: every symbol decides at once with what is known then; queries due go out at the next timer.
   */
  protected onOrderEntry(up: boolean, tsUs: number, reason: string): void {
    if (up === this.orderEntryUp) return;
    this.orderEntryUp = up;
    if (up) for (const p of this.pipelineList) this.ordersChanged.add(p);
    if (this.bus.hasListeners('venue.streamChanged')) {
      this.bus.emit('venue.streamChanged', { tsUs: this.clock.nowUs(), stream: 'orderEntry', up, symbols: [], reason: `${reason} (venue time ${tsUs})` });
    }
  }

  /**
   * Takes in the venue's account snapshot: orders through the OMS (`OrderManager.adopt`); then per
   * covered symbol, once no order of it has an unknown outcome, the venue's position replaces ours
   * if they differ (`position.adjusted`; with outcomes still unknown the check waits for the next
   * snapshot, since the queries' fills are in the venue's position already); balances are taken as
   * the start balance while nothing has been booked yet, else only reported (`account.synced`).
   * A user-data stream that came back is in sync again.
   */
  protected adopt(sync: AccountSync): void {
    const now = this.clock.nowUs();
    const adoptedOrders = this.oms.adopt(sync);
    const positions: { symbol: string; venueLots: number; ourLots: number; checked: boolean }[] = [];
    for (const symbol of sync.symbols) {
      const p = this.pipelines.get(symbol);
      if (p === undefined) continue;
      const venueLots = sync.positions.find((v) => v.symbol === symbol)?.lots ?? 0;
      const ourLots = this.oms.positionLots(symbol);
      const checked = this.oms.unknownCount(symbol) === 0;
      positions.push({ symbol, venueLots, ourLots, checked });
      if (checked && venueLots !== ourLots) this.adjustPosition(p, ourLots, venueLots, now);
      this.ordersChanged.add(p);
    }
    const balances: { asset: string; venueWallet: string; ourWallet: string; adopted: boolean }[] = [];
    for (const b of sync.balances) {
      const asset = b.asset.toUpperCase();
      if (!this.accounts.has(asset)) continue;
      const ours = parseScaled(this.portfolio.accountSnapshot(asset).walletBalance, this.portfolio.moneyDecimals, 'walletBalance');
      const venue = parseScaled(b.walletBalance, this.portfolio.moneyDecimals, `${asset}.walletBalance`);
      const adopted = this.ledgerUntouched && venue !== ours;
      if (adopted) {
        this.portfolio.deposit({ asset, amount: formatScaled(venue - ours, this.portfolio.moneyDecimals), tsUs: now });
        this.accounts.get(asset)!.version++;
      }
      balances.push({ asset, venueWallet: b.walletBalance, ourWallet: formatScaled(ours, this.portfolio.moneyDecimals), adopted });
    }
    if (this.userStream === 'resyncing') this.userStream = 'up';
    if (this.bus.hasListeners('account.synced')) {
      this.bus.emit('account.synced', { tsUs: now, venueTsUs: sync.tsUs, positions, balances, openOrders: sync.openOrders.length, adoptedOrders });
    }
  }

  /** Takes the venue's position: the OMS's, and the ledger's through a fill at the book mid. */
  protected adjustPosition(p: SymbolPipeline, fromLots: number, toLots: number, now: number): void {
    const symbol = p.instrument.symbol;
    this.oms.setPosition(symbol, toLots);
    const bid = p.book.bestBidTicks();
    const ask = p.book.bestAskTicks();
    const priceTicks = p.book.isValid() && bid < ask ? Math.floor((bid + ask) / 2) : NaN;
    const delta = toLots - this.portfolio.positionLots(symbol);
    if (delta !== 0 && priceTicks > 0) {
      this.portfolio.applyFill({ symbol, side: delta > 0 ? 'buy' : 'sell', qtyLots: Math.abs(delta), priceTicks, fee: '0', liquidity: 'taker', tsUs: now });
      this.ledgerUntouched = false;
      p.account.version++;
    }
    this.bus.emit('position.adjusted', { symbol, tsUs: now, fromLots, toLots, priceTicks });
  }

  /**
   * The venue refuses requests until `untilUs` (HTTP 429/418): nothing is sent before then
   * (decisions and order queries wait; what rests stays), and every symbol decides again at
   * `untilUs`. Each symbol's risk goes REDUCING now (`VENUE_THROTTLED`, a `risk.stateChanged`) and
   * stays so until `untilUs` + `risk.throttleCooldownUs`: the decision at the ban's end keeps only
   * position-reducing quotes (the rest is cancelled), and the decision at the hold's end quotes
   * both sides again.
   */
  protected onThrottled(untilUs: number, httpStatus: number, reason: string): void {
    const now = this.clock.nowUs();
    if (untilUs <= now || untilUs <= this.throttledUntilUs) return;
    this.throttledUntilUs = untilUs;
    const message = `venue throttled (HTTP ${httpStatus}: ${reason}); no request before ${untilUs} µs, only position-reducing quotes until ${untilUs + this.config.risk.throttleCooldownUs} µs`;
    for (const p of this.pipelineList) {
      if (untilUs < p.pendingDecisionUs) p.pendingDecisionUs = untilUs;
      p.risk.throttle(now, untilUs, message);
      p.throttleLiftUs = p.risk.throttleHoldUntilUs();
    }
    if (this.bus.hasListeners('venue.throttled')) this.bus.emit('venue.throttled', { tsUs: now, untilUs, httpStatus, reason });
  }

  protected bookFill(f: OmsFill): void {
    const p = this.pipelines.get(f.symbol);
    if (!p) return;
    const order = this.oms.order(f.clientOrderId);
    // Inferred fills carry no liquidity: a resting quote filled as maker, anything else as taker.
    const liquidity = f.liquidity ?? (order && order.type === 'LIMIT' && (order.timeInForce === 'GTX' || order.timeInForce === 'GTC') ? 'maker' : 'taker');
    const fee = f.commission === '' ? '0' : f.commission;
    if (f.fillLots > 0) {
      const bid = p.book.bestBidTicks();
      const ask = p.book.bestAskTicks();
      const mid = p.book.isValid() && bid < ask ? (bid + ask) / 2 : undefined;
      this.portfolio.applyFill({ symbol: f.symbol, side: f.side, qtyLots: f.fillLots, priceTicks: f.priceTicks, fee, liquidity, tsUs: f.tsExchangeUs, midTicks: mid });
    } else if (fee !== '0') {
      this.portfolio.applyFee({ symbol: f.symbol, fee, liquidity });
    }
    this.ledgerUntouched = false;
    p.account.version++;
    this.ordersChanged.add(p);
  }
}
