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
 * This merge of rows is the store's own order over the files of one symbol; merging the event
 * streams of several symbols is `mergeSources` (batch.ts), over decoded batches. Decoding a
 * batch's rows into events is `ColumnarBatch` (batch.ts), the one decoder.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../core/errors.ts';
import type { InstrumentSpec } from '../model/instrument.ts';
import { META_FILE, listVisible, partitionDir, readMeta, startOfDateUs, tablesOf, utcDateOfUs, type PartitionMeta } from './layout.ts';
import { DecodeThread, decodeThreadFromEnv, useDecodeWorker, type DecodeThreadMode } from './decode-thread.ts';
import { TableFileReader } from './parquet-io.ts';
import { TABLES, type RowBlock, type TableName } from './schema.ts';

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
    // A date directory without meta.json is an import that died before its first commit: not a partition.
    dates: (venue, symbol) => listVisible(join(root, venue, symbol), true).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && existsSync(join(root, venue, symbol, d, META_FILE))),
    tables: (venue, symbol, date) => tablesOf(store.meta(venue, symbol, date)),
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
  /** Only these partition dates (default: all). */
  dates?: readonly string[];
  /**
   * Where row groups are decoded (decode-thread.ts): `main` (this thread), `worker`, or `auto` (the
   * worker for reads of many rows). Default: `MAKER_DECODE_THREAD`, else `auto`. The events and
   * their order are the same either way.
   */
  decodeThread?: DecodeThreadMode;
  /** Called with the decode thread when the replay starts one (tests; null when decoding here). */
  onDecodeThread?: (thread: DecodeThread | null) => void;
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
  /** The next row group asked of the decode thread ahead of time, with its (pending) block. */
  private ahead: { group: number; block: Promise<RowBlock> } | null = null;
  done = false;
  constructor(
    readonly path: string,
    readonly table: TableName,
    readonly rank: number,
    readonly dateIndex: number,
    /** Lower bound of ts_receive_us in the file, used to delay opening it. */
    public firstTs: number,
    /** Rows of the file (meta.json), for choosing the decode thread. */
    readonly rows: number,
  ) {}

  /** The decode thread of the replay, or null to decode here (set before `open`). */
  thread: DecodeThread | null = null;

  /**
   * A file's first row group is decoded in this thread even with a decode thread: the replay cannot
   * go on without it, and the worker is still starting (at the start of a replay) or busy with the
   * reads ahead of the files already open (later). The worker decodes the next ones, asked ahead.
   * The first batch of the 24 h bench tile came ~0.4 s sooner.
   */
  private firstHere = false;

  /** Opens the file and positions on its first row with ts_receive_us >= from. */
  async open(from: number): Promise<void> {
    this.reader = new TableFileReader(this.path, this.table);
    this.firstHere = true;
    await this.loadNext(from);
  }

  /** The first row group at or after `g` whose rows may reach `from` (by its statistics), or -1. */
  private nextGroup(g: number, from: number): number {
    const r = this.reader!;
    for (; g < r.rowGroupCount; g++) {
      const st = r.metadata.row_groups[g].columns[0]?.meta_data?.statistics;
      if (!(st?.max_value !== undefined && Number(st.max_value as bigint) < from)) return g;
    }
    return -1;
  }

  /** Row group `g`: decoded here, or by the decode thread (already asked for if it was the one ahead). */
  private fetch(g: number): Promise<RowBlock> {
    const a = this.ahead;
    if (a !== null && a.group === g) {
      this.ahead = null;
      return a.block;
    }
    if (this.thread === null || this.firstHere) {
      this.firstHere = false;
      return this.reader!.readRowGroup(g);
    }
    return this.thread.read(this.path, this.table, g);
  }

  async loadNext(from: number): Promise<void> {
    this.block = undefined;
    this.pos = 0;
    for (;;) {
      const g = this.nextGroup(this.group, from);
      if (g < 0) break;
      this.group = g + 1;
      const pending = this.fetch(g);
      if (this.thread !== null) {
        // Ask for the next row group now: the worker decodes it while this one is replayed.
        const next = this.nextGroup(this.group, from);
        if (next >= 0 && this.ahead === null) {
          const block = this.thread.read(this.path, this.table, next);
          block.catch(() => {}); // awaited when its turn comes; never an unhandled rejection meanwhile
          this.ahead = { group: next, block };
        }
      }
      const b = await pending;
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
    this.close();
    this.done = true;
  }

  close(): void {
    this.reader?.close();
    this.thread?.close(this.path);
    this.ahead = null;
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
  const only = opts.dates === undefined ? null : new Set(opts.dates);
  const dates = store.dates(opts.venue, opts.symbol).filter((d) => {
    if (only !== null && !only.has(d)) return false;
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
      const m = meta.tables[t]!;
      const path = join(partitionDir(root, opts.venue, opts.symbol, date), m.file);
      if (!existsSync(path)) throw new StoreError(`store file listed in meta.json is missing`, { file: path });
      if (m.maxTsReceiveUs < from || m.minTsReceiveUs >= to) continue;
      pending.push(new Cursor(path, t, TABLES.indexOf(t), dateIndex, m.minTsReceiveUs, m.rows));
    }
  });
  pending.sort((a, b) => a.firstTs - b.firstTs || a.rank - b.rank || a.dateIndex - b.dateIndex);
  const mode = opts.decodeThread ?? decodeThreadFromEnv();
  const thread = useDecodeWorker(mode, pending.reduce((n, c) => n + c.rows, 0)) ? await DecodeThread.start() : null;
  for (const c of pending) c.thread = thread;
  opts.onDecodeThread?.(thread);
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
    for (const c of [...active, ...pending]) c.close();
    await thread?.terminate();
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

export { utcDateOfUs };
