// The report of a live session (src/live-report): a short session against the local exchange, then
// report.html built from its journal: the backtest's sections plus "live vs simulated"; the live
// fills are the exchange's trades of our account; the same journal gives the same bytes (twice,
// and from a copy of the journal elsewhere); without a simulation the section says so.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveMarketFeed, LiveSession, wallTimers } from '../../src/live/index.ts';
import { liveSessionReport, recordLiveSession, writeLiveSessionReport } from '../../src/live-report/index.ts';
import { parseScenario } from '../../src/scenario/index.ts';
import { parseFaults } from '../../src/exchange-fake/index.ts';
import { ACCOUNT, signed, startLocalExchange } from '../exchange-fake/helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SCENARIO_TEXT = readFileSync(join(ROOT, 'scenarios', 'quickstart.yaml'), 'utf8');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('live session report', () => {
  it('report.html of a short session: backtest sections, live vs simulated, live fills = the exchange\'s trades, same bytes for the same journal', async () => {
    // A few fills for sure: the exchange fills an order as we cancel it (requotes are cancel + new).
    const lx = await startLocalExchange({ config: { faults: parseFaults([{ kind: 'fill-before-cancel', afterMs: 1_500, times: 4, match: { symbol: 'BTCUSDT' } }]) } });
    cleanups.push(() => lx.close());
    const out = mkdtempSync(join(tmpdir(), 'livereport-test-'));
    cleanups.push(() => rmSync(out, { recursive: true, force: true }));
    const set = ['oms.modifyMode=cancel-replace', 'live.shutdown.confirmTimeoutS=10'];
    const session = new LiveSession({
      scenario: parseScenario(SCENARIO_TEXT, 'quickstart.yaml', { set }),
      scenarioText: SCENARIO_TEXT,
      overrides: set,
      rest: lx.base,
      ws: lx.wsBase,
      wsApi: `${lx.wsBase}/ws-fapi/v1`,
      credentials: { apiKey: ACCOUNT.apiKey, secret: ACCOUNT.secret, keyType: 'HMAC' },
      out,
      paper: false,
      feed: (o) => new LiveMarketFeed(o),
      wallUs: () => Date.now() * 1000,
      timers: wallTimers,
      log: () => {},
    });
    cleanups.push(async () => {
      await session.stop('cleanup');
    });
    await session.start();
    await new Promise((r) => setTimeout(r, 6_000));
    const summary = await session.stop('test over');
    expect(summary.exitCode).toBe(0);
    const trades = (await signed(lx.base, 'GET', '/fapi/v1/userTrades', { symbol: 'BTCUSDT', limit: 1000 })).json as unknown as { id: number; qty: string }[];

    const r = await writeLiveSessionReport(session.runDir);
    expect(r.replayMatched).toBe(true);
    expect(r.simulationError).toBeNull();
    const html = readFileSync(r.file, 'utf8');
    for (const id of ['run-info', 'configuration', 'metrics', 'equity', 'position-BTCUSDT', 'quotes-BTCUSDT', 'pnl-components', 'markouts', 'live-vs-simulated']) expect(html, id).toContain(`id="${id}"`);
    expect(html).toContain('<h1>maker live — quickstart</h1>');
    expect(html).toMatch(/Latency: the simulator's orders take a constant 5 ms/);
    expect(html).toMatch(/Queue: the simulator places our orders by the prob-power/);
    expect(html.includes(ACCOUNT.secret)).toBe(false);
    // The live side is what the session did: its orders, and the exchange's fills of our account.
    const c = r.comparison!.symbols[0];
    expect(c.byOrder.liveOrders).toBe(summary.runner.sent.submit);
    expect(c.live.fills).toBe(trades.length);
    expect(c.live.fills).toBeGreaterThan(0);
    expect(c.live.qtyLots).toBe(trades.reduce((n, t) => n + Math.round(Number(t.qty) * 1000), 0));
    expect(c.byOrder.simOrders).toBeGreaterThan(0);
    expect(c.byTime.liveFills).toBe(c.live.fills);
    expect(c.byTime.simFills).toBe(c.simulated.fills);
    // The PnL rows are the two ledgers' exact decompositions.
    expect(r.comparison!.pnl.map((p) => p.component)).toEqual(['spreadCapture', 'inventory', 'fees', 'funding', 'total']);
    expect(r.comparison!.pnl.find((p) => p.component === 'total')!.live).toBe(recordLiveSession(session.runDir).metrics.pnl.total);

    // Deterministic: again, and from a copy of the journal in another directory.
    expect((await liveSessionReport(session.runDir)).html).toBe(html);
    const copy = join(out, 'elsewhere', 'copy');
    mkdirSync(copy, { recursive: true });
    copyFileSync(join(session.runDir, 'journal.log'), join(copy, 'journal.log'));
    expect((await liveSessionReport(copy)).html).toBe(html);

    // Without the simulation the section says so; the rest is the same page.
    const bare = await liveSessionReport(session.runDir, { simulate: false });
    expect(bare.comparison).toBeNull();
    expect(bare.html).toMatch(/The simulated side could not be built: not asked for/);
  }, 60_000);
});
