/**
 * Sorted row sources of one table and their k-way merge with de-duplication, used by the writer to
 * combine an existing partition file, spilled runs and the in-memory rows of an import.
 *
 * Order: `makeRowComparator` (ts_receive_us, seq, identity); ties go to the source listed first.
 * Every event is one row. De-duplication: a row whose (ts_receive_us, identity) was already
 * emitted is dropped. Only the identities of the current ts_receive_us are remembered, so memory
 * stays bounded. File sources are opened lazily, when the merge reaches their first
 * ts_receive_us, so merging many sorted spill runs that follow one another holds one or two row
 * groups in memory, not one per run.
 *
 * Not the replay merges: this one writes rows (one table, one partition), compares whole rows and
 * drops duplicates, which replay must never do. Replay merges the tables of one symbol in
 * `readEvents` (reader.ts) and the event streams of several symbols in `mergeSources` (batch.ts).
 */
import { StoreError } from '../core/errors.ts';
import { MAX_GROUP_LIST_VALUES, TableFileReader } from './parquet-io.ts';
import { TableBuilder, identityKey, makeRowComparator, type RowBlock, type TableName } from './schema.ts';

export interface RowSource {
  /** Current block, or undefined when exhausted. */
  block: RowBlock | undefined;
  pos: number;
  /** Whether the current row begins a new event of this source. */
  eventStart(): boolean;
  advance(): Promise<void>;
  /** Lower bound of the source's ts_receive_us before it is opened (lazy sources). */
  firstTs?: number;
  /** Loads the first block of a lazy source. */
  open?(): Promise<void>;
}

/** Rows held in memory, sorted on construction. `eventNo[i]` numbers the event of row i. */
export class MemorySource implements RowSource {
  block: RowBlock | undefined;
  pos = 0;
  private readonly eventNo: Float64Array;

  constructor(unsorted: RowBlock, eventNo: ArrayLike<number>) {
    const cmp = makeRowComparator(unsorted.table);
    const order = Array.from({ length: unsorted.length }, (_, i) => i);
    // Ties keep insertion order, which is the recording order. Input in recording order is
    // usually sorted already; skip the sort then.
    let sorted = true;
    for (let i = 1; i < unsorted.length && sorted; i++) sorted = cmp(unsorted, i - 1, unsorted, i) <= 0;
    if (!sorted) order.sort((a, b) => cmp(unsorted, a, unsorted, b) || a - b);
    const b = new TableBuilder(unsorted.table, Math.max(1, unsorted.length));
    this.eventNo = new Float64Array(unsorted.length);
    order.forEach((src, i) => {
      b.pushFrom(unsorted, src);
      this.eventNo[i] = eventNo[src];
    });
    this.block = unsorted.length > 0 ? b.block() : undefined;
  }

  eventStart(): boolean {
    return this.pos === 0 || this.eventNo[this.pos] !== this.eventNo[this.pos - 1];
  }

  async advance(): Promise<void> {
    if (this.block && ++this.pos >= this.block.length) this.block = undefined;
  }
}

/** A sorted table file, read one row group at a time; `lazy` ones load nothing until `open`. */
export class FileSource implements RowSource {
  block: RowBlock | undefined;
  pos = 0;
  firstTs?: number;
  private group = 0;
  private reader: TableFileReader | undefined;

  private constructor(
    private readonly path: string,
    private readonly table: TableName,
  ) {}

  static async open(path: string, table: TableName): Promise<FileSource> {
    const s = new FileSource(path, table);
    await s.open();
    return s;
  }

  /** A source that opens its file only when the merge reaches `firstTs` (its minimum ts_receive_us). */
  static lazy(path: string, table: TableName, firstTs: number): FileSource {
    const s = new FileSource(path, table);
    s.firstTs = firstTs;
    return s;
  }

  async open(): Promise<void> {
    this.firstTs = undefined;
    this.reader = new TableFileReader(this.path, this.table);
    await this.load();
  }

  eventStart(): boolean {
    return true;
  }

  async advance(): Promise<void> {
    if (!this.block) return;
    if (++this.pos >= this.block.length) await this.load();
  }

  close(): void {
    this.reader?.close();
  }

  private async load(): Promise<void> {
    const r = this.reader!;
    this.block = undefined;
    this.pos = 0;
    while (this.group < r.rowGroupCount) {
      const b = await r.readRowGroup(this.group++);
      if (b.length > 0) {
        this.block = b;
        return;
      }
    }
    r.close();
  }
}

export interface MergeResult {
  rows: number;
  duplicateRows: number;
  minTsReceiveUs: number;
  maxTsReceiveUs: number;
}

/**
 * Merges sorted sources into blocks of at most `blockRows` rows, handed to `sink` in order.
 * Throws StoreError if a source turns out not to be sorted (a corrupt partition file).
 */
export async function mergeRows(table: TableName, sources: RowSource[], blockRows: number, sink: (block: RowBlock) => void): Promise<MergeResult> {
  const cmp = makeRowComparator(table);
  const out = new TableBuilder(table, Math.min(blockRows, 4096));
  const dropping = sources.map(() => false);
  let windowTs = NaN;
  let window = new Set<string>();
  const res: MergeResult = { rows: 0, duplicateRows: 0, minTsReceiveUs: Infinity, maxTsReceiveUs: -Infinity };
  let lastBlock: RowBlock | undefined;
  let lastPos = -1;
  let nextLazyTs = Math.min(Infinity, ...sources.map((src) => src.firstTs ?? Infinity));
  for (;;) {
    let best = -1;
    for (let s = 0; s < sources.length; s++) {
      const src = sources[s];
      if (!src.block) continue;
      if (best < 0 || cmp(src.block, src.pos, sources[best].block!, sources[best].pos) < 0) best = s;
    }
    // Open a lazy source whose first row could come before (or tie with) the best row so far.
    const bestTs = best < 0 ? Infinity : (sources[best].block!.columns.ts_receive_us as Float64Array)[sources[best].pos];
    if (nextLazyTs !== Infinity && nextLazyTs <= bestTs) {
      const lazy = sources.findIndex((src) => src.firstTs !== undefined && src.firstTs <= bestTs);
      await sources[lazy].open!();
      nextLazyTs = Math.min(Infinity, ...sources.map((src) => src.firstTs ?? Infinity));
      continue;
    }
    if (best < 0) break;
    const src = sources[best];
    const block = src.block!;
    const i = src.pos;
    if (lastBlock && cmp(lastBlock, lastPos, block, i) > 0 && src.eventStart()) {
      throw new StoreError(`rows out of order in a ${table} source (row ${i} of its current block)`, { row: i });
    }
    const ts = (block.columns.ts_receive_us as Float64Array)[i];
    if (src.eventStart()) {
      if (ts !== windowTs) {
        windowTs = ts;
        window = new Set();
      }
      const key = identityKey(table, block, i);
      dropping[best] = window.has(key);
      window.add(key);
    }
    if (dropping[best]) res.duplicateRows++;
    else {
      out.pushFrom(block, i);
      res.rows++;
      if (ts < res.minTsReceiveUs) res.minTsReceiveUs = ts;
      if (ts > res.maxTsReceiveUs) res.maxTsReceiveUs = ts;
      if (out.length >= blockRows || out.listValues >= MAX_GROUP_LIST_VALUES) {
        sink(out.block());
        out.reset();
      }
    }
    lastBlock = block;
    lastPos = i;
    await src.advance();
  }
  if (out.length > 0) sink(out.block());
  return res;
}
