// Issue 8, defects 1 and 4, end to end through the real CLI: an output option never deletes what
// maker did not create; a bad output location fails before any work, naming the path, the option
// and the cause. Real processes, real files in a temp dir.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'maker-outsafe-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function maker(...args: string[]): Run {
  const r = spawnSync(process.execPath, [makerBin(), ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking: several quick failures run side by side. */
function makerAsync(...args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [makerBin(), ...args], { cwd: ROOT, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => void (stdout += d.toString('utf8')));
    p.stderr.on('data', (d: Buffer) => void (stderr += d.toString('utf8')));
    p.on('error', fail);
    p.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

const QUICK = join(ROOT, 'scenarios', 'quickstart.yaml');
const SHORT = 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:04Z';

/** Every file under `dir` (relative paths, hidden ones too) with its content. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (f.isFile()) out[join(f.parentPath, f.name).slice(dir.length + 1)] = readFileSync(join(f.parentPath, f.name), 'latin1');
  }
  return out;
}

describe('backtest --out', () => {
  it('is the parent of the run directory: what it holds is never deleted; only an earlier copy of the same run is replaced', () => {
    const reports = join(tmp, 'reports');
    mkdirSync(join(reports, 'earlier-run'), { recursive: true });
    writeFileSync(join(reports, '.gitkeep'), '');
    writeFileSync(join(reports, 'earlier-run', 'summary.json'), '{"runId":"earlier-run"}');
    writeFileSync(join(reports, 'notes.txt'), 'mine');
    const before = tree(reports);

    const r = maker('backtest', '--scenario', QUICK, '--set', SHORT, '--out', reports, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { runId, outDir } = JSON.parse(r.stdout) as { runId: string; outDir: string };
    expect(outDir).toBe(join(reports, runId));
    expect(readdirSync(reports).sort()).toEqual(['.gitkeep', 'earlier-run', 'notes.txt', runId].sort());
    const after = tree(reports);
    for (const [f, content] of Object.entries(before)) expect(after[f], f).toBe(content);
    const summary = readFileSync(join(outDir, 'summary.json'), 'utf8');

    // The same run again: its own earlier copy is replaced (same bytes), the rest stays.
    expect(maker('backtest', '--scenario', QUICK, '--set', SHORT, '--out', reports, '--quiet').code).toBe(0);
    expect(tree(reports)).toEqual(after);

    // A file of the user's in the run directory: refused, exit 2, nothing changed, nothing left.
    writeFileSync(join(outDir, 'my-notes.txt'), 'mine too');
    const withNotes = tree(reports);
    const refused = maker('backtest', '--scenario', QUICK, '--set', SHORT, '--out', reports, '--quiet');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `maker: error [E_IO]: ${outDir}: the run directory exists and it holds "my-notes.txt", which a run does not write; refusing to replace it ` +
        '(maker replaces a run directory only when it is empty or holds an earlier copy of the same run: move it away, or write the run elsewhere (--out))\n',
    );
    expect(tree(reports)).toEqual(withNotes);
    expect(readFileSync(join(outDir, 'summary.json'), 'utf8')).toBe(summary);
  });

  it('a location that cannot hold it fails before the run (ENOTDIR), naming the path and --out, and creates nothing', async () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'keep me');
    const [under, at] = await Promise.all([
      makerAsync('backtest', '--scenario', QUICK, '--out', join(file, 'reports')),
      makerAsync('backtest', '--scenario', QUICK, '--out', file),
    ]);
    // One line, no progress: the 10-minute quickstart never started.
    expect(under.code).toBe(2);
    expect(under.stderr).toBe(`maker: error [E_IO]: ${join(file, 'reports')}: field "--out": cannot create the directory: ${file} is not a directory (ENOTDIR)\n`);
    expect(at.code).toBe(2);
    expect(at.stderr).toBe(`maker: error [E_IO]: ${file}: field "--out": exists and is not a directory\n`);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(readdirSync(tmp).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

describe('data synth --out', () => {
  it('never replaces an existing file (exit 2, untouched); a new one appears complete, with no partial file left', () => {
    const dir = join(tmp, 'synth');
    mkdirSync(dir);
    const existing = join(dir, 'precious.gz');
    writeFileSync(existing, 'a real recording');
    const r = maker('data', 'synth', '--out', existing, '--duration-s', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`maker: error [E_IO]: ${existing}: field "--out": already exists (a file); maker never replaces it: remove it yourself or choose another --out\n`);
    expect(readFileSync(existing, 'utf8')).toBe('a real recording');
    // a path under a regular file: before generating anything, ENOTDIR named
    const under = join(existing, 'x', 'synth.gz');
    const notDir = maker('data', 'synth', '--out', under, '--duration-s', '1');
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toBe(`maker: error [E_IO]: ${under}: field "--out": cannot create the file: ${existing} is not a directory (ENOTDIR)\n`);
    const fresh = join(dir, 'new', 'synth.txt');
    const ok = maker('data', 'synth', '--out', fresh, '--duration-s', '1', '--seed', '9');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`wrote ${fresh} (1 s of synthetic BTCUSDT, seed 9)\n`);
    expect(readFileSync(fresh, 'utf8')).toMatch(/^\d+ \{"stream":"btcusdt@/);
    expect(readdirSync(dir, { recursive: true }).map(String).sort()).toEqual(['new', join('new', 'synth.txt'), 'precious.gz']);
  });
});

describe('data synth stopped by a signal', () => {
  it('SIGINT or SIGTERM mid-write: exit 130 / 143 naming the file, the partial file and the directories it created are gone', async () => {
    for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const dir = join(tmp, `synth-${signal}`);
      mkdirSync(dir);
      const out = join(dir, 'sub', 'day.gz');
      // A day of market takes far longer to write than the test waits: the signal comes mid-write.
      const p = spawn(process.execPath, [makerBin(), 'data', 'synth', '--out', out, '--duration-s', '86400'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
      let stderr = '';
      p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((done) => p.on('exit', (code) => done(code)));
      try {
        const sub = join(dir, 'sub');
        for (let i = 0; i < 600 && !(existsSync(sub) && readdirSync(sub).some((f) => f.includes('.partial-'))); i++) await new Promise((r) => setTimeout(r, 50));
        expect(readdirSync(sub).filter((f) => f.includes('.partial-')), 'the partial file while writing').toHaveLength(1);
        p.kill(signal);
        expect(await exited, stderr).toBe(status);
      } finally {
        p.kill('SIGKILL');
      }
      expect(stderr).toBe(`maker: error [E_INTERRUPTED]: ${out}: stopped by ${signal} before it was complete; nothing was written, and nothing of it is left behind\n`);
      expect(readdirSync(dir), 'nothing left, not even the directory it created').toEqual([]);
    }
  }, 90_000);
});

describe('import --out', () => {
  it('leaves what else the directory holds alone; a --venue that is not a plain name is refused before reading', async () => {
    const rec = join(tmp, 'btcusdt_one.txt');
    writeFileSync(rec, '1723161255030314667 {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"T":1,"s":"BTCUSDT","t":1,"p":"1.0","q":"1","m":false}}\n');
    const store = join(tmp, 'store');
    mkdirSync(store);
    writeFileSync(join(store, 'notes.txt'), 'mine');
    const [ok, venue] = await Promise.all([
      makerAsync('import', rec, '--out', store, '--infer-spec', '--quiet', '--json'),
      makerAsync('import', rec, '--out', join(tmp, 'store2'), '--venue', '../escape', '--infer-spec', '--quiet'),
    ]);
    expect(ok.code).toBe(0);
    expect(readFileSync(join(store, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(store).sort()).toEqual(['binance-usdm', 'notes.txt']);
    expect(venue.code).toBe(2);
    expect(venue.stderr).toMatch(/field "--venue": must be a plain directory name .*got "\.\.\/escape"/);
    expect(existsSync(join(tmp, 'store2'))).toBe(false);
    expect(existsSync(join(tmp, 'escape'))).toBe(false);
  });
});
