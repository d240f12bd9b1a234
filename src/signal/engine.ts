/**
 * `SignalEngine`: owns one configured set of signals for one symbol and keeps a `Signal` snapshot
 * up to date as book, trade and mark-price events are fed in (see index.ts for every definition).
 *
 * Time comes only from the events: `onBook(tsUs, book)` takes the caller's time, trades and mark
 * prices use their receive stamp (`tsReceiveUs`, what the strategy side sees) unless the config
 * says `eventTime: 'exchange'`. A time earlier than the last one seen is treated as the last one
 * (the engine never runs backwards). Before an event at t is applied, every grid boundary strictly
 * before t is closed with the state in force there; an event exactly on a boundary belongs to the
 * interval that ends at it.
 *
 * The micro-price model learns from every two-sided best-quote state (event time); volatility and
 * fill intensity sample on the time grid.
 *
 * Cost per event: O(1) plus the levels the multi-level and band imbalances visit; the micro-price
 * refit (O(states³)) runs once per `micropriceRefitS`, the intensity refit (O(depths)) once per
 * sample interval. The snapshot is one object mutated in place: read it through `signal` after the
 * events you care about, do not keep it (or copy it with `snapshot()`). The trade-flow readings, the
 * micro-price, the OFI readings and the mark / index deviations are written when it is read (most
 * book events are followed by another one before any reader), so a kept reference can show them
 * behind the book.
 */
import type { BookView } from '../book/index.ts';
import type { AggTrade, MarkPrice, Trade } from '../model/events.ts';
import { resolveSignalConfig, type SignalConfig } from './config.ts';
import { deviationBps, deviationTicks, priceStringToTicks, ReferenceDeviation } from './deviation.ts';
import { DepthImbalance, imbalanceFraction, weightedMid } from './imbalance.ts';
import { FillIntensity } from './intensity.ts';
import { MicropriceEstimator, micropriceAdjustment, type MicropriceModel } from './microprice.ts';
import { intervalEnd, OfiAccumulator } from './ofi.ts';
import { TradeFlow } from './tradeflow.ts';
import { RealizedVolatility } from './volatility.ts';

/** Which flag says whether each value is usable (value is NaN whenever its flag is false). */
export interface SignalReady {
  weightedMid: boolean;
  microprice: boolean;
  obiL1: boolean;
  obiLevels: boolean;
  obiBand: boolean;
  ofi: boolean;
  sigma: boolean;
  tradeImbalance: boolean;
  volumeRate: boolean;
  markDeviation: boolean;
  indexDeviation: boolean;
  intensity: boolean;
}

/** The signal snapshot strategies read. Prices are float ticks, quantities lots, times µs. */
export interface Signal {
  /** Time of the last event applied, µs. */
  tsUs: number;
  /** Best bid / ask (integer ticks) and their lots; NaN / 0 when the book is invalid or a side empty. */
  bidTicks: number;
  askTicks: number;
  bidLots: number;
  askLots: number;
  /** (bid + ask)/2 and ask − bid, ticks. */
  midTicks: number;
  spreadTicks: number;
  /** I·Pa + (1 − I)·Pb, ticks. */
  weightedMid: number;
  /** Stoikov micro-price mid + g*(I, S), ticks. */
  microprice: number;
  /** Signed L1 imbalance (Qb − Qa)/(Qb + Qa) ∈ [−1, 1]. */
  obiL1: number;
  /** Stoikov's I = Qb/(Qb + Qa) ∈ [0, 1] (ready with obiL1). */
  imbalanceL1: number;
  /** Signed imbalance over `obiLevels` levels per side. */
  obiLevels: number;
  /** Signed imbalance over mid·(1 ± obiBandBps/10⁴). */
  obiBand: number;
  /** OFI of the last closed interval, lots. */
  ofi: number;
  /** OFI accumulated so far in the interval in progress, lots (always a number once a book was seen). */
  ofiCurrent: number;
  /** Realised volatility of the mid, ticks/√s. */
  sigmaTicksPerSqrtS: number;
  /** (buy − sell)/(buy + sell) taker volume, decayed, ∈ [−1, 1]. */
  tradeImbalance: number;
  /** Taker volume rate, lots/s. */
  volumeRateLotsPerS: number;
  /** Last mark / index price, float ticks (NaN until known; stale values stay visible here). */
  markPriceTicks: number;
  indexPriceTicks: number;
  /** mid − mark, ticks and bps. */
  markDeviationTicks: number;
  markDeviationBps: number;
  /** mid − index, ticks and bps. */
  indexDeviationTicks: number;
  indexDeviationBps: number;
  /** λ(δ) = A·e^(−kδ): A per second, k per tick, R² of the log-linear fit. */
  intensityA: number;
  intensityK: number;
  intensityR2: number;
  ready: SignalReady;
}

export type SignalEngineConfig = Partial<SignalConfig> & {
  tickSize: string;
  /** Which stamp of trades and mark prices is the engine's time (default `receive`). */
  eventTime?: 'receive' | 'exchange';
  /**
   * 'every-book' (default): obiLevels and obiBand are recomputed on every `onBook`. 'on-demand': they
   * are recomputed only by `refreshDepthImbalances(book)` (a caller that reads them only when it
   * decides skips the level walks on the other book events); between calls they keep their values.
   */
  depthImbalance?: 'every-book' | 'on-demand';
};

export function emptySignal(): Signal {
  return {
    tsUs: NaN,
    bidTicks: NaN,
    askTicks: NaN,
    bidLots: 0,
    askLots: 0,
    midTicks: NaN,
    spreadTicks: NaN,
    weightedMid: NaN,
    microprice: NaN,
    obiL1: NaN,
    imbalanceL1: NaN,
    obiLevels: NaN,
    obiBand: NaN,
    ofi: NaN,
    ofiCurrent: 0,
    sigmaTicksPerSqrtS: NaN,
    tradeImbalance: NaN,
    volumeRateLotsPerS: NaN,
    markPriceTicks: NaN,
    indexPriceTicks: NaN,
    markDeviationTicks: NaN,
    markDeviationBps: NaN,
    indexDeviationTicks: NaN,
    indexDeviationBps: NaN,
    intensityA: NaN,
    intensityK: NaN,
    intensityR2: NaN,
    ready: {
      weightedMid: false,
      microprice: false,
      obiL1: false,
      obiLevels: false,
      obiBand: false,
      ofi: false,
      sigma: false,
      tradeImbalance: false,
      volumeRate: false,
      markDeviation: false,
      indexDeviation: false,
      intensity: false,
    },
  };
}

export class SignalEngine {
  readonly config: SignalConfig;
  private readonly useExchangeTime: boolean;
  private readonly depthOnDemand: boolean;
  private depthStale = false;
  private readonly tickSize: number;
  private readonly state: Signal = emptySignal();
  private readonly depth = new DepthImbalance();
  private readonly ofiAcc: OfiAccumulator;
  private readonly volatility: RealizedVolatility;
  private readonly flow: TradeFlow;
  private readonly intensity: FillIntensity;
  private readonly estimator: MicropriceEstimator;
  private readonly mark: ReferenceDeviation;
  private readonly index: ReferenceDeviation;
  private model: MicropriceModel | null = null;
  private lastTsUs = NaN;
  private nextSampleUs = NaN;
  private nextRefitUs = NaN;
  /** Last valid mid and L1, carried across invalid books and empty intervals for grid sampling. */
  private carriedMid = NaN;
  /** The trade-flow readings of `state` are behind the flow (refreshed when the snapshot is read). */
  private flowStale = false;
  /** The micro-price of `state` is behind the book or the model (refreshed when the snapshot is read). */
  private microStale = false;
  /** The OFI readings of `state` are behind the accumulator (refreshed when the snapshot is read). */
  private ofiStale = false;
  /** The mark / index deviations of `state` are behind the mid and the clock (refreshed when read, at `lastTsUs`). */
  private deviationsStale = false;

  constructor(config: SignalEngineConfig) {
    const { eventTime, depthImbalance, ...rest } = config;
    this.config = resolveSignalConfig(rest);
    this.useExchangeTime = eventTime === 'exchange';
    this.depthOnDemand = depthImbalance === 'on-demand';
    this.tickSize = Number(this.config.tickSize);
    const c = this.config;
    this.ofiAcc = new OfiAccumulator(c.ofiIntervalUs);
    this.volatility = new RealizedVolatility(c.sampleIntervalUs, c.volHalfLifeS, c.volWarmupS);
    this.flow = new TradeFlow(c.tradeHalfLifeS, c.tradeWarmupS);
    this.intensity = new FillIntensity(c.sampleIntervalUs, c.intensityWindowS, c.intensityWarmupS, c.intensityMaxDepthTicks, c.intensityMinPoints);
    this.estimator = new MicropriceEstimator(
      c.micropriceImbalanceBuckets,
      c.micropriceMaxSpreadTicks,
      c.micropriceWindowS * 1e6,
      c.micropriceMaxTransitions,
      c.micropriceMaxMoveTicks,
    );
    this.mark = new ReferenceDeviation(c.markMaxAgeUs);
    this.index = new ReferenceDeviation(c.markMaxAgeUs);
  }

  /** The live snapshot, current as of this read (one object, rewritten by later events and reads). */
  get signal(): Readonly<Signal> {
    this.settle();
    return this.state;
  }

  /** A deep copy of the snapshot, safe to keep. */
  snapshot(): Signal {
    this.settle();
    return { ...this.state, ready: { ...this.state.ready } };
  }

  /**
   * Writes the readings computed when read (trade flow, micro-price, OFI, deviations) if an event
   * left them behind. Each is a function of state the events keep (the flow, the model and the
   * book's L1, the accumulator, the mid, the references and the last event's time), so a reading
   * is the one the last event would have written.
   */
  private settle(): void {
    if (this.flowStale) this.refreshTradeFlow();
    if (this.microStale) this.refreshMicroprice();
    if (this.ofiStale) this.refreshOfi();
    if (this.deviationsStale) this.refreshDeviations(this.lastTsUs);
  }

  /** The micro-price model in use (null before the first successful fit). */
  micropriceModel(): MicropriceModel | null {
    return this.model;
  }

  /** The book after an update at `tsUs` (any depth, bookTicker or snapshot event). */
  onBook(tsUs: number, book: BookView): void {
    const ts = this.advance(tsUs, true, false); // deviations: refreshed below with the new mid
    const s = this.state;
    const valid = book.isValid();
    const bid = valid ? book.bestBidTicks() : NaN;
    const ask = valid ? book.bestAskTicks() : NaN;
    const bidLots = valid ? book.bestBidLots() : 0;
    const askLots = valid ? book.bestAskLots() : 0;
    const twoSided = !Number.isNaN(bid) && !Number.isNaN(ask) && bidLots + askLots > 0;
    s.bidTicks = bid;
    s.askTicks = ask;
    s.bidLots = bidLots;
    s.askLots = askLots;
    if (!twoSided) {
      this.ofiAcc.update(ts, NaN, 0, NaN, 0);
      this.estimator.observe(ts, NaN, NaN, NaN);
      this.clearBookSignals();
      this.deviationsStale = true;
      return;
    }
    const mid = (bid + ask) / 2;
    const spread = ask - bid;
    const imbalance = imbalanceFraction(bidLots, askLots);
    s.midTicks = mid;
    s.spreadTicks = spread;
    s.weightedMid = weightedMid(bid, bidLots, ask, askLots);
    s.imbalanceL1 = imbalance;
    s.obiL1 = 2 * imbalance - 1;
    s.ready.weightedMid = true;
    s.ready.obiL1 = true;
    if (this.depthOnDemand) this.depthStale = true;
    else this.computeDepthImbalances(book);
    this.ofiAcc.update(ts, bid, bidLots, ask, askLots);
    s.ofiCurrent = this.ofiAcc.current;
    this.carriedMid = mid;
    this.estimator.observe(ts, mid, imbalance, spread);
    // Written when the snapshot is read: a strategy reads it at a decision, about one book event in ten.
    this.microStale = true;
    this.deviationsStale = true;
  }

  /** Recomputes obiLevels and obiBand from `book` if a book update came since the last time ('on-demand' mode). */
  refreshDepthImbalances(book: BookView): void {
    if (!this.depthStale) return;
    this.depthStale = false;
    if (this.state.ready.weightedMid) this.computeDepthImbalances(book);
  }

  private computeDepthImbalances(book: BookView): void {
    const s = this.state;
    s.obiLevels = this.depth.overLevels(book, this.config.obiLevels);
    s.obiBand = this.depth.overBand(book, this.config.obiBandBps);
    s.ready.obiLevels = !Number.isNaN(s.obiLevels);
    s.ready.obiBand = !Number.isNaN(s.obiBand);
  }

  /** A taker trade (`trade` or `aggTrade`; feed one of the two streams, not both). */
  onTrade(trade: Trade | AggTrade): void {
    this.advance(this.useExchangeTime ? trade.tsExchangeUs : trade.tsReceiveUs, true, true);
    this.flow.onTrade(trade.qtyLots, trade.buyerIsMaker);
    this.intensity.onTrade(trade.priceTicks, trade.buyerIsMaker);
    // The flow's readings are written when the snapshot is read (`advance` marked them stale), as
    // after a book event: most trades are followed by another event before any reader.
  }

  /** Mark and index price (`markPriceUpdate`). */
  onMarkPrice(m: MarkPrice): void {
    const ts = this.advance(this.useExchangeTime ? m.tsExchangeUs : m.tsReceiveUs, true, false); // deviations: refreshed below
    this.mark.set(ts, priceStringToTicks(m.markPrice, this.tickSize));
    this.index.set(ts, priceStringToTicks(m.indexPrice, this.tickSize));
    this.state.markPriceTicks = this.mark.priceTicks;
    this.state.indexPriceTicks = this.index.priceTicks;
    this.deviationsStale = true;
  }

  /**
   * Moves the engine clock to `tsUs`, closing grid boundaries and intervals before it, and refreshes
   * the time-dependent readings. A caller that refreshes the trade flow or the deviations itself
   * right after (with the state its event changes) passes false for that one: same snapshot, one
   * evaluation instead of two per event.
   */
  private advance(tsUs: number, refreshFlow: boolean, refreshDeviations: boolean): number {
    const interval = this.config.sampleIntervalUs;
    if (Number.isNaN(this.lastTsUs)) {
      this.lastTsUs = tsUs;
      this.nextSampleUs = intervalEnd(tsUs, interval);
      this.nextRefitUs = tsUs + this.config.micropriceWarmupS * 1e6;
      this.flow.advance(tsUs);
      this.state.tsUs = tsUs;
      return tsUs;
    }
    const ts = tsUs < this.lastTsUs ? this.lastTsUs : tsUs;
    this.ofiAcc.advance(ts);
    if (ts > this.nextSampleUs) this.closeSamples(ts, interval);
    this.flow.advance(ts);
    this.lastTsUs = ts;
    this.state.tsUs = ts;
    // The trade-flow readings are a function of the flow's state alone: written when the snapshot
    // is read (`signal`, `snapshot`), not at every book event (an exp per event saved).
    if (refreshFlow) this.flowStale = true;
    this.ofiStale = true;
    if (refreshDeviations) this.deviationsStale = true;
    return ts;
  }

  private closeSamples(ts: number, interval: number): void {
    const boundaries = Math.ceil((ts - this.nextSampleUs) / interval);
    const first = this.nextSampleUs;
    const last = first + (boundaries - 1) * interval;
    this.volatility.onSample(this.carriedMid);
    this.intensity.onSample(this.carriedMid);
    if (boundaries > 1) {
      this.volatility.onUnchangedSamples(boundaries - 1);
      this.intensity.onQuietSamples(boundaries - 1);
    }
    this.nextSampleUs = last + interval;
    this.intensity.refit();
    if (last >= this.nextRefitUs) {
      this.estimator.expire(last);
      this.refitMicroprice();
      const refitUs = this.config.micropriceRefitS * 1e6;
      this.nextRefitUs += Math.floor((last - this.nextRefitUs) / refitUs + 1) * refitUs;
    }
    const s = this.state;
    s.sigmaTicksPerSqrtS = this.volatility.sigmaTicksPerSqrtS;
    s.ready.sigma = this.volatility.ready;
    s.intensityA = this.intensity.a;
    s.intensityK = this.intensity.k;
    s.intensityR2 = this.intensity.r2;
    s.ready.intensity = this.intensity.ready;
  }

  private refitMicroprice(): void {
    const c = this.config;
    if (this.estimator.counts.transitions < c.micropriceMinTransitions || this.estimator.counts.transitions === 0) return;
    this.model = this.estimator.fit(c.micropriceMinStateExits, c.micropriceMaxIterations, c.micropriceTolerance);
    this.microStale = true;
  }

  private refreshMicroprice(): void {
    this.microStale = false;
    const s = this.state;
    const adj = this.model !== null && s.ready.weightedMid ? micropriceAdjustment(this.model, s.imbalanceL1, s.spreadTicks) : NaN;
    s.microprice = s.midTicks + adj;
    s.ready.microprice = Number.isFinite(s.microprice);
  }

  private refreshTradeFlow(): void {
    this.flowStale = false;
    const s = this.state;
    s.tradeImbalance = this.flow.imbalance;
    s.ready.tradeImbalance = this.flow.imbalanceReady;
    s.volumeRateLotsPerS = this.flow.volumeRateLotsPerS;
    s.ready.volumeRate = this.flow.ready;
  }

  private refreshOfi(): void {
    this.ofiStale = false;
    const s = this.state;
    s.ofi = this.ofiAcc.ready ? this.ofiAcc.last : NaN;
    s.ready.ofi = this.ofiAcc.ready;
    s.ofiCurrent = this.ofiAcc.current;
  }

  private refreshDeviations(ts: number): void {
    this.deviationsStale = false;
    const s = this.state;
    const mid = s.ready.weightedMid ? s.midTicks : NaN;
    const markOk = !Number.isNaN(mid) && this.mark.isFresh(ts);
    const indexOk = !Number.isNaN(mid) && this.index.isFresh(ts);
    s.markDeviationTicks = markOk ? deviationTicks(mid, this.mark.priceTicks) : NaN;
    s.markDeviationBps = markOk ? deviationBps(mid, this.mark.priceTicks) : NaN;
    s.indexDeviationTicks = indexOk ? deviationTicks(mid, this.index.priceTicks) : NaN;
    s.indexDeviationBps = indexOk ? deviationBps(mid, this.index.priceTicks) : NaN;
    s.ready.markDeviation = markOk;
    s.ready.indexDeviation = indexOk;
  }

  private clearBookSignals(): void {
    const s = this.state;
    s.midTicks = NaN;
    s.spreadTicks = NaN;
    s.weightedMid = NaN;
    s.microprice = NaN;
    s.obiL1 = NaN;
    s.imbalanceL1 = NaN;
    s.obiLevels = NaN;
    s.obiBand = NaN;
    s.ready.weightedMid = false;
    s.ready.microprice = false;
    s.ready.obiL1 = false;
    s.ready.obiLevels = false;
    s.ready.obiBand = false;
  }
}
