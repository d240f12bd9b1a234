/**
 * Worker-thread entry of the report's encode thread (encode-thread.ts `EncodeThread`): the
 * run recorder's fills and orders tables, fed one chunk of rows at a time into the same `StreamSink`
 * (tables.ts: `encodeChunk` into a `ParquetTableStream`) as the run's thread uses without it.
 *
 * Messages (in order; one worker serves several tables, each by its id):
 *   `{ op: 'open', id, kind, kv, path, specs }`  a table (path null: bytes in memory; specs: the
 *                                                run's instruments in the recorder's order);
 *   `{ op: 'group', id, chunk, n }`              one chunk (after it is encoded, or failed, the
 *                                                shared counter `progress[0]` goes up by one);
 *   `{ op: 'finish', id }`                       the footer (then `progress[0]` goes up by one,
 *                                                after the answer is posted); answered `{ id, bytes }` (memory: the
 *                                                whole file, transferred; file: null) or
 *                                                `{ id, error }` with the first error of that table;
 *   `{ op: 'close' }`                            aborts every table still open, then ends the thread.
 * The shared `progress[1]` says whether the thread runs (1) or has ended (2), for a run's thread that
 * waits for it (encode-thread.ts `waitFor`).
 * An error in a table (a write that failed: disk full, the directory gone) is kept and answered at
 * its `finish`; later chunks of that table are skipped, the other tables go on.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../../core/ts-worker.ts';
import { Instrument, type InstrumentSpec } from '../../model/instrument.ts';
import { StreamSink, type RawChunk, type TableKind } from './tables.ts';

export type EncodeRequest =
  | { op: 'open'; id: number; kind: TableKind; kv: Record<string, string>; path: string | null; specs: InstrumentSpec[] }
  | { op: 'group'; id: number; chunk: RawChunk; n: number }
  | { op: 'finish'; id: number }
  | { op: 'close' };
export type EncodeReply = { id: number; bytes: Uint8Array | null } | { id: number; error: string };

interface Table {
  sink: StreamSink | null;
  inMemory: boolean;
  error: string | null;
}

const data = workerData as { progress: SharedArrayBuffer; nice?: number };
// The run's thread bounds the run (encode-thread.ts `ENCODE_WORKER_NICE`).
lowerThreadPriority(data.nice);
const progress = new Int32Array(data.progress);
const tables = new Map<number, Table>();
// progress[1]: 1 once this module runs, 2 once the thread ends (however: the run's thread, blocked
// in Atomics.wait, sees neither the worker's 'error' nor its 'exit' event).
Atomics.store(progress, 1, 1);
Atomics.notify(progress, 0);
process.on('exit', () => {
  Atomics.store(progress, 1, 2);
  Atomics.notify(progress, 0);
});

function fail(t: Table, what: string, e: unknown): void {
  t.error ??= `${what}: ${e instanceof Error ? e.message : String(e)}`;
  t.sink?.abort();
}

parentPort!.on('message', (m: EncodeRequest) => {
  if (m.op === 'close') {
    for (const t of tables.values()) t.sink?.abort();
    tables.clear();
    parentPort!.close();
    return;
  }
  if (m.op === 'open') {
    const t: Table = { sink: null, inMemory: m.path === null, error: null };
    tables.set(m.id, t);
    try {
      t.sink = new StreamSink(m.kind, m.kv, m.path, m.specs.map((s) => new Instrument(s)));
    } catch (e) {
      fail(t, 'cannot open the table', e);
    }
    return;
  }
  const t = tables.get(m.id);
  if (t === undefined) return;
  if (m.op === 'group') {
    try {
      if (t.error === null) t.sink!.appendChunk(m.chunk, m.n);
    } catch (e) {
      fail(t, 'cannot encode a row group', e);
    }
    Atomics.add(progress, 0, 1);
    Atomics.notify(progress, 0);
    return;
  }
  tables.delete(m.id);
  try {
    if (t.error !== null) {
      parentPort!.postMessage({ id: m.id, error: t.error } satisfies EncodeReply);
      return;
    }
    try {
      t.sink!.finish();
      const bytes = t.inMemory ? t.sink!.bytes() : null;
      parentPort!.postMessage({ id: m.id, bytes } satisfies EncodeReply, bytes === null ? [] : [bytes.buffer as ArrayBuffer]);
    } catch (e) {
      fail(t, 'cannot finish the table', e);
      parentPort!.postMessage({ id: m.id, error: t.error! } satisfies EncodeReply);
    }
  } finally {
    // The footer counts as progress too: the run's thread waits for it (encode-thread.ts `finishTable`).
    Atomics.add(progress, 0, 1);
    Atomics.notify(progress, 0);
  }
});
