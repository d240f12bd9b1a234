// A backtest on a store written before maker-store/4 (no match time in book_ticker/trades): it
// runs with T = E, and says so with a NO_MATCH_TIME warning (stderr, summary, report.html) that
// tells how to re-import; --strict exits 1. A fresh import has no such warning.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downgradeToFormat3 } from '../store/old-format.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'maker-nomatch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function maker(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [makerBin(), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function scenario(store: string): string {
  const file = join(tmp, `${store.split('/').pop()}.yaml`);
  writeFileSync(file, `name: nomatch\nseed: 1\ndata:\n  source: store\n  store: ${store}\n  symbols: [BTCUSDT]\nstrategy:\n  kind: fixed\n  halfSpreadTicks: 2\n  sizeLots: 2\n  maxPositionLots: 20\nrisk:\n  maxPositionLots: 20\n`);
  return file;
}

function reportHtml(dir: string): string {
  const f = (readdirSync(dir, { recursive: true }) as string[]).find((p) => p.endsWith('report.html'));
  return readFileSync(join(dir, f!), 'utf8');
}

const fresh = join(tmp, 'store-new');
const old = join(tmp, 'store-old');

beforeAll(async () => {
  const rec = join(tmp, 'btcusdt_synth.gz');
  expect(maker('data', 'synth', '--out', rec, '--duration-s', '20', '--seed', '3').code).toBe(0);
  for (const store of [fresh, old]) expect(maker('import', rec, '--out', store, '--infer-spec', '--quiet').code).toBe(0);
  await downgradeToFormat3(old);
}, 90_000);

describe('NO_MATCH_TIME', () => {
  it('a maker-store/3 store: warning with the re-import advice in stderr, summary and report.html; --strict exits 1', () => {
    const runs = join(tmp, 'runs-old');
    const bt = maker('backtest', '--scenario', scenario(old), '--out', runs, '--json', '--quiet');
    expect(bt.code, bt.stderr).toBe(0);
    expect(bt.stderr).toMatch(/WARNING \[NO_MATCH_TIME\] BTCUSDT \d{4}-\d{2}-\d{2}: book_ticker, trades have no match time T \(stored before maker-store\/4\)/);
    expect(bt.stderr).toContain('import the source files again');
    const q = JSON.parse(bt.stdout).dataQuality;
    expect(q.warnings.map((w: { code: string }) => w.code)).toContain('NO_MATCH_TIME');
    expect(q.store.noMatchTime).toHaveLength(1);
    expect(q.store.noMatchTime[0].symbol).toBe('BTCUSDT');
    expect(q.store.noMatchTime[0].tables).toEqual(['book_ticker', 'trades']);
    const html = reportHtml(runs);
    expect(html).toContain('[NO_MATCH_TIME] BTCUSDT');
    expect(html).toMatch(/has no match time T in book_ticker, trades/);
    const strict = maker('backtest', '--scenario', scenario(old), '--out', join(tmp, 'runs-old-strict'), '--strict', '--quiet');
    expect(strict.code).toBe(1);
  });

  it('a fresh import has match time: no warning, --strict exits 0', () => {
    const bt = maker('backtest', '--scenario', scenario(fresh), '--out', join(tmp, 'runs-new'), '--json', '--strict', '--quiet');
    expect(bt.code, bt.stderr).toBe(0);
    expect(JSON.parse(bt.stdout).dataQuality.store.noMatchTime).toEqual([]);
  });
});
