/**
 * Streaming Parquet tables for run outputs (fills, orders, time series): one row group per
 * `appendRowGroup`, encoded at once by hyparquet-writer (the codec the store uses, see
 * docs/decisions/0001-parquet-codec.md) and either kept as compressed bytes in memory or streamed to
 * a file. Both sinks receive the same byte sequence, so the output file does not depend on where it
 * was buffered; row-group boundaries come from the recorder's fixed chunk size, never from the
 * reader's batch size.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { SchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { InvariantError } from '../../core/errors.ts';

export type OutColumnType = 'INT64' | 'DOUBLE' | 'STRING' | 'BOOLEAN';

export interface OutColumn {
  name: string;
  type: OutColumnType;
  /** Optional columns may hold null (written as Parquet OPTIONAL). */
  nullable?: boolean;
  /** Min/max statistics in the row group's metadata (default true). */
  statistics?: boolean;
  /** true: dictionary-encoded; false: plain; unset: the writer decides from a sample of each row group. */
  dictionary?: boolean;
}

export type OutColumnData = (number | null)[] | Float64Array | string[] | boolean[] | (string | null)[] | (boolean | null)[];

/** Where encoded bytes go: memory chunks or a file descriptor. */
abstract class FlushingWriter extends ByteWriter {
  abstract take(bytes: Uint8Array): void;
  flush(): void {
    if (this.index > 0) this.take(new Uint8Array(this.buffer, 0, this.index));
    this.index = 0;
  }
  override finish(): void {
    this.flush();
  }
}

class MemoryWriter extends FlushingWriter {
  readonly parts: Uint8Array[] = [];
  take(bytes: Uint8Array): void {
    this.parts.push(bytes.slice());
  }
}

class FileWriter extends FlushingWriter {
  constructor(private readonly fd: number) {
    super(1 << 16);
  }
  take(bytes: Uint8Array): void {
    writeSync(this.fd, bytes);
  }
}

function schemaOf(columns: readonly OutColumn[]): SchemaElement[] {
  return [
    { name: 'schema', num_children: columns.length },
    ...columns.map((c): SchemaElement => {
      const base = { name: c.name, repetition_type: c.nullable ? ('OPTIONAL' as const) : ('REQUIRED' as const) };
      switch (c.type) {
        case 'INT64':
          return { ...base, type: 'INT64' };
        case 'DOUBLE':
          return { ...base, type: 'DOUBLE' };
        case 'BOOLEAN':
          return { ...base, type: 'BOOLEAN' };
        case 'STRING':
          return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
      }
    }),
  ];
}

/**
 * A column's first n values as the writer takes them. INT64 values go as an array of BigInts (the
 * same bytes as a BigInt64Array: the schema is given, not inferred): the writer walks an INT64
 * column several times (range check, statistics, dictionary, pages), and every read of a
 * BigInt64Array element makes a new BigInt, while the array's BigInts are made once.
 */
function toParquet(c: OutColumn, data: OutColumnData, n: number): Float64Array | unknown[] {
  if (c.type === 'INT64' && !c.nullable) {
    const out = new Array<bigint>(n);
    for (let i = 0; i < n; i++) out[i] = BigInt(data[i] as number);
    return out;
  }
  if (c.type === 'INT64') {
    const out = new Array<bigint | null>(n);
    for (let i = 0; i < n; i++) out[i] = data[i] === null ? null : BigInt(data[i] as number);
    return out;
  }
  if (c.type === 'DOUBLE' && !c.nullable) return data instanceof Float64Array ? data.slice(0, n) : Float64Array.from((data as number[]).slice(0, n));
  return Array.prototype.slice.call(data, 0, n) as unknown[];
}

/** One Parquet file written a row group at a time. */
export class ParquetTableStream {
  readonly columns: readonly OutColumn[];
  rows = 0;
  private readonly writer: FlushingWriter;
  private readonly pw: ParquetWriter;
  private readonly fd: number | null;
  private finished = false;

  /** `path` null: bytes stay in memory until `bytes()`; otherwise they stream into `path`. */
  constructor(columns: readonly OutColumn[], kv: Record<string, string>, path: string | null = null) {
    this.columns = columns;
    this.fd = path === null ? null : openSync(path, 'w');
    this.writer = this.fd === null ? new MemoryWriter(1 << 16) : new FileWriter(this.fd);
    const kvMetadata = Object.keys(kv)
      .sort()
      .map((key) => ({ key, value: kv[key] }));
    this.pw = new ParquetWriter({ writer: this.writer, schema: schemaOf(columns), codec: 'SNAPPY', kvMetadata, createdBy: 'maker report' });
  }

  /** Whether the footer is written (or the file was aborted). */
  get isFinished(): boolean {
    return this.finished;
  }

  /** Appends `n` rows (n > 0) as one row group; `data[name]` holds at least n values per column. */
  appendRowGroup(data: Record<string, OutColumnData>, n: number): void {
    if (n <= 0) return;
    const columnData = this.columns.map((c) => ({
      name: c.name,
      data: toParquet(c, data[c.name], n) as never,
      nullable: c.nullable === true,
      statistics: c.statistics !== false,
      encoding: c.dictionary === undefined ? undefined : c.dictionary ? ('RLE_DICTIONARY' as const) : ('PLAIN' as const),
    }));
    this.pw.write({ columnData, rowGroupSize: n });
    this.rows += n;
  }

  /** Writes the footer; for a file, fsyncs and closes it. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.pw.finish();
    if (this.fd !== null) {
      fsyncSync(this.fd);
      closeSync(this.fd);
    }
  }

  /** The whole file (memory sink only, after `finish`). */
  bytes(): Uint8Array {
    if (!(this.writer instanceof MemoryWriter)) throw new InvariantError('bytes() is only available for in-memory tables');
    const parts = this.writer.parts;
    let len = 0;
    for (const p of parts) len += p.length;
    const out = new Uint8Array(len);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** Closes the file descriptor without a footer (after an error). */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
    }
  }
}
