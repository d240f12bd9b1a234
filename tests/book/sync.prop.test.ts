// Model-based test: BookSync against a naive reference sync (Maps, a switch, no state table) under
// random delivery of a true diff chain: dropped diffs (gaps), duplicates, swaps, snapshots taken in
// the middle of a diff and delivered before or after their bridging diff, crossing books, sources
// without ids, a tiny buffer. Independently of the reference, whenever BookSync says SYNCED its book
// must equal the true book at its last update id.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BookSync, L2Book, type BookSyncCounters, type BookSyncEvent, type SyncState } from '../../src/book/index.ts';
import type { FlatDepthDiff } from '../../src/model/events.ts';
import type { BookSide, DepthDiff, DepthSnapshot } from '../../src/model/index.ts';

type Levels = [number, number][];
interface Diff { U: number; u: number; pu: number; bids: Levels; asks: Levels }
interface Snap { L: number; bids: Levels; asks: Levels }
type Delivered = { kind: 'diff'; d: Diff; flat: boolean } | { kind: 'snap'; s: Snap };

class RefSync {
  state: SyncState = 'AWAITING_SNAPSHOT';
  book = { bid: new Map<number, number>(), ask: new Map<number, number>() };
  buf: Diff[] = [];
  lastU = -1;
  L = -1;
  ever = false;
  c: BookSyncCounters = { gaps: 0, resyncs: 0, crossed: 0, applied: 0, dropped: 0, buffered: 0, evicted: 0, snapshots: 0, ignoredSnapshots: 0 };
  constructor(readonly maxBuf: number) {}
  isCrossed(): boolean {
    if (this.book.bid.size === 0 || this.book.ask.size === 0) return false;
    return Math.max(...this.book.bid.keys()) >= Math.min(...this.book.ask.keys());
  }
  private setLevels(d: { bids: Levels; asks: Levels }): void {
    for (const [p, l] of d.bids) if (l === 0) this.book.bid.delete(p); else this.book.bid.set(p, l);
    for (const [p, l] of d.asks) if (l === 0) this.book.ask.delete(p); else this.book.ask.set(p, l);
  }
  private apply(d: Diff): boolean {
    this.setLevels(d);
    this.c.applied++;
    this.lastU = d.u;
    if (this.state !== 'INVALID' && this.isCrossed()) {
      this.c.crossed++;
      this.state = 'INVALID';
      return false;
    }
    return true;
  }
  private synced(): void {
    this.state = 'SYNCED';
    if (this.ever) this.c.resyncs++;
    this.ever = true;
  }
  private buffer(d: Diff): void {
    this.buf.push(d);
    this.c.buffered++;
    if (this.buf.length > this.maxBuf) {
      this.buf.shift();
      this.c.evicted++;
    }
  }
  private gap(d: Diff): void {
    this.c.gaps++;
    this.state = 'INVALID';
    this.buffer(d);
  }
  diff(d: Diff): void {
    switch (this.state) {
      case 'AWAITING_SNAPSHOT':
        if (d.u === -1) this.c.dropped++;
        else this.buffer(d);
        return;
      case 'INVALID':
        if (d.u === -1) this.apply(d);
        else this.buffer(d);
        return;
      case 'BRIDGING':
        if (d.u !== -1 && d.u < this.L) this.c.dropped++;
        else if (d.u === -1 || (d.U <= this.L && this.L <= d.u) || d.pu === this.L) {
          if (this.apply(d)) this.synced();
        } else this.gap(d);
        return;
      case 'SYNCED':
        if (d.pu === this.lastU || d.u === -1 || this.lastU === -1) this.apply(d);
        else if (d.u <= this.lastU) this.c.dropped++;
        else this.gap(d);
    }
  }
  snapshot(s: Snap): void {
    if (this.state === 'SYNCED' && s.L !== -1 && this.lastU !== -1) {
      this.c.ignoredSnapshots++;
      return;
    }
    this.c.snapshots++;
    this.book.bid.clear();
    this.book.ask.clear();
    this.setLevels(s);
    this.L = s.L;
    this.lastU = s.L;
    this.state = 'BRIDGING';
    if (this.isCrossed()) {
      this.c.crossed++;
      this.state = 'INVALID';
      return;
    }
    if (s.L === -1) {
      this.c.dropped += this.buf.length;
      this.buf = [];
      this.synced();
      return;
    }
    const pending = this.buf;
    this.buf = [];
    for (const d of pending) this.diff(d);
  }
  levels(side: BookSide): Levels {
    return [...this.book[side]].sort(side === 'bid' ? (a, b) => b[0] - a[0] : (a, b) => a[0] - b[0]);
  }
}

// ---- the true market and its delivery ---------------------------------------------------------

const level = (lo: number, hi: number) => fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: 0, max: 5 }));
// Bid and ask ranges overlap a little so that books sometimes cross.
const bids = fc.uniqueArray(level(100, 125), { selector: (l) => l[0], maxLength: 4 });
const asks = fc.uniqueArray(level(118, 140), { selector: (l) => l[0], maxLength: 4 });
const scenario = fc.record({
  withIds: fc.boolean(),
  maxBuffered: fc.constantFrom(3, 10_000),
  initial: fc.record({ bids: fc.uniqueArray(level(100, 117), { selector: (l) => l[0], maxLength: 8 }), asks: fc.uniqueArray(level(126, 140), { selector: (l) => l[0], maxLength: 8 }) }),
  diffs: fc.array(fc.record({ span: fc.integer({ min: 1, max: 4 }), bids, asks, fate: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'drop', 'dup', 'swap'), flat: fc.boolean() }), { minLength: 1, maxLength: 30 }),
  snaps: fc.array(fc.record({ k: fc.integer({ min: -1, max: 29 }), mid: fc.boolean(), at: fc.nat(), delay: fc.integer({ min: -4, max: 8 }), noise: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 8 }) }), { minLength: 1, maxLength: 4 }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function build(sc: Scenario): { events: Delivered[]; truthAt: Map<number, { bid: Levels; ask: Levels }> } {
  const start = 1000;
  const book = { bid: new Map<number, number>(sc.initial.bids.filter((l) => l[1] > 0)), ask: new Map<number, number>(sc.initial.asks.filter((l) => l[1] > 0)) };
  const copy = () => ({ bid: new Map(book.bid), ask: new Map(book.ask) });
  const sorted = (m: Map<number, number>, s: BookSide): Levels => [...m].sort(s === 'bid' ? (a, b) => b[0] - a[0] : (a, b) => a[0] - b[0]);
  const states = [copy()]; // states[k + 1] = after diff k
  const truthAt = new Map<number, { bid: Levels; ask: Levels }>();
  const chain: Diff[] = [];
  let prevU = start;
  for (const g of sc.diffs) {
    const d: Diff = { U: prevU + 1, u: prevU + g.span, pu: prevU, bids: g.bids, asks: g.asks };
    for (const [p, l] of d.bids) if (l === 0) book.bid.delete(p); else book.bid.set(p, l);
    for (const [p, l] of d.asks) if (l === 0) book.ask.delete(p); else book.ask.set(p, l);
    states.push(copy());
    truthAt.set(d.u, { bid: sorted(book.bid, 'bid'), ask: sorted(book.ask, 'ask') });
    chain.push(d);
    prevU = d.u;
  }
  const keyed: { key: number; ev: Delivered }[] = [];
  sc.diffs.forEach((g, k) => {
    const d = chain[k];
    const ev: Delivered = { kind: 'diff', d: sc.withIds ? d : { ...d, U: -1, u: -1, pu: -1 }, flat: g.flat };
    if (g.fate === 'drop') return;
    let key = k * 10;
    if (g.fate === 'swap') key = (k + 1) * 10 + 1;
    keyed.push({ key, ev });
    if (g.fate === 'dup') keyed.push({ key: key + 2 + (k % 3) * 10, ev });
  });
  for (const s of sc.snaps) {
    const k = Math.min(s.k, chain.length - 1);
    const before = states[k === -1 ? 0 : k]; // book before diff k (or the initial book)
    const after = states[k + 1];
    let L = k === -1 ? start : chain[k].u;
    let snapBook = after;
    if (s.mid && k >= 0 && chain[k].u > chain[k].U) {
      // Taken inside diff k: the levels that diff k touches may hold any value; it overwrites them.
      L = chain[k].U + (s.at % (chain[k].u - chain[k].U));
      snapBook = { bid: new Map(before.bid), ask: new Map(before.ask) };
      let n = 0;
      for (const [p] of chain[k].bids) { const v = s.noise[n++ % Math.max(1, s.noise.length)] ?? 0; if (v === 0) snapBook.bid.delete(p); else snapBook.bid.set(p, v); }
      for (const [p] of chain[k].asks) { const v = s.noise[n++ % Math.max(1, s.noise.length)] ?? 0; if (v === 0) snapBook.ask.delete(p); else snapBook.ask.set(p, v); }
    }
    const snap: Snap = { L: sc.withIds ? L : -1, bids: sorted(snapBook.bid, 'bid'), asks: sorted(snapBook.ask, 'ask') };
    keyed.push({ key: (k + s.delay) * 10 + 5, ev: { kind: 'snap', s: snap } });
  }
  keyed.sort((a, b) => a.key - b.key);
  return { events: keyed.map((x) => x.ev), truthAt };
}

// ---- driving BookSync -------------------------------------------------------------------------

const flat: FlatDepthDiff = {
  tsExchangeUs: 0, firstUpdateId: 0, finalUpdateId: 0, prevFinalUpdateId: 0,
  bidTicks: new Float64Array(32), bidLots: new Float64Array(32), bidStart: 0, bidEnd: 0,
  askTicks: new Float64Array(32), askLots: new Float64Array(32), askStart: 0, askEnd: 0,
};

function feed(sync: BookSync, ev: Delivered, t: number): void {
  if (ev.kind === 'snap') {
    const s: DepthSnapshot = {
      type: 'snapshot', symbol: 'T', tsExchangeUs: t, tsReceiveUs: t, tsTransactUs: t, lastUpdateId: ev.s.L,
      bidTicks: ev.s.bids.map((l) => l[0]), bidLots: ev.s.bids.map((l) => l[1]), askTicks: ev.s.asks.map((l) => l[0]), askLots: ev.s.asks.map((l) => l[1]),
    };
    sync.applySnapshot(s);
    return;
  }
  const d = ev.d;
  if (!ev.flat) {
    const o: DepthDiff = {
      type: 'depth', symbol: 'T', tsExchangeUs: t, tsReceiveUs: t, tsTransactUs: t, firstUpdateId: d.U, finalUpdateId: d.u, prevFinalUpdateId: d.pu,
      bidTicks: d.bids.map((l) => l[0]), bidLots: d.bids.map((l) => l[1]), askTicks: d.asks.map((l) => l[0]), askLots: d.asks.map((l) => l[1]),
    };
    sync.applyDiff(o);
    return;
  }
  // Levels at an offset inside shared, reused arrays, which are scribbled over afterwards: a sync
  // that kept a reference instead of a copy would replay garbage.
  const bt = flat.bidTicks as Float64Array, bl = flat.bidLots as Float64Array, at = flat.askTicks as Float64Array, al = flat.askLots as Float64Array;
  flat.bidStart = 3;
  flat.bidEnd = 3 + d.bids.length;
  flat.askStart = 5;
  flat.askEnd = 5 + d.asks.length;
  d.bids.forEach(([p, l], i) => { bt[3 + i] = p; bl[3 + i] = l; });
  d.asks.forEach(([p, l], i) => { at[5 + i] = p; al[5 + i] = l; });
  flat.firstUpdateId = d.U;
  flat.finalUpdateId = d.u;
  flat.prevFinalUpdateId = d.pu;
  flat.tsExchangeUs = t;
  sync.applyFlatDiff(flat);
  bt.fill(777); bl.fill(9); at.fill(778); al.fill(9);
}

function levelsOf(book: L2Book, side: BookSide): Levels {
  const out: Levels = [];
  book.forEachLevel(side, (p, l) => void out.push([p, l]));
  return out;
}

/** How often each path ran, over all scenarios: a generator that never reaches a path tests nothing. */
const tally = { oracleChecks: 0, gaps: 0, crossed: 0, resyncs: 0, evicted: 0, ignoredSnapshots: 0, dropped: 0, idlessSynced: 0, lateSnapshotSync: 0 };

function runScenario(sc: Scenario): void {
  const { events, truthAt } = build(sc);
  const seen: BookSyncEvent[] = [];
  const book = new L2Book('T', { windowTicks: 16 });
  const sync = new BookSync(book, { maxBuffered: sc.maxBuffered, onEvent: (e) => seen.push(e) });
  const ref = new RefSync(sc.maxBuffered);
  events.forEach((ev, i) => {
    feed(sync, ev, i);
    if (ev.kind === 'snap') ref.snapshot(ev.s);
    else ref.diff(ev.d);
    expect(sync.state()).toBe(ref.state);
    expect({ ...sync.counters }).toEqual(ref.c);
    expect(book.isValid()).toBe(ref.state === 'SYNCED');
    expect(book.lastUpdateId()).toBe(ref.lastU);
    expect(levelsOf(book, 'bid')).toEqual(ref.levels('bid'));
    expect(levelsOf(book, 'ask')).toEqual(ref.levels('ask'));
    expect(sync.bufferedCount()).toBe(ref.buf.length);
    expect(book.isCrossed()).toBe(ref.isCrossed());
    if (sc.withIds && sync.state() === 'SYNCED') {
      const truth = truthAt.get(book.lastUpdateId())!;
      expect(truth).toBeDefined();
      expect(levelsOf(book, 'bid')).toEqual(truth.bid);
      expect(levelsOf(book, 'ask')).toEqual(truth.ask);
      tally.oracleChecks++;
    }
    if (!sc.withIds && sync.state() === 'SYNCED') tally.idlessSynced++;
  });
  for (const k of ['gaps', 'crossed', 'resyncs', 'evicted', 'ignoredSnapshots', 'dropped'] as const) tally[k] += ref.c[k];
  // A snapshot that found its bridging diff already buffered.
  if (seen.some((e) => e.type === 'synced' || e.type === 'resync') && events.findIndex((e) => e.kind === 'snap') > 0) tally.lateSnapshotSync++;
  const count = (t: BookSyncEvent['type']) => seen.filter((e) => e.type === t).length;
  expect(count('gap')).toBe(ref.c.gaps);
  expect(count('crossed')).toBe(ref.c.crossed);
  expect(count('resync')).toBe(ref.c.resyncs);
  expect(count('synced')).toBe(ref.ever ? 1 : 0);
  expect(count('snapshotIgnored')).toBe(ref.c.ignoredSnapshots);
}

describe('BookSync matches a naive reference sync, and a SYNCED book matches the truth', () => {
  it('under random delivery', () => {
    fc.assert(fc.property(scenario, runScenario), { numRuns: 400 });
    for (const [path, n] of Object.entries(tally)) expect(n, path).toBeGreaterThan(0);
  });

  it('reaches SYNCED and applies every diff when delivery is clean and the snapshot comes late', () => {
    // Guards the generator: the oracle above must actually be exercised.
    fc.assert(
      fc.property(scenario, fc.integer({ min: 1, max: 5 }), (sc, delay) => {
        const clean: Scenario = { ...sc, withIds: true, maxBuffered: 10_000, diffs: sc.diffs.map((d) => ({ ...d, fate: 'ok' as const })), snaps: [{ k: -1, mid: false, at: 0, delay, noise: [] }] };
        // Keep the true book uncrossed so that nothing but the ids decides.
        clean.diffs = clean.diffs.map((d) => ({ ...d, bids: d.bids.filter((l) => l[0] < 118), asks: d.asks.filter((l) => l[0] > 125) }));
        runScenario(clean);
        const { events } = build(clean);
        const sync = new BookSync(new L2Book('T'));
        events.forEach((ev, i) => feed(sync, ev, i));
        expect(sync.state()).toBe('SYNCED');
        expect(sync.counters.gaps).toBe(0);
        expect(sync.counters.applied).toBe(clean.diffs.length);
      }),
      { numRuns: 100 },
    );
  });
});
