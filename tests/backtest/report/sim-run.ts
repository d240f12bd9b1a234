/**
 * A small seeded market-making run for the report tests: a random-walk BBO, our quotes one tick
 * behind the touch, maker fills when the walk reaches them, a few taker fills, rejects, a risk
 * halt and a funding settlement — booked in a real Portfolio, so the PnL decomposition is the
 * ledger's exact one.
 */
import { Rng } from '../../../src/core/index.ts';
import { Instrument, SpecRegistry, type InstrumentSpec } from '../../../src/model/index.ts';
import { Portfolio } from '../../../src/portfolio/index.ts';
import { formatScaled } from '../../../src/model/money.ts';
import { computeMetrics, EventLogHasher, RunRecorder, type RunInfo, type RunMetrics, type SymbolSample } from '../../../src/backtest/report/index.ts';

const base = {
  contractType: 'PERPETUAL', minPrice: '556.8', maxPrice: '4529764', minQty: '0.001', maxQty: '1000',
  marketMinQty: '0.001', marketMaxQty: '120', minNotional: '5', source: { kind: 'manual' as const, asOf: '2024-08-08T00:00:00.000Z' },
};
export const BTCUSDT: InstrumentSpec = { ...base, symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT', marginAsset: 'USDT', tickSize: '0.1', stepSize: '0.001' };
export const ETHUSDT: InstrumentSpec = { ...base, symbol: 'ETHUSDT', baseAsset: 'ETH', quoteAsset: 'USDT', marginAsset: 'USDT', tickSize: '0.01', stepSize: '0.001', minPrice: '39.86' };

export const START_US = Date.UTC(2024, 7, 8, 0, 0, 0) * 1000;

export interface SimResult {
  rec: RunRecorder;
  metrics: RunMetrics;
  info: RunInfo;
  hasher: EventLogHasher;
  portfolio: Portfolio;
}

/** Commission exactly: notional (ticks·lots·tick·step) × rate, rate in 10^-9 units. */
function commission(ins: Instrument, ticks: number, lots: number, rateNano: number): string {
  // notional units: 10^-(pd+qd); × rateNano 10^-9.
  return formatScaled(BigInt(ticks * ins.tickUnits) * BigInt(lots * ins.stepUnits) * BigInt(rateNano), ins.priceDecimals + ins.qtyDecimals + 9);
}

export function simulateRun(opts: { seed: number; minutes: number; symbols?: InstrumentSpec[]; spillDir?: string; chunkRows?: number; stepUs?: number; encodeThread?: boolean }): SimResult {
  const specs = opts.symbols ?? [BTCUSDT];
  const reg = new SpecRegistry();
  reg.addAll(specs);
  const instruments = specs.map((s) => new Instrument(s));
  const rng = new Rng(opts.seed);
  const portfolio = new Portfolio(reg);
  portfolio.deposit({ asset: 'USDT', amount: '10000', tsUs: START_US });
  const limit: Record<string, number> = {};
  for (const i of instruments) limit[i.symbol] = 40;
  const rec = new RunRecorder({ instruments, startUs: START_US, positionLimitLots: limit, spillDir: opts.spillDir, chunkRows: opts.chunkRows ?? 256, encodeThread: opts.encodeThread === true ? { bundle: null } : null });
  const hasher = new EventLogHasher();
  const stepUs = opts.stepUs ?? 100_000;
  const endUs = START_US + opts.minutes * 60_000_000;
  const state = instruments.map((ins, k) => ({ ins, bid: k === 0 ? 600_000 : 250_000, pos: 0, qb: 0, qa: 0, oid: 1, state: 'ACTIVE' as 'ACTIVE' | 'HALTED' }));
  let nextSample = START_US;
  for (let t = START_US; t <= endUs; t += stepUs) {
    for (const s of state) {
      const { ins } = s;
      const u = rng.next();
      if (u < 0.08) s.bid += 1;
      else if (u < 0.16) s.bid -= 1;
      const ask = s.bid + 1;
      const mid = s.bid + 0.5;
      // risk halt between minutes 3 and 4
      const halted = t >= START_US + 180e6 && t < START_US + 240e6;
      if (halted && s.state === 'ACTIVE') {
        rec.onRiskEvent({ tsUs: t, symbol: ins.symbol, from: 'ACTIVE', to: 'HALTED', reason: 'VOLATILITY_HALT' });
        hasher.add('risk', t, ins.symbol, 'HALTED');
        s.state = 'HALTED';
        for (const side of ['buy', 'sell'] as const) rec.onOrder({ tsUs: t, symbol: ins.symbol, kind: 'cancel', clientOrderId: `${ins.symbol}-${side}`, side });
        s.qb = 0;
        s.qa = 0;
      } else if (!halted && s.state === 'HALTED') {
        rec.onRiskEvent({ tsUs: t, symbol: ins.symbol, from: 'HALTED', to: 'ACTIVE', reason: 'RECOVERED' });
        hasher.add('risk', t, ins.symbol, 'ACTIVE');
        s.state = 'ACTIVE';
      }
      // re-quote once a second, one tick behind the touch, not beyond the limit
      if (!halted && (t - START_US) % 1_000_000 === 0) {
        const wantB = s.pos < 40 ? s.bid - 1 : 0;
        const wantA = s.pos > -40 ? ask + 1 : 0;
        for (const [side, want, cur] of [['buy', wantB, s.qb], ['sell', wantA, s.qa]] as const) {
          if (want === cur) continue;
          const id = `${ins.symbol}-${s.oid++}`;
          if (cur > 0) rec.onOrder({ tsUs: t, symbol: ins.symbol, kind: 'cancel', clientOrderId: id, side });
          if (want > 0) {
            if (rng.next() < 0.03) {
              rec.onOrder({ tsUs: t, symbol: ins.symbol, kind: 'reject', clientOrderId: id, side, orderType: 'LIMIT', timeInForce: 'GTX', priceTicks: want, qtyLots: 2, reason: '-5022' });
              hasher.add('reject', t, id);
              if (side === 'buy') s.qb = 0;
              else s.qa = 0;
              continue;
            }
            rec.onOrder({ tsUs: t, symbol: ins.symbol, kind: 'submit', clientOrderId: id, orderId: s.oid, side, orderType: 'LIMIT', timeInForce: 'GTX', priceTicks: want, qtyLots: 2, reduceOnly: false });
            hasher.add('submit', t, id, side, want, 2);
          }
          if (side === 'buy') s.qb = want;
          else s.qa = want;
        }
      }
      // maker fills when the touch reaches our quote; occasionally a taker fill at the touch
      const fill = (side: 'buy' | 'sell', price: number, lots: number, liquidity: 'maker' | 'taker'): void => {
        const fee = commission(ins, price, lots, liquidity === 'maker' ? -50_000 : 400_000);
        rec.onFill({ tsUs: t, symbol: ins.symbol, side, priceTicks: price, qtyLots: lots, liquidity, commission: fee, midTicks: mid, orderId: s.oid, clientOrderId: `${ins.symbol}-${s.oid}` });
        portfolio.applyFill({ symbol: ins.symbol, side, qtyLots: lots, priceTicks: price, fee, liquidity, tsUs: t, midTicks: mid });
        hasher.add('fill', t, ins.symbol, side, price, lots, liquidity, fee);
        s.pos += side === 'buy' ? lots : -lots;
      };
      if (s.qb > 0 && s.bid <= s.qb) {
        fill('buy', s.qb, 2, 'maker');
        s.qb = 0;
      }
      if (s.qa > 0 && ask >= s.qa) {
        fill('sell', s.qa, 2, 'maker');
        s.qa = 0;
      }
      if (!halted && rng.next() < 0.003) fill(rng.next() < 0.5 ? 'buy' : 'sell', rng.next() < 0.5 ? ask : s.bid, 1, 'taker');
      if (t === START_US + 300e6) {
        const markPrice = ins.ticksToPrice(s.bid);
        const payment = portfolio.applyFunding({ symbol: ins.symbol, tsUs: t, markPrice, rate: '0.0001' });
        rec.onFunding({ tsUs: t, symbol: ins.symbol, rate: '0.0001', markPrice, positionLots: s.pos, payment });
      }
    }
    if (t === nextSample) {
      const syms: SymbolSample[] = state.map((s) => {
        portfolio.mark({ symbol: s.ins.symbol, priceTicks: s.bid + 0.5 });
        return { symbol: s.ins.symbol, positionLots: s.pos, bestBidTicks: s.bid, bestAskTicks: s.bid + 1, midTicks: s.bid + 0.5, bidQuoteTicks: s.qb, askQuoteTicks: s.qa };
      });
      const snap = portfolio.snapshot(t);
      const p = snap.pnlFloats('USDT');
      rec.sample(t, { equity: snap.equityFloat('USDT'), wallet: snap.walletFloat('USDT'), unrealized: snap.unrealizedFloat('USDT'), spreadCapture: p.spreadCapture, inventory: p.inventory, fees: p.fees, funding: p.funding, total: p.total }, syms);
      nextSample = rec.nextSampleUs(t);
    }
  }
  rec.finish(endUs);
  const metrics = computeMetrics(rec, { initialCapital: '10000', pnl: portfolio.accountSnapshot('USDT').pnl });
  const info: RunInfo = { runId: `test-${opts.seed}`, scenarioName: 'report-test', scenarioSource: 'tests/backtest/report/sim-run.ts', seed: opts.seed, dataFingerprint: 'sha256:0000test', codeVersion: '0.1.0+test', dataKind: 'synthetic top of book', determinismHash: hasher.digest() };
  return { rec, metrics, info, hasher, portfolio };
}
