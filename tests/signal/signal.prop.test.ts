// Invariants and "incremental = naive batch" for the signal engine. The batch references below
// recompute each signal from the whole event list with the definitions in docs/SIGNALS.md.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Trade } from '../../src/model/events.ts';
import {
  DepthImbalance,
  fitIntensity,
  depthsExceeded,
  intervalEnd,
  MicropriceEstimator,
  micropriceState,
  ofiContribution,
  SignalEngine,
  TransitionCounts,
  weightedMid,
} from '../../src/signal/index.ts';
import { NaiveBook } from './naive-book.ts';

type BookEv = { kind: 'book'; ts: number; bid: number; bq: number; ask: number; aq: number };
type TradeEv = { kind: 'trade'; ts: number; price: number; qty: number; buyerIsMaker: boolean };
type Ev = BookEv | TradeEv;

const stepArb = fc.record({
  dt: fc.oneof(fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 0, max: 40_000 })),
  isTrade: fc.boolean(),
  bidMove: fc.integer({ min: -2, max: 2 }),
  bq: fc.integer({ min: 1, max: 20 }),
  spread: fc.integer({ min: 1, max: 3 }),
  aq: fc.integer({ min: 1, max: 20 }),
  tradeOffset: fc.integer({ min: -4, max: 4 }),
  qty: fc.integer({ min: 1, max: 5 }),
  buyerIsMaker: fc.boolean(),
});

type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

function buildEvents(steps: Step[]): Ev[] {
  const out: Ev[] = [];
  let ts = 1_000_000_123;
  let bid = 1000;
  let ask = 1001;
  for (const s of steps) {
    ts += s.dt;
    if (s.isTrade) {
      const px = s.buyerIsMaker ? bid - s.tradeOffset : ask + s.tradeOffset;
      out.push({ kind: 'trade', ts, price: px, qty: s.qty, buyerIsMaker: s.buyerIsMaker });
    } else {
      bid += s.bidMove;
      ask = bid + s.spread;
      out.push({ kind: 'book', ts, bid, bq: s.bq, ask, aq: s.aq });
    }
  }
  return out;
}

const CFG = {
  tickSize: '1',
  sampleIntervalUs: 1_000,
  ofiIntervalUs: 5_000,
  volHalfLifeS: 0.01,
  volWarmupS: 0.003,
  tradeHalfLifeS: 0.005,
  tradeWarmupS: 0.002,
  intensityWindowS: 0.02,
  intensityWarmupS: 0.005,
  intensityMaxDepthTicks: 3,
  intensityMinPoints: 2,
};

function runEngine(events: Ev[]): SignalEngine {
  const e = new SignalEngine(CFG);
  const book = new NaiveBook();
  for (const ev of events) {
    if (ev.kind === 'book') e.onBook(ev.ts, book.setTop(ev.bid, ev.bq, ev.ask, ev.aq));
    else {
      const t: Trade = { type: 'trade', symbol: 'T', tsExchangeUs: ev.ts, tsReceiveUs: ev.ts, tsTransactUs: ev.ts, tradeId: 0, priceTicks: ev.price, qtyLots: ev.qty, buyerIsMaker: ev.buyerIsMaker };
      e.onTrade(t);
    }
  }
  return e;
}

/** Mid in force at time t (last book event at or before t), NaN if none. */
function midAt(events: Ev[], t: number): number {
  let mid = NaN;
  for (const ev of events) {
    if (ev.ts > t) break;
    if (ev.kind === 'book') mid = (ev.bid + ev.ask) / 2;
  }
  return mid;
}

/** Grid boundaries strictly before the last event. */
function boundaries(events: Ev[]): number[] {
  const I = CFG.sampleIntervalUs;
  const out: number[] = [];
  const last = events[events.length - 1].ts;
  for (let b = intervalEnd(events[0].ts, I); b < last; b += I) out.push(b);
  return out;
}

function naiveSigma(events: Ev[]): number {
  const intervalS = CFG.sampleIntervalUs / 1e6;
  const lambda = Math.pow(2, -intervalS / CFG.volHalfLifeS);
  const mids = boundaries(events).map((b) => midAt(events, b)).filter((m) => !Number.isNaN(m));
  const changes = mids.slice(1).map((m, i) => m - mids[i]);
  const n = changes.length;
  if (n < Math.ceil(CFG.volWarmupS / intervalS - 1e-9)) return NaN;
  let v = 0;
  let w = 0;
  changes.forEach((d, j) => {
    const weight = (1 - lambda) * Math.pow(lambda, n - 1 - j);
    v += weight * d * d;
    w += weight;
  });
  return Math.sqrt(v / w / intervalS);
}

function naiveTradeFlow(events: Ev[]): { imbalance: number; rate: number } {
  const tau = CFG.tradeHalfLifeS / Math.LN2;
  const t0 = events[0].ts;
  const tEnd = events[events.length - 1].ts;
  let buy = 0;
  let sell = 0;
  for (const ev of events) {
    if (ev.kind !== 'trade') continue;
    const k = Math.exp(-(tEnd - ev.ts) / 1e6 / tau);
    if (ev.buyerIsMaker) sell += ev.qty * k;
    else buy += ev.qty * k;
  }
  const elapsedS = (tEnd - t0) / 1e6;
  const ready = elapsedS > 0 && elapsedS >= CFG.tradeWarmupS;
  return {
    imbalance: ready && buy + sell > 0 ? (buy - sell) / (buy + sell) : NaN,
    rate: ready ? (buy + sell) / (tau * (1 - Math.exp(-elapsedS / tau))) : NaN,
  };
}

function naiveOfi(events: Ev[]): number {
  const books = events.filter((e): e is BookEv => e.kind === 'book');
  if (books.length === 0) return NaN;
  const I = CFG.ofiIntervalUs;
  const lastClosed = intervalEnd(events[events.length - 1].ts, I) - I;
  if (lastClosed < intervalEnd(books[0].ts, I) + I) return NaN;
  let sum = 0;
  for (let n = 1; n < books.length; n++) {
    const p = books[n - 1];
    const c = books[n];
    if (intervalEnd(c.ts, I) === lastClosed) sum += ofiContribution(p.bid, p.bq, p.ask, p.aq, c.bid, c.bq, c.ask, c.aq);
  }
  return sum;
}

function naiveIntensity(events: Ev[]): { a: number; k: number; r2: number } {
  const I = CFG.sampleIntervalUs;
  const depths = 2 * CFG.intensityMaxDepthTicks;
  const bs = boundaries(events);
  const exceeded: number[] = [];
  for (let j = 1; j < bs.length; j++) {
    const prevMid = midAt(events, bs[j - 1]);
    if (Number.isNaN(prevMid)) continue;
    let deepest = 0;
    for (const ev of events) {
      if (ev.kind !== 'trade' || ev.ts <= bs[j - 1] || ev.ts > bs[j]) continue;
      deepest = Math.max(deepest, depthsExceeded(ev.buyerIsMaker ? prevMid - ev.price : ev.price - prevMid, depths));
    }
    exceeded.push(deepest);
  }
  const capacity = Math.round(CFG.intensityWindowS / (I / 1e6));
  const windowed = exceeded.slice(-capacity);
  const counts = Array.from({ length: depths }, (_, i) => windowed.filter((x) => x > i).length);
  const warm = windowed.length >= Math.ceil(CFG.intensityWarmupS / (I / 1e6) - 1e-9);
  const fit = warm ? fitIntensity(counts, windowed.length * (I / 1e6), CFG.intensityMinPoints) : null;
  return fit ? fit : { a: NaN, k: NaN, r2: NaN };
}

function close(actual: number, expected: number): void {
  if (Number.isNaN(expected)) expect(actual).toBeNaN();
  else expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
}

const eventsArb = fc.array(stepArb, { minLength: 1, maxLength: 120 }).map(buildEvents);

describe('book-shape invariants', () => {
  const levelsArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 100 })), { maxLength: 12 });
  it('OBI ∈ [−1, 1] (or NaN without quantity), weighted mid ∈ [bid, ask]', () => {
    fc.assert(
      fc.property(levelsArb, levelsArb, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 5000 }), (bidOffsets, askOffsets, levels, bandBps) => {
        const bids = bidOffsets.map(([o, q]) => [1000 - o, q] as const);
        const asks = askOffsets.map(([o, q]) => [1001 + o, q] as const);
        const book = new NaiveBook('T', dedupe(bids), dedupe(asks));
        const d = new DepthImbalance();
        for (const v of [d.overLevels(book, levels), d.overBand(book, bandBps)]) {
          if (!Number.isNaN(v)) expect(Math.abs(v)).toBeLessThanOrEqual(1);
        }
        const b = book.bestBidTicks();
        const a = book.bestAskTicks();
        if (!Number.isNaN(b) && !Number.isNaN(a)) {
          const wm = weightedMid(b, book.bestBidLots(), a, book.bestAskLots());
          expect(wm).toBeGreaterThanOrEqual(b);
          expect(wm).toBeLessThanOrEqual(a);
        }
      }),
    );
  });
});

function dedupe(levels: (readonly [number, number])[]): [number, number][] {
  const m = new Map<number, number>();
  for (const [p, q] of levels) m.set(p, q);
  return [...m.entries()];
}

describe('SignalEngine invariants', () => {
  it('a value is finite exactly when its flag is ready; σ ≥ 0; bounded imbalances', () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const e = new SignalEngine(CFG);
        const book = new NaiveBook();
        for (const ev of events) {
          if (ev.kind === 'book') e.onBook(ev.ts, book.setTop(ev.bid, ev.bq, ev.ask, ev.aq));
          else e.onTrade({ type: 'trade', symbol: 'T', tsExchangeUs: ev.ts, tsReceiveUs: ev.ts, tsTransactUs: ev.ts, tradeId: 0, priceTicks: ev.price, qtyLots: ev.qty, buyerIsMaker: ev.buyerIsMaker });
          const s = e.signal;
          const pairs: [boolean, number][] = [
            [s.ready.weightedMid, s.weightedMid],
            [s.ready.microprice, s.microprice],
            [s.ready.obiL1, s.obiL1],
            [s.ready.obiLevels, s.obiLevels],
            [s.ready.obiBand, s.obiBand],
            [s.ready.ofi, s.ofi],
            [s.ready.sigma, s.sigmaTicksPerSqrtS],
            [s.ready.tradeImbalance, s.tradeImbalance],
            [s.ready.volumeRate, s.volumeRateLotsPerS],
            [s.ready.intensity, s.intensityK],
            [s.ready.intensity, s.intensityA],
          ];
          for (const [ready, value] of pairs) expect(ready).toBe(Number.isFinite(value));
          if (s.ready.sigma) expect(s.sigmaTicksPerSqrtS).toBeGreaterThanOrEqual(0);
          if (s.ready.tradeImbalance) expect(Math.abs(s.tradeImbalance)).toBeLessThanOrEqual(1 + 1e-12);
          if (s.ready.intensity) expect(s.intensityK).toBeGreaterThan(0);
          if (s.ready.weightedMid) {
            expect(s.weightedMid).toBeGreaterThanOrEqual(s.bidTicks);
            expect(s.weightedMid).toBeLessThanOrEqual(s.askTicks);
          }
          // Not ready before any warm-up could have elapsed.
          if (ev.ts - events[0].ts < CFG.volWarmupS * 1e6) expect(s.ready.sigma).toBe(false);
          if (ev.ts - events[0].ts < CFG.intensityWarmupS * 1e6) expect(s.ready.intensity).toBe(false);
          if (ev.ts - events[0].ts < CFG.ofiIntervalUs) expect(s.ready.ofi).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('incremental σ, trade flow, OFI and intensity equal a naive batch recomputation', () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const s = runEngine(events).signal;
        close(s.sigmaTicksPerSqrtS, naiveSigma(events));
        const flow = naiveTradeFlow(events);
        close(s.tradeImbalance, flow.imbalance);
        close(s.volumeRateLotsPerS, flow.rate);
        close(s.ofi, naiveOfi(events));
        const fit = naiveIntensity(events);
        close(s.intensityA, fit.a);
        close(s.intensityK, fit.k);
        close(s.intensityR2, fit.r2);
      }),
      { numRuns: 200 },
    );
  });

  it('the rolling micro-price counts equal counts rebuilt from the transitions in the window', () => {
    const obsArb = fc.array(
      fc.record({ dt: fc.integer({ min: 1, max: 30 }), mid2: fc.integer({ min: -3, max: 3 }), bq: fc.integer({ min: 0, max: 9 }), aq: fc.integer({ min: 0, max: 9 }), spread: fc.integer({ min: 1, max: 4 }) }),
      { maxLength: 200 },
    );
    fc.assert(
      fc.property(obsArb, (obs) => {
        const windowUs = 100;
        const est = new MicropriceEstimator(4, 3, windowUs, 1000, 1);
        const seen: { ts: number; mid: number; state: number }[] = [];
        let ts = 0;
        let mid = 500;
        for (const o of obs) {
          ts += o.dt;
          mid += o.mid2 / 2;
          const imb = o.bq + o.aq > 0 ? o.bq / (o.bq + o.aq) : NaN;
          est.observe(ts, mid, imb, o.spread);
          seen.push({ ts, mid, state: micropriceState(imb, o.spread, 4, 3) });
        }
        const batch = new TransitionCounts(4, 3);
        for (let i = 1; i < seen.length; i++) {
          const p = seen[i - 1];
          const c = seen[i];
          if (c.ts <= ts - windowUs || p.state < 0 || c.state < 0) continue;
          const move = c.mid - p.mid;
          if ((p.state !== c.state || move !== 0) && Math.abs(move) <= 1) batch.apply(p.state, c.state, move, 1);
        }
        expect(est.counts.transitions).toBe(batch.transitions);
        expect(Array.from(est.counts.exits)).toEqual(Array.from(batch.exits));
        expect(Array.from(est.counts.transient)).toEqual(Array.from(batch.transient));
        expect(Array.from(est.counts.absorbed)).toEqual(Array.from(batch.absorbed));
        expect(Array.from(est.counts.moveSum)).toEqual(Array.from(batch.moveSum));
      }),
      { numRuns: 200 },
    );
  });
});
