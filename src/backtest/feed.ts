/**
 * Market-data sources of a backtest, as iterables of event batches (`EventBatch`, store/batch.ts)
 * in receive-time order (tsReceiveUs, integer µs since the epoch).
 *
 * - `storeSource`: one venue/symbol of the Parquet store (`readEvents`), over [fromUs, toUs) of
 *   receive time, the selected tables only, each batch a `ColumnarBatch` read in place. A batch
 *   keeps its decoded row groups alive (the reader allocates every row group afresh), so events of
 *   an older batch stay readable while the engine still holds them.
 * - `syntheticSource`: the seeded generator of src/synthetic for one symbol.
 * - `rebatch`: a stream re-cut into fixed-size batches, for tests of batch-size independence.
 * Several sources are merged into one clock by the store's `mergeSources`.
 *
 * The async boundary is the batch: the engine's loop over a batch is synchronous.
 */
import { StoreError } from '../core/errors.ts';
import type { MarketEvent, MarketEventType } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import { ColumnarBatch, asEventBatch, readEvents, type DecodeThreadMode, type EventBatch, type EventBatches, type TableName } from '../store/index.ts';
import { generateSynthetic, type SyntheticConfig } from '../synthetic/index.ts';

/** Store table of each scenario stream name. */
export const STREAM_TABLES: Record<string, TableName> = {
  depth: 'depth',
  trades: 'trades',
  bookTicker: 'book_ticker',
  aggTrades: 'agg_trades',
  markPrice: 'mark_price',
};

/** Event types of each scenario stream name (depth includes snapshots). */
export const STREAM_TYPES: Record<string, readonly MarketEventType[]> = {
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
  /** Where row groups are decoded (store/decode-thread.ts); the events are the same either way. */
  decodeThread?: DecodeThreadMode;
}

export async function* storeSource(o: StoreSourceOptions): AsyncGenerator<EventBatch> {
  for await (const batch of readEvents(o.root, { venue: o.venue, symbol: o.symbol, from: o.fromUs, to: o.toUs, tables: o.tables, batchRows: o.batchRows, decodeThread: o.decodeThread })) {
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
export function* syntheticSource(cfg: SyntheticConfig, inst: Instrument, keep?: ReadonlySet<MarketEventType>, batchSize = 4096): Generator<MarketEvent[]> {
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
