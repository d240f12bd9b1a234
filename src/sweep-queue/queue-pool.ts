/**
 * The distributed backend of `maker sweep --queue`: a `RunPool` whose `run(task)` enqueues the run
 * as a BullMQ job (id: job.ts) and resolves with the row a `maker worker` returned. The sweep
 * itself (plan, journal, resume, ranking, outputs) is the local one (`runSweep`), so the sweep
 * directory is the same bytes as with the local pool: only who runs `runTask` differs.
 *
 * - Idempotent: a job id already in the queue is not added again. A finished job's result is
 *   taken as it is (nothing runs twice); a job that failed before is retried (as a rerun of a local
 *   sweep retries its failed runs).
 * - Retries: `attempts` per job with exponential backoff from `backoffMs`; a job still failing
 *   after them comes back as a failed row (`error: [E_QUEUE] …` with the last reason), kept out
 *   of the journal, so the sweep reports it and a rerun tries it again.
 * - Rows are re-labelled with this sweep's run key, phase, parameter order and seed (another sweep
 *   may have enqueued the same run with its grid keys in another order).
 * - Connections: a probe client (checked with a PING under a deadline at open) watches the server;
 *   if it gives up reconnecting, every pending run fails and `fatal` says why. `close()` closes the
 *   queue, the event reader and the probe, each bounded in time.
 */
import type { ConnectionOptions, Job, Queue, QueueEvents } from 'bullmq';
import { MakerError } from '../core/errors.ts';
import type { RunPool, RunRow, RunTask } from '../sweep/index.ts';
import { closeRedis, type Bullmq, type RedisClient, describeRedisError, loadBullmq, openRedis, QueueError, redisOptions, type ConnectionLimits, type RedisTarget } from './connection.ts';
import { JOB_NAME, JobIds, QUEUE_NAME } from './job.ts';

export interface QueuePoolOptions {
  limits: ConnectionLimits;
  /** Tries per job (1 = no retry). */
  attempts: number;
  /** First retry delay, ms (then doubled each time). */
  backoffMs: number;
  /** How long finished jobs (and their results) stay in Redis for idempotency, seconds. */
  keepFinishedS: number;
}

export interface QueueStatus {
  waiting: number;
  active: number;
  delayed: number;
  workers: number;
}

function failedRow(t: RunTask, error: string): RunRow {
  return { key: t.key, phase: t.phase, params: t.params, seed: t.seed, metrics: null, pnlExact: null, warnings: [], hash: null, dataFingerprint: null, runId: null, error };
}

function isRow(v: unknown): v is RunRow {
  const r = v as RunRow | null;
  return r !== null && typeof r === 'object' && typeof r.key === 'string' && Array.isArray(r.params) && 'metrics' in r && 'error' in r;
}

export class QueuePool implements RunPool {
  /** Not a thread count: the queue's workers are wherever `maker worker` runs. */
  readonly size = 0;
  /** Its workers are other processes (maybe other machines): each publishes its own run directories. */
  readonly inProcess = false;
  /** Set when the connection to Redis is lost for good; every pending run then fails with it. */
  fatal: QueueError | null = null;
  /** Jobs found already finished in the queue (their results taken, nothing ran). */
  reused = 0;
  private readonly ids = new JobIds();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly pending = new Set<(e: QueueError) => void>();
  private closing = false;

  private constructor(
    readonly target: RedisTarget,
    private readonly opts: QueuePoolOptions,
    private readonly probe: RedisClient,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly bull: Bullmq,
  ) {
    probe.on('end', () => {
      if (this.closing) return;
      this.fatal = new QueueError(`lost the connection to Redis at ${target.display} (gave up after ${opts.limits.reconnectAttempts} reconnect attempts)`);
      for (const f of this.pending) f(this.fatal);
    });
  }

  /** Connects (or fails at once with `E_QUEUE` naming the URL) and returns the pool. */
  static async open(target: RedisTarget, opts: QueuePoolOptions): Promise<QueuePool> {
    const bull = await loadBullmq();
    const probe = await openRedis(target, opts.limits, 'maker-sweep-probe');
    const { Queue, QueueEvents } = bull;
    let queue: Queue | null = null;
    let events: QueueEvents | null = null;
    try {
      queue = new Queue(QUEUE_NAME, { connection: redisOptions(target, opts.limits, 'maker-sweep', false) as ConnectionOptions });
      events = new QueueEvents(QUEUE_NAME, { connection: redisOptions(target, opts.limits, 'maker-sweep-events', true) as ConnectionOptions });
      // BullMQ's waitUntilFinished adds one 'closing' listener per job waited for: thousands in a big sweep.
      queue.setMaxListeners(0);
      events.setMaxListeners(0);
      queue.on('error', () => undefined); // reconnects are bounded by the probe's watch; errors surface through commands
      events.on('error', () => undefined);
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    } catch (e) {
      await Promise.allSettled([queue?.close(), events?.close()]);
      await closeRedis(probe);
      throw new QueueError(`cannot open the sweep queue at ${target.display}: ${describeRedisError(e)}`, e);
    }
    return new QueuePool(target, opts, probe, queue, events, bull);
  }

  run(task: RunTask): Promise<RunRow> {
    if (this.fatal !== null) return Promise.resolve(failedRow(task, `[E_QUEUE] ${this.fatal.message}`));
    // Jobs are added one after another, in plan order, so workers take them roughly in that order.
    const added = this.chain.then(() => this.enqueue(task));
    this.chain = added.catch(() => undefined);
    return added.then((job) => (job instanceof this.bull.Job ? this.await(task, job) : job));
  }

  private async enqueue(task: RunTask): Promise<Job | RunRow> {
    let id: string;
    let data;
    try {
      ({ id, job: data } = await this.ids.jobFor(task));
    } catch (e) {
      // What the local backend's run would have failed with (missing store, no data in range).
      if (e instanceof MakerError) return failedRow(task, `[${e.code}] ${e.describe()}`);
      throw e;
    }
    const o = this.opts;
    const job = await this.queue.add(JOB_NAME, data, {
      jobId: id,
      attempts: o.attempts,
      backoff: { type: 'exponential', delay: o.backoffMs },
      removeOnComplete: { age: o.keepFinishedS },
      removeOnFail: { age: o.keepFinishedS },
    });
    const state = await this.queue.getJobState(id);
    if (state === 'completed') this.reused++;
    if (state === 'failed') {
      const old = await this.bull.Job.fromId(this.queue, id);
      await old?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    }
    return job;
  }

  private await(task: RunTask, job: Job): Promise<RunRow> {
    return new Promise<RunRow>((resolve) => {
      const onFatal = (e: QueueError): void => {
        this.pending.delete(onFatal);
        resolve(failedRow(task, `[E_QUEUE] job ${job.id}: ${e.message}`));
      };
      this.pending.add(onFatal);
      this.finished(job.id!).then(
        (value: unknown) => {
          this.pending.delete(onFatal);
          if (!isRow(value)) {
            resolve(failedRow(task, `[E_QUEUE] job ${job.id} returned no sweep row (another program on queue "${QUEUE_NAME}"?)`));
            return;
          }
          // This sweep's labels; the worker's metrics, hash, fingerprint, run id and error.
          resolve({ ...value, key: task.key, phase: task.phase, params: task.params, seed: task.seed });
        },
        (e: unknown) => {
          this.pending.delete(onFatal);
          const why = e instanceof Error ? e.message : String(e);
          resolve(failedRow(task, `[E_QUEUE] job ${job.id} failed after its ${this.opts.attempts} attempt(s): ${why}`));
        },
      );
    });
  }

  /**
   * Resolves with a finished job's return value, rejects with its failure reason: what BullMQ's
   * `job.waitUntilFinished` does (the job's completed / failed events, and one look at the job once
   * the event reader listens, in case it finished before), except that this look failing is
   * handled. BullMQ's runs in an async Promise executor: when the queue closes during it (the sweep
   * stopped by SIGINT) or Redis is lost, its rejection is unhandled and kills the process. Here
   * `close()` or the probe's watch ends the wait instead.
   */
  private finished(id: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const events = this.events as unknown as { on(e: string, f: (a: never) => void): void; off(e: string, f: (a: never) => void): void };
      const completed = `completed:${id}`;
      const failed = `failed:${id}`;
      const off = (): void => {
        events.off(completed, onCompleted);
        events.off(failed, onFailed);
      };
      const onCompleted = (a: { returnvalue: unknown }): void => {
        off();
        resolve(a.returnvalue);
      };
      const onFailed = (a: { failedReason: string }): void => {
        off();
        reject(new Error(a.failedReason));
      };
      events.on(completed, onCompleted);
      events.on(failed, onFailed);
      this.events
        .waitUntilReady()
        .then(() => this.queue.getJobState(id))
        .then(async (state) => {
          if (state !== 'completed' && state !== 'failed') return;
          const j = await this.bull.Job.fromId(this.queue, id);
          if (state === 'completed') onCompleted({ returnvalue: j?.returnvalue });
          else onFailed({ failedReason: j?.failedReason ?? 'failed' });
        })
        .catch(() => undefined);
    });
  }

  /** What the queue holds now (for the progress line when nothing finishes for a while). */
  async status(): Promise<QueueStatus> {
    const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, workers: await this.queue.getWorkersCount() };
  }

  private closed: Promise<void> | null = null;

  /** Idempotent: a second call waits for the first. */
  close(): Promise<void> {
    this.closed ??= this.shutDown();
    return this.closed;
  }

  private async shutDown(): Promise<void> {
    this.closing = true;
    // Runs still waited for end as failed rows (the jobs stay queued: a rerun waits for them again).
    const stopped = new QueueError('the sweep stopped waiting before the run finished (it stays queued; rerun to collect it)');
    for (const f of [...this.pending]) f(stopped);
    await Promise.allSettled([this.queue.close(), this.events.close()]);
    await closeRedis(this.probe);
  }
}
