// Runs in process: a multi-symbol run (BTCUSDT + ETHUSDT recorded together, imported into one
// store) in one clock, and the engine's lazy-replay fast paths (events built only when a side takes
// them, skipped no-op events, flat depth diffs) against the plain `onMarketEvent` path.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtest, realParts, runScenario, type PartsContext, type RunParts } from '../../src/backtest/index.ts';
import type { SimVenue } from '../../src/model/venue.ts';
import type { TraderPort } from '../../src/trader/index.ts';
import { loadScenarioFile, type Scenario } from '../../src/scenario/index.ts';
import { EXCHANGE_INFO, HBT_BTC, HBT_ETH, haveReal as haveBtc } from '../support/shared-data.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BTC = HBT_BTC;
const ETH = HBT_ETH;
const SPEC = EXCHANGE_INFO;
const haveReal = haveBtc && existsSync(ETH);
const tmp = mkdtempSync(join(tmpdir(), 'maker-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The real parts with every fast path removed: each event is built and given to `onMarketEvent`. */
function plainParts(ctx: PartsContext): RunParts {
  const p = realParts(ctx);
  const core = p.core;
  const trader: TraderPort = {
    onMarketEvent: (e) => core.onMarketEvent(e),
    onVenueEvent: (e) => core.onVenueEvent(e),
    onTimer: (t) => core.onTimer(t),
    nextTimerUs: () => core.nextTimerUs(),
    drainCommands: () => core.drainCommands(),
  };
  const sim = p.sim;
  const venue: SimVenue = { onMarketEvent: (e) => sim.onMarketEvent(e), send: (cmd, t) => sim.send(cmd, t), drainEvents: () => sim.drainEvents() };
  return { trader, venue, observer: p.observer };
}

describe('fast paths (synthetic quickstart)', () => {
  it('give the same event log and statistics as building every event', async () => {
    const s = loadScenarioFile(join(ROOT, 'scenarios', 'quickstart.yaml'), { set: ['data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:20Z'] });
    const fast = await runScenario(s, realParts);
    const plain = await runScenario(s, plainParts);
    expect(fast.stats.commandsSent).toBeGreaterThan(10);
    expect(fast.eventLogHash).toBe(plain.eventLogHash);
    expect(fast.stats).toEqual(plain.stats);
  });

  it('deliver trades to both sides through onFlatTrade, one reused object, without building them', async () => {
    const s = loadScenarioFile(join(ROOT, 'scenarios', 'quickstart.yaml'), { set: ['data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:20Z'] });
    const objects = { trader: new Set<object>(), venue: new Set<object>() };
    let built = 0;
    const counting = (ctx: PartsContext): RunParts => {
      const p = realParts(ctx);
      const core = p.core;
      const sim = p.sim;
      const trader: TraderPort = {
        onMarketEvent: (e) => {
          if (e.type === 'trade') built++;
          core.onMarketEvent(e);
        },
        onFlatTrade: (e) => {
          objects.trader.add(e);
          core.onFlatTrade(e);
        },
        onVenueEvent: (e) => core.onVenueEvent(e),
        onTimer: (t) => core.onTimer(t),
        nextTimerUs: () => core.nextTimerUs(),
        drainCommands: () => core.drainCommands(),
      };
      const venue: SimVenue = {
        onMarketEvent: (e, t) => {
          if (e.type === 'trade') built++;
          sim.onMarketEvent(e, t);
        },
        onFlatTrade: (e, t) => {
          objects.venue.add(e);
          sim.onFlatTrade(e, t);
        },
        send: (cmd, t) => sim.send(cmd, t),
        drainEvents: () => sim.drainEvents(),
      };
      return { trader, venue, observer: p.observer };
    };
    const flat = await runScenario(s, counting);
    const plain = await runScenario(s, plainParts);
    expect(built).toBe(0);
    expect(objects.trader.size).toBe(1);
    expect(objects.venue.size).toBe(1);
    expect(flat.eventLogHash).toBe(plain.eventLogHash);
    expect(flat.stats).toEqual(plain.stats);
  });
});

describe.skipIf(!haveReal)('BTCUSDT + ETHUSDT recorded together, one store, one clock', () => {
  const store = join(tmp, 'store');
  let scenario: Scenario;
  beforeAll(() => {
    const r = spawnSync(process.execPath, [makerBin(), 'import', BTC, ETH, '--spec', SPEC, '--out', store, '--quiet'], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The range starts before the recording so that it holds the REST snapshot the books sync from.
    scenario = loadScenarioFile(join(ROOT, 'scenarios', 'btcusdt-20240808-glft.yaml'), {
      set: [`data.store=${store}`, 'data.symbols=[BTCUSDT, ETHUSDT]', 'data.range=2024-08-08T23:54:00Z..2024-08-08T23:57:00Z',
        // 10 lots: 0.01 BTC / 0.01 ETH, above both symbols' minimum notional.
        'strategy.sizeLots=10', 'strategy.maxPositionLots=100', 'risk.maxPositionLots=100'],
    });
  }, 120_000);

  it('trades both symbols, interleaved in time, whatever the reader batch size', async () => {
    const seen: { symbol: string; localUs: number }[] = [];
    const watch = (ctx: PartsContext) => {
      const p = realParts(ctx);
      const on = p.core.onMarketEvent.bind(p.core);
      const flat = p.core.onFlatDepthDiff.bind(p.core);
      p.core.onMarketEvent = (e) => {
        seen.push({ symbol: e.symbol, localUs: ctx.clock.nowUs() });
        on(e);
      };
      p.core.onFlatDepthDiff = (symbol, d) => {
        seen.push({ symbol, localUs: ctx.clock.nowUs() });
        flat(symbol, d);
      };
      return p;
    };
    const a = await runScenario(scenario, watch, { batchRows: 997 });
    const symbolsInOrder = seen.map((x) => x.symbol);
    expect(new Set(symbolsInOrder)).toEqual(new Set(['BTCUSDT', 'ETHUSDT']));
    // One clock: the strategy side's times never go back across symbols, and the symbols alternate.
    for (let i = 1; i < seen.length; i++) expect(seen[i].localUs).toBeGreaterThanOrEqual(seen[i - 1].localUs);
    let switches = 0;
    for (let i = 1; i < symbolsInOrder.length; i++) if (symbolsInOrder[i] !== symbolsInOrder[i - 1]) switches++;
    expect(switches).toBeGreaterThan(1000);

    const fills = new Map<string, number>();
    const outcome = await backtest(scenario, () => 'multi', { batchRows: 65_536 });
    for (const m of outcome.metrics.symbols) fills.set(m.symbol, m.fills);
    expect(fills.get('BTCUSDT')).toBeGreaterThan(0);
    expect(fills.get('ETHUSDT')).toBeGreaterThan(0);
    expect(outcome.result.eventLogHash).toBe(a.eventLogHash);
    expect(outcome.result.stats.marketEvents).toBe(a.stats.marketEvents);
    expect(outcome.result.data.instruments.map((i) => i.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
  }, 60_000);

  it('decoding the store in a worker thread changes nothing (same hash, stats and event order as in-thread)', async () => {
    const inThread = await runScenario(scenario, realParts, { batchRows: 4096, decodeThread: 'main' });
    const worker = await runScenario(scenario, realParts, { batchRows: 4096, decodeThread: 'worker' });
    expect(inThread.stats.commandsSent).toBeGreaterThan(100);
    expect(worker.eventLogHash).toBe(inThread.eventLogHash);
    expect(worker.stats).toEqual(inThread.stats);
  }, 60_000);

  it('the fast paths change nothing on merged columnar batches', async () => {
    const fast = await runScenario(scenario, realParts, { batchRows: 4096 });
    const plain = await runScenario(scenario, plainParts, { batchRows: 4096 });
    expect(fast.stats.commandsSent).toBeGreaterThan(100);
    expect(fast.eventLogHash).toBe(plain.eventLogHash);
    expect(fast.stats).toEqual(plain.stats);
  }, 60_000);
});
