// Funding from an imported history (FundingConfig.history, data mode): settled at each record's
// time and rate at the mark (or the mid), once per funding time, records before the run ignored.
// The exchange ignored histories before (no such option): every test here fails on the old code.
import { describe, expect, it } from 'vitest';
import { ASK, BID, exchange, mark, order, standardBook, ticker } from './helpers.ts';

const H = 3_600_000_000;
const T0 = Date.UTC(2024, 7, 8, 23) * 1000; // 23:00 UTC

describe('imported funding history', () => {
  it('settles each record after the start at its time and rate, at the book mid, with the position then', () => {
    const history = { BTCUSDT: [{ tsUs: T0 - 7 * H, rate: '0.5' }, { tsUs: T0 + H, rate: '0.0001' }, { tsUs: T0 + 9 * H, rate: '-0.0002' }] };
    const ex = exchange({ funding: { mode: 'data', history } });
    ex.onMarketEvent(standardBook(T0));
    ex.onCommand(order('t', 'sell', BID, 3, { type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 }), T0 + 10);
    ex.onMarketEvent(ticker(T0 + H - 1, BID, 5, ASK, 5));
    expect(ex.drainFunding()).toEqual([]);
    ex.onMarketEvent(ticker(T0 + H + 5, BID, 5, ASK, 5));
    // Short 3 lots (0.003) × mid 59999.5 × 0.0001 received: +0.01799985.
    expect(ex.drainFunding()).toEqual([{ symbol: 'BTCUSDT', tsUs: T0 + H, markPrice: '59999.5', rate: '0.0001', positionLots: -3, payment: '0.01799985' }]);
    ex.onMarketEvent(ticker(T0 + 10 * H, BID, 5, ASK, 5));
    expect(ex.drainFunding().map((f) => [f.tsUs, f.rate, f.payment])).toEqual([[T0 + 9 * H, '-0.0002', '-0.0359997']]);
  });

  it('prefers the mark price when one is known, and never settles a funding time twice', () => {
    const history = { BTCUSDT: [{ tsUs: T0 + H, rate: '0.0001' }] };
    const ex = exchange({ funding: { mode: 'data', history } });
    ex.onMarketEvent(standardBook(T0));
    ex.onMarketEvent(mark(T0 + 1, '60010'));
    ex.onCommand(order('t', 'buy', ASK, 1, { type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 }), T0 + 2);
    ex.onMarketEvent(mark(T0 + H + 1, '60020', '0.0001', T0 + H)); // a settlement record of the same time in the data
    ex.onMarketEvent(mark(T0 + H + 2, '60030'));
    const f = ex.drainFunding();
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ tsUs: T0 + H, markPrice: '60010', positionLots: 1, payment: '-0.006001' });
  });

  it('every event counts for the schedule (accepts() cannot skip one)', () => {
    const ex = exchange({ funding: { mode: 'data', history: { BTCUSDT: [{ tsUs: T0 + H, rate: '0.0001' }] } } });
    expect(ex.accepts('aggTrade', 'BTCUSDT')).toBe(true);
    expect(exchange({ funding: { mode: 'data' } }).accepts('aggTrade', 'BTCUSDT')).toBe(false);
  });
});
