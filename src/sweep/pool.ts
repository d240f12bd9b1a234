/**
 * The local backend of `maker sweep`: a pool of worker threads, each running whole backtests in
 * its own thread (`runTask`, run-one.ts). Two implementations with one interface, measured against
 * each other in docs/decisions/0011-sweep-pool.md: `PiscinaPool` (piscina, what `maker sweep`
 * uses) and `ThreadPool` (plain `node:worker_threads`, one task per worker at a time, a crashed
 * worker replaced), kept as the baseline of that measurement (bench/sweep.ts). In both, a worker
 * that dies rejects the one task it was running and is replaced.
 *
 * Workers load the TypeScript sources through tsx, as bin/maker.js does. Results do not depend on
 * the pool: each run is a pure function of its task, and the sweep orders rows by plan, never by
 * completion.
 */
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { InvariantError } from '../core/errors.ts';
import { bundledWorkerModule, tsWorkerBootCode } from '../core/ts-worker.ts';
import type { RunRow, RunTask } from './run-one.ts';

export interface RunPool {
  readonly size: number;
  /**
   * The workers are threads of this process: a run's report directory is left staged for the
   * sweep to publish as it journals the run (RunTask.stageReport), and a stop removes the staged
   * directories of the runs it did not journal.
   */
  readonly inProcess: boolean;
  run(task: RunTask): Promise<RunRow>;
  /**
   * Stops every worker: queued and running tasks are rejected, a running one stopped where it is.
   * A second call waits for the first.
   */
  close(): Promise<void>;
}

interface Pending {
  id: number;
  task: RunTask;
  resolve: (r: RunRow) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

/** Plain worker_threads: `size` workers, a FIFO queue, one task per worker at a time. */
export class ThreadPool implements RunPool {
  readonly inProcess = true;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;
  private readonly boot = tsWorkerBootCode(new URL('./worker.ts', import.meta.url).href);

  constructor(readonly size: number) {
    if (!(size >= 1)) throw new InvariantError(`a pool needs at least one worker, got ${size}`);
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(this.boot, { eval: true }), busy: null };
    slot.worker.on('message', (m: { id: number; row?: RunRow; error?: string }) => {
      const p = slot.busy;
      if (p === null || p.id !== m.id) return;
      slot.busy = null;
      if (m.row !== undefined) p.resolve(m.row);
      else p.reject(new Error(`sweep worker: ${m.error ?? 'no result'}`));
      this.pump();
    });
    const lost = (why: string): void => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      const p = slot.busy;
      slot.busy = null;
      if (this.closed) return;
      this.slots[i] = this.spawn(); // replace it so the queue keeps moving
      p?.reject(new Error(`sweep worker died: ${why}`));
      this.pump();
    };
    slot.worker.on('error', (e) => lost(e.stack ?? e.message));
    slot.worker.on('exit', (code) => lost(`exit code ${code}`));
    return slot;
  }

  private pump(): void {
    for (const s of this.slots) {
      if (this.queue.length === 0) return;
      if (s.busy !== null) continue;
      const p = this.queue.shift()!;
      s.busy = p;
      s.worker.postMessage({ id: p.id, task: p.task });
    }
  }

  run(task: RunTask): Promise<RunRow> {
    if (this.closed) return Promise.reject(new InvariantError('the pool is closed'));
    return new Promise<RunRow>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject });
      this.pump();
    });
  }

  private closing: Promise<void> | null = null;

  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private async stop(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const p of this.queue.splice(0)) p.reject(new Error('the pool was closed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

/** The worker module through tsx (piscina-task.mjs). */
const TSX_TASK = new URL('./piscina-task.mjs', import.meta.url).href;

/**
 * The worker module as one cached bundle (piscina-entry.ts, `bundledWorkerModule`), or the tsx one
 * when the bundle cannot be had or MAKER_BUNDLE=0.
 */
async function workerModule(): Promise<string> {
  const bundle = await bundledWorkerModule('src/sweep/piscina-entry.ts', 'sweep-worker');
  return bundle === null ? TSX_TASK : pathToFileURL(bundle).href;
}

/** The sweep's pool: piscina with a fixed number of threads (the measured choice, docs/decisions/0011-sweep-pool.md). */
export class PiscinaPool implements RunPool {
  readonly inProcess = true;
  private readonly pool: Piscina;

  /** `filename`: the worker module (default: through tsx; `PiscinaPool.open` uses the bundle). */
  constructor(
    readonly size: number,
    readonly filename: string = TSX_TASK,
  ) {
    this.pool = new Piscina({ filename, minThreads: size, maxThreads: size, idleTimeout: 60_000 });
  }

  /** A pool whose workers run the bundled worker module (see `workerModule`). */
  static async open(size: number): Promise<PiscinaPool> {
    return new PiscinaPool(size, await workerModule());
  }

  run(task: RunTask): Promise<RunRow> {
    return this.pool.run(task) as Promise<RunRow>;
  }

  private closing: Promise<void> | null = null;

  close(): Promise<void> {
    this.closing ??= this.pool.destroy();
    return this.closing;
  }
}
