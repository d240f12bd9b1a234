/**
 * The backtest engine: one discrete-event loop over market data, a trader (`TraderPort`, the
 * trading core) and a simulated venue (`SimVenue`, the simulated exchange), joined by a latency
 * wire. The two meet only through the venue contract (model/venue.ts): commands one way, venue
 * events the other.
 *
 * Time: integer µs. Every market event is delivered twice (latency.ts, `FeedTiming`):
 *   - to the venue at its match time (`T` where the data has it, else the exchange time `E`; never
 *     after `E`), in match-time order (below);
 *   - to the trader at its local time (`localUs` = receive time with the clock offset removed, or
 *     exchange time + a constant, non-decreasing), in feed (receive) order, never before the venue
 *     saw it.
 *
 * Match-time order. Binance publishes events after they matched, by streams with their own delays
 * (depth is conflated to 100 ms, trades were published up to 1.4 s late in 2023), so feed order is
 * not the order the matching engine saw. The venue side re-sorts the feed by (match time, feed
 * index) in a bounded window: an event is released to the venue once an event `matchWindowUs`
 * later in match time has been read (or the data has ended). An event read later than that (its
 * match time more than the window before the latest match time read before it) is placed at that
 * latest time − the window, and counted (`lateMatchEvents`): the earliest place the venue may still
 * be at, decided by the data alone, so the order does not depend on batch sizes. Equal times keep
 * feed order. Sorting is an insertion from the tail of the window: O(1) for data already in order,
 * which is nearly all of it.
 * Commands the trader emits reach the venue after the entry latency; the events the venue emits
 * (reports, funding settlements, query answers) reach the trader after the response latency; each
 * direction is FIFO (a message never overtakes an earlier one).
 *
 * Tie-break. Among things due at the same µs, the order is
 *   0  market event at the venue               (the data stream, in feed order)
 *   1  command arriving at the venue
 *   10 market event at the trader              (the data stream, in feed order)
 *   20 venue event arriving at the trader
 *   30 trader timer (`nextTimerUs()`: requote, TTL, order queries)
 *   40 report sample (on the fixed grid; sees the state after everything else at that µs)
 * and within one class, the order of scheduling (feed order for market data, send order for
 * messages). So the venue has always seen the book of a µs before an order arriving in that µs
 * is matched, and a sample reflects every event at or before its time. The classes are `Priority`
 * (timeline.ts); the rule is implemented as a merge of the already sorted market stream with a
 * small heap of messages in flight (`Timeline`): no heap push per market event.
 *
 * Events are read in place from their batches (`EventBatch`, store/batch.ts): the engine keeps the batches
 * between the trader's position and the venue's, two cursors into them and the
 * stamps of each buffered event in typed arrays; a `MarketEvent` object is built only for an event
 * a side takes (depth diffs, bookTickers and trades go to a side with `onFlatDepthDiff` /
 * `onFlatBookTicker` / `onFlatTrade` in reused objects: the book and trade streams allocate nothing
 * per event). A side may declare an event a
 * no-op for its current state (`accepts` false: e.g. bookTickers when its book source is depth
 * only); the engine then neither builds nor delivers it, but the
 * event keeps its place in time (clock, feed latency, statistics), so the run is the same.
 *
 * Async only at the edges: the source yields batches; the loop over a batch is synchronous. The
 * loop pauses only when the venue needs the next event and the batch is exhausted; it then
 * resumes exactly where it stopped, so the processing order (and the event-log hash) does not depend
 * on batch sizes.
 *
 * The run ends at the local time of the last market event: timers, samples and messages due later
 * are not processed.
 */
import { InvariantError } from '../core/errors.ts';
import type { SimClock } from '../core/clock.ts';
import type { FlatDepthDiff, MarketEvent } from '../model/events.ts';
import type { SimVenue, VenueCommand, VenueEvent } from '../model/venue.ts';
import { asEventBatch, type EventBatch, type EventBatches, type WritableBookTicker, type WritableTrade } from '../store/index.ts';
import type { TraderPort } from '../trader/index.ts';
import type { EventLogSink } from './event-log.ts';
import { FeedTiming, estimateClockOffsetUs, type OrderLatencyModel } from './latency.ts';
import { Priority, Timeline } from './timeline.ts';

/** Hooks for the run recorder; all optional, all synchronous. */
export interface EngineObserver {
  onCommandSent?(tsUs: number, cmd: VenueCommand, arrivalUs: number): void;
  /** An event the venue emitted at `tsUs` (exchange time), before it travels to the trader. */
  onVenueEventEmitted?(tsUs: number, e: VenueEvent): void;
  /** A venue event delivered to the trader at `tsUs`. */
  onVenueEventDelivered?(tsUs: number, e: VenueEvent): void;
  /** Next grid time strictly after `afterUs` (Infinity: no sampling). */
  nextSampleUs?(afterUs: number): number;
  onSample?(tsUs: number): void;
}

export interface EngineOptions {
  clock: SimClock;
  trader: TraderPort;
  venue: SimVenue;
  latency: OrderLatencyModel;
  feed: { model: 'recorded' | 'constant'; latencyUs: number; clockOffsetUs: number | 'auto'; offsetSampleEvents: number; minLatencyUs: number };
  /** Match-time reorder window of the venue side, µs (default 2 s). */
  matchWindowUs?: number;
  observer?: EngineObserver;
  eventLog?: EventLogSink;
  /** Called after each batch with the events processed so far (progress bars). */
  onProgress?(eventsDone: number, localUs: number): void;
  /**
   * Awaited after each batch: the CLI's way to stop a run on SIGINT / SIGTERM (it yields to the
   * event loop, so the signal handler runs, and throws once a signal came). Results do not depend on it.
   */
  checkpoint?(): Promise<void>;
}

export interface EngineStats {
  marketEvents: number;
  commandsSent: number;
  reportsDelivered: number;
  fundingDelivered: number;
  /** Venue events other than reports and funding (query answers, ...). */
  otherEventsDelivered: number;
  timersFired: number;
  samples: number;
  /** Local time of the first and last market event, µs (NaN when there was none). */
  firstUs: number;
  lastUs: number;
  /** The clock offset removed from receive times, µs. */
  clockOffsetUs: number;
  /** Mean feed latency (local − exchange), µs. */
  meanFeedLatencyUs: number;
  /** Events the venue processed in another order than the feed's (match time earlier than an event read before them). */
  reorderedEvents: number;
  /** Events that matched before what the venue had already processed (beyond the window): placed at the venue's time then. */
  lateMatchEvents: number;
}

/** Default match-time reorder window, µs. */
export const DEFAULT_MATCH_WINDOW_US = 2_000_000;

const P_EXCHANGE_MARKET = Priority.venueMarket;
const P_ARRIVAL = Priority.commandArrival;
const P_LOCAL_MARKET = Priority.traderMarket;
const P_RESPONSE = Priority.venueEvent;
const P_TIMER = Priority.timer;
const P_SAMPLE = Priority.sample;

type Message = { kind: 'command'; cmd: VenueCommand } | { kind: 'event'; event: VenueEvent };

/** Timer firings at one µs beyond which the core is assumed stuck (a bug, not a market). */
const MAX_TIMERS_PER_US = 10_000;

/** A buffered batch with the stamps the engine gave its events. */
interface Segment {
  batch: EventBatch;
  /** Feed index of the batch's first event. */
  base: number;
  /** Exchange time E made non-decreasing (the floor of the local time; feed latency statistics). */
  exUs: Float64Array;
  locUs: Float64Array;
  /** 1 once the venue has processed the event. */
  done: Uint8Array;
  /** Events built for the venue, kept for the trader (columnar batches only). */
  built: (MarketEvent | undefined)[] | null;
}

export class BacktestEngine {
  private readonly o: EngineOptions;
  private timing: FeedTiming | undefined;
  private readonly inFlight = new Timeline<Message>();
  /**
   * Buffered batches. The trader's next event is `segs[0]` at `locK`. A segment is dropped once
   * the trader is past it (the venue always is: it sees every event before the trader does).
   */
  private segs: Segment[] = [];
  private locK = 0;
  /** Feed index of the next event read. */
  private fed = 0;
  /**
   * The venue's queue: feed indices and venue times of events read but not yet processed by the
   * venue, sorted by (time, feed index) in `[qHead, qTail)`.
   */
  private qIdx = new Float64Array(1024);
  private qUs = new Float64Array(1024);
  private qHead = 0;
  private qTail = 0;
  /** Latest match time read. */
  private maxMatchUs = -Infinity;
  private readonly windowUs: number;
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
  /** Reused bookTicker being delivered (`onFlatBookTicker`). */
  private readonly ticker: WritableBookTicker = { type: 'bookTicker', symbol: '', tsExchangeUs: 0, tsReceiveUs: 0, tsTransactUs: 0, updateId: -1, bidTicks: 0, bidLots: 0, askTicks: 0, askLots: 0 };
  /** Reused trade being delivered (`onFlatTrade`). */
  private readonly trade: WritableTrade = { type: 'trade', symbol: '', tsExchangeUs: 0, tsReceiveUs: 0, tsTransactUs: 0, tradeId: -1, priceTicks: 0, qtyLots: 0, buyerIsMaker: false };
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
    otherEventsDelivered: 0,
    timersFired: 0,
    samples: 0,
    firstUs: NaN,
    lastUs: NaN,
    clockOffsetUs: 0,
    meanFeedLatencyUs: NaN,
    reorderedEvents: 0,
    lateMatchEvents: 0,
  };

  constructor(opts: EngineOptions) {
    this.o = opts;
    this.windowUs = opts.matchWindowUs ?? DEFAULT_MATCH_WINDOW_US;
    if (!(this.windowUs >= 0)) throw new RangeError(`matchWindowUs must be ≥ 0, got ${this.windowUs}`);
    if (opts.feed.clockOffsetUs !== 'auto') this.startTiming(opts.feed.clockOffsetUs);
  }

  async run(source: EventBatches): Promise<EngineStats> {
    for await (const batch of source) {
      this.ingest(asEventBatch(batch), false);
      this.process(false);
      this.o.onProgress?.(this.stats.marketEvents, this.stats.lastUs);
      if (this.o.checkpoint !== undefined) await this.o.checkpoint();
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
      this.startTiming(estimateClockOffsetUs(this.offsetSample, want));
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
    const first = Number.isNaN(this.stats.firstUs);
    this.reserve(n);
    const base = this.fed;
    for (let k = 0; k < n; k++) {
      const e = batch.tsExchangeUsAt(k);
      t.stamp(e, batch.tsReceiveUsAt(k));
      exUs[k] = t.exchangeUs;
      locUs[k] = t.localUs;
      // Match time, never after the exchange time (a clock skew in the data cannot reorder past E).
      let m = batch.tsMatchUsAt(k);
      if (!(m <= e)) m = e;
      this.enqueue(base + k, m);
    }
    this.fed += n;
    this.segs.push({ batch, base, exUs, locUs, done: new Uint8Array(n), built: null });
    if (first) {
      this.stats.firstUs = locUs[0];
      // The run starts with its data: nothing (timers included) happens before the first event.
      const startUs = this.qUs[this.qHead];
      if (this.o.clock.nowUs() < startUs) this.o.clock.advanceTo(startUs);
      this.nextSample = this.o.observer?.nextSampleUs?.(startUs - 1) ?? Infinity;
      this.horizonUs = NaN;
    }
    this.stats.lastUs = t.localUs;
  }

  /** Room for `n` more events at the queue's tail (compacts, then grows). */
  private reserve(n: number): void {
    if (this.qTail + n <= this.qIdx.length) return;
    const live = this.qTail - this.qHead;
    let cap = this.qIdx.length;
    while (live + n > cap) cap *= 2;
    if (cap === this.qIdx.length) {
      this.qIdx.copyWithin(0, this.qHead, this.qTail);
      this.qUs.copyWithin(0, this.qHead, this.qTail);
    } else {
      const idx = new Float64Array(cap);
      const us = new Float64Array(cap);
      idx.set(this.qIdx.subarray(this.qHead, this.qTail));
      us.set(this.qUs.subarray(this.qHead, this.qTail));
      this.qIdx = idx;
      this.qUs = us;
    }
    this.qHead = 0;
    this.qTail = live;
  }

  /** Inserts event `g` with match time `m` into the venue's queue, in (time, feed index) order. */
  private enqueue(g: number, m: number): void {
    // Late beyond the window: at the earliest time the venue may still be at. The venue has
    // released only events at or before (latest match time read) − window, and so has the clock,
    // so this place depends on the data alone, not on how it was batched.
    const floor = this.maxMatchUs - this.windowUs;
    if (m < floor) {
      m = floor;
      this.stats.lateMatchEvents++;
    }
    if (m > this.maxMatchUs) this.maxMatchUs = m;
    const idx = this.qIdx;
    const us = this.qUs;
    let i = this.qTail++;
    if (i > this.qHead && us[i - 1] > m) {
      this.stats.reorderedEvents++;
      do {
        idx[i] = idx[i - 1];
        us[i] = us[i - 1];
        i--;
      } while (i > this.qHead && us[i - 1] > m);
    }
    idx[i] = g;
    us[i] = m;
  }

  /** The buffered segment holding feed index `g`. */
  private segmentOf(g: number): Segment {
    const segs = this.segs;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      if (g < s.base + s.batch.length) return s;
    }
    throw new InvariantError(`feed event ${g} is not buffered`);
  }

  /** Drops the segments the trader is past. */
  private normalise(): void {
    const segs = this.segs;
    while (segs.length > 0 && this.locK >= segs[0].batch.length) {
      segs.shift();
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
   * Caches the earliest (time, priority) of the message heap's head, the trader's timer and the
   * next sample. Invalidated (NaN) whenever one of them may change: a message pushed or popped,
   * the trader's timer moved (read after every trader call, `afterTrader`), a sample taken. A timer
   * already due is clamped to the clock's time now; the clock cannot pass the cached time before
   * that item is processed (it is a candidate of every step), so the clamp stays right.
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
    if (this.timerUs !== this.timerUs) this.timerUs = this.o.trader.nextTimerUs();
    return this.timerUs;
  }

  /**
   * Processes everything due, in tie-break order, until the venue needs an event not yet
   * buffered (`final` false) or the run ends (`final` true).
   */
  private process(final: boolean): void {
    const { clock, trader, venue } = this.o;
    const segs = this.segs;
    const endUs = this.stats.lastUs;
    // The optional entry points, looked up once; called as methods (not bound copies), so the
    // calls stay direct, inlinable and free of boxed time arguments.
    const latency = this.o.latency;
    const observeFeed = latency.observeFeedLatency !== undefined;
    const venueAccepts = venue.accepts !== undefined;
    const traderAccepts = trader.accepts !== undefined;
    const venueFlat = venue.onFlatDepthDiff !== undefined;
    const traderFlat = trader.onFlatDepthDiff !== undefined;
    const venueTicker = venue.onFlatBookTicker !== undefined;
    const traderTicker = trader.onFlatBookTicker !== undefined;
    const venueTrade = venue.onFlatTrade !== undefined;
    const traderTrade = trader.onFlatTrade !== undefined;
    for (;;) {
      const exPending = this.qHead < this.qTail;
      // The venue's next event is known only once the window behind it has been read.
      if (!final && (!exPending || this.qUs[this.qHead] > this.maxMatchUs - this.windowUs)) return;
      // Candidates: (time, priority). The stream beats the heap at equal (time, priority) since
      // stream priorities are distinct from message priorities.
      let t = Infinity;
      let p = Infinity;
      if (exPending) {
        t = this.qUs[this.qHead];
        p = P_EXCHANGE_MARKET;
      }
      const locPending = segs.length > 0 && this.locK < segs[0].batch.length && segs[0].done[this.locK] === 1;
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
          const g = this.qIdx[this.qHead++];
          const seg = this.segmentOf(g);
          const k = g - seg.base;
          seg.done[k] = 1;
          const b = seg.batch;
          const type = b.typeAt(k);
          if (type === 'depth' && venueFlat) {
            b.flatDepthAt(k, this.flat);
            venue.onFlatDepthDiff!(b.symbolAt(k), this.flat, t);
            this.afterVenue(t);
          } else if (type === 'bookTicker' && venueTicker) {
            if (!venueAccepts || venue.accepts!(type, b.symbolAt(k))) {
              b.bookTickerAt(k, this.ticker);
              venue.onFlatBookTicker!(this.ticker, t);
              this.afterVenue(t);
            }
          } else if (type === 'trade' && venueTrade) {
            if (!venueAccepts || venue.accepts!(type, b.symbolAt(k))) {
              b.tradeAt(k, this.trade);
              venue.onFlatTrade!(this.trade, t);
              this.afterVenue(t);
            }
          } else if (!venueAccepts || venue.accepts!(type, b.symbolAt(k))) {
            venue.onMarketEvent(this.eventOf(seg, k), t);
            this.afterVenue(t);
          }
          break;
        }
        case P_LOCAL_MARKET: {
          const seg = segs[0];
          const k = this.locK++;
          this.stats.marketEvents++;
          const lat = t - seg.exUs[k];
          this.feedLatencySum += lat;
          if (observeFeed) latency.observeFeedLatency!(lat);
          const b = seg.batch;
          const type = b.typeAt(k);
          if (type === 'depth' && traderFlat) {
            b.flatDepthAt(k, this.flat);
            trader.onFlatDepthDiff!(b.symbolAt(k), this.flat);
            this.afterTrader(t);
          } else if (type === 'bookTicker' && traderTicker) {
            if (!traderAccepts || trader.accepts!(type, b.symbolAt(k))) {
              b.bookTickerAt(k, this.ticker);
              trader.onFlatBookTicker!(this.ticker);
              this.afterTrader(t);
            }
            if (seg.built !== null) seg.built[k] = undefined;
          } else if (type === 'trade' && traderTrade) {
            if (!traderAccepts || trader.accepts!(type, b.symbolAt(k))) {
              b.tradeAt(k, this.trade);
              trader.onFlatTrade!(this.trade);
              this.afterTrader(t);
            }
            if (seg.built !== null) seg.built[k] = undefined;
          } else if (!traderAccepts || trader.accepts!(type, b.symbolAt(k))) {
            trader.onMarketEvent(this.eventOf(seg, k));
            this.afterTrader(t);
          } else if (seg.built !== null) seg.built[k] = undefined;
          if (this.locK >= b.length) this.normalise();
          break;
        }
        case P_TIMER:
          if (t === this.timerRepeatsAt) {
            if (++this.timerRepeats > MAX_TIMERS_PER_US) throw new InvariantError(`the trader's timer fired ${MAX_TIMERS_PER_US} times at ${t} µs without moving on`);
          } else {
            this.timerRepeatsAt = t;
            this.timerRepeats = 1;
          }
          this.stats.timersFired++;
          trader.onTimer(t);
          this.afterTrader(t);
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
    const { trader, venue, observer, eventLog } = this.o;
    if (m.kind === 'command') {
      venue.send(m.cmd, t);
      this.afterVenue(t);
      return;
    }
    const e = m.event;
    if (e.kind === 'report') this.stats.reportsDelivered++;
    else if (e.kind === 'funding') this.stats.fundingDelivered++;
    else this.stats.otherEventsDelivered++;
    eventLog?.venueEvent(t, e);
    observer?.onVenueEventDelivered?.(t, e);
    trader.onVenueEvent(e);
    this.afterTrader(t);
  }

  /** Sends what the trader wants sent, after the entry latency (FIFO). */
  private afterTrader(t: number): void {
    // Any trader call may move its timer; the horizon is recomputed only when it did (or when a
    // command below enters the heap), not after every market event.
    const timerUs = this.o.trader.nextTimerUs();
    if (timerUs !== this.timerUs) {
      this.timerUs = timerUs;
      this.horizonUs = NaN;
    }
    const cmds = this.o.trader.drainCommands();
    if (cmds.length === 0) return;
    this.horizonUs = NaN;
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

  /** Sends the venue's events back, after the response latency (FIFO). */
  private afterVenue(t: number): void {
    const events = this.o.venue.drainEvents();
    if (events.length === 0) return;
    this.horizonUs = NaN;
    const { latency, observer } = this.o;
    for (let i = 0; i < events.length; i++) {
      observer?.onVenueEventEmitted?.(t, events[i]);
      this.inFlight.push(this.responseAt(t, latency), P_RESPONSE, { kind: 'event', event: events[i] });
    }
  }

  private responseAt(t: number, latency: OrderLatencyModel): number {
    let at = t + latency.responseUs(t);
    if (at < this.lastResponseUs) at = this.lastResponseUs;
    this.lastResponseUs = at;
    return at;
  }
}
