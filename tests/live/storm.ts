// The storm harness of the live fault tests (faults-*.test.ts) and the soak (soak.test.ts): one
// `maker live` session against the local exchange with a fault plan (issue 12), then the
// invariants (`expectSurvived`): no orphan order (the confirmed shutdown leaves nothing open), no
// lost or duplicated fill (every trade id the core booked is one of the exchange's, once; the core's
// position equals the exchange's), and the journal replays to the same commands. The short storms
// are in three files (faults-streams, faults-orders, faults-pushback) so that their wall-clock
// schedules (~100 s in all) run side by side rather than one after another at the end of the suite;
// the long one is soak.test.ts (MAKER_LIVE_SOAK_S). Fault 12 (kill -9 and restart) is in cli.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { parseFaults, syntheticMarket } from '../../src/exchange-fake/index.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';
import { LiveMarketFeed, LiveSession, replayJournal, wallTimers } from '../../src/live/index.ts';
import { parseScenario } from '../../src/scenario/index.ts';
import type { TradingCore } from '../../src/trader/index.ts';
import { ACCOUNT, signed, startLocalExchange } from '../exchange-fake/helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SCENARIO_TEXT = readFileSync(join(ROOT, 'scenarios', 'quickstart.yaml'), 'utf8');

/** What a storm leaves to close (`closeStormsAfterEach` runs them, newest first). */
export const cleanups: (() => Promise<void> | void)[] = [];

/** Registers, in the calling test file, the afterEach that closes what each storm left. */
export function closeStormsAfterEach(): void {
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await cond()) return true;
    await sleep(100);
  }
  return false;
}

export interface Storm {
  /** Faults as a plan file writes them (validated with the plan's parser). */
  readonly faults: Record<string, unknown>[];
  /** Extra scenario overrides. */
  readonly set?: string[];
  /** How long the session runs after start, ms. */
  readonly runMs: number;
  /** Local exchange stream options (e.g. a short connection lifetime). */
  readonly streams?: { maxConnectionMs?: number };
  /** Market replay speed (default 1). */
  readonly speed?: number;
}

/** Runs one session through `storm`; returns what the checks need. */
export async function weather(storm: Storm) {
  const speed = storm.speed ?? 1;
  const lx = await startLocalExchange({ speed, source: syntheticMarket([syntheticInstrument('BTCUSDT')], 1, Date.now() * 1000, Math.ceil((storm.runMs / 1000) * speed) + 3_600), config: { faults: parseFaults(storm.faults), streams: storm.streams } });
  cleanups.push(() => lx.close());
  const out = mkdtempSync(join(tmpdir(), 'maker-live-faults-'));
  cleanups.push(() => rmSync(out, { recursive: true, force: true }));
  const logs: string[] = [];
  const set = ['live.shutdown.confirmTimeoutS=20', 'live.stallTimeoutMs=1500', ...(storm.set ?? [])];
  const tradeIds: number[] = [];
  let held = 0;
  const trips: { tsUs: number; to: string; code: string | null }[] = [];
  /** Submits or modifies that grew the position while risk was REDUCING (must stay empty). */
  const reducingViolations: string[] = [];
  let core: TradingCore | undefined;
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
    log: (l) => logs.push(`${new Date().toISOString()} ${l}`),
    onTrader: (c) => {
      core = c;
      c.bus.on('venue.throttled', () => held++);
      c.bus.on('risk.stateChanged', (e) => trips.push({ tsUs: e.tsUs, to: e.to, code: e.code }));
      c.bus.on('trader.commandsQueued', (e) => {
        if (c.risk(e.symbol).state !== 'REDUCING') return;
        const pos = c.oms.positionLots(e.symbol);
        for (const cmd of e.commands) {
          const side = cmd.kind === 'submit' ? cmd.order.side : cmd.kind === 'modify' ? cmd.side : null;
          if (side !== null && (side === 'buy' ? pos >= 0 : pos <= 0)) reducingViolations.push(`${cmd.kind} ${side} at position ${pos}`);
        }
      });
      c.bus.on('order.filled', (f) => {
        if (f.tradeId >= 0) tradeIds.push(f.tradeId);
      });
    },
  });
  cleanups.push(async () => {
    await session.stop('cleanup');
  });
  await session.start();
  await sleep(storm.runMs);
  const venuePosition = async (): Promise<number> => {
    const r = (await signed(lx.base, 'GET', '/fapi/v3/positionRisk', { symbol: 'BTCUSDT' })).json as unknown as { positionAmt: string }[];
    if (!Array.isArray(r)) return NaN; // the venue still refuses (a ban, maintenance)
    return Math.round(r.reduce((a, p) => a + Number(p.positionAmt), 0) * 1000);
  };
  // After the storm the core converges on the venue's position (reports, snapshots, queries).
  const converged = await waitFor(async () => core!.portfolio.positionLots('BTCUSDT') === (await venuePosition()), 15_000);
  const corePos = core!.portfolio.positionLots('BTCUSDT');
  const venuePos = await venuePosition();
  const summary = await session.stop('storm over');
  // After the shutdown (cancels confirmed, the last fills read back) the session's final position is the venue's.
  const venuePosAfter = await venuePosition();
  const open = (await signed(lx.base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' })).json as unknown as unknown[];
  const trades = (await signed(lx.base, 'GET', '/fapi/v1/userTrades', { symbol: 'BTCUSDT', limit: 1000 })).json as unknown as { id: number }[];
  const faultLog = lx.server.faults.log.map((e) => `${e.fault} ${e.event}`);
  const names = parseFaults(storm.faults).map((f) => f.name);
  return { held, trips, reducingViolations, names, lx, logs, summary, open, trades, tradeIds, converged, corePos, venuePos, venuePosAfter, faultLog, replay: replayJournal(session.runDir) };
}

export function expectSurvived(r: Awaited<ReturnType<typeof weather>>): void {
  const context = `\n${r.logs.join('\n')}\nfaults: ${r.faultLog.join(', ')}`;
  expect(r.converged, `core ${r.corePos} lots, venue ${r.venuePos} lots${context}`).toBe(true);
  expect(r.summary.exitCode, context).toBe(0);
  expect(r.summary.shutdown.confirmed).toBe(true);
  expect(r.open).toEqual([]);
  // No duplicated fill: each trade id booked once; no invented one: every id is the exchange's.
  expect(new Set(r.tradeIds).size).toBe(r.tradeIds.length);
  const venueIds = new Set(r.trades.map((t) => t.id));
  for (const id of r.tradeIds) expect(venueIds.has(id), `trade ${id}`).toBe(true);
  // No missed fill, also during the shutdown: every trade of the account was booked, and the
  // session's final position is the venue's.
  expect([...venueIds].filter((id) => !r.tradeIds.includes(id)), `venue trades the core never booked${context}`).toEqual([]);
  expect(r.summary.positions.BTCUSDT, `final position vs the venue's after the shutdown${context}`).toBe(r.venuePosAfter);
  expect(r.summary.shutdown.tradesReconciled?.ok).toBe(true);
  expect(r.replay.firstDifference).toBeNull();
  expect(r.replay.matched).toBe(r.replay.commands);
  // Every fault of the storm really happened.
  for (const n of r.names) expect(r.faultLog, `${n}${context}`).toContain(`${n} fired`);
}

