/**
 * StoreWriter: imports `MarketEvent`s into the store, partitioned by venue / symbol / UTC date of
 * ts_exchange_us / table.
 *
 * Memory: rows are buffered in memory (columnar) until `spillRows` rows are held in total; then
 * every buffer is sorted, de-duplicated and spilled to a run file under `<root>/.spill-<pid>-<n>/`.
 * `commit` merges, per partition table, the existing partition file, the runs and the remaining
 * buffer in one streaming k-way merge (one row group per source in memory) into a temporary file,
 * hashed while written, renamed to its content-derived name (layout.ts). When every table of the
 * partition is written, meta.json is replaced atomically: that is the partition's commit. Files
 * the new meta.json does not list (the previous generation, a dead writer's leftovers) are removed
 * after it. A writer killed at any moment leaves the old partition or the new one (see layout.ts).
 * Importing the same events again yields byte-identical files: duplicates (same ts_receive_us and
 * identity, see schema.ts) are dropped, and existing rows win over new ones.
 *
 * `seq` is assigned here: the rank of an event among consecutive events of its symbol with the same
 * ts_receive_us, in the order `write` receives them, so callers must pass events in recording order.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError, ioError } from '../core/errors.ts';
import type { MarketEvent } from '../model/events.ts';
import type { Instrument, InstrumentSpec } from '../model/instrument.ts';
import { FileSource, MemorySource, mergeRows, type RowSource } from './merge.ts';
import { COMPRESSION, DEFAULT_ROW_GROUP_ROWS, FORMAT_VERSION, TableFileWriter, type BeforeRenameHook, type Compression } from './parquet-io.ts';
import {
  LOCK_FILE,
  META_FILE,
  deadSpills,
  STORE_FORMAT,
  leftoversIn,
  lockPartition,
  partitionDir,
  readMeta,
  stableJson,
  tableFileName,
  tableLacksMatchTime,
  utcDateOfUs,
  writeFileAtomic,
  type ImportProvenance,
  type ImportRecord,
  type PartitionMeta,
  type RecordingNotes,
  mergeRecordingNotes,
} from './layout.ts';
import { TABLES, TableBuilder, appendEventRows, findUnsafeField, tableOf, type TableName } from './schema.ts';

/** Rows (plus depth level values) buffered before a spill, when `spillRows` is not given. */
export const DEFAULT_SPILL_ROWS = 4_000_000;

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
  /**
   * Test hook: called at each step of a partition commit that must survive a crash (names in
   * `COMMIT_STEPS`); a test kills the process there to check the partition stays whole.
   */
  onCommitStep?: (step: CommitStep) => void;
}

/** The durability steps of a partition commit, in order; a table step once per table written. */
export const COMMIT_STEPS = ['table-written', 'meta-written', 'old-files-removed'] as const;
export type CommitStep = (typeof COMMIT_STEPS)[number];

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
  private readonly onCommitStep?: (step: CommitStep) => void;
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
    this.spillRows = opts.spillRows ?? DEFAULT_SPILL_ROWS;
    this.beforeRename = opts.beforeRename;
    this.onCommitStep = opts.onCommitStep;
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

  /**
   * Merges everything written so far into the store. The writer can be reused afterwards.
   * `notes` (the recorder's sessions and gaps) are merged into the meta.json of each partition they name.
   */
  async commit(provenance: ImportProvenance, notes?: ReadonlyMap<string, RecordingNotes>): Promise<CommitSummary> {
    const summary: CommitSummary = { partitions: [], eventsWritten: 0 };
    const byDir = new Map<string, Buffer[]>();
    for (const key of [...this.buffers.keys()].sort()) {
      const b = this.buffers.get(key)!;
      const dirKey = `${b.symbol}/${b.date}`;
      if (!byDir.has(dirKey)) byDir.set(dirKey, []);
      byDir.get(dirKey)!.push(b);
    }
    try {
      for (const [dirKey, bufs] of byDir) summary.partitions.push(...(await this.commitPartition(bufs, provenance, notes?.get(dirKey))));
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
      removeDeadSpills(this.root);
      this.spillDir = join(this.root, `.spill-${process.pid}-${this.spillCount++}`);
      mkdirSync(this.spillDir, { recursive: true });
    }
    for (const b of this.buffers.values()) {
      if (b.rows.length === 0) continue;
      const runName = `run-${b.runs.length}-${b.symbol}-${b.date}-${b.table}.parquet`;
      const w = new TableFileWriter(this.spillDir, runName, b.table, {}, 'UNCOMPRESSED');
      let firstTs: number;
      try {
        firstTs = (await mergeRows(b.table, [new MemorySource(b.rows.block(), b.eventNo)], this.rowGroupRows, (blk) => w.append(blk))).minTsReceiveUs;
        w.commit(runName);
      } catch (e) {
        w.abort();
        throw e;
      }
      b.runs.push({ path: join(this.spillDir, runName), firstTs });
      b.rows.reset();
      b.eventNo = [];
    }
    this.bufferedRows = 0;
  }

  private async commitPartition(bufs: Buffer[], provenance: ImportProvenance, notes: RecordingNotes | undefined): Promise<PartitionSummary[]> {
    const { symbol, date } = bufs[0];
    const dir = partitionDir(this.root, this.venue, symbol, date);
    const instrument = this.instruments.get(symbol)!;
    const existing = readMeta(dir);
    if (existing) checkSameGrid(existing.instrument, instrument.spec, join(dir, META_FILE));
    const created = !existsSync(dir);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw ioError(e, 'create the partition directory', { file: dir });
    }
    const unlock = lockPartition(dir);
    let committed = false;
    try {
      const out = await this.commitLocked(bufs, provenance, dir, existing, instrument, notes);
      committed = true;
      return out;
    } finally {
      unlock();
      // A partition this commit created and never committed holds only its own leftovers.
      if (!committed && created && !existsSync(join(dir, META_FILE))) rmSync(dir, { recursive: true, force: true });
    }
  }

  private async commitLocked(bufs: Buffer[], provenance: ImportProvenance, dir: string, existing: PartitionMeta | undefined, instrument: Instrument, notes: RecordingNotes | undefined): Promise<PartitionSummary[]> {
    const { symbol, date } = bufs[0];
    const meta: PartitionMeta = {
      format: STORE_FORMAT,
      venue: this.venue,
      symbol,
      date,
      instrument: existing?.instrument ?? instrument.spec,
      priceUnit: existing?.priceUnit ?? `ticks of ${instrument.spec.tickSize}`,
      qtyUnit: existing?.qtyUnit ?? `lots of ${instrument.spec.stepSize}`,
      tables: { ...existing?.tables },
      imports: [...(existing?.imports ?? [])],
    };
    const recording = mergeRecordingNotes(existing?.recording, notes);
    if (recording !== undefined) meta.recording = recording;
    // Rows without a match time stay without one in the new format: mark their tables.
    const lacking = new Set(TABLES.filter((t) => existing !== undefined && tableLacksMatchTime(existing, t)));
    for (const t of lacking) meta.tables[t] = { ...meta.tables[t]!, noMatchTime: true };
    const out: PartitionSummary[] = [];
    const record: ImportRecord = { ...provenance, events: {} };
    for (const b of bufs) {
      record.events[b.table] = b.events;
      const sources: RowSource[] = [];
      const old = existing?.tables[b.table];
      if (old) sources.push(await FileSource.open(join(dir, old.file), b.table));
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
      const w = new TableFileWriter(dir, b.table, b.table, kv, this.compression);
      try {
        const res = await mergeRows(b.table, sources, this.rowGroupRows, (blk) => w.append(blk));
        const file = w.commit((sha) => tableFileName(b.table, sha), this.beforeRename);
        this.onCommitStep?.('table-written');
        meta.tables[b.table] = { file: tableFileName(b.table, file.sha256), rows: res.rows, minTsReceiveUs: res.minTsReceiveUs, maxTsReceiveUs: res.maxTsReceiveUs, sha256: file.sha256, bytes: file.bytes, ...(lacking.has(b.table) ? { noMatchTime: true as const } : {}) };
        out.push({ symbol, date, table: b.table, file: file.path, rows: res.rows, duplicateRows: res.duplicateRows });
      } catch (e) {
        w.abort();
        for (const s of sources) if (s instanceof FileSource) s.close();
        throw e;
      }
    }
    const recordJson = stableJson(record);
    if (!meta.imports.some((r) => stableJson(r) === recordJson)) meta.imports.push(record);
    // The commit: from here on readers see the new partition.
    writeFileAtomic(join(dir, META_FILE), stableJson(meta));
    this.onCommitStep?.('meta-written');
    removeLeftovers(dir, meta);
    this.onCommitStep?.('old-files-removed');
    return out;
  }
}

/** Removes the spill directories (`.spill-<pid>-<n>`) of writers that no longer run. */
export function removeDeadSpills(root: string): void {
  for (const name of deadSpills(root)) rmSync(join(root, name), { recursive: true, force: true });
}

/**
 * Removes what maker wrote in a partition directory that its meta.json does not list: the previous
 * generation of its table files and a dead writer's files and temporaries. Nothing else is touched.
 */
export function removeLeftovers(dir: string, meta: PartitionMeta): void {
  const { unlisted, temporary } = leftoversIn(dir, meta);
  for (const name of [...unlisted, ...temporary]) if (name !== LOCK_FILE) rmSync(join(dir, name), { force: true });
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
