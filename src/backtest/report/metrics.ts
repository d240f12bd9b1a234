/**
 * Run metrics (market-making.md §3.3), computed once at the end of a run from the RunRecorder and
 * the portfolio's exact PnL decomposition. Every definition is repeated in docs/METRICS.md.
 *
 * Conventions: floats for statistics (never fed back into the ledger); exact decimal strings for
 * the PnL decomposition; null (never NaN) for a metric without enough data; times in µs inside,
 * seconds in the output; percentages as percent numbers (12.5 = 12.5 %).
 */
import { InvariantError } from '../../core/errors.ts';
import { formatScaled, parseDecimal, pow10n } from '../../model/money.ts';
import type { PnlDecomposition } from '../../portfolio/index.ts';
import { describeReject } from './reasons.ts';
import type { RunRecorder, SymbolRecord } from './recorder.ts';

export const US_PER_SECOND = 1_000_000;
export const SECONDS_PER_DAY = 86_400;
/** Crypto trades every minute of the year: 365 × 24 × 60 = 525,600 one-minute returns. */
export const SECONDS_PER_YEAR = 365 * SECONDS_PER_DAY;
export const DEFAULT_RETURN_INTERVAL_US = 60 * US_PER_SECOND;
/** Fewer returns than this and Sharpe / Sortino are null: a ratio from a handful of points means nothing. */
export const DEFAULT_MIN_RETURNS = 10;
/** Returns spanning less than this are annualised only with a warning (`ratios.note`): one day. */
export const SHORT_SAMPLE_SECONDS = SECONDS_PER_DAY;

export interface MetricsInputs {
  /** Initial capital (deposits) in the margin asset, exact decimal string. */
  initialCapital: string;
  /** The portfolio's final decomposition (`accountSnapshot(asset).pnl`), exact strings. */
  pnl: PnlDecomposition;
  /** Interval of the equity returns behind Sharpe/Sortino, µs. Default 60 s. */
  returnIntervalUs?: number;
  minReturns?: number;
  /** Money unit of the PnL (the margin asset); default: the first instrument's margin asset. */
  asset?: string;
}

export interface MarkoutMetric {
  /** 0 = at the fill (the spread capture per unit). */
  horizonSeconds: number;
  /** Quantity-weighted mean of s·(m_{t+h} − p), ticks. */
  ticks: number | null;
  /** Σ s·x·(m_{t+h} − p) / Σ x·p × 10⁴. */
  bps: number | null;
  /** bps at the fill minus bps at h (positive = the market moved against our fills). */
  adverseSelectionBps: number | null;
  fills: number;
  /** Fills too close to the end of the run to have a mid at t + h (excluded). */
  unresolvedFills: number;
}

export interface SymbolMetrics {
  symbol: string;
  ordersPlaced: number;
  modifies: number;
  cancels: number;
  rejects: number;
  fills: number;
  filledQty: number;
  filledNotional: number;
  quotedQty: number;
  /** filled qty / quoted qty (submitted + modified quantities). */
  fillRatioQty: number | null;
  /** fills / orders placed. */
  fillsPerOrder: number | null;
  /** (places + modifies + cancels) / fills. */
  orderToTradeRatio: number | null;
  /** % of samples with a live bid and a live ask quote of ours. */
  quoteUptimePct: number | null;
  makerShareQtyPct: number | null;
  makerShareNotionalPct: number | null;
  inventory: {
    meanQty: number | null;
    meanAbsQty: number | null;
    /** From the position after every fill (exact, not only at samples). */
    maxAbsQty: number;
    /** Mean of |q|·mid over samples, quote currency. */
    meanAbsNotional: number | null;
    /** % of samples with |q| ≥ the position limit; null when no limit is known. */
    pctTimeAtLimit: number | null;
    positionLimitQty: number | null;
  };
  markouts: MarkoutMetric[];
  rejectsByReason: Record<string, number>;
  risk: { haltTrips: number; reduceTrips: number; haltedSeconds: number; reducingSeconds: number; tripsByReason: Record<string, number> };
}

export interface RunMetrics {
  period: { startUs: number; endUs: number; durationSeconds: number; samples: number; sampleIntervalSeconds: number };
  /** Exact decimal strings in `asset` (the margin asset, e.g. USDT); finalEquity = initialCapital + total. */
  pnl: PnlDecomposition & { asset: string; initialCapital: string; finalEquity: string; returnPct: number | null };
  /** initial = the initial capital at the start; final = initial capital + total PnL (exact, as a float); peak over both and the samples. */
  equity: { initial: number | null; final: number | null; peak: number | null };
  ratios: {
    sharpe: number | null;
    sortino: number | null;
    returnIntervalSeconds: number;
    annualisationFactor: number;
    returns: number;
    /** Below this many returns Sharpe and Sortino are null. */
    minReturns: number;
    /** Time the returns span (returns × interval), s. */
    sampleSeconds: number;
    /** What a reader must know about these numbers: why they are null, or that the sample is short (< 1 day). */
    note: string;
    basis: string;
  };
  /** Over the samples plus the initial capital at the start and the final equity at the end. */
  drawdown: { maxAbs: number; maxPct: number; maxDurationSeconds: number; peakUs: number | null; troughUs: number | null; recoveryUs: number | null };
  trading: {
    ordersPlaced: number;
    fills: number;
    filledNotional: number;
    /** filled notional / quoted notional (over all symbols). */
    fillRatioNotional: number | null;
    fillsPerOrder: number | null;
    orderToTradeRatio: number | null;
    quoteUptimePct: number | null;
    makerShareNotionalPct: number | null;
    /** traded notional / initial capital per day. */
    turnoverPerDay: number | null;
  };
  markoutsBps: { horizonSeconds: number; bps: number | null; fills: number }[];
  rejectsByReason: Record<string, number>;
  /** The words for each code of `rejectsByReason` ("-5022": "post-only would take"). */
  rejectReasons: Record<string, string>;
  risk: { haltTrips: number; reduceTrips: number; haltedSeconds: number; reducingSeconds: number };
  fundingPayments: number;
  symbols: SymbolMetrics[];
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
// 100·(a/b), not (100·a)/b: a share of a whole (a ≤ b) then never prints as 100.00000000000001 %.
const pct = (a: number, b: number): number | null => (b > 0 ? 100 * (a / b) : null);

/** Map → plain object with sorted keys (deterministic JSON). */
function sortedRecord(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...m.keys()].sort()) out[k] = m.get(k)!;
  return out;
}

/**
 * Checks spread + inventory − fees + funding = total exactly (bigint at the widest scale) and
 * returns the decomposition unchanged; a mismatch is a bug upstream, not a rounding to hide.
 */
export function checkDecomposition(p: PnlDecomposition): PnlDecomposition {
  const parts = [p.spreadCapture, p.inventory, p.fees, p.funding, p.total].map((s) => parseDecimal(s, 'pnl'));
  const scale = Math.max(...parts.map((d) => d.scale));
  const [s, i, f, fu, t] = parts.map((d) => d.units * pow10n(scale - d.scale));
  const sum = s + i - f + fu;
  if (sum !== t) throw new InvariantError(`PnL decomposition does not sum: spread + inventory − fees + funding = ${formatScaled(sum, scale)} but total = ${p.total}`);
  return p;
}

/**
 * The note that goes with Sharpe / Sortino wherever they are shown: why they are null, or how
 * short a sample they were annualised from (under `SHORT_SAMPLE_SECONDS`).
 */
export function ratiosNote(r: { sharpe: number | null; sortino: number | null; returns: number; minReturns: number; returnIntervalSeconds: number }): string {
  const span = r.returns * r.returnIntervalSeconds;
  const n = `${r.returns} return${r.returns === 1 ? '' : 's'} of ${r.returnIntervalSeconds} s`;
  if (r.returns < Math.max(2, r.minReturns)) return `not computed: ${n}, fewer than the minimum ${Math.max(2, r.minReturns)}`;
  if (r.sharpe === null && r.sortino === null) return `not computed: ${n} with no variation (or an equity ≤ 0)`;
  if (span < SHORT_SAMPLE_SECONDS) return `annualised from ${n} (${fmtSpan(span)}): a sample under a day says little about a year`;
  return `annualised from ${n} (${fmtSpan(span)})`;
}

function fmtSpan(seconds: number): string {
  if (seconds < 7200) return `${Number((seconds / 60).toFixed(1))} min`;
  if (seconds < 172_800) return `${Number((seconds / 3600).toFixed(1))} h`;
  return `${Number((seconds / SECONDS_PER_DAY).toFixed(1))} d`;
}

/**
 * The equity series drawdown is measured on: the initial capital at `startUs`, every sample, and the
 * final equity at `endUs` (so a loss after the last sample, or before the first, is not missed).
 */
export function drawdownSeries(ts: Float64Array, equity: Float64Array, start: { us: number; equity: number }, end: { us: number; equity: number }): { ts: Float64Array; equity: Float64Array } {
  const n = ts.length;
  const t = new Float64Array(n + 2);
  const e = new Float64Array(n + 2);
  t[0] = start.us;
  e[0] = start.equity;
  t.set(ts, 1);
  e.set(equity, 1);
  t[n + 1] = end.us;
  e[n + 1] = end.equity;
  return { ts: t, equity: e };
}

/** a + b of two exact decimal strings, exactly. */
function addDecimals(a: string, b: string): string {
  const x = parseDecimal(a, 'initialCapital');
  const y = parseDecimal(b, 'pnl.total');
  const scale = Math.max(x.scale, y.scale);
  return formatScaled(x.units * pow10n(scale - x.scale) + y.units * pow10n(scale - y.scale), scale);
}

/** Sharpe and Sortino from simple returns of equity resampled (forward-filled) every `intervalUs`. */
export function sharpeSortino(ts: Float64Array, equity: Float64Array, intervalUs: number, minReturns: number): { sharpe: number | null; sortino: number | null; returns: number } {
  const n = ts.length;
  if (n < 2) return { sharpe: null, sortino: null, returns: 0 };
  const rets: number[] = [];
  let j = 0;
  let prev = equity[0];
  for (let t = ts[0] + intervalUs; t <= ts[n - 1]; t += intervalUs) {
    while (j + 1 < n && ts[j + 1] <= t) j++;
    const e = equity[j];
    if (!(prev > 0)) return { sharpe: null, sortino: null, returns: rets.length };
    rets.push(e / prev - 1);
    prev = e;
  }
  const m = rets.length;
  if (m < Math.max(2, minReturns)) return { sharpe: null, sortino: null, returns: m };
  let sum = 0;
  for (const r of rets) sum += r;
  const mean = sum / m;
  let ss = 0;
  let down = 0;
  for (const r of rets) {
    ss += (r - mean) ** 2;
    if (r < 0) down += r * r;
  }
  const std = Math.sqrt(ss / (m - 1));
  const downside = Math.sqrt(down / m);
  const annual = Math.sqrt((SECONDS_PER_YEAR * US_PER_SECOND) / intervalUs);
  return { sharpe: std > 0 ? (mean / std) * annual : null, sortino: downside > 0 ? (mean / downside) * annual : null, returns: m };
}

/**
 * Max drawdown (abs and % of the running peak, each its own maximum), the longest time under water
 * (from the sample that set a peak to the first sample back at or above it, or to the last sample
 * if never), and the episode of the max-abs drawdown (peak, trough, recovery or null).
 */
export function drawdownStats(ts: Float64Array, equity: Float64Array): RunMetrics['drawdown'] {
  let peak = -Infinity;
  let peakAt = 0;
  let underwater = false;
  let maxAbs = 0;
  let maxPct = 0;
  let maxDurUs = 0;
  let epPeak: number | null = null;
  let epTrough: number | null = null;
  let epRecovery: number | null = null;
  let inMaxEpisode = false;
  for (let i = 0; i < ts.length; i++) {
    const e = equity[i];
    if (!Number.isFinite(e)) continue;
    if (e >= peak) {
      if (underwater) {
        maxDurUs = Math.max(maxDurUs, ts[i] - peakAt);
        if (inMaxEpisode) epRecovery = ts[i];
      }
      underwater = false;
      inMaxEpisode = false;
      peak = e;
      peakAt = ts[i];
      continue;
    }
    underwater = true;
    const dd = peak - e;
    if (dd > maxAbs) {
      maxAbs = dd;
      epPeak = peakAt;
      epTrough = ts[i];
      epRecovery = null;
      inMaxEpisode = true;
    }
    if (peak > 0 && (100 * dd) / peak > maxPct) maxPct = (100 * dd) / peak;
  }
  if (underwater) maxDurUs = Math.max(maxDurUs, ts[ts.length - 1] - peakAt);
  return { maxAbs, maxPct, maxDurationSeconds: maxDurUs / US_PER_SECOND, peakUs: epPeak, troughUs: epTrough, recoveryUs: epRecovery };
}

function symbolMetrics(rec: RunRecorder, r: SymbolRecord): SymbolMetrics {
  const ins = r.instrument;
  const n = r.position.length;
  let twoSided = 0;
  let sumQ = 0;
  let sumAbsQ = 0;
  let sumAbsNotional = 0;
  let notionalSamples = 0;
  let atLimit = 0;
  const pos = r.position.data;
  for (let i = 0; i < n; i++) {
    if (r.bidQuote.data[i] > 0 && r.askQuote.data[i] > 0) twoSided++;
    const q = pos[i];
    sumQ += q;
    sumAbsQ += Math.abs(q);
    const m = r.mid.data[i];
    if (m > 0) {
      sumAbsNotional += ins.lotsToFloat(Math.abs(q)) * ins.ticksToFloat(m);
      notionalSamples++;
    }
    if (r.positionLimitLots !== null && r.positionLimitLots > 0 && Math.abs(q) >= r.positionLimitLots) atLimit++;
  }
  const m0 = r.markouts[0];
  const bps0 = m0.notional > 0 ? (m0.quote / m0.notional) * 1e4 : null;
  const markouts: MarkoutMetric[] = r.markouts.map((m, k) => {
    const bps = m.notional > 0 ? (m.quote / m.notional) * 1e4 : null;
    return {
      horizonSeconds: k === 0 ? 0 : rec.markoutHorizonsUs[k - 1] / US_PER_SECOND,
      ticks: m.lots > 0 ? m.ticksLots / m.lots : null,
      bps,
      adverseSelectionBps: bps0 !== null && bps !== null ? bps0 - bps : null,
      fills: m.fills,
      unresolvedFills: k === 0 ? r.fills - m.fills : r.pending.ts.length - r.pending.heads[k - 1],
    };
  });
  return {
    symbol: ins.symbol,
    ordersPlaced: r.submits,
    modifies: r.modifies,
    cancels: r.cancels,
    rejects: r.rejects,
    fills: r.fills,
    filledQty: ins.lotsToFloat(r.filledLots),
    filledNotional: r.filledNotional,
    quotedQty: ins.lotsToFloat(r.quotedLots),
    fillRatioQty: ratio(r.filledLots, r.quotedLots),
    fillsPerOrder: ratio(r.fills, r.submits),
    orderToTradeRatio: ratio(r.submits + r.modifies + r.cancels, r.fills),
    quoteUptimePct: pct(twoSided, n),
    makerShareQtyPct: pct(r.makerLots, r.filledLots),
    makerShareNotionalPct: pct(r.makerNotional, r.filledNotional),
    inventory: {
      meanQty: n > 0 ? ins.lotsToFloat(sumQ / n) : null,
      meanAbsQty: n > 0 ? ins.lotsToFloat(sumAbsQ / n) : null,
      maxAbsQty: ins.lotsToFloat(r.maxAbsPositionLots),
      meanAbsNotional: notionalSamples > 0 ? sumAbsNotional / notionalSamples : null,
      pctTimeAtLimit: r.positionLimitLots !== null && r.positionLimitLots > 0 ? pct(atLimit, n) : null,
      positionLimitQty: r.positionLimitLots === null ? null : ins.lotsToFloat(r.positionLimitLots),
    },
    markouts,
    rejectsByReason: sortedRecord(r.rejectsByReason),
    risk: {
      haltTrips: r.haltTrips,
      reduceTrips: r.reduceTrips,
      haltedSeconds: r.haltedUs / US_PER_SECOND,
      reducingSeconds: r.reducingUs / US_PER_SECOND,
      tripsByReason: sortedRecord(r.tripsByReason),
    },
  };
}

/** Every metric of the run. `rec` must be finished. */
export function computeMetrics(rec: RunRecorder, inputs: MetricsInputs): RunMetrics {
  if (rec.endUs === null) throw new InvariantError('computeMetrics: the recorder is not finished');
  const pnl = checkDecomposition(inputs.pnl);
  const intervalUs = inputs.returnIntervalUs ?? DEFAULT_RETURN_INTERVAL_US;
  const ts = rec.sampleTs.view();
  const eq = rec.equity.view();
  const symbols = rec.symbols().map((r) => symbolMetrics(rec, r));
  const capital = Number(inputs.initialCapital);
  const finalEquityExact = addDecimals(inputs.initialCapital, pnl.total);
  const finalEquity = Number(finalEquityExact);
  const durationUs = rec.endUs - rec.startUs;
  const days = durationUs / (SECONDS_PER_DAY * US_PER_SECOND);
  const dd = drawdownSeries(ts, eq, { us: rec.startUs, equity: capital }, { us: rec.endUs, equity: finalEquity });
  let peak: number | null = null;
  for (const e of dd.equity) if (Number.isFinite(e) && (peak === null || e > peak)) peak = e;

  const rejects = new Map<string, number>();
  let placed = 0, fills = 0, filledNotional = 0, quotedNotional = 0, makerNotional = 0, actions = 0;
  let uptimeSum = 0, uptimeN = 0;
  let haltTrips = 0, reduceTrips = 0, haltedUs = 0, reducingUs = 0;
  for (const r of rec.symbols()) {
    placed += r.submits;
    fills += r.fills;
    filledNotional += r.filledNotional;
    quotedNotional += r.quotedNotional;
    makerNotional += r.makerNotional;
    actions += r.submits + r.modifies + r.cancels;
    haltTrips += r.haltTrips;
    reduceTrips += r.reduceTrips;
    haltedUs += r.haltedUs;
    reducingUs += r.reducingUs;
    for (const [k, v] of r.rejectsByReason) rejects.set(k, (rejects.get(k) ?? 0) + v);
  }
  for (const s of symbols) {
    if (s.quoteUptimePct !== null) {
      uptimeSum += s.quoteUptimePct;
      uptimeN++;
    }
  }
  const markoutsBps = rec.symbols()[0]?.markouts.map((_, k) => {
    let q = 0, nt = 0, f = 0;
    for (const r of rec.symbols()) {
      q += r.markouts[k].quote;
      nt += r.markouts[k].notional;
      f += r.markouts[k].fills;
    }
    return { horizonSeconds: k === 0 ? 0 : rec.markoutHorizonsUs[k - 1] / US_PER_SECOND, bps: nt > 0 ? (q / nt) * 1e4 : null, fills: f };
  }) ?? [];
  const minReturns = inputs.minReturns ?? DEFAULT_MIN_RETURNS;
  const rs = sharpeSortino(ts, eq, intervalUs, minReturns);
  const returnIntervalSeconds = intervalUs / US_PER_SECOND;
  const rejectsByReason = sortedRecord(rejects);
  const rejectReasons: Record<string, string> = {};
  for (const k of Object.keys(rejectsByReason)) rejectReasons[k] = describeReject(k);
  return {
    period: { startUs: rec.startUs, endUs: rec.endUs, durationSeconds: durationUs / US_PER_SECOND, samples: ts.length, sampleIntervalSeconds: rec.sampleIntervalUs / US_PER_SECOND },
    pnl: { ...pnl, asset: inputs.asset ?? rec.instruments[0]?.spec.marginAsset ?? '', initialCapital: inputs.initialCapital, finalEquity: finalEquityExact, returnPct: capital > 0 ? (100 * Number(pnl.total)) / capital : null },
    equity: { initial: capital, final: finalEquity, peak },
    ratios: {
      sharpe: rs.sharpe,
      sortino: rs.sortino,
      returnIntervalSeconds,
      annualisationFactor: Math.sqrt((SECONDS_PER_YEAR * US_PER_SECOND) / intervalUs),
      returns: rs.returns,
      minReturns,
      sampleSeconds: rs.returns * returnIntervalSeconds,
      note: ratiosNote({ sharpe: rs.sharpe, sortino: rs.sortino, returns: rs.returns, minReturns, returnIntervalSeconds }),
      basis: `simple returns of equity every ${returnIntervalSeconds} s (last sample at or before each step), mean / sample std × √(365 d / ${returnIntervalSeconds} s); Sortino uses √(mean of min(r,0)²); null under ${minReturns} returns; a sample under a day is flagged in the note`,
    },
    drawdown: drawdownStats(dd.ts, dd.equity),
    trading: {
      ordersPlaced: placed,
      fills,
      filledNotional,
      fillRatioNotional: ratio(filledNotional, quotedNotional),
      fillsPerOrder: ratio(fills, placed),
      orderToTradeRatio: ratio(actions, fills),
      quoteUptimePct: uptimeN > 0 ? uptimeSum / uptimeN : null,
      makerShareNotionalPct: pct(makerNotional, filledNotional),
      turnoverPerDay: capital > 0 && days > 0 ? filledNotional / capital / days : null,
    },
    markoutsBps,
    rejectsByReason,
    rejectReasons,
    risk: { haltTrips, reduceTrips, haltedSeconds: haltedUs / US_PER_SECOND, reducingSeconds: reducingUs / US_PER_SECOND },
    fundingPayments: rec.fundingEvents.length,
    symbols,
  };
}
