/**
 * The store's decode thread: row groups of table files decoded in a worker thread
 * (decode-worker.ts), so that a replay (`readEvents`) spends its own thread on the backtest while
 * the next row groups are decoded on another core.
 *
 * What it changes and what it does not: only where a row group is decoded. The worker runs the same
 * `TableFileReader.readRowGroup` as the replay's thread would, and the merge of rows into replay
 * order (reader.ts) stays in the replay's thread and takes every row group whole, in file order,
 * whenever it arrives: the events, their order and every run hash are the same whatever the thread
 * timing. `readEvents` asks for the next row group of each file as soon as it starts on the current
 * one (one row group ahead per open file), which bounds the extra memory to one decoded row group
 * per open file.
 *
 * Choice (`ReadOptions.decodeThread`, else the environment variable `MAKER_DECODE_THREAD`):
 *   - `auto` (default): the worker when the files to read hold at least `AUTO_WORKER_MIN_ROWS` rows
 *     and the machine has a core to spare (more than one, and more than the decode threads already
 *     running plus one), from the process's main thread only (a sweep already runs one backtest per
 *     core in worker threads: a decode thread each would oversubscribe them).
 *     Measured on a quiet 2-core machine (2026-12-04, load 0.7 to 1.8, 24 h tile, four alternating
 *     pairs, docs/PERFORMANCE.md): the worker 38.1 to 47.2 s wall (median ~41), the replay's thread
 *     46.0 to 48.0 s; about the same CPU (51 to 63 s against 52 to 54), ~70 MB more;
 *   - `main`: decode in the replay's thread (no worker). The better choice on a saturated machine:
 *     at load 9 to 21 on the 2 cores the worker cost 3 to 20 CPU s more per day of data
 *     (2026-12-03); an earlier quiet measurement (2026-12-03 08:28) found no wall time gained, when
 *     the run's thread was slower and decoding a smaller share of it;
 *   - `worker`: always the worker;
 *   - what the worker costs: it runs a cached bundle of its module (`DecodeThread.start`, tsx as
 *     the fallback): its first answer comes after ~0.16 s and ~0.2 CPU s (through tsx ~0.29 s and
 *     ~0.43 CPU s; once, ~1.7 CPU s with tsx's compile cache cold), and the replay decodes each
 *     file's first row group itself meanwhile (reader.ts); decoding costs ~1 CPU s per million rows,
 *     so below ~2 million rows the worker gains little.
 *
 * Failure: an error decoding a row group in the worker is raised in the replay's thread as a
 * `StoreError` naming the file and row (as the in-thread decoder raises it); a worker that dies or
 * cannot start fails every read in flight with a `StoreError` naming the file and the way out
 * (`MAKER_DECODE_THREAD=main`). The worker is terminated on every exit path of the replay
 * (`terminate`, called from `readEvents`'s `finally`), and it never keeps the process alive while no
 * read is in flight (unref'd when idle).
 */
import { availableParallelism } from 'node:os';
import { isMainThread, Worker } from 'node:worker_threads';
import { StoreError } from '../core/errors.ts';
import { bundledWorkerModule, workerSource } from '../core/ts-worker.ts';
import type { DecodeReply, DecodeRequest } from './decode-worker.ts';
import type { RowBlock, TableName } from './schema.ts';

export type DecodeThreadMode = 'auto' | 'worker' | 'main';

/** The environment variable that chooses the decode thread when the caller does not. */
export const DECODE_THREAD_ENV = 'MAKER_DECODE_THREAD';

/**
 * How much the decode worker raises its own nice value on Linux (its thread only, from the process's,
 * at most 19). The replay's thread bounds the run and the worker idles most of it, but when both want
 * a core (with V8's GC threads, on 2 cores) the scheduler shares it evenly; 10 nice steps lower, the
 * replay's thread wins it. Measured on the 24 h bench tile, six alternating pairs (2026-12-05):
 * the replay's thread waited 1.8 to 2.1 s for a core over the run (wall time less its CPU time)
 * instead of 2.4 to 2.8 s.
 */
export const DECODE_WORKER_NICE = 10;

/** `auto` uses the worker from this many rows to read (all selected files of the replay). */
export const AUTO_WORKER_MIN_ROWS = 2_000_000;

const MODES: readonly DecodeThreadMode[] = ['auto', 'worker', 'main'];

/** The mode from `MAKER_DECODE_THREAD` (unset or empty: `auto`, see the header); any other value is an error naming the variable. */
export function decodeThreadFromEnv(env: Record<string, string | undefined> = process.env): DecodeThreadMode {
  const v = env[DECODE_THREAD_ENV];
  if (v === undefined || v === '') return 'auto';
  if ((MODES as readonly string[]).includes(v)) return v as DecodeThreadMode;
  throw new StoreError(`${DECODE_THREAD_ENV}=${v} is not one of ${MODES.join(', ')}`);
}

/**
 * Whether a replay of `rows` rows decodes in the worker under `mode`: `auto` needs a second core
 * (`cores`, default `os.availableParallelism()`; on one core the worker only adds its start-up),
 * the main thread (`mainThread`; in a sweep's worker threads the other cores are already busy) and
 * a core to spare besides the decode threads already running in this process (`running`: a run of
 * several symbols replays each in its own `readEvents`; on 2 cores only the first gets a worker).
 */
export function useDecodeWorker(mode: DecodeThreadMode, rows: number, cores: number = availableParallelism(), mainThread: boolean = isMainThread, running: number = DecodeThread.running): boolean {
  return mode === 'worker' || (mode === 'auto' && rows >= AUTO_WORKER_MIN_ROWS && cores > 1 && mainThread && running < cores - 1);
}

interface Pending {
  path: string;
  group: number;
  resolve: (b: RowBlock) => void;
  reject: (e: Error) => void;
}

/** One decode worker serving the row-group reads of one replay. */
export class DecodeThread {
  /** Decode threads of this process not yet stopped (`useDecodeWorker`'s `running`). */
  static running = 0;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Set once the worker is gone: why (every later read fails with it). */
  private stopped: string | null = null;
  /** Row groups decoded in the worker (tests read it to see which path ran). */
  decoded = 0;
  /** The worker runs the bundle of its module (not tsx). */
  readonly bundled: boolean;

  /** A decode thread running the cached bundle of decode-worker.ts (`bundledWorkerModule`), else through tsx. */
  static async start(): Promise<DecodeThread> {
    return new DecodeThread(await bundledWorkerModule('src/store/decode-worker.ts', 'decode-worker'));
  }

  /**
   * `bundle`: the worker module as a bundle (`DecodeThread.start` finds it), or null to run
   * decode-worker.ts through tsx.
   */
  constructor(bundle: string | null = null) {
    DecodeThread.running++;
    const src = workerSource(bundle, new URL('./decode-worker.ts', import.meta.url).href);
    this.worker = new Worker(src.code, { eval: src.eval, workerData: { nice: DECODE_WORKER_NICE } });
    this.bundled = bundle !== null;
    this.worker.unref();
    this.worker.on('message', (m: DecodeReply) => this.onReply(m));
    this.worker.on('error', (e: Error) => this.stop(`the decode thread failed: ${e.message}`));
    this.worker.on('exit', (code: number) => this.stop(`the decode thread exited with code ${code}`));
  }

  /** False once the worker is stopped (terminated, exited or failed). */
  get running(): boolean {
    return this.stopped === null;
  }

  /** Decodes row group `group` of a table file in the worker. */
  read(path: string, table: TableName, group: number): Promise<RowBlock> {
    if (this.stopped !== null) return Promise.reject(this.failure(this.stopped, path, group));
    const id = this.nextId++;
    return new Promise<RowBlock>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref(); // a read in flight keeps the process alive
      this.pending.set(id, { path, group, resolve, reject });
      this.worker.postMessage({ op: 'read', id, path, table, group } satisfies DecodeRequest);
    });
  }

  /** Closes the worker's reader of a file the replay is done with. */
  close(path: string): void {
    if (this.stopped === null) this.worker.postMessage({ op: 'close', path } satisfies DecodeRequest);
  }

  /** Stops the worker; reads still in flight fail. Safe to call more than once. */
  async terminate(): Promise<void> {
    if (this.stopped === null) this.stop('the replay ended');
    await this.worker.terminate();
  }

  private onReply(m: DecodeReply): void {
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
    if ('block' in m) {
      this.decoded++;
      p.resolve(m.block);
    } else p.reject(new StoreError(m.error.message, { file: m.error.file ?? p.path, row: m.error.row, field: m.error.field }));
  }

  private stop(why: string): void {
    if (this.stopped !== null) return;
    this.stopped = why;
    DecodeThread.running--;
    for (const p of this.pending.values()) p.reject(this.failure(why, p.path, p.group));
    this.pending.clear();
    this.worker.unref();
  }

  private failure(why: string, path: string, group: number): StoreError {
    return new StoreError(`cannot decode row group ${group} in the decode thread: ${why} (${DECODE_THREAD_ENV}=main decodes in the replay's thread)`, { file: path });
  }
}
