// Liquidation orders in the store do not change a backtest: the same synthetic market imported
// into two stores, one of them also holding a liquidation order every half second (table
// force_orders, maker-store/5), gives the same event-log hash and statistics.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { realParts, runScenario } from '../../src/backtest/index.ts';
import type { ForceOrder, MarketEvent } from '../../src/model/events.ts';
import { loadScenarioFile } from '../../src/scenario/index.ts';
import { importEvents, openStore } from '../../src/store/index.ts';
import { DEFAULT_SYNTHETIC, generateSynthetic, syntheticInstrument } from '../../src/synthetic/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'maker-bt-force-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const START_US = Date.UTC(2024, 0, 1) * 1000;
const inst = syntheticInstrument('BTCUSDT');

async function storeOf(dir: string, events: MarketEvent[]): Promise<string> {
  const root = join(tmp, dir);
  await importEvents({ root, venue: 'binance-usdm', instruments: [inst], provenance: { importer: 'test', inputs: [] } }, [events]);
  return root;
}

describe('a backtest on a store with liquidation orders', () => {
  it('gives the same results as without them', async () => {
    const market = [...generateSynthetic({ ...DEFAULT_SYNTHETIC, seed: 42, startUs: START_US, durationS: 20 }, inst)].flat();
    const withForce: MarketEvent[] = [...market];
    // After the market event at each half second, at its receive time (so it shares a `seq` run).
    for (let t = START_US + 500_000; t < START_US + 19_000_000; t += 500_000) {
      const i = withForce.findIndex((e) => e.tsReceiveUs >= t);
      const at = withForce[i];
      const f: ForceOrder = {
        type: 'forceOrder', symbol: 'BTCUSDT', tsExchangeUs: at.tsExchangeUs, tsReceiveUs: at.tsReceiveUs, tsTransactUs: at.tsExchangeUs, side: i % 2 === 0 ? 'sell' : 'buy', orderType: 'LIMIT',
        timeInForce: 'IOC', origQtyLots: 500, priceTicks: DEFAULT_SYNTHETIC.startMidTicks, avgPrice: '61800.01234567', status: 'FILLED', lastFilledQtyLots: 500, filledQtyLots: 500,
      };
      withForce.splice(i + 1, 0, f);
    }
    const plain = await storeOf('plain', market);
    const forced = await storeOf('forced', withForce);
    expect((await openStore(forced)).tables('binance-usdm', 'BTCUSDT', '2024-01-01')).toContain('force_orders');

    const scenario = (store: string) =>
      loadScenarioFile(join(ROOT, 'scenarios', 'quickstart.yaml'), { set: ['data.source=store', `data.store=${store}`, 'data.venue=binance-usdm', 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:19Z'] });
    const a = await runScenario(scenario(plain), realParts);
    const b = await runScenario(scenario(forced), realParts);
    expect(a.stats.commandsSent).toBeGreaterThan(10);
    expect(b.eventLogHash).toBe(a.eventLogHash);
    expect(b.stats).toEqual(a.stats);
    // The data fingerprint is another one: it covers the partitions' import records, which count the
    // liquidation rows too, and the `seq` of the rows sharing a receive time with one.
  }, 60_000);
});
