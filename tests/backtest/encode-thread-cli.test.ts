// `maker backtest` with the report's tables encoded in a worker thread (src/backtest/report/
// encode-thread.ts) as a user runs it: every output file the same bytes as with the encoding in the
// run's thread; a wrong MAKER_ENCODE_THREAD is an error naming it. (Its own file: it is one of the
// longer CLI tests, and the runner spreads files over its workers.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const QUICK = join(ROOT, 'scenarios', 'quickstart.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'maker-bt-enc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The one run directory `--out DIR` holds (runs go into DIR/<run-id>/). */
function runDirIn(out: string): string {
  const [runId] = readdirSync(out);
  return join(out, runId);
}

describe('maker backtest, MAKER_ENCODE_THREAD', () => {
  it('a run whose orders fill more than one row group writes the same bytes with the tables encoded in a worker; a wrong value is an error naming it', () => {
    // 18 minutes of quickstart: ~18.5 k commands, more than one 16,384-row chunk of order events,
    // so the worker starts (at the first full chunk) and encodes both row groups of orders.parquet.
    const range = 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:18:00Z';
    const withEnv = (mode: string, out: string) =>
      spawnSync(process.execPath, [makerBin(), 'backtest', '--scenario', QUICK, '--set', range, '--out', out, '--json'], { encoding: 'utf8', cwd: ROOT, timeout: 120_000, env: { ...process.env, MAKER_ENCODE_THREAD: mode } });
    const main = withEnv('main', join(tmp, 'enc-main'));
    const worker = withEnv('worker', join(tmp, 'enc-worker'));
    expect(main.status, main.stderr).toBe(0);
    expect(worker.status, worker.stderr).toBe(0);
    const a = runDirIn(join(tmp, 'enc-main'));
    const b = runDirIn(join(tmp, 'enc-worker'));
    expect(JSON.parse(main.stdout).engine.commandsSent).toBeGreaterThan(16_384);
    for (const f of ['fills.parquet', 'orders.parquet', 'timeseries.parquet', 'summary.json', 'report.html']) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
    const bad = withEnv('sometimes', join(tmp, 'enc-bad'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/MAKER_ENCODE_THREAD=sometimes is not one of auto, worker, main/);
    expect(existsSync(join(tmp, 'enc-bad'))).toBe(false);
  });

});
