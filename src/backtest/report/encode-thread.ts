/**
 * The report's encode thread: the run recorder's fills.parquet / orders.parquet row groups encoded
 * in a worker thread (encode-worker.ts), so that the run's own thread spends no time in the
 * Parquet writer (its statistics, dictionaries, snappy: ~10 µs per order row, measured on the 1 h
 * bench tile at ~10 % of the run) while the backtest goes on.
 *
 * What it changes and what it does not: only where a row group is encoded. The worker runs the
 * same `ParquetTableStream` on the same row groups (the recorder's chunks, cut by its fixed chunk
 * size), so the files are the same bytes either way; the run's thread still builds each chunk's
 * columns (tables.ts `encode`) and hands them over by copy (structured clone), then reuses its
 * buffers.
 *
 * Choice (`MAKER_ENCODE_THREAD`): `auto` (default) uses the thread for a run of at least
 * `AUTO_ENCODE_MIN_EVENTS` market events, from the process's main thread (a sweep runs one backtest
 * per core in worker threads: a thread each would oversubscribe them), on a machine with more than
 * one core; `worker` always; `main` never. A table takes the thread only at its first full chunk
 * (16,384 rows by default), so a run with fewer rows never starts a worker. Measured on the bench
 * tiles (2 cores, README "Benchmarks"): 24 h (23.5 M events, ~1 M order rows) 69.4 s → 64.2 s wall,
 * peak RSS 372 → 457 MB; 1 h (0.97 M events, ~45 k rows: three row groups) no gain (the worker's
 * start, ~0.4 CPU s, and its cold code cost what it saves), hence the size threshold.
 *
 * Bounds and failure: at most `MAX_GROUPS_IN_FLIGHT` row groups wait in the worker; past that the
 * run's thread waits for it (Atomics.wait on a shared counter the worker raises after each row
 * group), and a worker that makes no progress for `STALL_LIMIT_MS` fails the run with an
 * `InvariantError` naming the way out (`MAKER_ENCODE_THREAD=main`). An error in the worker (a write
 * that failed, the worker gone) rejects the table's `settled()` with the error, so the run reports
 * it when it finishes; a worker that died fails the next row group at once. The worker never keeps
 * the process alive (unref'd, except while a footer is awaited), and `terminate` ends it.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, Worker } from 'node:worker_threads';
import { ConfigError, InvariantError } from '../../core/errors.ts';
import { tsWorkerBootCode } from '../../core/ts-worker.ts';
import type { EncodeReply, EncodeRequest } from './encode-worker.ts';
import type { OutColumn, OutColumnData, TableSink } from './parquet-out.ts';

export type EncodeThreadMode = 'auto' | 'worker' | 'main';

/** The environment variable that chooses where the report's tables are encoded. */
export const ENCODE_THREAD_ENV = 'MAKER_ENCODE_THREAD';

const MODES: readonly EncodeThreadMode[] = ['auto', 'worker', 'main'];

/** Row groups handed to the worker and not yet encoded, beyond which the run's thread waits. */
export const MAX_GROUPS_IN_FLIGHT = 4;
/** A worker that encodes nothing for this long (with row groups waiting) fails the run. */
export const STALL_LIMIT_MS = 120_000;

/** The mode from `MAKER_ENCODE_THREAD` (unset or empty: `auto`); any other value is an error naming the variable. */
export function encodeThreadFromEnv(env: Record<string, string | undefined> = process.env): EncodeThreadMode {
  const v = env[ENCODE_THREAD_ENV];
  if (v === undefined || v === '') return 'auto';
  if ((MODES as readonly string[]).includes(v)) return v as EncodeThreadMode;
  throw new ConfigError(`${ENCODE_THREAD_ENV}=${v} is not one of ${MODES.join(', ')}`, { field: ENCODE_THREAD_ENV });
}

/** `auto` uses the thread for runs of at least this many market events (see the header). */
export const AUTO_ENCODE_MIN_EVENTS = 4_000_000;

/** Whether the report's tables are encoded in a worker under `mode` for a run of `events` market events (see the header). */
export function useEncodeThread(mode: EncodeThreadMode, events: number, cores: number = availableParallelism(), mainThread: boolean = isMainThread): boolean {
  return mode === 'worker' || (mode === 'auto' && events >= AUTO_ENCODE_MIN_EVENTS && cores > 1 && mainThread);
}

interface Waiter {
  resolve: (bytes: Uint8Array | null) => void;
  reject: (e: Error) => void;
}

/** One worker serving the tables of one run recorder; started at the first table. */
export class EncodeThread {
  private worker: Worker | null = null;
  private readonly progress = new Int32Array(new SharedArrayBuffer(4));
  private posted = 0;
  private nextId = 0;
  private readonly waiting = new Map<number, Waiter>();
  /** Set once the worker is gone: why (every later call fails with it). */
  private stopped: string | null = null;

  /** A table whose row groups are encoded in the worker (`path` null: bytes kept in memory). */
  table(columns: readonly OutColumn[], kv: Record<string, string>, path: string | null): TableSink {
    const id = this.nextId++;
    this.post({ op: 'open', id, columns, kv, path });
    return new ThreadedTableSink(this, id, path === null);
  }

  /** Whether the worker was started (tests read it to see which path ran). */
  get started(): boolean {
    return this.worker !== null;
  }

  append(id: number, data: Record<string, OutColumnData>, n: number): void {
    this.waitForRoom();
    this.post({ op: 'group', id, data, n });
    this.posted++;
  }

  finishTable(id: number): Promise<Uint8Array | null> {
    if (this.stopped !== null) return Promise.reject(this.failure(this.stopped));
    return new Promise<Uint8Array | null>((resolve, reject) => {
      if (this.waiting.size === 0) this.worker!.ref(); // a footer awaited keeps the process alive
      this.waiting.set(id, { resolve, reject });
      this.post({ op: 'finish', id });
    });
  }

  /** After an error: the worker closes every table still open (no footer) and ends. */
  close(): void {
    if (this.stopped === null && this.worker !== null) this.worker.postMessage({ op: 'close' } satisfies EncodeRequest);
    this.stop('the recorder was aborted');
  }

  /** Ends the worker; footers still awaited fail. Safe to call more than once. */
  async terminate(): Promise<void> {
    const w = this.worker;
    if (this.stopped === null) this.stop('the recorder was closed');
    if (w !== null) await w.terminate();
  }

  private post(m: EncodeRequest): void {
    if (this.stopped !== null) throw this.failure(this.stopped);
    if (this.worker === null) this.start();
    this.worker!.postMessage(m);
  }

  private start(): void {
    const w = new Worker(tsWorkerBootCode(new URL('./encode-worker.ts', import.meta.url).href), { eval: true, workerData: { progress: this.progress.buffer } });
    w.unref();
    w.on('message', (m: EncodeReply) => this.onReply(m));
    w.on('error', (e: Error) => this.stop(`the encode thread failed: ${e.message}`));
    w.on('exit', (code: number) => this.stop(`the encode thread exited with code ${code}`));
    this.worker = w;
  }

  /** Blocks while MAX_GROUPS_IN_FLIGHT row groups wait in the worker, at most STALL_LIMIT_MS without progress. */
  private waitForRoom(): void {
    let seen = Atomics.load(this.progress, 0);
    let since = performance.now();
    while (this.posted - seen >= MAX_GROUPS_IN_FLIGHT) {
      Atomics.wait(this.progress, 0, seen, 1_000);
      const now = Atomics.load(this.progress, 0);
      if (now !== seen) {
        seen = now;
        since = performance.now();
      } else if (performance.now() - since > STALL_LIMIT_MS) {
        throw this.failure(`no row group was encoded for ${STALL_LIMIT_MS / 1000} s`);
      }
    }
  }

  private onReply(m: EncodeReply): void {
    const w = this.waiting.get(m.id);
    if (w === undefined) return;
    this.waiting.delete(m.id);
    if (this.waiting.size === 0) this.worker?.unref();
    if ('error' in m) w.reject(this.failure(m.error));
    else w.resolve(m.bytes === null ? null : new Uint8Array(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
  }

  private stop(why: string): void {
    if (this.stopped !== null) return;
    this.stopped = why;
    for (const w of this.waiting.values()) w.reject(this.failure(why));
    this.waiting.clear();
    this.worker?.unref();
  }

  private failure(why: string): InvariantError {
    return new InvariantError(`the report's encode thread: ${why} (${ENCODE_THREAD_ENV}=main encodes in the run's thread)`);
  }
}

/** A table of the encode thread, as the chunked tables use it. */
class ThreadedTableSink implements TableSink {
  rows = 0;
  private done: Promise<void> | null = null;
  private result: Uint8Array | null | undefined;

  constructor(
    private readonly thread: EncodeThread,
    private readonly id: number,
    private readonly inMemory: boolean,
  ) {}

  appendRowGroup(data: Record<string, OutColumnData>, n: number): void {
    if (n <= 0) return;
    this.thread.append(this.id, data, n);
    this.rows += n;
  }

  finish(): void {
    if (this.done !== null) return;
    this.done = this.thread.finishTable(this.id).then((bytes) => {
      this.result = bytes;
    });
    // Awaited through `settled()`; a run that fails before then must not also see an unhandled rejection.
    this.done.catch(() => undefined);
  }

  settled(): Promise<void> {
    return this.done ?? Promise.reject(new InvariantError('the table is not finished'));
  }

  bytes(): Uint8Array {
    if (!this.inMemory) throw new InvariantError('bytes() is only available for in-memory tables');
    if (this.result === undefined || this.result === null) throw new InvariantError("the table's bytes are not there yet: await settled() after finish()");
    return this.result;
  }

  /** Closed by `EncodeThread.close` (the recorder's abort closes every table at once). */
  abort(): void {}
}
