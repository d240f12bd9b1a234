import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadExchangeInfoFile, specsFromExchangeInfo } from '../../src/adapter/binance/index.ts';
import { Instrument, SpecRegistry, formatScaled, inferSpec } from '../../src/model/index.ts';
import { MakerError } from '../../src/core/index.ts';
import { makeSpec } from '../support/instruments.ts';
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
  it('precomputes MIN_NOTIONAL in tick-lots, MARKET_LOT_SIZE in lots and PERCENT_PRICE units', () => {
    expect(btc.minNotionalTickLots).toBe(50_000); // 5 / (0.1 × 0.001)
    expect(btc.tickLot).toEqual({ units: 1n, scale: 4 });
    expect([btc.marketMinQtyLots, btc.marketMaxQtyLots]).toEqual([1, 120_000]);
    expect(btc.percentPrice).toBeNull();
    // 0.0007 / (0.5 × 0.001) = 1.4 → 2; a minimum of exactly 1 tick-lot stays 1.
    expect(new Instrument({ ...btcSpec, tickSize: '0.5', minPrice: '0.5', minNotional: '0.0007' }).minNotionalTickLots).toBe(2);
    expect(new Instrument({ ...btcSpec, minNotional: '0.0001' }).minNotionalTickLots).toBe(1);
    expect(new Instrument({ ...btcSpec, minNotional: '0' }).minNotionalTickLots).toBe(0);
    const pp = new Instrument({ ...btcSpec, percentPrice: { multiplierUp: '1.0500', multiplierDown: '0.95' } });
    expect(pp.percentPrice).toEqual({ up: { units: 10500n, scale: 4 }, down: { units: 9500n, scale: 4 }, upUnits: 10500, downUnits: 9500, unit: 10_000 });
    expect(() => new Instrument({ ...btcSpec, percentPrice: { multiplierUp: 'x', multiplierDown: '0.95' } })).toThrow(/BTCUSDT.percentPrice.multiplierUp/);
    expect(() => new Instrument({ ...btcSpec, percentPrice: { multiplierUp: '1.05', multiplierDown: '0.0000000000000000001' } })).toThrow(/too large/);
  });
  it('converts money to tick-lots in the direction asked', () => {
    expect(btc.toTickLots({ units: 120_00015n, scale: 5 }, 'floor')).toBe(1_200_001n);
    expect(btc.toTickLots({ units: 120_00015n, scale: 5 }, 'ceil')).toBe(1_200_002n);
    expect(btc.toTickLots({ units: 5n, scale: 0 }, 'ceil')).toBe(50_000n);
  });
  it('keeps MIN_NOTIONAL exact far beyond 2^53 tick-lots and off the integer path', () => {
    const tiny = new Instrument({ ...btcSpec, tickSize: '0.00000001', minPrice: '0.00000001', stepSize: '0.00000001', minQty: '0.00000001', marketMinQty: '0.00000001', minNotional: '5' });
    expect(tiny.minNotionalTickLots).toBeGreaterThan(Number.MAX_SAFE_INTEGER); // 5e16
    expect(tiny.meetsMinNotional(2 ** 26, 2 ** 26)).toBe(false);
    expect(tiny.meetsMinNotional(5e8, 1e8)).toBe(true); // 5e16 tick-lots: an exact product beyond 2^53
    expect(tiny.meetsMinNotional(5e8, 1e8 - 1)).toBe(false);
    // Negative inputs take the exact path, which compares the signed product.
    expect(btc.meetsMinNotional(-50_000, 1)).toBe(false);
    expect(btc.meetsMinNotional(-50_000, -1)).toBe(true);
    expect(() => btc.meetsMinNotional(1.5, 1)).toThrow(RangeError);
  });
  it('MIN_NOTIONAL in tick-lots agrees with a direct BigInt computation over random specs (property)', () => {
    // A spec: tick = tu × 10^-pd, step = su × 10^-qd, MIN_NOTIONAL = mu × 10^-md.
    const spec = fc.record({
      tu: fc.bigInt({ min: 1n, max: 1000n }),
      pd: fc.integer({ min: 0, max: 8 }),
      su: fc.bigInt({ min: 1n, max: 1000n }),
      qd: fc.integer({ min: 0, max: 8 }),
      mu: fc.bigInt({ min: 0n, max: 10n ** 14n }),
      md: fc.integer({ min: 0, max: 10 }),
    });
    fc.assert(
      fc.property(spec, fc.integer({ min: 0, max: 2 ** 26 }), fc.integer({ min: 0, max: 2 ** 26 }), ({ tu, pd, su, qd, mu, md }, t, l) => {
        const tick = formatScaled(tu, pd);
        const step = formatScaled(su, qd);
        const inst = new Instrument(makeSpec({ tickSize: tick, minPrice: tick, stepSize: step, minQty: step, marketMinQty: step, minNotional: formatScaled(mu, md) }));
        // notional of n tick-lots ≥ minNotional ⇔ n·tu·su·10^md ≥ mu·10^(pd+qd) (priceDecimals/qtyDecimals may drop trailing zeros: values are what count).
        const perTickLot = tu * su * 10n ** BigInt(md);
        const min = mu * 10n ** BigInt(pd + qd);
        const ceil = (min + perTickLot - 1n) / perTickLot;
        expect(inst.minNotionalTickLots).toBe(Number(ceil));
        // The defining property of the rounding, at the boundary.
        if (ceil > 0n) expect((ceil - 1n) * perTickLot < min).toBe(true);
        expect(ceil * perTickLot >= min).toBe(true);
        // meetsMinNotional: anywhere, and right at the boundary when it is a safe product.
        expect(inst.meetsMinNotional(t, l)).toBe(BigInt(t) * BigInt(l) * perTickLot >= min);
        if (ceil > 0n && ceil <= BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(inst.meetsMinNotional(Number(ceil), 1)).toBe(true);
          expect(inst.meetsMinNotional(Number(ceil) - 1, 1)).toBe(false);
        }
      }),
      { numRuns: 3000 },
    );
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
