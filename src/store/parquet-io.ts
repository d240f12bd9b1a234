/**
 * Parquet file I/O for the store: an atomic row-group-at-a-time file writer (hyparquet-writer) and a
 * row-group-at-a-time file reader. See docs/decisions/0001-parquet-codec.md and 0002-snappy-decoder.md.
 *
 * Reading: the columns the writer produces (PLAIN INT64/INT32/BYTE_ARRAY, RLE BOOLEAN, data pages
 * v2, LIST<INT64> with one repetition level) are decoded page by page straight into typed arrays:
 * INT64 and LIST<INT64> pages by page-decode.ts (levels straight into list offsets, INT64 → number
 * through the two 32-bit halves, no BigInt per value), the others by hyparquet's page decoder;
 * SNAPPY pages are decompressed by hysnappy (WebAssembly). Any other page layout (a file written
 * by another tool) goes through hyparquet's general `parquetRead`.
 *
 * Atomic commit: a file is written under a temporary name beginning with '.' in its final
 * directory (same file system), fsynced, renamed over the final name, and the directory fsynced.
 * Readers never look at dot-files, so an interrupted write is never visible.
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, fstatSync, writeSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { join } from 'node:path';
import { parquetMetadata, parquetRead, type FileMetaData, type SchemaElement } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { getSchemaPath } from 'hyparquet/src/schema.js';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { snappyUncompressor } from 'hysnappy';
import { StoreError, ioError } from '../core/errors.ts';
import { decodeInt64ListPage, decodeInt64Page, type ListCursor } from './page-decode.ts';
import { DERIVED_COLUMNS, TABLE_COLUMNS, type ColumnArray, type ColumnDef, type ListColumn, type RowBlock, type TableName } from './schema.ts';

/** Default codec. 'UNCOMPRESSED' reads a little faster (no snappy) at ~3x the disk; see the decision records 0001 and 0002. */
export const COMPRESSION = 'SNAPPY';
export type Compression = 'SNAPPY' | 'UNCOMPRESSED';
/** Rows per row group: ~10 MB of decoded columns for the widest flat table; see the decision record. */
export const DEFAULT_ROW_GROUP_ROWS = 131_072;
/** A row group also ends once it holds this many list values (depth levels, all four lists). */
export const MAX_GROUP_LIST_VALUES = 1 << 21;
export const FORMAT_VERSION = '2';

/** Test hook: called after the temp file is complete and fsynced, before it becomes visible. */
export type BeforeRenameHook = (tmpPath: string, finalPath: string) => void;

function schemaOf(defs: readonly ColumnDef[]): SchemaElement[] {
  const root: SchemaElement = { name: 'schema', num_children: defs.length };
  return [
    root,
    ...defs.flatMap((d): SchemaElement[] => {
      const base = { name: d.name, repetition_type: 'REQUIRED' as const };
      switch (d.kind) {
        case 'i64':
          return [{ ...base, type: 'INT64' }];
        case 'i32':
          return [{ ...base, type: 'INT32' }];
        case 'bool':
          return [{ ...base, type: 'BOOLEAN' }];
        case 'str':
          return [{ ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } }];
        case 'i64list':
          // The standard three-level LIST (DuckDB, pyarrow and polars read it as a list of int64).
          return [
            { ...base, converted_type: 'LIST', logical_type: { type: 'LIST' }, num_children: 1 },
            { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
            { name: 'element', repetition_type: 'REQUIRED', type: 'INT64' },
          ];
      }
    }),
  ];
}

/** A ByteWriter that streams each finished row group to a file descriptor, hashing what it writes. */
class FdWriter extends ByteWriter {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly fd: number) {
    super(1 << 20);
  }
  flush(): void {
    if (this.index > 0) {
      const chunk = new Uint8Array(this.buffer, 0, this.index);
      writeSync(this.fd, chunk);
      this.hash.update(chunk);
      this.bytes += this.index;
    }
    this.index = 0;
  }
  override finish(): void {
    this.flush();
  }
}

/** What a committed table file is: where, its SHA-256 (hex) and its size. */
export interface WrittenFile {
  path: string;
  sha256: string;
  bytes: number;
}

/**
 * Writes one table file, one row group per `append`, into a temporary dot-file of the target
 * directory; `commit` fsyncs it and renames it to its final name, which may be derived from the
 * content's SHA-256 (computed while writing, no second read).
 */
export class TableFileWriter {
  readonly dir: string;
  readonly table: TableName;
  readonly tmpPath: string;
  rows = 0;
  private readonly fd: number;
  private readonly out: FdWriter;
  private readonly pw: ParquetWriter;
  private readonly defs: readonly ColumnDef[];
  private done = false;

  /**
   * `dir`: the directory the file is committed into; `tmpName`: a name for the temporary file (made
   * a dot-file); `defs`: the columns to write, the table's by default (tests write older layouts).
   */
  constructor(dir: string, tmpName: string, table: TableName, kv: Record<string, string>, codec: Compression = COMPRESSION, defs: readonly ColumnDef[] = TABLE_COLUMNS[table]) {
    this.dir = dir;
    this.table = table;
    this.tmpPath = join(dir, `.${tmpName}.${process.pid}.tmp`);
    this.defs = defs;
    try {
      this.fd = openSync(this.tmpPath, 'w');
    } catch (e) {
      throw ioError(e, `write a ${table} file in ${dir}`, { file: dir });
    }
    const kvMetadata = Object.keys(kv)
      .sort()
      .map((key) => ({ key, value: kv[key] }));
    this.out = new FdWriter(this.fd);
    this.pw = new ParquetWriter({ writer: this.out, schema: schemaOf(this.defs), codec, kvMetadata, createdBy: 'maker store' });
  }

  /** Writes `block` as one row group. */
  append(block: RowBlock): void {
    if (block.length === 0) return;
    // PLAIN everywhere (booleans: RLE) so the reader's typed-array fast path applies.
    const columnData = this.defs.map((d) => ({
      name: d.name,
      data: toParquetColumn(d, block.columns[d.name], block.length),
      nullable: false,
      ...(d.kind === 'bool' ? {} : { encoding: 'PLAIN' as const }),
    }));
    try {
      this.pw.write({ columnData, rowGroupSize: block.length });
    } catch (e) {
      throw ioError(e, `write a ${this.table} file in ${this.dir}`, { file: this.dir });
    }
    this.rows += block.length;
  }

  /**
   * Finishes the file and makes it visible under its final name in `dir`: `name`, or the name
   * `name(sha256)` gives. A file already there under that name is replaced (for a content-derived
   * name it holds these very bytes).
   */
  commit(name: string | ((sha256: string) => string), beforeRename?: BeforeRenameHook): WrittenFile {
    try {
      this.pw.finish();
      fsyncSync(this.fd);
    } catch (e) {
      throw ioError(e, `write a ${this.table} file in ${this.dir}`, { file: this.dir });
    }
    closeSync(this.fd);
    this.done = true;
    const sha256 = this.out.hash.digest('hex');
    const path = join(this.dir, typeof name === 'string' ? name : name(sha256));
    beforeRename?.(this.tmpPath, path);
    renameSync(this.tmpPath, path);
    fsyncDir(this.dir);
    return { path, sha256, bytes: this.out.bytes };
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

const TWO32 = 4294967296;

/**
 * Page decompressors handed to hyparquet: SNAPPY through hysnappy (WebAssembly, by hyparquet's
 * author), ≈ 3× faster than hyparquet's built-in JS decoder (docs/decisions/0002-snappy-decoder.md).
 * Instantiated on first use; the decoder copies its output out of the WebAssembly memory.
 */
let compressors: { SNAPPY: (input: Uint8Array, outputLength: number) => Uint8Array } | undefined;
function pageDecompressors(): NonNullable<typeof compressors> {
  compressors ??= { SNAPPY: snappyUncompressor() };
  return compressors;
}

/** Safe integers → BigInt64Array through the two 32-bit halves (no BigInt per value). */
function toInt64Array(src: ArrayLike<number>, from: number, to: number): BigInt64Array {
  const out = new BigInt64Array(to - from);
  const w = new Int32Array(out.buffer);
  for (let i = from, k = 0; i < to; i++, k += 2) {
    const v = src[i];
    const hi = Math.floor(v / TWO32);
    w[k] = v - hi * TWO32;
    w[k + 1] = hi;
  }
  return out;
}

/** Little-endian INT64 values (as a BigInt64Array) → numbers, exact below 2^53. */
export function int64ToNumbers(src: BigInt64Array, out: Float64Array, at: number): void {
  const w = new Int32Array(src.buffer, src.byteOffset, src.length * 2);
  const n = src.length;
  for (let i = 0, k = 0; i < n; i++, k += 2) out[at + i] = w[k + 1] * TWO32 + (w[k] >>> 0);
}

function toParquetColumn(d: ColumnDef, col: ColumnArray, n: number): BigInt64Array | Int32Array | boolean[] | string[] | bigint[][] {
  switch (d.kind) {
    case 'i64':
      return toInt64Array(col as Float64Array, 0, n);
    case 'i32':
      return Int32Array.from((col as Float64Array).subarray(0, n));
    case 'bool': {
      const src = col as Uint8Array;
      const out = new Array<boolean>(n);
      for (let i = 0; i < n; i++) out[i] = src[i] === 1;
      return out;
    }
    case 'str':
      return (col as string[]).slice(0, n);
    case 'i64list': {
      const { values, offsets } = col as ListColumn;
      const out = new Array<bigint[]>(n);
      for (let i = 0; i < n; i++) {
        const row = new Array<bigint>(offsets[i + 1] - offsets[i]);
        for (let k = offsets[i], j = 0; k < offsets[i + 1]; k++, j++) row[j] = BigInt(values[k]);
        out[i] = row;
      }
      return out;
    }
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
    try {
      const fast = this.readRowGroupDirect(g);
      if (fast) return fast;
    } catch (e) {
      throw new StoreError(`corrupt Parquet data in row group ${g}: ${(e as Error).message}`, { file: this.path, row: this.groupStarts[g] }, e);
    }
    return this.readRowGroupGeneral(g);
  }

  /**
   * Decodes row group g page by page into typed arrays, or returns undefined when a page uses a
   * layout this path does not handle (then the general reader is used).
   */
  readRowGroupDirect(g: number): RowBlock | undefined {
    const rg = this.metadata.row_groups[g];
    const n = Number(rg.num_rows);
    const defs = this.storedDefs;
    const columns: Record<string, ColumnArray> = {};
    for (const d of defs) {
      const chunk = rg.columns.find((c) => c.meta_data?.path_in_schema[0] === d.name);
      const md = chunk?.meta_data;
      if (!md) return undefined;
      const start = Number(md.dictionary_page_offset ?? md.data_page_offset);
      const len = Number(md.total_compressed_size);
      const bytes = this.readChunk(start, start + len);
      const schemaPath = getSchemaPath(this.metadata.schema, md.path_in_schema);
      const decoder = { type: md.type, element: schemaPath[schemaPath.length - 1].element, schemaPath, codec: md.codec, parsers: undefined as never, compressors: pageDecompressors() };
      const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
      const list = d.kind === 'i64list';
      const out: ColumnArray =
        d.kind === 'str' ? new Array<string>(n) : d.kind === 'bool' ? new Uint8Array(n) : list ? { values: new Float64Array(Number(md.num_values)), offsets: new Uint32Array(n + 1) } : new Float64Array(n);
      let rows = 0;
      let vals = 0;
      while (reader.offset < bytes.length) {
        const header = parquetHeader(reader);
        const page = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
        reader.offset += header.compressed_page_size;
        const v2 = header.data_page_header_v2;
        if (header.type !== 'DATA_PAGE_V2' || !v2 || !(v2.encoding === 'PLAIN' || (v2.encoding === 'RLE' && d.kind === 'bool'))) return undefined;
        if (list || d.kind === 'i64') {
          // The hot columns (stamps, ids, depth levels): decoded by hand, see page-decode.ts.
          const levelBytes = v2.repetition_levels_byte_length + v2.definition_levels_byte_length;
          let values: Uint8Array = page.subarray(levelBytes);
          if (v2.is_compressed !== false && md.codec !== 'UNCOMPRESSED') {
            if (md.codec !== 'SNAPPY') return undefined;
            values = decompressPage(values, header.uncompressed_page_size - levelBytes, md.codec, pageDecompressors());
          }
          if (list) {
            const cursor: ListCursor = { values: (out as ListColumn).values, offsets: (out as ListColumn).offsets, rows, vals };
            if (!decodeInt64ListPage({ header, raw: page, values }, cursor)) return undefined;
            rows = cursor.rows;
            vals = cursor.vals;
          } else {
            const m = decodeInt64Page({ header, raw: page, values }, out as Float64Array, rows);
            if (m < 0) return undefined;
            rows += m;
          }
          continue;
        }
        const { dataPage } = readDataPageV2(page, header, decoder as never);
        const m = dataPage.length;
        if (rows + m > n) return undefined;
        if (dataPage instanceof BigInt64Array) int64ToNumbers(dataPage, out as Float64Array, rows);
        else if (dataPage instanceof Int32Array) (out as Float64Array).set(dataPage, rows);
        else if (d.kind === 'bool') for (let k = 0; k < m; k++) (out as Uint8Array)[rows + k] = dataPage[k] ? 1 : 0;
        else if (d.kind === 'str') for (let k = 0; k < m; k++) (out as string[])[rows + k] = decodeUtf8(dataPage[k]);
        else return undefined;
        rows += m;
      }
      if (rows !== n) return undefined;
      if (list) {
        // num_values counts empty lists too (a level with no value): trim to the values read.
        (out as ListColumn).offsets[n] = vals;
        (out as ListColumn).values = (out as ListColumn).values.subarray(0, vals);
      }
      columns[d.name] = out;
    }
    return this.withDerived({ table: this.table, length: n, columns });
  }

  private async readRowGroupGeneral(g: number): Promise<RowBlock> {
    const rowStart = this.groupStarts[g];
    const rowEnd = this.groupStarts[g + 1];
    const n = rowEnd - rowStart;
    const defs = this.storedDefs;
    const parts = new Map<string, { start: number; data: ArrayLike<unknown> }[]>();
    const file = { byteLength: this.size, slice: (s: number, e?: number) => this.readBytes(s, e ?? this.size) };
    try {
      await parquetRead({
        file,
        metadata: this.metadata,
        compressors: pageDecompressors(),
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
    return this.withDerived({ table: this.table, length: n, columns });
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  /**
   * A column chunk's bytes into a buffer reused for every chunk of this file: the direct decoder
   * copies everything it keeps (numbers into typed arrays, strings), so no block refers to it.
   */
  private readChunk(start: number, end: number): Uint8Array {
    const len = Math.max(0, end - start);
    if (this.chunkBuffer.length < len) this.chunkBuffer = new Uint8Array(Math.max(len, this.chunkBuffer.length * 2));
    const buf = this.chunkBuffer;
    let done = 0;
    while (done < len) {
      const r = readSync(this.fd, buf, done, len - done, start + done);
      if (r === 0) break;
      done += r;
    }
    return buf.subarray(0, done);
  }

  private chunkBuffer = new Uint8Array(0);

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
    const schema = this.metadata.schema;
    const derived: string[] = [];
    for (const d of TABLE_COLUMNS[this.table]) {
      const at = schema.findIndex((s, i) => i > 0 && s.name === d.name);
      const el = schema[at];
      if (!el && DERIVED_COLUMNS[d.name] !== undefined) {
        derived.push(d.name);
        continue;
      }
      if (!el) throw new StoreError(`missing column ${d.name} for table ${this.table} (a ${STORE_FORMAT_HINT} file?)`, { file: this.path, field: d.name });
      if (d.kind === 'i64list') {
        const leaf = schema[at + 2];
        if (el.converted_type !== 'LIST' || leaf?.type !== 'INT64') throw new StoreError(`column ${d.name} is not a LIST of INT64`, { file: this.path, field: d.name });
        continue;
      }
      const want = d.kind === 'i64' ? 'INT64' : d.kind === 'i32' ? 'INT32' : d.kind === 'bool' ? 'BOOLEAN' : 'BYTE_ARRAY';
      if (el.type !== want) throw new StoreError(`column ${d.name} has type ${String(el.type)}, expected ${want}`, { file: this.path, field: d.name });
    }
    this.derivedColumns = derived;
    this.storedDefs = TABLE_COLUMNS[this.table].filter((d) => !derived.includes(d.name));
  }

  /** Columns this (older) file lacks, which every row group fills from `DERIVED_COLUMNS` (e.g. ts_transact_us). */
  derivedColumns: readonly string[] = [];
  private storedDefs: readonly ColumnDef[] = [];

  /** Fills the derived columns of a block from their sources (the same array, no copy). */
  private withDerived(block: RowBlock): RowBlock {
    for (const name of this.derivedColumns) block.columns[name] = block.columns[DERIVED_COLUMNS[name]];
    return block;
  }
}

const STORE_FORMAT_HINT = 'maker-store/2';
const utf8 = new TextDecoder();

function decodeUtf8(v: unknown): string {
  return typeof v === 'string' ? v : utf8.decode(v as Uint8Array);
}

function fromParquetParts(d: ColumnDef, parts: { start: number; data: ArrayLike<unknown> }[], rowStart: number, n: number): ColumnArray | undefined {
  let filled = 0;
  if (d.kind === 'i64list') {
    const rows: ArrayLike<unknown>[] = new Array(n);
    for (const { start, data } of parts) for (let k = Math.max(0, rowStart - start); k < Math.min(data.length, rowStart + n - start); k++, filled++) rows[start + k - rowStart] = data[k] as ArrayLike<unknown>;
    if (filled !== n) return undefined;
    const offsets = new Uint32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) offsets[i + 1] = total += rows[i].length;
    const values = new Float64Array(total);
    for (let i = 0; i < n; i++) for (let k = 0; k < rows[i].length; k++) values[offsets[i] + k] = Number(rows[i][k]);
    return { values, offsets };
  }
  const out: ColumnArray = d.kind === 'str' ? new Array<string>(n) : d.kind === 'bool' ? new Uint8Array(n) : new Float64Array(n);
  for (const { start, data } of parts) {
    const from = Math.max(0, rowStart - start);
    const to = Math.min(data.length, rowStart + n - start);
    for (let k = from; k < to; k++) {
      const i = start + k - rowStart;
      const v = data[k];
      if (d.kind === 'str') (out as string[])[i] = v as string;
      else if (d.kind === 'bool') (out as Uint8Array)[i] = v ? 1 : 0;
      else (out as Float64Array)[i] = Number(v);
    }
    filled += Math.max(0, to - from);
  }
  return filled === n ? out : undefined;
}
