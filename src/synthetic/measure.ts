/**
 * Measures the statistics the synthetic market is calibrated to, from any stream of market events
 * of one symbol (a real recording or the generator's own output: the same code measures both, so
 * a comparison between them is like for like).
 *
 * Units: prices and distances in ticks, quantities in lots, rates per second of exchange time,
 * volatility in ticks per √second. Events must come in arrival (receive-time) order; the book is
 * replayed through the Binance sync rule and statistics of the book are taken only while it is in
 * sync.
 *
 * Definitions (each one is what `docs/SYNTHETIC.md` states):
 * - The book is sampled on a grid of exchange time every `SAMPLE_US` (100 ms): the state in force
 *   at each grid point is the one after every event stamped before it. Spread, depth profile and
 *   volatility use these samples.
 * - Spread: best ask − best bid in ticks. Depth profile: mean quantity at distance k ticks from the
 *   own side's best price (k = 0 is the touch; empty levels count as 0), both sides averaged.
 * - Update distance: where the levels of depth diffs land, in ticks from the own side's best before
 *   the diff (−1 bucket: inside the spread; last bucket: ≥ PROFILE_LEVELS).
 * - Taker order: consecutive prints with the same exchange time and the same aggressor side (one
 *   aggressive order filling several resting orders). Sign autocorrelation: lag-1 Pearson
 *   correlation of the taker orders' signs (+1 buy, −1 sell).
 * - Touch move: a taker order whose last print price is no longer on the book after the next depth
 *   diff stamped at or after it (a buy: best ask above that price; a sell: best bid below it).
 * - Volatility: √(mean of squared mid changes / Δt) at Δt = 100 ms and 1 s (no drift removed).
 */
import { BookSync, L2Book } from '../book/index.ts';
import type { MarketEvent } from '../model/events.ts';

export const SAMPLE_US = 100_000;
/** Levels from the touch in the depth profile. */
export const PROFILE_LEVELS = 50;
/** Probabilities at which size quantiles are recorded (the generator samples from these). */
export const QUANTILE_PROBS = [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1] as const;
/** Spread histogram buckets: index i = i+1 ticks, the last bucket holds ≥ SPREAD_BUCKETS ticks. */
export const SPREAD_BUCKETS = 10;
/** Bands of distance from the touch (ticks, [from, to)) beyond the profile: the deep book. */
export const FAR_BANDS: readonly (readonly [number, number])[] = [[50, 100], [100, 200], [200, 500], [500, 1000], [1000, 2000], [2000, 5000]];

export interface SizeStats {
  meanLots: number;
  /** Quantiles in lots at QUANTILE_PROBS. */
  quantilesLots: number[];
}

export interface MarketStats {
  symbol: string;
  durationS: number;
  depthDiffsPerS: number;
  tradesPerS: number;
  bookTickersPerS: number;
  markPricesPerS: number;
  takerOrdersPerS: number;
  /** Mean number of level entries (bid + ask) per depth diff. */
  levelsPerDiff: number;
  /** Share of diff level entries with quantity 0 (deletions). */
  deleteShare: number;
  spread: { modeTicks: number; meanTicks: number; /** share by bucket, see SPREAD_BUCKETS */ shares: number[] };
  /** Mean lots at distance k from the own touch (k = 0..PROFILE_LEVELS-1), empty levels as 0. */
  depthProfileLots: number[];
  /** Share of grid samples in which the level at distance k is non-empty. */
  occupancy: number[];
  /** Quantiles of non-empty level sizes divided by their distance's mean non-empty size (shape of level sizes). */
  levelSizeShape: number[];
  /** Share of diff level entries by distance from the own touch: index 0 = inside the spread, i = distance i−1, last = beyond the profile. */
  updateDistanceShares: number[];
  print: SizeStats;
  takerOrder: SizeStats;
  printsPerTakerOrder: number;
  /** Lag-1 autocorrelation of taker order signs. */
  signAutocorrLag1: number;
  /** Coefficient of variation of the times between taker orders (1 for a Poisson process). */
  takerInterArrivalCv: number;
  /** Share of taker orders that printed at two or more prices. */
  sweepShare: number;
  /** Share of taker orders that took the whole touch (see header). */
  touchMoveShare: number;
  sigmaTicksPerSqrtS: { at100ms: number; at1s: number };
  /** Mid changes over 100 ms: share of zero changes and quantiles (QUANTILE_PROBS) of the non-zero |change|, ticks. */
  midChange100ms: { zeroShare: number; absQuantilesTicks: number[] };
  /** Quantiles (QUANTILE_PROBS) of the quantity at the touch, lots (both sides). */
  touchLotsQuantiles: number[];
  /** Deep book by FAR_BANDS: share of non-empty levels, their mean size (lots), share of diff level entries landing there. */
  farBands: { fromTicks: number; toTicks: number; occupancy: number; meanNonEmptyLots: number; updateShare: number }[];
  /** Mid at the first and last sample, ticks (for regime tests: the size of a move). */
  firstMidTicks: number;
  lastMidTicks: number;
  /** Mid sampled every 100 ms (ticks), for callers that want their own statistics. */
  midSeriesTicks: number[];
}

function quantiles(values: number[]): number[] {
  if (values.length === 0) return QUANTILE_PROBS.map(() => 0);
  const s = Float64Array.from(values).sort();
  return QUANTILE_PROBS.map((p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]);
}

function mean(values: ArrayLike<number>): number {
  let t = 0;
  for (let i = 0; i < values.length; i++) t += values[i];
  return values.length ? t / values.length : 0;
}

interface PendingTaker {
  buy: boolean;
  priceTicks: number;
  tsUs: number;
}

export class MarketStatsMeter {
  private readonly book: L2Book;
  private readonly sync: BookSync;
  private firstTs = Infinity;
  private lastTs = -Infinity;
  private nextSampleUs = NaN;
  private diffs = 0;
  private trades = 0;
  private bookTickers = 0;
  private marks = 0;
  private levelEntries = 0;
  private deletes = 0;
  private readonly spreadCounts = new Float64Array(SPREAD_BUCKETS);
  private spreadSum = 0;
  private samples = 0;
  private readonly profileSum = new Float64Array(PROFILE_LEVELS);
  private readonly occupied = new Float64Array(PROFILE_LEVELS);
  private readonly nonEmptySum = new Float64Array(PROFILE_LEVELS);
  private readonly levelSamples: { k: number; lots: number }[] = [];
  private readonly updateDist = new Float64Array(PROFILE_LEVELS + 2);
  private readonly farUpdates = new Float64Array(FAR_BANDS.length);
  private readonly farOccupied = new Float64Array(FAR_BANDS.length);
  private readonly farSum = new Float64Array(FAR_BANDS.length);
  private farSamples = 0;
  private readonly touchSizes: number[] = [];
  private readonly mids: number[] = [];
  private readonly printSizes: number[] = [];
  private readonly takerSizes: number[] = [];
  private readonly takerSigns: number[] = [];
  private readonly takerTimes: number[] = [];
  private takerSweeps = 0;
  private touchChecked = 0;
  private touchMoved = 0;
  private pending: PendingTaker[] = [];
  // The taker order being accumulated.
  private curTs = -1;
  private curBuy = false;
  private curLots = 0;
  private curPrints = 0;
  private curFirstPrice = 0;
  private curLastPrice = 0;

  constructor(readonly symbol: string) {
    this.book = new L2Book(symbol);
    this.sync = new BookSync(this.book);
  }

  onEvent(e: MarketEvent): void {
    // Liquidation orders are no part of what the generator models (their fills are in the trades).
    if (e.symbol !== this.symbol || e.type === 'forceOrder') return;
    const ts = e.tsExchangeUs;
    if (Number.isNaN(this.nextSampleUs)) this.nextSampleUs = Math.ceil(ts / SAMPLE_US) * SAMPLE_US;
    while (ts >= this.nextSampleUs) {
      this.sample();
      this.nextSampleUs += SAMPLE_US;
    }
    if (ts < this.firstTs) this.firstTs = ts;
    if (ts > this.lastTs) this.lastTs = ts;
    if (e.type !== 'trade') this.closeTaker();
    switch (e.type) {
      case 'snapshot':
        this.sync.applySnapshot(e);
        break;
      case 'depth': {
        this.diffs++;
        const valid = this.book.isValid();
        const bb = this.book.bestBidTicks();
        const ba = this.book.bestAskTicks();
        for (let i = 0; i < e.bidTicks.length; i++) this.countUpdate(valid, bb - e.bidTicks[i], e.bidLots[i]);
        for (let i = 0; i < e.askTicks.length; i++) this.countUpdate(valid, e.askTicks[i] - ba, e.askLots[i]);
        this.sync.applyDiff(e);
        this.checkPending(e.tsExchangeUs);
        break;
      }
      case 'trade': {
        this.trades++;
        this.printSizes.push(e.qtyLots);
        const buy = !e.buyerIsMaker;
        if (this.curPrints > 0 && (ts !== this.curTs || buy !== this.curBuy)) this.closeTaker();
        if (this.curPrints === 0) {
          this.curTs = ts;
          this.curBuy = buy;
          this.curFirstPrice = e.priceTicks;
        }
        this.curPrints++;
        this.curLots += e.qtyLots;
        this.curLastPrice = e.priceTicks;
        break;
      }
      case 'bookTicker':
        this.bookTickers++;
        break;
      case 'markPrice':
        this.marks++;
        break;
      case 'aggTrade':
        break;
    }
  }

  onBatch(events: readonly MarketEvent[]): void {
    for (const e of events) this.onEvent(e);
  }

  private countUpdate(valid: boolean, dist: number, lots: number): void {
    this.levelEntries++;
    if (lots === 0) this.deletes++;
    if (!valid || Number.isNaN(dist)) return;
    const bucket = dist < 0 ? 0 : dist >= PROFILE_LEVELS ? PROFILE_LEVELS + 1 : dist + 1;
    this.updateDist[bucket]++;
    if (dist >= PROFILE_LEVELS) {
      for (let i = 0; i < FAR_BANDS.length; i++) if (dist < FAR_BANDS[i][1]) { this.farUpdates[i]++; break; }
    }
  }

  private closeTaker(): void {
    if (this.curPrints === 0) return;
    this.takerSizes.push(this.curLots);
    this.takerSigns.push(this.curBuy ? 1 : -1);
    this.takerTimes.push(this.curTs);
    if (this.curFirstPrice !== this.curLastPrice) this.takerSweeps++;
    this.pending.push({ buy: this.curBuy, priceTicks: this.curLastPrice, tsUs: this.curTs });
    this.curPrints = 0;
    this.curLots = 0;
  }

  private checkPending(diffTsUs: number): void {
    if (this.pending.length === 0) return;
    const keep: PendingTaker[] = [];
    const valid = this.book.isValid();
    for (const p of this.pending) {
      if (p.tsUs > diffTsUs) {
        keep.push(p);
        continue;
      }
      if (!valid) continue;
      this.touchChecked++;
      const moved = p.buy ? this.book.bestAskTicks() > p.priceTicks : this.book.bestBidTicks() < p.priceTicks;
      if (moved) this.touchMoved++;
    }
    this.pending = keep;
  }

  private sample(): void {
    const b = this.book;
    if (!b.isValid()) return;
    const bb = b.bestBidTicks();
    const ba = b.bestAskTicks();
    if (Number.isNaN(bb) || Number.isNaN(ba)) return;
    this.samples++;
    const spread = ba - bb;
    this.spreadCounts[Math.min(SPREAD_BUCKETS, Math.max(1, spread)) - 1]++;
    this.spreadSum += spread;
    this.mids.push((bb + ba) / 2);
    this.touchSizes.push(b.bestBidLots(), b.bestAskLots());
    if (this.samples % 10 === 1) {
      // The deep book once a second: enough for band averages, cheap enough for long runs.
      this.farSamples++;
      for (let i = 0; i < FAR_BANDS.length; i++) {
        const [from, to] = FAR_BANDS[i];
        for (let k = from; k < to; k++) {
          const qb = b.qtyAt('bid', bb - k);
          const qa = b.qtyAt('ask', ba + k);
          if (qb > 0) { this.farOccupied[i]++; this.farSum[i] += qb; }
          if (qa > 0) { this.farOccupied[i]++; this.farSum[i] += qa; }
        }
      }
    }
    for (let k = 0; k < PROFILE_LEVELS; k++) {
      const qb = b.qtyAt('bid', bb - k);
      const qa = b.qtyAt('ask', ba + k);
      this.profileSum[k] += (qb + qa) / 2;
      if (qb > 0) { this.occupied[k] += 0.5; this.nonEmptySum[k] += qb; }
      if (qa > 0) { this.occupied[k] += 0.5; this.nonEmptySum[k] += qa; }
      // A thinned sample of level sizes, for the shape of the size distribution.
      if ((this.samples & 7) === 0) {
        if (qb > 0) this.levelSamples.push({ k, lots: qb });
        if (qa > 0) this.levelSamples.push({ k, lots: qa });
      }
    }
  }

  result(): MarketStats {
    this.closeTaker();
    const durationS = this.lastTs > this.firstTs ? (this.lastTs - this.firstTs) / 1e6 : 0;
    const rate = (n: number) => (durationS > 0 ? n / durationS : 0);
    const n = Math.max(1, this.samples);
    const shares = Array.from(this.spreadCounts, (c) => c / n);
    let modeTicks = 1;
    for (let i = 0; i < SPREAD_BUCKETS; i++) if (this.spreadCounts[i] > this.spreadCounts[modeTicks - 1]) modeTicks = i + 1;
    const meanNonEmpty = Array.from(this.nonEmptySum, (s, k) => (this.occupied[k] > 0 ? s / (2 * this.occupied[k]) : 0));
    const shape = quantiles(this.levelSamples.map((l) => (meanNonEmpty[l.k] > 0 ? l.lots / meanNonEmpty[l.k] : 0)));
    const updTotal = this.updateDist.reduce((a, c) => a + c, 0) || 1;
    // Signs: lag-1 Pearson correlation.
    const s = this.takerSigns;
    let corr = 0;
    if (s.length > 2) {
      const m = mean(s);
      let num = 0;
      let den = 0;
      for (let i = 0; i < s.length; i++) den += (s[i] - m) ** 2;
      for (let i = 1; i < s.length; i++) num += (s[i] - m) * (s[i - 1] - m);
      corr = den > 0 ? num / den : 0;
    }
    const gaps: number[] = [];
    for (let i = 1; i < this.takerTimes.length; i++) gaps.push(this.takerTimes[i] - this.takerTimes[i - 1]);
    const gm = mean(gaps);
    const gsd = Math.sqrt(mean(gaps.map((g) => (g - gm) ** 2)));
    const mids = this.mids;
    const sigma = (step: number) => {
      let sq = 0;
      let cnt = 0;
      for (let i = step; i < mids.length; i += step) {
        sq += (mids[i] - mids[i - step]) ** 2;
        cnt++;
      }
      return cnt > 0 ? Math.sqrt(sq / cnt / ((step * SAMPLE_US) / 1e6)) : 0;
    };
    const changes: number[] = [];
    let zeros = 0;
    for (let i = 1; i < mids.length; i++) {
      const d = Math.abs(mids[i] - mids[i - 1]);
      if (d === 0) zeros++;
      else changes.push(d);
    }
    return {
      symbol: this.symbol,
      durationS,
      depthDiffsPerS: rate(this.diffs),
      tradesPerS: rate(this.trades),
      bookTickersPerS: rate(this.bookTickers),
      markPricesPerS: rate(this.marks),
      takerOrdersPerS: rate(this.takerSizes.length),
      levelsPerDiff: this.diffs ? this.levelEntries / this.diffs : 0,
      deleteShare: this.levelEntries ? this.deletes / this.levelEntries : 0,
      spread: { modeTicks, meanTicks: this.spreadSum / n, shares },
      depthProfileLots: Array.from(this.profileSum, (x) => x / n),
      occupancy: Array.from(this.occupied, (x) => x / n),
      levelSizeShape: shape,
      updateDistanceShares: Array.from(this.updateDist, (x) => x / updTotal),
      print: { meanLots: mean(this.printSizes), quantilesLots: quantiles(this.printSizes) },
      takerOrder: { meanLots: mean(this.takerSizes), quantilesLots: quantiles(this.takerSizes) },
      printsPerTakerOrder: this.takerSizes.length ? this.printSizes.length / this.takerSizes.length : 0,
      signAutocorrLag1: corr,
      takerInterArrivalCv: gm > 0 ? gsd / gm : 0,
      sweepShare: this.takerSizes.length ? this.takerSweeps / this.takerSizes.length : 0,
      touchMoveShare: this.touchChecked ? this.touchMoved / this.touchChecked : 0,
      sigmaTicksPerSqrtS: { at100ms: sigma(1), at1s: sigma(10) },
      midChange100ms: { zeroShare: mids.length > 1 ? zeros / (mids.length - 1) : 1, absQuantilesTicks: quantiles(changes) },
      touchLotsQuantiles: quantiles(this.touchSizes),
      farBands: FAR_BANDS.map(([from, to], i) => ({
        fromTicks: from,
        toTicks: to,
        occupancy: this.farSamples ? this.farOccupied[i] / (2 * (to - from) * this.farSamples) : 0,
        meanNonEmptyLots: this.farOccupied[i] ? this.farSum[i] / this.farOccupied[i] : 0,
        updateShare: this.farUpdates[i] / updTotal,
      })),
      firstMidTicks: mids.length ? mids[0] : NaN,
      lastMidTicks: mids.length ? mids[mids.length - 1] : NaN,
      midSeriesTicks: mids,
    };
  }
}

/** Measures a whole in-memory or generated event stream. */
export function measureMarket(symbol: string, batches: Iterable<readonly MarketEvent[]>): MarketStats {
  const m = new MarketStatsMeter(symbol);
  for (const b of batches) m.onBatch(b);
  return m.result();
}
