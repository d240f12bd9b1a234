import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadExchangeInfoFile, specsFromExchangeInfo } from '../../src/adapter/binance/index.ts';
import { Instrument, SpecRegistry, inferSpec } from '../../src/model/index.ts';
import { MakerError } from '../../src/core/index.ts';
import { BINANCE_FIXTURES, EXCHANGE_INFO, haveShared } from '../support/shared-data.ts';

const TRIMMED = join(BINANCE_FIXTURES, 'http_json', 'exchange_info_usdm.json');

const btcSpec = {
  symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT', marginAsset: 'USDT', contractType: 'PERPETUAL',
  tickSize: '0.1', minPrice: '556.8', maxPrice: '4529764', stepSize: '0.001', minQty: '0.001', maxQty: '1000',
  marketMinQty: '0.001', marketMaxQty: '120', minNotional: '5', source: { kind: 'manual' as const, asOf: '2024-08-08T00:00:00.000Z' },
};

describe('Instrument', () => {
  const btc = new Instrument(btcSpec);
  it('converts prices and quantities exactly', () => {
    expect(btc.priceToTicks('61800.20')).toBe(618002);
    expect(btc.ticksToPrice(618002)).toBe('61800.2');
    expect(btc.qtyToLots('2.507')).toBe(2507);
    expect(btc.lotsToQty(2507)).toBe('2.507');
    expect(btc.qtyToLots('0.000')).toBe(0);
    expect(() => btc.priceToTicks('61800.25')).toThrow(/not a multiple of tick size/);
    expect(() => btc.qtyToLots('0.0005')).toThrow(MakerError);
  });
  it('handles a tick that is not a power of ten', () => {
    const odd = new Instrument({ ...btcSpec, tickSize: '0.05' });
    expect(odd.priceToTicks('1.15')).toBe(23);
    expect(odd.ticksToPrice(23)).toBe('1.15');
    expect(() => odd.priceToTicks('1.12')).toThrow(/not a multiple/);
  });
  it('checks min notional exactly', () => {
    expect(btc.meetsMinNotional(500000, 1)).toBe(true); // 50000.0 * 0.001 = 50
    expect(btc.meetsMinNotional(50000, 1)).toBe(true); // 5000.0 * 0.001 = 5.000
    expect(btc.meetsMinNotional(49999, 1)).toBe(false);
  });
  it('round-trips ticks and lots (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 0, max: 10 ** 9 }), (t, l) => {
        expect(btc.priceToTicks(btc.ticksToPrice(t))).toBe(t);
        expect(btc.qtyToLots(btc.lotsToQty(l))).toBe(l);
      }),
    );
  });
});

describe('exchangeInfo loading', () => {
  it.skipIf(!haveShared)('loads all filters from a captured payload, with source and date', () => {
    const specs = loadExchangeInfoFile(EXCHANGE_INFO);
    const eth = specs.find((s) => s.symbol === 'ETHUSDT')!;
    expect(eth.tickSize).toBe('0.01');
    expect(eth.stepSize).toBe('0.001');
    expect(eth.minNotional).toBe('10');
    expect(eth.percentPrice).toEqual({ multiplierUp: '1.1', multiplierDown: '0.9' });
    expect(eth.maxNumOrders).toBe(200);
    expect(eth.source.kind).toBe('exchangeInfo');
    expect(eth.source.asOf).toMatch(/^2022-02-19/);
    const trimmed = loadExchangeInfoFile(TRIMMED).find((s) => s.symbol === 'BTCUSDT')!;
    expect(trimmed.tickSize).toBe('0.1');
    expect(trimmed.percentPrice).toBeUndefined();
  });
  it('names the field that is missing', () => {
    expect(() => specsFromExchangeInfo({ symbols: [{ symbol: 'X', filters: [] }] }, 'x.json')).toThrow(/PRICE_FILTER/);
    expect(() => specsFromExchangeInfo({}, 'x.json')).toThrow(/symbols/);
  });
  it('a registry lookup of an unknown symbol is a clear error', () => {
    const reg = new SpecRegistry();
    reg.add(btcSpec);
    expect(reg.get('btcusdt').symbol).toBe('BTCUSDT');
    expect(() => reg.get('ETHUSDT')).toThrow(/no instrument spec for symbol ETHUSDT/);
  });
  it('infers tick and step from data and says so', () => {
    const s = inferSpec('SANDUSDT', ['0.43210', '0.4322'], ['12', '3.0'], '2021-04-05T00:00:00.000Z');
    expect(s.tickSize).toBe('0.0001');
    expect(s.stepSize).toBe('1');
    expect(s.source.kind).toBe('inferred');
  });
});
