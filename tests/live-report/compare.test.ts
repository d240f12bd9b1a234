// Live vs simulated matching (src/live-report/compare.ts): fills paired by time within the window,
// orders matched by their number when both cores took the same decision, fill statistics, and
// which orders count as quoting on the live side.
import { describe, expect, it } from 'vitest';
import { Instrument } from '../../src/model/instrument.ts';
import { fillStats, matchByOrder, matchByTime, orderSeq, restsAtVenue, type BookedFill, type CreatedOrder } from '../../src/live-report/index.ts';
import { ORDER_STATES } from '../../src/oms/index.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';

const INST: Instrument = syntheticInstrument('BTCUSDT');
const S = 'BTCUSDT';

const fill = (tsUs: number, side: 'buy' | 'sell', priceTicks: number, qtyLots = 1, seq = '1', over: Partial<BookedFill> = {}): BookedFill => ({ symbol: S, clientOrderId: `mk-x-${seq}`, seq, side, priceTicks, qtyLots, liquidity: 'maker', commission: '0.01', tsUs, ...over });
const order = (seq: string, side: 'buy' | 'sell', priceTicks: number, qtyLots = 2, symbol = S): CreatedOrder => ({ symbol, clientOrderId: `mk-x-${seq}`, seq, side, priceTicks, qtyLots, tsUs: 0 });

describe('matchByTime', () => {
  it('pairs each live fill with the nearest unpaired simulated fill of the same side and price inside the window', () => {
    const live = [fill(1_000_000, 'buy', 100), fill(2_000_000, 'sell', 101), fill(3_000_000, 'buy', 100), fill(9_000_000, 'buy', 100)];
    const sim = [
      fill(1_300_000, 'buy', 100), // pairs with the first live fill (0.3 s)
      fill(1_900_000, 'sell', 102), // other price: never
      fill(2_400_000, 'buy', 100), // nearer to live #3 than #1? |2.4-3.0| = 0.6: pairs with live #3
      fill(2_600_000, 'sell', 101), // pairs with live #2 (0.6 s)
      fill(20_000_000, 'buy', 100), // outside every window
    ];
    const m = matchByTime(S, live, sim, 1_000_000);
    expect(m).toMatchObject({ liveFills: 4, simFills: 5, paired: 3, liveMatchedRate: 0.75, simMatchedRate: 0.6, maxAbsOffsetUs: 600_000 });
    expect(m.meanAbsOffsetUs).toBeCloseTo((300_000 + 600_000 + 600_000) / 3, 6);
    expect(m.meanOffsetUs).toBeCloseTo((300_000 + 600_000 - 600_000) / 3, 6);
    // A simulated fill is used once: two live fills at the same time, one simulated.
    const twice = matchByTime(S, [fill(5, 'buy', 100), fill(5, 'buy', 100)], [fill(6, 'buy', 100)], 1_000_000);
    expect(twice.paired).toBe(1);
    // Other symbols are not counted; nothing at all gives nulls.
    expect(matchByTime(S, [fill(1, 'buy', 1, 1, '1', { symbol: 'ETHUSDT' })], [], 10)).toMatchObject({ liveFills: 0, paired: 0, liveMatchedRate: null, meanAbsOffsetUs: null });
  });

  it('is independent of the order the fills were booked in', () => {
    const live = [fill(3, 'buy', 100), fill(1, 'buy', 100), fill(2, 'sell', 100)];
    const sim = [fill(2, 'buy', 100), fill(1, 'sell', 100), fill(4, 'buy', 100)];
    expect(matchByTime(S, live, sim, 10)).toEqual(matchByTime(S, [...live].reverse(), [...sim].reverse(), 10));
  });
});

describe('matchByOrder', () => {
  it('counts the same orders (number, side, price, quantity) and which of them filled where', () => {
    const live = [order('1', 'buy', 100), order('2', 'sell', 105), order('3', 'buy', 99), order('4', 'sell', 104)];
    const sim = [order('1', 'buy', 100), order('2', 'sell', 105), order('3', 'buy', 98), order('4', 'sell', 104), order('5', 'buy', 97)];
    const lf = [fill(1, 'buy', 100, 1, '1'), fill(2, 'buy', 100, 1, '1'), fill(3, 'sell', 104, 2, '4'), fill(4, 'buy', 99, 2, '3')];
    const sf = [fill(1, 'buy', 100, 2, '1'), fill(2, 'sell', 105, 2, '2'), fill(3, 'buy', 97, 2, '5')];
    const m = matchByOrder(S, live, sim, lf, sf);
    expect(m).toEqual({
      liveOrders: 4,
      simOrders: 5,
      sameOrders: 3,
      firstDifferentOrder: '3',
      liveFilledOrders: 3,
      simFilledOrders: 3,
      filledBoth: 1, // order 1
      filledLiveOnly: 1, // order 4
      filledSimOnly: 1, // order 2
      matchRate: 1 / 3,
    });
    expect(matchByOrder(S, [], [], [], []).matchRate).toBeNull();
  });

  it('reads the order number after the last dash of a client order id', () => {
    expect(orderSeq('mk-mip3x1k0-1z')).toBe('1z');
    expect(orderSeq('mk-12')).toBe('12');
  });
});

describe('fillStats', () => {
  it('sums quantity, notional, maker share, commissions and volume-weighted prices per side', () => {
    const st = fillStats([fill(1, 'buy', 1000, 2), fill(2, 'buy', 1010, 1, '2', { liquidity: 'taker', commission: '0.02' }), fill(3, 'sell', 1020, 3)], INST);
    const px = (ticks: number): number => INST.ticksToFloat(ticks);
    const q = (lots: number): number => INST.lotsToFloat(lots);
    expect(st.fills).toBe(3);
    expect(st.qtyLots).toBe(6);
    expect(st.buyFills).toBe(2);
    expect(st.sellFills).toBe(1);
    expect(st.makerQtyPct).toBeCloseTo((100 * 5) / 6, 9);
    expect(st.vwapBuy).toBeCloseTo((px(1000) * q(2) + px(1010) * q(1)) / q(3), 9);
    expect(st.vwapSell).toBeCloseTo(px(1020), 9);
    expect(st.notional).toBeCloseTo(px(1000) * q(2) + px(1010) * q(1) + px(1020) * q(3), 9);
    expect(st.commission).toBeCloseTo(0.04, 12);
    expect(fillStats([], INST)).toMatchObject({ fills: 0, vwapBuy: null, vwapSell: null, makerQtyPct: null });
  });
});

describe('restsAtVenue (the live side of quote uptime)', () => {
  it('counts acknowledged orders until the venue confirms them gone, a modify or cancel in flight included; never one of unknown outcome', () => {
    const resting = ORDER_STATES.filter((state) => restsAtVenue({ state, unknown: false }));
    expect(resting).toEqual(['open', 'partially-filled', 'pending-cancel', 'pending-modify']);
    expect(ORDER_STATES.filter((state) => restsAtVenue({ state, unknown: true }))).toEqual([]);
  });
});
