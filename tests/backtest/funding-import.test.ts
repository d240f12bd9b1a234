// Funding from an imported data.binance.vision fundingRate file (`maker data import`) on the real
// hftbacktest BTCUSDT recording, which crosses 2024-08-09 00:00 UTC and has no markPrice stream:
// before, the run charged nothing and said nothing; without the import it now warns NO_FUNDING,
// with it the 00:00 settlement is charged at the book mid and booked. Skips without ../shared.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtest } from '../../src/backtest/index.ts';
import { loadScenarioFile } from '../../src/scenario/index.ts';
import { EXCHANGE_INFO, HBT_BTC, haveReal } from '../support/shared-data.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const GLFT = join(ROOT, 'scenarios', 'btcusdt-20240808-glft.yaml');
const MIDNIGHT_US = Date.UTC(2024, 7, 9) * 1000;
const tmp = mkdtempSync(join(tmpdir(), 'maker-funding-import-'));
const store = join(tmp, 'store');
const maker = (...args: string[]) => spawnSync(process.execPath, [makerBin(), ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
// Past the recording's end (00:00:01.105) so the settlement at 00:00 is inside the run.
const RANGE = 'data.range=2024-08-08T23:54:00Z..2024-08-09T00:00:02Z';
const run = () => backtest(loadScenarioFile(GLFT, { set: [`data.store=${store}`, RANGE] }), () => 'funding-import');

describe.skipIf(!haveReal)('funding from an imported fundingRate history', () => {
  beforeAll(() => {
    expect(maker('import', HBT_BTC, '--spec', EXCHANGE_INFO, '--out', store, '--quiet').status).toBe(0);
  }, 120_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('without it: NO_FUNDING, nothing charged', async () => {
    const { dataQuality, result } = await run();
    expect(result.parts.recorder.fundingEvents).toEqual([]);
    expect(dataQuality.warnings.map((w) => w.code)).toContain('NO_FUNDING');
  }, 120_000);

  it('`maker data import` writes the side table; the run settles 00:00 at its rate and the mid, booked exactly, no warning', async () => {
    const file = join(tmp, 'BTCUSDT-fundingRate-2024-08.csv');
    writeFileSync(file, 'calc_time,funding_interval_hours,last_funding_rate\n1723132800000,8,0.00002000\n1723161600000,8,0.00010000\n1723190400000,8,0.00007000\n');
    const r = maker('data', 'import', file, '--out', store);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/3 funding record\(s\) of BTCUSDT/);
    expect(readFileSync(join(store, 'binance-usdm', 'BTCUSDT', 'funding-rate.csv'), 'utf8')).toBe(
      'funding_time_us,interval_hours,rate\n1723132800000000,8,0.00002000\n1723161600000000,8,0.00010000\n1723190400000000,8,0.00007000\n',
    );
    const { dataQuality, result } = await run();
    const f = result.parts.recorder.fundingEvents;
    expect(f.map((x) => [x.tsUs, x.rate])).toEqual([[MIDNIGHT_US, '0.00010000']]);
    expect(Number(f[0].markPrice)).toBeGreaterThan(50_000);
    expect(dataQuality.warnings.map((w) => w.code)).not.toContain('NO_FUNDING');
    expect(result.parts.core.portfolio.accountSnapshot('USDT').pnl.funding).toBe(f[0].payment);
    // The history is part of the data's identity.
    expect(result.data.fundingHistory?.BTCUSDT).toHaveLength(3);
  }, 120_000);

  it('refuses a file that is not a fundingRate file, naming it', () => {
    const bad = join(tmp, 'BTCUSDT-trades-2024-08-08.csv');
    writeFileSync(bad, '1,60000.1,0.001,60.0001,1723161600000,true\n');
    const r = maker('data', 'import', bad, '--out', store);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/BTCUSDT-trades-2024-08-08\.csv.*not a data\.binance\.vision fundingRate file/);
  });
});
