/**
 * Directory layout of the store and the per-partition metadata file.
 *
 *   <root>/<venue>/<symbol>/<YYYY-MM-DD>/meta.json
 *   <root>/<venue>/<symbol>/<YYYY-MM-DD>/<table>.<16 hex of its SHA-256>.parquet
 *
 * The date is the UTC date of ts_exchange_us. A partition is exactly what its meta.json lists:
 * each table's file name, size, SHA-256, row count and time range. meta.json is replaced by one
 * atomic rename, and that rename is the partition's commit: new table files are written under
 * new (content-derived) names first, the old ones are removed only after. So a reader sees the old
 * partition or the new one, never a mix, whenever a writer dies. Files a meta.json does not list
 * (a dead writer's new files, or old ones not yet removed) and names beginning with '.' (temporary
 * files, spill runs) are not part of the store: readers ignore them, `data check` reports them, the
 * next commit of the partition removes them. A date directory without meta.json is an import that
 * died before its first commit: not a partition.
 *
 * Format `maker-store/2` (before content hashes) had `<table>.parquet` and no hashes; it is still
 * read, and re-importing into such a partition rewrites it as the current format. Formats before
 * `maker-store/4` have no match time (`ts_transact_us`) in book_ticker, trades and agg_trades: it
 * reads as the exchange time, and `tableLacksMatchTime` says so. Rows of such a table keep lacking
 * it when another import merges into the partition (the table's meta gets `noMatchTime: true`);
 * only removing the partition and importing again brings the match time in.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StoreError, ioError } from '../core/errors.ts';
import type { InstrumentSpec } from '../model/instrument.ts';
import { fsyncDir } from './parquet-io.ts';
import { TABLES, type TableName } from './schema.ts';

export const META_FILE = 'meta.json';
/**
 * Version 5: the force_orders table (liquidation orders). Its files are read by this version
 * only: an older maker refuses the partition rather than ignoring the table (and dropping it when
 * it re-imports into the partition). Nothing else changed: a version-4 partition reads as before.
 * Version 4: match time `ts_transact_us` in book_ticker, trades and agg_trades (depth had it).
 * Version 3: content-addressed table files with SHA-256, size and row count in meta.json.
 * Version 2: one depth row per event with LIST<INT64> level columns, files `<table>.parquet`, no
 * hashes (still read). Version 1: one depth row per level (not read).
 */
export const STORE_FORMAT = 'maker-store/5';
export const READABLE_FORMATS: readonly string[] = ['maker-store/2', 'maker-store/3', 'maker-store/4', 'maker-store/5'];

/** Tables whose match time came with maker-store/4 (depth has had it since maker-store/2; mark_price has none). */
const MATCH_TIME_SINCE_4: readonly TableName[] = ['book_ticker', 'trades', 'agg_trades'];

/**
 * Whether a table of a partition has no recorded match time (`ts_transact_us` reads as
 * ts_exchange_us): written before maker-store/4, or merged with rows that were.
 */
export function tableLacksMatchTime(meta: PartitionMeta, table: TableName): boolean {
  if (!MATCH_TIME_SINCE_4.includes(table) || meta.tables[table] === undefined) return false;
  return meta.format === 'maker-store/2' || meta.format === 'maker-store/3' || meta.tables[table]!.noMatchTime === true;
}

/** What to do about a store without match time, for messages. */
export const REIMPORT_FOR_MATCH_TIME = 'remove the partition directories (or use a new store directory) and import the source files again with this version';

/** One input of an import, as the importer describes it. */
export interface ImportInput {
  path: string;
  bytes?: number;
  sha256?: string;
}

/** Where data came from. Keep it free of wall-clock times: re-importing must rewrite it unchanged. */
export interface ImportProvenance {
  /** Importer name and format, e.g. "hftbacktest-npz" or "binance-vision-trades-csv". */
  importer: string;
  inputs: ImportInput[];
  /** Free-form options that affected the import (e.g. "--infer-spec"). */
  options?: Record<string, string>;
  /**
   * Damage in the inputs the import kept going past (a file cut short, skipped lines): how many,
   * and the first ones. A partition of such an import may end early or miss lines.
   */
  damage?: { count: number; first: { file: string; line: number; kind: string; message: string; bytesLost?: number }[] };
}

/** One import's contribution to one partition: events read per table (before de-duplication). */
export interface ImportRecord extends ImportProvenance {
  events: Partial<Record<TableName, number>>;
}

export interface TableMeta {
  /** File name in the partition directory. */
  file: string;
  rows: number;
  minTsReceiveUs: number;
  maxTsReceiveUs: number;
  /** SHA-256 of the file's bytes, hex (absent in maker-store/2). */
  sha256?: string;
  /** The file's size in bytes (absent in maker-store/2). */
  bytes?: number;
  /** True when some rows have no match time (merged from a table written before maker-store/4). */
  noMatchTime?: true;
}

/** Contents of meta.json. */
export interface PartitionMeta {
  format: string;
  venue: string;
  symbol: string;
  /** UTC date of ts_exchange_us, YYYY-MM-DD. */
  date: string;
  /** The instrument the ticks and lots refer to; its `source` says where and when it came from. */
  instrument: InstrumentSpec;
  priceUnit: string;
  qtyUnit: string;
  tables: Partial<Record<TableName, TableMeta>>;
  imports: ImportRecord[];
  /** Written by `maker record` only: its sessions and the stretches it did not hear (docs/DATA_FORMAT.md). */
  recording?: RecordingNotes;
}

/** One message of a stream at the edge of a gap: its id (update id, trade id; mark price: E in ms) and times. */
export interface GapEdge {
  id: number;
  tsExchangeUs: number;
  tsReceiveUs: number;
}

/**
 * A stretch of one stream of one symbol the recorder did not hear (or cannot vouch for): between
 * `before` (the last message recorded; null when unknown, e.g. the first session) and `after` (the
 * first message recorded again). Depth rows between them are missing or unchained; a snapshot follows.
 */
export interface GapRecord {
  symbol: string;
  /** depth, trade, aggTrade, bookTicker, markPrice or forceOrder. */
  stream: string;
  reason: 'disconnect' | 'stall' | 'chain-break' | 'session-break';
  before: GapEdge | null;
  after: GapEdge;
}

/** One run of the recorder: when it started, against which venue, and the measured clock offset. */
export interface SessionRecord {
  id: string;
  startUs: number;
  /** Exchange clock minus the recorder's clock, µs (from /fapi/v1/time, the reply with the shortest round trip). */
  clockOffsetUs: number;
  clockRttUs: number;
  rest: string;
  ws: string;
  streams: string[];
}

export interface RecordingNotes {
  sessions: SessionRecord[];
  gaps: GapRecord[];
}

/** The union of two sets of recording notes (de-duplicated, sorted by time), so re-committing a journal changes nothing. */
export function mergeRecordingNotes(a: RecordingNotes | undefined, b: RecordingNotes | undefined): RecordingNotes | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const uniq = <T>(xs: T[], key: (x: T) => number): T[] => {
    const seen = new Map<string, T>();
    for (const x of xs) seen.set(stableJson(x), x);
    return [...seen.entries()].sort((p, q) => key(p[1]) - key(q[1]) || (p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0)).map((e) => e[1]);
  };
  return { sessions: uniq([...a.sessions, ...b.sessions], (s) => s.startUs), gaps: uniq([...a.gaps, ...b.gaps], (g) => g.after.tsReceiveUs) };
}

const DAY_US = 86_400_000_000;

/** UTC date (YYYY-MM-DD) of a µs timestamp. */
export function utcDateOfUs(us: number): string {
  return new Date(Math.floor(us / DAY_US) * 86_400_000).toISOString().slice(0, 10);
}

export function startOfDateUs(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) * 1000;
}

export function partitionDir(root: string, venue: string, symbol: string, date: string): string {
  return join(root, venue, symbol, date);
}

/** The file name of a table with this content: `<table>.<16 hex of sha256>.parquet`. */
export function tableFileName(table: TableName, sha256: string): string {
  return `${table}.${sha256.slice(0, 16)}.parquet`;
}

/** Whether a file name is one this store writes for a table (either format), so maker may remove it. */
export function isTableFileName(name: string): boolean {
  return TABLE_FILE.test(name);
}

const TABLE_FILE = new RegExp(`^(${TABLES.join('|')})(\\.[0-9a-f]{16})?\\.parquet$`);

/** Visible entries of a directory (no dot-names), sorted; [] if it does not exist. */
export function listVisible(dir: string, wantDirs: boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => !d.name.startsWith('.') && d.isDirectory() === wantDirs)
    .map((d) => d.name)
    .sort();
}

/** The tables a partition holds, in `TABLES` order. */
export function tablesOf(meta: PartitionMeta): TableName[] {
  return TABLES.filter((t) => meta.tables[t] !== undefined);
}

/** What is in a partition directory besides the partition: files maker wrote that meta.json does not list, and temporaries. */
export interface PartitionLeftovers {
  /** Table files not listed by meta.json (a dead writer's new files, or old ones not yet removed). */
  unlisted: string[];
  /** Temporary dot-files (a write that never finished). */
  temporary: string[];
}

export function leftoversIn(dir: string, meta: PartitionMeta | undefined): PartitionLeftovers {
  const listed = new Set(Object.values(meta?.tables ?? {}).map((t) => t!.file));
  const out: PartitionLeftovers = { unlisted: [], temporary: [] };
  if (!existsSync(dir)) return out;
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (!d.isFile()) continue;
    if (d.name.startsWith('.') && d.name.endsWith('.tmp')) out.temporary.push(d.name);
    else if (d.name === LOCK_FILE) {
      const holder = lockHolder(join(dir, d.name));
      if (holder === null || !processRuns(holder)) out.temporary.push(d.name); // a dead writer's lock
    }
    else if (isTableFileName(d.name) && !listed.has(d.name)) out.unlisted.push(d.name);
  }
  out.unlisted.sort();
  out.temporary.sort();
  return out;
}

/** Spill directories (`.spill-<pid>-<n>`) at a store's root whose writer no longer runs. */
export function deadSpills(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({ name: d.name, pid: /^\.spill-(\d+)-\d+$/.exec(d.name)?.[1] }))
    .filter((d) => d.pid !== undefined && Number(d.pid) !== process.pid && !processRuns(Number(d.pid)))
    .map((d) => d.name)
    .sort();
}

/** The lock file a writer holds on a partition directory while it commits. */
export const LOCK_FILE = '.lock';

/**
 * Takes the write lock of a partition directory (exclusive create of `.lock` holding our pid) and
 * returns its release. A lock left by a process that no longer runs is taken over; one held by a
 * running process is a `StoreError` naming it.
 */
export function lockPartition(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = lockHolder(file);
      if (holder !== null && holder !== process.pid && processRuns(holder)) {
        throw new StoreError(`the partition is being written by process ${holder}; wait for it to finish, or delete the lock file if no maker process is running`, { file });
      }
      rmSync(file, { force: true }); // a dead writer's lock
    }
  }
  throw new StoreError('cannot take the partition lock', { file });
}

/** The pid in a lock file, null when unreadable. */
export function lockHolder(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Whether a process with this pid runs (signal 0 probes without sending anything). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readMeta(dir: string): PartitionMeta | undefined {
  const file = join(dir, META_FILE);
  if (!existsSync(file)) return undefined;
  let meta: PartitionMeta;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as PartitionMeta;
  } catch (e) {
    throw new StoreError(`corrupt partition metadata: ${(e as Error).message}`, { file }, e);
  }
  if (!READABLE_FORMATS.includes(meta.format) || typeof meta.instrument?.tickSize !== 'string') {
    throw new StoreError(`not a maker store metadata file of a format this version reads (${READABLE_FORMATS.join(', ')}; found "${String(meta.format)}"): re-import the data with this version`, { file, field: 'format' });
  }
  for (const [t, m] of Object.entries(meta.tables)) {
    if (!m || typeof m.file !== 'string' || m.file.includes('/') || m.file.startsWith('.')) throw new StoreError(`table ${t} names no valid file`, { file, field: `tables.${t}.file` });
  }
  return meta;
}

/**
 * Writes a small file atomically: temp dot-file in the same directory, fsync, rename, fsync dir.
 * On failure the temp file is removed and the error names the file meant.
 */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw ioError(e, `write ${basename(file)}`, { file });
  }
  fsyncDir(dirname(file));
}

/** JSON with sorted object keys, so equal metadata is byte-identical. */
export function stableJson(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (v !== null && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) if ((v as Record<string, unknown>)[k] !== undefined) o[k] = norm((v as Record<string, unknown>)[k]);
      return o;
    }
    return v;
  };
  return `${JSON.stringify(norm(value), null, 2)}\n`;
}
