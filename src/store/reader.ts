/**
 * Reading the store: listing, specs, and a time-ordered columnar replay across tables and dates.
 *
 * `readEvents` merges the selected tables of all dates of one venue/symbol by
 * (ts_receive_us, seq, table rank in TABLES, then partition date), reading one row group at a time
 * per file and opening a file only when the merge reaches its first ts_receive_us, so memory is
 * bounded by (open files × one row group) + one batch, whatever the length of the run. Every event
 * is one row. A batch references the decoded row groups (no copy): row k of a batch is row
 * `row[k]` of `blocks[TABLES[table[k]]]`, and a batch ends early when one of its files moves on to
 * its next row group. The merge takes runs of rows from one file at a time (up to the head of the
 * next file), so a dominant table costs one comparison per row, not one per file per row.
 * `from`/`to` select ts_receive_us in [from, to).
 *
 * Consumers: `ReplayCursor` walks a batch without allocating (current event's kind, stamps, and a
 * `FlatDepthDiff` view of a depth event's levels); `eventsFromBatch` / `readMarketEvents` build
 * `MarketEvent` objects (convenient, slower).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../core/errors.ts';
import type { MarketEvent } from '../model/events.ts';
import type { InstrumentSpec } from '../model/instrument.ts';
import { listVisible, partitionDir, readMeta, startOfDateUs, tableFile, tablesIn, utcDateOfUs, type PartitionMeta } from './layout.ts';
import { TableFileReader } from './parquet-io.ts';
import type { FlatDepthDiff } from '../model/events.ts';
import { TABLES, type ListColumn, type RowBlock, type TableName } from './schema.ts';

export interface Store {
  readonly root: string;
  venues(): string[];
  symbols(venue: string): string[];
  /** Dates (YYYY-MM-DD) that have a meta.json, ascending. */
  dates(venue: string, symbol: string): string[];
  tables(venue: string, symbol: string, date: string): TableName[];
  meta(venue: string, symbol: string, date: string): PartitionMeta;
  /** The instrument spec stored with a partition (the first date's if no date is given). */
  spec(venue: string, symbol: string, date?: string): InstrumentSpec;
}

export async function openStore(root: string): Promise<Store> {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new StoreError('store directory does not exist', { file: root });
  const store: Store = {
    root,
    venues: () => listVisible(root, true),
    symbols: (venue) => listVisible(join(root, venue), true),
    dates: (venue, symbol) => listVisible(join(root, venue, symbol), true).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)),
    tables: (venue, symbol, date) => tablesIn(partitionDir(root, venue, symbol, date)),
    meta: (venue, symbol, date) => {
      const dir = partitionDir(root, venue, symbol, date);
      const m = readMeta(dir);
      if (!m) throw new StoreError('partition has no meta.json', { file: join(dir, 'meta.json') });
      return m;
    },
    spec: (venue, symbol, date) => {
      const d = date ?? store.dates(venue, symbol)[0];
      if (d === undefined) throw new StoreError(`no data for ${venue}/${symbol}`, { file: join(root, venue, symbol) });
      return store.meta(venue, symbol, d).instrument;
    },
  };
  return store;
}

export interface ReadOptions {
  venue: string;
  symbol: string;
  /** Inclusive lower bound on ts_receive_us. */
  from?: number;
  /** Exclusive upper bound on ts_receive_us. */
  to?: number;
  /** Tables to replay (default: all). */
  tables?: readonly TableName[];
  /** Maximum merged rows (= events) per batch (default 65536). */
  batchRows?: number;
}

/**
 * A run of merged rows (events) in replay order. Row k of the batch is row `row[k]` of
 * `blocks[TABLES[table[k]]]`. The blocks are whole decoded row groups shared with the reader:
 * treat them as read-only.
 */
export interface ReplayBatch {
  venue: string;
  symbol: string;
  length: number;
  table: Uint8Array;
  row: Uint32Array;
  blocks: Partial<Record<TableName, RowBlock>>;
}

const DAY_US = 86_400_000_000;

class Cursor {
  reader: TableFileReader | undefined;
  block: RowBlock | undefined;
  /** ts_receive_us and seq columns of `block`. */
  ts: Float64Array = EMPTY;
  seq: Float64Array = EMPTY;
  pos = 0;
  private group = 0;
  done = false;
  constructor(
    readonly path: string,
    readonly table: TableName,
    readonly rank: number,
    readonly dateIndex: number,
    /** Lower bound of ts_receive_us in the file, used to delay opening it. */
    public firstTs: number,
  ) {}

  /** Opens the file and positions on its first row with ts_receive_us >= from. */
  async open(from: number): Promise<void> {
    this.reader = new TableFileReader(this.path, this.table);
    await this.loadNext(from);
  }

  async loadNext(from: number): Promise<void> {
    const r = this.reader!;
    this.block = undefined;
    this.pos = 0;
    while (this.group < r.rowGroupCount) {
      const g = this.group++;
      const st = r.metadata.row_groups[g].columns[0]?.meta_data?.statistics;
      if (st?.max_value !== undefined && Number(st.max_value as bigint) < from) continue;
      const b = await r.readRowGroup(g);
      const ts = b.columns.ts_receive_us as Float64Array;
      let p = 0;
      while (p < b.length && ts[p] < from) p++;
      if (p < b.length) {
        this.block = b;
        this.ts = ts;
        this.seq = b.columns.seq as Float64Array;
        this.pos = p;
        return;
      }
    }
    r.close();
    this.done = true;
  }
}

const EMPTY = new Float64Array(0);

/** Whether the head row of a comes before the head row of b in replay order. */
function before(a: Cursor, b: Cursor): boolean {
  const ta = a.ts[a.pos];
  const tb = b.ts[b.pos];
  if (ta !== tb) return ta < tb;
  const sa = a.seq[a.pos];
  const sb = b.seq[b.pos];
  if (sa !== sb) return sa < sb;
  return a.rank !== b.rank ? a.rank < b.rank : a.dateIndex < b.dateIndex;
}

/** Replays one venue/symbol as columnar batches in (ts_receive_us, seq, table rank, date) order. */
export async function* readEvents(root: string, opts: ReadOptions): AsyncIterable<ReplayBatch> {
  const store = await openStore(root);
  const from = opts.from ?? -Infinity;
  const to = opts.to ?? Infinity;
  const batchRows = Math.max(1, opts.batchRows ?? 65_536);
  const wanted = new Set(opts.tables ?? TABLES);
  const dates = store.dates(opts.venue, opts.symbol).filter((d) => {
    // Partitions are by exchange date; receive times may run past midnight, so keep a day of slack.
    const start = startOfDateUs(d);
    return start + 2 * DAY_US > from && start - DAY_US < to;
  });
  if (dates.length === 0 && store.dates(opts.venue, opts.symbol).length === 0) {
    throw new StoreError(`no data for ${opts.venue}/${opts.symbol}`, { file: join(root, opts.venue, opts.symbol) });
  }
  const pending: Cursor[] = [];
  dates.forEach((date, dateIndex) => {
    const meta = store.meta(opts.venue, opts.symbol, date);
    for (const t of TABLES) {
      if (!wanted.has(t) || !meta.tables[t]) continue;
      const path = tableFile(root, opts.venue, opts.symbol, date, t);
      if (!existsSync(path)) throw new StoreError(`store file listed in meta.json is missing`, { file: path });
      const m = meta.tables[t]!;
      if (m.maxTsReceiveUs < from || m.minTsReceiveUs >= to) continue;
      pending.push(new Cursor(path, t, TABLES.indexOf(t), dateIndex, m.minTsReceiveUs));
    }
  });
  pending.sort((a, b) => a.firstTs - b.firstTs || a.rank - b.rank || a.dateIndex - b.dateIndex);
  const active: Cursor[] = [];
  let out = new BatchBuilder(opts.venue, opts.symbol, batchRows);
  try {
    for (;;) {
      // Open every file whose first row could come next.
      let best = pickBest(active);
      while (pending.length > 0 && (best === undefined || pending[0].firstTs <= best.ts[best.pos])) {
        const c = pending.shift()!;
        await c.open(from);
        if (!c.done) active.push(c);
        best = pickBest(active);
      }
      if (best === undefined || best.ts[best.pos] >= to) break;
      // The row that must come after best's run: the head of the next file (or of a pending one).
      let next: Cursor | undefined;
      for (const c of active) if (c !== best && (next === undefined || before(c, next))) next = c;
      const limitTs = Math.min(to, pending.length > 0 ? pending[0].firstTs : Infinity);
      if (out.blocks[best.table] !== undefined && out.blocks[best.table] !== best.block) {
        yield out.finish();
        out = new BatchBuilder(opts.venue, opts.symbol, batchRows);
      }
      out.blocks[best.table] = best.block;
      // Take best's rows while they come before `next` (and before any pending file could start).
      const rank = best.rank;
      const ts = best.ts;
      const n = best.block!.length;
      let p = best.pos;
      do {
        out.push(rank, p);
        p++;
      } while (p < n && !out.full() && ts[p] < limitTs && (next === undefined || before2(best, p, next)));
      best.pos = p;
      if (p >= n) {
        await best.loadNext(from);
        if (best.done) active.splice(active.indexOf(best), 1);
      }
      if (out.full()) {
        yield out.finish();
        out = new BatchBuilder(opts.venue, opts.symbol, batchRows);
      }
    }
    if (out.length > 0) yield out.finish();
  } finally {
    for (const c of [...active, ...pending]) c.reader?.close();
  }
}

/** Whether row p of cursor a comes before the head row of b. */
function before2(a: Cursor, p: number, b: Cursor): boolean {
  const ta = a.ts[p];
  const tb = b.ts[b.pos];
  if (ta !== tb) return ta < tb;
  const sa = a.seq[p];
  const sb = b.seq[b.pos];
  if (sa !== sb) return sa < sb;
  return a.rank !== b.rank ? a.rank < b.rank : a.dateIndex < b.dateIndex;
}

function pickBest(active: Cursor[]): Cursor | undefined {
  let best: Cursor | undefined;
  for (const c of active) if (best === undefined || before(c, best)) best = c;
  return best;
}

class BatchBuilder {
  length = 0;
  readonly blocks: Partial<Record<TableName, RowBlock>> = {};
  private readonly table: Uint8Array;
  private readonly row: Uint32Array;
  constructor(
    private readonly venue: string,
    private readonly symbol: string,
    private readonly capacity: number,
  ) {
    this.table = new Uint8Array(capacity);
    this.row = new Uint32Array(capacity);
  }

  push(rank: number, i: number): void {
    this.table[this.length] = rank;
    this.row[this.length++] = i;
  }

  full(): boolean {
    return this.length >= this.capacity;
  }

  finish(): ReplayBatch {
    return { venue: this.venue, symbol: this.symbol, length: this.length, table: this.table.subarray(0, this.length), row: this.row.subarray(0, this.length), blocks: this.blocks };
  }
}

/** Kinds of the event under a `ReplayCursor`. */
export const EventKind = { depth: 0, snapshot: 1, bookTicker: 2, trade: 3, aggTrade: 4, markPrice: 5 } as const;
export type EventKindCode = (typeof EventKind)[keyof typeof EventKind];

const TABLE_KIND: readonly EventKindCode[] = [EventKind.depth, EventKind.bookTicker, EventKind.trade, EventKind.aggTrade, EventKind.markPrice];

type Cols = Record<string, Float64Array> & Record<string, Uint8Array>;

/**
 * Walks the events of a batch without allocating: `next()` moves to the next event and sets
 * `kind`, the stamps, `block`/`row` (the event's row: read any column) and, for depth diffs and
 * snapshots, `depth`, a `FlatDepthDiff` view of its levels (for a snapshot, `finalUpdateId` is its
 * lastUpdateId and the other ids are -1). The view's arrays are the row group's level values:
 * read them before the next batch. `event()` builds the `MarketEvent` of the current row.
 *
 *   const c = new ReplayCursor();
 *   for await (const batch of readEvents(root, opts)) for (c.reset(batch); c.next(); ) { ... }
 */
export class ReplayCursor {
  kind: EventKindCode = EventKind.depth;
  tsReceiveUs = 0;
  tsExchangeUs = 0;
  /** The current event's row group and row. */
  block: RowBlock = { table: 'depth', length: 0, columns: {} };
  row = -1;
  readonly depth: FlatDepthDiff = {
    tsExchangeUs: 0, firstUpdateId: -1, finalUpdateId: -1, prevFinalUpdateId: -1,
    bidTicks: EMPTY, bidLots: EMPTY, bidStart: 0, bidEnd: 0, askTicks: EMPTY, askLots: EMPTY, askStart: 0, askEnd: 0,
  };
  private batch: ReplayBatch | undefined;
  private k = -1;

  reset(batch: ReplayBatch): this {
    this.batch = batch;
    this.k = -1;
    return this;
  }

  next(): boolean {
    const b = this.batch;
    if (b === undefined || ++this.k >= b.length) return false;
    const t = b.table[this.k];
    const block = b.blocks[TABLES[t]]!;
    const i = b.row[this.k];
    const c = block.columns as Cols;
    this.block = block;
    this.row = i;
    this.tsReceiveUs = c.ts_receive_us[i];
    this.tsExchangeUs = c.ts_exchange_us[i];
    this.kind = TABLE_KIND[t];
    if (t === 0) {
      if (c.is_snapshot[i] === 1) this.kind = EventKind.snapshot;
      const d = this.depth;
      d.tsExchangeUs = this.tsExchangeUs;
      d.firstUpdateId = c.first_update_id[i];
      d.finalUpdateId = c.final_update_id[i];
      d.prevFinalUpdateId = c.prev_final_update_id[i];
      const bt = block.columns.bid_ticks as ListColumn;
      const at = block.columns.ask_ticks as ListColumn;
      d.bidTicks = bt.values;
      d.bidLots = (block.columns.bid_lots as ListColumn).values;
      d.bidStart = bt.offsets[i];
      d.bidEnd = bt.offsets[i + 1];
      d.askTicks = at.values;
      d.askLots = (block.columns.ask_lots as ListColumn).values;
      d.askStart = at.offsets[i];
      d.askEnd = at.offsets[i + 1];
    }
    return true;
  }

  /** Number column of the current row, e.g. col('price_ticks'), col('update_id'). */
  col(name: string): number {
    return (this.block.columns[name] as Float64Array)[this.row];
  }

  /** The current event as a `MarketEvent` object. */
  event(): MarketEvent {
    return eventAt(this.batch!.symbol, this.block, this.row);
  }
}

function slice(l: ListColumn, i: number): number[] {
  return Array.from(l.values.subarray(l.offsets[i], l.offsets[i + 1]));
}

/** The `MarketEvent` of row i of a block. */
export function eventAt(symbol: string, b: RowBlock, i: number): MarketEvent {
  const c = b.columns as Cols & Record<string, string[]>;
  const stamp = { symbol, tsExchangeUs: c.ts_exchange_us[i], tsReceiveUs: c.ts_receive_us[i] };
  switch (b.table) {
    case 'depth': {
      const L = b.columns as Record<string, ListColumn>;
      const levels = { bidTicks: slice(L.bid_ticks, i), bidLots: slice(L.bid_lots, i), askTicks: slice(L.ask_ticks, i), askLots: slice(L.ask_lots, i) };
      if (c.is_snapshot[i] === 1) return { type: 'snapshot', ...stamp, tsTransactUs: c.ts_transact_us[i], lastUpdateId: c.final_update_id[i], ...levels };
      return {
        type: 'depth',
        ...stamp,
        tsTransactUs: c.ts_transact_us[i],
        firstUpdateId: c.first_update_id[i],
        finalUpdateId: c.final_update_id[i],
        prevFinalUpdateId: c.prev_final_update_id[i],
        ...levels,
      };
    }
    case 'book_ticker':
      return { type: 'bookTicker', ...stamp, updateId: c.update_id[i], bidTicks: c.bid_price_ticks[i], bidLots: c.bid_qty_lots[i], askTicks: c.ask_price_ticks[i], askLots: c.ask_qty_lots[i] };
    case 'trades':
      return { type: 'trade', ...stamp, tradeId: c.trade_id[i], priceTicks: c.price_ticks[i], qtyLots: c.qty_lots[i], buyerIsMaker: c.buyer_is_maker[i] === 1 };
    case 'agg_trades':
      return {
        type: 'aggTrade',
        ...stamp,
        aggTradeId: c.agg_trade_id[i],
        firstTradeId: c.first_trade_id[i],
        lastTradeId: c.last_trade_id[i],
        priceTicks: c.price_ticks[i],
        qtyLots: c.qty_lots[i],
        buyerIsMaker: c.buyer_is_maker[i] === 1,
      };
    case 'mark_price':
      return { type: 'markPrice', ...stamp, markPrice: c.mark_price[i], indexPrice: c.index_price[i], fundingRate: c.funding_rate[i], nextFundingTimeUs: c.next_funding_time_us[i] };
  }
}

/** The events of one batch as `MarketEvent` objects. */
export function eventsFromBatch(batch: ReplayBatch): MarketEvent[] {
  const out = new Array<MarketEvent>(batch.length);
  for (let k = 0; k < batch.length; k++) out[k] = eventAt(batch.symbol, batch.blocks[TABLES[batch.table[k]]]!, batch.row[k]);
  return out;
}

/** Replays one venue/symbol as `MarketEvent` objects (convenience; the batches are faster). */
export async function* readMarketEvents(root: string, opts: ReadOptions): AsyncIterable<MarketEvent> {
  for await (const batch of readEvents(root, opts)) yield* eventsFromBatch(batch);
}

export { utcDateOfUs };
