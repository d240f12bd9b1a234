// The distributed sweep (`maker sweep --queue`, `maker worker`) against a real redis-server started
// here on loopback (a free port, no persistence, killed in afterAll). Two worker processes, one
// killed with SIGKILL in the middle of a run: every run still completes (BullMQ's stalled-job check
// in the other worker takes it back), and the sweep directory is the same bytes as the local
// backend's. Enqueueing the same sweep again runs nothing (no worker is left to run anything). A
// worker that cannot find the store fails the job naming the path; bad URLs fail fast with exit 2.
// Skipped, with a message, where redis-server is not installed (.ci/system-deps.sh installs it).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { sweepSpecFromOptions } from '../../src/cli/commands/sweep.ts';
import { importEvents } from '../../src/store/index.ts';
import { runSweep, runTask } from '../../src/sweep/index.ts';
import { REDIS_SERVER, freePort, skipMessage, startRedis, until, type RedisServer } from '../support/redis-server.ts';
import { DEFAULT_SYNTHETIC, generateSynthetic, syntheticInstrument } from '../../src/synthetic/index.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MAKER = makerBin();
const HAVE_REDIS = REDIS_SERVER !== '';
if (!HAVE_REDIS) process.stderr.write(skipMessage('tests/sweep/queue.test.ts'));

const tmp = mkdtempSync(join(tmpdir(), 'queue-test-'));
const STORE = join(tmp, 'store');
const children: ChildProcess[] = [];
let redis: RedisServer | null = null;
let a: Proc;
let survivor: Proc;
let url = '';

interface Proc {
  child: ChildProcess;
  log: () => string;
  exited: Promise<number | null>;
}

function startWorker(...extra: string[]): Proc {
  const child = spawn(process.execPath, [MAKER, 'worker', '--queue', url, '-c', '1', '--lock-duration', '1000', '--stalled-interval', '300', ...extra], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, log: () => log, exited };
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
  try {
    const code = await main(['node', 'maker', ...args]);
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

// The synthetic quickstart market written to a store (so workers read a store, as on real data).
const SWEEP = ['sweep', '-s', 'scenarios/quickstart.yaml', '--set', 'data.source=store', '--set', `data.store=${STORE}`, '--set', 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:10Z'];
const GRID = ['--grid', 'strategy.halfSpreadTicks=1..3'];

beforeAll(async () => {
  if (!HAVE_REDIS) return;
  redis = await startRedis(tmp);
  url = redis.url;
  // Two workers boot while the store is written.
  a = startWorker();
  // The other worker reads the same store where it is "mounted" on its machine.
  survivor = startWorker('--store-root', join(tmp, 'mounted-store'));
  const inst = syntheticInstrument('BTCUSDT');
  const cfg = { ...DEFAULT_SYNTHETIC, symbol: 'BTCUSDT', seed: 7, startUs: 1_704_067_200_000_000, durationS: 12 };
  await importEvents({ root: STORE, venue: 'binance-usdm', instruments: [inst], provenance: { importer: 'test', inputs: [{ path: 'synthetic' }] } }, generateSynthetic(cfg, inst));
  symlinkSync(STORE, join(tmp, 'mounted-store'));
}, 30_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!HAVE_REDIS)('maker sweep --queue with maker worker processes', () => {
  it('completes every run though one worker is SIGKILLed mid-run, and writes what the local pool writes', async () => {
    await until('both workers to connect', () => /worker: on redis/.test(a.log()) && /worker: on redis/.test(survivor.log()), 30_000);

    const queued = join(tmp, 'queued');
    const sweep = cli(...SWEEP, ...GRID, '--queue', url, '--attempts', '3', '--backoff', '50', '--out', queued);
    await until('worker A to take a run', () => /took run-/.test(a.log()), 30_000);
    const killedJob = /took (run-[0-9a-f]+)/.exec(a.log())![1];
    a.child.kill('SIGKILL');
    expect(await a.exited).toBe(null);

    const r = await sweep;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('runs: 3 (0 skipped as already done, 0 failed)');
    expect(r.stderr).toContain(`3 runs on the queue ${url}`);
    // The killed worker's run was taken back by the survivor.
    expect(survivor.log()).toContain(`took ${killedJob}`);

    // The local backend on the same sweep, its runs in this thread (the pool does not change rows:
    // tests/sweep/sweep.test.ts; the CLI's local path: tests/sweep/sweep-cli.test.ts).
    const local = join(tmp, 'local');
    const spec = sweepSpecFromOptions({ scenario: 'scenarios/quickstart.yaml', grid: [GRID[1]], set: SWEEP.filter((_, i) => SWEEP[i - 1] === '--set'), rankBy: 'pnl', top: '3', reports: false, json: false, quiet: true, attempts: '3', backoff: '2000', keepDays: '7' });
    await runSweep(spec, local, { size: 1, inProcess: true, run: runTask, close: async () => undefined });
    for (const f of ['results.parquet', 'leaderboard.html', 'sweep.json']) expect(readFileSync(join(queued, f)).equals(readFileSync(join(local, f))), f).toBe(true);
    const lines = (d: string) => readFileSync(join(d, 'runs.jsonl'), 'utf8').trim().split('\n').sort();
    expect(lines(queued)).toEqual(lines(local));
    expect(lines(queued)).toHaveLength(3);
    expect(lines(queued).every((x) => /"hash":"sha256:[0-9a-f]{64}"/.test(x) && /"error":null/.test(x))).toBe(true);
    expect(existsSync(join(queued, 'sweep.lock'))).toBe(false);
  }, 90_000);

  it('enqueueing the same runs again runs nothing: with no worker left, the sweep still completes', async () => {
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
    expect(survivor.log()).toMatch(/worker: stopped: \d+ run\(s\) finished/);

    const again = join(tmp, 'again');
    const r = await cli(...SWEEP, ...GRID, '--queue', url, '--out', again);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('runs: 3 (0 skipped as already done, 3 already finished in the queue, 0 failed)');
    expect(readFileSync(join(again, 'results.parquet')).equals(readFileSync(join(tmp, 'local', 'results.parquet')))).toBe(true);

    // Resumable as the local backend: the same directory again skips everything.
    const resumed = await cli(...SWEEP, ...GRID, '--queue', url, '--out', again);
    expect(resumed.stdout).toContain('runs: 3 (3 skipped as already done, 0 failed)');
  }, 30_000);

  it('a worker that cannot find the store fails the job naming the path; after its retries the run is a failed row', async () => {
    const w = startWorker('--store-root', join(tmp, 'not-mounted'));
    await until('the worker to connect', () => /worker: on redis/.test(w.log()), 30_000);
    const out = join(tmp, 'no-store');
    const r = await cli(...SWEEP, '--grid', 'strategy.halfSpreadTicks=9', '--queue', url, '--attempts', '2', '--backoff', '20', '--out', out);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/run failed: strategy.halfSpreadTicks=9 seed 42: \[E_QUEUE\] job run-[0-9a-f]+ failed after its 2 attempt\(s\): worker pid \d+ on .*: the store .*not-mounted does not exist here/);
    expect(w.log()).toMatch(/failed \(attempt 2, no retry left\): .*not-mounted does not exist here/);
    expect(readFileSync(join(out, 'runs.jsonl'), 'utf8')).toBe('');
    w.child.kill('SIGINT');
    expect(await w.exited).toBe(0);
  }, 60_000);

  it('a sweep directory in use is refused (queue and local)', async () => {
    const dir = join(tmp, 'locked');
    const first = await cli(...SWEEP, ...GRID, '--queue', url, '--out', dir, '-q');
    expect(first.code, first.stderr).toBe(0); // all runs already in the queue
    writeFileSync(join(dir, 'sweep.lock'), JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname() }));
    for (const mode of [['--queue', url], ['--workers', '1']]) {
      const r = await cli(...SWEEP, ...GRID, ...mode, '--out', dir, '-q');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/is in use by another maker sweep \(pid \d+ on .*\); .*remove .*sweep.lock if that process is gone/);
    }
  });
});

describe.skipIf(!HAVE_REDIS)('maker sweep --queue stopped by a signal', () => {
  it('exits 130 naming the directory and the queue, releases the lock; the jobs stay queued and a rerun with a worker collects them', async () => {
    // No worker runs now (the ones above are stopped): the runs wait on the queue.
    const out = join(tmp, 'interrupted');
    const grid = ['--grid', 'strategy.halfSpreadTicks=4,5'];
    const child = spawn(process.execPath, [MAKER, ...SWEEP, ...grid, '--queue', url, '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    let stdout = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await until('the sweep to start (its progress line)', () => stderr.includes(`sweep main: 2 runs on the queue ${url}`), 30_000);
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    const journal = join(out, 'runs.jsonl');
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(
      `maker: error [E_INTERRUPTED]: stopped by SIGINT during the runs of the sweep in ${out}: 0 of 2 are done (0 in this session) and kept in ${journal}; ` +
        `results.parquet and leaderboard.html were not written; the runs enqueued stay on the queue ${url}, and a rerun collects them; rerun the same command to resume`,
    );
    expect(stdout).toBe('');
    expect(existsSync(join(out, 'sweep.lock'))).toBe(false);
    expect(existsSync(join(out, 'results.parquet'))).toBe(false);

    const w = startWorker();
    await until('the worker to connect', () => /worker: on redis/.test(w.log()), 30_000);
    const r = await cli(...SWEEP, ...grid, '--queue', url, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/runs: 2 \(0 skipped as already done(, [12] already finished in the queue)?, 0 failed\)/);
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  }, 90_000);
});

describe.skipIf(!HAVE_REDIS)('queue URLs', () => {
  it('a bad URL or an unreachable Redis is exit 2 with one line, fast, and never shows the password', async () => {
    const closed = await freePort();
    const cases: [string[], RegExp][] = [
      [[...SWEEP, ...GRID, '--queue', `redis://127.0.0.1:${closed}/0`], /\[E_QUEUE\]: cannot reach Redis at redis:\/\/127.0.0.1:\d+\/0: connection refused/],
      [[...SWEEP, ...GRID, '--queue', 'http://127.0.0.1:6379'], /field "--queue": unsupported scheme "http"/],
      [[...SWEEP, ...GRID, '--queue', 'redis://127.0.0.1:6379/x'], /field "--queue": the path must be a database number/],
      [[...SWEEP, ...GRID, '--queue', url.replace('redis://', 'redis://u:hunter2@')], /\[E_QUEUE\]: cannot reach Redis at redis:\/\/127.0.0.1:\d+\/0: authentication failed/],
      [[...SWEEP, ...GRID, '--queue', url.replace(/\/0$/, '/99')], /database number does not exist/],
      [[...SWEEP, ...GRID, '--queue', url, '--workers', '2'], /field "--workers"/],
      [['worker', '--queue', `redis://127.0.0.1:${closed}`], /\[E_QUEUE\]: cannot reach Redis at redis:\/\/127.0.0.1:\d+\/0: connection refused/],
      [['worker', '--queue', url, '--concurrency', '0'], /field "--concurrency"/],
    ];
    for (const [args, msg] of cases) {
      const r = await cli(...args, ...(args[0] === 'sweep' ? ['--out', join(tmp, 'never')] : []));
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toContain('hunter2');
      expect(r.stderr).not.toMatch(/internal error/);
    }
    expect(existsSync(join(tmp, 'never'))).toBe(false);
  });
});
