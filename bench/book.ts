/**
 * Book apply benchmark: the BTCUSDT 2024-08-08 depth diffs (hftbacktest recording, 6,551 diffs)
 * applied to our L2Book, to tardis-dev's `OrderBook` and to ccxt's `OrderBook`, each fed its
 * native input, in the same run on the same diffs. Parsing happens outside the timed region.
 *
 * One pass = reset the book from the REST snapshot, then apply every diff from the bridging one
 * on. Each timed run repeats passes until it has lasted >= 0.5 s (after two warm-up passes). The rate counts diff level updates only; the snapshot reload is inside the
 * timed region for every book alike.
 *
 *   ours             L2Book.applySideLevels on flat Float64Arrays (ticks/lots), no allocation
 *   ours via sync    the same through BookSync.applyFlatDiff (adds the pu chain and crossed checks)
 *   tardis-dev       OrderBook.update(BookChange) with float {price, amount} levels
 *   ccxt             OrderBook bids/asks .store(price, amount) with floats (what ccxt's binance
 *                    handler does per delta)
 *
 * Standalone: `node --import tsx bench/book.ts [runs]` prints a table.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OrderBook as TardisOrderBook, type BookChange } from 'tardis-dev';
import { BookSync, L2Book } from '../src/book/index.ts';
import type { FlatDepthDiff } from '../src/model/events.ts';
import type { DepthDiff, DepthSnapshot } from '../src/model/index.ts';
import { HBT_BTC, loadRealEvents, realSpecs } from '../scripts/shared-data.ts';

export interface Stat {
  min: number;
  median: number;
  max: number;
}

export interface BookBenchResult {
  oursLevelUpdatesPerSec: Stat;
  oursViaSyncLevelUpdatesPerSec: Stat;
  tardisLevelUpdatesPerSec: Stat;
  ccxtLevelUpdatesPerSec: Stat;
  /** Diff level updates per pass. */
  levelUpdates: number;
  diffsPerPass: number;
  /** Passes over all runs, per book. */
  passes: { ours: number; oursViaSync: number; tardis: number; ccxt: number };
}

const MIN_RUN_SECONDS = 0.5;

interface CcxtSide {
  store(price: number, amount: number): void;
  [i: number]: [number, number];
  length: number;
}
interface CcxtOrderBook {
  bids: CcxtSide;
  asks: CcxtSide;
}
type CcxtOrderBookCtor = new (snapshot?: object, depth?: number) => CcxtOrderBook;

async function loadCcxtOrderBook(): Promise<CcxtOrderBookCtor> {
  // ccxt does not export its websocket order book from the package root; load the module by path.
  const root = join(dirname(createRequire(import.meta.url).resolve('ccxt')), '..');
  const mod = (await import(pathToFileURL(join(root, 'js', 'src', 'base', 'ws', 'OrderBook.js')).href)) as { OrderBook: CcxtOrderBookCtor };
  return mod.OrderBook;
}

/** All diffs of one pass in columnar form: levels of diff i are [off[i], off[i+1]). */
interface Columns {
  n: number;
  ids: Float64Array; // U, u, pu per diff
  bidTicks: Float64Array;
  bidLots: Float64Array;
  bidOff: Int32Array;
  askTicks: Float64Array;
  askLots: Float64Array;
  askOff: Int32Array;
}

function toColumns(diffs: DepthDiff[]): Columns {
  const nb = diffs.reduce((s, d) => s + d.bidTicks.length, 0);
  const na = diffs.reduce((s, d) => s + d.askTicks.length, 0);
  const c: Columns = {
    n: diffs.length, ids: new Float64Array(diffs.length * 3),
    bidTicks: new Float64Array(nb), bidLots: new Float64Array(nb), bidOff: new Int32Array(diffs.length + 1),
    askTicks: new Float64Array(na), askLots: new Float64Array(na), askOff: new Int32Array(diffs.length + 1),
  };
  let b = 0;
  let a = 0;
  diffs.forEach((d, i) => {
    c.ids[i * 3] = d.firstUpdateId;
    c.ids[i * 3 + 1] = d.finalUpdateId;
    c.ids[i * 3 + 2] = d.prevFinalUpdateId;
    c.bidOff[i] = b;
    c.askOff[i] = a;
    for (let k = 0; k < d.bidTicks.length; k++, b++) { c.bidTicks[b] = d.bidTicks[k]; c.bidLots[b] = d.bidLots[k]; }
    for (let k = 0; k < d.askTicks.length; k++, a++) { c.askTicks[a] = d.askTicks[k]; c.askLots[a] = d.askLots[k]; }
  });
  c.bidOff[diffs.length] = b;
  c.askOff[diffs.length] = a;
  return c;
}

function statOf(xs: number[]): Stat {
  const s = [...xs].sort((x, y) => x - y);
  return { min: s[0], median: s[Math.floor((s.length - 1) / 2)], max: s[s.length - 1] };
}

type Contender = 'ours' | 'oursViaSync' | 'tardis' | 'ccxt';

/** `only` restricts the run to some books (for quick iterations); the others report NaN. */
export async function benchBook(opts: { runs: number; only?: Contender[] }): Promise<BookBenchResult> {
  const runs = Math.max(1, Math.floor(opts.runs));
  const specs = realSpecs();
  const inst = specs.get('BTCUSDT');
  const events = await loadRealEvents(HBT_BTC, { types: ['depth', 'snapshot'], specs });
  const snapshot = events.find((e): e is DepthSnapshot => e.type === 'snapshot');
  if (!snapshot) throw new Error(`${HBT_BTC}: no REST snapshot line`);
  const L = snapshot.lastUpdateId;
  const diffs = events.filter((e): e is DepthDiff => e.type === 'depth' && e.finalUpdateId >= L);
  const cols = toColumns(diffs);
  const levelUpdates = cols.bidTicks.length + cols.askTicks.length;
  const px = (t: number) => inst.ticksToFloat(t);
  const qty = (l: number) => inst.lotsToFloat(l);

  // ---- ours ----
  const snapBidT = Float64Array.from(snapshot.bidTicks);
  const snapBidL = Float64Array.from(snapshot.bidLots);
  const snapAskT = Float64Array.from(snapshot.askTicks);
  const snapAskL = Float64Array.from(snapshot.askLots);
  const ours = new L2Book('BTCUSDT');
  const oursPass = () => {
    ours.loadSnapshot(snapBidT, snapBidL, snapAskT, snapAskL);
    const { bidTicks, bidLots, bidOff, askTicks, askLots, askOff, n } = cols;
    for (let i = 0; i < n; i++) {
      ours.applySideLevels('bid', bidTicks, bidLots, bidOff[i], bidOff[i + 1]);
      ours.applySideLevels('ask', askTicks, askLots, askOff[i], askOff[i + 1]);
    }
  };

  // ---- ours through the sync state machine ----
  const sync = new BookSync(new L2Book('BTCUSDT'));
  const flat: FlatDepthDiff = {
    tsExchangeUs: 0, firstUpdateId: 0, finalUpdateId: 0, prevFinalUpdateId: 0,
    bidTicks: cols.bidTicks, bidLots: cols.bidLots, bidStart: 0, bidEnd: 0, askTicks: cols.askTicks, askLots: cols.askLots, askStart: 0, askEnd: 0,
  };
  const syncPass = () => {
    sync.reset();
    sync.applySnapshot(snapshot);
    const { ids, bidOff, askOff, n } = cols;
    for (let i = 0; i < n; i++) {
      flat.firstUpdateId = ids[i * 3];
      flat.finalUpdateId = ids[i * 3 + 1];
      flat.prevFinalUpdateId = ids[i * 3 + 2];
      flat.bidStart = bidOff[i];
      flat.bidEnd = bidOff[i + 1];
      flat.askStart = askOff[i];
      flat.askEnd = askOff[i + 1];
      sync.applyFlatDiff(flat);
    }
  };

  // ---- tardis-dev: BookChange objects with float levels ----
  const when = new Date(snapshot.tsExchangeUs / 1000);
  const change = (isSnapshot: boolean, bt: ArrayLike<number>, bl: ArrayLike<number>, at: ArrayLike<number>, al: ArrayLike<number>): BookChange => ({
    type: 'book_change', symbol: 'BTCUSDT', exchange: 'binance-futures', isSnapshot,
    bids: Array.from({ length: bt.length }, (_, k) => ({ price: px(bt[k]), amount: qty(bl[k]) })),
    asks: Array.from({ length: at.length }, (_, k) => ({ price: px(at[k]), amount: qty(al[k]) })),
    timestamp: when, localTimestamp: when,
  });
  const tardisSnapshot = change(true, snapshot.bidTicks, snapshot.bidLots, snapshot.askTicks, snapshot.askLots);
  const tardisDiffs = diffs.map((d) => change(false, d.bidTicks, d.bidLots, d.askTicks, d.askLots));
  const tardis = new TardisOrderBook();
  const tardisPass = () => {
    tardis.update(tardisSnapshot);
    for (let i = 0; i < tardisDiffs.length; i++) tardis.update(tardisDiffs[i]);
  };

  // ---- ccxt: [price, amount] floats stored per side ----
  const CcxtOrderBook = await loadCcxtOrderBook();
  const f64 = (xs: ArrayLike<number>, f: (x: number) => number) => Float64Array.from(xs as ArrayLike<number>, f);
  const cSnapBidP = f64(snapshot.bidTicks, px), cSnapBidA = f64(snapshot.bidLots, qty);
  const cSnapAskP = f64(snapshot.askTicks, px), cSnapAskA = f64(snapshot.askLots, qty);
  const cBidP = f64(cols.bidTicks, px), cBidA = f64(cols.bidLots, qty);
  const cAskP = f64(cols.askTicks, px), cAskA = f64(cols.askLots, qty);
  let ccxt = new CcxtOrderBook();
  const ccxtPass = () => {
    // A fresh book per pass: ccxt keeps the stored [price, amount] arrays and mutates them later.
    const ob = new CcxtOrderBook();
    for (let k = 0; k < cSnapBidP.length; k++) ob.bids.store(cSnapBidP[k], cSnapBidA[k]);
    for (let k = 0; k < cSnapAskP.length; k++) ob.asks.store(cSnapAskP[k], cSnapAskA[k]);
    const { bidOff, askOff, n } = cols;
    for (let i = 0; i < n; i++) {
      for (let k = bidOff[i]; k < bidOff[i + 1]; k++) ob.bids.store(cBidP[k], cBidA[k]);
      for (let k = askOff[i]; k < askOff[i + 1]; k++) ob.asks.store(cAskP[k], cAskA[k]);
    }
    ccxt = ob;
  };

  /** Repeats passes until at least MIN_RUN_SECONDS have elapsed; returns [seconds, passes]. */
  const timeRun = (pass: () => void): [number, number] => {
    const t0 = performance.now();
    let n = 0;
    let secs = 0;
    do {
      pass();
      n++;
      secs = (performance.now() - t0) / 1000;
    } while (secs < MIN_RUN_SECONDS);
    return [secs, n];
  };
  const contenders = { ours: oursPass, oursViaSync: syncPass, tardis: tardisPass, ccxt: ccxtPass };
  const enabled = (Object.keys(contenders) as Contender[]).filter((k) => opts.only === undefined || opts.only.includes(k));
  const on = (k: Contender) => enabled.includes(k);
  const passes = { ours: 0, oursViaSync: 0, tardis: 0, ccxt: 0 };
  for (const k of enabled) {
    // Warm-up, so that the first run does not time the JIT.
    contenders[k]();
    contenders[k]();
  }

  // All four books must agree on the final top of book, or the comparison is meaningless.
  const expectEq = (what: string, a: number, b: number) => {
    if (a !== b) throw new Error(`book benchmark: ${what} disagree: ${a} vs ${b}`);
  };
  oursPass();
  if (on('oursViaSync')) {
    if (sync.counters.gaps !== 0 || sync.counters.crossed !== 0 || sync.state() !== 'SYNCED') throw new Error(`book benchmark: sync not clean: ${JSON.stringify(sync.counters)}`);
    expectEq('ours/sync best bid', ours.bestBidTicks(), sync.book.bestBidTicks());
    expectEq('ours/sync best ask lots', ours.bestAskLots(), sync.book.bestAskLots());
  }
  if (on('tardis')) {
    expectEq('ours/tardis best bid', px(ours.bestBidTicks()), tardis.bestBid()!.price);
    expectEq('ours/tardis best ask', px(ours.bestAskTicks()), tardis.bestAsk()!.price);
    expectEq('ours/tardis best ask amount', qty(ours.bestAskLots()), tardis.bestAsk()!.amount);
  }
  if (on('ccxt')) {
    expectEq('ours/ccxt best bid', px(ours.bestBidTicks()), ccxt.bids[0][0]);
    expectEq('ours/ccxt best ask', px(ours.bestAskTicks()), ccxt.asks[0][0]);
    expectEq('ours/ccxt bid levels', ours.levelCount('bid'), ccxt.bids.length);
  }

  const rates = { ours: [] as number[], oursViaSync: [] as number[], tardis: [] as number[], ccxt: [] as number[] };
  for (let r = 0; r < runs; r++) {
    for (const k of enabled) {
      const [secs, n] = timeRun(contenders[k]);
      passes[k] += n;
      rates[k].push((levelUpdates * n) / secs);
    }
  }
  const nan = { min: NaN, median: NaN, max: NaN };
  const stat = (xs: number[]): Stat => (xs.length === 0 ? nan : statOf(xs));
  return {
    oursLevelUpdatesPerSec: stat(rates.ours),
    oursViaSyncLevelUpdatesPerSec: stat(rates.oursViaSync),
    tardisLevelUpdatesPerSec: stat(rates.tardis),
    ccxtLevelUpdatesPerSec: stat(rates.ccxt),
    levelUpdates,
    diffsPerPass: cols.n,
    passes,
  };
}

function fmt(n: number): string {
  return `${(n / 1e6).toFixed(2)} M`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = Number(process.argv[2] ?? 5);
  const r = await benchBook({ runs });
  console.log(`BTCUSDT 2024-08-08: ${r.diffsPerPass} diffs, ${r.levelUpdates} level updates per pass; runs: ${runs}; passes over all runs: ${JSON.stringify(r.passes)}`);
  console.log(`${'book'.padEnd(22)}${'min'.padStart(10)}${'median'.padStart(10)}${'max'.padStart(10)}  level updates/s`);
  const rows: [string, Stat][] = [
    ['ours (L2Book, flat)', r.oursLevelUpdatesPerSec],
    ['ours via BookSync', r.oursViaSyncLevelUpdatesPerSec],
    ['tardis-dev OrderBook', r.tardisLevelUpdatesPerSec],
    ['ccxt OrderBook', r.ccxtLevelUpdatesPerSec],
  ];
  for (const [name, s] of rows) console.log(`${name.padEnd(22)}${fmt(s.min).padStart(10)}${fmt(s.median).padStart(10)}${fmt(s.max).padStart(10)}`);
  const m = r.oursLevelUpdatesPerSec.median;
  console.log(`speed-up (medians): ${(m / r.tardisLevelUpdatesPerSec.median).toFixed(1)}x tardis-dev (target >= 10x), ${(m / r.ccxtLevelUpdatesPerSec.median).toFixed(1)}x ccxt (target >= 50x)`);
}
