// The store's decode thread (src/store/decode-thread.ts): row groups decoded in a worker give the
// same replay, batch for batch, as decoding in the replay's thread; errors in the worker name the
// file; the worker stops on every exit path of the replay; the mode comes from MAKER_DECODE_THREAD
// (`auto` by default: the worker for large reads; `main` and `worker` choose).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.ts';
import { AUTO_WORKER_MIN_ROWS, DECODE_WORKER_NICE, DecodeThread, StoreWriter, decodeThreadFromEnv, eventsFromBatch, readEvents, useDecodeWorker, type DecodeThreadMode, type ReplayBatch } from '../../src/store/index.ts';
import { TableFileReader } from '../../src/store/parquet-io.ts';
import { INSTRUMENT, T0, chain, removeTempRoots, tablePath, tempRoot } from './helpers.ts';

afterAll(removeTempRoots);

const VENUE = 'binance-usdm';

/** A store whose tables span many row groups (8 rows each), so reads ahead and file switches happen. */
async function smallGroupStore(): Promise<string> {
  const root = tempRoot();
  const w = new StoreWriter({ root, venue: VENUE, rowGroupRows: 8 });
  w.addInstrument(INSTRUMENT);
  await w.write(chain(200, T0 + 1000, 100, 250_000));
  await w.commit({ importer: 'test', inputs: [{ path: 'a.jsonl' }] });
  return root;
}

async function replay(root: string, mode: DecodeThreadMode, from?: number, seen: { thread: DecodeThread | null } = { thread: null }): Promise<{ events: unknown[]; batches: number[]; thread: DecodeThread | null }> {
  const events: unknown[] = [];
  const batches: number[] = [];
  for await (const b of readEvents(root, { venue: VENUE, symbol: 'BTCUSDT', batchRows: 13, decodeThread: mode, from, onDecodeThread: (t) => (seen.thread = t) })) {
    batches.push(b.length);
    events.push(...eventsFromBatch(b as ReplayBatch));
  }
  return { events, batches, thread: seen.thread };
}

describe('decode thread', () => {
  it('the worker gives the same events, in the same batches, as decoding in the replay thread', async () => {
    const root = await smallGroupStore();
    const main = await replay(root, 'main');
    const worker = await replay(root, 'worker');
    expect(main.thread).toBeNull();
    expect(worker.thread).not.toBeNull();
    // Every row group but each file's first (decoded in the replay's thread while the worker starts)
    // went through the worker.
    let groups = 0;
    let files = 0;
    for (const table of ['depth', 'trades'] as const) {
      const r = new TableFileReader(tablePath(root, VENUE, 'BTCUSDT', '2024-08-08', table), table);
      groups += r.rowGroupCount;
      files++;
      r.close();
    }
    expect(groups).toBeGreaterThan(20);
    expect(worker.thread!.decoded).toBe(groups - files);
    expect(worker.thread!.running).toBe(false); // stopped when the replay ended
    expect(main.events.length).toBe(300);
    expect(worker.events).toEqual(main.events);
    expect(worker.batches).toEqual(main.batches);
    // The worker runs a cached bundle of its module; with MAKER_BUNDLE=0, through tsx: the same replay.
    expect(worker.thread!.bundled).toBe(true);
    const saved = process.env.MAKER_BUNDLE;
    process.env.MAKER_BUNDLE = '0';
    try {
      const tsx = await replay(root, 'worker');
      expect(tsx.thread!.bundled).toBe(false);
      expect(tsx.events).toEqual(main.events);
      expect(tsx.batches).toEqual(main.batches);
    } finally {
      if (saved === undefined) delete process.env.MAKER_BUNDLE;
      else process.env.MAKER_BUNDLE = saved;
    }
    // From the middle: row groups before `from` are skipped by their statistics, in both modes.
    const from = T0 + 1000 + 120 * 250_000;
    const a = await replay(root, 'main', from);
    const b = await replay(root, 'worker', from);
    expect(b.events).toEqual(a.events);
    expect(a.events.length).toBeLessThan(main.events.length);
  }, 30_000);

  it('stops the worker when the consumer stops early', async () => {
    const root = await smallGroupStore();
    let thread: DecodeThread | null = null;
    let n = 0;
    for await (const b of readEvents(root, { venue: VENUE, symbol: 'BTCUSDT', batchRows: 5, decodeThread: 'worker', onDecodeThread: (t) => (thread = t) })) {
      n += b.length;
      if (n > 20) break;
    }
    expect(thread).not.toBeNull();
    expect(thread!.running).toBe(false);
  }, 30_000);

  it('a corrupt row group decoded in the worker is a StoreError naming the file, and the worker stops', async () => {
    const root = await smallGroupStore();
    const file = tablePath(root, VENUE, 'BTCUSDT', '2024-08-08', 'trades');
    // Row group 1: the first of each file is decoded in the replay's thread, the next ones in the worker.
    const reader = new TableFileReader(file, 'trades');
    const at = Number(reader.metadata.row_groups[1].columns[0].meta_data!.data_page_offset);
    reader.close();
    const bytes = Buffer.from(readFileSync(file));
    for (let i = at; i < at + 56; i++) bytes[i] = 0xff; // that column chunk's page header
    writeFileSync(file, bytes);
    for (const mode of ['main', 'worker'] as const) {
      const seen: { thread: DecodeThread | null } = { thread: null };
      const err = await replay(root, mode, undefined, seen).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).describe()).toContain(file);
      expect((err as StoreError).describe()).toMatch(/row group 1/);
      if (mode === 'worker') expect(seen.thread?.running).toBe(false);
      else expect(seen.thread).toBeNull();
    }
  }, 30_000);

  it.runIf(process.platform === 'linux')('the worker lowers its own thread priority (Linux), not the process\'s', async () => {
    const root = await smallGroupStore();
    const file = tablePath(root, VENUE, 'BTCUSDT', '2024-08-08', 'depth');
    // The nice value of each thread of this process (proc(5): field 19 of /proc/self/task/<tid>/stat).
    const nices = (): Map<string, number> =>
      new Map(readdirSync('/proc/self/task').map((tid) => [tid, Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16])]));
    const before = nices();
    const base = before.get(String(process.pid))!;
    const t = new DecodeThread();
    try {
      await t.read(file, 'depth', 0); // answered: the worker has run its start-up
      const added = [...nices()].filter(([tid]) => !before.has(tid));
      expect(added.map(([, n]) => n)).toContain(Math.min(19, base + DECODE_WORKER_NICE));
      expect(nices().get(String(process.pid))).toBe(base); // the process's main thread keeps its priority
    } finally {
      await t.terminate();
    }
  }, 30_000);

  it('a worker that dies fails the reads in flight with a StoreError naming the file and the way out', async () => {
    const root = await smallGroupStore();
    const file = tablePath(root, VENUE, 'BTCUSDT', '2024-08-08', 'depth');
    const before = DecodeThread.running;
    const t = new DecodeThread();
    expect(DecodeThread.running).toBe(before + 1); // counted for auto's choice while it runs
    const read = t.read(file, 'depth', 0).catch((e: unknown) => e);
    await t.terminate();
    expect(DecodeThread.running).toBe(before);
    const err = await read;
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).describe()).toContain(file);
    expect((err as StoreError).message).toContain('MAKER_DECODE_THREAD=main');
    await expect(t.read(file, 'depth', 1)).rejects.toThrow(/decode thread/);
  }, 30_000);

  it('the mode: MAKER_DECODE_THREAD (auto by default; a wrong value names the variable), auto by size, cores and the decode threads already running', () => {
    expect(decodeThreadFromEnv({})).toBe('auto');
    expect(decodeThreadFromEnv({ MAKER_DECODE_THREAD: '' })).toBe('auto');
    expect(decodeThreadFromEnv({ MAKER_DECODE_THREAD: 'auto' })).toBe('auto');
    expect(decodeThreadFromEnv({ MAKER_DECODE_THREAD: 'main' })).toBe('main');
    expect(decodeThreadFromEnv({ MAKER_DECODE_THREAD: 'worker' })).toBe('worker');
    expect(() => decodeThreadFromEnv({ MAKER_DECODE_THREAD: 'yes' })).toThrow(/MAKER_DECODE_THREAD=yes is not one of auto, worker, main/);
    expect(useDecodeWorker('auto', AUTO_WORKER_MIN_ROWS - 1, 2)).toBe(false);
    expect(useDecodeWorker('auto', AUTO_WORKER_MIN_ROWS, 2)).toBe(true);
    expect(useDecodeWorker('auto', AUTO_WORKER_MIN_ROWS, 1)).toBe(false); // one core: nothing to gain
    expect(useDecodeWorker('auto', AUTO_WORKER_MIN_ROWS, 2, false)).toBe(false); // a sweep's worker thread: cores taken
    expect(useDecodeWorker('auto', AUTO_WORKER_MIN_ROWS, 2, true, 1)).toBe(false); // the second core already decodes another symbol
    expect(useDecodeWorker('auto', AUTO_WORKER_MIN_ROWS, 4, true, 2)).toBe(true);
    expect(useDecodeWorker('auto', AUTO_WORKER_MIN_ROWS, 4, true, 3)).toBe(false);
    expect(useDecodeWorker('worker', 1, 2, true, 5)).toBe(true); // forced: always
    expect(useDecodeWorker('worker', 1, 2, false)).toBe(true);
    expect(useDecodeWorker('worker', 1)).toBe(true);
    expect(useDecodeWorker('main', 1e9)).toBe(false);
  });
});
