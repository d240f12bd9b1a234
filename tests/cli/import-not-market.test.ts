// `maker import` skips @trade prints that are not market prints (X ≠ MARKET) and says how many of
// each kind in its summary (text and --json); the store holds only the market prints.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMarketEvents } from '../../src/store/index.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'maker-xmarket-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function maker(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [makerBin(), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const trade = (rxNs: string, t: number, price: string, x: string) => `${rxNs} {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256320,"s":"BTCUSDT","t":${t},"p":"${price}","q":"0.006","X":"${x}","m":false}}`;

describe('maker import and X ≠ MARKET', () => {
  it('skips INSURANCE_FUND and ADL prints, counts them per kind in the summary, stores the market prints with T', async () => {
    const file = join(tmp, 'btcusdt_20240808.txt');
    writeFileSync(file, `${[trade('1723161255088176367', 1, '61800.30', 'MARKET'), trade('1723161255088176368', 2, '61230.30', 'INSURANCE_FUND'), trade('1723161255088176369', 3, '61230.30', 'ADL'), trade('1723161255088176370', 4, '61800.40', 'MARKET')].join('\n')}\n`);
    const store = join(tmp, 'store');
    const r = maker('import', file, '--out', store, '--infer-spec');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('skipped trades that are not market prints (X ≠ MARKET): btcusdt@trade X=ADL 1, btcusdt@trade X=INSURANCE_FUND 1');
    expect(r.stdout).not.toContain('skipped unknown streams');
    const events = [];
    for await (const e of readMarketEvents(store, { venue: 'binance-usdm', symbol: 'BTCUSDT' })) events.push(e);
    expect(events.map((e) => (e.type === 'trade' ? [e.tradeId, e.tsTransactUs] : null))).toEqual([[1, 1723161256320000], [4, 1723161256320000]]);
    const json = maker('import', file, '--out', join(tmp, 'store2'), '--infer-spec', '--json');
    expect(JSON.parse(json.stdout).stats.skippedStreams).toEqual({ 'btcusdt@trade X=ADL': 1, 'btcusdt@trade X=INSURANCE_FUND': 1 });
  });
});
