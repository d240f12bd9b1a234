// Funding edges of the simulated exchange (src/sim-exchange/funding.ts) that survived the mutation
// run of 06ced88 (issue 15, docs/mutation/sim-exchange-survivors.md): imported histories of several
// symbols that end at different times, a history entirely before the run, a record at exactly an
// event's time, a funding time the markPrice data settled before the clock reached it, a rate seen
// before any funding time, the event filter (`accepts`) of the fixed schedule, and the error of a
// malformed mark price in a settlement record.
import { describe, expect, it } from 'vitest';
import { NumberFormatError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/random.ts';
import type { FundingSettlement } from '../../src/model/venue.ts';
import { SimExchange, type SimExchangeOptions } from '../../src/sim-exchange/index.ts';
import { ASK, exchange, instrument, mark, order, standardBook, ticker } from './helpers.ts';

const H = 3_600_000_000;
const T0 = Date.UTC(2024, 7, 8, 0) * 1000;
const MARKET = { type: 'MARKET', timeInForce: 'IOC', priceTicks: 0 } as const;

/** BTCUSDT and ETHUSDT (same grid), no fees, both with the standard book. */
function twoSymbols(opts: Partial<SimExchangeOptions>): SimExchange {
  const eth = instrument({ symbol: 'ETHUSDT', baseAsset: 'ETH' });
  const ex = new SimExchange({ instruments: [instrument(), eth], rng: new Rng(1), queueModel: { model: 'risk-averse' }, fees: { default: { makerRate: '0', takerRate: '0' } }, ...opts });
  ex.onMarketEvent(standardBook(T0));
  ex.onMarketEvent({ ...standardBook(T0), symbol: 'ETHUSDT' });
  return ex;
}

const fundingOf = (ex: SimExchange): FundingSettlement[] => ex.drainEvents().flatMap((e) => (e.kind === 'funding' ? [e.settlement] : []));

describe('imported funding histories of several symbols', () => {
  it('a symbol without a history and a symbol whose history has ended are skipped; the others settle on', () => {
    const history = { ETHUSDT: [{ tsUs: T0 + H, rate: '0.0001' }, { tsUs: T0 + 2 * H, rate: '0.0002' }, { tsUs: T0 + 3 * H, rate: '0.0003' }] };
    // BTCUSDT has no history at all; then ETHUSDT alone.
    const one = twoSymbols({ funding: { mode: 'data', history } });
    one.send({ kind: 'submit', order: { symbol: 'ETHUSDT', clientOrderId: 'e', side: 'buy', type: 'MARKET', timeInForce: 'IOC', priceTicks: 0, qtyLots: 1, reduceOnly: false } }, T0 + 1);
    one.onMarketEvent(ticker(T0 + 3 * H + 1, 599_990, 5, ASK, 5));
    expect(fundingOf(one).map((f) => [f.symbol, f.tsUs, f.positionLots, f.payment])).toEqual([
      ['ETHUSDT', T0 + H, 1, '-0.00599995'],
      ['ETHUSDT', T0 + 2 * H, 1, '-0.0119999'],
      ['ETHUSDT', T0 + 3 * H, 1, '-0.01799985'],
    ]);
    // BTCUSDT's history ends first (one record), ETHUSDT's goes on.
    const two = twoSymbols({ funding: { mode: 'data', history: { ...history, BTCUSDT: [{ tsUs: T0 + H, rate: '0.001' }] } } });
    two.onMarketEvent(ticker(T0 + 2 * H + 1, 599_990, 5, ASK, 5));
    two.onMarketEvent(ticker(T0 + 3 * H, 599_990, 5, ASK, 5));
    expect(fundingOf(two).map((f) => [f.symbol, f.tsUs, f.rate])).toEqual([
      ['BTCUSDT', T0 + H, '0.001'],
      ['ETHUSDT', T0 + H, '0.0001'],
      ['ETHUSDT', T0 + 2 * H, '0.0002'],
      ['ETHUSDT', T0 + 3 * H, '0.0003'],
    ]);
  });

  it('a history entirely at or before the start of the run settles nothing', () => {
    const ex = twoSymbols({ funding: { mode: 'data', history: { BTCUSDT: [{ tsUs: T0 - 8 * H, rate: '0.0001' }, { tsUs: T0, rate: '0.0002' }] } } });
    ex.onMarketEvent(ticker(T0 + 24 * H, 599_990, 5, ASK, 5));
    expect(fundingOf(ex)).toEqual([]);
    expect(ex.counters.fundingSettlements + ex.counters.fundingSkipped).toBe(0);
  });

  it('a record at exactly the time of an event is settled by that event', () => {
    const ex = exchange({ funding: { mode: 'data', history: { BTCUSDT: [{ tsUs: T0 + H, rate: '0.0001' }] } } });
    ex.onMarketEvent(standardBook(T0));
    ex.onCommand(order('m', 'sell', 0, 2, MARKET), T0 + 1);
    ex.onMarketEvent(ticker(T0 + H, 599_990, 5, ASK, 5));
    expect(ex.drainFunding().map((f) => [f.tsUs, f.positionLots, f.payment])).toEqual([[T0 + H, -2, '0.0119999']]);
  });

  it('funding times the markPrice data already settled are not settled again from the history', () => {
    // The stream announces T0+2H, then (ahead of the clock) T0+3H: T0+2H is settled from the stream.
    // The history's records of T0+H (before the one settled) and T0+2H (the same) must not follow.
    const history = { BTCUSDT: [{ tsUs: T0 + H, rate: '0.0005' }, { tsUs: T0 + 2 * H, rate: '0.0005' }, { tsUs: T0 + 4 * H, rate: '0.0004' }] };
    const ex = exchange({ funding: { mode: 'data', history } });
    ex.onMarketEvent(standardBook(T0));
    ex.onCommand(order('m', 'buy', 0, 1, MARKET), T0 + 1);
    ex.onMarketEvent(mark(T0 + 10, '60000', '0.0001', T0 + 2 * H));
    ex.onMarketEvent(mark(T0 + 20, '60000', '0.0002', T0 + 3 * H));
    expect(ex.drainFunding().map((f) => [f.tsUs, f.rate])).toEqual([[T0 + 2 * H, '0.0001']]);
    ex.onMarketEvent(ticker(T0 + 4 * H, 599_990, 5, ASK, 5));
    expect(ex.drainFunding().map((f) => [f.tsUs, f.rate])).toEqual([[T0 + 4 * H, '0.0004']]);
  });
});

describe('funding from markPrice data', () => {
  it('a rate seen before any funding time was announced settles nothing when the first one is announced', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(T0));
    ex.onCommand(order('m', 'buy', 0, 1, MARKET), T0 + 1);
    ex.onMarketEvent(mark(T0 + 10, '60000', '0.0001')); // a rate, no funding time
    ex.onMarketEvent(mark(T0 + 20, '60000', '0.0001', T0 + 8 * H));
    expect(ex.drainFunding()).toEqual([]);
    expect(ex.counters.fundingSettlements).toBe(0);
    ex.onMarketEvent(mark(T0 + 8 * H + 10, '60000', '0.0002', T0 + 16 * H));
    expect(ex.drainFunding().map((f) => [f.tsUs, f.rate, f.payment])).toEqual([[T0 + 8 * H, '0.0001', '-0.006']]);
  });

  it('a settlement record with a malformed mark price is refused naming the symbol\'s markPrice', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook(T0));
    let err: unknown;
    try {
      ex.onMarketEvent(mark(T0 + 8 * H, '60,000', '0.0001', T0 + 8 * H));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NumberFormatError);
    expect((err as NumberFormatError).message).toBe('BTCUSDT.markPrice: "60,000" is not a decimal number');
    expect((err as NumberFormatError).location.field).toBe('BTCUSDT.markPrice');
  });
});

describe('the fixed schedule needs every event', () => {
  it('accepts() takes every event in rate mode (each event\'s time may reach a funding time)', () => {
    const rate = exchange({ funding: { mode: 'rate', rate: '0.0001' } });
    const data = exchange({ funding: { mode: 'data' } });
    for (const type of ['forceOrder', 'aggTrade'] as const) {
      expect(rate.accepts(type, 'BTCUSDT')).toBe(true);
      expect(data.accepts(type, 'BTCUSDT')).toBe(false);
    }
  });
});
