// `maker backtest` end to end as a user runs it: real processes, exit codes, outputs; determinism
// (golden hash, batch-size independence, seeds) and bad input.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXCHANGE_INFO, HBT_BTC, haveReal } from '../support/shared-data.ts';
import { tablePath } from '../store/helpers.ts';
import { MAKER_BIN_SOURCE, makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** The one run directory `--out DIR` holds (runs go into DIR/<run-id>/). */
function runDirIn(out: string): string {
  const [runId] = readdirSync(out);
  return join(out, runId);
}
const BTC = HBT_BTC;
const SPEC = EXCHANGE_INFO;
const tmp = mkdtempSync(join(tmpdir(), 'maker-bt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(bin: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
/** `maker`: the per-run bundle of the CLI (tests/support/maker-bin.ts); `makerSource`: bin/maker.js itself. */
const maker = (...args: string[]) => run(makerBin(), args);
const makerSource = (...args: string[]) => run(MAKER_BIN_SOURCE, args);

const QUICK = join(ROOT, 'scenarios', 'quickstart.yaml');
const MINUTE = 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:29Z';

/**
 * Pinned: the event-log hash of quickstart over its first 30 s with seed 42. A change in any module's
 * behaviour changes it (update it deliberately). Updated once when the hash moved from SHA-256 of the
 * tab-separated text log to SHA-256 of its binary encoding (src/backtest/event-log.ts): the text
 * events.log of this run stayed byte-identical (its sha256 is the previous pin,
 * b23c27acadf910b2a61a9c34b8c6c42e01982edc4f06b56058c29b9158307418), so behaviour did not change.
 * Updated for issue 9 (was sha256:3259b6cd…8eb0): prints now fill at most their quantity across our
 * orders (conserved volume), own taker fills deplete the replayed book, and self-trade prevention
 * expires the maker; on quickstart's first 10 min fills went 1,388 → 1,449 (more, smaller partial
 * fills) and filled quantity 2.765 → 2.735 BTC.
 * Updated for issue 9's fused book (was sha256:d93f5afa…8f3d): both sides now read the depth book
 * with the synthetic market's real-time bookTickers laid over its top (the synthetic depth stream
 * is conflated like Binance's), so GTX orders that crossed the real best are rejected -5022 instead
 * of resting and filling; on quickstart's 10 min fills went 1,446 → 1,100, orders placed
 * 2,087 → 2,560, filled notional 168,748 → 126,697 USDT (measured with data.book=depth vs auto).
 */
const GOLDEN_QUICKSTART_MINUTE = 'sha256:0192c05ec57ba10a9d790791ff18a0ad997e2be23ca7d4b6469b5cfdd276a456';

describe('maker backtest (synthetic)', () => {
  it('runs quickstart, prints the summary as JSON and writes a complete run directory', () => {
    const reports = join(tmp, 'q1');
    const r = makerSource('backtest', '--scenario', QUICK, '--set', MINUTE, '--out', reports, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.determinism.eventLogHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(summary.engine.marketEvents).toBeGreaterThan(3_000);
    expect(summary.dataKind).toMatch(/full depth .*fused with the real-time bookTicker top/);
    expect(summary.runId).toMatch(/^quickstart-s42-[0-9a-f]{12}$/);
    // --out is the parent: the run directory is <out>/<run-id>/, and outDir says so.
    const out = join(reports, summary.runId);
    expect(summary.outDir).toBe(out);
    expect(readdirSync(reports)).toEqual([summary.runId]);
    expect(readdirSync(out).sort()).toEqual(['fills.parquet', 'orders.parquet', 'report.html', 'summary.json', 'timeseries.parquet']);
    const onDisk = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(onDisk.determinism.eventLogHash).toBe(summary.determinism.eventLogHash);
    expect(summary.determinism.eventLogHash).toBe(GOLDEN_QUICKSTART_MINUTE);

    // Same scenario and seed: byte-identical summary.json. Another seed: another synthetic market.
    const again = join(tmp, 'q2');
    expect(maker('backtest', '--scenario', QUICK, '--set', MINUTE, '--out', again, '--quiet').code).toBe(0);
    expect(readFileSync(join(again, summary.runId, 'summary.json'), 'utf8')).toBe(readFileSync(join(out, 'summary.json'), 'utf8'));
    const other = JSON.parse(maker('backtest', '--scenario', QUICK, '--set', MINUTE, '--seed', '43', '--out', join(tmp, 'q3'), '--json').stdout);
    expect(other.determinism.eventLogHash).not.toBe(summary.determinism.eventLogHash);
    expect(other.runId).toMatch(/^quickstart-s43-/);
  });

  it('prints a summary table and writes the event log when asked', () => {
    const out = join(tmp, 'q4');
    const r = maker('backtest', '--scenario', QUICK, '--set', MINUTE, '--set', 'report.eventLog=true', '--out', out, '--quiet');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PnL total\s+-?\d+(\.\d+)? USDT \(return/);
    expect(r.stdout).toMatch(/event log hash\s+sha256:/);
    // what was run, in words: strategy and parameters, latency, queue, fees, funding, risk, OMS
    expect(r.stdout).toMatch(/strategy\s+fixed: .*halfSpreadTicks=3/);
    expect(r.stdout).toMatch(/order latency\s+constant: entry 5000 µs, response 5000 µs/);
    expect(r.stdout).toMatch(/queue model\s+prob-power/);
    expect(r.stdout).toMatch(/fees\s+default: maker 0\.0002 \(2 bp\), taker 0\.0005 \(5 bp\)/);
    expect(r.stdout).toMatch(/funding\s+data: /);
    expect(r.stdout).toMatch(/risk limits\s+enforcePercentPrice=true/);
    expect(r.stdout).toMatch(/OMS\s+flattenOrderType=MARKET/);
    // data quality, reject reasons in words, Sharpe with its sample stated, the fee-vs-edge note
    expect(r.stdout).toMatch(/coverage\s+BTCUSDT: depth 100\.00 %/);
    expect(r.stdout).toMatch(/first quote\s+BTCUSDT: after 0\.0\d+ s/);
    expect(r.stdout).toMatch(/-5022 post-only would take: \d+/);
    expect(r.stdout).toMatch(/Sharpe \/ Sortino\s+not computed: 2 returns of 10 s, fewer than the minimum 10/);
    expect(r.stdout).toMatch(/notes\s+BTCUSDT: the edge captured per fill/);
    expect(r.stderr).toBe('');
    const [runId] = readdirSync(out);
    const log = readFileSync(join(out, runId, 'events.log'), 'utf8');
    expect(log.split('\n').some((l) => l.startsWith('submit\t'))).toBe(true);
  });

  it('a feed gap: the book out of sync is reported and warned about on stderr; --strict exits 1 after writing the report', () => {
    const gap = ['--set', 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:07Z', '--set', 'data.synthetic.regimes=[{kind: feedGap, startS: 3, durationS: 2}]'];
    const out = join(tmp, 'gap');
    const r = maker('backtest', '--scenario', QUICK, ...gap, '--out', out, '--quiet');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/book sync\s+BTCUSDT: valid \d+\.\d\d % of the run; out of sync 0\.\d+ s \(\d\.\d\d %/);
    expect(r.stdout).toMatch(/1 gaps,\s+1 resyncs, 0 crossed;\s+longest depth silence 2\.\d s/);
    expect(r.stderr).toMatch(/^maker: WARNING \[OUT_OF_SYNC\] BTCUSDT: the trader's book was out of sync for 0\.\d+ s \(\d\.\d\d % of the run, above 1 %; 1 gaps, 1 resyncs, 0 crossed\)$/m);
    expect(r.stderr).toMatch(/--strict makes this exit 1/);
    const summary = JSON.parse(readFileSync(join(runDirIn(out), 'summary.json'), 'utf8'));
    expect(summary.dataQuality.warnings.map((w: { code: string }) => w.code)).toEqual(['OUT_OF_SYNC']);
    expect(summary.dataQuality.symbols[0].book).toMatchObject({ gaps: 1, resyncs: 1 });
    expect(readFileSync(join(runDirIn(out), 'report.html'), 'utf8')).toContain('[OUT_OF_SYNC] BTCUSDT');

    const strictOut = join(tmp, 'gap-strict');
    const strict = maker('backtest', '--scenario', QUICK, ...gap, '--out', strictOut, '--json', '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/maker: WARNING \[OUT_OF_SYNC\]/);
    expect(strict.stderr).toMatch(/maker: --strict: 1 data-quality warning; exit status 1/);
    expect(JSON.parse(strict.stdout).dataQuality.warnings).toHaveLength(1);
    expect(readdirSync(runDirIn(strictOut)).sort()).toEqual(['fills.parquet', 'orders.parquet', 'report.html', 'summary.json', 'timeseries.parquet']);
    // The same run without the gap is clean, --strict or not.
    const clean = maker('backtest', '--scenario', QUICK, '--set', 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:07Z', '--out', join(tmp, 'clean-strict'), '--quiet', '--strict');
    expect([clean.code, clean.stderr]).toEqual([0, '']);
  });

  it('a short store for a long range: the coverage shortfall is shown and warned about; --strict exits 1', () => {
    const rec = join(tmp, 'synth-20s.gz');
    expect(maker('data', 'synth', '--out', rec, '--duration-s', '20').code).toBe(0);
    const store = join(tmp, 'synth-store');
    expect(maker('import', rec, '--infer-spec', '--out', store, '--quiet').code).toBe(0);
    const args = ['backtest', '--scenario', QUICK, '--set', 'data.source=store', '--set', `data.store=${store}`, '--set', 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:59:59Z', '--quiet'];
    const r = maker(...args, '--out', join(tmp, 'short'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/requested\s+2024-01-01T00:00:00Z\.\.2024-01-01T00:59:59Z \(60\.0 min\)/);
    expect(r.stdout).toMatch(/coverage\s+BTCUSDT: depth 0\.5\d %/);
    expect(r.stderr).toMatch(/^maker: WARNING \[COVERAGE\] BTCUSDT depth: the data covers 20\.\d s of the 60\.0 min requested \(0\.5\d %, below 99 %\)$/m);
    const strict = maker(...args, '--out', join(tmp, 'short-strict'), '--strict');
    expect(strict.code).toBe(1);
    expect(existsSync(join(runDirIn(join(tmp, 'short-strict')), 'summary.json'))).toBe(true);
  });

  it('a scenario with a typo fails with file, line and key, exit 2, and writes nothing', () => {
    const bad = join(tmp, 'typo.yaml');
    writeFileSync(bad, readFileSync(QUICK, 'utf8').replace('halfSpreadTicks: 3', 'halfSpreadTick: 3'));
    const out = join(tmp, 'never');
    const r = maker('backtest', '--scenario', bad, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/typo\.yaml:\d+: key "strategy\.halfSpreadTick": unknown key/);
    expect(existsSync(out)).toBe(false);
    expect(maker('backtest', '--scenario', join(tmp, 'missing.yaml')).code).toBe(2);
  });

  it('a missing store says which command brings the data', () => {
    const r = maker('backtest', '--scenario', join(ROOT, 'scenarios', 'btc-jan.yaml'), '--set', `data.store=${join(tmp, 'no-store')}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_STORE/);
    expect(r.stderr).toMatch(/npx maker download --symbols BTCUSDT --from 2024-01-01 --to 2024-01-31 --types bookTicker,trades --import --store data\/store/);
  });
});

describe.skipIf(!haveReal)('maker backtest (real BTCUSDT sample in a store)', () => {
  const store = join(tmp, 'store');
  const GLFT = join(ROOT, 'scenarios', 'btcusdt-20240808-glft.yaml');
  beforeAll(() => {
    const r = maker('import', BTC, '--spec', SPEC, '--out', store, '--quiet');
    expect(r.code).toBe(0);
  }, 120_000);

  // The recording starts at 23:54:15.03 (receive time), its REST snapshot a few diffs later: a range
  // from 23:54:15 is covered and has the snapshot, so the run raises no data-quality warning (GLFT
  // warms up within its first minute). From 23:54:16 the snapshot is cut off and the book never syncs.
  const run = (...extra: string[]) => {
    const r = maker('backtest', '--scenario', GLFT, '--set', `data.store=${store}`, '--set', 'data.range=2024-08-08T23:54:15Z..2024-08-08T23:56:29Z', '--json', ...extra);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('gives the same event log whatever the reader batch size', () => {
    const a = run('--batch-rows', '997', '--out', join(tmp, 'b1'));
    const b = run('--batch-rows', '65536', '--out', join(tmp, 'b2'));
    expect(a.engine.marketEvents).toBeGreaterThan(30_000);
    expect(b.determinism.eventLogHash).toBe(a.determinism.eventLogHash);
    expect(readFileSync(join(b.outDir, 'summary.json'), 'utf8')).toBe(readFileSync(join(a.outDir, 'summary.json'), 'utf8'));
  }, 120_000);

  it('a seed changes only what draws randomness', () => {
    const fixed = ['--set', 'execution.queue.model=risk-averse'];
    const s1 = run(...fixed, '--seed', '1', '--out', join(tmp, 's1'));
    const s2 = run(...fixed, '--seed', '2', '--out', join(tmp, 's2'));
    expect(s2.determinism.eventLogHash).toBe(s1.determinism.eventLogHash); // nothing random in this setup
    const random = ['--set', 'execution.orderLatency.model=random', '--set', 'execution.orderLatency.entryMeanUs=3000'];
    const r1 = run(...random, '--seed', '1', '--out', join(tmp, 'r1'));
    const r2 = run(...random, '--seed', '2', '--out', join(tmp, 'r2'));
    expect(r2.determinism.eventLogHash).not.toBe(r1.determinism.eventLogHash);
    expect(r2.engine.marketEvents).toBe(r1.engine.marketEvents);
  }, 120_000);

  it('a time range with no data and a corrupt store file fail clearly with no run directory', () => {
    const empty = maker('backtest', '--scenario', GLFT, '--set', `data.store=${store}`, '--set', 'data.range=2023-01-01..2023-01-02', '--out', join(tmp, 'e1'));
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no market data for BTCUSDT in 2023-01-01\.\.2023-01-02/);
    expect(existsSync(join(tmp, 'e1'))).toBe(false);

    const broken = join(tmp, 'broken');
    cpSync(store, broken, { recursive: true });
    const dir = join(broken, 'binance-usdm', 'BTCUSDT');
    const date = readdirSync(dir).find((d) => statSync(join(dir, d)).isDirectory())!;
    const file = tablePath(broken, 'binance-usdm', 'BTCUSDT', date, 'trades');
    writeFileSync(file, readFileSync(file).subarray(0, 200));
    const r = maker('backtest', '--scenario', GLFT, '--set', `data.store=${broken}`, '--out', join(tmp, 'c1'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/trades\.[0-9a-f]{16}\.parquet/);
    expect(existsSync(join(tmp, 'c1'))).toBe(false);
  }, 120_000);

  it('a symbol without an instrument spec fails clearly with no run directory', () => {
    const noSpec = join(tmp, 'no-spec');
    cpSync(store, noSpec, { recursive: true });
    const dir = join(noSpec, 'binance-usdm', 'BTCUSDT');
    for (const date of readdirSync(dir)) {
      const metaFile = join(dir, date, 'meta.json');
      if (!existsSync(metaFile)) continue;
      const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
      meta.instrument.tickSize = 'lots';
      writeFileSync(metaFile, JSON.stringify(meta));
    }
    const r = maker('backtest', '--scenario', GLFT, '--set', `data.store=${noSpec}`, '--out', join(tmp, 'n1'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_NO_SPEC.*no instrument spec for symbol BTCUSDT/);
    expect(r.stderr).toMatch(/"lots" is not a decimal number/);
    expect(r.stderr).toMatch(/data\.spec/);
    expect(existsSync(join(tmp, 'n1'))).toBe(false);
    // With data.spec pointing at an exchangeInfo file, the same store runs.
    const ok = maker('backtest', '--scenario', GLFT, '--set', `data.store=${noSpec}`, '--set', `data.spec=${SPEC}`, '--set', 'data.range=2024-08-08T23:54:00Z..2024-08-08T23:54:40Z', '--out', join(tmp, 'n2'), '--quiet');
    // 40 s from 23:54:00: the data starts 15 s late and GLFT does not warm up; warned about, not an error.
    expect(ok.stderr).not.toMatch(/maker: error/);
    expect(ok.stderr).toMatch(/WARNING \[COVERAGE\]/);
    expect(ok.code).toBe(0);
  }, 120_000);
});
