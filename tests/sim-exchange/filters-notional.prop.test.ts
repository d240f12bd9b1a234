// The MIN_NOTIONAL filter (the instrument's precomputed tick-lot rule) must agree with the exact
// decimal rule everywhere, including orders exactly at and one tick/lot around the minimum.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Instrument } from '../../src/model/instrument.ts';
import { parseDecimal } from '../../src/model/money.ts';
import { OrderFilters } from '../../src/sim-exchange/filters.ts';
import { instrument } from './helpers.ts';

const market = { mark: null, maxBuyTicks: Infinity, minSellTicks: -Infinity, oppositeBestTicks: NaN };

/** price × qty ≥ MIN_NOTIONAL straight from the spec's decimal strings, in BigInt (independent of Instrument's precomputation). */
function exactlyMeets(inst: Instrument, p: number, q: number): boolean {
  const tick = parseDecimal(inst.spec.tickSize);
  const step = parseDecimal(inst.spec.stepSize);
  const min = parseDecimal(inst.spec.minNotional);
  return BigInt(p) * tick.units * BigInt(q) * step.units * 10n ** BigInt(min.scale) >= min.units * 10n ** BigInt(tick.scale + step.scale);
}

describe('MIN_NOTIONAL filter', () => {
  for (const spec of [{ minNotional: '5' }, { minNotional: '100', tickSize: '0.01', stepSize: '0.1', minQty: '0.1', marketMinQty: '0.1' }, { minNotional: '20', tickSize: '0.001', stepSize: '1', minQty: '1', marketMinQty: '1' }]) {
    it(`agrees with the exact rule (${JSON.stringify(spec)})`, () => {
      const inst = instrument(spec);
      const filters = new OrderFilters(inst);
      const rejectsNotional = (p: number, q: number) => filters.check('LIMIT', 'buy', p, q, false, market)?.code === -4164;
      // Orders near the boundary: for a price, the smallest qty that meets the minimum and its neighbours.
      const near = fc.integer({ min: 1, max: 5_000_000 }).chain((p) => {
        let q = 1;
        while (!exactlyMeets(inst, p, q)) q = q * 2;
        let lo = Math.floor(q / 2);
        while (q - lo > 1) {
          const mid = (lo + q) >> 1;
          if (exactlyMeets(inst, p, mid)) q = mid;
          else lo = mid;
        }
        return fc.tuple(fc.constant(p), fc.integer({ min: Math.max(1, q - 2), max: q + 2 }));
      });
      const anywhere = fc.tuple(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 1, max: 1_000_000 }));
      fc.assert(
        fc.property(fc.oneof(near, anywhere), ([p, q]) => {
          if (q < inst.minQtyLots || (inst.maxQtyLots > 0 && q > inst.maxQtyLots) || (inst.maxPriceTicks > 0 && p > inst.maxPriceTicks) || p < inst.minPriceTicks) return;
          expect(rejectsNotional(p, q)).toBe(!exactlyMeets(inst, p, q));
        }),
        { numRuns: 3000 },
      );
    });
  }
});
