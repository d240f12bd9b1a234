// Ctrl-C (SIGINT) and SIGTERM on the commands that write files: a real `maker` process, signalled
// mid-work. Without handlers Node's default action killed them where they stood: no last line, a
// death by signal instead of the documented 130 / 143, and their staging directories left behind
// (`.<run>.partial-<pid>`, the store writer's `.spill-<pid>-*`). src/cli/interrupt.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const QUICK = join(ROOT, 'scenarios', 'quickstart.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'maker-interrupt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Child {
  p: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  /** Exit code and signal (a process killed by a signal has code null). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[], env: NodeJS.ProcessEnv = process.env): Child {
  const p = spawn(process.execPath, [makerBin(), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  p.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => p.on('exit', (code, signal) => done({ code, signal })));
  return { p, stderr: () => stderr, stdout: () => stdout, exited };
}

async function until(what: string, ok: () => boolean, ms: number, child?: Child): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${child ? `; stderr: ${child.stderr()}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves to the exit and how long it took from now; kills the child if it takes over `ms`. */
async function exitWithin(c: Child, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const t0 = Date.now();
  const guard = setTimeout(() => c.p.kill('SIGKILL'), ms);
  try {
    const r = await c.exited;
    return { ...r, ms: Date.now() - t0 };
  } finally {
    clearTimeout(guard);
  }
}

const listAll = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : []);

describe('maker backtest stopped by a signal', () => {
  it('mid-run: SIGINT exits 130, SIGTERM 143, within a second or two, saying nothing was written; no run or staging directory', async () => {
    for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const out = join(tmp, `bt-${signal}`);
      // Two hours of synthetic market: minutes of work, far longer than the test waits.
      const c = start(['backtest', '-s', QUICK, '--set', 'data.range=2024-01-01T00:00:00Z..2024-01-01T02:00:00Z', '--out', out]);
      try {
        await until('the run to be going (a progress line)', () => /backtest: .*events/.test(c.stderr()), 60_000, c);
        c.p.kill(signal);
        // The signal lands as the first spill starts: that spill (sorting and writing its 50,000 rows)
        // completes before the next batch sees the signal.
        const r = await exitWithin(c, 40_000);
        expect({ code: r.code, signal: r.signal }, c.stderr()).toEqual({ code: status, signal: null });
        expect(r.ms).toBeLessThan(30_000);
      } finally {
        c.p.kill('SIGKILL');
      }
      expect(c.stderr().trimEnd().split('\n').at(-1)).toBe(`maker: error [E_INTERRUPTED]: stopped by ${signal} before the run was complete; no run directory was written under ${out}`);
      expect(c.stdout()).toBe('');
      expect(listAll(out), 'nothing under --out').toEqual([]);
    }
  }, 150_000);

  it('while the run directory is being written: the run completes (exit 0) and no staging directory is left', async () => {
    const out = join(tmp, 'bt-writing');
    mkdirSync(out);
    const c = start(['backtest', '-q', '-s', QUICK, '--set', 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:20:00Z', '--out', out]);
    try {
      // The staging directory `.<run id>.partial-<pid>` exists only while the outputs are written.
      await until('the staging directory', () => readdirSync(out).some((f) => f.includes('.partial-')) || c.p.exitCode !== null, 90_000, c);
      c.p.kill('SIGINT');
      const r = await exitWithin(c, 30_000);
      expect({ code: r.code, signal: r.signal }, c.stderr()).toEqual({ code: 0, signal: null });
    } finally {
      c.p.kill('SIGKILL');
    }
    const names = readdirSync(out);
    expect(names.filter((f) => f.startsWith('.')), 'no staging directory').toEqual([]);
    expect(names).toHaveLength(1);
    expect(readdirSync(join(out, names[0])).sort()).toEqual(['fills.parquet', 'orders.parquet', 'report.html', 'summary.json', 'timeseries.parquet']);
    expect(c.stdout()).toMatch(new RegExp(`output +${join(out, names[0])}`));
  }, 150_000);
});

describe('maker import stopped by a signal', () => {
  it('mid-import: exit 130 / 143 saying nothing was written; the spill directory is gone and the store is untouched', async () => {
    const input = join(tmp, 'synth-600.gz');
    const synth = start(['data', 'synth', '--out', input, '--duration-s', '600']);
    expect((await exitWithin(synth, 90_000)).code, synth.stderr()).toBe(0);
    for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const out = join(tmp, `import-${signal}`);
      mkdirSync(out);
      // A small --spill-rows: the first spill comes within a second and each one is short.
      const c = start(['import', input, '--infer-spec', '--out', out, '--spill-rows', '50000']);
      try {
        // The store writer spills row groups into `.spill-<pid>-<n>` while it reads: the import is under way.
        await until('the spill directory', () => readdirSync(out).some((f) => f.startsWith('.spill-')), 60_000, c);
        c.p.kill(signal);
        // The signal lands as the first spill starts: that spill (sorting and writing up to 4M rows,
        // seconds on a loaded 2-core machine) completes before the next batch sees the signal.
        const r = await exitWithin(c, 40_000);
        expect({ code: r.code, signal: r.signal }, c.stderr()).toEqual({ code: status, signal: null });
        expect(r.ms).toBeLessThan(30_000);
      } finally {
        c.p.kill('SIGKILL');
      }
      expect(c.stderr().trimEnd().split('\n').at(-1)).toBe(`maker: error [E_INTERRUPTED]: stopped by ${signal} before the import was complete; nothing was written to ${out}, and nothing of it is left behind`);
      expect(listAll(out), 'nothing in the store directory').toEqual([]);
    }
  }, 180_000);
});

describe('maker sweep stopped by a signal', () => {
  it('mid-sweep: exit 130 / 143 with one line naming the directory and the runs kept; no staging directory, no lock, no outputs; the kept runs are whole', async () => {
    for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const out = join(tmp, `sweep-${signal}`);
      const c = start(['sweep', '-s', QUICK, '--grid', 'strategy.halfSpreadTicks=2..7:1', '--workers', '2', '--reports', '--out', out]);
      try {
        // A run finished (the journal holds it); the others are running or queued.
        await until('a finished run (a progress line)', () => /sweep main: [1-5]\/6 runs/.test(c.stderr()), 90_000, c);
        c.p.kill(signal);
        const r = await exitWithin(c, 60_000);
        expect({ code: r.code, signal: r.signal }, c.stderr()).toEqual({ code: status, signal: null });
      } finally {
        c.p.kill('SIGKILL');
      }
      const journal = join(out, 'runs.jsonl');
      const kept = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { runId: string; error: string | null });
      expect(kept.length).toBeGreaterThanOrEqual(1);
      expect(kept.length).toBeLessThan(6);
      expect(c.stderr().trimEnd().split('\n').at(-1)).toBe(
        `maker: error [E_INTERRUPTED]: stopped by ${signal} during the runs of the sweep in ${out}: ${kept.length} of 6 are done (${kept.length} in this session) and kept in ${journal}; ` +
          'results.parquet and leaderboard.html were not written; rerun the same command to resume',
      );
      expect(c.stdout()).toBe('');
      const files = listAll(out);
      expect(files.filter((f) => f.includes('.partial-') || f.includes('.old-')), 'no staging directory').toEqual([]);
      expect(files).not.toContain('sweep.lock');
      expect(files).not.toContain('results.parquet');
      // Every kept run's report directory is complete (and nothing else is under runs/).
      expect(readdirSync(join(out, 'runs')).sort()).toEqual(kept.map((k) => k.runId).sort());
      for (const k of kept) expect(readdirSync(join(out, 'runs', k.runId)).sort()).toEqual(['fills.parquet', 'orders.parquet', 'report.html', 'summary.json', 'timeseries.parquet']);
    }
  }, 240_000);
});
