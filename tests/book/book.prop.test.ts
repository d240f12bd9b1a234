// Model-based test: L2Book against a naive reference (a Map per side, sorted on demand) under random
// level updates, including deletes of absent levels and prices far apart, with small windows so
// that the re-centring and sparse paths run constantly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { L2Book } from '../../src/book/index.ts';
import type { BookSide } from '../../src/model/index.ts';

class RefBook {
  readonly side = { bid: new Map<number, number>(), ask: new Map<number, number>() };
  set(s: BookSide, p: number, l: number): void {
    if (l === 0) this.side[s].delete(p);
    else this.side[s].set(p, l);
  }
  clear(): void {
    this.side.bid.clear();
    this.side.ask.clear();
  }
  levels(s: BookSide): [number, number][] {
    return [...this.side[s]].sort(s === 'bid' ? (a, b) => b[0] - a[0] : (a, b) => a[0] - b[0]);
  }
  best(s: BookSide): number {
    const l = this.levels(s);
    return l.length ? l[0][0] : NaN;
  }
  depthWithin(s: BookSide, d: number): number {
    const b = this.best(s);
    if (Number.isNaN(b)) return 0;
    let sum = 0;
    for (const [p, l] of this.side[s]) if (s === 'bid' ? p >= b - d && p <= b : p <= b + d && p >= b) sum += l;
    return sum;
  }
}

const CENTRE = 1_000_000;
const price = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: CENTRE - 40, max: CENTRE + 40 }) },
  { weight: 3, arbitrary: fc.integer({ min: CENTRE - 3000, max: CENTRE + 3000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 50_000_000 }) },
);
const lots = fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 2 ** 40 }) });
const side = fc.constantFrom<BookSide>('bid', 'ask');
type Op =
  | { kind: 'set'; side: BookSide; price: number; lots: number }
  | { kind: 'clear' }
  | { kind: 'snapshot'; bids: [number, number][]; asks: [number, number][] };
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 40, arbitrary: fc.record({ kind: fc.constant('set' as const), side, price, lots }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('snapshot' as const),
      bids: fc.uniqueArray(fc.tuple(price, lots), { selector: (l) => l[0], maxLength: 30 }),
      asks: fc.uniqueArray(fc.tuple(price, lots), { selector: (l) => l[0], maxLength: 30 }),
    }),
  },
);

function check(book: L2Book, ref: RefBook, probes: number[]): void {
  for (const s of ['bid', 'ask'] as const) {
    const levels = ref.levels(s);
    const best = s === 'bid' ? book.bestBidTicks() : book.bestAskTicks();
    const bestLots = s === 'bid' ? book.bestBidLots() : book.bestAskLots();
    expect(best).toEqual(ref.best(s));
    expect(bestLots).toBe(levels.length ? levels[0][1] : 0);
    expect(book.levelCount(s)).toBe(levels.length);
    const all: [number, number][] = [];
    book.forEachLevel(s, (p, l) => void all.push([p, l]));
    expect(all).toEqual(levels);
    expect(book.topLevels(s, 3)).toEqual(levels.slice(0, 3).map(([priceTicks, qtyLots]) => ({ priceTicks, qtyLots })));
    for (const d of [0, 1, 7, 100, 5000, 1e9]) expect(book.depthWithin(s, d)).toBe(ref.depthWithin(s, d));
    for (const p of probes) expect(book.qtyAt(s, p)).toBe(ref.side[s].get(p) ?? 0);
  }
  const bb = ref.best('bid');
  const ba = ref.best('ask');
  expect(book.isCrossed()).toBe(!Number.isNaN(bb) && !Number.isNaN(ba) && bb >= ba);
}

function run(windowTicks: number, ops: Op[]): void {
  const book = new L2Book('TEST', { windowTicks });
  const ref = new RefBook();
  for (const o of ops) {
    const probes: number[] = [CENTRE];
    if (o.kind === 'set') {
      book.applyLevel(o.side, o.price, o.lots);
      ref.set(o.side, o.price, o.lots);
      probes.push(o.price, o.price + 1, o.price - 1);
    } else if (o.kind === 'clear') {
      book.clear();
      ref.clear();
    } else {
      book.loadSnapshot(o.bids.map((l) => l[0]), o.bids.map((l) => l[1]), o.asks.map((l) => l[0]), o.asks.map((l) => l[1]));
      ref.clear();
      for (const [p, l] of o.bids) ref.set('bid', p, l);
      for (const [p, l] of o.asks) ref.set('ask', p, l);
    }
    check(book, ref, probes);
  }
}

describe('L2Book matches a naive reference book', () => {
  it('for random updates with small and default windows', () => {
    fc.assert(
      fc.property(fc.constantFrom(16, 64, 1024, 1 << 17), fc.array(op, { maxLength: 120 }), (w, ops) => run(w, ops)),
      { numRuns: 300 },
    );
  });

  it('for a market that drifts far, step by step (re-centring under a moving best)', () => {
    fc.assert(
      fc.property(fc.constantFrom(16, 64), fc.array(fc.tuple(fc.integer({ min: -5, max: 9 }), lots, fc.integer({ min: 0, max: 6 })), { maxLength: 150 }), (w, steps) => {
        let mid = CENTRE;
        const ops: Op[] = [];
        for (const [move, l, depth] of steps) {
          mid += move;
          ops.push({ kind: 'set', side: 'bid', price: mid - 1 - depth, lots: l });
          ops.push({ kind: 'set', side: 'ask', price: mid + 1 + depth, lots: l });
          // Drain whatever crossed behind the moving mid, as an exchange would.
          ops.push({ kind: 'set', side: 'bid', price: mid + depth, lots: 0 });
          ops.push({ kind: 'set', side: 'ask', price: mid - depth, lots: 0 });
        }
        run(w, ops);
      }),
      { numRuns: 200 },
    );
  });
});
