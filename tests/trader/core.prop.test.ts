import { describe, it } from 'vitest';
import fc from 'fast-check';
import type { TraderConfigInput } from '../../src/trader/index.ts';
import { FIXED_CONFIG, run } from './harness.ts';
import { expectBooksAgree, expectCommandsValid, expectOmsMatchesGateway, expectWithinLimit } from './invariants.ts';

// Random event sequences: the market walk, the report chaos (duplicates, swaps, delays), the
// strategy's size and levels, an optional kill, all drawn by fast-check; the invariants must hold
// after the run settles.
const scenario = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  steps: fc.integer({ min: 1, max: 120 }),
  duplicate: fc.double({ min: 0, max: 0.5, noNaN: true }),
  swap: fc.double({ min: 0, max: 0.5, noNaN: true }),
  delay: fc.double({ min: 0, max: 0.5, noNaN: true }),
  sizeLots: fc.integer({ min: 1, max: 6 }),
  levels: fc.integer({ min: 1, max: 3 }),
  maxPositionLots: fc.integer({ min: 1, max: 15 }),
  killAtStep: fc.integer({ min: -1, max: 120 }),
  modifyMode: fc.constantFrom('amend', 'cancel-replace'),
});

describe('TradingCore invariants over random event sequences', () => {
  it('fills = position change, OMS = exchange after settling, unique ids, limit kept, HALTED adds no exposure', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const config: TraderConfigInput = {
          ...FIXED_CONFIG,
          strategy: { kind: 'fixed', halfSpreadTicks: 1, sizeLots: s.sizeLots, maxPositionLots: s.maxPositionLots, levels: s.levels },
          risk: { ...(FIXED_CONFIG.risk as object), maxPositionLots: s.maxPositionLots },
          oms: { modifyMode: s.modifyMode },
        };
        const h = run({
          seed: s.seed,
          steps: s.steps,
          chaos: { duplicate: s.duplicate, swap: s.swap, delay: s.delay },
          config,
          killAtStep: s.killAtStep,
        });
        h.settle();
        expectBooksAgree(h);
        expectOmsMatchesGateway(h);
        expectCommandsValid(h);
        expectWithinLimit(h, s.maxPositionLots);
        if (s.killAtStep >= 0 && s.killAtStep < s.steps) {
          // Commands the core queued from the kill on (ones queued before may still be on the wire).
          const after = h.queued.slice(h.queuedBeforeKill);
          if (after.some((c) => c.kind === 'modify' || (c.kind === 'submit' && !c.order.reduceOnly))) throw new Error('exposure-increasing command after HALTED');
          if (h.gateway.openOrders().length > 0) throw new Error('orders left open after HALTED');
        }
      }),
      {
        numRuns: 60,
        // Shrunk failure (seed -247428129): a modify decided before the kill reached the gateway after it;
        // the check now looks at what the core queued from the kill on.
        examples: [
          [{ seed: 0, steps: 55, duplicate: 0, swap: 0, delay: 0, sizeLots: 1, levels: 1, maxPositionLots: 1, killAtStep: 54, modifyMode: 'amend' }],
          // Shrunk failure (seed -1098040288): position reached 3 with a limit of 2.
          [{ seed: 10, steps: 45, duplicate: 0, swap: 0, delay: 0, sizeLots: 4, levels: 3, maxPositionLots: 2, killAtStep: 44, modifyMode: 'amend' }],
        ],
      },
    );
  });
});
