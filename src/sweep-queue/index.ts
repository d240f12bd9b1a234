/**
 * sweep-queue: the distributed backend of `maker sweep` (`--queue redis://…`) and `maker worker`,
 * on BullMQ over Redis (docs/decisions/0012-sweep-queue.md). A network shell like record/: it owns
 * Redis connections, their timeouts and the worker's signals; the sweep itself (plan, journal,
 * ranking, outputs) stays in sweep/, which sees this backend as one more `RunPool`.
 */
export { parseRedisUrl, openRedis, closeRedis, QueueError, DEFAULT_LIMITS, type ConnectionLimits, type RedisTarget } from './connection.ts';
export { JOB_FORMAT, QUEUE_NAME, JobIds, jobIdOf, metaFingerprint, parseJob, type SweepJob } from './job.ts';
export { QueuePool, type QueuePoolOptions, type QueueStatus } from './queue-pool.ts';
export { SweepWorker, type WorkerOptions, type WorkerSummary } from './worker.ts';
