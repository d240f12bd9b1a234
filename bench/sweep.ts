/**
 * Sweep throughput: runs per minute of a real sweep (the synthetic quickstart over its first
 * 3 minutes, 8 parameter sets: strategy.halfSpreadTicks = 1..8) on the sweep's pool (`ThreadPool`,
 * plain worker_threads) and on piscina (`PiscinaPool`), with 1 and 2 workers. Each measurement
 * includes starting the workers (tsx compiles the sources in each), as a sweep pays it; results are
 * checked identical across pools and worker counts. Numbers: docs/decisions/0011-sweep-pool.md.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { PiscinaPool, ThreadPool, type RunPool, type RunTask } from '../src/sweep/index.ts';

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
const RANGE = 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:02:59Z';

export function sweepTasks(n = 8): RunTask[] {
  const scenarioText = readFileSync(join(ROOT, 'scenarios', 'quickstart.yaml'), 'utf8');
  return Array.from({ length: n }, (_, i) => ({ key: String(i), phase: 'main' as const, params: [['strategy.halfSpreadTicks', String(i + 1)]] as [string, string][], seed: 42, scenarioText, scenarioFile: 'scenarios/quickstart.yaml', baseSet: [RANGE], phaseSet: [], reportsDir: null }));
}

/** Wall seconds of one sweep of `tasks` on a new pool (startup included) and the rows' hashes. */
async function once(make: () => RunPool, tasks: RunTask[]): Promise<{ seconds: number; cpuSeconds: number; hashes: string }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage(); // all threads of this process
  const pool = make();
  try {
    const rows = await Promise.all(tasks.map((t) => pool.run(t)));
    const c = process.cpuUsage(c0);
    return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6, hashes: rows.map((r) => r.hash).join() };
  } finally {
    await pool.close();
  }
}

export type SweepBenchResult = Record<'threads1' | 'threads2' | 'piscina1' | 'piscina2', Stat>;

/** Runs per minute for each pool and worker count (median of `runs` sweeps each). */
export async function benchSweep(opts: { runs: number; log?: (s: string) => void }): Promise<SweepBenchResult> {
  const tasks = sweepTasks();
  const kinds = { threads1: () => new ThreadPool(1), threads2: () => new ThreadPool(2), piscina1: () => new PiscinaPool(1), piscina2: () => new PiscinaPool(2) };
  const out: Partial<SweepBenchResult> = {};
  const seconds: Record<string, number[]> = {};
  let hashes: string | null = null;
  // Interleaved, so that load from other processes hits every kind alike.
  for (let r = 0; r < opts.runs; r++) {
    for (const [name, make] of Object.entries(kinds)) {
      const x = await once(make, tasks);
      if (hashes !== null && x.hashes !== hashes) throw new Error(`sweep bench: ${name} gave other results`);
      hashes = x.hashes;
      (seconds[name] ??= []).push(x.seconds);
      opts.log?.(`sweep ${name}: ${tasks.length} runs in ${x.seconds.toFixed(2)} s (CPU ${x.cpuSeconds.toFixed(2)} s, load average ${loadavg()[0].toFixed(1)})`);
    }
  }
  for (const name of Object.keys(kinds) as (keyof SweepBenchResult)[]) out[name] = statOf(seconds[name].map((s) => (tasks.length * 60) / s));
  return out as SweepBenchResult;
}
