/**
 * Table schemas of the market-data store and the mapping between `MarketEvent`s and table rows.
 *
 * Units: every `*_us` column is integer microseconds since the Unix epoch; `*_ticks` are integer
 * multiples of the instrument's tickSize and `*_lots` integer multiples of its stepSize (both are
 * in the Parquet key-value metadata and in the partition's meta.json). Ids are Binance's integers,
 * -1 when the source has none. In memory every integer column is a Float64Array (exact below 2^53,
 * which the writer checks), booleans are Uint8Array, strings are string[], and a list column (the
 * depth table's level prices and quantities) is a `ListColumn`: all values of the block in one
 * Float64Array plus row offsets, so a replay never allocates an array per event.
 *
 * Times: ts_exchange_us is the push time `E`, ts_transact_us (every table but mark_price) the match
 * time `T` (= ts_exchange_us where the source has no T; a liquidation order's trade time). Depth has had ts_transact_us since
 * maker-store/2; book_ticker, trades and agg_trades since maker-store/4. A file written before
 * lacks the column: readers fill it from ts_exchange_us (`DERIVED_COLUMNS`), and the partition's
 * meta says so (`tableLacksMatchTime`, layout.ts).
 *
 * Every event is one row (format 2; format 1 had one depth row per level). Row order inside a
 * partition (see `makeRowComparator`): ts_receive_us, then seq, then the table's identity columns. `seq` is the rank of the
 * event among the consecutive events of its symbol that share one ts_receive_us in the recording
 * (0 for the first), so it preserves the recording order of a single source across all tables.
 */
import type { MarketEvent } from '../model/events.ts';

export type TableName = 'depth' | 'book_ticker' | 'trades' | 'agg_trades' | 'mark_price' | 'force_orders';

/**
 * Tables in rank order: this rank breaks (ts_receive_us, seq) ties when tables are merged. A new
 * table goes last, so the order of the existing tables' events never changes (force_orders came
 * with maker-store/5).
 */
export const TABLES: readonly TableName[] = ['depth', 'book_ticker', 'trades', 'agg_trades', 'mark_price', 'force_orders'];

export type ColumnKind = 'i64' | 'i32' | 'bool' | 'str' | 'i64list';
export interface ColumnDef {
  name: string;
  kind: ColumnKind;
}

/** A list column: the values of row i are values[offsets[i] .. offsets[i + 1]). */
export interface ListColumn {
  values: Float64Array;
  offsets: Uint32Array;
}

export type ColumnArray = Float64Array | Uint8Array | string[] | ListColumn;

export function isListColumn(c: ColumnArray): c is ListColumn {
  return (c as ListColumn).offsets !== undefined;
}

/** Rows of one table, columnar. `columns` holds exactly the table's columns, each `length` long. */
export interface RowBlock {
  table: TableName;
  length: number;
  columns: Record<string, ColumnArray>;
}


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
    { name: 'bid_ticks', kind: 'i64list' },
    { name: 'bid_lots', kind: 'i64list' },
    { name: 'ask_ticks', kind: 'i64list' },
    { name: 'ask_lots', kind: 'i64list' },
  ],
  book_ticker: [
    ...STAMP,
    { name: 'ts_transact_us', kind: 'i64' },
    { name: 'update_id', kind: 'i64' },
    { name: 'bid_price_ticks', kind: 'i64' },
    { name: 'bid_qty_lots', kind: 'i64' },
    { name: 'ask_price_ticks', kind: 'i64' },
    { name: 'ask_qty_lots', kind: 'i64' },
  ],
  trades: [...STAMP, { name: 'ts_transact_us', kind: 'i64' }, { name: 'trade_id', kind: 'i64' }, { name: 'price_ticks', kind: 'i64' }, { name: 'qty_lots', kind: 'i64' }, { name: 'buyer_is_maker', kind: 'bool' }],
  agg_trades: [
    ...STAMP,
    { name: 'ts_transact_us', kind: 'i64' },
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
  // Liquidation orders (`forceOrder`): Binance's words for side, type, time in force and status;
  // the average price is an exact decimal (more digits than the tick).
  force_orders: [
    ...STAMP,
    { name: 'ts_transact_us', kind: 'i64' },
    { name: 'side', kind: 'str' },
    { name: 'order_type', kind: 'str' },
    { name: 'time_in_force', kind: 'str' },
    { name: 'orig_qty_lots', kind: 'i64' },
    { name: 'price_ticks', kind: 'i64' },
    { name: 'avg_price', kind: 'str' },
    { name: 'status', kind: 'str' },
    { name: 'last_filled_qty_lots', kind: 'i64' },
    { name: 'filled_qty_lots', kind: 'i64' },
  ],
};

/**
 * Columns a file of an older format may lack, with the column a reader fills them from (the same
 * array: no copy). `ts_transact_us` of book_ticker, trades and agg_trades came with maker-store/4.
 */
export const DERIVED_COLUMNS: Readonly<Record<string, string>> = { ts_transact_us: 'ts_exchange_us' };

/**
 * Identity columns: two rows with equal ts_receive_us and equal identity are the same record, and only the first is kept. When the table's
 * update id is -1 (unknown) `seq` joins the identity, so distinct id-less events never collapse.
 */
export const IDENTITY: Record<TableName, readonly string[]> = {
  depth: ['is_snapshot', 'final_update_id', 'first_update_id', 'ts_exchange_us'],
  book_ticker: ['update_id', 'ts_exchange_us'],
  trades: ['trade_id'],
  agg_trades: ['agg_trade_id'],
  mark_price: ['ts_exchange_us'],
  // No id on the wire; Binance sends at most one per symbol per second.
  force_orders: ['ts_exchange_us', 'ts_transact_us', 'price_ticks', 'orig_qty_lots'],
};
const ID_COLUMN: Record<TableName, string | undefined> = {
  depth: 'final_update_id',
  book_ticker: 'update_id',
  trades: 'trade_id',
  agg_trades: 'agg_trade_id',
  mark_price: undefined,
  force_orders: undefined,
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
    case 'forceOrder':
      return 'force_orders';
  }
}

/** A growable columnar buffer for one table. List columns grow their values separately. */
export class TableBuilder {
  readonly table: TableName;
  readonly defs: readonly ColumnDef[];
  length = 0;
  /** List values held in total (all list columns), for sizing row groups and spills. */
  listValues = 0;
  private cap: number;
  private cols: ColumnArray[];
  private listLen: number[];

  constructor(table: TableName, initialCapacity = 1024) {
    this.table = table;
    this.defs = TABLE_COLUMNS[table];
    this.cap = Math.max(1, initialCapacity);
    this.cols = this.defs.map((d) => allocColumn(d.kind, this.cap));
    this.listLen = this.defs.map(() => 0);
  }

  /** Appends one row; `values` follow `defs` order (list columns take an array of numbers). */
  push(values: readonly (number | string | ArrayLike<number>)[]): void {
    if (this.length === this.cap) this.grow();
    const i = this.length++;
    for (let c = 0; c < this.cols.length; c++) {
      const col = this.cols[c];
      if (isListColumn(col)) {
        const xs = values[c] as ArrayLike<number>;
        this.appendList(c, xs, 0, xs.length);
        (this.cols[c] as ListColumn).offsets[i + 1] = this.listLen[c];
      } else (col as (number | string)[])[i] = values[c] as number | string;
    }
  }

  /** Copies row `i` of `block` (same table) onto the end. */
  pushFrom(block: RowBlock, i: number): void {
    if (this.length === this.cap) this.grow();
    const j = this.length++;
    for (let c = 0; c < this.cols.length; c++) {
      const src = block.columns[this.defs[c].name];
      if (isListColumn(src)) {
        this.appendList(c, src.values, src.offsets[i], src.offsets[i + 1]);
        (this.cols[c] as ListColumn).offsets[j + 1] = this.listLen[c];
      } else (this.cols[c] as (number | string)[])[j] = (src as (number | string)[])[i];
    }
  }

  /** The rows so far as a block (views, not copies); the builder must not be reused after `reset`. */
  block(): RowBlock {
    const columns: Record<string, ColumnArray> = {};
    this.defs.forEach((d, c) => {
      const col = this.cols[c];
      if (isListColumn(col)) columns[d.name] = { values: col.values.subarray(0, this.listLen[c]), offsets: col.offsets.subarray(0, this.length + 1) };
      else columns[d.name] = Array.isArray(col) ? col.slice(0, this.length) : col.subarray(0, this.length);
    });
    return { table: this.table, length: this.length, columns };
  }

  reset(): void {
    this.length = 0;
    this.listValues = 0;
    this.cols = this.defs.map((d) => allocColumn(d.kind, this.cap));
    this.listLen = this.defs.map(() => 0);
  }

  private appendList(c: number, xs: ArrayLike<number>, from: number, to: number): void {
    const col = this.cols[c] as ListColumn;
    const n = to - from;
    let len = this.listLen[c];
    if (len + n > col.values.length) {
      const next = new Float64Array(Math.max(2 * col.values.length, len + n));
      next.set(col.values.subarray(0, len));
      col.values = next;
    }
    const v = col.values;
    for (let k = from; k < to; k++) v[len++] = xs[k];
    this.listLen[c] = len;
    this.listValues += n;
  }

  private grow(): void {
    this.cap *= 2;
    this.cols = this.cols.map((col, c) => {
      if (Array.isArray(col)) return col;
      if (isListColumn(col)) {
        const offsets = new Uint32Array(this.cap + 1);
        offsets.set(col.offsets);
        return { values: col.values, offsets };
      }
      const next = allocColumn(this.defs[c].kind, this.cap) as Float64Array | Uint8Array;
      next.set(col as never);
      return next;
    });
  }
}

function allocColumn(kind: ColumnKind, n: number): ColumnArray {
  if (kind === 'str') return [];
  if (kind === 'i64list') return { values: new Float64Array(Math.max(16, n * 4)), offsets: new Uint32Array(n + 1) };
  if (kind === 'bool') return new Uint8Array(n);
  return new Float64Array(n);
}

/** Number of rows an event occupies: one, in every table. */
export function rowCountOf(_ev: MarketEvent): number {
  return 1;
}

/** Appends the row of one event (a depth event's levels go into its four list columns). */
export function appendEventRows(b: TableBuilder, ev: MarketEvent, seq: number): void {
  const head = [ev.tsReceiveUs, seq, ev.tsExchangeUs];
  switch (ev.type) {
    case 'depth':
      b.push([...head, ev.tsTransactUs, 0, ev.firstUpdateId, ev.finalUpdateId, ev.prevFinalUpdateId, ev.bidTicks, ev.bidLots, ev.askTicks, ev.askLots]);
      return;
    case 'snapshot':
      b.push([...head, ev.tsTransactUs, 1, -1, ev.lastUpdateId, -1, ev.bidTicks, ev.bidLots, ev.askTicks, ev.askLots]);
      return;
    case 'bookTicker':
      b.push([...head, ev.tsTransactUs, ev.updateId, ev.bidTicks, ev.bidLots, ev.askTicks, ev.askLots]);
      return;
    case 'trade':
      b.push([...head, ev.tsTransactUs, ev.tradeId, ev.priceTicks, ev.qtyLots, ev.buyerIsMaker ? 1 : 0]);
      return;
    case 'aggTrade':
      b.push([...head, ev.tsTransactUs, ev.aggTradeId, ev.firstTradeId, ev.lastTradeId, ev.priceTicks, ev.qtyLots, ev.buyerIsMaker ? 1 : 0]);
      return;
    case 'markPrice':
      b.push([...head, ev.markPrice, ev.indexPrice, ev.fundingRate, ev.nextFundingTimeUs]);
      return;
    case 'forceOrder':
      b.push([...head, ev.tsTransactUs, ev.side === 'buy' ? 'BUY' : 'SELL', ev.orderType, ev.timeInForce, ev.origQtyLots, ev.priceTicks, ev.avgPrice, ev.status, ev.lastFilledQtyLots, ev.filledQtyLots]);
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
 * Row comparator for one table: ts_receive_us, seq, identity columns. Returns <0, 0, >0.
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

/** Whether rows i of a and j of b are the same record (equal stamp and identity): a duplicate. */
export function sameEvent(table: TableName, a: RowBlock, i: number, b: RowBlock, j: number): boolean {
  if ((a.columns.ts_receive_us as Float64Array)[i] !== (b.columns.ts_receive_us as Float64Array)[j]) return false;
  if ((a.columns.seq as Float64Array)[i] !== (b.columns.seq as Float64Array)[j]) return false;
  for (const c of IDENTITY[table]) if ((a.columns[c] as Float64Array)[i] !== (b.columns[c] as Float64Array)[j]) return false;
  return true;
}
