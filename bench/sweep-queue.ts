/**
 * Sweep throughput on the real sample, local pool vs the queue: runs per minute of the GLFT
 * scenario on BTCUSDT 2024-08-08 (hftbacktest recording, imported once into
 * `.bench-cache/sample-store`), `strategy.gammaPerTick` over `n` values, with
 * - the local pool (`PiscinaPool`, what `maker sweep --workers N` uses), 1 and 2 threads, a new pool
 *   per sweep: cold (thread start-up included, as a local sweep pays it) and warmed up (one untimed
 *   run per thread first);
 * - the queue backend (`QueuePool` → BullMQ on a `redis-server` started here on loopback) with 1
 *   and 2 `maker worker -c 1` processes started beforehand and warmed up the same way (as deployed
 *   workers are; the queue is emptied between measurements so every run really runs).
 * The overhead of the queue is the ratio of warm local to queue at the same worker count (per-job
 * enqueue, lock, result and event round trips); cold local shows what pool start-up costs instead. Rows are checked
 * identical (hashes) across all variants. Skipped when ../shared/data/real or redis-server is absent.
 *
 *   npm run bench -- --only sweep-queue [--runs N]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { importEvents } from '../src/store/index.ts';
import { PiscinaPool, type RunPool, type RunTask } from '../src/sweep/index.ts';
import { DEFAULT_LIMITS, QUEUE_NAME, QueuePool, parseRedisUrl } from '../src/sweep-queue/index.ts';
import { haveReal } from '../scripts/shared-data.ts';
import { loadSample } from '../scripts/tile-sample.ts';

export interface Stat {
  min: number;
  median: number;
  max: number;
}

function statOf(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}

const ROOT = join(import.meta.dirname, '..');
const MAKER = join(ROOT, 'bin', 'maker.js');
const SCENARIO = 'scenarios/btcusdt-20240808-glft.yaml';

/** The real sample as a store (built once, then reused). */
async function sampleStore(log: (s: string) => void): Promise<string> {
  const root = join(ROOT, '.bench-cache', 'sample-store');
  const done = join(root, 'complete');
  if (existsSync(done)) return root;
  log('sweep-queue: importing the BTCUSDT 2024-08-08 sample into .bench-cache/sample-store ...');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const { events, instrument } = await loadSample();
  await importEvents({ root, venue: 'binance-usdm', instruments: [instrument], provenance: { importer: 'bench', inputs: [{ path: 'btcusdt_20240808.gz' }] } }, [events]);
  writeFileSync(done, '');
  return root;
}

function tasksFor(store: string, n: number, first = 0.01): RunTask[] {
  const scenarioText = readFileSync(join(ROOT, SCENARIO), 'utf8');
  return Array.from({ length: n }, (_, i) => ({
    key: String(i),
    phase: 'main' as const,
    params: [['strategy.gammaPerTick', String(Number((first + 0.01 * i).toFixed(4)))]] as [string, string][],
    seed: 1,
    scenarioText,
    scenarioFile: SCENARIO,
    baseSet: [`data.store=${store}`],
    phaseSet: [],
    reportsDir: null,
  }));
}

/** CPU seconds (user + system) a process has used, from /proc (Linux; 0 elsewhere). */
function procCpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`sweep-queue bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Seconds of running `tasks` on a new pool; with `warmUp`, those run first, untimed (threads started, code compiled and warm). */
async function timed(pool: () => Promise<RunPool>, tasks: RunTask[], warmUp: RunTask[] = []): Promise<{ seconds: number; hashes: string }> {
  let t0 = performance.now();
  const p = await pool();
  try {
    if (warmUp.length > 0) {
      await Promise.all(warmUp.map((t) => p.run(t)));
      t0 = performance.now();
    }
    const rows = await Promise.all(tasks.map((t) => p.run(t)));
    const bad = rows.find((r) => r.error !== null);
    if (bad !== undefined) throw new Error(`sweep-queue bench: a run failed: ${bad.error}`);
    return { seconds: (performance.now() - t0) / 1000, hashes: rows.map((r) => r.hash).join() };
  } finally {
    await p.close();
  }
}

type Kind = 'local1' | 'local2' | 'warmLocal1' | 'warmLocal2' | 'queue1' | 'queue2';
export type SweepQueueBenchResult = (Record<Kind, Stat> & { runs: number; loadAverage: number[]; queueCpuMsPerRun: Stat }) | { skipped: string };

export async function benchSweepQueue(opts: { runs: number; tasks?: number; log?: (s: string) => void }): Promise<SweepQueueBenchResult> {
  const log = opts.log ?? (() => undefined);
  if (!haveReal) return { skipped: 'no ../shared/data/real' };
  const redisBin = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (redisBin === '') return { skipped: 'no redis-server (apt-get install redis-server)' };
  const store = await sampleStore(log);
  const tasks = tasksFor(store, opts.tasks ?? 4);
  const warm = (k: number): RunTask[] => tasksFor(store, k, 0.5);
  const tmp = mkdtempSync(join(tmpdir(), 'bench-sweep-queue-'));
  const port = await freePort();
  const redis = spawn(redisBin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp], { stdio: ['ignore', 'pipe', 'ignore'] });
  const workers: ChildProcess[] = [];
  const loads: number[] = [];
  try {
    let out = '';
    redis.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await until('redis-server', () => /Ready to accept connections/.test(out), 10_000);
    const url = `redis://127.0.0.1:${port}/0`;
    const target = parseRedisUrl(url);
    const admin = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port, maxRetriesPerRequest: null } });
    const startWorkers = async (k: number): Promise<void> => {
      while (workers.length < k) {
        const w = spawn(process.execPath, [MAKER, 'worker', '--queue', url, '-c', '1', '-q'], { cwd: ROOT, stdio: 'ignore' });
        workers.push(w);
      }
      const deadline = Date.now() + 120_000;
      while ((await admin.getWorkersCount()) < k) {
        if (Date.now() > deadline) throw new Error('sweep-queue bench: workers did not connect');
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const seconds: Record<Kind, number[]> = { local1: [], local2: [], warmLocal1: [], warmLocal2: [], queue1: [], queue2: [] };
    let hashes: string | null = null;
    const cpuMs: number[] = [];
    const check = (name: string, h: string): void => {
      if (hashes !== null && h !== hashes) throw new Error(`sweep-queue bench: ${name} gave other results`);
      hashes = h;
    };
    for (let r = 0; r < opts.runs; r++) {
      for (const k of [1, 2] as const) {
        const local = await timed(async () => new PiscinaPool(k), tasks);
        check(`local${k}`, local.hashes);
        seconds[`local${k}`].push(local.seconds);
        loads.push(loadavg()[0]);
        log(`sweep-queue local pool, ${k} thread(s): ${tasks.length} runs in ${local.seconds.toFixed(2)} s (load average ${loadavg()[0].toFixed(1)})`);

        const warmLocal = await timed(async () => new PiscinaPool(k), tasks, warm(k));
        check(`warmLocal${k}`, warmLocal.hashes);
        seconds[`warmLocal${k}`].push(warmLocal.seconds);
        log(`sweep-queue local pool, ${k} thread(s), warmed up: ${tasks.length} runs in ${warmLocal.seconds.toFixed(2)} s (load average ${loadavg()[0].toFixed(1)})`);

        await startWorkers(k);
        await admin.obliterate({ force: true }); // every run really runs (no idempotent reuse between rounds)
        // Warm the workers as the warm local pool (deployed workers have run jobs before).
        const c0 = process.cpuUsage();
        const r0 = procCpuSeconds(redis.pid!);
        const queued = await timed(() => QueuePool.open(target, { limits: DEFAULT_LIMITS, attempts: 1, backoffMs: 1000, keepFinishedS: 3600 }), tasks, warm(k));
        const c = process.cpuUsage(c0);
        // What the queue itself costs per run, whatever the load: the enqueuing process (this one: it runs no backtest
        // here) and redis-server, over warm-up and timed runs. The workers' BullMQ side (lock renewals, one fetch and
        // one result per job) is not separated from their backtests.
        cpuMs.push((((c.user + c.system) / 1e6 + procCpuSeconds(redis.pid!) - r0) * 1000) / (tasks.length + k));
        check(`queue${k}`, queued.hashes);
        seconds[`queue${k}`].push(queued.seconds);
        loads.push(loadavg()[0]);
        log(`sweep-queue queue, ${k} worker process(es): ${tasks.length} runs in ${queued.seconds.toFixed(2)} s, queue CPU ${cpuMs[cpuMs.length - 1].toFixed(1)} ms/run (load average ${loadavg()[0].toFixed(1)})`);
      }
      // Back to one worker for the next round's 1-worker measurement.
      while (workers.length > 0) {
        const w = workers.pop()!;
        const gone = new Promise((res) => w.once('exit', res));
        w.kill('SIGINT');
        await gone;
      }
    }
    await admin.close();
    const perMin = (xs: number[]) => statOf(xs.map((s) => (tasks.length * 60) / s));
    const stats = Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, perMin(v)])) as Record<Kind, Stat>;
    return { ...stats, runs: tasks.length, loadAverage: [Math.min(...loads), Math.max(...loads)], queueCpuMsPerRun: statOf(cpuMs) };
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    redis.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  }
}
