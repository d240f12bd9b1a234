// A real small sweep on the synthetic quickstart (10 s of market): 1 and 2 workers (piscina, the
// sweep's pool) give the same table and leaderboard bytes (bench/sweep.ts checks the plain
// worker_threads pool gives the same results); a sweep row's hash is the hash of the same run in this thread;
// rerunning skips finished runs; a different sweep in the same directory is refused.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { PiscinaPool, expandGrid, parseGridOption, parseSpace, runSweep, runTask, sampleSpace, type RunPool, type SweepSpec } from '../../src/sweep/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const QUICK = join(ROOT, 'scenarios', 'quickstart.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'sweep-wt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function spec(grid = 'strategy.halfSpreadTicks=2,6'): SweepSpec {
  const axes = [parseGridOption(grid)];
  return {
    scenarioFile: 'scenarios/quickstart.yaml',
    scenarioText: readFileSync(QUICK, 'utf8'),
    baseSet: ['data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:09Z'],
    paramSets: expandGrid(axes),
    keys: axes.map((a) => a.key),
    seeds: [42, 43],
    rankBy: 'pnl',
    oos: null,
    reports: false,
    description: 'test',
  };
}

/** `bundled`: the workers run the cached bundle (`PiscinaPool.open`, as `maker sweep` does), else the sources through tsx. */
async function sweep(dir: string, workers: number, s = spec(), bundled = false) {
  const pool = bundled ? await PiscinaPool.open(workers) : new PiscinaPool(workers);
  if (bundled) expect(pool.filename).toMatch(/\/sweep-worker-[0-9a-f]{16}\.mjs$/);
  try {
    return await runSweep(s, dir, pool);
  } finally {
    await pool.close();
  }
}

describe('sweep on the synthetic quickstart', () => {
  it('1 and 2 workers, through tsx and bundled, give the same bytes; rows are the runs of the plan; reruns skip; another sweep is refused', async () => {
    const one = join(tmp, 'one');
    const two = join(tmp, 'two');
    const a = await sweep(one, 1);
    const b = await sweep(two, 2, spec(), true);
    expect(a.failed + b.failed).toBe(0);
    const table = readFileSync(join(one, 'results.parquet'));
    for (const d of [two]) {
      expect(readFileSync(join(d, 'results.parquet')).equals(table)).toBe(true);
      expect(readFileSync(join(d, 'leaderboard.html'), 'utf8')).toBe(readFileSync(join(one, 'leaderboard.html'), 'utf8'));
    }

    const rows = (await parquetReadObjects({ file: table.buffer.slice(table.byteOffset, table.byteOffset + table.byteLength) as ArrayBuffer })) as Record<string, unknown>[];
    expect(rows.map((r) => [r['strategy.halfSpreadTicks'], Number(r.seed)])).toEqual([[2, 42], [2, 43], [6, 42], [6, 43]]);
    const hashes = rows.map((r) => r.hash as string);
    expect(new Set(hashes).size).toBe(4);
    expect(rows.every((r) => typeof r.pnl === 'number' && r.error === null && typeof r.fills === 'number')).toBe(true);
    expect(Object.keys(rows[0])).toEqual(expect.arrayContaining(['phase', 'seed', 'pnl', 'sharpe', 'maxDrawdown', 'warnings', 'hash', 'data_fingerprint', 'run_id']));

    // The worker's run is the run `maker backtest --set ...` makes: same determinism hash in this thread.
    const s = spec();
    const direct = await runTask({ key: 'x', phase: 'main', params: [['strategy.halfSpreadTicks', '6']], seed: 43, scenarioText: s.scenarioText, scenarioFile: s.scenarioFile, baseSet: s.baseSet, phaseSet: [], reportsDir: null });
    expect(direct.hash).toBe(hashes[3]);

    // Rerun: everything is in the journal, nothing runs, same bytes.
    const again = await sweep(one, 2);
    expect(again.skipped).toBe(4);
    expect(readFileSync(join(one, 'results.parquet')).equals(table)).toBe(true);

    // Out of sample: the same sweep plus --oos re-runs the best set (by mean pnl) on the other range only.
    const scores = [0, 1].map((i) => (rows[2 * i].pnl as number) / 2 + (rows[2 * i + 1].pnl as number) / 2);
    const oos = await sweep(one, 2, { ...spec(), oos: { range: '2024-01-01T00:00:10Z..2024-01-01T00:00:24Z', topK: 1 } });
    expect(oos.skipped).toBe(4);
    expect(oos.chosen).toEqual([scores[0] >= scores[1] ? 0 : 1]);
    expect(oos.rows.filter((r) => r.phase === 'oos').map((r) => [r.params, r.seed, r.error])).toEqual([42, 43].map((seed) => [spec().paramSets[oos.chosen[0]], seed, null]));
    expect(readFileSync(join(one, 'leaderboard.html'), 'utf8')).toContain('Out of sample: the top 1 on 2024-01-01T00:00:10Z..2024-01-01T00:00:24Z');

    // A changed grid in the same directory is refused, naming what changed.
    const e = await sweep(one, 1, spec('strategy.halfSpreadTicks=2,4')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message).toMatch(/holds a different sweep \(the parameter sets or seeds changed/);
  });

  it('a seeded random search with --reports writes each run\'s report directory', async () => {
    const dims = parseSpace('strategy.halfSpreadTicks: {min: 1, max: 12, integer: true}\nstrategy.skewTicksPerLot: [0, 0.25]\n', 'space.yaml');
    const paramSets = sampleSpace(dims, 2, 7);
    const dir = join(tmp, 'random');
    const r = await sweep(dir, 1, { ...spec(), paramSets, keys: dims.map((d) => d.key), seeds: [42], reports: true });
    expect(r.failed).toBe(0);
    expect(r.rows.map((x) => x.params)).toEqual(paramSets);
    const runIds = r.rows.map((x) => x.runId!);
    expect(readdirSync(join(dir, 'runs')).sort()).toEqual([...runIds].sort());
    for (const id of runIds) expect(existsSync(join(dir, 'runs', id, 'report.html')) && existsSync(join(dir, 'runs', id, 'summary.json'))).toBe(true);
    const summary = JSON.parse(readFileSync(join(dir, 'runs', runIds[0], 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(JSON.stringify(summary)).toContain(r.rows[0].hash!);
  });
});

describe('a sweep stopped by its signal (the CLI\'s SIGINT / SIGTERM)', () => {
  it('dispatches nothing more, closes the pool, removes its own staging directories, writes no outputs, releases the lock and keeps the journal', async () => {
    const dir = join(tmp, 'stopped');
    const runs = join(dir, 'runs');
    const stop = new AbortController();
    const started: string[] = [];
    let closed = 0;
    const hanging: ((e: Error) => void)[] = [];
    // Worker threads of this process leave each finished report staged (`.<run>.partial-<pid>`) for
    // the sweep to publish as it journals the run. The first run finishes; the second has staged
    // its whole report but its result never arrives (its thread is terminated first: the race a
    // stop can hit); the rest wait.
    const staged = (id: string): void => {
      mkdirSync(join(runs, `.${id}.partial-${process.pid}`), { recursive: true });
      writeFileSync(join(runs, `.${id}.partial-${process.pid}`, 'summary.json'), '{}');
    };
    const pool: RunPool = {
      size: 2,
      inProcess: true,
      run: (t) => {
        started.push(t.key);
        expect(t.stageReport).toBe(true);
        if (started.length === 1) {
          staged('run-1');
          setImmediate(() => stop.abort());
          return Promise.resolve({ key: t.key, phase: t.phase, params: t.params, seed: t.seed, metrics: null, pnlExact: '1', warnings: [], hash: 'sha256:x', dataFingerprint: null, runId: 'run-1', error: null });
        }
        if (started.length === 2) staged('run-2');
        return new Promise((_, reject) => hanging.push(reject));
      },
      close: async () => {
        closed++;
        for (const r of hanging.splice(0)) r(new Error('Terminating worker thread'));
      },
    };
    mkdirSync(join(runs, '.someone-else.partial-1'), { recursive: true }); // another process's: not ours to remove
    const seen: string[] = [];
    const r = await runSweep({ ...spec(), reports: true }, dir, pool, { onRun: (row) => seen.push(row.key) }, stop.signal);
    expect(r.stopped).toEqual({ phase: 'main', done: 1, total: 4, ranNow: 1 });
    expect(closed).toBe(1);
    expect(seen).toHaveLength(1); // the runs the closing pool failed are not reported as failed runs
    expect(readFileSync(join(dir, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { runId: string }).runId)).toEqual(['run-1']);
    expect(readdirSync(dir).sort()).toEqual(['runs', 'runs.jsonl', 'sweep.json']); // no lock, no results.parquet / leaderboard.html
    // The journaled run is published; the staged one that was not journaled is gone.
    expect(readdirSync(runs).sort()).toEqual(['.someone-else.partial-1', 'run-1']);
    expect(readdirSync(join(runs, 'run-1'))).toEqual(['summary.json']);

    // Aborted before it starts: nothing is dispatched.
    const before = started.length;
    const again = await runSweep({ ...spec(), reports: true }, dir, pool, {}, stop.signal);
    expect(again.stopped).toEqual({ phase: 'main', done: 1, total: 4, ranNow: 0 });
    expect(started.length).toBe(before);
    expect(existsSync(join(dir, 'sweep.lock'))).toBe(false);
  });
});
