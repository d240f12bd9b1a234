/**
 * Live vs simulated, by numbers (pure functions of the two sides' orders and fills):
 *
 * - per symbol and side: fills, quantity, notional, maker share, volume-weighted fill price;
 * - match by order: the two cores number their orders alike (`<prefix>-<tag>-<n>`), so the n-th
 *   order of each is "the same order" when symbol, side, price and quantity agree (the two cores
 *   took the same decision); an order filled on one side and not on the other is a miss; the match
 *   rate is filled-on-both / filled-on-either, over same orders;
 * - match by time: each live fill is paired with the nearest unpaired simulated fill of the same
 *   symbol, side and price within ±`windowUs` (ties: the earlier one); live fills are taken in
 *   time order. Rates: paired / live fills and paired / simulated fills; the mean and the largest
 *   |simulated − live| time of the pairs.
 *
 * Ordering: symbols sorted; fills in the order the cores booked them (exchange time order within
 * a symbol up to report reordering; pairing sorts by time, then by booking order).
 */
import type { Instrument } from '../model/instrument.ts';
import type { BookedFill, CreatedOrder } from './record.ts';

/** Default pairing window of `matchByTime`, µs. */
export const MATCH_WINDOW_US = 1_000_000;

export interface FillStats {
  fills: number;
  qtyLots: number;
  notional: number;
  makerQtyPct: number | null;
  buyFills: number;
  sellFills: number;
  /** Volume-weighted fill price of buys / sells (float, quote asset); null without fills. */
  vwapBuy: number | null;
  vwapSell: number | null;
  commission: number;
}

export function fillStats(fills: readonly BookedFill[], inst: Instrument): FillStats {
  let qty = 0;
  let notional = 0;
  let maker = 0;
  let buyN = 0;
  let sellN = 0;
  let buyQ = 0;
  let sellQ = 0;
  let buyPx = 0;
  let sellPx = 0;
  let commission = 0;
  for (const f of fills) {
    const q = inst.lotsToFloat(f.qtyLots);
    const p = inst.ticksToFloat(f.priceTicks);
    qty += f.qtyLots;
    notional += p * q;
    if (f.liquidity === 'maker') maker += f.qtyLots;
    if (f.side === 'buy') {
      buyN++;
      buyQ += q;
      buyPx += p * q;
    } else {
      sellN++;
      sellQ += q;
      sellPx += p * q;
    }
    commission += Number(f.commission);
  }
  return { fills: fills.length, qtyLots: qty, notional, makerQtyPct: qty > 0 ? 100 * (maker / qty) : null, buyFills: buyN, sellFills: sellN, vwapBuy: buyQ > 0 ? buyPx / buyQ : null, vwapSell: sellQ > 0 ? sellPx / sellQ : null, commission };
}

export interface OrderMatch {
  liveOrders: number;
  simOrders: number;
  /** Orders with the same number, symbol, side, price and quantity on both sides. */
  sameOrders: number;
  /** The first order number where the two cores differ (null: none within the shorter list). */
  firstDifferentOrder: string | null;
  liveFilledOrders: number;
  simFilledOrders: number;
  /** Same orders filled (at least partly) on both sides. */
  filledBoth: number;
  /** Same orders filled on one side only. */
  filledLiveOnly: number;
  filledSimOnly: number;
  /** filledBoth / (filledBoth + filledLiveOnly + filledSimOnly); null when no same order filled anywhere. */
  matchRate: number | null;
}

export function matchByOrder(symbol: string, live: readonly CreatedOrder[], sim: readonly CreatedOrder[], liveFills: readonly BookedFill[], simFills: readonly BookedFill[]): OrderMatch {
  const l = live.filter((o) => o.symbol === symbol);
  const s = sim.filter((o) => o.symbol === symbol);
  const simBySeq = new Map(s.map((o) => [o.seq, o]));
  const filled = (fills: readonly BookedFill[]): Set<string> => new Set(fills.filter((f) => f.symbol === symbol).map((f) => f.seq));
  const lf = filled(liveFills);
  const sf = filled(simFills);
  let same = 0;
  let both = 0;
  let liveOnly = 0;
  let simOnly = 0;
  let firstDiff: string | null = null;
  for (let i = 0; i < l.length; i++) {
    const a = l[i];
    const b = simBySeq.get(a.seq);
    const equal = b !== undefined && b.side === a.side && b.priceTicks === a.priceTicks && b.qtyLots === a.qtyLots;
    if (!equal) {
      if (firstDiff === null && i < s.length) firstDiff = a.seq;
      continue;
    }
    same++;
    const inLive = lf.has(a.seq);
    const inSim = sf.has(a.seq);
    if (inLive && inSim) both++;
    else if (inLive) liveOnly++;
    else if (inSim) simOnly++;
  }
  const denom = both + liveOnly + simOnly;
  return { liveOrders: l.length, simOrders: s.length, sameOrders: same, firstDifferentOrder: firstDiff, liveFilledOrders: lf.size, simFilledOrders: sf.size, filledBoth: both, filledLiveOnly: liveOnly, filledSimOnly: simOnly, matchRate: denom > 0 ? both / denom : null };
}

export interface TimeMatch {
  windowUs: number;
  liveFills: number;
  simFills: number;
  paired: number;
  /** paired / live fills, paired / simulated fills; null without fills. */
  liveMatchedRate: number | null;
  simMatchedRate: number | null;
  /** Mean and largest |simulated − live| time of the pairs, µs; null without pairs. */
  meanAbsOffsetUs: number | null;
  maxAbsOffsetUs: number | null;
  /** Mean simulated − live time of the pairs (positive: the simulator filled later), µs. */
  meanOffsetUs: number | null;
}

const byTime = (fills: readonly BookedFill[]): BookedFill[] =>
  fills
    .map((f, i) => ({ f, i }))
    .sort((a, b) => a.f.tsUs - b.f.tsUs || a.i - b.i)
    .map((x) => x.f);

export function matchByTime(symbol: string, liveFills: readonly BookedFill[], simFills: readonly BookedFill[], windowUs = MATCH_WINDOW_US): TimeMatch {
  const live = byTime(liveFills.filter((f) => f.symbol === symbol));
  const sim = byTime(simFills.filter((f) => f.symbol === symbol));
  const used = new Uint8Array(sim.length);
  let lo = 0;
  let paired = 0;
  let sumAbs = 0;
  let sum = 0;
  let maxAbs = 0;
  for (const a of live) {
    while (lo < sim.length && sim[lo].tsUs < a.tsUs - windowUs) lo++;
    let best = -1;
    for (let j = lo; j < sim.length && sim[j].tsUs <= a.tsUs + windowUs; j++) {
      const b = sim[j];
      if (used[j] === 1 || b.side !== a.side || b.priceTicks !== a.priceTicks) continue;
      if (best < 0 || Math.abs(b.tsUs - a.tsUs) < Math.abs(sim[best].tsUs - a.tsUs)) best = j;
    }
    if (best < 0) continue;
    used[best] = 1;
    paired++;
    const d = sim[best].tsUs - a.tsUs;
    sum += d;
    sumAbs += Math.abs(d);
    if (Math.abs(d) > maxAbs) maxAbs = Math.abs(d);
  }
  return {
    windowUs,
    liveFills: live.length,
    simFills: sim.length,
    paired,
    liveMatchedRate: live.length > 0 ? paired / live.length : null,
    simMatchedRate: sim.length > 0 ? paired / sim.length : null,
    meanAbsOffsetUs: paired > 0 ? sumAbs / paired : null,
    maxAbsOffsetUs: paired > 0 ? maxAbs : null,
    meanOffsetUs: paired > 0 ? sum / paired : null,
  };
}
