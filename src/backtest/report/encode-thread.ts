/**
 * The report's encode thread: the run recorder's fills.parquet / orders.parquet row groups encoded
 * in a worker thread (encode-worker.ts), so that the run's own thread spends no time making their
 * decimal strings or in the Parquet writer (dictionaries, pages, snappy) while the backtest goes on.
 *
 * What it changes and what it does not: only where a chunk is encoded. The run's thread fills a
 * table's chunk of rows (tables.ts) as before and, when it is full, posts a copy of its arrays
 * (typed arrays transferred, strings cloned) and reuses its own. The worker runs the same
 * `encodeChunk` and the same `ParquetTableStream` on the same chunks, cut by the recorder's fixed
 * chunk size, so the files are the same bytes either way (tests/backtest/report/encode-thread.test.ts).
 *
 * Choice (`MAKER_ENCODE_THREAD`): `auto` (default) uses the thread for a run of at least
 * `AUTO_ENCODE_MIN_EVENTS` market events, from the process's main thread (a sweep runs one backtest
 * per core in worker threads: a thread each would oversubscribe them), on a machine with more than
 * one core; `worker` always; `main` never. A table takes the thread only at its first full chunk
 * (16,384 rows by default), so a run with fewer rows never starts a worker. The worker runs the
 * cached bundle of its module (as the decode thread does; tsx when there is none) and lowers its
 * own priority on Linux like the decode worker, so that the run's thread wins a shared core.
 * Measured: docs/PERFORMANCE.md (2026-12-05, fourth session).
 *
 * Bounds and failure: at most `MAX_GROUPS_IN_FLIGHT` chunks wait in the worker; past that the run's
 * thread waits for it (Atomics.wait on a shared counter the worker raises after each chunk and
 * footer; `finish` waits for the footer the same way, so nothing waits on a timer), and a
 * worker that makes no progress for the stall limit (or whose module never starts, for the start
 * limit; or that ended) fails the run with an `InvariantError` naming the way out
 * (`MAKER_ENCODE_THREAD=main`). An error in the worker (a write that failed, the worker
 * gone) rejects the table's `settled()` with the error, so the run reports it when it finishes; a
 * worker that died fails the next chunk at once. The worker never keeps the process alive (unref'd,
 * except while a footer is awaited), and `terminate` ends it.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, Worker } from 'node:worker_threads';
import { ConfigError, InvariantError } from '../../core/errors.ts';
import { bundledWorkerModule, workerSource } from '../../core/ts-worker.ts';
import type { Instrument } from '../../model/instrument.ts';
import type { EncodeReply, EncodeRequest } from './encode-worker.ts';
import { copyChunk, type RawChunk, type TableKind, type TableSink } from './tables.ts';

export type EncodeThreadMode = 'auto' | 'worker' | 'main';

/** The environment variable that chooses where the report's tables are encoded. */
export const ENCODE_THREAD_ENV = 'MAKER_ENCODE_THREAD';

const MODES: readonly EncodeThreadMode[] = ['auto', 'worker', 'main'];

/** Chunks handed to the worker and not yet encoded, beyond which the run's thread waits. */
export const MAX_GROUPS_IN_FLIGHT = 4;
/** A worker that encodes nothing for this long (with chunks waiting, or a footer asked for) fails the run. */
export const STALL_LIMIT_MS = 120_000;
/** A worker whose module has not started running after this long (while the run waits for it) fails the run. */
export const START_LIMIT_MS = 20_000;
const WAIT_SLICE_MS = 1_000;

/** How much the encode worker raises its own nice value on Linux (as the decode worker does, store/decode-thread.ts). */
export const ENCODE_WORKER_NICE = 10;

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

/** The worker's module as a cached bundle (null: through tsx), looked up before the run starts (it is async). */
export function encodeWorkerBundle(): Promise<string | null> {
  return bundledWorkerModule('src/backtest/report/encode-worker.ts', 'encode-worker');
}

export interface EncodeThreadOptions {
  /** The worker module's bundle (`encodeWorkerBundle`); null or unset: encode-worker.ts through tsx. */
  bundle?: string | null;
  /** Fail after this long without an encoded chunk while the run waits (default STALL_LIMIT_MS). */
  stallLimitMs?: number;
  /** Fail after this long waiting for a worker whose module has not started (default START_LIMIT_MS). */
  startLimitMs?: number;
  /** The worker's module (file URL, through tsx); tests give one that never answers. Default encode-worker.ts. */
  entry?: string;
}

interface Waiter {
  resolve: (bytes: Uint8Array | null) => void;
  reject: (e: Error) => void;
}

/** One worker serving the tables of one run recorder; started at the first table that needs it. */
export class EncodeThread {
  private readonly stallLimitMs: number;
  private readonly startLimitMs: number;
  private readonly bundle: string | null;
  private readonly entry: string;
  private worker: Worker | null = null;
  /** [0]: chunks encoded; [1]: the worker's state (0 starting, 1 running, 2 ended; encode-worker.ts). */
  private readonly progress = new Int32Array(new SharedArrayBuffer(8));
  private posted = 0;
  private nextId = 0;
  private readonly waiting = new Map<number, Waiter>();
  /** Set once the worker is gone: why (every later call fails with it). */
  private stopped: string | null = null;

  /** `symbols`: the run's instruments, in the recorder's order (a chunk's symbol column indexes them). */
  constructor(
    private readonly symbols: readonly Instrument[],
    o: EncodeThreadOptions = {},
  ) {
    this.stallLimitMs = o.stallLimitMs ?? STALL_LIMIT_MS;
    this.startLimitMs = o.startLimitMs ?? START_LIMIT_MS;
    this.bundle = o.entry === undefined ? (o.bundle ?? null) : null;
    this.entry = o.entry ?? new URL('./encode-worker.ts', import.meta.url).href;
  }

  /** A table whose chunks are encoded in the worker (`path` null: bytes kept in memory). */
  table(kind: TableKind, kv: Record<string, string>, path: string | null): TableSink {
    const id = this.nextId++;
    this.post({ op: 'open', id, kind, kv, path, specs: this.symbols.map((s) => s.spec) });
    return new ThreadedTableSink(this, id, path === null);
  }

  /** Whether the worker was started (tests read it to see which path ran). */
  get started(): boolean {
    return this.worker !== null;
  }

  append(id: number, chunk: RawChunk, n: number): void {
    this.waitFor(MAX_GROUPS_IN_FLIGHT - 1, 'no row group was encoded');
    const copy = copyChunk(chunk, n);
    const transfer: ArrayBuffer[] = [];
    for (const a of Object.values(copy)) if (!Array.isArray(a)) transfer.push(a.buffer as ArrayBuffer);
    this.post({ op: 'group', id, chunk: copy, n }, transfer);
    this.posted++;
  }

  /**
   * Asks for a table's footer and waits until the worker has written it (or failed): at most the
   * stall limit without progress. Resolves with the file's bytes (memory) or null (file); rejects
   * with its error, or when the worker ends, never starts or stalls.
   */
  finishTable(id: number): Promise<Uint8Array | null> {
    if (this.stopped !== null) return Promise.reject(this.failure(this.stopped));
    const reply = new Promise<Uint8Array | null>((resolve, reject) => {
      if (this.waiting.size === 0) this.worker!.ref(); // a footer awaited keeps the process alive
      this.waiting.set(id, { resolve, reject });
    });
    reply.catch(() => undefined); // rejected by `stop` too; observed by the caller's await
    try {
      this.post({ op: 'finish', id });
      this.posted++;
      this.waitFor(0, 'no footer was written');
    } catch (e) {
      this.waiting.delete(id);
      if (this.waiting.size === 0) this.worker?.unref();
      return Promise.reject(e as Error);
    }
    return reply;
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

  private post(m: EncodeRequest, transfer: ArrayBuffer[] = []): void {
    if (this.stopped !== null) throw this.failure(this.stopped);
    if (this.worker === null) this.start();
    this.worker!.postMessage(m, transfer);
  }

  private start(): void {
    const src = workerSource(this.bundle, this.entry);
    const w = new Worker(src.code, { eval: src.eval, workerData: { progress: this.progress.buffer, nice: ENCODE_WORKER_NICE } });
    w.unref();
    w.on('message', (m: EncodeReply) => this.onReply(m));
    w.on('error', (e: Error) => this.stop(`the encode thread failed: ${e.message}`));
    w.on('exit', (code: number) => this.stop(`the encode thread exited with code ${code}`));
    this.worker = w;
  }

  /**
   * Blocks while more than `limit` messages counted by the worker (chunks, footers) wait in it: at
   * most the stall limit without progress once the worker runs, the start limit before, and
   * not at all once it has ended. (The worker's 'error' and 'exit' events cannot reach a thread
   * blocked here: the worker says it in `progress[1]`.) `stalled`: what the stall's error says.
   */
  private waitFor(limit: number, stalled: string): void {
    let seen = Atomics.load(this.progress, 0);
    // Waits of WAIT_SLICE_MS each, counted (no clock read): a slice that times out with the counter
    // unchanged is a slice without progress.
    let idle = 0;
    const slice = Math.min(WAIT_SLICE_MS, this.stallLimitMs, this.startLimitMs);
    while (this.posted - seen > limit) {
      const r = Atomics.wait(this.progress, 0, seen, slice);
      const now = Atomics.load(this.progress, 0);
      const state = Atomics.load(this.progress, 1);
      if (now !== seen) {
        seen = now;
        idle = 0;
      } else if (state === 2) {
        this.stop('the encode thread ended');
        throw this.failure(this.stopped!);
      } else if (r === 'timed-out') {
        idle++;
        // Not started yet: only the start limit applies (a slow start is not a stall).
        if (state === 0) {
          if (idle * slice >= this.startLimitMs) throw this.failure(`the encode thread did not start in ${this.startLimitMs / 1000} s`);
        } else if (idle * slice >= this.stallLimitMs) throw this.failure(`${stalled} for ${this.stallLimitMs / 1000} s`);
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

  appendChunk(chunk: RawChunk, n: number): void {
    if (n <= 0) return;
    this.thread.append(this.id, chunk, n);
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
