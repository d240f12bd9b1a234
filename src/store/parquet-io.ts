/**
 * Parquet file I/O for the store: an atomic row-group-at-a-time file writer (hyparquet-writer) and a
 * row-group-at-a-time file reader (hyparquet). See docs/decisions/0001-parquet-codec.md for why.
 *
 * Atomic commit: a file is written under a temporary name beginning with '.' in its final
 * directory (same file system), fsynced, renamed over the final name, and the directory fsynced.
 * Readers never look at dot-files, so an interrupted write is never visible.
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, fstatSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parquetMetadata, parquetRead, type FileMetaData, type SchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { StoreError } from '../core/errors.ts';
import { SIDE_NAMES, TABLE_COLUMNS, type ColumnArray, type ColumnDef, type RowBlock, type TableName } from './schema.ts';

export const COMPRESSION = 'SNAPPY';
/** Rows per row group: ~10 MB of decoded columns for the widest table; see the decision record. */
export const DEFAULT_ROW_GROUP_ROWS = 131_072;
export const FORMAT_VERSION = '1';

/** Test hook: called after the temp file is complete and fsynced, before it becomes visible. */
export type BeforeRenameHook = (tmpPath: string, finalPath: string) => void;

function schemaOf(defs: readonly ColumnDef[]): SchemaElement[] {
  const root: SchemaElement = { name: 'schema', num_children: defs.length };
  return [
    root,
    ...defs.map((d): SchemaElement => {
      const base = { name: d.name, repetition_type: 'REQUIRED' as const };
      switch (d.kind) {
        case 'i64':
          return { ...base, type: 'INT64' };
        case 'i32':
          return { ...base, type: 'INT32' };
        case 'bool':
          return { ...base, type: 'BOOLEAN' };
        case 'side':
        case 'str':
          return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
      }
    }),
  ];
}

/** A ByteWriter that streams each finished row group to a file descriptor. */
class FdWriter extends ByteWriter {
  constructor(private readonly fd: number) {
    super(1 << 20);
  }
  flush(): void {
    if (this.index > 0) writeSync(this.fd, new Uint8Array(this.buffer, 0, this.index));
    this.index = 0;
  }
  override finish(): void {
    this.flush();
  }
}

/** Writes one table file, one row group per `append`, committed atomically by `commit`. */
export class TableFileWriter {
  readonly path: string;
  readonly tmpPath: string;
  rows = 0;
  private readonly fd: number;
  private readonly pw: ParquetWriter;
  private readonly defs: readonly ColumnDef[];
  private done = false;

  constructor(path: string, table: TableName, kv: Record<string, string>) {
    this.path = path;
    this.tmpPath = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    this.defs = TABLE_COLUMNS[table];
    try {
      this.fd = openSync(this.tmpPath, 'w');
    } catch (e) {
      throw new StoreError(`cannot create ${this.tmpPath}: ${(e as Error).message}`, { file: this.tmpPath }, e);
    }
    const kvMetadata = Object.keys(kv)
      .sort()
      .map((key) => ({ key, value: kv[key] }));
    this.pw = new ParquetWriter({ writer: new FdWriter(this.fd), schema: schemaOf(this.defs), codec: COMPRESSION, kvMetadata, createdBy: 'maker store' });
  }

  /** Writes `block` as one row group. */
  append(block: RowBlock): void {
    if (block.length === 0) return;
    const columnData = this.defs.map((d) => ({ name: d.name, data: toParquetColumn(d, block.columns[d.name], block.length), nullable: false }));
    this.pw.write({ columnData, rowGroupSize: block.length });
    this.rows += block.length;
  }

  /** Finishes the file and makes it visible under its final name. */
  commit(beforeRename?: BeforeRenameHook): void {
    this.pw.finish();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.done = true;
    beforeRename?.(this.tmpPath, this.path);
    renameSync(this.tmpPath, this.path);
    fsyncDir(dirname(this.path));
  }

  /** Drops the temporary file (after an error). */
  abort(): void {
    if (!this.done) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.done = true;
    }
    rmSync(this.tmpPath, { force: true });
  }
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function toParquetColumn(d: ColumnDef, col: ColumnArray, n: number): BigInt64Array | Int32Array | boolean[] | string[] {
  switch (d.kind) {
    case 'i64': {
      const src = col as Float64Array;
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(src[i]);
      return out;
    }
    case 'i32':
      return Int32Array.from((col as Float64Array).subarray(0, n));
    case 'bool': {
      const src = col as Uint8Array;
      const out = new Array<boolean>(n);
      for (let i = 0; i < n; i++) out[i] = src[i] === 1;
      return out;
    }
    case 'side': {
      const src = col as Uint8Array;
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) out[i] = SIDE_NAMES[src[i]];
      return out;
    }
    case 'str':
      return (col as string[]).slice(0, n);
  }
}

/** Reads a table file one row group at a time; every failure is a StoreError naming the file. */
export class TableFileReader {
  readonly path: string;
  readonly table: TableName;
  readonly metadata: FileMetaData;
  readonly kv: Record<string, string>;
  /** First row of each row group, plus the total row count at the end. */
  readonly groupStarts: number[];
  private readonly fd: number;
  private readonly size: number;

  constructor(path: string, table: TableName) {
    this.path = path;
    this.table = table;
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      throw new StoreError(`cannot open store file: ${(e as Error).message}`, { file: path }, e);
    }
    try {
      this.size = fstatSync(this.fd).size;
      const tailLen = Math.min(this.size, 8);
      const tail = this.readBytes(this.size - tailLen, this.size);
      const footerLen = tailLen === 8 ? new DataView(tail).getUint32(0, true) : 0;
      if (tailLen < 8 || new TextDecoder().decode(new Uint8Array(tail, 4, 4)) !== 'PAR1' || footerLen + 8 > this.size) {
        throw new StoreError('not a Parquet file (bad footer)', { file: path });
      }
      this.metadata = parquetMetadata(this.readBytes(this.size - footerLen - 8, this.size));
    } catch (e) {
      closeSync(this.fd);
      if (e instanceof StoreError) throw e;
      throw new StoreError(`corrupt Parquet footer: ${(e as Error).message}`, { file: path }, e);
    }
    this.kv = {};
    for (const { key, value } of this.metadata.key_value_metadata ?? []) this.kv[key] = value ?? '';
    this.checkSchema();
    this.groupStarts = [0];
    for (const rg of this.metadata.row_groups) this.groupStarts.push(this.groupStarts[this.groupStarts.length - 1] + Number(rg.num_rows));
  }

  get rowGroupCount(): number {
    return this.metadata.row_groups.length;
  }

  get rowCount(): number {
    return this.groupStarts[this.groupStarts.length - 1];
  }

  /** Statistics min/max of ts_receive_us over the file (undefined if the writer stored none). */
  receiveRange(): { min: number; max: number } | undefined {
    const idx = TABLE_COLUMNS[this.table].findIndex((d) => d.name === 'ts_receive_us');
    let min = Infinity;
    let max = -Infinity;
    for (const rg of this.metadata.row_groups) {
      const st = rg.columns[idx]?.meta_data?.statistics;
      if (st?.min_value === undefined || st.max_value === undefined) return undefined;
      min = Math.min(min, Number(st.min_value as bigint));
      max = Math.max(max, Number(st.max_value as bigint));
    }
    return min === Infinity ? undefined : { min, max };
  }

  async readRowGroup(g: number): Promise<RowBlock> {
    const rowStart = this.groupStarts[g];
    const rowEnd = this.groupStarts[g + 1];
    const n = rowEnd - rowStart;
    const defs = TABLE_COLUMNS[this.table];
    const parts = new Map<string, { start: number; data: ArrayLike<unknown> }[]>();
    const file = { byteLength: this.size, slice: (s: number, e?: number) => this.readBytes(s, e ?? this.size) };
    try {
      await parquetRead({
        file,
        metadata: this.metadata,
        rowStart,
        rowEnd,
        columns: defs.map((d) => d.name),
        onChunk: (c) => {
          let list = parts.get(c.columnName);
          if (!list) parts.set(c.columnName, (list = []));
          list.push({ start: c.rowStart, data: c.columnData as ArrayLike<unknown> });
        },
      });
    } catch (e) {
      throw new StoreError(`corrupt Parquet data in row group ${g}: ${(e as Error).message}`, { file: this.path, row: rowStart }, e);
    }
    const columns: Record<string, ColumnArray> = {};
    for (const d of defs) {
      const out = fromParquetParts(d, parts.get(d.name) ?? [], rowStart, n);
      if (out === undefined) throw new StoreError(`column ${d.name} is incomplete in row group ${g}`, { file: this.path, row: rowStart, field: d.name });
      columns[d.name] = out;
    }
    return { table: this.table, length: n, columns };
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  private readBytes(start: number, end: number): ArrayBuffer {
    const len = Math.max(0, end - start);
    const buf = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const r = readSync(this.fd, buf, done, len - done, start + done);
      if (r === 0) break;
      done += r;
    }
    return buf.buffer;
  }

  private checkSchema(): void {
    const leaves = new Map(this.metadata.schema.slice(1).map((s) => [s.name, s]));
    for (const d of TABLE_COLUMNS[this.table]) {
      const el = leaves.get(d.name);
      const want = d.kind === 'i64' ? 'INT64' : d.kind === 'i32' ? 'INT32' : d.kind === 'bool' ? 'BOOLEAN' : 'BYTE_ARRAY';
      if (!el) throw new StoreError(`missing column ${d.name} for table ${this.table}`, { file: this.path, field: d.name });
      if (el.type !== want) throw new StoreError(`column ${d.name} has type ${String(el.type)}, expected ${want}`, { file: this.path, field: d.name });
    }
  }
}

function fromParquetParts(d: ColumnDef, parts: { start: number; data: ArrayLike<unknown> }[], rowStart: number, n: number): ColumnArray | undefined {
  let filled = 0;
  const out: ColumnArray = d.kind === 'str' ? new Array<string>(n) : d.kind === 'bool' || d.kind === 'side' ? new Uint8Array(n) : new Float64Array(n);
  for (const { start, data } of parts) {
    const from = Math.max(0, rowStart - start);
    const to = Math.min(data.length, rowStart + n - start);
    for (let k = from; k < to; k++) {
      const i = start + k - rowStart;
      const v = data[k];
      if (d.kind === 'str') (out as string[])[i] = v as string;
      else if (d.kind === 'bool') (out as Uint8Array)[i] = v ? 1 : 0;
      else if (d.kind === 'side') (out as Uint8Array)[i] = v === 'bid' ? 1 : v === 'ask' ? 2 : 0;
      else (out as Float64Array)[i] = Number(v);
    }
    filled += Math.max(0, to - from);
  }
  return filled === n ? out : undefined;
}
