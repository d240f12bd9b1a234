// The engine's heap of messages in flight: pops in (time, priority class, insertion) order, the
// tie-break every run's determinism rests on (src/backtest/timeline.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Priority, Timeline } from '../../src/backtest/timeline.ts';

describe('Timeline', () => {
  it('orders by time, then priority class, then insertion', () => {
    const t = new Timeline<string>();
    t.push(20, Priority.venueEvent, 't20');
    t.push(10, Priority.timer, 't10-timer');
    t.push(10, Priority.venueEvent, 't10-event-a');
    t.push(10, Priority.commandArrival, 't10-command');
    t.push(10, Priority.venueEvent, 't10-event-b');
    const out: string[] = [];
    for (let e = t.pop(); e; e = t.pop()) out.push(e.item);
    expect(out).toEqual(['t10-command', 't10-event-a', 't10-event-b', 't10-timer', 't20']);
    expect(t.size).toBe(0);
  });

  it('the priority classes are the documented order: venue market, command arrival, trader market, venue event, timer, sample', () => {
    const order = Object.entries(Priority).sort((a, b) => a[1] - b[1]).map(([k]) => k);
    expect(order).toEqual(['venueMarket', 'commandArrival', 'traderMarket', 'venueEvent', 'timer', 'sample']);
  });

  it('pops in tie-break order for any push sequence, interleaved with pops (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 3 }), fc.boolean()), { maxLength: 300 }), (ops) => {
        const t = new Timeline<number>();
        const model: [number, number, number][] = [];
        const popped: number[] = [];
        const expected: number[] = [];
        ops.forEach(([at, p, pop], i) => {
          t.push(at, p, i);
          model.push([at, p, i]);
          if (pop) {
            model.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
            expected.push(model.shift()![2]);
            popped.push(t.pop()!.item);
          }
        });
        expect(popped).toEqual(expected);
        expect(t.peek()?.item).toBe(model.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])[0]?.[2]);
      }),
    );
  });
});
