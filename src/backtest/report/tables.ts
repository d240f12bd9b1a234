/**
 * Columnar, chunked buffers for the fills and orders of a run. Rows accumulate in preallocated
 * typed arrays (strings by reference); every `chunkRows` rows the chunk is encoded as one Parquet
 * row group (fills.parquet / orders.parquet) and the arrays are reused, so memory stays bounded
 * whatever the run length. Decimal strings (prices, quantities) are made at encode time from ticks
 * and lots, exactly, by the instrument.
 *
 * Column names carry their units: `ts_us` (µs since the Unix epoch, exchange time), `*_ticks`
 * (integer price ticks), `*_lots` (integer quantity lots), `price` / `qty` (exact decimal strings),
 * `commission` (exact decimal string in `commission_asset`, negative = rebate).
 */
import type { Instrument } from '../../model/instrument.ts';
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

/** Shared chunk plumbing: a row counter, a flush into the stream, the stream itself. */
abstract class ChunkedTable {
  readonly stream: ParquetTableStream;
  protected n = 0;
  protected readonly cap: number;
  protected readonly symbols: readonly Instrument[];

  constructor(columns: readonly OutColumn[], kv: Record<string, string>, path: string | null, chunkRows: number, symbols: readonly Instrument[]) {
    this.stream = new ParquetTableStream(columns, kv, path);
    this.cap = chunkRows;
    this.symbols = symbols;
  }

  get rows(): number {
    return this.stream.rows + this.n;
  }

  protected abstract encode(): Record<string, OutColumnData>;

  /** Encodes the buffered rows as one row group. */
  flush(): void {
    if (this.n === 0) return;
    this.stream.appendRowGroup(this.encode(), this.n);
    this.n = 0;
  }

  finish(): void {
    this.flush();
    this.stream.finish();
  }
}

export class FillsTable extends ChunkedTable {
  private readonly ts: Float64Array;
  private readonly sym: Uint16Array;
  private readonly side: Uint8Array;
  private readonly price: Float64Array;
  private readonly qty: Float64Array;
  private readonly liq: Uint8Array;
  private readonly commission: string[];
  private readonly mid: Float64Array;
  private readonly orderId: Float64Array;
  private readonly clientId: string[];

  constructor(kv: Record<string, string>, path: string | null, chunkRows: number, symbols: readonly Instrument[]) {
    super(FILL_COLUMNS, kv, path, chunkRows, symbols);
    this.ts = new Float64Array(chunkRows);
    this.sym = new Uint16Array(chunkRows);
    this.side = new Uint8Array(chunkRows);
    this.price = new Float64Array(chunkRows);
    this.qty = new Float64Array(chunkRows);
    this.liq = new Uint8Array(chunkRows);
    this.commission = new Array<string>(chunkRows).fill('');
    this.mid = new Float64Array(chunkRows);
    this.orderId = new Float64Array(chunkRows);
    this.clientId = new Array<string>(chunkRows).fill('');
  }

  push(tsUs: number, symbolIdx: number, sell: boolean, priceTicks: number, qtyLots: number, taker: boolean, commission: string, midTicks: number, orderId: number, clientOrderId: string): void {
    const i = this.n;
    this.ts[i] = tsUs;
    this.sym[i] = symbolIdx;
    this.side[i] = sell ? 1 : 0;
    this.price[i] = priceTicks;
    this.qty[i] = qtyLots;
    this.liq[i] = taker ? 1 : 0;
    this.commission[i] = commission;
    this.mid[i] = midTicks;
    this.orderId[i] = orderId;
    this.clientId[i] = clientOrderId;
    if (++this.n === this.cap) this.flush();
  }

  protected encode(): Record<string, OutColumnData> {
    const n = this.n;
    const symbol: string[] = [];
    const side: string[] = [];
    const price: string[] = [];
    const qty: string[] = [];
    const liquidity: string[] = [];
    const asset: string[] = [];
    const mid: (number | null)[] = [];
    for (let i = 0; i < n; i++) {
      const ins = this.symbols[this.sym[i]];
      symbol.push(ins.symbol);
      side.push(SIDES[this.side[i]]);
      price.push(ins.ticksToPrice(this.price[i]));
      qty.push(ins.lotsToQty(this.qty[i]));
      liquidity.push(LIQUIDITIES[this.liq[i]]);
      asset.push(ins.spec.marginAsset);
      mid.push(Number.isFinite(this.mid[i]) ? ins.ticksToFloat(this.mid[i]) : null);
    }
    return {
      ts_us: this.ts,
      symbol,
      side,
      price,
      price_ticks: this.price,
      qty,
      qty_lots: this.qty,
      liquidity,
      commission: this.commission,
      commission_asset: asset,
      mid_price_at_fill: mid,
      order_id: this.orderId,
      client_order_id: this.clientId,
    };
  }
}

export const ORDER_EVENT_KINDS = ['submit', 'modify', 'cancel', 'reject', 'canceled', 'expired'] as const;
export const ORDER_TYPES = ['LIMIT', 'MARKET'] as const;
export const TIME_IN_FORCES = ['GTC', 'IOC', 'FOK', 'GTX'] as const;

/** 255 in a Uint8 column = unknown (written as null). */
export const UNKNOWN = 255;

export class OrdersTable extends ChunkedTable {
  private readonly ts: Float64Array;
  private readonly sym: Uint16Array;
  private readonly kind: Uint8Array;
  private readonly clientId: string[];
  private readonly orderId: Float64Array;
  private readonly side: Uint8Array;
  private readonly type: Uint8Array;
  private readonly tif: Uint8Array;
  private readonly price: Float64Array;
  private readonly qty: Float64Array;
  private readonly reduceOnly: Uint8Array;
  private readonly reason: string[];

  constructor(kv: Record<string, string>, path: string | null, chunkRows: number, symbols: readonly Instrument[]) {
    super(ORDER_COLUMNS, kv, path, chunkRows, symbols);
    this.ts = new Float64Array(chunkRows);
    this.sym = new Uint16Array(chunkRows);
    this.kind = new Uint8Array(chunkRows);
    this.clientId = new Array<string>(chunkRows).fill('');
    this.orderId = new Float64Array(chunkRows);
    this.side = new Uint8Array(chunkRows);
    this.type = new Uint8Array(chunkRows);
    this.tif = new Uint8Array(chunkRows);
    this.price = new Float64Array(chunkRows);
    this.qty = new Float64Array(chunkRows);
    this.reduceOnly = new Uint8Array(chunkRows);
    this.reason = new Array<string>(chunkRows).fill('');
  }

  /** Numbers may be NaN and codes UNKNOWN when the event does not carry them (written as null). */
  push(tsUs: number, symbolIdx: number, kind: number, clientOrderId: string, orderId: number, side: number, type: number, tif: number, priceTicks: number, qtyLots: number, reduceOnly: number, reason: string): void {
    const i = this.n;
    this.ts[i] = tsUs;
    this.sym[i] = symbolIdx;
    this.kind[i] = kind;
    this.clientId[i] = clientOrderId;
    this.orderId[i] = orderId;
    this.side[i] = side;
    this.type[i] = type;
    this.tif[i] = tif;
    this.price[i] = priceTicks;
    this.qty[i] = qtyLots;
    this.reduceOnly[i] = reduceOnly;
    this.reason[i] = reason;
    if (++this.n === this.cap) this.flush();
  }

  protected encode(): Record<string, OutColumnData> {
    const n = this.n;
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
      const ins = this.symbols[this.sym[i]];
      cols.symbol.push(ins.symbol);
      cols.event.push(ORDER_EVENT_KINDS[this.kind[i]]);
      cols.order_id.push(Number.isFinite(this.orderId[i]) ? this.orderId[i] : null);
      cols.side.push(this.side[i] === UNKNOWN ? null : SIDES[this.side[i]]);
      cols.order_type.push(this.type[i] === UNKNOWN ? null : ORDER_TYPES[this.type[i]]);
      cols.time_in_force.push(this.tif[i] === UNKNOWN ? null : TIME_IN_FORCES[this.tif[i]]);
      const p = this.price[i];
      const q = this.qty[i];
      cols.price.push(Number.isFinite(p) ? ins.ticksToPrice(p) : null);
      cols.price_ticks.push(Number.isFinite(p) ? p : null);
      cols.qty.push(Number.isFinite(q) ? ins.lotsToQty(q) : null);
      cols.qty_lots.push(Number.isFinite(q) ? q : null);
      cols.reduce_only.push(this.reduceOnly[i] === UNKNOWN ? null : this.reduceOnly[i] === 1);
    }
    return { ts_us: this.ts, client_order_id: this.clientId, reason: this.reason, ...cols };
  }
}
