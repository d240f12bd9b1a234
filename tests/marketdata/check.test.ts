// DataChecker on hand-built event sequences: trade-id gaps (trade and aggTrade), the bookTicker oracle
// (match, mismatch, a bookTicker arriving before its depth event), the fused book against every
// bookTicker with the depth lag, and isClean.
import { describe, expect, it } from 'vitest';
import { DataChecker, isClean } from '../../src/marketdata/index.ts';
import { HBT_BTC, haveReal, loadRealEvents, realSpecs } from '../support/shared-data.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';

const inst = syntheticInstrument();
const stamp = (t: number) => ({ symbol: 'BTCUSDT', tsExchangeUs: t, tsReceiveUs: t + 100 });
const snapshot = (t: number, id: number): MarketEvent => ({ ...stamp(t), type: 'snapshot', tsTransactUs: t, lastUpdateId: id, bidTicks: [1000], bidLots: [5], askTicks: [1001], askLots: [7] });
const diff = (t: number, U: number, u: number, pu: number, bid: [number, number]): MarketEvent => ({
  ...stamp(t), type: 'depth', tsTransactUs: t, firstUpdateId: U, finalUpdateId: u, prevFinalUpdateId: pu, bidTicks: [bid[0]], bidLots: [bid[1]], askTicks: [], askLots: [],
});
const ticker = (t: number, u: number, bidTicks: number, bidLots: number): MarketEvent => ({ ...stamp(t), type: 'bookTicker', tsTransactUs: t, updateId: u, bidTicks, bidLots, askTicks: 1001, askLots: 7 });
const trade = (t: number, id: number): MarketEvent => ({ ...stamp(t), type: 'trade', tsTransactUs: t, tradeId: id, priceTicks: 1000, qtyLots: 1, buyerIsMaker: true });
const agg = (t: number, first: number, last: number): MarketEvent => ({ ...stamp(t), type: 'aggTrade', tsTransactUs: t, aggTradeId: first, firstTradeId: first, lastTradeId: last, priceTicks: 1000, qtyLots: 1, buyerIsMaker: true });

function check(events: MarketEvent[]) {
  const c = new DataChecker(() => inst);
  c.onBatch(events);
  return c.report();
}

describe('DataChecker', () => {
  it('matches bookTickers with the replayed top, before or after their depth event', () => {
    const r = check([
      snapshot(1, 10),
      ticker(2, 12, 1000, 9), // arrives before the diff with u=12
      diff(3, 11, 12, 10, [1000, 9]),
      diff(4, 13, 14, 12, [999, 3]),
      ticker(5, 14, 1000, 9),
      ticker(6, 99, 1, 1), // never matches a depth u: counted in total only
    ]);
    const s = r.symbols.BTCUSDT;
    expect(s.bookTicker).toEqual({ total: 3, checked: 2, matched: 2 });
    expect([s.gaps, s.crossed, s.depthEvents, s.snapshots]).toEqual([0, 0, 2, 1]);
    expect(s.finalBook).toEqual({ bestBid: '100.0', bestAsk: '100.1', bidLevels: 2, askLevels: 1, valid: true });
    expect(s.clockOffsetUs).toBe(100);
    expect([s.firstTsUs, s.lastTsUs]).toEqual([1, 6]);
    expect(isClean(r)).toBe(true);
  });

  it('a bookTicker that disagrees with the replayed book is a mismatch and not clean', () => {
    const r = check([snapshot(1, 10), diff(2, 11, 12, 10, [1000, 9]), ticker(3, 12, 1000, 8)]);
    const s = r.symbols.BTCUSDT;
    expect(s.bookTicker).toEqual({ total: 1, checked: 1, matched: 0 });
    expect(s.mismatches).toEqual([{ updateId: 12, expected: '100.0x0.008 / 100.1x0.007', replayed: '100.0x0.009 / 100.1x0.007' }]);
    expect(isClean(r)).toBe(false);
  });

  it('counts trade-id gaps of trades and aggTrades separately from each other', () => {
    const r = check([trade(1, 5), trade(2, 6), trade(3, 8), agg(1, 100, 102), agg(2, 103, 103), agg(3, 105, 106)]);
    const s = r.symbols.BTCUSDT;
    expect([s.trades, s.aggTrades, s.tradeIdGaps]).toEqual([3, 3, 2]);
    expect(isClean(r)).toBe(false);
    expect(isClean(check([trade(1, 5), trade(2, 6)]))).toBe(true);
  });
  it('depth that never syncs (no snapshot) is a finding, not a clean pass', () => {
    const r = check([diff(1, 11, 12, 10, [1000, 9]), diff(2, 13, 14, 12, [999, 3]), ticker(3, 14, 1000, 9)]);
    const s = r.symbols.BTCUSDT;
    expect(s.bookTicker).toEqual({ total: 1, checked: 0, matched: 0 });
    expect(s.finalBook.valid).toBe(false);
    expect(isClean(r)).toBe(false);
    // Trades and tickers alone (no depth at all) need no book to be clean.
    expect(isClean(check([trade(1, 1), trade(2, 2), ticker(3, 5, 1000, 1)]))).toBe(true);
  });

  // Fails before issue 9: the report had no fused-book check (only bookTickers whose u equals a depth u).
  it('checks every bookTicker against the depth and the fused book, and measures the depth lag on update ids', () => {
    const r = check([
      snapshot(1, 10),
      diff(2, 11, 12, 10, [1000, 9]), // in sync: 1000x9 / 1001x7
      ticker(3, 12, 1000, 9), // stale: the depth book is at u 12 already; it agrees
      ticker(4, 15, 1000, 4), // ahead: same prices, another quantity
      ticker(6, 16, 999, 2), // ahead: the bid moved down
      diff(10, 13, 15, 12, [1000, 4]), // reaches u 15 (lag 110 - 104 = 6 µs); the bookTicker at 16 is still newer
      diff(20, 16, 17, 15, [1000, 0]), // reaches u 16 (lag 120 - 106 = 14 µs)
    ]);
    const f = r.symbols.BTCUSDT.fused;
    expect(f).toEqual({ compared: 3, depthAgreed: 1, fusedAgreed: 3, depthPriceAgreed: 2, fusedPriceAgreed: 3, stale: 1, mismatched: 0, ahead: 2, lagMedianUs: 10, lagP99Us: 14, mismatches: [] });
    expect(isClean(r)).toBe(true);
  });

  it('a bookTicker the fused book cannot show (crossed) is a fused mismatch and not clean', () => {
    const r = check([snapshot(1, 10), diff(2, 11, 12, 10, [1000, 9]), ticker(3, 13, 1001, 1)]);
    const f = r.symbols.BTCUSDT.fused;
    expect([f.compared, f.ahead, f.mismatched]).toEqual([1, 1, 1]);
    expect(f.mismatches).toEqual([{ updateId: 13, expected: '100.1x0.001 / 100.1x0.007', fused: '100.0x0.009 / 100.1x0.007' }]);
    expect(isClean(r)).toBe(false);
  });

  it.skipIf(!haveReal)('real BTCUSDT 2024-08-08: the fused book shows every newer bookTicker; the depth stream lags ~26 ms', async () => {
    const c = new DataChecker((sym) => realSpecs().get(sym));
    c.onBatch(await loadRealEvents(HBT_BTC, { specs: realSpecs() }));
    const s = c.report().symbols.BTCUSDT;
    const f = s.fused;
    expect(s.bookTicker).toEqual({ total: 66_089, checked: 629, matched: 629 });
    expect(f.compared).toBeGreaterThan(66_000);
    expect(f.mismatched).toBe(0);
    // Depth alone shows the bookTicker's best prices about two times in three; the fused book nearly always
    // (the rest are bookTickers older than a depth event that already arrived).
    expect(f.depthPriceAgreed / f.compared).toBeGreaterThan(0.55);
    expect(f.depthPriceAgreed / f.compared).toBeLessThan(0.7);
    expect(f.fusedPriceAgreed / f.compared).toBeGreaterThan(0.99);
    expect(f.stale + f.ahead).toBe(f.compared);
    expect(f.lagMedianUs).toBeGreaterThan(15_000);
    expect(f.lagMedianUs).toBeLessThan(40_000);
    expect(f.lagP99Us).toBeLessThan(100_000);
  }, 60_000);
});
