/**
 * The model world of the papers (Avellaneda–Stoikov 2008 §3.3, Guéant–Lehalle–Fernandez-Tapia
 * 2013): no book, no queue, no latency. Per path and per step of `dtS` seconds:
 *
 *  1. the strategy decides from (mid s, inventory q, time t): it is the product's own strategy
 *     (src/strategy), given a one-tick book around s (bid s − 1, ask s + 1 ticks, so its mid is s)
 *     and the world's true σ, A and k as ready signal readings;
 *  2. its level-0 ask is lifted with probability min(1, A·e^(−k·δa)·dt), δa = ask − s, and,
 *     independently, its level-0 bid is hit with probability min(1, A·e^(−k·δb)·dt), δb = s − bid,
 *     one quote size each (δ < 0, a quote through the mid, makes the probability exceed A·dt: the
 *     exponential is used as is, capped at 1);
 *  3. the mid moves up or down by σ·√dt (rounded to whole ticks) with probability ½ each.
 *
 * With `fillAfterMove`, step 3 comes before step 2: δ is measured from the mid after its move (the
 * quotes stay where they were decided), so a quote the mid moved towards fills more often; the
 * paper's §3.3 tables match this order better (docs/MODEL_MARKETS.md).
 *
 * After the last step (t = T), profit = cash + q·S_T. A side without a quote (e.g. GLFT at its
 * inventory bound) is not filled.
 *
 * Units: prices are integer ticks of `tickSize` (fine enough to make rounding negligible: quotes
 * round outwards by < 1 tick, the mid step by < ½ tick; the grid states the effective σ); time is integer µs
 * from 0 (every path is one session [0, T), so an AS countdown horizon of T sees T − t); inventory
 * and quote sizes are lots (the world's instrument has a step of 1). Cash and profit per path are
 * exact integers of ticks × lots (checked to stay safe integers); the statistics over paths are
 * float summaries.
 *
 * Randomness and order: path i draws from `rng.fork('path/<i>')`, three uniforms per step in a
 * fixed order (ask, bid, mid), whatever the strategy does. Path i is therefore the same in a run of
 * 200 paths and in one of 1,000, and two strategies run on the same seed see the same mid paths and
 * the same uniforms (common random numbers, as a paired comparison wants).
 */
import { ConfigError, InvariantError } from '../core/errors.ts';
import type { Rng } from '../core/random.ts';
import type { BookLevel, BookView } from '../book/index.ts';
import type { BookSide } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import type { Strategy, StrategyContext, StrategySignals } from '../strategy/index.ts';
import { summarize, type Summary } from './stats.ts';

/** The world's parameters, in the papers' units (price units of the quote currency, seconds). */
export interface ModelWorldParams {
  /** Independent paths. */
  paths: number;
  /** Initial mid s0, price units. */
  s0: number;
  /** Session length T, seconds. */
  horizonS: number;
  /** Step dt, seconds; T/dt must be a whole number of steps. */
  dtS: number;
  /** Volatility σ of the arithmetic Brownian mid, price units per √s. */
  sigma: number;
  /** Fill intensity at the mid, fills per second. */
  aPerS: number;
  /** Decay of the fill intensity, per price unit of distance. */
  k: number;
  /** Initial inventory q0, lots. */
  q0: number;
  /** Draw the step's fills against the mid after its move (default false: against the mid the quotes were decided on). */
  fillAfterMove?: boolean;
}

/** The world as simulated: the grid and what rounding did to it. */
export interface ModelWorldGrid {
  tickSize: number;
  steps: number;
  dtUs: number;
  s0Ticks: number;
  /** Mid step σ·√dt in whole ticks. */
  midStepTicks: number;
  /** σ the rounded step implies, midStepTicks·tick/√dt, price units per √s. */
  sigmaEffective: number;
}

export interface ModelPathResult {
  /** cash + q·S_T, exact, in ticks × lots. */
  profitTickLots: number;
  finalLots: number;
  fills: number;
  /** Sum and count of the quoted total spreads (both sides quoted), ticks. */
  spreadTicksSum: number;
  spreadCount: number;
}

export interface ModelMarketResult {
  grid: ModelWorldGrid;
  paths: ModelPathResult[];
  /** Profit per path in price units (float). */
  profit: Summary;
  /** Final inventory per path, lots. */
  finalInventory: Summary;
  /** Fills per path. */
  fills: Summary;
  /** Mean quoted total spread δa + δb over every step of every path with both sides quoted, price units. */
  meanSpread: number;
}

/** The book the strategy sees: one lot at s − 1 and one at s + 1 tick, so that its mid is s exactly. */
class MidBook implements BookView {
  midTicks = 0;
  constructor(readonly symbol: string) {}
  bestBidTicks(): number {
    return this.midTicks - 1;
  }
  bestAskTicks(): number {
    return this.midTicks + 1;
  }
  bestBidLots(): number {
    return 1;
  }
  bestAskLots(): number {
    return 1;
  }
  qtyAt(side: BookSide, priceTicks: number): number {
    return priceTicks === (side === 'bid' ? this.midTicks - 1 : this.midTicks + 1) ? 1 : 0;
  }
  levelCount(): number {
    return 1;
  }
  topLevels(side: BookSide, n: number): BookLevel[] {
    return n > 0 ? [{ priceTicks: side === 'bid' ? this.midTicks - 1 : this.midTicks + 1, qtyLots: 1 }] : [];
  }
  depthWithin(): number {
    return 1;
  }
  forEachLevel(side: BookSide, visit: (priceTicks: number, qtyLots: number) => boolean | void): void {
    visit(side === 'bid' ? this.midTicks - 1 : this.midTicks + 1, 1);
  }
  isValid(): boolean {
    return true;
  }
  lastUpdateId(): number {
    return -1;
  }
}

/**
 * Lays the world on the instrument's tick grid; a `ConfigError` naming the `data.model` key when
 * the grid cannot hold it (T not a whole number of steps, s0 too far up the grid).
 */
export function modelGrid(p: ModelWorldParams, instrument: Instrument): ModelWorldGrid {
  const tickSize = instrument.ticksToFloat(1);
  const dtUs = Math.round(p.dtS * 1e6);
  const horizonUs = Math.round(p.horizonS * 1e6);
  if (dtUs < 1 || horizonUs % dtUs !== 0) throw new ConfigError(`model world: T = ${p.horizonS} s is not a whole number of steps of dt = ${p.dtS} s`, { field: 'data.model.horizonS' });
  const s0Ticks = Math.round(p.s0 / tickSize);
  if (s0Ticks < 1 || s0Ticks > instrument.maxPriceTicks / 1000) {
    throw new ConfigError(`model world: s0 = ${p.s0} is ${s0Ticks} ticks of ${instrument.spec.tickSize}, outside [1, ${instrument.maxPriceTicks / 1000}]: choose another tickSize`, { field: 'data.model.tickSize' });
  }
  const midStepTicks = Math.round((p.sigma * Math.sqrt(p.dtS)) / tickSize);
  return { tickSize, steps: horizonUs / dtUs, dtUs, s0Ticks, midStepTicks, sigmaEffective: (midStepTicks * tickSize) / Math.sqrt(p.dtS) };
}

function checkSafe(x: number, what: string): number {
  if (!Number.isSafeInteger(x)) throw new InvariantError(`model world: ${what} ${x} is not a safe integer (use a coarser tickSize)`);
  return x;
}

/** Runs one path; `rng` is that path's own generator. */
export function runModelPath(strategy: Strategy, p: ModelWorldParams, grid: ModelWorldGrid, instrument: Instrument, rng: Rng): ModelPathResult {
  const book = new MidBook(instrument.symbol);
  const tick = grid.tickSize;
  const signals: StrategySignals = {
    sigmaTicksPerSqrtS: { value: grid.sigmaEffective / tick, ready: true },
    intensityAPerS: { value: p.aPerS, ready: true },
    intensityKPerTick: { value: p.k * tick, ready: true },
  };
  const ctx: StrategyContext = { tsUs: 0, instrument, book, positionLots: p.q0, signals, liveQuotes: [] };
  const kTick = p.k * tick;
  const aDt = p.aPerS * p.dtS;
  let mid = grid.s0Ticks;
  let q = p.q0;
  let cash = 0;
  let fills = 0;
  let spreadTicksSum = 0;
  let spreadCount = 0;
  for (let n = 0; n < grid.steps; n++) {
    book.midTicks = mid;
    ctx.tsUs = n * grid.dtUs;
    ctx.positionLots = q;
    const intent = strategy.decide(ctx);
    let bid = NaN;
    let bidLots = 0;
    let ask = NaN;
    let askLots = 0;
    for (const quote of intent.quotes) {
      if (quote.level !== 0) continue;
      if (quote.side === 'buy') {
        bid = quote.priceTicks;
        bidLots = quote.qtyLots;
      } else {
        ask = quote.priceTicks;
        askLots = quote.qtyLots;
      }
    }
    const uAsk = rng.next();
    const uBid = rng.next();
    const uMid = rng.next();
    const moved = mid + (uMid < 0.5 ? grid.midStepTicks : -grid.midStepTicks);
    const fillMid = p.fillAfterMove === true ? moved : mid;
    if (askLots > 0 && uAsk < Math.min(1, aDt * Math.exp(-kTick * (ask - fillMid)))) {
      cash = checkSafe(cash + ask * askLots, 'cash');
      q -= askLots;
      fills++;
    }
    if (bidLots > 0 && uBid < Math.min(1, aDt * Math.exp(-kTick * (fillMid - bid)))) {
      cash = checkSafe(cash - bid * bidLots, 'cash');
      q += bidLots;
      fills++;
    }
    if (askLots > 0 && bidLots > 0) {
      spreadTicksSum += ask - bid;
      spreadCount++;
    }
    mid = moved;
  }
  const profitTickLots = checkSafe(cash + checkSafe(q * mid, 'inventory value'), 'profit');
  return { profitTickLots, finalLots: q, fills, spreadTicksSum, spreadCount };
}

/** Runs every path of the world with `strategy`; path i draws from `rng.fork('path/<i>')`. */
export function runModelMarket(strategy: Strategy, p: ModelWorldParams, instrument: Instrument, rng: Rng): ModelMarketResult {
  const grid = modelGrid(p, instrument);
  const paths: ModelPathResult[] = [];
  for (let i = 0; i < p.paths; i++) paths.push(runModelPath(strategy, p, grid, instrument, rng.fork(`path/${i}`)));
  let spreadSum = 0;
  let spreadCount = 0;
  for (const r of paths) {
    spreadSum += r.spreadTicksSum;
    spreadCount += r.spreadCount;
  }
  return {
    grid,
    paths,
    profit: summarize(paths.map((r) => r.profitTickLots * grid.tickSize)),
    finalInventory: summarize(paths.map((r) => r.finalLots)),
    fills: summarize(paths.map((r) => r.fills)),
    meanSpread: spreadCount === 0 ? NaN : (spreadSum / spreadCount) * grid.tickSize,
  };
}
