/**
 * Market-data sources of a backtest, as async iterables of event batches in receive-time order.
 *
 * A batch is an `EventBatch`: the engine reads each event's type, symbol and stamps by index and
 * builds a `MarketEvent` object only for an event a side actually takes (`eventAt`). Two kinds:
 * - `ColumnarBatch`: a `ReplayBatch` of the store read in place (no object per event; a depth
 *   event's levels are copied into arrays only when it is delivered);
 * - `ArrayBatch`: a `MarketEvent[]` (synthetic data, tests).
 * Sources:
 * - `storeSource`: one venue/symbol of the Parquet store (`readEvents`), over [fromUs, toUs) of
 *   receive time, the selected tables only. A batch keeps its decoded row groups alive (the reader
 *   allocates every row group afresh), so events of an older batch stay readable while the engine
 *   still holds them.
 * - `syntheticSource`: the seeded generator of src/synthetic for one symbol.
 * - `mergeSources`: several sources in one clock, merged by (tsReceiveUs, source index), each
 *   source keeping its own order among equal times. The output order does not depend on the batch
 *   sizes of the inputs or of the output (determinism across reader batch sizes).
 *
 * The async boundary is the batch: the engine's loop over a batch is synchronous.
 */
import { StoreError } from '../core/errors.ts';
import { flatViewOf, type DepthDiff, type FlatDepthDiff, type MarketEvent } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import { eventAt as storeEventAt, readEvents, TABLES, type ListColumn, type ReplayBatch, type RowBlock, type TableName } from '../store/index.ts';
import { generateSynthetic, type SyntheticConfig } from '../synthetic/index.ts';

export type MarketEventType = MarketEvent['type'];

/** Market events read by index; `eventAt(k)` may allocate, the other accessors do not. */
export interface EventBatch {
  readonly length: number;
  /** True when `eventAt(k)` returns the same stored object every time (nothing to cache). */
  readonly stable?: boolean;
  typeAt(k: number): MarketEventType;
  symbolAt(k: number): string;
  tsExchangeUsAt(k: number): number;
  tsReceiveUsAt(k: number): number;
  eventAt(k: number): MarketEvent;
  /** Fills `out` with the ids and level ranges of event k, which must be a depth diff (no allocation). */
  flatDepthAt(k: number, out: FlatDepthDiff): void;
}

export type EventBatches = AsyncIterable<MarketEvent[] | EventBatch> | Iterable<MarketEvent[] | EventBatch>;

/** A `MarketEvent[]` as an `EventBatch`. */
export class ArrayBatch implements EventBatch {
  readonly length: number;
  readonly stable = true;
  constructor(readonly events: readonly MarketEvent[]) {
    this.length = events.length;
  }
  typeAt(k: number): MarketEventType {
    return this.events[k].type;
  }
  symbolAt(k: number): string {
    return this.events[k].symbol;
  }
  tsExchangeUsAt(k: number): number {
    return this.events[k].tsExchangeUs;
  }
  tsReceiveUsAt(k: number): number {
    return this.events[k].tsReceiveUs;
  }
  eventAt(k: number): MarketEvent {
    return this.events[k];
  }
  flatDepthAt(k: number, out: FlatDepthDiff): void {
    flatViewOf(this.events[k] as DepthDiff, out);
  }
}

export function asEventBatch(b: MarketEvent[] | EventBatch): EventBatch {
  return Array.isArray(b) ? new ArrayBatch(b) : (b as EventBatch);
}

const TRADES = TABLES.indexOf('trades');
const TABLE_TYPE: readonly MarketEventType[] = TABLES.map((t) => ({ depth: 'depth', book_ticker: 'bookTicker', trades: 'trade', agg_trades: 'aggTrade', mark_price: 'markPrice' })[t] as MarketEventType);

function copyLevels(l: ListColumn, i: number): number[] {
  const from = l.offsets[i];
  const n = l.offsets[i + 1] - from;
  const v = l.values;
  const out = new Array<number>(n);
  for (let j = 0; j < n; j++) out[j] = v[from + j];
  return out;
}

/** A store `ReplayBatch` read in place. */
export class ColumnarBatch implements EventBatch {
  readonly length: number;
  private readonly tableOf: Uint8Array;
  private readonly rowOf: Uint32Array;
  private readonly blocks: RowBlock[];
  private readonly tsEx: Float64Array[];
  private readonly tsRx: Float64Array[];
  private readonly isSnapshot: Uint8Array;
  constructor(readonly batch: ReplayBatch) {
    this.length = batch.length;
    this.tableOf = batch.table;
    this.rowOf = batch.row;
    this.blocks = TABLES.map((t) => batch.blocks[t] ?? EMPTY_BLOCK);
    this.tsEx = this.blocks.map((b) => (b.columns.ts_exchange_us as Float64Array | undefined) ?? EMPTY_F64);
    this.tsRx = this.blocks.map((b) => (b.columns.ts_receive_us as Float64Array | undefined) ?? EMPTY_F64);
    this.isSnapshot = (this.blocks[0].columns.is_snapshot as Uint8Array | undefined) ?? EMPTY_U8;
  }
  typeAt(k: number): MarketEventType {
    const t = this.tableOf[k];
    if (t === 0 && this.isSnapshot[this.rowOf[k]] === 1) return 'snapshot';
    return TABLE_TYPE[t];
  }
  symbolAt(_k: number): string {
    return this.batch.symbol;
  }
  tsExchangeUsAt(k: number): number {
    return this.tsEx[this.tableOf[k]][this.rowOf[k]];
  }
  tsReceiveUsAt(k: number): number {
    return this.tsRx[this.tableOf[k]][this.rowOf[k]];
  }
  eventAt(k: number): MarketEvent {
    const t = this.tableOf[k];
    const i = this.rowOf[k];
    const b = this.blocks[t];
    if (t === TRADES) {
      // The commonest event a side builds: a literal of one fixed shape (the store's eventAt spreads a stamp object).
      const c = b.columns as Record<string, Float64Array> & Record<string, Uint8Array>;
      return { type: 'trade', symbol: this.batch.symbol, tsExchangeUs: c.ts_exchange_us[i], tsReceiveUs: c.ts_receive_us[i], tradeId: c.trade_id[i], priceTicks: c.price_ticks[i], qtyLots: c.qty_lots[i], buyerIsMaker: c.buyer_is_maker[i] === 1 };
    }
    if (t !== 0) return storeEventAt(this.batch.symbol, b, i);
    // Depth: the store's eventAt slices through typed-array views; a plain copy loop is cheaper.
    const c = b.columns as Record<string, Float64Array>;
    const L = b.columns as Record<string, ListColumn>;
    const symbol = this.batch.symbol;
    const levels = { bidTicks: copyLevels(L.bid_ticks, i), bidLots: copyLevels(L.bid_lots, i), askTicks: copyLevels(L.ask_ticks, i), askLots: copyLevels(L.ask_lots, i) };
    if (this.isSnapshot[i] === 1) return { type: 'snapshot', symbol, tsExchangeUs: c.ts_exchange_us[i], tsReceiveUs: c.ts_receive_us[i], tsTransactUs: c.ts_transact_us[i], lastUpdateId: c.final_update_id[i], ...levels };
    return {
      type: 'depth',
      symbol,
      tsExchangeUs: c.ts_exchange_us[i],
      tsReceiveUs: c.ts_receive_us[i],
      tsTransactUs: c.ts_transact_us[i],
      firstUpdateId: c.first_update_id[i],
      finalUpdateId: c.final_update_id[i],
      prevFinalUpdateId: c.prev_final_update_id[i],
      ...levels,
    };
  }
  flatDepthAt(k: number, out: FlatDepthDiff): void {
    const i = this.rowOf[k];
    const b = this.blocks[0];
    const c = b.columns as Record<string, Float64Array>;
    const L = b.columns as Record<string, ListColumn>;
    out.tsExchangeUs = c.ts_exchange_us[i];
    out.firstUpdateId = c.first_update_id[i];
    out.finalUpdateId = c.final_update_id[i];
    out.prevFinalUpdateId = c.prev_final_update_id[i];
    const bt = L.bid_ticks;
    const at = L.ask_ticks;
    out.bidTicks = bt.values;
    out.bidLots = L.bid_lots.values;
    out.bidStart = bt.offsets[i];
    out.bidEnd = bt.offsets[i + 1];
    out.askTicks = at.values;
    out.askLots = L.ask_lots.values;
    out.askStart = at.offsets[i];
    out.askEnd = at.offsets[i + 1];
  }
}

const EMPTY_F64 = new Float64Array(0);
const EMPTY_U8 = new Uint8Array(0);
const EMPTY_BLOCK: RowBlock = { table: 'depth', length: 0, columns: {} };

/** Store table of each scenario stream name. */
export const STREAM_TABLES: Record<string, TableName> = {
  depth: 'depth',
  trades: 'trades',
  bookTicker: 'book_ticker',
  aggTrades: 'agg_trades',
  markPrice: 'mark_price',
};

/** Event types of each scenario stream name (depth includes snapshots). */
export const STREAM_TYPES: Record<string, readonly MarketEvent['type'][]> = {
  depth: ['depth', 'snapshot'],
  trades: ['trade'],
  bookTicker: ['bookTicker'],
  aggTrades: ['aggTrade'],
  markPrice: ['markPrice'],
};

export interface StoreSourceOptions {
  root: string;
  venue: string;
  symbol: string;
  fromUs?: number;
  toUs?: number;
  tables?: readonly TableName[];
  batchRows?: number;
}

export async function* storeSource(o: StoreSourceOptions): AsyncGenerator<EventBatch> {
  for await (const batch of readEvents(o.root, { venue: o.venue, symbol: o.symbol, from: o.fromUs, to: o.toUs, tables: o.tables, batchRows: o.batchRows })) {
    if (batch.length === 0) continue;
    let b: ColumnarBatch;
    try {
      b = new ColumnarBatch(batch);
    } catch (e) {
      throw new StoreError(`cannot decode a batch of ${o.venue}/${o.symbol}: ${(e as Error).message}`, { file: o.root }, e);
    }
    yield b;
  }
}

/** The synthetic market of one symbol, optionally keeping only some event types. */
export function* syntheticSource(cfg: SyntheticConfig, inst: Instrument, keep?: ReadonlySet<MarketEvent['type']>, batchSize = 4096): Generator<MarketEvent[]> {
  for (const batch of generateSynthetic(cfg, inst, batchSize)) {
    const out = keep ? batch.filter((e) => keep.has(e.type)) : batch;
    if (out.length > 0) yield out;
  }
}

/** Re-cuts a stream into batches of exactly `size` events (the last may be shorter); for tests of batch-size independence. */
export async function* rebatch(src: EventBatches, size: number): AsyncGenerator<MarketEvent[]> {
  let out: MarketEvent[] = [];
  for await (const raw of src) {
    const batch = asEventBatch(raw);
    for (let k = 0; k < batch.length; k++) {
      out.push(batch.eventAt(k));
      if (out.length >= size) {
        yield out;
        out = [];
      }
    }
  }
  if (out.length > 0) yield out;
}

/** Events of several batches, in a merged order: event k is event `row[k]` of `parts[part[k]]`. */
export class MergedBatch implements EventBatch {
  readonly stable: boolean;
  constructor(
    readonly parts: readonly EventBatch[],
    private readonly part: Uint16Array,
    private readonly row: Uint32Array,
    readonly length: number,
  ) {
    this.stable = parts.every((p) => p.stable === true);
  }
  typeAt(k: number): MarketEventType {
    return this.parts[this.part[k]].typeAt(this.row[k]);
  }
  symbolAt(k: number): string {
    return this.parts[this.part[k]].symbolAt(this.row[k]);
  }
  tsExchangeUsAt(k: number): number {
    return this.parts[this.part[k]].tsExchangeUsAt(this.row[k]);
  }
  tsReceiveUsAt(k: number): number {
    return this.parts[this.part[k]].tsReceiveUsAt(this.row[k]);
  }
  eventAt(k: number): MarketEvent {
    return this.parts[this.part[k]].eventAt(this.row[k]);
  }
  flatDepthAt(k: number, out: FlatDepthDiff): void {
    this.parts[this.part[k]].flatDepthAt(this.row[k], out);
  }
}

class MergedBuilder {
  private parts: EventBatch[] = [];
  private part: Uint16Array;
  private row: Uint32Array;
  length = 0;
  constructor(private readonly capacity: number) {
    this.part = new Uint16Array(capacity);
    this.row = new Uint32Array(capacity);
  }
  push(b: EventBatch, k: number): void {
    let p = this.parts.length - 1;
    if (p < 0 || this.parts[p] !== b) {
      p = this.parts.indexOf(b);
      if (p < 0) p = this.parts.push(b) - 1;
    }
    this.part[this.length] = p;
    this.row[this.length++] = k;
  }
  full(): boolean {
    return this.length >= this.capacity;
  }
  finish(): MergedBatch {
    const out = new MergedBatch(this.parts, this.part.subarray(0, this.length), this.row.subarray(0, this.length), this.length);
    this.parts = [];
    this.part = new Uint16Array(this.capacity);
    this.row = new Uint32Array(this.capacity);
    this.length = 0;
    return out;
  }
}

interface Lane {
  it: AsyncIterator<MarketEvent[] | EventBatch> | Iterator<MarketEvent[] | EventBatch>;
  batch: EventBatch;
  pos: number;
  done: boolean;
}

const NO_EVENTS: EventBatch = new ArrayBatch([]);

async function refill(l: Lane): Promise<void> {
  while (!l.done && l.pos >= l.batch.length) {
    const r = await l.it.next();
    if (r.done) l.done = true;
    else {
      l.batch = asEventBatch(r.value);
      l.pos = 0;
    }
  }
}

function iteratorOf(src: EventBatches): AsyncIterator<MarketEvent[] | EventBatch> | Iterator<MarketEvent[] | EventBatch> {
  const asyncIt = (src as AsyncIterable<MarketEvent[] | EventBatch>)[Symbol.asyncIterator];
  return asyncIt ? asyncIt.call(src) : (src as Iterable<MarketEvent[] | EventBatch>)[Symbol.iterator]();
}

/** Merges sources by (tsReceiveUs, source index); batches of up to `batchSize` events. */
export async function* mergeSources(sources: readonly EventBatches[], batchSize = 65_536): AsyncGenerator<EventBatch> {
  if (sources.length === 1) {
    for await (const b of sources[0] as AsyncIterable<MarketEvent[] | EventBatch>) yield asEventBatch(b);
    return;
  }
  const lanes: Lane[] = sources.map((s) => ({ it: iteratorOf(s), batch: NO_EVENTS, pos: 0, done: false }));
  const out = new MergedBuilder(batchSize);
  try {
    for (const l of lanes) await refill(l);
    for (;;) {
      let best = -1;
      let bestTs = Infinity;
      for (let i = 0; i < lanes.length; i++) {
        const l = lanes[i];
        if (l.done) continue;
        const ts = l.batch.tsReceiveUsAt(l.pos);
        if (ts < bestTs) {
          bestTs = ts;
          best = i;
        }
      }
      if (best < 0) break;
      const l = lanes[best];
      // Take the run of this lane's events up to the next lane's time (ties go to the lower index).
      let limit = Infinity;
      let limitInclusive = true;
      for (let i = 0; i < lanes.length; i++) {
        if (i === best || lanes[i].done) continue;
        const ts = lanes[i].batch.tsReceiveUsAt(lanes[i].pos);
        if (ts < limit || (ts === limit && i < best)) {
          limit = ts;
          limitInclusive = i > best;
        }
      }
      const b = l.batch;
      while (l.pos < b.length) {
        const ts = b.tsReceiveUsAt(l.pos);
        if (ts > limit || (ts === limit && !limitInclusive)) break;
        out.push(b, l.pos);
        l.pos++;
        if (out.full()) yield out.finish();
      }
      await refill(l);
    }
    if (out.length > 0) yield out.finish();
  } finally {
    for (const l of lanes) if (!l.done) await l.it.return?.();
  }
}
