/**
 * Worker-thread entry of the report's encode thread (encode-thread.ts `EncodeThread`): the
 * `ParquetTableStream`s of the run recorder's fills and orders tables, fed one row group at a time.
 *
 * Messages (in order; one worker serves several tables, each by its id):
 *   `{ op: 'open', id, columns, kv, path }`   a table (path null: bytes in memory);
 *   `{ op: 'group', id, data, n }`            one row group (after it is encoded, or failed,
 *                                             the shared counter `progress[0]` goes up by one);
 *   `{ op: 'finish', id }`                    the footer; answered `{ id, bytes }` (memory: the
 *                                             whole file, transferred; file: null) or
 *                                             `{ id, error }` with the first error of that table;
 *   `{ op: 'abort', id }`                     closes a file without a footer; not answered;
 *   `{ op: 'close' }`                         aborts every table still open, then ends the thread.
 * An error in a table (a write that failed: disk full, the directory gone) is kept and answered at
 * its `finish`; later row groups of that table are skipped, the other tables go on.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ParquetTableStream, type OutColumn, type OutColumnData } from './parquet-out.ts';

export type EncodeRequest =
  | { op: 'open'; id: number; columns: readonly OutColumn[]; kv: Record<string, string>; path: string | null }
  | { op: 'group'; id: number; data: Record<string, OutColumnData>; n: number }
  | { op: 'finish'; id: number }
  | { op: 'abort'; id: number }
  | { op: 'close' };
export type EncodeReply = { id: number; bytes: Uint8Array | null } | { id: number; error: string };

interface Table {
  stream: ParquetTableStream | null;
  error: string | null;
}

const progress = new Int32Array((workerData as { progress: SharedArrayBuffer }).progress);
const tables = new Map<number, Table>();

function fail(t: Table, what: string, e: unknown): void {
  t.error ??= `${what}: ${e instanceof Error ? e.message : String(e)}`;
  t.stream?.abort();
}

parentPort!.on('message', (m: EncodeRequest) => {
  if (m.op === 'close') {
    for (const t of tables.values()) t.stream?.abort();
    tables.clear();
    parentPort!.close();
    return;
  }
  if (m.op === 'open') {
    const t: Table = { stream: null, error: null };
    tables.set(m.id, t);
    try {
      t.stream = new ParquetTableStream(m.columns, m.kv, m.path);
    } catch (e) {
      fail(t, 'cannot open the table', e);
    }
    return;
  }
  const t = tables.get(m.id);
  if (t === undefined) return;
  if (m.op === 'group') {
    try {
      if (t.error === null) t.stream!.appendRowGroup(m.data, m.n);
    } catch (e) {
      fail(t, 'cannot encode a row group', e);
    }
    Atomics.add(progress, 0, 1);
    Atomics.notify(progress, 0);
    return;
  }
  tables.delete(m.id);
  if (m.op === 'abort') {
    t.stream?.abort();
    return;
  }
  if (t.error !== null) {
    parentPort!.postMessage({ id: m.id, error: t.error } satisfies EncodeReply);
    return;
  }
  try {
    t.stream!.finish();
    const bytes = t.stream!.inMemory ? t.stream!.bytes() : null;
    parentPort!.postMessage({ id: m.id, bytes } satisfies EncodeReply, bytes === null ? [] : [bytes.buffer as ArrayBuffer]);
  } catch (e) {
    fail(t, 'cannot finish the table', e);
    parentPort!.postMessage({ id: m.id, error: t.error! } satisfies EncodeReply);
  }
});
