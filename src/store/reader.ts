/**
 * Reading the store: listing, specs, and a time-ordered columnar replay across tables and dates.
 *
 * `readEvents` merges the selected tables of all dates of one venue/symbol by
 * (ts_receive_us, seq, table rank in TABLES, then partition date), reading one row group at a time
 * per file and opening a file only when the merge reaches its first ts_receive_us, so memory is
 * bounded by (open files × one row group) + one batch. A batch never splits a depth event, so it may
 * exceed `batchRows` by the rows of one event. `from`/`to` select ts_receive_us in [from, to).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../core/errors.ts';
import type { MarketEvent } from '../model/events.ts';
import type { InstrumentSpec } from '../model/instrument.ts';
import { listVisible, partitionDir, readMeta, startOfDateUs, tableFile, tablesIn, utcDateOfUs, type PartitionMeta } from './layout.ts';
import { TableFileReader } from './parquet-io.ts';
import { SIDE_ASK, SIDE_BID, TABLES, TableBuilder, sameEvent, type RowBlock, type TableName } from './schema.ts';

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
  /** Target merged rows per batch (default 65536). */
  batchRows?: number;
}

/**
 * A run of merged rows in replay order. Row k of the batch is row `row[k]` of
 * `blocks[TABLES[table[k]]]`; every block holds only this batch's rows.
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

  get ts(): number {
    return this.block ? (this.block.columns.ts_receive_us as Float64Array)[this.pos] : this.firstTs;
  }

  /** Opens the file and positions on its first row with ts_receive_us >= from. */
  async open(from: number): Promise<void> {
    this.reader = new TableFileReader(this.path, this.table);
    await this.loadNext(from);
  }

  async advance(from: number): Promise<void> {
    if (++this.pos >= this.block!.length) await this.loadNext(from);
  }

  private async loadNext(from: number): Promise<void> {
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
        this.pos = p;
        return;
      }
    }
    r.close();
    this.done = true;
  }
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
  let out = new BatchBuilder(opts.venue, opts.symbol);
  try {
    for (;;) {
      // Open every file whose first row could come next.
      let best = pickBest(active);
      while (pending.length > 0 && (best === undefined || pending[0].firstTs <= best.ts)) {
        const c = pending.shift()!;
        await c.open(from);
        if (!c.done) active.push(c);
        best = pickBest(active);
      }
      if (best === undefined || best.ts >= to) break;
      // Emit the row, and the rest of its depth event from the same file.
      do {
        out.push(best.table, best.block!, best.pos);
        const prevBlock = best.block!;
        const prevPos = best.pos;
        await best.advance(from);
        if (best.done || best.ts >= to || !sameEvent(best.table, prevBlock, prevPos, best.block!, best.pos)) break;
      } while (best.table === 'depth');
      if (best.done) active.splice(active.indexOf(best), 1);
      if (out.length >= batchRows) {
        yield out.finish();
        out = new BatchBuilder(opts.venue, opts.symbol);
      }
    }
    if (out.length > 0) yield out.finish();
  } finally {
    for (const c of [...active, ...pending]) c.reader?.close();
  }
}

function pickBest(active: Cursor[]): Cursor | undefined {
  let best: Cursor | undefined;
  for (const c of active) {
    if (!best) {
      best = c;
      continue;
    }
    const ta = c.ts;
    const tb = best.ts;
    if (ta !== tb) {
      if (ta < tb) best = c;
      continue;
    }
    const sa = (c.block!.columns.seq as Float64Array)[c.pos];
    const sb = (best.block!.columns.seq as Float64Array)[best.pos];
    if (sa !== sb) {
      if (sa < sb) best = c;
      continue;
    }
    if (c.rank !== best.rank ? c.rank < best.rank : c.dateIndex < best.dateIndex) best = c;
  }
  return best;
}

class BatchBuilder {
  length = 0;
  private table = new Uint8Array(1024);
  private row = new Uint32Array(1024);
  private readonly builders = new Map<TableName, TableBuilder>();
  constructor(
    private readonly venue: string,
    private readonly symbol: string,
  ) {}

  push(table: TableName, block: RowBlock, i: number): void {
    let b = this.builders.get(table);
    if (!b) this.builders.set(table, (b = new TableBuilder(table, 256)));
    if (this.length === this.table.length) {
      const t = new Uint8Array(this.length * 2);
      t.set(this.table);
      this.table = t;
      const r = new Uint32Array(this.length * 2);
      r.set(this.row);
      this.row = r;
    }
    this.table[this.length] = TABLES.indexOf(table);
    this.row[this.length] = b.length;
    this.length++;
    b.pushFrom(block, i);
  }

  finish(): ReplayBatch {
    const blocks: Partial<Record<TableName, RowBlock>> = {};
    for (const [t, b] of this.builders) blocks[t] = b.block();
    return { venue: this.venue, symbol: this.symbol, length: this.length, table: this.table.subarray(0, this.length), row: this.row.subarray(0, this.length), blocks };
  }
}

/** The events of one batch (a batch never splits a depth event). */
export function eventsFromBatch(batch: ReplayBatch): MarketEvent[] {
  const out: MarketEvent[] = [];
  const symbol = batch.symbol;
  for (let k = 0; k < batch.length; k++) {
    const table = TABLES[batch.table[k]];
    const b = batch.blocks[table]!;
    const c = b.columns as Record<string, Float64Array> & Record<string, Uint8Array> & Record<string, string[]>;
    const i = batch.row[k];
    const stamp = { symbol, tsExchangeUs: c.ts_exchange_us[i], tsReceiveUs: c.ts_receive_us[i] };
    switch (table) {
      case 'depth': {
        const bidTicks: number[] = [];
        const bidLots: number[] = [];
        const askTicks: number[] = [];
        const askLots: number[] = [];
        let j = i;
        for (;;) {
          if (c.side[j] === SIDE_BID) bidTicks.push(c.price_ticks[j]), bidLots.push(c.qty_lots[j]);
          else if (c.side[j] === SIDE_ASK) askTicks.push(c.price_ticks[j]), askLots.push(c.qty_lots[j]);
          if (k + 1 >= batch.length || batch.table[k + 1] !== batch.table[k] || !sameEvent('depth', b, i, b, batch.row[k + 1])) break;
          k++;
          j = batch.row[k];
        }
        const levels = { bidTicks, bidLots, askTicks, askLots };
        if (c.is_snapshot[i] === 1) out.push({ type: 'snapshot', ...stamp, tsTransactUs: c.ts_transact_us[i], lastUpdateId: c.final_update_id[i], ...levels });
        else
          out.push({
            type: 'depth',
            ...stamp,
            tsTransactUs: c.ts_transact_us[i],
            firstUpdateId: c.first_update_id[i],
            finalUpdateId: c.final_update_id[i],
            prevFinalUpdateId: c.prev_final_update_id[i],
            ...levels,
          });
        break;
      }
      case 'book_ticker':
        out.push({ type: 'bookTicker', ...stamp, updateId: c.update_id[i], bidTicks: c.bid_price_ticks[i], bidLots: c.bid_qty_lots[i], askTicks: c.ask_price_ticks[i], askLots: c.ask_qty_lots[i] });
        break;
      case 'trades':
        out.push({ type: 'trade', ...stamp, tradeId: c.trade_id[i], priceTicks: c.price_ticks[i], qtyLots: c.qty_lots[i], buyerIsMaker: c.buyer_is_maker[i] === 1 });
        break;
      case 'agg_trades':
        out.push({
          type: 'aggTrade',
          ...stamp,
          aggTradeId: c.agg_trade_id[i],
          firstTradeId: c.first_trade_id[i],
          lastTradeId: c.last_trade_id[i],
          priceTicks: c.price_ticks[i],
          qtyLots: c.qty_lots[i],
          buyerIsMaker: c.buyer_is_maker[i] === 1,
        });
        break;
      case 'mark_price':
        out.push({ type: 'markPrice', ...stamp, markPrice: c.mark_price[i], indexPrice: c.index_price[i], fundingRate: c.funding_rate[i], nextFundingTimeUs: c.next_funding_time_us[i] });
        break;
    }
  }
  return out;
}

/** Replays one venue/symbol as `MarketEvent` objects (convenience; the batches are faster). */
export async function* readMarketEvents(root: string, opts: ReadOptions): AsyncIterable<MarketEvent> {
  for await (const batch of readEvents(root, opts)) yield* eventsFromBatch(batch);
}

export { utcDateOfUs };
