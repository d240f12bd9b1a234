// The margin-in-use string must print exactly what the decimal.js computation it replaced printed
// (each step rounded to 20 significant digits, half up), for every input: the common exact cases,
// the leverages that do not divide a power of ten, and values beyond 20 digits.
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Instrument } from '../../src/model/instrument.ts';
import { marginUsed } from '../../src/trader/margin.ts';
import { makeSpec } from './harness.ts';

/** The reference: what the trading core computed with decimal.js (default context: 20 digits, ROUND_HALF_UP). */
function marginUsedDecimal(orderTickLots: number, inst: Instrument, leverage: number, positionMargin: string): string {
  const orderMargin = new Decimal(orderTickLots).times(inst.spec.tickSize).times(inst.spec.stepSize).div(leverage);
  return orderMargin.plus(positionMargin).toFixed();
}

const BTC = new Instrument(makeSpec()); // tick 0.1, step 0.001
const ODD = new Instrument(makeSpec({ symbol: 'ODDUSDT', tickSize: '0.00025', minPrice: '0.00025', stepSize: '7', minQty: '7', maxQty: '7000000', marketMinQty: '7', marketMaxQty: '700000' }));
const TINY = new Instrument(makeSpec({ symbol: 'TINYUSDT', tickSize: '0.0000001', minPrice: '0.0000001', stepSize: '1', minQty: '1', maxQty: '7000000', marketMinQty: '1', marketMaxQty: '700000' }));

const money = (maxUnits: bigint) =>
  fc.tuple(fc.bigInt({ min: 0n, max: maxUnits }), fc.integer({ min: 0, max: 24 }), fc.boolean()).map(([units, scale, negative]) => {
    let s = units.toString();
    if (scale > 0) {
      s = s.padStart(scale + 1, '0');
      s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
    }
    return negative && units > 0n ? `-${s}` : s;
  });

describe('marginUsed', () => {
  it('prints what the decimal.js reference prints, for any input (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(BTC, ODD, TINY),
        fc.oneof(fc.integer({ min: 0, max: 10_000_000 }), fc.maxSafeInteger(), fc.double({ min: -1e30, max: 1e30, noNaN: true })),
        fc.oneof(fc.constantFrom(1, 3, 7, 20, 64, 125), fc.integer({ min: 1, max: 125 }), fc.constantFrom(2.5, 0.3, -4)),
        fc.oneof(fc.constant('0'), money(10n ** 12n), money(10n ** 40n)),
        (inst, tickLots, leverage, positionMargin) => {
          expect(marginUsed(tickLots, inst, leverage, positionMargin)).toBe(marginUsedDecimal(tickLots, inst, leverage, positionMargin));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('is exact in the common cases and rounds only where decimal.js did', () => {
    // 2 × 2 lots around 60 000.0 USDT at leverage 20: 600 000 ticks × 4 lots = 2 400 000 tick-lots → 12 USDT.
    expect(marginUsed(2_400_000, BTC, 20, '0')).toBe('12');
    expect(marginUsed(2_400_001, BTC, 20, '3.25')).toBe('15.250005');
    expect(marginUsed(0, BTC, 20, '0')).toBe('0');
    expect(marginUsed(1, BTC, 20, '0')).toBe('0.000005');
    // 1/3 does not terminate: 20 significant digits, the last rounded half up.
    expect(marginUsed(1, BTC, 3, '0')).toBe('0.000033333333333333333333');
    expect(marginUsed(2, BTC, 3, '0')).toBe('0.000066666666666666666667');
    // More than 20 significant digits in the sum: rounded.
    expect(marginUsed(1, BTC, 1, '123456789012345678901')).toBe('123456789012345678900');
    expect(marginUsed(5, BTC, 20, '-1.5')).toBe('-1.499975');
    expect(() => marginUsed(Number.NaN, BTC, 20, '0')).toThrow(/margin in use/);
    expect(() => marginUsed(1, BTC, 20, 'abc')).toThrow(/positionMargin/);
  });
});
