/**
 * Worker-thread entry of the store's decode thread (decode-thread.ts `DecodeThread`): decodes row
 * groups of table files on request, so the replay's own thread spends no time in Parquet pages and
 * snappy while it runs the backtest.
 *
 * Requests `{ op: 'read', id, path, table, group }` are answered `{ id, block }` (the row group as
 * `TableFileReader.readRowGroup` decodes it; its typed arrays are transferred, not copied) or
 * `{ id, error: { message, file, row, field } }` (a `StoreError`'s words and location, or another
 * error's message). `{ op: 'close', path }` closes a file. One reader per open file, kept between
 * requests. Requests are answered in the order they arrive (the decode is synchronous; the general
 * reader's `await` is the only suspension, and replies carry their id anyway).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MakerError } from '../core/errors.ts';
import { lowerThreadPriority } from '../core/ts-worker.ts';
import { TableFileReader } from './parquet-io.ts';
import { isListColumn, type RowBlock, type TableName } from './schema.ts';

export type DecodeRequest = { op: 'read'; id: number; path: string; table: TableName; group: number } | { op: 'close'; path: string };
export type DecodeReply = { id: number; block: RowBlock } | { id: number; error: { message: string; file?: string; row?: number; field?: string } };

// The replay's thread bounds the run (decode-thread.ts `DECODE_WORKER_NICE`).
lowerThreadPriority((workerData as { nice?: number } | null)?.nice);

const readers = new Map<string, TableFileReader>();

/** The buffers of a block's typed arrays, each once (a derived column shares its source's array). */
function transferList(block: RowBlock): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const c of Object.values(block.columns)) {
    if (Array.isArray(c)) continue;
    if (isListColumn(c)) {
      out.add(c.values.buffer as ArrayBuffer);
      out.add(c.offsets.buffer as ArrayBuffer);
    } else out.add(c.buffer as ArrayBuffer);
  }
  return [...out];
}

async function read(m: Extract<DecodeRequest, { op: 'read' }>): Promise<DecodeReply> {
  try {
    let r = readers.get(m.path);
    if (r === undefined) readers.set(m.path, (r = new TableFileReader(m.path, m.table)));
    return { id: m.id, block: await r.readRowGroup(m.group) };
  } catch (e) {
    if (e instanceof MakerError) return { id: m.id, error: { message: e.message, file: e.location.file ?? m.path, row: e.location.row, field: e.location.field } };
    return { id: m.id, error: { message: e instanceof Error ? e.message : String(e), file: m.path } };
  }
}

parentPort!.on('message', (m: DecodeRequest) => {
  if (m.op === 'close') {
    readers.get(m.path)?.close();
    readers.delete(m.path);
    return;
  }
  void read(m).then((reply) => {
    try {
      if ('block' in reply) parentPort!.postMessage(reply, transferList(reply.block));
      else parentPort!.postMessage(reply);
    } catch (e) {
      parentPort!.postMessage({ id: m.id, error: { message: `cannot send row group ${m.group} to the replay thread: ${(e as Error).message}`, file: m.path } } satisfies DecodeReply);
    }
  });
});
