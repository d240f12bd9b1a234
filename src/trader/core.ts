/**
 * `TradingCore`: the one object that runs the decision pipeline, identically in backtest and live
 * (a `TraderPort`, driven by the backtest engine or the live runner; it talks to a venue only in
 * the vocabulary of model/venue.ts). Per symbol: book (`MarketBook`) → SignalEngine → strategy
 * `decide` → `RiskEngine.check` → `OrderManager.decide` → venue commands, queued for
 * `drainCommands()`. Venue events go to the OMS (reports, query answers, unknown outcomes, account
 * snapshots) and the portfolio (funding); the portfolio books each fill from the OMS `order.filled`
 * events, so a lot is booked exactly once however reports are duplicated or reordered (a trade
 * whose quantity an earlier status report already counted books only its commission).
 *
 * Units: ticks, lots, integer µs; money exact decimal strings. Time: every decision, risk check and
 * OMS action is stamped with the injected clock (call `onMarketEvent` / `onTimer` with the clock at
 * the event's receive time / the timer's time). The signal engine takes book times from the clock
 * and trade/mark times from the events' receive stamps.
 *
 * Decision rule (per symbol; every decision runs the full pipeline):
 *  1. book: after a book event that changes the best bid or ask price or the book's validity (or,
 *     with `decideOnTopQtyChange`, the quantity at the touch);
 *  2. orders: after a venue event that filled, cancelled, expired or rejected one of ours, adopted
 *     or re-listed orders (account snapshot), or changed a stream's state: once per symbol per
 *     venue event;
 *  3. timer: on the grid of multiples of `requoteIntervalUs` (signal drift: σ, A, k, tilts), and
 *     when the oldest live order reaches the strategy's `maxOrderAgeUs` or the OMS `orderTtlUs`;
 *  4. a trigger less than `minIntervalUs` after the previous decision is deferred to
 *     previous + minIntervalUs (`nextTimerUs`).
 * The signal engine runs in 'on-demand' depth mode: obiLevels / obiBand are recomputed at a
 * decision when `obiSource` reads them (else they stay not ready), the rest on every event.
 * Other events (trades, mark prices, depth changes behind the touch) only update the signals: the
 * strategies read them through σ, A, k and the imbalances, which the periodic decision picks up.
 * When a risk engine goes HALTED every order of its symbol is cancelled at once; an order that
 * becomes cancellable while the symbol is not quoting (HALTED, or its last decision cancelled
 * everything: an invalid book, an account out of sync) triggers a decision (rule 2), which risk
 * denies with cancel-all.
 *
 * Venue streams: a market stream going down invalidates the books it fed until they re-sync (risk
 * quotes nothing on an invalid book); the user-data stream going down, or back up until the next
 * account snapshot, denies quoting (`ACCOUNT_UNSYNCED`); order entry going down (the live gateway's
 * ws-fapi connection) holds every decision, cancel and query until it is back, when every symbol
 * decides at once: a command sent meanwhile would be refused at once, without a round trip, and
 * deciding again on each such refusal would send again at once, a loop that never lets the live
 * driver's event loop turn (and no decision could reach the venue meanwhile anyway). Every change
 * of a book's validity (and its first book event) is published as `trader.bookValidityChanged`
 * with its cause (synced, gap, crossed, stream down, ...), off the per-event path, so a driver can
 * measure the time out of sync; `bookSyncCounters(symbol)` reads the depth sync's counters (gaps,
 * resyncs, crossings). Queries of unknown outcomes (`query` commands) go out on the timer, at most
 * every `oms.queryIntervalUs` per order.
 *
 * Ordering: symbols in the order of `instruments`; commands in the order the OMS returned them.
 */
import type { BookSyncCounters, BookSyncEvent, BookView, L2Book } from '../book/index.ts';
import { MarketBook, type BookSource } from '../marketdata/index.ts';
import { EventBus } from '../core/bus.ts';
import type { Clock } from '../core/clock.ts';
import { US_PER_DAY } from '../core/clock.ts';
import { ConfigError } from '../core/errors.ts';
import type { BookTicker, FlatDepthDiff, MarketEvent, MarketEventType, Trade } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import { formatScaled, parseScaled } from '../model/money.ts';
import type { Intent, RiskDecision } from '../model/trading.ts';
import type { AccountSync, ExecutionReport, FundingSettlement, VenueCommand, VenueEvent } from '../model/venue.ts';
import { OrderManager, type OmsEvents, type OmsFill } from '../oms/index.ts';
import { DEFAULT_LEVERAGE, Portfolio, type PortfolioEventMap, type PortfolioOptions } from '../portfolio/index.ts';
import { OrderRateLimiter, RiskEngine, type OpenOrderView, type RiskContext } from '../risk/index.ts';
import { SignalEngine, type Signal } from '../signal/index.ts';
import { createStrategy, type LiveQuote, type Strategy, type StrategyContext } from '../strategy/index.ts';
import { parseTraderConfig, type DecisionConfig, type TraderConfig, type TraderConfigInput } from './config.ts';
import type { BookValidityCause, DecisionTrigger, TraderEvents } from './events.ts';
import { marginUsed } from './margin.ts';
import type { TraderPort } from './port.ts';
import { emptyStrategySignals, writeStrategySignals, type FullStrategySignals } from './signals.ts';

export interface TradingCoreOptions {
  clock: Clock;
  bus?: EventBus<TraderEvents>;
  instruments: Instrument[];
  /** A raw (scenario) or resolved configuration; validated here. */
  config: TraderConfig | TraderConfigInput;
  /** Deposits at start, per margin asset. */
  initialBalance: { asset: string; amount: string }[];
  /** Portfolio options (leverage, margin mode, brackets); leverage also prices open-order margin. */
  portfolio?: PortfolioOptions;
}

export interface TradingCoreCounters {
  marketEvents: number;
  bookUpdates: number;
  decisions: number;
  commands: number;
  reports: number;
  fundings: number;
  /** Venue events other than reports and funding (unknown outcomes, query answers, snapshots, stream states). */
  venueEvents: number;
  ignoredEvents: number;
}

/** Cached account figures of one margin asset, as the risk engine wants them (decimal strings). */
interface AccountView {
  asset: string;
  /** Bumped by every fill, fee, mark and funding of the asset. */
  version: number;
  seenVersion: number;
  equity: string;
  peakUnits: bigint;
  peakEquity: string;
  dayIndex: number;
  dayStartEquity: string;
  positionMargin: string;
}

class SymbolPipeline {
  /** Depth and top-of-book books and the book-source rule (marketdata's one book keeper). */
  readonly market: MarketBook;
  /** `market.book`, cached: the book the strategy and risk read. */
  book: L2Book;
  markSeen = false;
  bookSeen = false;
  lastBid = NaN;
  lastAsk = NaN;
  lastBidLots = 0;
  lastAskLots = 0;
  lastValid = false;
  /** Validity of `book` as last published (`trader.bookValidityChanged`): -1 before the first book event, 0 invalid, 1 valid. */
  validity = -1;
  /** Type of the depth book's last sync event (gap, crossed, synced, resync, ...): the cause of the next validity change. */
  syncEvent: BookSyncEvent['type'] | '' = '';
  lastBookUpdateUs = 0;
  lastDecisionUs = Number.NEGATIVE_INFINITY;
  pendingDecisionUs = Number.POSITIVE_INFINITY;
  nextRequoteUs = Number.POSITIVE_INFINITY;
  nextAgeCheckUs = Number.POSITIVE_INFINITY;
  lastMidMarkUs = Number.NEGATIVE_INFINITY;
  /** The venue's market stream of this symbol is up (a `streamState` down clears it). */
  marketUp = true;
  /** The last decision cancelled everything (risk denied with cancel-all): nothing of ours should rest. */
  cancellingAll = false;
  /** Paused by the operator (`setPaused`): every decision cancels everything, the strategy is not asked. */
  paused = false;
  /** When risk's venue-throttle hold (REDUCING) lifts, µs: a decision then returns to ACTIVE quoting. */
  throttleLiftUs = Number.POSITIVE_INFINITY;
  /** Margin of our open orders, as tick-lots, and its decimal string (memoised on both inputs). */
  orderTickLots = 0;
  marginTickLots = NaN;
  marginPositionMargin = '';
  marginUsed = '0';
  readonly signals: FullStrategySignals = emptyStrategySignals();
  readonly liveQuotes: LiveQuote[] = [];
  readonly openViews: OpenOrderView[] = [];
  /** Objects `liveQuotes` / `openViews` are filled with, reused from decision to decision. */
  readonly liveQuotePool: LiveQuote[] = [];
  readonly openViewPool: OpenOrderView[] = [];
  readonly strategyCtx: StrategyContext;
  readonly riskCtx: RiskContext;

  constructor(
    readonly instrument: Instrument,
    readonly signal: SignalEngine,
    readonly strategy: Strategy,
    readonly risk: RiskEngine,
    readonly account: AccountView,
    bookSource: BookSource,
  ) {
    this.market = new MarketBook(instrument.symbol, bookSource, { onEvent: (e) => void (this.syncEvent = e.type) });
    this.book = this.market.book;
    this.strategyCtx = { tsUs: 0, instrument, book: this.book, positionLots: 0, signals: this.signals, liveQuotes: this.liveQuotes };
    this.riskCtx = {
      tsUs: 0,
      instrument,
      positionLots: 0,
      openOrders: this.openViews,
      markPriceTicks: NaN,
      bestBidTicks: NaN,
      bestAskTicks: NaN,
      bookValid: false,
      lastBookUpdateUs: 0,
      equity: '0',
      peakEquity: '0',
      dayStartEquity: '0',
      marginUsed: '0',
      sigmaTicksPerSqrtS: NaN,
      accountInSync: true,
    };
  }
}

export class TradingCore implements TraderPort {
  readonly bus: EventBus<TraderEvents>;
  readonly config: TraderConfig;
  readonly portfolio: Portfolio;
  readonly oms: OrderManager;
  readonly counters: TradingCoreCounters = { marketEvents: 0, bookUpdates: 0, decisions: 0, commands: 0, reports: 0, fundings: 0, venueEvents: 0, ignoredEvents: 0 };
  private readonly clock: Clock;
  private readonly decision: DecisionConfig;
  private readonly pipelines = new Map<string, SymbolPipeline>();
  private readonly pipelineList: SymbolPipeline[] = [];
  /** `pipelineOf`'s last symbol and answer (the pipelines never change after construction). */
  private lastSymbol = '';
  private lastPipeline: SymbolPipeline | undefined;
  private readonly accounts = new Map<string, AccountView>();
  private readonly leverage: number;
  private queue: VenueCommand[] = [];
  /** `stopDeciding` was called (a live session's shutdown): venue events are booked, nothing is decided or sent. */
  private decisionsStopped = false;
  /** Symbols whose orders or position changed since the last decision (rule 2). */
  private readonly ordersChanged = new Set<SymbolPipeline>();
  /**
   * The user-data stream: `up`, `down` (fills and cancels are not seen), or `resyncing` (back up,
   * waiting for the venue's account snapshot). Only `up` lets risk approve quotes.
   */
  private userStream: 'up' | 'down' | 'resyncing' = 'up';
  /** The venue refuses requests until then (a `throttled` venue event), µs; -Infinity when not throttled. */
  private throttledUntilUs = Number.NEGATIVE_INFINITY;
  /** Order entry is connected (`streamState` of `orderEntry`); while false nothing is decided, cancelled or queried. */
  private orderEntryUp = true;
  /** No fill, fee or funding booked yet: an account snapshot's wallet may still be taken as the start balance. */
  private ledgerUntouched = true;
  /** Liquidation fills booked, by symbol|orderId|tradeId. */
  private readonly liquidationsSeen = new Set<string>();

  constructor(options: TradingCoreOptions) {
    this.clock = options.clock;
    this.bus = options.bus ?? new EventBus<TraderEvents>();
    this.config = parseTraderConfig(options.config);
    this.decision = this.config.decision;
    this.leverage = options.portfolio?.defaults?.leverage ?? DEFAULT_LEVERAGE;
    const now = this.clock.nowUs();
    const bySymbol = new Map<string, Instrument>();
    for (const inst of options.instruments) {
      if (bySymbol.has(inst.symbol)) throw new ConfigError(`instrument ${inst.symbol} given twice`, { field: 'instruments' });
      bySymbol.set(inst.symbol, inst);
    }
    this.portfolio = new Portfolio(
      {
        get: (symbol: string) => {
          const inst = bySymbol.get(symbol) ?? bySymbol.get(symbol.toUpperCase());
          if (!inst) throw new ConfigError(`no instrument for symbol ${symbol}`, { field: 'instruments' });
          return inst;
        },
      },
      options.portfolio,
      this.bus as unknown as EventBus<PortfolioEventMap>,
    );
    this.oms = new OrderManager({ clock: this.clock, bus: this.bus as unknown as EventBus<OmsEvents>, config: this.config.oms });
    for (const b of options.initialBalance) this.portfolio.deposit({ asset: b.asset, amount: b.amount, tsUs: now });
    const rateLimiter = new OrderRateLimiter(this.config.risk.orderRate);
    for (const inst of options.instruments) {
      const signal = new SignalEngine({ ...this.config.signal, tickSize: inst.spec.tickSize, depthImbalance: 'on-demand' });
      const strategy = createStrategy(this.config.strategy);
      const risk = new RiskEngine({ symbol: inst.symbol, config: this.config.risk, bus: this.bus, rateLimiter, startUs: now });
      const p = new SymbolPipeline(inst, signal, strategy, risk, this.accountFor(inst.spec.marginAsset, now), this.decision.bookSource);
      if (this.decision.requoteIntervalUs > 0) p.nextRequoteUs = nextGridPoint(now, this.decision.requoteIntervalUs);
      this.pipelines.set(inst.symbol, p);
      this.pipelineList.push(p);
    }
    this.bus.on('order.filled', (f) => this.bookFill(f));
    const changed = (e: { order: { symbol: string } }): void => {
      const p = this.pipelines.get(e.order.symbol);
      if (p) this.ordersChanged.add(p);
    };
    this.bus.on('order.canceled', changed);
    this.bus.on('order.expired', changed);
    this.bus.on('order.rejected', changed);

    this.bus.on('risk.stateChanged', (e) => {
      if (e.to === 'HALTED') this.cancelAllNow(e.symbol, `risk HALTED (${e.code ?? 'manual'}: ${e.message})`);
    });
  }

  // ---- views -------------------------------------------------------------------------------

  risk(symbol: string): RiskEngine {
    return this.pipeline(symbol).risk;
  }

  /** The live signal snapshot of a symbol (mutated by every event; copy it to keep it). */
  signals(symbol: string): Readonly<Signal> {
    return this.pipeline(symbol).signal.signal;
  }

  /** The book the strategy of `symbol` sees. */
  book(symbol: string): BookView {
    return this.pipeline(symbol).book;
  }

  /** The counters of the depth book's sync (gaps, resyncs, crossings, ...; all 0 while only a top-of-book book is kept). Live, read-only. */
  bookSyncCounters(symbol: string): Readonly<BookSyncCounters> {
    return this.pipeline(symbol).market.sync.counters;
  }

  symbols(): string[] {
    return this.pipelineList.map((p) => p.instrument.symbol);
  }

  // ---- inputs ------------------------------------------------------------------------------

  /** A market event, trader side (at its receive time). */
  onMarketEvent(e: MarketEvent): void {
    this.counters.marketEvents++;
    const p = this.pipelineOf(e.symbol);
    if (p === undefined) {
      this.counters.ignoredEvents++;
      return;
    }
    if (this.ignores(e.type, p)) return;
    switch (e.type) {
      case 'depth':
        p.market.applyDiff(e);
        this.afterBook(p);
        return;
      case 'snapshot':
        p.market.applySnapshot(e);
        this.afterBook(p);
        return;
      case 'bookTicker':
        if (p.market.applyTicker(e)) this.afterBook(p); // false: stale, older than the depth book
        return;
      case 'trade':
      case 'aggTrade':
        p.signal.onTrade(e);
        return;
      case 'markPrice':
        p.signal.onMarkPrice(e);
        if (e.markPrice !== '' && this.decision.markSource !== 'mid') {
          p.markSeen = true;
          this.portfolio.mark({ symbol: e.symbol, tsUs: e.tsReceiveUs, markPrice: e.markPrice });
          p.account.version++;
        }
        return;
      case 'forceOrder': // information only (events.ts); `ignores` already returned
        return;
    }
  }

  /**
   * A depth diff given as flat level ranges (replay from columnar batches, no `DepthDiff` object);
   * the same as `onMarketEvent` of the equivalent `DepthDiff`.
   */
  onFlatDepthDiff(symbol: string, d: FlatDepthDiff): void {
    this.counters.marketEvents++;
    const p = this.pipelineOf(symbol);
    if (p === undefined) {
      this.counters.ignoredEvents++;
      return;
    }
    if (this.ignores('depth', p)) return;
    p.market.applyFlatDiff(d);
    this.afterBook(p);
  }

  /**
   * A bookTicker in an object the replay refills for the next one: the same as `onMarketEvent` of
   * it (which keeps no reference to a bookTicker: the book copies its numbers).
   */
  onFlatBookTicker(e: BookTicker): void {
    this.onMarketEvent(e);
  }

  /**
   * A trade in an object the replay refills for the next one: the same as `onMarketEvent` of it
   * (the signals read its numbers; nothing keeps the trade).
   */
  onFlatTrade(e: Trade): void {
    this.onMarketEvent(e);
  }

  /**
   * Whether delivering an event of this type and symbol now could change anything (pure; a replay
   * that builds events lazily skips the rest). Events of symbols we do not trade are accepted (and
   * counted as ignored).
   */
  accepts(type: MarketEventType, symbol: string): boolean {
    const p = this.pipelineOf(symbol);
    return p === undefined || !this.ignores(type, p);
  }

  /**
   * The one "ignored now" rule: book events the symbol's book source does not use
   * (`MarketBook.ignores`), and liquidation orders always (no signal or decision reads them yet).
   */
  private ignores(type: MarketEventType, p: SymbolPipeline): boolean {
    if (type === 'forceOrder') return true;
    return (type === 'depth' || type === 'snapshot' || type === 'bookTicker') && p.market.ignores(type);
  }

  /**
   * A venue event: reports and query answers go to the OMS (and through its fills to the
   * portfolio), funding to the portfolio, an unknown outcome makes the order in flight until a
   * query settles it, an account snapshot is taken in (`adopt`), a stream going down stops quoting
   * what it feeds. Then every symbol whose orders, position or venue state changed decides once.
   */
  onVenueEvent(e: VenueEvent): void {
    switch (e.kind) {
      case 'report':
        this.counters.reports++;
        if (e.report.execType === 'CALCULATED') this.onLiquidation(e.report);
        else this.oms.onExecutionReport(e.report);
        break;
      case 'funding':
        this.onFunding(e.settlement);
        break;
      case 'requestUnknown':
        this.counters.venueEvents++;
        this.oms.onRequestTimeout(e.clientOrderId);
        break;
      case 'queryAnswer':
        this.counters.venueEvents++;
        this.oms.onQueryResult(e.result);
        break;
      case 'accountSync':
        this.counters.venueEvents++;
        this.adopt(e.sync);
        break;
      case 'streamState':
        this.counters.venueEvents++;
        if (e.stream === 'market') this.onMarketStream(e.up, e.symbols, e.tsUs, e.reason);
        else if (e.stream === 'user') this.onUserStream(e.up, e.tsUs, e.reason);
        else this.onOrderEntry(e.up, e.tsUs, e.reason);
        break;
      case 'throttled':
        this.counters.venueEvents++;
        this.onThrottled(e.untilUs, e.httpStatus, e.reason);
        break;
    }
    this.cancelStragglers();
    this.decideChanged();
  }

  /**
   * A symbol that is not quoting (HALTED, or its last decision cancelled everything: an invalid
   * book, an account out of sync) decides again as soon as one of its orders can be cancelled (an
   * ack, an amendment, a refused cancel, a query that found it resting), not at the next book move.
   */
  private cancelStragglers(): void {
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
  private decideChanged(): void {
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
  private onLiquidation(r: ExecutionReport): void {
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
  private onFunding(f: FundingSettlement): void {
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
  private onMarketStream(up: boolean, symbols: readonly string[] | undefined, tsUs: number, reason: string): void {
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
  private onUserStream(up: boolean, tsUs: number, reason: string): void {
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
  private onOrderEntry(up: boolean, tsUs: number, reason: string): void {
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
  private adopt(sync: AccountSync): void {
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
  private adjustPosition(p: SymbolPipeline, fromLots: number, toLots: number, now: number): void {
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
  private onThrottled(untilUs: number, httpStatus: number, reason: string): void {
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

  /** Runs the decisions and order queries due at `tsUs` (call with the clock at `tsUs`). */
  onTimer(tsUs: number): void {
    if (this.decisionsStopped) return;
    const now = this.clock.nowUs();
    if (this.orderEntryUp && this.oms.nextQueryUs() <= tsUs && tsUs >= this.throttledUntilUs) {
      for (const q of this.oms.queriesDue()) this.queue.push({ kind: 'query', symbol: q.symbol, clientOrderId: q.clientOrderId, orderId: q.orderId });
    }
    for (const p of this.pipelineList) {
      let trigger: DecisionTrigger | null = null;
      if (p.pendingDecisionUs <= tsUs) trigger = 'deferred';
      if (p.nextRequoteUs <= tsUs) {
        p.nextRequoteUs = nextGridPoint(tsUs, this.decision.requoteIntervalUs);
        trigger ??= 'timer';
      }
      if (p.nextAgeCheckUs <= tsUs) {
        p.nextAgeCheckUs = Number.POSITIVE_INFINITY;
        trigger ??= 'timer';
      }
      if (p.throttleLiftUs <= tsUs) {
        p.throttleLiftUs = Number.POSITIVE_INFINITY;
        trigger ??= 'timer';
      }
      if (trigger !== null) this.trigger(p, now, trigger);
    }
  }

  /** When `onTimer` wants to be called next, µs; Infinity when nothing is scheduled. */
  nextTimerUs(): number {
    if (this.decisionsStopped) return Number.POSITIVE_INFINITY;
    // Queries wait out a throttle like decisions do, and order entry being down (until it is back: no time).
    let next = this.orderEntryUp ? Math.max(this.oms.nextQueryUs(), this.throttledUntilUs) : Number.POSITIVE_INFINITY;
    for (const p of this.pipelineList) {
      if (p.pendingDecisionUs < next) next = p.pendingDecisionUs;
      if (p.nextRequoteUs < next) next = p.nextRequoteUs;
      if (p.nextAgeCheckUs < next) next = p.nextAgeCheckUs;
      if (p.throttleLiftUs < next) next = p.throttleLiftUs;
    }
    return next;
  }

  /** Commands to send, in order; the queue is emptied. */
  drainCommands(): VenueCommand[] {
    if (this.queue.length === 0) return EMPTY;
    const out = this.queue;
    this.queue = [];
    return out;
  }

  /**
   * Pauses or resumes quoting `symbol` (an operator input, e.g. the live dashboard; the live runner
   * journals it so `maker replay` gives it at the same clock). While paused every decision is a
   * cancel-all, the strategy is not asked and risk is not consulted; the risk state is untouched
   * (unlike `kill`, a resume does not lift latched stops). Decides at once (no `minIntervalUs`
   * deferral) when the symbol has seen a book (with order entry down: when it is back). Returns
   * false when nothing changed.
   */
  setPaused(symbol: string, paused: boolean, reason = paused ? 'paused by the operator' : 'resumed by the operator'): boolean {
    const p = this.pipeline(symbol);
    if (p.paused === paused) return false;
    p.paused = paused;
    const now = this.clock.nowUs();
    if (this.bus.hasListeners('trader.pauseChanged')) this.bus.emit('trader.pauseChanged', { symbol, tsUs: now, paused, reason });
    if (p.bookSeen) this.decide(p, now, 'operator');
    return true;
  }

  /**
   * The end of decisions (a live session's shutdown began; the journal's `S` record, so the replay
   * calls it at the same point): venue events are still booked (fills racing the shutdown's
   * cancels, the final trade read-back: ledger, positions and order states follow the venue), but
   * nothing is decided, cancelled or queried any more, so no command is queued: the session's own
   * confirmed cancel-all ends the orders. Irreversible.
   */
  stopDeciding(): void {
    this.decisionsStopped = true;
  }

  /** Whether `symbol` is paused (`setPaused`). */
  isPaused(symbol: string): boolean {
    return this.pipeline(symbol).paused;
  }

  /** Stops quoting `symbol` now: kill switch (HALTED until `risk(symbol).reset`), orders cancelled. */
  kill(symbol: string, message = 'manual kill switch'): void {
    this.pipeline(symbol).risk.kill(this.clock.nowUs(), message);
  }

  // ---- pipeline ----------------------------------------------------------------------------

  /**
   * The pipeline of a symbol, undefined for one we do not trade. The last answer is kept: market
   * events come symbol after symbol (a replay asks twice per event, `accepts` then the handler),
   * and a string identity check is cheaper than a Map lookup (the simulated exchange does the same).
   */
  private pipelineOf(symbol: string): SymbolPipeline | undefined {
    if (symbol === this.lastSymbol) return this.lastPipeline;
    const p = this.pipelines.get(symbol);
    this.lastSymbol = symbol;
    this.lastPipeline = p;
    return p;
  }

  private pipeline(symbol: string): SymbolPipeline {
    const p = this.pipelines.get(symbol);
    if (!p) throw new ConfigError(`no instrument for symbol ${symbol}`, { field: 'instruments' });
    return p;
  }

  private accountFor(asset: string, now: number): AccountView {
    let a = this.accounts.get(asset);
    if (a === undefined) {
      a = { asset, version: 0, seenVersion: -1, equity: '0', peakUnits: 0n, peakEquity: '0', dayIndex: Math.floor(now / US_PER_DAY), dayStartEquity: '', positionMargin: '0' };
      this.refreshAccount(a, now);
      this.accounts.set(asset, a);
    }
    return a;
  }

  /** Re-reads equity and margin of an asset; tracks the peak and the UTC day-start equity. */
  private refreshAccount(a: AccountView, now: number): void {
    // After every mark and fill: only the two figures risk reads, not a full account snapshot.
    const snap = this.portfolio.equityAndInitialMargin(a.asset);
    const units = snap.equityUnits;
    a.equity = snap.equity;
    a.positionMargin = snap.initialMargin;
    if (a.seenVersion < 0 || units > a.peakUnits) {
      a.peakUnits = units;
      a.peakEquity = snap.equity;
    }
    if (a.dayStartEquity === '') a.dayStartEquity = snap.equity;
    a.seenVersion = a.version;
    this.rollDay(a, now);
  }

  private rollDay(a: AccountView, now: number): void {
    const day = Math.floor(now / US_PER_DAY);
    if (day !== a.dayIndex) {
      a.dayIndex = day;
      a.dayStartEquity = a.equity;
    }
  }

  private afterBook(p: SymbolPipeline): void {
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
  private bookValidity(p: SymbolPipeline, valid: boolean, now: number, cause?: BookValidityCause): void {
    p.validity = valid ? 1 : 0;
    if (!this.bus.hasListeners('trader.bookValidityChanged')) return;
    let why: BookValidityCause;
    if (cause !== undefined) why = cause;
    else if (p.book !== p.market.depthBook) why = 'topOfBook';
    else if (valid) why = p.syncEvent === 'resync' ? 'resynced' : 'synced';
    else why = p.syncEvent === 'gap' || p.syncEvent === 'crossed' ? p.syncEvent : 'awaitingSync';
    this.bus.emit('trader.bookValidityChanged', { symbol: p.instrument.symbol, tsUs: now, valid, cause: why });
  }

  private trigger(p: SymbolPipeline, now: number, why: DecisionTrigger): void {
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

  private decide(p: SymbolPipeline, now: number, why: DecisionTrigger): void {
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

  private act(p: SymbolPipeline, decision: RiskDecision, now: number, position: number): void {
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

  private enqueue(p: SymbolPipeline, cmds: VenueCommand[], now: number, cause: 'decision' | 'halt'): void {
    if (cmds.length === 0) return;
    for (const c of cmds) {
      if (c.kind === 'submit' || c.kind === 'modify') p.risk.recordOrderSent(now);
      this.queue.push(c);
    }
    this.counters.commands += cmds.length;
    if (this.bus.hasListeners('trader.commandsQueued')) this.bus.emit('trader.commandsQueued', { symbol: p.instrument.symbol, tsUs: now, cause, commands: cmds });
  }

  private cancelAllNow(symbol: string, reason: string): void {
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
  private collectOrders(p: SymbolPipeline, now: number): void {
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

  private riskContext(p: SymbolPipeline, now: number, position: number): RiskContext {
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

  private bookFill(f: OmsFill): void {
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

const EMPTY: VenueCommand[] = [];

/** Equal prices, an empty side (NaN) equal to an empty side. */
function samePrice(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

function cancelAllIntent(symbol: string, tsUs: number, reason: string): Intent {
  return { symbol, tsUs, quotes: [], cancelAll: true, flatten: false, reason };
}

function nextGridPoint(tsUs: number, intervalUs: number): number {
  if (intervalUs <= 0) return Number.POSITIVE_INFINITY;
  return (Math.floor(tsUs / intervalUs) + 1) * intervalUs;
}
