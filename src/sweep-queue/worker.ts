/**
 * `maker worker --queue URL`: takes sweep runs off the queue and runs each with `runTask` on a
 * pool of `concurrency` worker threads (piscina, as the local backend), so the process's main
 * thread stays free to renew BullMQ's job locks and to answer signals while backtests run.
 *
 * Data: a worker reads the store from a path on its own machine: the scenario's `data.store`, or
 * `storeRoot` (`--store-root`) where the shared store is mounted there. Before a run it checks that
 * the store exists and that the partitions the run reads give the data fingerprint the enqueuer
 * computed; if not, the job fails with a message naming the path and the host (BullMQ retries it,
 * perhaps on another worker), never returning a result of other data.
 *
 * Stopping: `finish()` stops taking jobs and lets the running ones end; `release()` hands the
 * running ones back to the queue at once (moved to waiting, no attempt used) and stops. A worker
 * that dies without either (SIGKILL, a lost machine) leaves its jobs locked until `lockDurationMs`
 * passes; another worker's stalled-job check (every `stalledIntervalMs`) then puts them back in the
 * queue. A job that stalls more than `maxStalledCount` times fails.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ConnectionOptions, Job, Worker as BullWorker } from 'bullmq';
import { MakerError } from '../core/errors.ts';
import { PiscinaPool, taskScenario, type RunRow } from '../sweep/index.ts';
import { closeRedis, type Bullmq, type RedisClient, loadBullmq, openRedis, QueueError, redisOptions, type ConnectionLimits, type RedisTarget } from './connection.ts';
import { metaFingerprint, parseJob, QUEUE_NAME } from './job.ts';

export interface WorkerOptions {
  concurrency: number;
  storeRoot: string | null;
  /** How long a job's lock lasts without renewal (renewed every half of it while the job runs), ms. */
  lockDurationMs: number;
  /** How often this worker looks for jobs whose worker died, ms. */
  stalledIntervalMs: number;
  maxStalledCount: number;
  limits: ConnectionLimits;
  /** One line per event (job taken, finished, failed, released), for stderr. */
  log: (line: string) => void;
}

export interface WorkerSummary {
  completed: number;
  failed: number;
  released: number;
  /** Set when the worker stopped because the connection to Redis was lost for good. */
  fatal: QueueError | null;
}

function paramsText(p: readonly (readonly [string, string])[]): string {
  return p.map(([k, v]) => `${k}=${v}`).join(' ');
}

const RELEASED = Symbol('released');

export class SweepWorker {
  private readonly summary: WorkerSummary = { completed: 0, failed: 0, released: 0, fatal: null };
  private releaseAll: (() => void) | null = null;
  private readonly releasedSignal: Promise<typeof RELEASED>;
  private stopping: Promise<WorkerSummary> | null = null;
  private readonly host = hostname();
  /** Resolves when the worker has stopped (by `finish`, `release` or a lost connection). */
  readonly done: Promise<WorkerSummary>;
  private resolveDone!: (s: WorkerSummary) => void;
  private bull!: BullWorker;
  private waitingError!: Bullmq['WaitingError'];

  private constructor(
    readonly target: RedisTarget,
    private readonly opts: WorkerOptions,
    private readonly probe: RedisClient,
    private readonly pool: PiscinaPool,
  ) {
    this.releasedSignal = new Promise((resolve) => {
      this.releaseAll = () => resolve(RELEASED);
    });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    probe.on('end', () => {
      if (this.stopping !== null) return;
      this.summary.fatal = new QueueError(`lost the connection to Redis at ${target.display} (gave up after ${opts.limits.reconnectAttempts} reconnect attempts)`);
      opts.log(`worker: ${this.summary.fatal.message}; releasing running jobs and stopping`);
      void this.release();
    });
  }

  /** Connects (or fails at once with `E_QUEUE` naming the URL) and starts taking jobs. */
  static async start(target: RedisTarget, opts: WorkerOptions): Promise<SweepWorker> {
    const { Worker: BullWorker, WaitingError } = await loadBullmq();
    const probe = await openRedis(target, opts.limits, 'maker-worker-probe');
    const w = new SweepWorker(target, opts, probe, await PiscinaPool.open(opts.concurrency));
    w.waitingError = WaitingError;
    w.bull = new BullWorker(QUEUE_NAME, (job, token) => w.process(job, token), {
      connection: redisOptions(target, opts.limits, 'maker-worker', true) as ConnectionOptions,
      concurrency: opts.concurrency,
      lockDuration: opts.lockDurationMs,
      stalledInterval: opts.stalledIntervalMs,
      maxStalledCount: opts.maxStalledCount,
      autorun: false,
    });
    // While Redis is away every reconnect attempt errors: say each different error once.
    let lastError = '';
    w.bull.on('error', (e) => {
      if (e.message !== lastError) opts.log(`worker: queue error: ${e.message}${/ECONNREFUSED|ETIMEDOUT|ECONNRESET/.test(e.message) ? ' (reconnecting)' : ''}`);
      lastError = e.message;
    });
    w.bull.on('failed', (job, e) => {
      if (job === undefined || e instanceof WaitingError || e.name === 'WaitingError') return;
      w.summary.failed++;
      const left = (job.opts.attempts ?? 1) - job.attemptsMade;
      opts.log(`worker: ${job.id} failed (attempt ${job.attemptsMade}${left > 0 ? `, ${left} left` : ', no retry left'}): ${e.message}`);
    });
    void w.bull.run().catch((e: unknown) => opts.log(`worker: stopped on an error: ${e instanceof Error ? e.message : String(e)}`));
    await w.bull.waitUntilReady();
    opts.log(`worker: on ${target.display}, queue "${QUEUE_NAME}", ${opts.concurrency} thread(s), store ${opts.storeRoot ?? "the scenarios' data.store paths"} (pid ${process.pid} on ${w.host})`);
    return w;
  }

  /** Checks the store this machine sees for the run, then runs it on the pool. */
  private async process(job: Job, token: string | undefined): Promise<RunRow> {
    const j = parseJob(job.data, job.id ?? '?');
    const t = j.task;
    const s = taskScenario(t); // checked by the enqueuer: an error here would be a version mismatch, and fails the job
    if (s.data.source === 'store') {
      const root = this.opts.storeRoot ?? s.data.store!;
      const where = `worker pid ${process.pid} on ${this.host}`;
      if (!existsSync(root)) {
        throw new Error(
          `${where}: the store ${root} does not exist here. Workers read the store from a shared path: mount it at ${s.data.store} or start the worker with --store-root <where it is mounted>`,
        );
      }
      let fp: string;
      try {
        fp = await metaFingerprint(root === s.data.store ? s : taskScenario({ ...t, phaseSet: [...t.phaseSet, `data.store=${root}`] }));
      } catch (e) {
        if (!(e instanceof MakerError)) throw e;
        throw new Error(`${where}: cannot read the run's data in the store ${root}: [${e.code}] ${e.describe()}`);
      }
      if (fp !== j.dataFingerprint) {
        throw new Error(`${where}: the store ${root} holds other data than the sweep's (data fingerprint ${fp.slice(0, 19)}…, the sweep computed ${j.dataFingerprint.slice(0, 19)}…); every worker must read the same store`);
      }
    }
    this.opts.log(`worker: took ${job.id} (${paramsText(t.params)} seed ${t.seed}, attempt ${job.attemptsMade + 1})`);
    const run = this.pool.run({ ...t, storeRoot: this.opts.storeRoot });
    run.catch(() => undefined); // abandoned when released
    const r = await Promise.race([run, this.releasedSignal]);
    if (r === RELEASED) {
      // Back to the queue for any worker, without using an attempt.
      await job.moveToWait(token);
      this.summary.released++;
      this.opts.log(`worker: released ${job.id} back to the queue`);
      throw new this.waitingError();
    }
    this.summary.completed++;
    this.opts.log(`worker: finished ${job.id}${r.error !== null ? ` (the run failed: ${r.error})` : ` hash ${r.hash}`}`);
    return r;
  }

  /** Stops taking jobs and waits for the running ones to end. */
  finish(): Promise<WorkerSummary> {
    if (this.stopping === null) this.stopping = this.stop(false);
    return this.stopping;
  }

  /** Hands the running jobs back to the queue and stops. Also after `finish()` (a second signal). */
  release(): Promise<WorkerSummary> {
    this.releaseAll?.();
    if (this.stopping === null) this.stopping = this.stop(true);
    return this.stopping;
  }

  private async stop(force: boolean): Promise<WorkerSummary> {
    if (force) this.releaseAll?.();
    try {
      await this.bull.close();
    } finally {
      await this.pool.close();
      await closeRedis(this.probe);
      this.resolveDone(this.summary);
    }
    return this.summary;
  }
}
