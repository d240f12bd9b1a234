/**
 * The state of a `TradingCore` (core.ts) and its construction: the per-symbol pipeline
 * (`SymbolPipeline`: book, signals, strategy, risk and the reusable decision contexts), the cached
 * account figures risk reads (`AccountView`), the core's own fields (queue, stream and throttle
 * state, pending changes), and the lookups and account refreshes every part of the core uses.
 * Separate so that the decision pipeline (core-decisions.ts), the venue-event handling
 * (core-venue.ts) and the inputs (core.ts) each read one place for what they share; the classes
 * form one chain (`TradingCoreState` ← `TradingCoreDecisions` ← `TradingCoreVenue` ← `TradingCore`),
 * so every call stays a direct method call on the one object (the backtest's hot path).
 *
 * Units: ticks, lots, integer µs; money exact decimal strings. Ordering: pipelines in the order of
 * `instruments`.
 */
import type { BookSyncEvent, L2Book } from '../book/index.ts';
import { MarketBook, type BookSource } from '../marketdata/index.ts';
import { EventBus } from '../core/bus.ts';
import type { Clock } from '../core/clock.ts';
import { US_PER_DAY } from '../core/clock.ts';
import { ConfigError } from '../core/errors.ts';
import type { Instrument } from '../model/instrument.ts';
import type { VenueCommand } from '../model/venue.ts';
import { OrderManager, type OmsEvents } from '../oms/index.ts';
import { DEFAULT_LEVERAGE, Portfolio, type PortfolioEventMap, type PortfolioOptions } from '../portfolio/index.ts';
import { OrderRateLimiter, RiskEngine, type OpenOrderView, type RiskContext } from '../risk/index.ts';
import { SignalEngine } from '../signal/index.ts';
import { createStrategy, type LiveQuote, type Strategy, type StrategyContext } from '../strategy/index.ts';
import { parseTraderConfig, type DecisionConfig, type TraderConfig, type TraderConfigInput } from './config.ts';
import type { TraderEvents } from './events.ts';
import { emptyStrategySignals, type FullStrategySignals } from './signals.ts';

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
export interface AccountView {
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

/** One traded symbol: its book, signals, strategy and risk, the decision state and the reused contexts. */
export class SymbolPipeline {
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

/** The fields of a `TradingCore` and their construction (see the header); `TradingCore` is the class to use. */
export abstract class TradingCoreState {
  readonly bus: EventBus<TraderEvents>;
  readonly config: TraderConfig;
  readonly portfolio: Portfolio;
  readonly oms: OrderManager;
  readonly counters: TradingCoreCounters = { marketEvents: 0, bookUpdates: 0, decisions: 0, commands: 0, reports: 0, fundings: 0, venueEvents: 0, ignoredEvents: 0 };
  protected readonly clock: Clock;
  protected readonly decision: DecisionConfig;
  protected readonly pipelines = new Map<string, SymbolPipeline>();
  protected readonly pipelineList: SymbolPipeline[] = [];
  /** `pipelineOf`'s last symbol and answer (the pipelines never change after construction). */
  protected lastSymbol = '';
  protected lastPipeline: SymbolPipeline | undefined;
  protected readonly accounts = new Map<string, AccountView>();
  protected readonly leverage: number;
  protected queue: VenueCommand[] = [];
  /** `stopDeciding` was called (a live session's shutdown): venue events are booked, nothing is decided or sent. */
  protected decisionsStopped = false;
  /** Symbols whose orders or position changed since the last decision (rule 2). */
  protected readonly ordersChanged = new Set<SymbolPipeline>();
  /**
   * The user-data stream: `up`, `down` (fills and cancels are not seen), or `resyncing` (back up,
   * waiting for the venue's account snapshot). Only `up` lets risk approve quotes.
   */
  protected userStream: 'up' | 'down' | 'resyncing' = 'up';
  /** The venue refuses requests until then (a `throttled` venue event), µs; -Infinity when not throttled. */
  protected throttledUntilUs = Number.NEGATIVE_INFINITY;
  /** Order entry is connected (`streamState` of `orderEntry`); while false nothing is decided, cancelled or queried. */
  protected orderEntryUp = true;
  /** No fill, fee or funding booked yet: an account snapshot's wallet may still be taken as the start balance. */
  protected ledgerUntouched = true;
  /** Liquidation fills booked, by symbol|orderId|tradeId. */
  protected readonly liquidationsSeen = new Set<string>();

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
  }

  /**
   * The pipeline of a symbol, undefined for one we do not trade. The last answer is kept: market
   * events come symbol after symbol (a replay asks twice per event, `accepts` then the handler),
   * and a string identity check is cheaper than a Map lookup (the simulated exchange does the same).
   */
  protected pipelineOf(symbol: string): SymbolPipeline | undefined {
    if (symbol === this.lastSymbol) return this.lastPipeline;
    const p = this.pipelines.get(symbol);
    this.lastSymbol = symbol;
    this.lastPipeline = p;
    return p;
  }

  protected pipeline(symbol: string): SymbolPipeline {
    const p = this.pipelines.get(symbol);
    if (!p) throw new ConfigError(`no instrument for symbol ${symbol}`, { field: 'instruments' });
    return p;
  }

  protected accountFor(asset: string, now: number): AccountView {
    let a = this.accounts.get(asset);
    if (a === undefined) {
      a = { asset, version: 0, seenVersion: -1, equity: '0', peakUnits: 0n, peakEquity: '0', dayIndex: Math.floor(now / US_PER_DAY), dayStartEquity: '', positionMargin: '0' };
      this.refreshAccount(a, now);
      this.accounts.set(asset, a);
    }
    return a;
  }

  /** Re-reads equity and margin of an asset; tracks the peak and the UTC day-start equity. */
  protected refreshAccount(a: AccountView, now: number): void {
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

  protected rollDay(a: AccountView, now: number): void {
    const day = Math.floor(now / US_PER_DAY);
    if (day !== a.dayIndex) {
      a.dayIndex = day;
      a.dayStartEquity = a.equity;
    }
  }
}

/** The first multiple of `intervalUs` after `tsUs` (the requote grid); Infinity without a grid. */
export function nextGridPoint(tsUs: number, intervalUs: number): number {
  if (intervalUs <= 0) return Number.POSITIVE_INFINITY;
  return (Math.floor(tsUs / intervalUs) + 1) * intervalUs;
}
