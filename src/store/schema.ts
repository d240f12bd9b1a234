/**
 * Table schemas of the market-data store and the mapping between `MarketEvent`s and table rows.
 *
 * Units: every `*_us` column is integer microseconds since the Unix epoch; `*_ticks` are integer
 * multiples of the instrument's tickSize and `*_lots` integer multiples of its stepSize (both are
 * in the Parquet key-value metadata and in the partition's meta.json). Ids are Binance's integers,
 * -1 when the source has none. In memory every integer column is a Float64Array (exact below 2^53,
 * which the writer checks), booleans and sides are Uint8Array, strings are string[].
 *
 * Row order inside a partition (see `compareRows`): ts_receive_us, then seq, then the table's
 * identity columns, then the original order of a depth event's levels. `seq` is the rank of the
 * event among the consecutive events of its symbol that share one ts_receive_us in the recording
 * (0 for the first), so it preserves the recording order of a single source across all tables.
 */
import type { MarketEvent } from '../model/events.ts';

export type TableName = 'depth' | 'book_ticker' | 'trades' | 'agg_trades' | 'mark_price';

/** Tables in rank order: this rank breaks (ts_receive_us, seq) ties when tables are merged. */
export const TABLES: readonly TableName[] = ['depth', 'book_ticker', 'trades', 'agg_trades', 'mark_price'];

export type ColumnKind = 'i64' | 'i32' | 'bool' | 'side' | 'str';
export interface ColumnDef {
  name: string;
  kind: ColumnKind;
}

export type ColumnArray = Float64Array | Uint8Array | string[];

/** Rows of one table, columnar. `columns` holds exactly the table's columns, each `length` long. */
export interface RowBlock {
  table: TableName;
  length: number;
  columns: Record<string, ColumnArray>;
}

/** Codes of the `side` column in memory (stored as the strings 'none' | 'bid' | 'ask'). */
export const SIDE_NONE = 0;
export const SIDE_BID = 1;
export const SIDE_ASK = 2;
export const SIDE_NAMES = ['none', 'bid', 'ask'] as const;

const STAMP: ColumnDef[] = [
  { name: 'ts_receive_us', kind: 'i64' },
  { name: 'seq', kind: 'i32' },
  { name: 'ts_exchange_us', kind: 'i64' },
];

export const TABLE_COLUMNS: Record<TableName, readonly ColumnDef[]> = {
  depth: [
    ...STAMP,
    { name: 'ts_transact_us', kind: 'i64' },
    { name: 'is_snapshot', kind: 'bool' },
    { name: 'first_update_id', kind: 'i64' },
    { name: 'final_update_id', kind: 'i64' },
    { name: 'prev_final_update_id', kind: 'i64' },
    { name: 'side', kind: 'side' },
    { name: 'price_ticks', kind: 'i64' },
    { name: 'qty_lots', kind: 'i64' },
  ],
  book_ticker: [
    ...STAMP,
    { name: 'update_id', kind: 'i64' },
    { name: 'bid_price_ticks', kind: 'i64' },
    { name: 'bid_qty_lots', kind: 'i64' },
    { name: 'ask_price_ticks', kind: 'i64' },
    { name: 'ask_qty_lots', kind: 'i64' },
  ],
  trades: [...STAMP, { name: 'trade_id', kind: 'i64' }, { name: 'price_ticks', kind: 'i64' }, { name: 'qty_lots', kind: 'i64' }, { name: 'buyer_is_maker', kind: 'bool' }],
  agg_trades: [
    ...STAMP,
    { name: 'agg_trade_id', kind: 'i64' },
    { name: 'first_trade_id', kind: 'i64' },
    { name: 'last_trade_id', kind: 'i64' },
    { name: 'price_ticks', kind: 'i64' },
    { name: 'qty_lots', kind: 'i64' },
    { name: 'buyer_is_maker', kind: 'bool' },
  ],
  mark_price: [
    ...STAMP,
    { name: 'mark_price', kind: 'str' },
    { name: 'index_price', kind: 'str' },
    { name: 'funding_rate', kind: 'str' },
    { name: 'next_funding_time_us', kind: 'i64' },
  ],
};

/**
 * Identity columns: two rows with equal ts_receive_us and equal identity (and, for depth, the same
 * position inside their event) are the same record, and only the first is kept. When the table's
 * update id is -1 (unknown) `seq` joins the identity, so distinct id-less events never collapse.
 */
export const IDENTITY: Record<TableName, readonly string[]> = {
  depth: ['is_snapshot', 'final_update_id', 'first_update_id', 'ts_exchange_us'],
  book_ticker: ['update_id', 'ts_exchange_us'],
  trades: ['trade_id'],
  agg_trades: ['agg_trade_id'],
  mark_price: ['ts_exchange_us'],
};
const ID_COLUMN: Record<TableName, string | undefined> = {
  depth: 'final_update_id',
  book_ticker: 'update_id',
  trades: 'trade_id',
  agg_trades: 'agg_trade_id',
  mark_price: undefined,
};

export function tableOf(ev: MarketEvent): TableName {
  switch (ev.type) {
    case 'depth':
    case 'snapshot':
      return 'depth';
    case 'bookTicker':
      return 'book_ticker';
    case 'trade':
      return 'trades';
    case 'aggTrade':
      return 'agg_trades';
    case 'markPrice':
      return 'mark_price';
  }
}

/** A growable columnar buffer for one table. */
export class TableBuilder {
  readonly table: TableName;
  readonly defs: readonly ColumnDef[];
  length = 0;
  private cap: number;
  private cols: ColumnArray[];

  constructor(table: TableName, initialCapacity = 1024) {
    this.table = table;
    this.defs = TABLE_COLUMNS[table];
    this.cap = initialCapacity;
    this.cols = this.defs.map((d) => allocColumn(d.kind, initialCapacity));
  }

  /** Appends one row; `values` follow `defs` order. */
  push(values: readonly (number | string)[]): void {
    if (this.length === this.cap) this.grow();
    const i = this.length++;
    for (let c = 0; c < this.cols.length; c++) (this.cols[c] as (number | string)[])[i] = values[c];
  }

  /** Copies row `i` of `block` (same table) onto the end. */
  pushFrom(block: RowBlock, i: number): void {
    if (this.length === this.cap) this.grow();
    const j = this.length++;
    for (let c = 0; c < this.cols.length; c++) (this.cols[c] as (number | string)[])[j] = (block.columns[this.defs[c].name] as (number | string)[])[i];
  }

  /** The rows so far as a block (views, not copies); the builder must not be reused after `reset`. */
  block(): RowBlock {
    const columns: Record<string, ColumnArray> = {};
    this.defs.forEach((d, c) => {
      const col = this.cols[c];
      columns[d.name] = Array.isArray(col) ? col.slice(0, this.length) : col.subarray(0, this.length);
    });
    return { table: this.table, length: this.length, columns };
  }

  reset(): void {
    this.length = 0;
    this.cols = this.defs.map((d) => allocColumn(d.kind, this.cap));
  }

  private grow(): void {
    this.cap *= 2;
    this.cols = this.cols.map((col, c) => {
      if (Array.isArray(col)) return col;
      const next = allocColumn(this.defs[c].kind, this.cap) as Float64Array | Uint8Array;
      next.set(col as never);
      return next;
    });
  }
}

function allocColumn(kind: ColumnKind, n: number): ColumnArray {
  if (kind === 'str') return [];
  if (kind === 'bool' || kind === 'side') return new Uint8Array(n);
  return new Float64Array(n);
}

/** Number of rows an event occupies (a depth event with no level changes still takes one row). */
export function rowCountOf(ev: MarketEvent): number {
  if (ev.type === 'depth' || ev.type === 'snapshot') return Math.max(1, ev.bidTicks.length + ev.askTicks.length);
  return 1;
}

/**
 * Appends the rows of one event. Depth events become one row per level (bids in their order, then
 * asks); an event with no levels becomes one row with side 'none', price 0, qty 0 so that it keeps
 * its place in the update-id chain.
 */
export function appendEventRows(b: TableBuilder, ev: MarketEvent, seq: number): void {
  const head = [ev.tsReceiveUs, seq, ev.tsExchangeUs];
  switch (ev.type) {
    case 'depth':
    case 'snapshot': {
      const isSnap = ev.type === 'snapshot' ? 1 : 0;
      const first = ev.type === 'snapshot' ? -1 : ev.firstUpdateId;
      const fin = ev.type === 'snapshot' ? ev.lastUpdateId : ev.finalUpdateId;
      const prev = ev.type === 'snapshot' ? -1 : ev.prevFinalUpdateId;
      const pre = [...head, ev.tsTransactUs, isSnap, first, fin, prev];
      if (ev.bidTicks.length + ev.askTicks.length === 0) b.push([...pre, SIDE_NONE, 0, 0]);
      for (let i = 0; i < ev.bidTicks.length; i++) b.push([...pre, SIDE_BID, ev.bidTicks[i], ev.bidLots[i]]);
      for (let i = 0; i < ev.askTicks.length; i++) b.push([...pre, SIDE_ASK, ev.askTicks[i], ev.askLots[i]]);
      return;
    }
    case 'bookTicker':
      b.push([...head, ev.updateId, ev.bidTicks, ev.bidLots, ev.askTicks, ev.askLots]);
      return;
    case 'trade':
      b.push([...head, ev.tradeId, ev.priceTicks, ev.qtyLots, ev.buyerIsMaker ? 1 : 0]);
      return;
    case 'aggTrade':
      b.push([...head, ev.aggTradeId, ev.firstTradeId, ev.lastTradeId, ev.priceTicks, ev.qtyLots, ev.buyerIsMaker ? 1 : 0]);
      return;
    case 'markPrice':
      b.push([...head, ev.markPrice, ev.indexPrice, ev.fundingRate, ev.nextFundingTimeUs]);
      return;
  }
}

/** Integer fields of an event that must be safe integers; returns the first bad field name. */
export function findUnsafeField(ev: MarketEvent): string | undefined {
  for (const [k, v] of Object.entries(ev)) {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) return k;
    if (Array.isArray(v)) for (const x of v) if (typeof x === 'number' && !Number.isSafeInteger(x)) return k;
  }
  return undefined;
}

/**
 * Row comparator for one table: ts_receive_us, seq, identity columns. Returns <0, 0, >0. Level
 * order within a depth event is not part of it: callers keep it by stable sorting/merging.
 */
export function makeRowComparator(table: TableName): (a: RowBlock, i: number, b: RowBlock, j: number) => number {
  const idCols = IDENTITY[table];
  return (a, i, b, j) => {
    const ta = (a.columns.ts_receive_us as Float64Array)[i];
    const tb = (b.columns.ts_receive_us as Float64Array)[j];
    if (ta !== tb) return ta - tb;
    const sa = (a.columns.seq as Float64Array)[i];
    const sb = (b.columns.seq as Float64Array)[j];
    if (sa !== sb) return sa - sb;
    for (const c of idCols) {
      const x = (a.columns[c] as Float64Array | Uint8Array)[i];
      const y = (b.columns[c] as Float64Array | Uint8Array)[j];
      if (x !== y) return x - y;
    }
    return 0;
  };
}

/** The identity of row i as a string (ts_receive_us is implied by the caller's window). */
export function identityKey(table: TableName, block: RowBlock, i: number): string {
  let key = '';
  for (const c of IDENTITY[table]) key += `${(block.columns[c] as Float64Array)[i]}|`;
  const idCol = ID_COLUMN[table];
  if (idCol !== undefined && (block.columns[idCol] as Float64Array)[i] === -1) key += `s${(block.columns.seq as Float64Array)[i]}`;
  return key;
}

/** Whether rows i of a and j of b belong to the same depth event (same stamp and identity). */
export function sameEvent(table: TableName, a: RowBlock, i: number, b: RowBlock, j: number): boolean {
  if ((a.columns.ts_receive_us as Float64Array)[i] !== (b.columns.ts_receive_us as Float64Array)[j]) return false;
  if ((a.columns.seq as Float64Array)[i] !== (b.columns.seq as Float64Array)[j]) return false;
  for (const c of IDENTITY[table]) if ((a.columns[c] as Float64Array)[i] !== (b.columns[c] as Float64Array)[j]) return false;
  return true;
}
