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
 *
 * Files: this one keeps the inputs, views and timers (the whole public surface but the fields
 * `bus`, `config`, `portfolio`, `oms` and `counters`); the rest is one chain of classes, so every
 * call stays a direct method call on one object: core-state.ts (`TradingCoreState`: the fields,
 * per-symbol pipelines and account views, and their construction), core-decisions.ts
 * (`TradingCoreDecisions`: book moves, triggers, decide, act, enqueue) and core-venue.ts
 * (`TradingCoreVenue`: what each venue event does, and which symbols decide again after it).
 */
import type { BookSyncCounters, BookView } from '../book/index.ts';
import type { BookTicker, FlatDepthDiff, MarketEvent, MarketEventType, Trade } from '../model/events.ts';
import type { VenueCommand, VenueEvent } from '../model/venue.ts';
import type { RiskEngine } from '../risk/index.ts';
import type { Signal } from '../signal/index.ts';
import type { DecisionTrigger } from './events.ts';
import type { TraderPort } from './port.ts';
import { nextGridPoint, type SymbolPipeline, type TradingCoreOptions } from './core-state.ts';
import { TradingCoreVenue } from './core-venue.ts';

export type { TradingCoreCounters, TradingCoreOptions } from './core-state.ts';

export class TradingCore extends TradingCoreVenue implements TraderPort {
  constructor(options: TradingCoreOptions) {
    super(options);
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

  /** The signal snapshot of a symbol as of now (one object, rewritten when read after later events: read it again, or copy it to keep it). */
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
}

const EMPTY: VenueCommand[] = [];
