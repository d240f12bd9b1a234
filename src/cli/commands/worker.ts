/**
 * `maker worker --queue redis://host:port[/db] [--concurrency N] [--store-root DIR]
 *   [--lock-duration MS] [--stalled-interval MS] [--max-stalled N] [--quiet]`
 *
 * Processes the runs `maker sweep --queue` enqueued, until SIGINT or SIGTERM (src/sweep-queue).
 * First signal: take no new job, let the running ones finish, close the connections, exit 0.
 * Second signal: hand the running jobs back to the queue (no attempt used) and exit 0 at once.
 * A bad URL or an unreachable Redis is exit 2 with one line naming the URL (never its password);
 * a connection lost for good while running is exit 1 after releasing the running jobs.
 * One line per job on stderr (taken, finished, failed, released).
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { DEFAULT_LIMITS, QUEUE_NAME, SweepWorker, parseRedisUrl } from '../../sweep-queue/index.ts';
import { setExitStatus } from './backtest.ts';

interface WorkerCliOptions {
  queue: string;
  concurrency?: string;
  storeRoot?: string;
  lockDuration: string;
  stalledInterval: string;
  maxStalled: string;
  quiet: boolean;
}

function intOption(text: string, option: string, min: number, max: number): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConfigError(`must be an integer from ${min} to ${max}, got "${text}"`, { field: option });
  return n;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .summary('run sweep jobs from a Redis queue (the distributed backend of `maker sweep --queue`)')
    .description(
      'Takes the runs that `maker sweep --queue <url>` enqueued (BullMQ queue "' + QUEUE_NAME + '") and runs each as a full backtest ' +
        'in one of --concurrency worker threads; start one on each machine that should help. The sweep gathers the results.\n\n' +
        'Data: workers read the store from a shared path (NFS, a mounted volume, a copy at the same path): the scenario\'s ' +
        'data.store as the sweep saw it (a relative path resolves from this process\'s working directory), or --store-root ' +
        'where the store is mounted on this machine. Before each run the worker checks that the store exists and holds the ' +
        'same data as the sweep\'s (data fingerprint); if not, the job fails with a message naming the path and this host, ' +
        'and is retried (perhaps by another worker) up to the sweep\'s --attempts. Other files a scenario names (data.spec, ' +
        'a recorded latency file) must resolve here too. With `maker sweep --reports` the sweep directory must be on the ' +
        'shared path as well (workers write the run reports there).\n\n' +
        'Stopping: SIGINT/SIGTERM once: finish the running runs, take no new ones, exit 0. Twice: hand the running runs back ' +
        'to the queue at once (no attempt used) and exit 0. A worker that dies (SIGKILL, a lost machine) keeps its runs ' +
        'locked for --lock-duration; another worker\'s stalled-job check (every --stalled-interval) then puts them back in ' +
        'the queue; a run that stalls more than --max-stalled times fails.\n\n' +
        'Exit status: 0 stopped by a signal, 1 lost the connection to Redis for good, 2 bad option or Redis unreachable at start.',
    )
    .requiredOption('--queue <url>', 'the Redis of the sweep queue: redis://[user:password@]host:port[/db] (rediss:// for TLS)')
    .option('-c, --concurrency <n>', 'runs at a time, each in its own thread (default: the number of cores); each needs the memory of one backtest')
    .option('--store-root <dir>', "where the shared store is on this machine (replaces the scenarios' data.store; results and run ids do not change)")
    .option('--lock-duration <ms>', 'how long a run stays locked to this worker without renewal (renewed every half of it)', '30000')
    .option('--stalled-interval <ms>', 'how often this worker looks for runs of dead workers', '30000')
    .option('--max-stalled <n>', 'how many times a run may be recovered from a dead worker before it fails', '1')
    .option('-q, --quiet', 'no per-job lines on stderr', false)
    .addHelpText('after', '\nExamples:\n  maker worker --queue redis://10.0.0.5:6379/0 --concurrency 4 --store-root /mnt/maker-store\n  maker worker --queue redis://127.0.0.1:6379 -c 1')
    .action(async (opts: WorkerCliOptions, cmd: Command) => {
      const target = parseRedisUrl(opts.queue, '--queue');
      const concurrency = opts.concurrency === undefined ? Math.max(1, availableParallelism()) : intOption(opts.concurrency, '--concurrency', 1, 256);
      const lockDurationMs = intOption(opts.lockDuration, '--lock-duration', 500, 3_600_000);
      const stalledIntervalMs = intOption(opts.stalledInterval, '--stalled-interval', 100, 3_600_000);
      const maxStalledCount = intOption(opts.maxStalled, '--max-stalled', 0, 1000);
      const log = (l: string): void => {
        if (!opts.quiet) process.stderr.write(`${l}\n`);
      };
      const worker = await SweepWorker.start(target, { concurrency, storeRoot: opts.storeRoot ?? null, lockDurationMs, stalledIntervalMs, maxStalledCount, limits: DEFAULT_LIMITS, log });
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals): void => {
        signals++;
        if (signals === 1) {
          process.stderr.write(`worker: ${sig}: finishing the running runs, taking no new ones (send it again to hand them back to the queue now)\n`);
          void worker.finish();
        } else {
          process.stderr.write(`worker: ${sig} again: handing the running runs back to the queue\n`);
          void worker.release();
        }
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let summary;
      try {
        summary = await worker.done;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      log(`worker: stopped: ${summary.completed} run(s) finished, ${summary.failed} attempt(s) failed, ${summary.released} released`);
      if (summary.fatal !== null) {
        process.stderr.write(`maker: error [${summary.fatal.code}]: ${summary.fatal.message}\n`);
        setExitStatus(cmd, 1);
      }
    });
}
