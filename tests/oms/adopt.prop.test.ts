// Start-up (and after-gap) reconciliation as a property (issue 12): whatever the OMS tracked and
// whatever the venue's account snapshot lists, after `adopt`
//   - no venue-open order is dropped: every order the snapshot lists is tracked and live;
//   - no fill is invented: the fills booked equal, order by order, what the venue shows beyond what
//     the OMS already knew, and an order of an earlier session books none (its fills are in the position);
//   - nothing the OMS tracked disappears silently: a tracked live order the snapshot does not list is
//     either unknown (to be queried) or still pending within its grace period.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VenueOrder } from '../../src/model/venue.ts';
import { SYMBOL, makeOms } from './setup.ts';

interface Ours {
  priceTicks: number;
  qtyLots: number;
  side: 'buy' | 'sell';
  acked: boolean;
  filled: number; // filled lots already reported (≤ qty - 1, so it stays live)
  listed: boolean; // the snapshot lists it
  extraFill: number; // fills the venue shows beyond what was reported
}

const ours = fc.record({
  priceTicks: fc.integer({ min: 90, max: 110 }),
  qtyLots: fc.integer({ min: 2, max: 20 }),
  side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
  acked: fc.boolean(),
  filled: fc.nat(),
  listed: fc.boolean(),
  extraFill: fc.nat(),
});
const foreign = fc.record({ priceTicks: fc.integer({ min: 80, max: 120 }), qtyLots: fc.integer({ min: 1, max: 20 }), cum: fc.nat(), side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell') });

describe('OrderManager.adopt (property)', () => {
  it('never drops a venue-open order and never invents a fill', () => {
    let withOurs = 0;
    let withInferred = 0;
    fc.assert(
      fc.property(fc.array(ours, { maxLength: 6 }), fc.array(foreign, { maxLength: 4 }), fc.integer({ min: 0, max: 3_000_000 }), (mine, theirs, delayUs) => {
        const t = makeOms();
        const placed: { id: string; o: Ours; knownFilled: number }[] = [];
        for (const o of mine) {
          // One order per decision (a decision replaces the quote set): keep earlier ones by re-quoting them.
          const quotes = [...placed.map((p) => ({ side: p.o.side, priceTicks: p.o.priceTicks, qtyLots: p.o.qtyLots, level: 0 })), { side: o.side, priceTicks: o.priceTicks, qtyLots: o.qtyLots, level: 0 }];
          const before = new Set(placed.map((p) => p.id));
          const cmds = t.decide(quotes);
          const sub = cmds.find((c) => c.kind === 'submit' && !before.has(c.order.clientOrderId));
          if (sub === undefined || sub.kind !== 'submit') continue;
          placed.push({ id: sub.order.clientOrderId, o, knownFilled: 0 });
        }
        for (const p of placed) {
          if (!p.o.acked) continue;
          t.ack(p.id);
          const f = p.o.filled % p.o.qtyLots;
          if (f > 0 && t.oms.order(p.id)?.state !== undefined) {
            t.trade(p.id, f);
            p.knownFilled = f;
          }
        }
        t.advance(delayUs);
        const fillsBefore = t.events['order.filled'].length;
        const listed: VenueOrder[] = [];
        for (const p of placed) {
          if (!p.o.listed) continue;
          const v = t.oms.order(p.id)!;
          const cum = Math.min(p.o.qtyLots - 1, p.knownFilled + (p.o.extraFill % p.o.qtyLots));
          listed.push({ symbol: SYMBOL, clientOrderId: p.id, orderId: 1000 + listed.length, side: v.side, type: 'LIMIT', timeInForce: 'GTX', reduceOnly: false, status: cum > 0 ? 'PARTIALLY_FILLED' : 'NEW', priceTicks: v.priceTicks, origQtyLots: v.qtyLots, cumFilledLots: cum, avgFillPriceTicks: v.priceTicks });
        }
        theirs.forEach((f, i) => {
          const cum = f.cum % f.qtyLots;
          listed.push({ symbol: SYMBOL, clientOrderId: `old-${i}`, orderId: 5000 + i, side: f.side, type: 'LIMIT', timeInForce: 'GTC', reduceOnly: false, status: cum > 0 ? 'PARTIALLY_FILLED' : 'NEW', priceTicks: f.priceTicks, origQtyLots: f.qtyLots, cumFilledLots: cum });
        });
        if (listed.some((v) => !v.clientOrderId.startsWith('old-'))) withOurs++;
        t.oms.adopt({ tsUs: t.clock.nowUs(), symbols: [SYMBOL], positions: [], balances: [], openOrders: listed });

        // No venue-open order dropped.
        const live = new Map(t.oms.liveOrders(SYMBOL).map((o) => [o.clientOrderId, o]));
        for (const v of listed) {
          const o = live.get(v.clientOrderId);
          expect(o, v.clientOrderId).toBeDefined();
          expect(o!.filledLots).toBe(v.cumFilledLots);
        }
        // No fill invented: fills booked by adopt are exactly the venue's excess over what was known, for our orders only.
        const booked = t.events['order.filled'].slice(fillsBefore);
        if (booked.length > 0) withInferred++;
        for (const f of booked) expect(f.clientOrderId.startsWith('old-')).toBe(false);
        for (const p of placed) {
          const v = listed.find((x) => x.clientOrderId === p.id);
          const sum = booked.filter((f) => f.clientOrderId === p.id).reduce((a, f) => a + f.fillLots, 0);
          expect(sum).toBe(v === undefined ? 0 : v.cumFilledLots - p.knownFilled);
        }
        // A tracked live order the venue does not list is unknown (queried next) or still pending in its grace.
        for (const p of placed) {
          if (p.o.listed) continue;
          const o = t.oms.order(p.id);
          if (o === undefined || !live.has(p.id)) continue;
          expect(o.unknown || o.state === 'pending-new').toBe(true);
        }
      }),
      { numRuns: 300, seed: 12 },
    );
    // The generator reaches the interesting cases: our orders listed, fills inferred.
    expect(withOurs).toBeGreaterThan(50);
    expect(withInferred).toBeGreaterThan(20);
  });
});
