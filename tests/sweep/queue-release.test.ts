// `maker worker` stopped twice (SIGINT, then SIGTERM) while it runs a job: the job goes back to the
// queue at once (waiting, no attempt used), the worker closes its connections and exits 0. Against
// a real redis-server on loopback (skipped with a message where it is not installed).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, JobIds, QUEUE_NAME, QueuePool, parseRedisUrl } from '../../src/sweep-queue/index.ts';
import type { RunTask } from '../../src/sweep/index.ts';
import { REDIS_SERVER, skipMessage, startRedis, until, type RedisServer } from '../support/redis-server.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const HAVE_REDIS = REDIS_SERVER !== '';
if (!HAVE_REDIS) process.stderr.write(skipMessage('tests/sweep/queue-release.test.ts'));
const tmp = mkdtempSync(join(tmpdir(), 'queue-release-'));
let redis: RedisServer | null = null;
let worker: ChildProcess | null = null;

beforeAll(async () => {
  if (HAVE_REDIS) redis = await startRedis(tmp);
}, 15_000);

afterAll(async () => {
  if (worker !== null && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!HAVE_REDIS)('maker worker: a second signal hands the running job back', () => {
  it('the job is waiting again with no attempt used, and the worker exits 0', async () => {
    const url = redis!.url;
    worker = spawn(process.execPath, [join(ROOT, 'bin', 'maker.js'), 'worker', '--queue', url, '-c', '1'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    worker.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => worker!.once('exit', (code) => resolve(code)));
    await until('the worker to connect', () => /worker: on redis/.test(log), 30_000);

    // A run long enough to be still running when the signals arrive (10 minutes of market).
    const task: RunTask = {
      key: 'k',
      phase: 'main',
      params: [['strategy.halfSpreadTicks', '5']],
      seed: 42,
      scenarioText: readFileSync(join(ROOT, 'scenarios', 'quickstart.yaml'), 'utf8'),
      scenarioFile: 'scenarios/quickstart.yaml',
      baseSet: [],
      phaseSet: [],
      reportsDir: null,
    };
    const { id } = await new JobIds().jobFor(task);
    const pool = await QueuePool.open(parseRedisUrl(url), { limits: DEFAULT_LIMITS, attempts: 2, backoffMs: 50, keepFinishedS: 60 });
    const admin = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis!.port, maxRetriesPerRequest: null } });
    try {
      const row = pool.run(task);
      await until('the worker to take the job', () => log.includes(`took ${id}`), 30_000);
      worker.kill('SIGINT');
      await until('the first signal to be seen', () => /SIGINT: finishing the running runs/.test(log), 10_000);
      worker.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(log).toContain(`released ${id} back to the queue`);
      expect(log).toMatch(/worker: stopped: 0 run\(s\) finished, 0 attempt\(s\) failed, 1 released/);
      expect(await admin.getJobState(id)).toBe('waiting');
      const job = await Job.fromId(admin, id);
      expect(job?.attemptsMade).toBe(0);
      // With no worker left, closing the sweep's pool ends the wait: the run is a failed row (a rerun waits again).
      await pool.close();
      expect((await row).error).toMatch(/^\[E_QUEUE\] job run-[0-9a-f]+: the sweep stopped waiting before the run finished/);
    } finally {
      await pool.close();
      await admin.close();
    }
  }, 60_000);
});
