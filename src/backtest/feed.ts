/**
 * Market-data sources of a backtest, as async iterables of event batches in receive-time order.
 *
 * - `storeSource`: one venue/symbol of the Parquet store (`readEvents` + `eventsFromBatch`), over
 *   [fromUs, toUs) of receive time, the selected tables only.
 * - `syntheticSource`: the seeded generator of src/synthetic for one symbol.
 * - `mergeSources`: several sources in one clock, merged by (tsReceiveUs, source index), each
 *   source keeping its own order among equal times. The output order does not depend on the batch
 *   sizes of the inputs or of the output (determinism across reader batch sizes).
 *
 * The async boundary is the batch: the engine's loop over a batch is synchronous.
 */
import { StoreError } from '../core/errors.ts';
import type { MarketEvent } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import { eventsFromBatch, readEvents, type TableName } from '../store/index.ts';
import { generateSynthetic, type SyntheticConfig } from '../synthetic/index.ts';

export type EventBatches = AsyncIterable<MarketEvent[]> | Iterable<MarketEvent[]>;

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

export async function* storeSource(o: StoreSourceOptions): AsyncGenerator<MarketEvent[]> {
  for await (const batch of readEvents(o.root, { venue: o.venue, symbol: o.symbol, from: o.fromUs, to: o.toUs, tables: o.tables, batchRows: o.batchRows })) {
    let events: MarketEvent[];
    try {
      events = eventsFromBatch(batch);
    } catch (e) {
      throw new StoreError(`cannot decode a batch of ${o.venue}/${o.symbol}: ${(e as Error).message}`, { file: o.root }, e);
    }
    if (events.length > 0) yield events;
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
  for await (const batch of src) {
    for (const e of batch) {
      out.push(e);
      if (out.length >= size) {
        yield out;
        out = [];
      }
    }
  }
  if (out.length > 0) yield out;
}

interface Lane {
  it: AsyncIterator<MarketEvent[]> | Iterator<MarketEvent[]>;
  batch: MarketEvent[];
  pos: number;
  done: boolean;
}

async function refill(l: Lane): Promise<void> {
  while (!l.done && l.pos >= l.batch.length) {
    const r = await l.it.next();
    if (r.done) l.done = true;
    else {
      l.batch = r.value;
      l.pos = 0;
    }
  }
}

function iteratorOf(src: EventBatches): AsyncIterator<MarketEvent[]> | Iterator<MarketEvent[]> {
  const asyncIt = (src as AsyncIterable<MarketEvent[]>)[Symbol.asyncIterator];
  return asyncIt ? asyncIt.call(src) : (src as Iterable<MarketEvent[]>)[Symbol.iterator]();
}

/** Merges sources by (tsReceiveUs, source index); batches of up to `batchSize` events. */
export async function* mergeSources(sources: readonly EventBatches[], batchSize = 65_536): AsyncGenerator<MarketEvent[]> {
  if (sources.length === 1) {
    yield* sources[0] as AsyncIterable<MarketEvent[]>;
    return;
  }
  const lanes: Lane[] = sources.map((s) => ({ it: iteratorOf(s), batch: [], pos: 0, done: false }));
  try {
    for (const l of lanes) await refill(l);
    let out: MarketEvent[] = [];
    for (;;) {
      let best = -1;
      let bestTs = Infinity;
      for (let i = 0; i < lanes.length; i++) {
        const l = lanes[i];
        if (l.done) continue;
        const ts = l.batch[l.pos].tsReceiveUs;
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
        const ts = lanes[i].batch[lanes[i].pos].tsReceiveUs;
        if (ts < limit || (ts === limit && i < best)) {
          limit = ts;
          limitInclusive = i > best;
        }
      }
      while (l.pos < l.batch.length) {
        const e = l.batch[l.pos];
        if (e.tsReceiveUs > limit || (e.tsReceiveUs === limit && !limitInclusive)) break;
        out.push(e);
        l.pos++;
        if (out.length >= batchSize) {
          yield out;
          out = [];
        }
      }
      await refill(l);
    }
    if (out.length > 0) yield out;
  } finally {
    for (const l of lanes) if (!l.done) await l.it.return?.();
  }
}
