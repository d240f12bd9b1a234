/**
 * StoreWriter: imports `MarketEvent`s into the store, partitioned by venue / symbol / UTC date of
 * ts_exchange_us / table.
 *
 * Memory: rows are buffered in memory (columnar) until `spillRows` rows are held in total; then
 * every buffer is sorted, de-duplicated and spilled to a run file under `<root>/.spill-<pid>-<n>/`.
 * `commit` merges, per partition table, the existing partition file, the runs and the remaining
 * buffer in one streaming k-way merge (one row group per source in memory) into a temporary file,
 * then renames it into place (atomic) and rewrites meta.json (also atomic). Importing the same
 * events again yields byte-identical files: duplicates (same ts_receive_us and identity, see
 * schema.ts) are dropped, and existing rows win over new ones.
 *
 * `seq` is assigned here: the rank of an event among consecutive events of its symbol with the same
 * ts_receive_us, in the order `write` receives them, so callers must pass events in recording order.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../core/errors.ts';
import type { MarketEvent } from '../model/events.ts';
import type { Instrument, InstrumentSpec } from '../model/instrument.ts';
import { FileSource, MemorySource, mergeRows, type RowSource } from './merge.ts';
import { COMPRESSION, DEFAULT_ROW_GROUP_ROWS, FORMAT_VERSION, TableFileWriter, type BeforeRenameHook, type Compression } from './parquet-io.ts';
import {
  META_FILE,
  STORE_FORMAT,
  partitionDir,
  readMeta,
  stableJson,
  tableFile,
  utcDateOfUs,
  writeFileAtomic,
  type ImportProvenance,
  type ImportRecord,
  type PartitionMeta,
} from './layout.ts';
import { TABLES, TableBuilder, appendEventRows, findUnsafeField, tableOf, type TableName } from './schema.ts';

export interface StoreWriterOptions {
  root: string;
  /** Venue directory name, e.g. "binance-usdm". */
  venue: string;
  /** Rows per Parquet row group (default 131072). */
  rowGroupRows?: number;
  /** Buffered rows plus depth level values (all partitions together) before spilling sorted runs to disk (default 4M). */
  spillRows?: number;
  /** Parquet codec of committed files (default SNAPPY; spill runs are always UNCOMPRESSED). */
  compression?: Compression;
  /** Test hook: runs before each committed file is renamed into place (throw to simulate a crash). */
  beforeRename?: BeforeRenameHook;
}

export interface PartitionSummary {
  symbol: string;
  date: string;
  table: TableName;
  file: string;
  /** Rows in the partition file after the merge. */
  rows: number;
  /** Rows dropped as duplicates (of existing rows or within the input). */
  duplicateRows: number;
}

export interface CommitSummary {
  partitions: PartitionSummary[];
  eventsWritten: number;
}

interface Buffer {
  symbol: string;
  date: string;
  table: TableName;
  rows: TableBuilder;
  eventNo: number[];
  events: number;
  runs: { path: string; firstTs: number }[];
}

export class StoreWriter {
  readonly root: string;
  readonly venue: string;
  private readonly rowGroupRows: number;
  private readonly spillRows: number;
  private readonly beforeRename?: BeforeRenameHook;
  private readonly compression: Compression;
  private readonly instruments = new Map<string, Instrument>();
  private readonly buffers = new Map<string, Buffer>();
  private readonly lastStamp = new Map<string, { ts: number; rank: number }>();
  private bufferedRows = 0;
  private eventCounter = 0;
  private spillDir: string | undefined;
  private spillCount = 0;

  constructor(opts: StoreWriterOptions) {
    if (!/^[A-Za-z0-9._-]+$/.test(opts.venue) || opts.venue.startsWith('.')) throw new StoreError(`invalid venue name "${opts.venue}"`, { field: 'venue' });
    this.root = opts.root;
    this.venue = opts.venue;
    this.rowGroupRows = opts.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
    this.spillRows = opts.spillRows ?? 4_000_000;
    this.beforeRename = opts.beforeRename;
    this.compression = opts.compression ?? COMPRESSION;
  }

  /** Registers the instrument whose ticks/lots the events of its symbol use. */
  addInstrument(instrument: Instrument): void {
    this.instruments.set(instrument.symbol, instrument);
  }

  /** Buffers a batch of events (in recording order); may spill sorted runs to disk. */
  async write(events: Iterable<MarketEvent>): Promise<void> {
    for (const ev of events) {
      if (!this.instruments.has(ev.symbol)) throw new StoreError(`no instrument registered for symbol ${ev.symbol}; call addInstrument first`, { field: 'symbol' });
      const bad = findUnsafeField(ev);
      if (bad !== undefined) throw new StoreError(`${ev.type} event of ${ev.symbol} at ${ev.tsReceiveUs}: field ${bad} is not a safe integer`, { field: bad });
      const last = this.lastStamp.get(ev.symbol);
      const seq = last && last.ts === ev.tsReceiveUs ? last.rank + 1 : 0;
      this.lastStamp.set(ev.symbol, { ts: ev.tsReceiveUs, rank: seq });
      const buf = this.bufferFor(ev.symbol, utcDateOfUs(ev.tsExchangeUs), tableOf(ev));
      const before = buf.rows.length + buf.rows.listValues;
      appendEventRows(buf.rows, ev, seq);
      buf.eventNo.push(this.eventCounter++);
      buf.events++;
      this.bufferedRows += buf.rows.length + buf.rows.listValues - before;
      if (this.bufferedRows >= this.spillRows) await this.spill();
    }
  }

  /** Merges everything written so far into the store. The writer can be reused afterwards. */
  async commit(provenance: ImportProvenance): Promise<CommitSummary> {
    const summary: CommitSummary = { partitions: [], eventsWritten: 0 };
    const byDir = new Map<string, Buffer[]>();
    for (const key of [...this.buffers.keys()].sort()) {
      const b = this.buffers.get(key)!;
      const dirKey = `${b.symbol}/${b.date}`;
      if (!byDir.has(dirKey)) byDir.set(dirKey, []);
      byDir.get(dirKey)!.push(b);
    }
    try {
      for (const bufs of byDir.values()) summary.partitions.push(...(await this.commitPartition(bufs, provenance)));
      for (const b of this.buffers.values()) summary.eventsWritten += b.events;
    } finally {
      this.discard();
    }
    return summary;
  }

  /** Drops buffered rows and spill runs without touching the store. */
  abort(): void {
    this.discard();
  }

  private discard(): void {
    this.buffers.clear();
    this.lastStamp.clear();
    this.bufferedRows = 0;
    if (this.spillDir) rmSync(this.spillDir, { recursive: true, force: true });
    this.spillDir = undefined;
  }

  private bufferFor(symbol: string, date: string, table: TableName): Buffer {
    const key = `${symbol}/${date}/${TABLES.indexOf(table)}`;
    let b = this.buffers.get(key);
    if (!b) {
      b = { symbol, date, table, rows: new TableBuilder(table), eventNo: [], events: 0, runs: [] };
      this.buffers.set(key, b);
    }
    return b;
  }

  private async spill(): Promise<void> {
    if (!this.spillDir) {
      this.spillDir = join(this.root, `.spill-${process.pid}-${this.spillCount++}`);
      mkdirSync(this.spillDir, { recursive: true });
    }
    for (const b of this.buffers.values()) {
      if (b.rows.length === 0) continue;
      const run = join(this.spillDir, `run-${b.runs.length}-${b.symbol}-${b.date}-${b.table}.parquet`);
      const w = new TableFileWriter(run, b.table, {}, 'UNCOMPRESSED');
      let firstTs: number;
      try {
        firstTs = (await mergeRows(b.table, [new MemorySource(b.rows.block(), b.eventNo)], this.rowGroupRows, (blk) => w.append(blk))).minTsReceiveUs;
        w.commit();
      } catch (e) {
        w.abort();
        throw e;
      }
      b.runs.push({ path: run, firstTs });
      b.rows.reset();
      b.eventNo = [];
    }
    this.bufferedRows = 0;
  }

  private async commitPartition(bufs: Buffer[], provenance: ImportProvenance): Promise<PartitionSummary[]> {
    const { symbol, date } = bufs[0];
    const dir = partitionDir(this.root, this.venue, symbol, date);
    const instrument = this.instruments.get(symbol)!;
    const existing = readMeta(dir);
    if (existing) checkSameGrid(existing.instrument, instrument.spec, join(dir, META_FILE));
    mkdirSync(dir, { recursive: true });
    const meta: PartitionMeta = existing ?? {
      format: STORE_FORMAT,
      venue: this.venue,
      symbol,
      date,
      instrument: instrument.spec,
      priceUnit: `ticks of ${instrument.spec.tickSize}`,
      qtyUnit: `lots of ${instrument.spec.stepSize}`,
      tables: {},
      imports: [],
    };
    const out: PartitionSummary[] = [];
    const record: ImportRecord = { ...provenance, events: {} };
    for (const b of bufs) {
      record.events[b.table] = b.events;
      const file = tableFile(this.root, this.venue, symbol, date, b.table);
      const sources: RowSource[] = [];
      if (existsSync(file)) sources.push(await FileSource.open(file, b.table));
      // Runs open when the merge reaches them: runs of a time-ordered import follow one another.
      for (const run of b.runs) sources.push(FileSource.lazy(run.path, b.table, run.firstTs));
      sources.push(new MemorySource(b.rows.block(), b.eventNo));
      const kv = {
        'maker.format': FORMAT_VERSION,
        'maker.venue': this.venue,
        'maker.symbol': symbol,
        'maker.date': date,
        'maker.table': b.table,
        'maker.tick_size': meta.instrument.tickSize,
        'maker.step_size': meta.instrument.stepSize,
        'maker.order': 'ts_receive_us,seq,identity',
      };
      const w = new TableFileWriter(file, b.table, kv, this.compression);
      try {
        const res = await mergeRows(b.table, sources, this.rowGroupRows, (blk) => w.append(blk));
        w.commit(this.beforeRename);
        meta.tables[b.table] = { file: `${b.table}.parquet`, rows: res.rows, minTsReceiveUs: res.minTsReceiveUs, maxTsReceiveUs: res.maxTsReceiveUs };
        out.push({ symbol, date, table: b.table, file, rows: res.rows, duplicateRows: res.duplicateRows });
      } catch (e) {
        w.abort();
        for (const s of sources) if (s instanceof FileSource) s.close();
        throw e;
      }
    }
    const recordJson = stableJson(record);
    if (!meta.imports.some((r) => stableJson(r) === recordJson)) meta.imports.push(record);
    writeFileAtomic(join(dir, META_FILE), stableJson(meta));
    return out;
  }
}

function checkSameGrid(stored: InstrumentSpec, incoming: InstrumentSpec, file: string): void {
  if (stored.tickSize !== incoming.tickSize || stored.stepSize !== incoming.stepSize) {
    throw new StoreError(
      `partition stores ${stored.symbol} with tickSize ${stored.tickSize} / stepSize ${stored.stepSize}, ` +
        `the import uses ${incoming.tickSize} / ${incoming.stepSize}; ticks and lots cannot be merged across grids`,
      { file, field: 'instrument' },
    );
  }
}

/** Convenience for importers: writes an async stream of event batches and commits once. */
export async function importEvents(
  opts: StoreWriterOptions & { instruments: Instrument[]; provenance: ImportProvenance },
  batches: AsyncIterable<readonly MarketEvent[]> | Iterable<readonly MarketEvent[]>,
): Promise<CommitSummary> {
  const w = new StoreWriter(opts);
  for (const i of opts.instruments) w.addInstrument(i);
  try {
    for await (const batch of batches) await w.write(batch);
  } catch (e) {
    w.abort();
    throw e;
  }
  return w.commit(opts.provenance);
}
