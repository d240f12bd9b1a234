/**
 * Market events read by index (`EventBatch`), and the one decoder of store rows into market events.
 *
 * Units and ordering are the store's (index.ts): times integer µs since the epoch, prices integer
 * ticks, quantities integer lots. Event k of a batch is the k-th event in replay order; every
 * accessor reads it in place. Kinds of batch:
 * - `ColumnarBatch`: a `ReplayBatch` of the store (`readEvents`) read in place. This is the only
 *   code that turns a store row into a `MarketEvent` or a `FlatDepthDiff`; `eventsFromBatch` and
 *   `readMarketEvents` are conveniences over it, so the plain path and the fast path are one.
 * - `ArrayBatch`: a `MarketEvent[]` (synthetic data, tests).
 * - `MergedBatch`: events of several batches in a merged order, built by `mergeSources`.
 *
 * `mergeSources` merges several sources (one per symbol, say) into one stream by
 * (tsReceiveUs, source index), each source keeping its own order among equal times; the output
 * order does not depend on the batch sizes of the inputs or of the output. It is the only merge of
 * event batches. The store has two other merges of a different job: `readEvents` (reader.ts) merges
 * the rows of one symbol's table files by the store order (ts_receive_us, seq, table rank, date),
 * and merge.ts merges the rows of one table with de-duplication for the writer.
 */
import { flatViewOf, type BookTicker, type DepthDiff, type FlatDepthDiff, type MarketEvent, type MarketEventType, type Side, type Trade } from '../model/events.ts';
import { StoreError } from '../core/errors.ts';
import { readEvents, type ReadOptions, type ReplayBatch } from './reader.ts';
import { TABLES, type ListColumn, type RowBlock } from './schema.ts';

/** Market events read by index; `eventAt(k)` may allocate, the other accessors do not. */
export interface EventBatch {
  readonly length: number;
  /** True when `eventAt(k)` returns the same stored object every time (nothing to cache). */
  readonly stable?: boolean;
  typeAt(k: number): MarketEventType;
  symbolAt(k: number): string;
  tsExchangeUsAt(k: number): number;
  /**
   * Match time of event k, µs: its `tsTransactUs` (`T`), or its exchange time where it has none
   * (mark prices). A store written before maker-store/4 gives the exchange time (see schema.ts).
   */
  tsMatchUsAt(k: number): number;
  tsReceiveUsAt(k: number): number;
  eventAt(k: number): MarketEvent;
  /**
   * Fills `out` with the ids and level ranges of event k, which must be a depth diff or a snapshot
   * (no allocation). For a snapshot, `finalUpdateId` is its lastUpdateId and the other ids are -1.
   * The arrays may be shared with the batch: read them before the batch is released.
   */
  flatDepthAt(k: number, out: FlatDepthDiff): void;
  /** Fills `out` with event k, which must be a bookTicker (no allocation). */
  bookTickerAt(k: number, out: WritableBookTicker): void;
  /** Fills `out` with event k, which must be a trade (no allocation). */
  tradeAt(k: number, out: WritableTrade): void;
}

/** A `BookTicker` a driver refills in place for each bookTicker it delivers (see `MarketSink.onFlatBookTicker`). */
export type WritableBookTicker = { -readonly [K in keyof BookTicker]: BookTicker[K] };

/** A `Trade` a driver refills in place for each trade it delivers (see `MarketSink.onFlatTrade`). */
export type WritableTrade = { -readonly [K in keyof Trade]: Trade[K] };

/** Sources of event batches, sync or async; a plain `MarketEvent[]` counts as an `ArrayBatch`. */
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
  tsMatchUsAt(k: number): number {
    const e = this.events[k];
    return e.type === 'markPrice' ? e.tsExchangeUs : e.tsTransactUs;
  }
  tsReceiveUsAt(k: number): number {
    return this.events[k].tsReceiveUs;
  }
  eventAt(k: number): MarketEvent {
    return this.events[k];
  }
  flatDepthAt(k: number, out: FlatDepthDiff): void {
    const e = this.events[k];
    flatViewOf(e as DepthDiff, out);
    if (e.type === 'snapshot') {
      // The ids a snapshot row of the store carries (schema.ts), so both kinds of batch agree.
      out.firstUpdateId = -1;
      out.finalUpdateId = e.lastUpdateId;
      out.prevFinalUpdateId = -1;
    }
  }
  bookTickerAt(k: number, out: WritableBookTicker): void {
    copyTicker(this.events[k] as BookTicker, out);
  }
  tradeAt(k: number, out: WritableTrade): void {
    copyTrade(this.events[k] as Trade, out);
  }
}

export function asEventBatch(b: MarketEvent[] | EventBatch): EventBatch {
  return Array.isArray(b) ? new ArrayBatch(b) : (b as EventBatch);
}

const DEPTH = TABLES.indexOf('depth');
const BOOK_TICKER = TABLES.indexOf('book_ticker');
const TRADES = TABLES.indexOf('trades');
const TABLE_TYPE: readonly MarketEventType[] = TABLES.map((t) => ({ depth: 'depth', book_ticker: 'bookTicker', trades: 'trade', agg_trades: 'aggTrade', mark_price: 'markPrice', force_orders: 'forceOrder' })[t] as MarketEventType);

type Cols = Record<string, Float64Array> & Record<string, Uint8Array> & Record<string, string[]>;

/** The levels of row i as a fresh array: a plain copy loop, cheaper than slicing a typed-array view. */
function copyLevels(l: ListColumn, i: number): number[] {
  const from = l.offsets[i];
  const n = l.offsets[i + 1] - from;
  const v = l.values;
  const out = new Array<number>(n);
  for (let j = 0; j < n; j++) out[j] = v[from + j];
  return out;
}

/**
 * A store `ReplayBatch` read in place: no object per event. `eventAt` builds an event (a depth
 * event's levels are copied into arrays then); `flatDepthAt` views a depth row's levels in the
 * row group's list columns. The batch keeps its decoded row groups alive (the reader allocates
 * every row group afresh), so its events stay readable after the reader has moved on.
 */
export class ColumnarBatch implements EventBatch {
  readonly length: number;
  private readonly tableOf: Uint8Array;
  private readonly rowOf: Uint32Array;
  private readonly blocks: RowBlock[];
  private readonly tsEx: Float64Array[];
  private readonly tsRx: Float64Array[];
  private readonly tsTx: Float64Array[];
  private readonly isSnapshot: Uint8Array;
  // The bookTicker columns, looked up once per batch (`bookTickerAt` runs for most events).
  private readonly btEx: Float64Array;
  private readonly btRx: Float64Array;
  private readonly btTx: Float64Array;
  private readonly btId: Float64Array;
  private readonly btBid: Float64Array;
  private readonly btBidLots: Float64Array;
  private readonly btAsk: Float64Array;
  private readonly btAskLots: Float64Array;
  constructor(readonly batch: ReplayBatch) {
    this.length = batch.length;
    this.tableOf = batch.table;
    this.rowOf = batch.row;
    this.blocks = TABLES.map((t) => batch.blocks[t] ?? EMPTY_BLOCK);
    this.tsEx = this.blocks.map((b) => (b.columns.ts_exchange_us as Float64Array | undefined) ?? EMPTY_F64);
    this.tsRx = this.blocks.map((b) => (b.columns.ts_receive_us as Float64Array | undefined) ?? EMPTY_F64);
    // mark_price has no match time: its exchange time stands in.
    this.tsTx = this.blocks.map((b, t) => (b.columns.ts_transact_us as Float64Array | undefined) ?? this.tsEx[t]);
    this.isSnapshot = (this.blocks[DEPTH].columns.is_snapshot as Uint8Array | undefined) ?? EMPTY_U8;
    const bt = this.blocks[BOOK_TICKER].columns as Record<string, Float64Array | undefined>;
    this.btEx = this.tsEx[BOOK_TICKER];
    this.btRx = this.tsRx[BOOK_TICKER];
    this.btTx = this.tsTx[BOOK_TICKER];
    this.btId = bt.update_id ?? EMPTY_F64;
    this.btBid = bt.bid_price_ticks ?? EMPTY_F64;
    this.btBidLots = bt.bid_qty_lots ?? EMPTY_F64;
    this.btAsk = bt.ask_price_ticks ?? EMPTY_F64;
    this.btAskLots = bt.ask_qty_lots ?? EMPTY_F64;
  }
  typeAt(k: number): MarketEventType {
    const t = this.tableOf[k];
    if (t === DEPTH && this.isSnapshot[this.rowOf[k]] === 1) return 'snapshot';
    return TABLE_TYPE[t];
  }
  symbolAt(_k: number): string {
    return this.batch.symbol;
  }
  tsExchangeUsAt(k: number): number {
    return this.tsEx[this.tableOf[k]][this.rowOf[k]];
  }
  tsMatchUsAt(k: number): number {
    return this.tsTx[this.tableOf[k]][this.rowOf[k]];
  }
  tsReceiveUsAt(k: number): number {
    return this.tsRx[this.tableOf[k]][this.rowOf[k]];
  }
  /**
   * Event k as a fresh `MarketEvent`. Each type is one object literal with the fields in the
   * order of its interface (model/events.ts), so every event of a type has one shape.
   */
  eventAt(k: number): MarketEvent {
    const t = this.tableOf[k];
    const i = this.rowOf[k];
    const b = this.blocks[t];
    const c = b.columns as Cols;
    const symbol = this.batch.symbol;
    switch (b.table) {
      // Trades first: the commonest event a side builds.
      case 'trades':
        return { type: 'trade', symbol, tsExchangeUs: c.ts_exchange_us[i], tsReceiveUs: c.ts_receive_us[i], tsTransactUs: c.ts_transact_us[i], tradeId: c.trade_id[i], priceTicks: c.price_ticks[i], qtyLots: c.qty_lots[i], buyerIsMaker: c.buyer_is_maker[i] === 1 };
      case 'depth': {
        const L = b.columns as Record<string, ListColumn>;
        const bidTicks = copyLevels(L.bid_ticks, i);
        const bidLots = copyLevels(L.bid_lots, i);
        const askTicks = copyLevels(L.ask_ticks, i);
        const askLots = copyLevels(L.ask_lots, i);
        if (this.isSnapshot[i] === 1) {
          return { type: 'snapshot', symbol, tsExchangeUs: c.ts_exchange_us[i], tsReceiveUs: c.ts_receive_us[i], tsTransactUs: c.ts_transact_us[i], lastUpdateId: c.final_update_id[i], bidTicks, bidLots, askTicks, askLots };
        }
        return {
          type: 'depth',
          symbol,
          tsExchangeUs: c.ts_exchange_us[i],
          tsReceiveUs: c.ts_receive_us[i],
          tsTransactUs: c.ts_transact_us[i],
          firstUpdateId: c.first_update_id[i],
          finalUpdateId: c.final_update_id[i],
          prevFinalUpdateId: c.prev_final_update_id[i],
          bidTicks,
          bidLots,
          askTicks,
          askLots,
        };
      }
      case 'book_ticker':
        return { type: 'bookTicker', symbol, tsExchangeUs: c.ts_exchange_us[i], tsReceiveUs: c.ts_receive_us[i], tsTransactUs: c.ts_transact_us[i], updateId: c.update_id[i], bidTicks: c.bid_price_ticks[i], bidLots: c.bid_qty_lots[i], askTicks: c.ask_price_ticks[i], askLots: c.ask_qty_lots[i] };
      case 'agg_trades':
        return {
          type: 'aggTrade',
          symbol,
          tsExchangeUs: c.ts_exchange_us[i],
          tsReceiveUs: c.ts_receive_us[i],
          tsTransactUs: c.ts_transact_us[i],
          aggTradeId: c.agg_trade_id[i],
          firstTradeId: c.first_trade_id[i],
          lastTradeId: c.last_trade_id[i],
          priceTicks: c.price_ticks[i],
          qtyLots: c.qty_lots[i],
          buyerIsMaker: c.buyer_is_maker[i] === 1,
        };
      case 'mark_price':
        return { type: 'markPrice', symbol, tsExchangeUs: c.ts_exchange_us[i], tsReceiveUs: c.ts_receive_us[i], markPrice: c.mark_price[i], indexPrice: c.index_price[i], fundingRate: c.funding_rate[i], nextFundingTimeUs: c.next_funding_time_us[i] };
      case 'force_orders':
        return {
          type: 'forceOrder',
          symbol,
          tsExchangeUs: c.ts_exchange_us[i],
          tsReceiveUs: c.ts_receive_us[i],
          tsTransactUs: c.ts_transact_us[i],
          side: sideOf(c.side[i]),
          orderType: c.order_type[i],
          timeInForce: c.time_in_force[i],
          origQtyLots: c.orig_qty_lots[i],
          priceTicks: c.price_ticks[i],
          avgPrice: c.avg_price[i],
          status: c.status[i],
          lastFilledQtyLots: c.last_filled_qty_lots[i],
          filledQtyLots: c.filled_qty_lots[i],
        };
    }
  }
  flatDepthAt(k: number, out: FlatDepthDiff): void {
    const i = this.rowOf[k];
    const b = this.blocks[DEPTH];
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
  bookTickerAt(k: number, out: WritableBookTicker): void {
    const i = this.rowOf[k];
    out.symbol = this.batch.symbol;
    out.tsExchangeUs = this.btEx[i];
    out.tsReceiveUs = this.btRx[i];
    out.tsTransactUs = this.btTx[i];
    out.updateId = this.btId[i];
    out.bidTicks = this.btBid[i];
    out.bidLots = this.btBidLots[i];
    out.askTicks = this.btAsk[i];
    out.askLots = this.btAskLots[i];
  }
  tradeAt(k: number, out: WritableTrade): void {
    const i = this.rowOf[k];
    const c = this.blocks[TRADES].columns as Cols;
    out.symbol = this.batch.symbol;
    out.tsExchangeUs = c.ts_exchange_us[i];
    out.tsReceiveUs = c.ts_receive_us[i];
    out.tsTransactUs = c.ts_transact_us[i];
    out.tradeId = c.trade_id[i];
    out.priceTicks = c.price_ticks[i];
    out.qtyLots = c.qty_lots[i];
    out.buyerIsMaker = c.buyer_is_maker[i] === 1;
  }
}

/** The `side` column of force_orders (Binance's BUY / SELL) → `Side`; the writer writes only these two. */
function sideOf(s: string): Side {
  if (s === 'BUY') return 'buy';
  if (s === 'SELL') return 'sell';
  throw new StoreError(`force_orders: side "${s}" is neither BUY nor SELL`, { field: 'side' });
}

function copyTicker(e: BookTicker, out: WritableBookTicker): void {
  out.symbol = e.symbol;
  out.tsExchangeUs = e.tsExchangeUs;
  out.tsReceiveUs = e.tsReceiveUs;
  out.tsTransactUs = e.tsTransactUs;
  out.updateId = e.updateId;
  out.bidTicks = e.bidTicks;
  out.bidLots = e.bidLots;
  out.askTicks = e.askTicks;
  out.askLots = e.askLots;
}

function copyTrade(e: Trade, out: WritableTrade): void {
  out.symbol = e.symbol;
  out.tsExchangeUs = e.tsExchangeUs;
  out.tsReceiveUs = e.tsReceiveUs;
  out.tsTransactUs = e.tsTransactUs;
  out.tradeId = e.tradeId;
  out.priceTicks = e.priceTicks;
  out.qtyLots = e.qtyLots;
  out.buyerIsMaker = e.buyerIsMaker;
}

const EMPTY_F64 = new Float64Array(0);
const EMPTY_U8 = new Uint8Array(0);
const EMPTY_BLOCK: RowBlock = { table: 'depth', length: 0, columns: {} };

/** The events of one store batch as `MarketEvent` objects (convenience over `ColumnarBatch`). */
export function eventsFromBatch(batch: ReplayBatch): MarketEvent[] {
  const b = new ColumnarBatch(batch);
  const out = new Array<MarketEvent>(b.length);
  for (let k = 0; k < b.length; k++) out[k] = b.eventAt(k);
  return out;
}

/** Replays one venue/symbol as `MarketEvent` objects (convenience; the batches are faster). */
export async function* readMarketEvents(root: string, opts: ReadOptions): AsyncIterable<MarketEvent> {
  for await (const batch of readEvents(root, opts)) yield* eventsFromBatch(batch);
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
  tsMatchUsAt(k: number): number {
    return this.parts[this.part[k]].tsMatchUsAt(this.row[k]);
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
  bookTickerAt(k: number, out: WritableBookTicker): void {
    this.parts[this.part[k]].bookTickerAt(this.row[k], out);
  }
  tradeAt(k: number, out: WritableTrade): void {
    this.parts[this.part[k]].tradeAt(this.row[k], out);
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
