// The exchange-side account and funding in whole runs (synthetic quickstart market): -2019 on a
// tiny account, a liquidation booked in the ledger exactly, funding from a configured rate at the
// mid across 00:00 UTC, and the NO_FUNDING warning (with --strict exit 1 on the CLI).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backtest } from '../../src/backtest/index.ts';
import { loadScenarioFile } from '../../src/scenario/index.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const QUICK = join(ROOT, 'scenarios', 'quickstart.yaml');
const run = (...set: string[]) => backtest(loadScenarioFile(QUICK, { set }), () => 'test-run');
const SHORT = 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:29Z';
/** Crosses the 00:00 UTC funding time of 2024-01-02. */
const MIDNIGHT = 'data.range=2024-01-01T23:59:40Z..2024-01-02T00:00:19Z';
const NO_MARK = 'data.streams=depth,trades,bookTicker';

describe('exchange-side margin in a run', () => {
  it('a 20 USDT account at 1× quoting 0.002 BTC (≈124 USDT) gets every quote rejected -2019, and the notes say so', async () => {
    const { result, notes, metrics } = await run(SHORT, 'account.balances.USDT=20', 'account.leverage=1');
    const sim = result.parts.sim;
    expect(sim.counters.marginRejects).toBeGreaterThan(0);
    expect(sim.counters.fills).toBe(0);
    expect(metrics.symbols[0].fills).toBe(0);
    expect(notes.some((n) => /rejected -2019 "Margin is insufficient\."/.test(n))).toBe(true);
  });

  it('with account.margin false the same account trades (the old behaviour)', async () => {
    const { result } = await run(SHORT, 'account.balances.USDT=20', 'account.leverage=1', 'account.margin=false');
    expect(result.parts.sim.counters.marginRejects).toBe(0);
    expect(result.parts.sim.counters.fills).toBeGreaterThan(0);
  });

  it('a liquidation: CALCULATED autoclose- fill booked in the ledger, positions agree, equity equals the exchange\'s exactly', async () => {
    // 70 USDT at 4×, maintenance 30 % of notional (above the 25 % initial margin): 4 lots (≈247
    // USDT, initial margin ≈62) may be opened but need ≈74 of maintenance: liquidated at once.
    const { result, notes } = await run(
      'data.range=2024-01-01T00:00:00Z..2024-01-01T00:04:59Z',
      'account.balances.USDT=70',
      'account.leverage=4',
      'account.brackets={BTCUSDT: [{initialLeverage: 4, maintMarginRatio: 0.3}]}',
    );
    const { sim, core, liquidations } = result.parts;
    expect(sim.counters.liquidations).toBeGreaterThan(0);
    expect(liquidations.length).toBeGreaterThan(0);
    const l = liquidations[0];
    expect(l.clientOrderId).toMatch(/^autoclose-\d+$/);
    expect(l.positionLots).toBe(0);
    expect(notes.some((n) => n.startsWith('BTCUSDT: LIQUIDATED at '))).toBe(true);
    // The trader's OMS, its ledger and the exchange hold the same position.
    expect(core.portfolio.positionLots('BTCUSDT')).toBe(sim.positionLots('BTCUSDT'));
    // The ledger booked exactly what the exchange did: valued at the exchange's reference price,
    // the trader's equity is the exchange's margin balance to the last digit.
    const ref = sim.referencePrice('BTCUSDT');
    expect(ref).not.toBeNull();
    core.portfolio.mark({ symbol: 'BTCUSDT', tsUs: result.stats.lastUs, markPrice: ref! });
    expect(core.portfolio.accountSnapshot('USDT').equity).toBe(sim.accountEquity());
  });
});

describe('funding always, or loudly', () => {
  it('no markPrice stream across 00:00 UTC in data mode: NO_FUNDING, nothing charged', async () => {
    const { dataQuality, result } = await run(MIDNIGHT, NO_MARK);
    expect(result.parts.recorder.fundingEvents).toEqual([]);
    const w = dataQuality.warnings.filter((x) => x.code === 'NO_FUNDING');
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ symbol: 'BTCUSDT' });
    expect(w[0].message).toMatch(/crosses 1 funding time\(s\) but no funding was charged/);
  });

  it('a configured rate with mark ≈ mid across 00:00 UTC: charged at the mid, booked, no warning', async () => {
    const { dataQuality, result, core } = await run(MIDNIGHT, NO_MARK, 'execution.funding.mode=rate', 'execution.funding.ratePerInterval=0.001').then((o) => ({ ...o, core: o.result.parts.core }));
    const f = result.parts.recorder.fundingEvents;
    expect(f).toHaveLength(1);
    expect(f[0].tsUs).toBe(Date.UTC(2024, 0, 2) * 1000);
    expect(f[0].rate).toBe('0.001');
    expect(Number(f[0].markPrice)).toBeGreaterThan(10_000); // the book mid, not zero
    expect(dataQuality.warnings.filter((x) => x.code === 'NO_FUNDING')).toEqual([]);
    const acct = core.portfolio.accountSnapshot('USDT');
    expect(acct.pnl.funding).toBe(f[0].payment);
  });

  it('with the markPrice stream (data mode) the settlement comes from the data: no warning', async () => {
    const { dataQuality, result } = await run(MIDNIGHT);
    expect(result.parts.recorder.fundingEvents.length).toBeGreaterThan(0);
    expect(dataQuality.warnings.filter((x) => x.code === 'NO_FUNDING')).toEqual([]);
  });

  it('a run that crosses no funding time raises nothing', async () => {
    const { dataQuality } = await run(SHORT, NO_MARK);
    expect(dataQuality.warnings.filter((x) => x.code === 'NO_FUNDING')).toEqual([]);
  });
});

describe('NO_FUNDING on the CLI', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'maker-funding-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  it('goes to stderr and --strict exits 1 after writing the report (summary and report.html carry it)', () => {
    const out = join(tmp, 'r');
    const r = spawnSync(process.execPath, [makerBin(), 'backtest', '--scenario', QUICK, '--set', MIDNIGHT, '--set', NO_MARK, '--out', out, '--json', '--strict'], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/WARNING \[NO_FUNDING\] BTCUSDT: the run crosses 1 funding time/);
    const summary = JSON.parse(r.stdout);
    expect(summary.dataQuality.warnings.map((w: { code: string }) => w.code)).toContain('NO_FUNDING');
    const html = spawnSync('cat', [join(out, summary.runId, 'report.html')], { encoding: 'utf8' }).stdout;
    expect(html).toMatch(/NO_FUNDING|no funding was charged/);
  });
});
