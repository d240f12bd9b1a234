/**
 * Columnar, chunked buffers for the fills and orders of a run. Rows accumulate in preallocated
 * typed arrays (strings by reference); every `chunkRows` rows the chunk is encoded as one Parquet
 * row group (fills.parquet / orders.parquet) and the arrays are reused, so memory stays bounded
 * whatever the run length. Decimal strings (prices, quantities) are made at encode time from ticks
 * and lots, exactly, by the instrument.
 *
 * Where a chunk is encoded: in this thread (a `ParquetTableStream`), or, given an `EncodeThread`
 * (encode-thread.ts), in a worker that runs the same `encodeChunk` and the same stream on a copy of
 * the chunk's arrays: the same bytes either way. A table takes the worker only at its first full
 * chunk, so a run with fewer rows never starts one.
 *
 * Column names carry their units: `ts_us` (µs since the Unix epoch, exchange time), `*_ticks`
 * (integer price ticks), `*_lots` (integer quantity lots), `price` / `qty` (exact decimal strings),
 * `commission` (exact decimal string in `commission_asset`, negative = rebate).
 */
import { InvariantError } from '../../core/errors.ts';
import type { Instrument } from '../../model/instrument.ts';
import type { EncodeThread } from './encode-thread.ts';
import { ParquetTableStream, type OutColumn, type OutColumnData } from './parquet-out.ts';

export const FILL_COLUMNS: readonly OutColumn[] = [
  { name: 'ts_us', type: 'INT64', dictionary: false },
  { name: 'symbol', type: 'STRING', dictionary: true, statistics: false },
  { name: 'side', type: 'STRING', dictionary: true, statistics: false },
  { name: 'price', type: 'STRING', dictionary: false, statistics: false },
  { name: 'price_ticks', type: 'INT64', dictionary: false, statistics: false },
  { name: 'qty', type: 'STRING', dictionary: true, statistics: false },
  { name: 'qty_lots', type: 'INT64', dictionary: true, statistics: false },
  { name: 'liquidity', type: 'STRING', dictionary: true, statistics: false },
  { name: 'commission', type: 'STRING', dictionary: true, statistics: false },
  { name: 'commission_asset', type: 'STRING', dictionary: true, statistics: false },
  { name: 'mid_price_at_fill', type: 'DOUBLE', nullable: true, dictionary: true, statistics: false },
  { name: 'order_id', type: 'INT64', dictionary: false, statistics: false },
  { name: 'client_order_id', type: 'STRING', dictionary: false, statistics: false },
];

export const ORDER_COLUMNS: readonly OutColumn[] = [
  { name: 'ts_us', type: 'INT64', dictionary: false },
  { name: 'symbol', type: 'STRING', dictionary: true, statistics: false },
  { name: 'event', type: 'STRING', dictionary: true, statistics: false },
  { name: 'client_order_id', type: 'STRING', dictionary: true, statistics: false },
  { name: 'order_id', type: 'INT64', nullable: true, dictionary: false, statistics: false },
  { name: 'side', type: 'STRING', nullable: true, dictionary: true, statistics: false },
  { name: 'order_type', type: 'STRING', nullable: true, dictionary: true, statistics: false },
  { name: 'time_in_force', type: 'STRING', nullable: true, dictionary: true, statistics: false },
  { name: 'price', type: 'STRING', nullable: true, dictionary: true, statistics: false },
  { name: 'price_ticks', type: 'INT64', nullable: true, dictionary: true, statistics: false },
  { name: 'qty', type: 'STRING', nullable: true, dictionary: true, statistics: false },
  { name: 'qty_lots', type: 'INT64', nullable: true, dictionary: true, statistics: false },
  { name: 'reduce_only', type: 'BOOLEAN', nullable: true, statistics: false },
  { name: 'reason', type: 'STRING', dictionary: true, statistics: false },
];

export const SIDES = ['buy', 'sell'] as const;
export const LIQUIDITIES = ['maker', 'taker'] as const;

/** Which table a chunk belongs to (the worker encodes it with the same function). */
export type TableKind = 'fills' | 'orders';

/** A chunk's row arrays by name (typed arrays for numbers and codes, string arrays). */
export type RawChunk = Record<string, Float64Array | Uint16Array | Uint8Array | string[]>;

/** The columns of each table. */
export const TABLE_COLUMNS: Readonly<Record<TableKind, readonly OutColumn[]>> = { fills: FILL_COLUMNS, orders: ORDER_COLUMNS };

/** Where a chunked table's chunks go: encoded in this thread (`StreamSink`) or in the encode thread (encode-thread.ts). */
export interface TableSink {
  /** Rows appended so far. */
  readonly rows: number;
  /** Appends a chunk's first `n` rows (n > 0) as one row group; the caller reuses the chunk's arrays afterwards. */
  appendChunk(chunk: RawChunk, n: number): void;
  /** Writes the footer (in the encode thread: asks for it; `settled` says when it is written). */
  finish(): void;
  /** Resolves once every row group and the footer are written; rejects with the first error. */
  settled(): Promise<void>;
  /** The whole file (memory sink only, once settled). */
  bytes(): Uint8Array;
  /** Closes a file without a footer (after an error). */
  abort(): void;
}

/** A table's chunks encoded in this thread into a `ParquetTableStream` (the encode worker runs the same). */
export class StreamSink implements TableSink {
  private readonly stream: ParquetTableStream;

  constructor(
    private readonly kind: TableKind,
    kv: Record<string, string>,
    path: string | null,
    private readonly symbols: readonly Instrument[],
  ) {
    this.stream = new ParquetTableStream(TABLE_COLUMNS[kind], kv, path);
  }

  get rows(): number {
    return this.stream.rows;
  }

  appendChunk(chunk: RawChunk, n: number): void {
    this.stream.appendRowGroup(encodeChunk(this.kind, chunk, n, this.symbols), n);
  }

  finish(): void {
    this.stream.finish();
  }

  settled(): Promise<void> {
    return this.stream.isFinished ? Promise.resolve() : Promise.reject(new InvariantError('the table is not finished'));
  }

  bytes(): Uint8Array {
    return this.stream.bytes();
  }

  abort(): void {
    this.stream.abort();
  }
}

/**
 * Shared chunk plumbing: the chunk's row arrays, a row counter, a flush into the sink. Without an
 * encode thread the sink (a `ParquetTableStream`) is made at once, so a spill file that cannot be
 * created fails the recorder's construction; with one, at the first flush: the thread's table at the
 * first full chunk, this thread's stream when the first flush is the last (a short run starts no
 * worker).
 */
abstract class ChunkedTable {
  private sink: TableSink | null;
  protected n = 0;
  protected readonly cap: number;
  protected readonly chunk: RawChunk;

  constructor(
    private readonly kind: TableKind,
    private readonly kv: Record<string, string>,
    private readonly path: string | null,
    chunkRows: number,
    protected readonly symbols: readonly Instrument[],
    private readonly thread: EncodeThread | null,
    chunk: RawChunk,
  ) {
    this.sink = thread === null ? new StreamSink(kind, kv, path, symbols) : null;
    this.cap = chunkRows;
    this.chunk = chunk;
  }

  get rows(): number {
    return (this.sink?.rows ?? 0) + this.n;
  }

  private sinkFor(last: boolean): TableSink {
    this.sink ??= this.thread !== null && !last ? this.thread.table(this.kind, this.kv, this.path) : new StreamSink(this.kind, this.kv, this.path, this.symbols);
    return this.sink;
  }

  /** Encodes the buffered rows as one row group (`last`: no row follows). */
  flush(last = false): void {
    if (this.n === 0) return;
    this.sinkFor(last).appendChunk(this.chunk, this.n);
    this.n = 0;
  }

  /** Writes the last rows and the footer; `settled()` says when they are written. */
  finish(): void {
    this.flush(true);
    this.sinkFor(true).finish();
  }

  /** Resolves once the file is complete (at once unless the encode thread writes it); rejects with its error. */
  settled(): Promise<void> {
    return this.sink === null ? Promise.reject(new InvariantError('the table is not finished')) : this.sink.settled();
  }

  /** The whole file (memory sink, once settled). */
  bytes(): Uint8Array {
    if (this.sink === null) throw new InvariantError('the table is not finished');
    return this.sink.bytes();
  }

  /** Closes a spilled file without a footer (after an error). */
  abort(): void {
    this.sink?.abort();
  }
}

const strings = (n: number): string[] => new Array<string>(n).fill('');

function newFillsChunk(n: number): FillsChunk {
  return {
    ts: new Float64Array(n), sym: new Uint16Array(n), side: new Uint8Array(n), price: new Float64Array(n), qty: new Float64Array(n),
    liq: new Uint8Array(n), commission: strings(n), mid: new Float64Array(n), orderId: new Float64Array(n), clientId: strings(n),
  };
}

function newOrdersChunk(n: number): OrdersChunk {
  return {
    ts: new Float64Array(n), sym: new Uint16Array(n), kind: new Uint8Array(n), clientId: strings(n), orderId: new Float64Array(n), side: new Uint8Array(n),
    type: new Uint8Array(n), tif: new Uint8Array(n), price: new Float64Array(n), qty: new Float64Array(n), reduceOnly: new Uint8Array(n), reason: strings(n),
  };
}

/** The first `n` rows of a chunk as copies (what the encode thread is sent; the table reuses its arrays). */
export function copyChunk(chunk: RawChunk, n: number): RawChunk {
  const out: RawChunk = {};
  for (const k of Object.keys(chunk)) out[k] = chunk[k].slice(0, n);
  return out;
}

/** A chunk's first `n` rows as the Parquet columns of its table (pure: either thread runs it). */
export function encodeChunk(kind: TableKind, c: RawChunk, n: number, symbols: readonly Instrument[]): Record<string, OutColumnData> {
  return kind === 'fills' ? encodeFills(c as FillsChunk, n, symbols) : encodeOrders(c as OrdersChunk, n, symbols);
}

type FillsChunk = {
  ts: Float64Array;
  sym: Uint16Array;
  side: Uint8Array;
  price: Float64Array;
  qty: Float64Array;
  liq: Uint8Array;
  commission: string[];
  mid: Float64Array;
  orderId: Float64Array;
  clientId: string[];
};

function encodeFills(c: FillsChunk, n: number, symbols: readonly Instrument[]): Record<string, OutColumnData> {
  const symbol: string[] = [];
  const side: string[] = [];
  const price: string[] = [];
  const qty: string[] = [];
  const liquidity: string[] = [];
  const asset: string[] = [];
  const mid: (number | null)[] = [];
  for (let i = 0; i < n; i++) {
    const ins = symbols[c.sym[i]];
    symbol.push(ins.symbol);
    side.push(SIDES[c.side[i]]);
    price.push(ins.ticksToPrice(c.price[i]));
    qty.push(ins.lotsToQty(c.qty[i]));
    liquidity.push(LIQUIDITIES[c.liq[i]]);
    asset.push(ins.spec.marginAsset);
    mid.push(Number.isFinite(c.mid[i]) ? ins.ticksToFloat(c.mid[i]) : null);
  }
  return {
    ts_us: c.ts,
    symbol,
    side,
    price,
    price_ticks: c.price,
    qty,
    qty_lots: c.qty,
    liquidity,
    commission: c.commission,
    commission_asset: asset,
    mid_price_at_fill: mid,
    order_id: c.orderId,
    client_order_id: c.clientId,
  };
}

type OrdersChunk = {
  ts: Float64Array;
  sym: Uint16Array;
  kind: Uint8Array;
  clientId: string[];
  orderId: Float64Array;
  side: Uint8Array;
  type: Uint8Array;
  tif: Uint8Array;
  price: Float64Array;
  qty: Float64Array;
  reduceOnly: Uint8Array;
  reason: string[];
};

function encodeOrders(c: OrdersChunk, n: number, symbols: readonly Instrument[]): Record<string, OutColumnData> {
  const cols = {
    symbol: [] as string[],
    event: [] as string[],
    order_id: [] as (number | null)[],
    side: [] as (string | null)[],
    order_type: [] as (string | null)[],
    time_in_force: [] as (string | null)[],
    price: [] as (string | null)[],
    price_ticks: [] as (number | null)[],
    qty: [] as (string | null)[],
    qty_lots: [] as (number | null)[],
    reduce_only: [] as (boolean | null)[],
  };
  for (let i = 0; i < n; i++) {
    const ins = symbols[c.sym[i]];
    cols.symbol.push(ins.symbol);
    cols.event.push(ORDER_EVENT_KINDS[c.kind[i]]);
    cols.order_id.push(Number.isFinite(c.orderId[i]) ? c.orderId[i] : null);
    cols.side.push(c.side[i] === UNKNOWN ? null : SIDES[c.side[i]]);
    cols.order_type.push(c.type[i] === UNKNOWN ? null : ORDER_TYPES[c.type[i]]);
    cols.time_in_force.push(c.tif[i] === UNKNOWN ? null : TIME_IN_FORCES[c.tif[i]]);
    const p = c.price[i];
    const q = c.qty[i];
    cols.price.push(Number.isFinite(p) ? ins.ticksToPrice(p) : null);
    cols.price_ticks.push(Number.isFinite(p) ? p : null);
    cols.qty.push(Number.isFinite(q) ? ins.lotsToQty(q) : null);
    cols.qty_lots.push(Number.isFinite(q) ? q : null);
    cols.reduce_only.push(c.reduceOnly[i] === UNKNOWN ? null : c.reduceOnly[i] === 1);
  }
  return { ts_us: c.ts, client_order_id: c.clientId, reason: c.reason, ...cols };
}

export class FillsTable extends ChunkedTable {
  private readonly c: FillsChunk;

  constructor(kv: Record<string, string>, path: string | null, chunkRows: number, symbols: readonly Instrument[], thread: EncodeThread | null = null) {
    const c = newFillsChunk(chunkRows);
    super('fills', kv, path, chunkRows, symbols, thread, c);
    this.c = c;
  }

  push(tsUs: number, symbolIdx: number, sell: boolean, priceTicks: number, qtyLots: number, taker: boolean, commission: string, midTicks: number, orderId: number, clientOrderId: string): void {
    const i = this.n;
    const c = this.c;
    c.ts[i] = tsUs;
    c.sym[i] = symbolIdx;
    c.side[i] = sell ? 1 : 0;
    c.price[i] = priceTicks;
    c.qty[i] = qtyLots;
    c.liq[i] = taker ? 1 : 0;
    c.commission[i] = commission;
    c.mid[i] = midTicks;
    c.orderId[i] = orderId;
    c.clientId[i] = clientOrderId;
    if (++this.n === this.cap) this.flush();
  }
}

export const ORDER_EVENT_KINDS = ['submit', 'modify', 'cancel', 'reject', 'canceled', 'expired'] as const;
export const ORDER_TYPES = ['LIMIT', 'MARKET'] as const;
export const TIME_IN_FORCES = ['GTC', 'IOC', 'FOK', 'GTX'] as const;

/** 255 in a Uint8 column = unknown (written as null). */
export const UNKNOWN = 255;

export class OrdersTable extends ChunkedTable {
  private readonly c: OrdersChunk;

  constructor(kv: Record<string, string>, path: string | null, chunkRows: number, symbols: readonly Instrument[], thread: EncodeThread | null = null) {
    const c = newOrdersChunk(chunkRows);
    super('orders', kv, path, chunkRows, symbols, thread, c);
    this.c = c;
  }

  /** Numbers may be NaN and codes UNKNOWN when the event does not carry them (written as null). */
  push(tsUs: number, symbolIdx: number, kind: number, clientOrderId: string, orderId: number, side: number, type: number, tif: number, priceTicks: number, qtyLots: number, reduceOnly: number, reason: string): void {
    const i = this.n;
    const c = this.c;
    c.ts[i] = tsUs;
    c.sym[i] = symbolIdx;
    c.kind[i] = kind;
    c.clientId[i] = clientOrderId;
    c.orderId[i] = orderId;
    c.side[i] = side;
    c.type[i] = type;
    c.tif[i] = tif;
    c.price[i] = priceTicks;
    c.qty[i] = qtyLots;
    c.reduceOnly[i] = reduceOnly;
    c.reason[i] = reason;
    if (++this.n === this.cap) this.flush();
  }
}
