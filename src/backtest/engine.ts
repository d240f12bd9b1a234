/**
 * The backtest engine: one discrete-event loop over market data, the trading core (strategy side)
 * and the simulated exchange, joined by a latency wire.
 *
 * Time: integer µs. Every market event is delivered twice (latency.ts, `FeedTiming`):
 *   - to the exchange side at its exchange time (`exchangeUs`, made non-decreasing);
 *   - to the strategy side at its local time (`localUs` = receive time with the clock offset
 *     removed, or exchange time + a constant), never before the exchange side saw it.
 * Commands the strategy side emits reach the exchange after the entry latency; reports and funding
 * settlements the exchange emits reach the strategy after the response latency; each direction
 * is FIFO (a message never overtakes an earlier one).
 *
 * Tie-break. Among things due at the same µs, the order is
 *   0  market event at the exchange            (the data stream, in feed order)
 *   1  order / cancel / modify arriving at the exchange
 *   10 market event at the strategy side       (the data stream, in feed order)
 *   20 report or funding settlement arriving at the strategy side
 *   30 strategy timer (`nextTimerUs()`: requote, TTL)
 *   40 report sample (on the fixed grid; sees the state after everything else at that µs)
 * and within one class, the order of scheduling (feed order for market data, send order for
 * messages). So the exchange has always seen the book of a µs before an order arriving in that µs
 * is matched, and a sample reflects every event at or before its time. This is the core
 * Scheduler's rule (time, priority, insertion order), implemented as a merge of the already sorted
 * market stream with a small heap of messages in flight (`Timeline`): no heap push per market event.
 *
 * Events are read in place from their batches (`EventBatch`, feed.ts): the engine keeps the batches
 * between the strategy side's position and the exchange side's, two cursors into them and the
 * stamps of each buffered event in typed arrays; a `MarketEvent` object is built only for an event
 * a side takes. A side may declare an event a no-op for its current state (`skipMarketEvent`: e.g.
 * bookTickers once a depth book is kept); the engine then neither builds nor delivers it, but the
 * event keeps its place in time (clock, feed latency, statistics), so the run is the same.
 *
 * Async only at the edges: the source yields batches; the loop over a batch is synchronous. The
 * loop pauses only when the exchange side needs the next event and the batch is exhausted; it then
 * resumes exactly where it stopped, so the processing order (and the event-log hash) does not depend
 * on batch sizes.
 *
 * The run ends at the local time of the last market event: timers, samples and messages due later
 * are not processed.
 */
import { InvariantError } from '../core/errors.ts';
import type { FlatDepthDiff } from '../book/index.ts';
import type { SimClock } from '../core/clock.ts';
import type { MarketEvent } from '../model/events.ts';
import type { ExecutionReport, FundingSettlement, GatewayCommand } from '../model/trading.ts';
import type { EventLogSink } from './event-log.ts';
import { asEventBatch, type EventBatch, type EventBatches, type MarketEventType } from './feed.ts';
import { FeedTiming, medianOffsetUs, type OrderLatencyModel } from './latency.ts';
import { Timeline } from './timeline.ts';

/** A funding settlement as the exchange reports it. */
export type FundingNotice = FundingSettlement;

/** What the engine needs of the trading core (src/trader TradingCore). */
export interface StrategySide {
  onMarketEvent(e: MarketEvent): void;
  /**
   * Optional: takes the event as a no-op and returns true when delivering it now would change
   * nothing but a counter (the engine then does not build it); false: deliver it.
   */
  skipMarketEvent?(type: MarketEventType, symbol: string): boolean;
  /** Optional: a depth diff as flat level ranges, instead of `onMarketEvent` of a `DepthDiff` object. */
  onFlatDepthDiff?(symbol: string, d: FlatDepthDiff): void;
  onExecutionReport(r: ExecutionReport): void;
  onTimer(tsUs: number): void;
  /** Next timer time, µs; Infinity if none. May change only when a method of this side is called. */
  nextTimerUs(): number;
  drainCommands(): GatewayCommand[];
  onFunding?(f: FundingNotice): void;
}

/** What the engine needs of the simulated exchange (src/sim-exchange SimExchange). */
export interface ExchangeSide {
  onMarketEvent(e: MarketEvent): void;
  /** As `StrategySide.skipMarketEvent`. */
  skipMarketEvent?(type: MarketEventType, symbol: string): boolean;
  /** As `StrategySide.onFlatDepthDiff`. */
  onFlatDepthDiff?(symbol: string, d: FlatDepthDiff): void;
  onCommand(cmd: GatewayCommand, tsUs: number): void;
  drainReports(): ExecutionReport[];
  drainFunding?(): FundingNotice[];
}

/** Hooks for the run recorder; all optional, all synchronous. */
export interface EngineObserver {
  onCommandSent?(tsUs: number, cmd: GatewayCommand, arrivalUs: number): void;
  onReportDelivered?(tsUs: number, r: ExecutionReport): void;
  onFundingDelivered?(tsUs: number, f: FundingNotice): void;
  /** Next grid time strictly after `afterUs` (Infinity: no sampling). */
  nextSampleUs?(afterUs: number): number;
  onSample?(tsUs: number): void;
}

export interface EngineOptions {
  clock: SimClock;
  strategy: StrategySide;
  exchange: ExchangeSide;
  latency: OrderLatencyModel;
  feed: { model: 'recorded' | 'constant'; latencyUs: number; clockOffsetUs: number | 'auto'; offsetSampleEvents: number; minLatencyUs: number };
  observer?: EngineObserver;
  eventLog?: EventLogSink;
  /** Called after each batch with the events processed so far (progress bars). */
  onProgress?(eventsDone: number, localUs: number): void;
}

export interface EngineStats {
  marketEvents: number;
  commandsSent: number;
  reportsDelivered: number;
  fundingDelivered: number;
  timersFired: number;
  samples: number;
  /** Local time of the first and last market event, µs (NaN when there was none). */
  firstUs: number;
  lastUs: number;
  /** The clock offset removed from receive times, µs. */
  clockOffsetUs: number;
  /** Mean feed latency (local − exchange), µs. */
  meanFeedLatencyUs: number;
}

const P_EXCHANGE_MARKET = 0;
const P_ARRIVAL = 1;
const P_LOCAL_MARKET = 10;
const P_RESPONSE = 20;
const P_TIMER = 30;
const P_SAMPLE = 40;

type Message = { kind: 'command'; cmd: GatewayCommand } | { kind: 'report'; report: ExecutionReport } | { kind: 'funding'; funding: FundingNotice };

/** Timer firings at one µs beyond which the core is assumed stuck (a bug, not a market). */
const MAX_TIMERS_PER_US = 10_000;

/** A buffered batch with the stamps the engine gave its events. */
interface Segment {
  batch: EventBatch;
  exUs: Float64Array;
  locUs: Float64Array;
  /** Events built for the exchange side, kept for the strategy side (columnar batches only). */
  built: (MarketEvent | undefined)[] | null;
}

export class BacktestEngine {
  private readonly o: EngineOptions;
  private timing: FeedTiming | undefined;
  private readonly inFlight = new Timeline<Message>();
  /**
   * Buffered batches. The strategy side's next event is `segs[0]` at `locK`; the exchange side's
   * is `segs[exSeg]` at `exK` (at or after the strategy side's). A segment is dropped once both
   * sides are past it.
   */
  private segs: Segment[] = [];
  private exSeg = 0;
  private exK = 0;
  private locK = 0;
  private readonly offsetSample: EventBatch[] = [];
  private offsetSampleEvents = 0;
  private lastEntryUs = -Infinity;
  private lastResponseUs = -Infinity;
  private nextSample = Infinity;
  private timerUs = NaN;
  /** Cached earliest (time, priority) of messages, timer and sample; NaN when stale. */
  private horizonUs = NaN;
  private horizonPriority = Infinity;
  private timerRepeatsAt = NaN;
  private timerRepeats = 0;
  private feedLatencySum = 0;
  /** Reused view of the depth diff being delivered. */
  private readonly flat: FlatDepthDiff = {
    tsExchangeUs: 0, firstUpdateId: -1, finalUpdateId: -1, prevFinalUpdateId: -1,
    bidTicks: [], bidLots: [], bidStart: 0, bidEnd: 0, askTicks: [], askLots: [], askStart: 0, askEnd: 0,
  };
  private readonly stats: EngineStats = {
    marketEvents: 0,
    commandsSent: 0,
    reportsDelivered: 0,
    fundingDelivered: 0,
    timersFired: 0,
    samples: 0,
    firstUs: NaN,
    lastUs: NaN,
    clockOffsetUs: 0,
    meanFeedLatencyUs: NaN,
  };

  constructor(opts: EngineOptions) {
    this.o = opts;
    if (opts.feed.clockOffsetUs !== 'auto') this.startTiming(opts.feed.clockOffsetUs);
  }

  async run(source: EventBatches): Promise<EngineStats> {
    for await (const batch of source) {
      this.ingest(asEventBatch(batch), false);
      this.process(false);
      this.o.onProgress?.(this.stats.marketEvents, this.stats.lastUs);
    }
    this.ingest(null, true);
    this.process(true);
    this.stats.meanFeedLatencyUs = this.stats.marketEvents > 0 ? this.feedLatencySum / this.stats.marketEvents : NaN;
    return { ...this.stats };
  }

  private startTiming(offsetUs: number): void {
    this.stats.clockOffsetUs = offsetUs;
    const f = this.o.feed;
    this.timing = new FeedTiming({ model: f.model, latencyUs: f.latencyUs, clockOffsetUs: offsetUs, minLatencyUs: f.minLatencyUs });
  }

  /** Appends a batch to the buffer, stamping both times of each event. */
  private ingest(batch: EventBatch | null, final: boolean): void {
    if (this.timing === undefined) {
      // `clockOffsetUs: auto`: hold batches back until the first N events are known.
      if (batch !== null && batch.length > 0) {
        this.offsetSample.push(batch);
        this.offsetSampleEvents += batch.length;
      }
      const want = this.o.feed.offsetSampleEvents;
      if (this.offsetSampleEvents < want && !final) return;
      const diffs: number[] = [];
      for (const b of this.offsetSample) for (let k = 0; k < b.length && diffs.length < want; k++) diffs.push(b.tsReceiveUsAt(k) - b.tsExchangeUsAt(k));
      this.startTiming(medianOffsetUs(diffs));
      for (const b of this.offsetSample.splice(0)) this.append(b);
      return;
    }
    if (batch !== null && batch.length > 0) this.append(batch);
  }

  private append(batch: EventBatch): void {
    const n = batch.length;
    const t = this.timing!;
    const exUs = new Float64Array(n);
    const locUs = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      t.stamp(batch.tsExchangeUsAt(k), batch.tsReceiveUsAt(k));
      exUs[k] = t.exchangeUs;
      locUs[k] = t.localUs;
    }
    this.segs.push({ batch, exUs, locUs, built: null });
    if (Number.isNaN(this.stats.firstUs)) {
      this.stats.firstUs = locUs[0];
      // The run starts with its data: nothing (timers included) happens before the first event.
      if (this.o.clock.nowUs() < exUs[0]) this.o.clock.advanceTo(exUs[0]);
      this.nextSample = this.o.observer?.nextSampleUs?.(exUs[0] - 1) ?? Infinity;
      this.horizonUs = NaN;
    }
    this.stats.lastUs = t.localUs;
    this.normalise();
  }

  /** Moves the cursors past exhausted segments and drops what both sides have seen. */
  private normalise(): void {
    const segs = this.segs;
    while (this.exSeg < segs.length - 1 && this.exK >= segs[this.exSeg].batch.length) {
      this.exSeg++;
      this.exK = 0;
    }
    while (this.exSeg > 0 && this.locK >= segs[0].batch.length) {
      segs.shift();
      this.exSeg--;
      this.locK = 0;
    }
  }

  /** The event at (segment, k), built at most once for both sides. */
  private eventOf(seg: Segment, k: number): MarketEvent {
    if (seg.batch.stable === true) return seg.batch.eventAt(k);
    let built = seg.built;
    if (built === null) built = seg.built = new Array<MarketEvent | undefined>(seg.batch.length);
    let e = built[k];
    if (e === undefined) {
      e = seg.batch.eventAt(k);
      built[k] = e;
    } else built[k] = undefined;
    return e;
  }

  /**
   * Caches the earliest (time, priority) of the message heap's head, the strategy timer and the
   * next sample. Invalidated (NaN) whenever one of them may change: a message pushed or popped,
   * any strategy-side call (its timer), a sample taken. A timer already due is clamped to the
   * clock's time now; the clock cannot pass the cached time before that item is processed (it is
   * a candidate of every step), so the clamp stays right.
   */
  private refreshHorizon(): void {
    let t = Infinity;
    let p = Infinity;
    const head = this.inFlight.peek();
    if (head !== undefined) {
      t = head.atUs;
      p = head.priority;
    }
    let timerUs = this.timer();
    const now = this.o.clock.nowUs();
    if (timerUs < now) timerUs = now;
    if (timerUs < t || (timerUs === t && P_TIMER < p)) {
      t = timerUs;
      p = P_TIMER;
    }
    if (this.nextSample < t || (this.nextSample === t && P_SAMPLE < p)) {
      t = this.nextSample;
      p = P_SAMPLE;
    }
    this.horizonUs = t;
    this.horizonPriority = p;
  }

  private timer(): number {
    if (this.timerUs !== this.timerUs) this.timerUs = this.o.strategy.nextTimerUs();
    return this.timerUs;
  }

  /**
   * Processes everything due, in tie-break order, until the exchange side needs an event not yet
   * buffered (`final` false) or the run ends (`final` true).
   */
  private process(final: boolean): void {
    const { clock, strategy, exchange } = this.o;
    const segs = this.segs;
    const endUs = this.stats.lastUs;
    const observeFeed = this.o.latency.observeFeedLatency?.bind(this.o.latency);
    const exchangeSkips = exchange.skipMarketEvent?.bind(exchange);
    const strategySkips = strategy.skipMarketEvent?.bind(strategy);
    const exchangeFlat = exchange.onFlatDepthDiff?.bind(exchange);
    const strategyFlat = strategy.onFlatDepthDiff?.bind(strategy);
    for (;;) {
      const exSeg = this.exSeg < segs.length ? segs[this.exSeg] : undefined;
      const exPending = exSeg !== undefined && this.exK < exSeg.batch.length;
      if (!exPending && !final) return;
      // Candidates: (time, priority). The stream beats the heap at equal (time, priority) since
      // stream priorities are distinct from message priorities.
      let t = Infinity;
      let p = Infinity;
      if (exPending) {
        t = exSeg.exUs[this.exK];
        p = P_EXCHANGE_MARKET;
      }
      const locPending = this.exSeg > 0 || this.locK < this.exK;
      if (locPending) {
        const tl = segs[0].locUs[this.locK];
        if (tl < t || (tl === t && P_LOCAL_MARKET < p)) {
          t = tl;
          p = P_LOCAL_MARKET;
        }
      }
      // The earliest of message head, timer and sample changes only when one of them does (see
      // `refreshHorizon`), not per market event.
      if (this.horizonUs !== this.horizonUs) this.refreshHorizon();
      const h = this.horizonUs;
      if (h < t || (h === t && this.horizonPriority < p)) {
        t = h;
        p = this.horizonPriority;
      }
      if (t === Infinity || (final && !exPending && !locPending && t > endUs)) break;
      clock.advanceTo(t);

      switch (p) {
        case P_EXCHANGE_MARKET: {
          const seg = exSeg!;
          const k = this.exK++;
          const b = seg.batch;
          const type = b.typeAt(k);
          if (type === 'depth' && exchangeFlat !== undefined) {
            b.flatDepthAt(k, this.flat);
            exchangeFlat(b.symbolAt(k), this.flat);
            this.afterExchange(t);
          } else if (exchangeSkips === undefined || !exchangeSkips(type, b.symbolAt(k))) {
            exchange.onMarketEvent(this.eventOf(seg, k));
            this.afterExchange(t);
          }
          if (this.exK >= b.length) this.normalise();
          break;
        }
        case P_LOCAL_MARKET: {
          const seg = segs[0];
          const k = this.locK++;
          this.stats.marketEvents++;
          const lat = t - seg.exUs[k];
          this.feedLatencySum += lat;
          observeFeed?.(lat);
          const b = seg.batch;
          const type = b.typeAt(k);
          if (type === 'depth' && strategyFlat !== undefined) {
            b.flatDepthAt(k, this.flat);
            strategyFlat(b.symbolAt(k), this.flat);
            this.afterStrategy(t);
          } else if (strategySkips === undefined || !strategySkips(type, b.symbolAt(k))) {
            strategy.onMarketEvent(this.eventOf(seg, k));
            this.afterStrategy(t);
          } else if (seg.built !== null) seg.built[k] = undefined;
          if (this.locK >= b.length) this.normalise();
          break;
        }
        case P_TIMER:
          if (t === this.timerRepeatsAt) {
            if (++this.timerRepeats > MAX_TIMERS_PER_US) throw new InvariantError(`the trading core's timer fired ${MAX_TIMERS_PER_US} times at ${t} µs without moving on`);
          } else {
            this.timerRepeatsAt = t;
            this.timerRepeats = 1;
          }
          this.stats.timersFired++;
          strategy.onTimer(t);
          this.afterStrategy(t);
          break;
        case P_SAMPLE:
          this.stats.samples++;
          this.o.observer?.onSample?.(t);
          this.nextSample = this.o.observer?.nextSampleUs?.(t) ?? Infinity;
          this.horizonUs = NaN;
          break;
        default:
          this.horizonUs = NaN;
          this.deliver(this.inFlight.pop()!.item, t);
      }
    }
  }

  private deliver(m: Message, t: number): void {
    const { strategy, exchange, observer, eventLog } = this.o;
    if (m.kind === 'command') {
      exchange.onCommand(m.cmd, t);
      this.afterExchange(t);
      return;
    }
    if (m.kind === 'report') {
      const r = m.report;
      this.stats.reportsDelivered++;
      eventLog?.report(t, r);
      observer?.onReportDelivered?.(t, r);
      strategy.onExecutionReport(r);
    } else {
      const f = m.funding;
      this.stats.fundingDelivered++;
      eventLog?.funding(t, f);
      observer?.onFundingDelivered?.(t, f);
      strategy.onFunding?.(f);
    }
    this.afterStrategy(t);
  }

  /** Sends what the strategy side wants sent, after the entry latency (FIFO). */
  private afterStrategy(t: number): void {
    this.timerUs = NaN;
    this.horizonUs = NaN;
    const cmds = this.o.strategy.drainCommands();
    if (cmds.length === 0) return;
    const { latency, observer, eventLog } = this.o;
    for (const cmd of cmds) {
      let at = t + latency.entryUs(t);
      if (at < this.lastEntryUs) at = this.lastEntryUs;
      this.lastEntryUs = at;
      this.stats.commandsSent++;
      eventLog?.command(t, at, cmd);
      observer?.onCommandSent?.(t, cmd, at);
      this.inFlight.push(at, P_ARRIVAL, { kind: 'command', cmd });
    }
  }

  /** Sends the exchange's reports and funding settlements back, after the response latency (FIFO). */
  private afterExchange(t: number): void {
    const { exchange, latency } = this.o;
    const reports = exchange.drainReports();
    if (reports.length > 0) this.horizonUs = NaN;
    for (let i = 0; i < reports.length; i++) this.inFlight.push(this.responseAt(t, latency), P_RESPONSE, { kind: 'report', report: reports[i] });
    const funding = exchange.drainFunding?.();
    if (funding !== undefined && funding.length > 0) this.horizonUs = NaN;
    if (funding) for (const f of funding) this.inFlight.push(this.responseAt(t, latency), P_RESPONSE, { kind: 'funding', funding: f });
  }

  private responseAt(t: number, latency: OrderLatencyModel): number {
    let at = t + latency.responseUs(t);
    if (at < this.lastResponseUs) at = this.lastResponseUs;
    this.lastResponseUs = at;
    return at;
  }
}
