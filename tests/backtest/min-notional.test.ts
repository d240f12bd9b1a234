// MIN_NOTIONAL as a scenario error (src/backtest/min-notional.ts): a strategy whose orders can
// never meet it stops before the run, naming the key and the minimum. On the old code these runs
// "succeeded" with every order rejected -4164.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backtest } from '../../src/backtest/index.ts';
import { ScenarioError, loadScenarioFile } from '../../src/scenario/index.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const QUICK = join(ROOT, 'scenarios', 'quickstart.yaml');
const SHORT = 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:09Z';
/** The synthetic market at 3000.0 (its instrument: step 0.001, MIN_NOTIONAL 5 USDT). */
const CHEAP = 'data.synthetic={startMidTicks: 30000}';
const run = (...set: string[]) => backtest(loadScenarioFile(QUICK, { set }), () => 'test-run');

describe('MIN_NOTIONAL', () => {
  it('strategy.sizeLots whose notional at the first price is below MIN_NOTIONAL: a scenario error naming the key and the minimum', async () => {
    const err = await run(SHORT, CHEAP, 'strategy.sizeLots=1').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioError);
    const e = err as ScenarioError;
    expect(e.location.field).toBe('strategy.sizeLots');
    expect(e.location.file).toBe(QUICK);
    expect(e.message).toMatch(/^1 lot\(s\) = 0\.001 BTC × ~3,000\.05 USDT \(the first price of BTCUSDT in the data\) = 3\.00005 USDT is below BTCUSDT's MIN_NOTIONAL of 5 USDT/);
    expect(e.describe()).toMatch(/key "strategy\.sizeLots"/);
  });

  it('the same size at a price where it meets the minimum runs', async () => {
    const { result } = await run(SHORT, CHEAP, 'strategy.sizeLots=2');
    expect(result.stats.marketEvents).toBeGreaterThan(0);
  });

  it('strategy.sizeNotionalQuote below MIN_NOTIONAL is refused whatever the price', async () => {
    const err = await run(SHORT, 'strategy.sizeLots=null', 'strategy.sizeNotionalQuote=4').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).location.field).toBe('strategy.sizeNotionalQuote');
    expect((err as ScenarioError).message).toMatch(/^4 USDT is below BTCUSDT's MIN_NOTIONAL of 5 USDT/);
  });

  const tmp = mkdtempSync(join(tmpdir(), 'maker-minnotional-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  it('on the CLI: exit 2, the key on stderr, no run directory', () => {
    const out = join(tmp, 'out');
    const r = spawnSync(process.execPath, [makerBin(), 'backtest', '--scenario', QUICK, '--set', SHORT, '--set', CHEAP, '--set', 'strategy.sizeLots=1', '--out', out], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/key "strategy\.sizeLots".*MIN_NOTIONAL of 5 USDT/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });
});
