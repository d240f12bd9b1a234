/**
 * A seeded synthetic Binance USDⓈ-M market: an L2 book whose mid follows a random walk, with
 * depth diffs that carry a consistent `U`/`u`/`pu` chain, a REST-style snapshot, trades that take
 * liquidity at the touch, bookTickers that show the book exactly as of their `u`, and mark price /
 * funding updates. It is the embedded default that needs no data and no network.
 *
 * Units: prices in ticks, quantities in lots, time in µs. Determinism: the output is a pure function
 * of the config (including `seed`); events are emitted in receive-time order, ties in emission order.
 * Receive time = exchange time + a fixed feed latency + seeded jitter (never decreasing).
 */
import { Rng } from '../core/random.ts';
import type { BookTicker, DepthDiff, DepthSnapshot, MarkPrice, MarketEvent, Trade } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import { formatFixed } from '../model/decimal.ts';

export interface SyntheticConfig {
  symbol: string;
  seed: number | string;
  /** Start of the session, µs since the epoch. */
  startUs: number;
  durationS: number;
  /** Mid price at the start, in ticks. */
  startMidTicks: number;
  /** Levels kept on each side of the book. */
  levelsPerSide: number;
  /** Mean quantity of a level, lots. */
  meanLevelLots: number;
  /** Depth diff events per second (Poisson). */
  depthEventsPerS: number;
  /** Trades per second (Poisson). */
  tradesPerS: number;
  /** Mean trade size, lots (geometric). */
  meanTradeLots: number;
  /** Volatility of the mid, ticks per √second. */
  sigmaTicksPerSqrtS: number;
  /** Feed latency added to exchange time to make receive time, µs. */
  feedLatencyUs: number;
  /** Funding rate per 8 h interval, as a decimal string. */
  fundingRate: string;
}

export const DEFAULT_SYNTHETIC: SyntheticConfig = {
  symbol: 'BTCUSDT',
  seed: 1,
  startUs: Date.UTC(2024, 0, 1) * 1000,
  durationS: 60,
  startMidTicks: 425_000,
  levelsPerSide: 200,
  meanLevelLots: 800,
  depthEventsPerS: 20,
  tradesPerS: 60,
  meanTradeLots: 25,
  sigmaTicksPerSqrtS: 6,
  feedLatencyUs: 2_000,
  fundingRate: '0.0001',
};

/** The generator's mutable book: price → lots per side. */
class SynthBook {
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();
  bestBid(): number {
    let b = -Infinity;
    for (const p of this.bids.keys()) if (p > b) b = p;
    return b;
  }
  bestAsk(): number {
    let a = Infinity;
    for (const p of this.asks.keys()) if (p < a) a = p;
    return a;
  }
}

/**
 * Yields the synthetic session in batches. The first event is the snapshot; the first diff bridges it.
 */
export function* generateSynthetic(cfg: SyntheticConfig, instrument: Instrument, batchSize = 4096): Generator<MarketEvent[]> {
  const rng = new Rng(cfg.seed);
  const book = new SynthBook();
  const sym = cfg.symbol;
  let mid = cfg.startMidTicks;
  let updateId = 1_000_000;
  let tradeId = 5_000_000;
  let recvUs = cfg.startUs + cfg.feedLatencyUs;
  const endUs = cfg.startUs + Math.round(cfg.durationS * 1e6);
  const levelQty = () => 1 + Math.floor(rng.exponential(cfg.meanLevelLots));

  for (let i = 1; i <= cfg.levelsPerSide; i++) {
    book.bids.set(mid - i, levelQty());
    book.asks.set(mid + i, levelQty());
  }
  const sorted = (m: Map<number, number>, desc: boolean) => [...m.entries()].sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0]));
  const receive = (exUs: number) => {
    const r = exUs + cfg.feedLatencyUs + Math.floor(rng.exponential(300));
    recvUs = Math.max(recvUs, r);
    return recvUs;
  };

  let batch: MarketEvent[] = [];
  const push = (e: MarketEvent) => {
    batch.push(e);
  };

  const snapBids = sorted(book.bids, true);
  const snapAsks = sorted(book.asks, false);
  const snapshot: DepthSnapshot = {
    type: 'snapshot', symbol: sym, tsExchangeUs: cfg.startUs, tsReceiveUs: receive(cfg.startUs), tsTransactUs: cfg.startUs,
    lastUpdateId: updateId,
    bidTicks: snapBids.map((l) => l[0]), bidLots: snapBids.map((l) => l[1]),
    askTicks: snapAsks.map((l) => l[0]), askLots: snapAsks.map((l) => l[1]),
  };
  push(snapshot);
  let prevFinal = updateId;

  const emitDiff = (tUs: number, changes: Map<string, number>) => {
    const first = updateId + 1;
    updateId += changes.size + rng.int(3);
    const d: DepthDiff = {
      type: 'depth', symbol: sym, tsExchangeUs: tUs, tsReceiveUs: receive(tUs), tsTransactUs: tUs,
      firstUpdateId: first, finalUpdateId: updateId, prevFinalUpdateId: prevFinal,
      bidTicks: [], bidLots: [], askTicks: [], askLots: [],
    };
    for (const [k, q] of [...changes.entries()].sort()) {
      const [side, p] = [k[0], Number(k.slice(1))];
      if (side === 'b') { d.bidTicks.push(p); d.bidLots.push(q); } else { d.askTicks.push(p); d.askLots.push(q); }
    }
    prevFinal = updateId;
    push(d);
    const bb = book.bestBid();
    const ba = book.bestAsk();
    const bt: BookTicker = {
      type: 'bookTicker', symbol: sym, tsExchangeUs: tUs, tsReceiveUs: receive(tUs), updateId,
      bidTicks: bb, bidLots: book.bids.get(bb) ?? 0, askTicks: ba, askLots: book.asks.get(ba) ?? 0,
    };
    push(bt);
  };

  const setLevel = (changes: Map<string, number>, side: 'b' | 'a', p: number, q: number) => {
    const m = side === 'b' ? book.bids : book.asks;
    if (q === 0) m.delete(p);
    else m.set(p, q);
    changes.set(`${side}${p}`, q);
  };

  // Keep the book shaped around the mid: levels inside (mid - N, mid + N), touch never crossed.
  const reshape = (changes: Map<string, number>) => {
    for (const p of [...book.bids.keys()]) if (p >= mid || p < mid - cfg.levelsPerSide) setLevel(changes, 'b', p, 0);
    for (const p of [...book.asks.keys()]) if (p <= mid || p > mid + cfg.levelsPerSide) setLevel(changes, 'a', p, 0);
    for (let i = 1; i <= cfg.levelsPerSide; i++) {
      if (!book.bids.has(mid - i) && rng.next() < 0.9) setLevel(changes, 'b', mid - i, levelQty());
      if (!book.asks.has(mid + i) && rng.next() < 0.9) setLevel(changes, 'a', mid + i, levelQty());
    }
    if (!book.bids.has(mid - 1)) setLevel(changes, 'b', mid - 1, levelQty());
    if (!book.asks.has(mid + 1)) setLevel(changes, 'a', mid + 1, levelQty());
  };

  let tUs = cfg.startUs;
  let nextMarkUs = cfg.startUs + 1_000_000;
  const totalRate = cfg.depthEventsPerS + cfg.tradesPerS;
  const fundingIntervalUs = 8 * 3_600_000_000;
  for (;;) {
    tUs += Math.max(1, Math.round(rng.exponential(1e6 / totalRate)));
    if (tUs >= endUs) break;
    while (nextMarkUs <= tUs) {
      const markTicks = mid + (rng.next() - 0.5);
      const mark: MarkPrice = {
        type: 'markPrice', symbol: sym, tsExchangeUs: nextMarkUs, tsReceiveUs: receive(nextMarkUs),
        markPrice: formatFixed(Math.round(markTicks * instrument.tickUnits * 100), instrument.priceDecimals + 2),
        indexPrice: formatFixed(Math.round((markTicks + rng.normal() * 0.5) * instrument.tickUnits * 100), instrument.priceDecimals + 2),
        fundingRate: cfg.fundingRate,
        nextFundingTimeUs: (Math.floor(nextMarkUs / fundingIntervalUs) + 1) * fundingIntervalUs,
      };
      push(mark);
      nextMarkUs += 1_000_000;
    }
    const changes = new Map<string, number>();
    if (rng.next() * totalRate < cfg.tradesPerS) {
      // A market order takes liquidity at the touch; the book change is published as a diff.
      const buy = rng.next() < 0.5;
      const touch = buy ? book.bestAsk() : book.bestBid();
      const side = buy ? book.asks : book.bids;
      const avail = side.get(touch) ?? 0;
      const qty = Math.min(avail, 1 + Math.floor(rng.exponential(cfg.meanTradeLots)));
      if (qty > 0) {
        const tr: Trade = {
          type: 'trade', symbol: sym, tsExchangeUs: tUs, tsReceiveUs: receive(tUs), tradeId: ++tradeId,
          priceTicks: touch, qtyLots: qty, buyerIsMaker: !buy,
        };
        push(tr);
        setLevel(changes, buy ? 'a' : 'b', touch, avail - qty);
        if (avail - qty === 0) mid += buy ? 1 : -1;
      }
    } else {
      // Liquidity churn and a diffusive mid move.
      const dtS = 1 / cfg.depthEventsPerS;
      const move = Math.round(rng.normal() * cfg.sigmaTicksPerSqrtS * Math.sqrt(dtS));
      mid += move;
      const n = 1 + rng.int(6);
      for (let i = 0; i < n; i++) {
        const bid = rng.next() < 0.5;
        const dist = 1 + Math.floor(rng.exponential(cfg.levelsPerSide / 8));
        if (dist > cfg.levelsPerSide) continue;
        setLevel(changes, bid ? 'b' : 'a', bid ? mid - dist : mid + dist, rng.next() < 0.15 ? 0 : levelQty());
      }
    }
    reshape(changes);
    if (changes.size > 0) emitDiff(tUs, changes);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
