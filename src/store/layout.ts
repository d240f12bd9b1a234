/**
 * Directory layout of the store and the per-partition metadata file.
 *
 *   <root>/<venue>/<symbol>/<YYYY-MM-DD>/<table>.parquet
 *   <root>/<venue>/<symbol>/<YYYY-MM-DD>/meta.json
 *
 * The date is the UTC date of ts_exchange_us. Names beginning with '.' (temporary files, spill
 * runs) are never part of the store.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StoreError } from '../core/errors.ts';
import type { InstrumentSpec } from '../model/instrument.ts';
import { fsyncDir } from './parquet-io.ts';
import { TABLES, type TableName } from './schema.ts';

export const META_FILE = 'meta.json';
/** Version 2: one depth row per event with LIST<INT64> level columns (1: one depth row per level). */
export const STORE_FORMAT = 'maker-store/2';

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
}

/** One import's contribution to one partition: events read per table (before de-duplication). */
export interface ImportRecord extends ImportProvenance {
  events: Partial<Record<TableName, number>>;
}

export interface TableMeta {
  file: string;
  rows: number;
  minTsReceiveUs: number;
  maxTsReceiveUs: number;
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

export function tableFile(root: string, venue: string, symbol: string, date: string, table: TableName): string {
  return join(partitionDir(root, venue, symbol, date), `${table}.parquet`);
}

/** Visible entries of a directory (no dot-names), sorted; [] if it does not exist. */
export function listVisible(dir: string, wantDirs: boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => !d.name.startsWith('.') && d.isDirectory() === wantDirs)
    .map((d) => d.name)
    .sort();
}

export function tablesIn(dir: string): TableName[] {
  const files = new Set(listVisible(dir, false));
  return TABLES.filter((t) => files.has(`${t}.parquet`));
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
  if (meta.format !== STORE_FORMAT || typeof meta.instrument?.tickSize !== 'string') {
    throw new StoreError(`not a ${STORE_FORMAT} metadata file (format "${String(meta.format)}")`, { file, field: 'format' });
  }
  return meta;
}

/** Writes a small file atomically: temp dot-file in the same directory, fsync, rename, fsync dir. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
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
