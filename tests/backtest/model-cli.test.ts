// `maker backtest` on a model-market scenario as a user runs it: JSON shape, run directory,
// determinism of the bytes, --set of γ, the terminal table, and errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareData } from '../../src/backtest/index.ts';
import { loadScenarioFile } from '../../src/scenario/index.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const AS2008 = join(ROOT, 'scenarios', 'model-as2008.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'maker-model-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function maker(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [makerBin(), ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('maker backtest (model market)', () => {
  it('prints the summary with model: {paths, profit, finalInventory} as JSON and writes summary.json + paths.csv, byte-identical on a rerun', () => {
    const out = join(tmp, 'json');
    const r = maker('backtest', '-s', AS2008, '--set', 'data.model.paths=50', '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.runId).toMatch(/^model-as2008-s1-[0-9a-f]{12}$/);
    expect(s.dataKind).toBe('model');
    expect(s.model.paths).toBe(50);
    expect(s.model.steps).toBe(200);
    for (const k of ['profit', 'finalInventory', 'fills']) {
      expect(Object.keys(s.model[k]).sort()).toEqual(['mean', 'std', 'stdErr']);
      for (const v of Object.values(s.model[k])) expect(Number.isFinite(v)).toBe(true);
    }
    expect(s.model.profit.mean).toBeGreaterThan(55);
    expect(s.model.profit.mean).toBeLessThan(75);
    expect(s.model.world).toMatchObject({ s0: 100, sigma: 2, aPerS: 140, k: 1.5, midStepTicks: 141_421, tickSize: '0.000001' });
    expect(s.outDir).toBe(join(out, s.runId));
    expect(readdirSync(s.outDir).sort()).toEqual(['paths.csv', 'summary.json']);
    const onDisk = readFileSync(join(s.outDir, 'summary.json'), 'utf8');
    const { outDir: _o, ...rest } = s;
    expect(JSON.parse(onDisk)).toEqual(rest);
    const csv = readFileSync(join(s.outDir, 'paths.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('path,profit,final_inventory_lots,fills');
    expect(csv).toHaveLength(51);
    const mean = csv.slice(1).reduce((a, line) => a + Number(line.split(',')[1]), 0) / 50;
    expect(mean).toBeCloseTo(s.model.profit.mean, 9);
    // Same seed, same scenario: the same bytes (the earlier copy of the run is replaced).
    const again = maker('backtest', '-s', AS2008, '--set', 'data.model.paths=50', '--out', out, '--json');
    expect(again.stdout).toBe(r.stdout);
    expect(readFileSync(join(s.outDir, 'summary.json'), 'utf8')).toBe(onDisk);
  });

  it('takes γ from --set strategy.gamma and prints a readable table row on the terminal', () => {
    const out = join(tmp, 'text');
    const base = maker('backtest', '-s', AS2008, '--set', 'data.model.paths=50', '--out', out, '--json');
    const low = maker('backtest', '-s', AS2008, '--set', 'data.model.paths=50', '--set', 'strategy.gamma=0.01', '--out', out, '--json');
    expect(low.code).toBe(0);
    const [a, b] = [JSON.parse(base.stdout), JSON.parse(low.stdout)];
    expect(b.runId).not.toBe(a.runId);
    expect(b.scenario.trader.strategy.gamma).toBe(0.01);
    // Less risk aversion: a wider spread of final inventories (paper: 4.70 vs 2.80).
    expect(b.model.finalInventory.std).toBeGreaterThan(a.model.finalInventory.std);
    const text = maker('backtest', '-s', AS2008, '--set', 'data.model.paths=50', '--out', out);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/model world AS2008: 50 paths × 200 steps of 0\.005 s/);
    expect(text.stdout).toMatch(/paths\s+mean spread\s+profit mean \(std\) ±s\.e\.\s+final q mean \(std\) ±s\.e\.\s+fills\/path\n50\s+1\.49\d\s+\d+\.\d\d \(\d+\.\d\d\) ±\d\.\d\d/);
  });

  it('is not run through the event engine', async () => {
    await expect(prepareData(loadScenarioFile(AS2008))).rejects.toThrow(/runs in the model world/);
  });

  it('fails with exit 2 naming the key a model run does not use', () => {
    const r = maker('backtest', '-s', AS2008, '--set', 'execution.partialFills=false', '--out', join(tmp, 'bad'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/key "execution": is not used by a model market/);
  });
});
