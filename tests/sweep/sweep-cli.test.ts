// `maker sweep` as a user runs it: bad input exits 2 naming the key before any run; a sweep killed
// mid-way and rerun skips its finished runs and ends with the table of an uninterrupted sweep; --json
// prints one line per run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { MAKER_BIN_SOURCE, makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MAKER = makerBin();
const tmp = mkdtempSync(join(tmpdir(), 'sweep-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function maker(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAKER, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const BASE = ['sweep', '-s', 'scenarios/quickstart.yaml', '--set', 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:05Z', '-q'];

describe('maker sweep: bad input', () => {
  it('exits 2 naming the key, before any run, and writes nothing', async () => {
    const out = join(tmp, 'bad');
    const space = join(tmp, 'bad-space.yaml');
    writeFileSync(space, 'strategy.skewTicksPerLot: [0, 0.25]\nstrategy.halfSpreadTicks: {min: -5, max: -1, integer: true}\n');
    const cases: [string[], RegExp][] = [
      // A value's error names the option or the space file and line it came from (it named a line of the scenario file).
      [['--grid', 'strategy.halfSpreadTicks=-2..3'], /E_CONFIG\]: --grid strategy\.halfSpreadTicks=-2\.\.3: key "strategy\.halfSpreadTicks": must be ≥ 0, got -2\n/],
      [['--random', '3', '--space', space], /E_CONFIG\]: .*bad-space\.yaml:2: key "strategy\.halfSpreadTicks": must be ≥ 0, got -\d\n/],
      [['--grid', 'strategy.halfSpreadTicks=2', '--oos', '2024-02-02..2024-01-01'], /E_CONFIG\]: --oos 2024-02-02\.\.2024-01-01: key "data\.range": the range/],
      [['--set', 'strategy.sizeLots=0', '--grid', 'strategy.halfSpreadTicks=2'], /E_CONFIG\]: --set strategy\.sizeLots=0: key "strategy\.sizeLots": must be ≥ 1, got 0\n/],
      [['--grid', 'strategy.nope=1,2'], /key "strategy.nope": unknown key/],
      [['--grid', 'strategy.halfSpreadTicks=2..x:1'], /strategy.halfSpreadTicks.*bad range syntax/],
      [['--grid', 'strategy.halfSpreadTicks='], /strategy.halfSpreadTicks.*empty grid/],
      [['--grid', 'strategy.halfSpreadTicks=2,abc'], /strategy.halfSpreadTicks.*got "abc"/],
      [[], /nothing to sweep/],
      [['--grid', 'strategy.halfSpreadTicks=2', '--rank-by', 'luck'], /--rank-by.*unknown metric "luck"/],
      [['--grid', 'strategy.halfSpreadTicks=2', '--oos', 'yesterday'], /data.range/],
      [['--random', '3', '--space', join(tmp, 'missing.yaml')], /cannot read the space file/],
      [['--grid', 'strategy.halfSpreadTicks=2', '--workers', '0'], /--workers/],
    ];
    // In this process (main() is what bin/maker.js calls), to keep the file fast; one real process below.
    for (const [args, msg] of cases) {
      let stderr = '';
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
      let code: number;
      try {
        code = await main(['node', 'maker', ...BASE, ...args, '--out', out]);
      } finally {
        spy.mockRestore();
      }
      expect(code, `${args.join(' ')}: ${stderr}`).toBe(2);
      expect(stderr).toMatch(msg);
      expect(stderr).not.toMatch(/internal error/);
    }
    const r = maker(...BASE, '--grid', 'strategy.nope=1,2', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/key "strategy.nope": unknown key/);
    expect(existsSync(out)).toBe(false);
  });

  it('an unusable --out fails at once, naming --out and the cause, before any worker starts (under /proc it hung)', () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'mine');
    const cases: [string, RegExp][] = [
      ['/proc/maker-sweep-out', /^maker: error \[E_IO\]: \/proc\/maker-sweep-out: field "--out": cannot create files in \/proc: .*; choose another --out\n$/],
      [file, /^maker: error \[E_IO\]: .*a-file: field "--out": exists and is not a directory\n$/],
      [join(file, 'sub'), /^maker: error \[E_IO\]: .*a-file\/sub: field "--out": cannot create the directory: .*a-file is not a directory \(ENOTDIR\)\n$/],
    ];
    for (const [dir, msg] of cases) {
      if (dir.startsWith('/proc/') && !existsSync('/proc/self')) continue; // Linux only
      const r = spawnSync(process.execPath, [MAKER, ...BASE, '--grid', 'strategy.halfSpreadTicks=2', '--out', dir], { encoding: 'utf8', cwd: ROOT, timeout: 20_000 });
      expect(r.status, `${dir}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    expect(readFileSync(file, 'utf8')).toBe('mine');
  }, 70_000);
});

describe('maker sweep: failed runs', () => {
  it('a run that fails (missing store) is listed on stderr, kept out of the journal, and the exit status is 1', async () => {
    const out = join(tmp, 'failing');
    let stderr = '';
    let stdout = '';
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
    let code: number;
    try {
      code = await main(['node', 'maker', ...BASE.filter((a) => a !== '-q'), '--set', 'data.source=store', '--set', `data.store=${join(tmp, 'no-store')}`, '--grid', 'strategy.sizeLots=2,3', '--workers', '1', '--out', out]);
    } finally {
      e.mockRestore();
      o.mockRestore();
    }
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/run failed: strategy.sizeLots=2 seed 42: \[E_STORE\]/);
    expect(stdout).toContain('runs: 2 (0 skipped as already done, 2 failed)');
    expect(readFileSync(join(out, 'runs.jsonl'), 'utf8')).toBe('');
    expect(existsSync(join(out, 'results.parquet'))).toBe(true);
  });
});

describe('maker sweep: resume', () => {
  it('a killed sweep, rerun, skips finished runs and ends with the uninterrupted table', async () => {
    const grid = ['--grid', 'strategy.halfSpreadTicks=2..5:1'];
    const ref = join(tmp, 'ref');
    const full = maker(...BASE, ...grid, '--workers', '2', '--out', ref, '--json');
    expect(full.code, full.stderr).toBe(0);
    const lines = full.stdout.trim().split('\n').map((l) => JSON.parse(l) as { params: Record<string, string>; seed: number; hash: string; metrics: { pnl: number } });
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => l.hash.startsWith('sha256:') && typeof l.metrics.pnl === 'number')).toBe(true);

    const dir = join(tmp, 'killed');
    const journal = join(dir, 'runs.jsonl');
    const child = spawn(process.execPath, [MAKER, ...BASE, ...grid, '--workers', '1', '--out', dir], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 60_000;
    // Kill it once two runs are journaled (a third may be half done).
    while (Date.now() < deadline && !(existsSync(journal) && readFileSync(journal, 'utf8').split('\n').length > 2)) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const before = readFileSync(journal, 'utf8').trim().split('\n').length;
    expect(before).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThan(4);
    expect(existsSync(join(dir, 'results.parquet'))).toBe(false);
    // A torn last line (as a kill during a write leaves) is dropped, not an error.
    writeFileSync(journal, `${readFileSync(journal, 'utf8')}{"key":"cut`);

    // bin/maker.js itself here; the other spawns run the per-run bundle of the same sources.
    const r = spawnSync(process.execPath, [MAKER_BIN_SOURCE, ...BASE.filter((a) => a !== '-q'), ...grid, '--workers', '2', '--out', dir], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${before} already done in ${dir} (skipped)`);
    expect(r.stdout).toContain(`runs: 4 (${before} skipped as already done, 0 failed)`);
    expect(readFileSync(join(dir, 'results.parquet')).equals(readFileSync(join(ref, 'results.parquet')))).toBe(true);
    expect(readFileSync(journal, 'utf8').trim().split('\n')).toHaveLength(4);

    // The same command with another grid in the same directory is refused.
    const other = maker(...BASE, '--grid', 'strategy.halfSpreadTicks=2,3', '--out', dir);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds a different sweep/);
  });
});
