/**
 * A seeded synthetic Binance USDⓈ-M market calibrated to real BTCUSDT/ETHUSDT statistics
 * (calibration.ts): depth diffs with an unbroken `U`/`u`/`pu` chain, a REST-style snapshot first,
 * trades that take liquidity present on the book, bookTickers that show the book exactly as of
 * their update id, and mark price / index / funding once a second. Stress regimes (config.ts) add
 * volatility bursts, flash moves, feed gaps with a resync snapshot, and funding spikes.
 *
 * Model (each process runs in exchange time; every change is one "sub-update" with its own update id):
 * - Taker orders arrive in a two-phase renewal process (bursty, coefficient of variation as
 *   calibrated), signs follow a Markov chain (lag-1 autocorrelation as calibrated), sizes from the
 *   measured quantiles. A taker order walks the book from the touch and prints one trade per resting
 *   order it meets (print sizes from the measured print distribution, never more than the level).
 *   A spread it opens is closed again after a short delay, continuing or reverting the move.
 * - The mid moves by re-quote jumps (compound Poisson, jump sizes of the measured 100 ms mid-change
 *   shape scaled to `sigmaTicksPerSqrtS`): one side withdraws, the other re-quotes at the new
 *   price with the measured occupancy and level sizes.
 * - Limit-order churn near the touch (by the measured update-distance shares, keeping the measured
 *   occupancy), at the touch (orders joining/leaving the best level) and in the deep book (by band).
 * - Changes accumulate and are published as one depth diff per cadence tick (last write per level
 *   wins, as Binance's diff stream does), followed by a bookTicker at the diff's final `u`.
 *
 * Units: ticks, lots, µs. Invariants (tested): best bid < best ask at every update; a trade's
 * quantity was on the book at its price; every diff's `pu` is the previous diff's `u` except right
 * after a feed gap; receive time never decreases; match time ≤ exchange time (a trade is published
 * at its match time, T = E; a diff's and a bookTicker's T is the time of the last change they show,
 * ≤ the publication time E; a snapshot's T = E). Determinism: the output is a pure function of
 * the config (seed included). Order: exchange time, ties in emission order.
 *
 * The processes' parameters derived from the config: params.ts; the stress regimes: regimes.ts.
 */
import { Rng } from '../core/random.ts';
import { formatFixed } from '../model/decimal.ts';
import type { DepthDiff, DepthSnapshot, MarketEvent } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import type { SyntheticConfig } from './config.ts';
import { PROFILE_LEVELS } from './measure.ts';
import { marketParams, type Band, type MarketParams } from './params.ts';
import { Regimes } from './regimes.ts';

const WINDOW_TICKS = 1 << 17;
const MAX_SWEEP_LEVELS = 30;
/**
 * A taker order is split into prints by drawing resting order sizes from the print distribution
 * scaled by this factor; the last piece is the remainder, which makes prints smaller than the draws.
 * 2.5 makes prints per taker order and the print mean come out as measured (tuned on BTCUSDT).
 */
const PRINT_SPLIT_SCALE = 2.5;
/** Levels re-quoted with the near profile on the side a jump moves towards. */
const REQUOTE_LEVELS = PROFILE_LEVELS;
const OU_TAU_S = 60;

/** Yields the synthetic session in batches. The first event is the snapshot; the first diff bridges it. */
export function* generateSynthetic(cfg: SyntheticConfig, instrument: Instrument, batchSize = 4096): Generator<MarketEvent[]> {
  const m = new SyntheticMarket(cfg, instrument);
  while (!m.done) {
    const batch = m.nextBatch(batchSize);
    if (batch.length > 0) yield batch;
  }
}

class SyntheticMarket {
  done = false;
  private readonly rng: Rng;
  private readonly sym: string;
  private out: MarketEvent[] = [];
  // The book: one dense ladder (bids at or below `bid`, asks at or above `ask`, zeros between).
  private qty = new Float64Array(WINDOW_TICKS);
  private stampBid = new Int32Array(WINDOW_TICKS);
  private stampAsk = new Int32Array(WINDOW_TICKS);
  private origin: number;
  private bid: number;
  private ask: number;
  private changedBids: number[] = [];
  private changedAsks: number[] = [];
  private seq = 1;
  // Ids and time.
  private nextId = 1_000_000;
  private windowFirstId = -1;
  private lastU: number;
  private lastTopId = -1;
  private lastChangeUs = 0;
  private tradeId = 5_000_000;
  private t: number;
  private lastRecvUs = 0;
  private readonly endUs: number;
  // Samplers and derived parameters.
  private readonly p: MarketParams;
  // Process clocks.
  private tPublish: number;
  private tTaker: number;
  private tJump: number;
  private tNear: number;
  private tTouch: number;
  private tFar: number;
  private tRefill = Infinity;
  private tMark: number;
  private tFlash = Infinity;
  private lastSign = 1;
  private refillBuy = true;
  private markBasis = 0;
  private indexBasis = 0;
  // Stress regimes.
  private readonly regimes: Regimes;
  private afterGapDiffs = -1;
  private resyncSnapshot: DepthSnapshot | null = null;

  constructor(private readonly cfg: SyntheticConfig, private readonly inst: Instrument) {
    this.rng = new Rng(cfg.seed);
    this.sym = cfg.symbol;
    this.t = cfg.startUs;
    this.endUs = cfg.startUs + Math.round(cfg.durationS * 1e6);
    this.p = marketParams(cfg);
    this.regimes = new Regimes(cfg);
    this.tFlash = this.regimes.firstFlashUs();
    // The initial book, published as the snapshot; the first diff continues from its id.
    this.bid = cfg.startMidTicks;
    this.ask = cfg.startMidTicks + 1;
    this.origin = this.bid - WINDOW_TICKS / 2;
    for (let k = 0; k <= cfg.bookDepthTicks; k++) {
      this.qty[this.bid - k - this.origin] = this.freshSize(k);
      this.qty[this.ask + k - this.origin] = this.freshSize(k);
    }
    const snap = this.snapshot(cfg.startUs, this.nextId);
    this.lastU = this.nextId;
    this.push(snap);
    const first = cfg.startUs;
    this.tPublish = first + this.publishIntervalUs();
    this.tTaker = first + this.takerGapUs();
    this.tJump = first + this.expUs(cfg.jumpsPerS);
    this.tNear = first + this.expUs(cfg.nearUpdatesPerS);
    this.tTouch = first + this.expUs(cfg.touchUpdatesPerS);
    this.tFar = first + this.expUs(cfg.farUpdatesPerS);
    this.tMark = first + cfg.markIntervalUs;
  }

  nextBatch(size: number): MarketEvent[] {
    while (this.out.length < size) {
      const t = Math.min(this.tPublish, this.tTaker, this.tJump, this.tNear, this.tTouch, this.tFar, this.tRefill, this.tMark, this.tFlash);
      if (t >= this.endUs) {
        this.done = true;
        break;
      }
      this.t = t;
      if (t === this.tPublish) {
        this.publish();
        this.tPublish = t + this.publishIntervalUs();
      } else if (t === this.tMark) {
        this.mark();
        this.tMark = t + this.cfg.markIntervalUs;
      } else if (t === this.tFlash) {
        this.flashStep();
      } else if (t === this.tRefill) {
        this.tRefill = Infinity;
        this.refill();
      } else if (t === this.tTaker) {
        this.taker();
        this.tTaker = t + this.takerGapUs();
      } else if (t === this.tJump) {
        const buyFlow = this.rng.next() < this.cfg.jumpFollowsFlowShare ? this.lastSign > 0 : this.rng.next() < 0.5;
        this.jump(buyFlow ? 1 : -1, Math.max(1, Math.round(this.p.jumpSize.at(this.rng.next()) * this.p.jumpScale * this.regimes.burstMult(this.t))));
        this.tJump = t + this.expUs(this.cfg.jumpsPerS);
      } else if (t === this.tNear) {
        this.nearUpdate();
        this.tNear = t + this.expUs(this.cfg.nearUpdatesPerS);
      } else if (t === this.tTouch) {
        this.touchUpdate();
        this.tTouch = t + this.expUs(this.cfg.touchUpdatesPerS);
      } else {
        this.farUpdate();
        this.tFar = t + this.expUs(this.cfg.farUpdatesPerS);
      }
    }
    const batch = this.out;
    this.out = [];
    return batch;
  }

  // ---- time and sizes -----------------------------------------------------------------------------

  private expUs(ratePerS: number): number {
    return ratePerS > 0 ? Math.max(1, Math.round(this.rng.exponential(1e6 / ratePerS))) : Infinity;
  }

  private publishIntervalUs(): number {
    return Math.max(1, Math.round((1e6 / this.cfg.depthDiffsPerS) * (0.8 + 0.4 * this.rng.next())));
  }

  private takerGapUs(): number {
    const mean = this.rng.next() < 0.5 ? this.p.burstShortMeanUs : this.p.burstLongMeanUs;
    if (!Number.isFinite(mean)) return Infinity;
    const flow = this.regimes.burstMult(this.t) > 1 ? 2 : this.regimes.inFlashSweep(this.t) ? 4 : 1;
    return Math.max(1, Math.round(this.rng.exponential(mean / flow)));
  }

  private lots(x: number): number {
    return Math.max(1, Math.round(x * this.regimes.depthMult(this.t)));
  }

  /** A fresh level size at distance k from the own touch (0 = empty, by the measured occupancy). */
  private freshSize(k: number): number {
    const u = this.rng.next();
    if (k === 0) return this.lots(this.p.touchSize.at(u));
    if (k < PROFILE_LEVELS) return u < this.p.nearOcc[k] ? this.lots(this.p.nearMean[k] * this.p.shape.at(this.rng.next())) : 0;
    const b = this.bandOf(k);
    return b && u < b.occupancy ? this.lots(b.meanLots * this.p.shape.at(this.rng.next())) : 0;
  }

  private bandOf(k: number): Band | undefined {
    for (const b of this.p.bands) if (k < b.to) return b;
    return undefined;
  }

  // ---- the book -----------------------------------------------------------------------------------

  /** Sets one level and records the change for the next diff. */
  private setLevel(isBid: boolean, price: number, lots: number): void {
    const i = price - this.origin;
    this.qty[i] = lots;
    if (isBid) {
      if (this.stampBid[i] !== this.seq) { this.stampBid[i] = this.seq; this.changedBids.push(price); }
    } else if (this.stampAsk[i] !== this.seq) { this.stampAsk[i] = this.seq; this.changedAsks.push(price); }
  }

  private q(price: number): number {
    return this.qty[price - this.origin];
  }

  /** Closes a sub-update: takes an id and sends a bookTicker when the top of book changed. */
  private commit(topBefore: number): void {
    const id = ++this.nextId;
    if (this.windowFirstId < 0) this.windowFirstId = id;
    this.lastChangeUs = this.t;
    if (topBefore !== this.topKey()) this.bookTicker(id);
  }

  private topKey(): number {
    // A cheap fingerprint of the top of book (exact for the comparison it serves: any change moves it).
    return this.bid * 7_919 + this.q(this.bid) * 3 + this.ask * 104_729 + this.q(this.ask) * 5;
  }

  private bookTicker(id: number): void {
    this.lastTopId = id;
    // T is the time of the last change it shows (≤ E: the one after a diff is published later).
    this.push({ type: 'bookTicker', symbol: this.sym, tsExchangeUs: this.t, tsReceiveUs: 0, tsTransactUs: this.lastChangeUs, updateId: id, bidTicks: this.bid, bidLots: this.q(this.bid), askTicks: this.ask, askLots: this.q(this.ask) });
  }

  private publish(): void {
    if (this.windowFirstId < 0) return;
    // Binance lists levels by price; a typed-array sort is numeric and much faster than a comparator.
    const bidTicks = new Float64Array(this.changedBids).sort();
    const askTicks = new Float64Array(this.changedAsks).sort();
    const d: DepthDiff = {
      type: 'depth', symbol: this.sym, tsExchangeUs: this.t, tsReceiveUs: 0, tsTransactUs: this.lastChangeUs,
      firstUpdateId: this.windowFirstId, finalUpdateId: this.nextId, prevFinalUpdateId: this.lastU,
      bidTicks: new Array<number>(bidTicks.length), bidLots: new Array<number>(bidTicks.length),
      askTicks: new Array<number>(askTicks.length), askLots: new Array<number>(askTicks.length),
    };
    for (let i = 0; i < bidTicks.length; i++) { const p = bidTicks[i]; d.bidTicks[i] = p; d.bidLots[i] = p <= this.bid ? this.q(p) : 0; }
    for (let i = 0; i < askTicks.length; i++) { const p = askTicks[i]; d.askTicks[i] = p; d.askLots[i] = p >= this.ask ? this.q(p) : 0; }
    this.lastU = this.nextId;
    this.windowFirstId = -1;
    this.changedBids.length = 0;
    this.changedAsks.length = 0;
    this.seq++;
    this.push(d);
    if (this.lastTopId !== this.lastU) this.bookTicker(this.lastU);
    if (this.afterGapDiffs >= 0 && !this.regimes.suppressed(this.t)) {
      // After a reconnect the REST snapshot lands a few diffs into the stream: taken as of the
      // second diff, delivered after the third, so the third continues its lastUpdateId.
      this.afterGapDiffs++;
      if (this.afterGapDiffs === 2) this.resyncSnapshot = this.snapshot(this.t, this.lastU);
      else if (this.afterGapDiffs === 3 && this.resyncSnapshot) {
        this.push(this.resyncSnapshot);
        this.resyncSnapshot = null;
        this.afterGapDiffs = -1;
      }
    }
    this.recenterIfNeeded();
  }

  private snapshot(tUs: number, lastUpdateId: number): DepthSnapshot {
    const bidTicks: number[] = [];
    const bidLots: number[] = [];
    const askTicks: number[] = [];
    const askLots: number[] = [];
    const depth = this.cfg.bookDepthTicks;
    for (let p = this.bid; p >= this.bid - depth; p--) if (this.q(p) > 0) { bidTicks.push(p); bidLots.push(this.q(p)); }
    for (let p = this.ask; p <= this.ask + depth; p++) if (this.q(p) > 0) { askTicks.push(p); askLots.push(this.q(p)); }
    return { type: 'snapshot', symbol: this.sym, tsExchangeUs: tUs, tsReceiveUs: 0, tsTransactUs: tUs, lastUpdateId, bidTicks, bidLots, askTicks, askLots };
  }

  /** Keeps the ladder centred on the book with room for `extraTicks` of movement (contents and change stamps move along). */
  private recenterIfNeeded(extraTicks = 0): void {
    const margin = this.cfg.bookDepthTicks + extraTicks + (WINDOW_TICKS >> 3);
    if (this.bid - this.origin > margin && this.origin + WINDOW_TICKS - this.ask > margin) return;
    const newOrigin = Math.round((this.bid + this.ask) / 2) - WINDOW_TICKS / 2;
    const shift = newOrigin - this.origin;
    const qty = new Float64Array(WINDOW_TICKS);
    const sb = new Int32Array(WINDOW_TICKS);
    const sa = new Int32Array(WINDOW_TICKS);
    for (let i = 0; i < WINDOW_TICKS; i++) {
      const j = i + shift;
      if (j >= 0 && j < WINDOW_TICKS) { qty[i] = this.qty[j]; sb[i] = this.stampBid[j]; sa[i] = this.stampAsk[j]; }
    }
    this.qty = qty;
    this.stampBid = sb;
    this.stampAsk = sa;
    this.origin = newOrigin;
  }

  private push(e: MarketEvent): void {
    if (this.regimes.hasGaps) {
      if (this.regimes.suppressed(this.t)) {
        this.afterGapDiffs = 0;
        return;
      }
    }
    const recv = e.tsExchangeUs + this.cfg.feedLatencyUs + (this.cfg.feedJitterUs > 0 ? Math.floor(this.rng.exponential(this.cfg.feedJitterUs)) : 0);
    this.lastRecvUs = Math.max(this.lastRecvUs, recv);
    // The event is still being built here: its receive time is the last field set.
    (e as { tsReceiveUs: number }).tsReceiveUs = this.lastRecvUs;
    this.out.push(e);
  }

  // ---- processes ----------------------------------------------------------------------------------

  private taker(forcedBuy?: boolean): void {
    let buy: boolean;
    const flash = this.regimes.inFlashSweep(this.t);
    if (forcedBuy !== undefined) buy = forcedBuy;
    else if (flash && this.rng.next() < 0.9) buy = flash.pct > 0;
    else buy = this.rng.next() < this.p.pSameSign ? this.lastSign > 0 : this.lastSign < 0;
    this.lastSign = buy ? 1 : -1;
    const top = this.topKey();
    let remaining = Math.max(1, Math.round(this.p.takerSize.at(this.rng.next())));
    let levels = 0;
    while (remaining > 0 && levels < MAX_SWEEP_LEVELS) {
      const price = buy ? this.ask : this.bid;
      const avail = this.q(price);
      // Never take the last level of a side: the book keeps both sides.
      const fill = Math.min(remaining, this.hasNextLevel(!buy) ? avail : avail - 1);
      if (fill <= 0) break;
      // One print per resting order met: sizes from the measured print distribution.
      for (let left = fill; left > 0; ) {
        const p = Math.min(left, Math.max(1, Math.round(PRINT_SPLIT_SCALE * this.p.printSize.at(this.rng.next()))));
        this.push({ type: 'trade', symbol: this.sym, tsExchangeUs: this.t, tsReceiveUs: 0, tsTransactUs: this.t, tradeId: ++this.tradeId, priceTicks: price, qtyLots: p, buyerIsMaker: !buy });
        left -= p;
      }
      remaining -= fill;
      levels++;
      if (fill < avail) {
        this.setLevel(!buy, price, avail - fill);
        break;
      }
      if (!this.removeTouch(!buy)) break;
    }
    // Adverse selection: after being hit, the makers left at the touch may pull their quotes.
    if (levels > 0 && this.rng.next() < this.cfg.takerImpactShare && this.hasNextLevel(!buy)) this.removeTouch(!buy);
    if (this.ask - this.bid > 1 && this.tRefill === Infinity) {
      this.refillBuy = buy;
      this.tRefill = this.t + Math.max(1, Math.round(this.rng.exponential(this.cfg.refillMeanUs)));
    }
    this.commit(top);
  }

  private hasNextLevel(isBid: boolean): boolean {
    const from = isBid ? this.bid : this.ask;
    const dir = isBid ? -1 : 1;
    for (let k = 1; k <= this.cfg.bookDepthTicks; k++) if (this.q(from + dir * k) > 0) return true;
    return false;
  }

  /** Empties the touch of one side and moves it to the next level; false (nothing removed) if it is the last level. */
  private removeTouch(isBid: boolean): boolean {
    const depth = this.cfg.bookDepthTicks;
    const from = isBid ? this.bid : this.ask;
    const dir = isBid ? -1 : 1;
    for (let k = 1; k <= depth; k++) {
      const p = from + dir * k;
      if (this.q(p) > 0) {
        this.setLevel(isBid, from, 0);
        if (isBid) this.bid = p;
        else this.ask = p;
        return true;
      }
    }
    return false;
  }

  private refill(): void {
    if (this.ask - this.bid <= 1) return;
    const top = this.topKey();
    const follow = this.rng.next() < this.cfg.refillFollowShare;
    // A buy sweep: following means bids step up under the new ask; reverting means asks come back down.
    const bidSide = this.refillBuy === follow;
    const price = bidSide ? this.ask - 1 : this.bid + 1;
    // The old best level falls behind the new one; most of its makers re-price with it.
    const old = bidSide ? this.bid : this.ask;
    const k = Math.abs(price - old);
    if (k < PROFILE_LEVELS) this.setLevel(bidSide, old, this.freshSize(k));
    this.setLevel(bidSide, price, this.newTouchLots());
    if (bidSide) this.bid = price;
    else this.ask = price;
    this.commit(top);
  }

  /** A level that just became the best price: it starts like a level behind the touch and grows by touch updates. */
  private newTouchLots(): number {
    return this.lots(this.p.nearMean[1] * this.p.shape.at(this.rng.next()));
  }

  /** Makers re-quote the levels behind a new touch with the near profile (the deep book moved into view). */
  private requote(isBid: boolean, touch: number): void {
    const dir = isBid ? -1 : 1;
    for (let k = 1; k < REQUOTE_LEVELS; k++) {
      const p = touch + dir * k;
      const s = this.freshSize(k);
      if (s !== this.q(p)) this.setLevel(isBid, p, s);
    }
  }

  /** Moves the whole near book by `size` ticks in direction `dir` (+1 up). */
  private jump(dir: 1 | -1, size: number): void {
    const top = this.topKey();
    const j = Math.min(size, WINDOW_TICKS >> 4);
    this.recenterIfNeeded(j);
    const depth = this.cfg.bookDepthTicks;
    const up = dir > 0;
    // The side in the way withdraws up to the new price; its touch is re-quoted there.
    const oldBid = this.bid;
    const oldAsk = this.ask;
    const newAsk = up ? oldAsk + j : oldAsk - j;
    const newBid = newAsk - 1;
    if (up) {
      for (let p = oldAsk; p < newAsk; p++) if (this.q(p) > 0) this.setLevel(false, p, 0);
      if (this.q(newAsk) === 0) this.setLevel(false, newAsk, this.newTouchLots());
      this.ask = newAsk;
      this.requote(false, newAsk);
      // The makers of the old touch move up with the price: its level is re-drawn as well.
      for (let p = newBid; p >= oldBid; p--) { const s = p === newBid ? this.newTouchLots() : this.freshSize(newBid - p); if (s > 0 || this.q(p) > 0) this.setLevel(true, p, s); }
      this.bid = newBid;
      for (let p = oldBid - depth; p < newBid - depth; p++) if (this.q(p) > 0) this.setLevel(true, p, 0);
      for (let p = oldAsk + depth + 1; p <= newAsk + depth; p++) { const s = this.freshSize(p - newAsk); if (s > 0) this.setLevel(false, p, s); }
    } else {
      const nb = oldBid - j;
      for (let p = oldBid; p > nb; p--) if (this.q(p) > 0) this.setLevel(true, p, 0);
      if (this.q(nb) === 0) this.setLevel(true, nb, this.newTouchLots());
      this.bid = nb;
      this.requote(true, nb);
      const na = nb + 1;
      for (let p = na; p <= oldAsk; p++) { const s = p === na ? this.newTouchLots() : this.freshSize(p - na); if (s > 0 || this.q(p) > 0) this.setLevel(false, p, s); }
      this.ask = na;
      for (let p = oldAsk + depth; p > na + depth; p--) if (this.q(p) > 0) this.setLevel(false, p, 0);
      for (let p = oldBid - depth - 1; p >= nb - depth; p--) { const s = this.freshSize(nb - p); if (s > 0) this.setLevel(true, p, s); }
    }
    this.commit(top);
  }

  private nearUpdate(): void {
    const u = this.rng.next();
    let bucket = 0;
    while (bucket < this.p.nearCum.length - 1 && u > this.p.nearCum[bucket]) bucket++;
    const isBid = this.rng.next() < 0.5;
    const top = this.topKey();
    if (bucket === 0) {
      // A new best price inside the spread (when there is room).
      if (this.ask - this.bid <= 1) return;
      const p = this.bid + 1 + this.rng.int(this.ask - this.bid - 1);
      this.setLevel(isBid, p, this.lots(this.p.nearMean[1] * this.p.shape.at(this.rng.next())));
      if (isBid) this.bid = p;
      else this.ask = p;
    } else {
      const k = bucket - 1;
      const p = isBid ? this.bid - k : this.ask + k;
      if (!this.churn(isBid, p, this.p.nearOcc[k], this.p.nearMean[k])) return;
    }
    this.commit(top);
  }

  /**
   * Adds, resizes or cancels one level away from the touch so that its occupancy stays `occ`:
   * an occupied level is cancelled with probability d, an empty one filled with probability a,
   * with occ = a / (a + d). Returns false when nothing changed.
   */
  private churn(isBid: boolean, price: number, occ: number, meanLots: number): boolean {
    const cancel = occ >= 0.5 ? (1 - occ) / occ : 1;
    const add = occ >= 0.5 ? 1 : occ / (1 - occ);
    if (this.q(price) > 0) {
      this.setLevel(isBid, price, this.rng.next() < cancel ? 0 : this.lots(meanLots * this.p.shape.at(this.rng.next())));
      return true;
    }
    if (this.rng.next() >= add) return false;
    this.setLevel(isBid, price, this.lots(meanLots * this.p.shape.at(this.rng.next())));
    return true;
  }

  /** An order joins or leaves the best level (rarely: the level is re-sized from scratch). */
  private touchUpdate(): void {
    const isBid = this.rng.next() < 0.5;
    const p = isBid ? this.bid : this.ask;
    const cur = this.q(p);
    const top = this.topKey();
    let next: number;
    if (this.rng.next() < 0.1) next = this.lots(this.p.touchSize.at(this.rng.next()));
    else {
      const order = Math.max(1, Math.round(this.p.printSize.at(this.rng.next())));
      next = cur < this.p.touchMedian ? cur + order : Math.max(1, cur - order);
    }
    this.setLevel(isBid, p, next);
    this.commit(top);
  }

  private farUpdate(): void {
    if (this.p.bands.length === 0) return;
    const u = this.rng.next();
    let b = this.p.bands[0];
    for (const x of this.p.bands) if (u <= x.cumShare) { b = x; break; }
    const k = b.from + this.rng.int(Math.max(1, b.to - b.from));
    const isBid = this.rng.next() < 0.5;
    const top = this.topKey();
    if (this.churn(isBid, isBid ? this.bid - k : this.ask + k, b.occupancy, b.meanLots)) this.commit(top);
  }

  private flashStep(): void {
    const f = this.regimes.flashAt(this.t);
    if (f) {
      const mid = (this.bid + this.ask) / 2;
      const target = this.regimes.flashTarget(f, this.t, mid);
      const j = Math.round(target - mid);
      if (j !== 0) {
        // During the sweep the move is led by aggressive orders taking the touch.
        if (this.t < f.sweepEnd) this.taker(j > 0);
        this.jump(j > 0 ? 1 : -1, Math.abs(j));
      }
    }
    this.tFlash = this.regimes.nextFlashUs(this.t);
  }

  private mark(): void {
    const dtS = this.cfg.markIntervalUs / 1e6;
    const decay = Math.exp(-dtS / OU_TAU_S);
    const kick = Math.sqrt(1 - decay * decay);
    this.markBasis = this.markBasis * decay + this.cfg.markBasisBps * kick * this.rng.normal();
    this.indexBasis = this.indexBasis * decay + this.cfg.indexBasisBps * kick * this.rng.normal();
    const mid = (this.bid + this.ask) / 2;
    const decimals = this.inst.priceDecimals + 2;
    const fmt = (ticks: number) => formatFixed(Math.round(ticks * this.inst.tickUnits * 100), decimals);
    const rate = this.regimes.fundingRate(this.t);
    this.push({
      type: 'markPrice', symbol: this.sym, tsExchangeUs: this.t, tsReceiveUs: 0,
      markPrice: fmt(mid * (1 + this.markBasis / 1e4)), indexPrice: fmt(mid * (1 + this.indexBasis / 1e4)),
      fundingRate: rate, nextFundingTimeUs: this.regimes.nextFundingUs(this.t),
    });
  }
}

