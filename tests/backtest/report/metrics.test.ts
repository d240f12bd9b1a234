import { describe, expect, it } from 'vitest';
import { checkDecomposition, computeMetrics, drawdownStats, ratiosNote, RunRecorder, sharpeSortino, type AccountSample } from '../../../src/backtest/report/index.ts';
import { Instrument } from '../../../src/model/index.ts';
import { BTCUSDT, simulateRun, START_US } from './sim-run.ts';

const S = 1_000_000;
const btc = new Instrument(BTCUSDT); // tick 0.1, step 0.001
const flat = (equity: number): AccountSample => ({ equity, wallet: equity, unrealized: 0, spreadCapture: 0, inventory: 0, fees: 0, funding: 0, total: 0 });
const zeroPnl = { spreadCapture: '0', inventory: '0', fees: '0', funding: '0', total: '0' };

function recorder(extra: Partial<ConstructorParameters<typeof RunRecorder>[0]> = {}): RunRecorder {
  return new RunRecorder({ instruments: [btc], startUs: START_US, ...extra });
}

describe('drawdown', () => {
  it('max abs, max %, longest time under water and the episode, by hand', () => {
    const ts = Float64Array.from([0, 1, 2, 3, 4, 5, 6], (s) => s * S);
    const eq = Float64Array.from([100, 110, 105, 99, 110, 120, 115]);
    const d = drawdownStats(ts, eq);
    expect(d.maxAbs).toBe(11); // 110 → 99
    expect(d.maxPct).toBeCloseTo(10, 12); // 11 / 110
    expect(d.maxDurationSeconds).toBe(3); // peak at 1 s, back to 110 at 4 s
    expect([d.peakUs, d.troughUs, d.recoveryUs]).toEqual([1 * S, 3 * S, 4 * S]);
  });

  it('a drawdown never recovered lasts to the last sample', () => {
    const ts = Float64Array.from([0, 10, 20, 30], (s) => s * S);
    const d = drawdownStats(ts, Float64Array.from([50, 40, 45, 30]));
    expect(d.maxAbs).toBe(20);
    expect(d.maxPct).toBeCloseTo(40, 12);
    expect(d.maxDurationSeconds).toBe(30);
    expect(d.recoveryUs).toBeNull();
  });
});

describe('drawdown of a run: the samples plus the start and the end', () => {
  it('a loss after the last sample counts; the initial capital is the first peak', () => {
    const r = recorder();
    // Equity samples 1000 → 1002 → 1001 (drawdown 1), then a loss of 5 before the end of the run.
    [1000, 1002, 1001].forEach((e, k) => r.sample(START_US + k * S, flat(e), [{ symbol: 'BTCUSDT', positionLots: 0, bestBidTicks: 1, bestAskTicks: 2, midTicks: 1.5, bidQuoteTicks: 0, askQuoteTicks: 0 }]));
    r.finish(START_US + 2.5 * S);
    const loss = { spreadCapture: '0', inventory: '-5', fees: '0', funding: '0', total: '-5' };
    expect(drawdownStats(r.sampleTs.view(), r.equity.view()).maxAbs).toBe(1); // what the samples alone say
    const m = computeMetrics(r, { initialCapital: '1000', pnl: loss });
    expect(m.drawdown.maxAbs).toBe(7); // peak 1002 → final 995
    expect(m.drawdown.troughUs).toBe(START_US + 2.5 * S);
    expect(m.drawdown.recoveryUs).toBeNull();
    expect(m.equity).toEqual({ initial: 1000, final: 995, peak: 1002 });
    expect(m.pnl.finalEquity).toBe('995');
    expect(m.pnl.asset).toBe('USDT');
  });

  it('a run that only loses from its first event: the drawdown is the whole loss, from the start', () => {
    const r = recorder();
    r.sample(START_US + 5 * S, flat(990), []);
    r.finish(START_US + 6 * S);
    const m = computeMetrics(r, { initialCapital: '1000', pnl: { spreadCapture: '0', inventory: '-12.5', fees: '0', funding: '0', total: '-12.5' } });
    expect(m.drawdown.maxAbs).toBe(12.5);
    expect(m.drawdown.peakUs).toBe(START_US);
    expect(m.drawdown.maxDurationSeconds).toBe(6);
  });
});

describe('Sharpe and Sortino', () => {
  // 12 one-minute returns alternating +1 % and −0.5 %, sampled every second (forward-filled inside each minute).
  function series(returns: number[]): { ts: Float64Array; eq: Float64Array } {
    const ts: number[] = [];
    const eq: number[] = [];
    let e = 1000;
    for (let m = 0; m <= returns.length; m++) {
      for (let s = 0; s < 60 && !(m === returns.length && s > 0); s++) {
        ts.push((m * 60 + s) * S);
        eq.push(e);
      }
      if (m < returns.length) e *= 1 + returns[m];
    }
    return { ts: Float64Array.from(ts), eq: Float64Array.from(eq) };
  }

  it('equal the hand-computed values, annualised with √525600', () => {
    const rets = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 0.01 : -0.005));
    const { ts, eq } = series(rets);
    const r = sharpeSortino(ts, eq, 60 * S, 10);
    expect(r.returns).toBe(12);
    // mean 0.0025; deviations ±0.0075 → sample std 0.0075·√(12/11); downside √(6·0.005²/12) = 0.005/√2
    const annual = Math.sqrt(525_600);
    expect(r.sharpe!).toBeCloseTo((0.0025 / (0.0075 * Math.sqrt(12 / 11))) * annual, 6);
    expect(r.sortino!).toBeCloseTo((0.0025 / (0.005 / Math.SQRT2)) * annual, 6);
  });

  it('carry a note: why they are null, or how short a sample they were annualised from', () => {
    const base = { returnIntervalSeconds: 10, minReturns: 10 };
    expect(ratiosNote({ ...base, sharpe: null, sortino: null, returns: 2 })).toBe('not computed: 2 returns of 10 s, fewer than the minimum 10');
    expect(ratiosNote({ ...base, sharpe: null, sortino: null, returns: 40 })).toMatch(/^not computed: 40 returns of 10 s with no variation/);
    expect(ratiosNote({ ...base, sharpe: -3, sortino: -1, returns: 59 })).toBe('annualised from 59 returns of 10 s (9.8 min): a sample under a day says little about a year');
    expect(ratiosNote({ ...base, sharpe: 1, sortino: 1, returns: 30 * 8640 })).toBe('annualised from 259200 returns of 10 s (30 d)');
    // computeMetrics states the same, with the minimum it used
    const r = recorder();
    for (let k = 0; k <= 30; k++) r.sample(START_US + k * S, flat(1000 + k), []);
    r.finish(START_US + 30 * S);
    const m = computeMetrics(r, { initialCapital: '1000', pnl: zeroPnl, returnIntervalUs: 10 * S });
    expect(m.ratios).toMatchObject({ sharpe: null, returns: 3, minReturns: 10, sampleSeconds: 30, note: 'not computed: 3 returns of 10 s, fewer than the minimum 10' });
  });

  it('are null with too few returns or no variation', () => {
    const few = series([0.01, -0.01, 0.02]);
    expect(sharpeSortino(few.ts, few.eq, 60 * S, 10)).toEqual({ sharpe: null, sortino: null, returns: 3 });
    const up = series(Array.from({ length: 12 }, () => 0.001));
    const r = sharpeSortino(up.ts, up.eq, 60 * S, 10);
    expect(r.sortino).toBeNull(); // no negative return
    expect(r.sharpe).toBeNull(); // std 0 (up to float noise it is tiny; constant returns)
  });
});

describe('PnL decomposition', () => {
  it('passes the ledger strings through and checks the exact sum', () => {
    const p = { spreadCapture: '1.25', inventory: '-0.000000000000000000000001', fees: '-0.3', funding: '0.05', total: '1.599999999999999999999999' };
    expect(checkDecomposition(p)).toBe(p);
    expect(() => checkDecomposition({ ...p, total: '1.6' })).toThrow(/does not sum/);
  });

  it('on a simulated run equals the portfolio decomposition and equity − deposits', () => {
    const { metrics, portfolio } = simulateRun({ seed: 3, minutes: 4, stepUs: 200_000 });
    const acct = portfolio.accountSnapshot('USDT');
    expect(metrics.pnl.total).toBe(acct.pnl.total);
    expect(metrics.pnl.spreadCapture).toBe(acct.pnl.spreadCapture);
    expect(Number(metrics.pnl.total)).toBeCloseTo(Number(acct.equity) - 10_000, 9);
    expect(metrics.pnl.returnPct!).toBeCloseTo((100 * Number(acct.pnl.total)) / 10_000, 12);
  });
});

describe('order and fill ratios', () => {
  it('fill ratio, fills per order, order-to-trade, maker share, rejects by reason', () => {
    const r = recorder();
    const o = { symbol: 'BTCUSDT', side: 'buy' as const, orderType: 'LIMIT' as const, timeInForce: 'GTX' as const, priceTicks: 600_000 };
    r.onOrder({ ...o, tsUs: START_US, kind: 'submit', clientOrderId: 'a', qtyLots: 10 });
    r.onOrder({ ...o, tsUs: START_US, kind: 'submit', clientOrderId: 'b', qtyLots: 10 });
    r.onOrder({ ...o, tsUs: START_US + 1, kind: 'modify', clientOrderId: 'b', qtyLots: 5 });
    r.onOrder({ ...o, tsUs: START_US + 2, kind: 'cancel', clientOrderId: 'a' });
    r.onOrder({ ...o, tsUs: START_US + 3, kind: 'reject', clientOrderId: 'c', qtyLots: 1, reason: '-5022' });
    r.onOrder({ ...o, tsUs: START_US + 3, kind: 'reject', clientOrderId: 'd', qtyLots: 1, reason: 'MAX_POSITION' });
    r.onOrder({ ...o, tsUs: START_US + 3, kind: 'reject', clientOrderId: 'e', qtyLots: 1, reason: '-5022' });
    const fill = { symbol: 'BTCUSDT', side: 'buy' as const, priceTicks: 600_000, commission: '0', midTicks: Number.NaN, orderId: 1, clientOrderId: 'a' };
    r.onFill({ ...fill, tsUs: START_US + 5, qtyLots: 3, liquidity: 'maker' });
    r.onFill({ ...fill, tsUs: START_US + 6, qtyLots: 1, liquidity: 'taker' });
    r.finish(START_US + 10 * S);
    const m = computeMetrics(r, { initialCapital: '1000', pnl: zeroPnl });
    const s = m.symbols[0];
    expect(s.fillRatioQty).toBeCloseTo(4 / 25, 12); // 4 lots filled / (10 + 10 + 5) quoted
    expect(s.fillsPerOrder).toBe(1); // 2 fills / 2 placed
    expect(s.orderToTradeRatio).toBe(2); // (2 places + 1 modify + 1 cancel) / 2 fills
    expect(s.makerShareQtyPct).toBe(75);
    expect(m.trading.makerShareNotionalPct).toBeCloseTo(75, 9);
    expect(m.rejectsByReason).toEqual({ '-5022': 2, MAX_POSITION: 1 });
    expect(m.rejectReasons).toEqual({ '-5022': 'post-only would take', MAX_POSITION: 'risk: max position' });
    expect(Object.keys(m.rejectsByReason)).toEqual(['-5022', 'MAX_POSITION']);
    // turnover: 4 lots × 0.001 × 60000 = 240 notional over 10 s = 1/8640 day, capital 1000
    expect(m.trading.turnoverPerDay!).toBeCloseTo((240 / 1000) * 8640, 6);
    expect(s.inventory.maxAbsQty).toBe(0.004);
  });

  it('an all-maker run has a maker share of exactly 100 %, never above', () => {
    const r = recorder();
    const fill = { symbol: 'BTCUSDT', side: 'sell' as const, commission: '0', midTicks: Number.NaN, orderId: 1, clientOrderId: 'a', liquidity: 'maker' as const };
    // 600004 ticks × 3 lots: (100·n)/n = 100.00000000000001 in floats for this notional
    r.onFill({ ...fill, tsUs: START_US + 1, priceTicks: 600_004, qtyLots: 3 });
    r.finish(START_US + S);
    const m = computeMetrics(r, { initialCapital: '1000', pnl: zeroPnl });
    expect(m.trading.makerShareNotionalPct).toBe(100);
    expect(m.symbols[0].makerShareNotionalPct).toBe(100);
    expect(m.symbols[0].makerShareQtyPct).toBe(100);
  });

  it('null (not NaN) without orders or fills', () => {
    const r = recorder();
    r.finish(START_US + S);
    const m = computeMetrics(r, { initialCapital: '1000', pnl: zeroPnl });
    expect(m.symbols[0].fillRatioQty).toBeNull();
    expect(m.symbols[0].orderToTradeRatio).toBeNull();
    expect(m.trading.quoteUptimePct).toBeNull();
    expect(m.ratios.sharpe).toBeNull();
    expect(JSON.stringify(m)).not.toMatch(/NaN/);
  });
});

describe('markouts', () => {
  it('use the first sample at or after t + h, in ticks and bps, quantity-weighted', () => {
    const r = recorder({ markoutHorizonsUs: [1 * S, 5 * S] });
    const sampleAt = (sec: number, mid: number): void =>
      r.sample(START_US + sec * S, flat(1000), [{ symbol: 'BTCUSDT', positionLots: 0, bestBidTicks: mid - 0.5, bestAskTicks: mid + 0.5, midTicks: mid, bidQuoteTicks: 0, askQuoteTicks: 0 }]);
    sampleAt(0, 1000.5);
    // buy 2 lots at 1000 (mid 1000.5) at 0.5 s; sell 1 lot at 1001 (mid 1000.5) at 0.5 s
    r.onFill({ tsUs: START_US + S / 2, symbol: 'BTCUSDT', side: 'buy', priceTicks: 1000, qtyLots: 2, liquidity: 'maker', commission: '0', midTicks: 1000.5, orderId: 1, clientOrderId: 'b' });
    r.onFill({ tsUs: START_US + S / 2, symbol: 'BTCUSDT', side: 'sell', priceTicks: 1001, qtyLots: 1, liquidity: 'maker', commission: '0', midTicks: 1000.5, orderId: 2, clientOrderId: 's' });
    sampleAt(1, 1003); // 1 s < 0.5 s + 1 s: not yet
    sampleAt(2, 1002); // h = 1 s resolves here: m = 1002
    for (let t = 3; t <= 5; t++) sampleAt(t, 999);
    sampleAt(6, 998); // h = 5 s resolves here (5.5 s): m = 998
    r.finish(START_US + 6 * S);
    const mk = computeMetrics(r, { initialCapital: '1000', pnl: zeroPnl }).symbols[0].markouts;
    // at the fill: buy (1000.5 − 1000) × 2 = 1, sell −(1000.5 − 1001) × 1 = 0.5 → 1.5 tick·lots / 3 lots
    expect(mk[0].ticks).toBeCloseTo(0.5, 12);
    // h = 1 s: buy (1002 − 1000) × 2 = 4; sell −(1002 − 1001) × 1 = −1 → 3 / 3 = 1 tick
    expect(mk[1].ticks).toBeCloseTo(1, 12);
    expect(mk[1].horizonSeconds).toBe(1);
    // bps: 3 tick·lots × 0.1 × 0.001 / Σ x·p = (2·100 + 1·100.1)·0.001 → 3e-4 / 0.3001 × 1e4
    expect(mk[1].bps!).toBeCloseTo((3e-4 / 0.3001) * 1e4, 9);
    // h = 5 s: buy (998 − 1000) × 2 = −4; sell −(998 − 1001) = 3 → −1 / 3
    expect(mk[2].ticks).toBeCloseTo(-1 / 3, 12);
    expect(mk[2].adverseSelectionBps!).toBeCloseTo(mk[0].bps! - mk[2].bps!, 12);
    expect(mk.map((x) => x.fills)).toEqual([2, 2, 2]);
  });

  it('fills too close to the end stay unresolved and are counted', () => {
    const r = recorder();
    r.sample(START_US, flat(1), [{ symbol: 'BTCUSDT', positionLots: 0, bestBidTicks: 10, bestAskTicks: 11, midTicks: 10.5, bidQuoteTicks: 0, askQuoteTicks: 0 }]);
    r.onFill({ tsUs: START_US + 100, symbol: 'BTCUSDT', side: 'buy', priceTicks: 10, qtyLots: 1, liquidity: 'maker', commission: '0', midTicks: 10.5, orderId: 1, clientOrderId: 'x' });
    r.sample(START_US + 2 * S, flat(1), [{ symbol: 'BTCUSDT', positionLots: 1, bestBidTicks: 10, bestAskTicks: 11, midTicks: 10.5, bidQuoteTicks: 0, askQuoteTicks: 0 }]);
    r.finish(START_US + 2 * S);
    const mk = computeMetrics(r, { initialCapital: '1', pnl: zeroPnl }).symbols[0].markouts;
    expect(mk.map((x) => [x.horizonSeconds, x.fills, x.unresolvedFills])).toEqual([[0, 1, 0], [1, 1, 0], [5, 0, 1], [30, 0, 1], [60, 0, 1]]);
    expect(mk[2].ticks).toBeNull();
  });
});

describe('samples, uptime, inventory, risk', () => {
  it('quote uptime, inventory stats, % time at limit and time halted', () => {
    const r = recorder({ positionLimitLots: { BTCUSDT: 4 } });
    const rows: [number, number, number][] = [
      [0, 100, 102], // pos, bid quote, ask quote
      [2, 100, 0],
      [-4, 99, 103],
      [4, 101, 104],
    ];
    rows.forEach(([pos, qb, qa], i) => r.sample(START_US + i * S, flat(1), [{ symbol: 'BTCUSDT', positionLots: pos, bestBidTicks: 100, bestAskTicks: 101, midTicks: 100.5, bidQuoteTicks: qb, askQuoteTicks: qa }]));
    r.onRiskEvent({ tsUs: START_US + S, symbol: 'BTCUSDT', from: 'ACTIVE', to: 'HALTED', reason: 'DRAWDOWN_STOP' });
    r.onRiskEvent({ tsUs: START_US + 3 * S, symbol: 'BTCUSDT', from: 'HALTED', to: 'REDUCING', reason: 'COOLDOWN' });
    r.finish(START_US + 4 * S);
    const s = computeMetrics(r, { initialCapital: '1', pnl: zeroPnl }).symbols[0];
    expect(s.quoteUptimePct).toBe(75);
    expect(s.inventory.meanQty).toBeCloseTo(0.0005, 12); // mean of 0, 2, −4, 4 lots = 0.5 lots
    expect(s.inventory.meanAbsQty).toBeCloseTo(0.0025, 12);
    expect(s.inventory.pctTimeAtLimit).toBe(50);
    expect(s.risk).toEqual({ haltTrips: 1, reduceTrips: 1, haltedSeconds: 2, reducingSeconds: 1, tripsByReason: { 'HALTED:DRAWDOWN_STOP': 1, 'REDUCING:COOLDOWN': 1 } });
  });

  it('rejects off-grid and non-increasing samples and unknown symbols', () => {
    const r = recorder();
    const sym = [{ symbol: 'BTCUSDT', positionLots: 0, bestBidTicks: 1, bestAskTicks: 2, midTicks: 1.5, bidQuoteTicks: 0, askQuoteTicks: 0 }];
    expect(() => r.sample(START_US + 1, flat(1), sym)).toThrow(/off the grid/);
    r.sample(START_US + S, flat(1), sym);
    expect(() => r.sample(START_US + S, flat(1), sym)).toThrow(/does not follow/);
    expect(() => r.onFill({ tsUs: 0, symbol: 'XRPUSDT', side: 'buy', priceTicks: 1, qtyLots: 1, liquidity: 'maker', commission: '0', midTicks: 1, orderId: 1, clientOrderId: 'x' })).toThrow(/XRPUSDT/);
    expect(r.nextSampleUs(START_US + S)).toBe(START_US + 2 * S);
    expect(r.nextSampleUs(START_US + S + 1)).toBe(START_US + 2 * S);
  });
});
