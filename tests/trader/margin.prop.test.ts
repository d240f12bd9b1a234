// The integer path of the margin-in-use string must print exactly what the decimal.js reference
// prints, and step aside (null) whenever decimal.js would round.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Instrument } from '../../src/model/instrument.ts';
import { marginUsed, marginUsedDecimal, marginUsedExact } from '../../src/trader/margin.ts';
import { makeSpec } from './harness.ts';

const BTC = new Instrument(makeSpec()); // tick 0.1, step 0.001
const ODD = new Instrument(makeSpec({ symbol: 'ODDUSDT', tickSize: '0.00025', minPrice: '0.00025', stepSize: '7', minQty: '7', maxQty: '7000000', marketMinQty: '7', marketMaxQty: '700000' }));

const money = fc
  .tuple(fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.integer({ min: 0, max: 12 }))
  .map(([units, scale]) => {
    if (scale === 0) return units.toString();
    const s = units.toString().padStart(scale + 1, '0');
    return `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  });

describe('marginUsed', () => {
  it('integer path = decimal.js reference whenever it answers', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(BTC, ODD),
        fc.oneof(fc.integer({ min: 0, max: 10_000_000 }), fc.maxSafeInteger().filter((n) => n >= 0)),
        fc.oneof(fc.constantFrom(1, 3, 7, 20, 125), fc.integer({ min: 1, max: 125 })),
        fc.oneof(fc.constant('0'), money),
        (inst, tickLots, leverage, positionMargin) => {
          const exact = marginUsedExact(tickLots, inst, leverage, positionMargin);
          const reference = marginUsedDecimal(tickLots, inst, leverage, positionMargin);
          if (exact !== null) expect(exact).toBe(reference);
          expect(marginUsed(tickLots, inst, leverage, positionMargin)).toBe(reference);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('answers the common cases itself and declines what decimal.js would round', () => {
    // 2 × 2 lots around 60 000.0 USDT at leverage 20: 600 000 ticks × 4 lots = 2 400 000 tick-lots → 12 USDT.
    expect(marginUsedExact(2_400_000, BTC, 20, '0')).toBe('12');
    expect(marginUsedExact(2_400_001, BTC, 20, '3.25')).toBe('15.250005');
    expect(marginUsedExact(0, BTC, 20, '0')).toBe('0');
    expect(marginUsedExact(1, BTC, 20, '0')).toBe('0.000005');
    // 1/3 does not terminate: decimal.js rounds to 20 digits, the integer path declines.
    expect(marginUsedExact(1, BTC, 3, '0')).toBeNull();
    expect(marginUsed(1, BTC, 3, '0')).toBe(marginUsedDecimal(1, BTC, 3, '0'));
    // More than 20 significant digits in the sum: declined.
    expect(marginUsedExact(1, BTC, 1, '123456789012345678901')).toBeNull();
    // Inputs outside the plain non-negative domain: declined, the reference decides.
    expect(marginUsedExact(-5, BTC, 20, '0')).toBeNull();
    expect(marginUsedExact(5, BTC, 20, '-1.5')).toBeNull();
    expect(marginUsedExact(5, BTC, 2.5, '0')).toBeNull();
    expect(marginUsedExact(0.5, BTC, 20, '0')).toBeNull();
    expect(marginUsed(5, BTC, 20, '-1.5')).toBe(marginUsedDecimal(5, BTC, 20, '-1.5'));
  });
});
