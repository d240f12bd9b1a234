// `maker live` survives the faults of issue 12 against `maker exchange`'s fault plan: one session,
// the faults one after another on a schedule (the short version of the soak; the long one is
// `npm run bench -- --only live` with MAKER_LIVE_FAULTS, or MAKER_LIVE_SOAK_S here). After each
// storm: no orphan order (the confirmed shutdown leaves nothing open), no lost or duplicated fill
// (every trade id the core booked is one of the exchange's, once; the core's position equals the
// exchange's), and the journal replays to the same commands.
// Fault 12 (kill -9 and restart) is in cli.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFaults } from '../../src/exchange-fake/index.ts';
import { LiveMarketFeed, LiveSession, replayJournal, wallTimers } from '../../src/live/index.ts';
import { parseScenario } from '../../src/scenario/index.ts';
import type { TradingCore } from '../../src/trader/index.ts';
import { ACCOUNT, signed, startLocalExchange } from '../exchange-fake/helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SCENARIO_TEXT = readFileSync(join(ROOT, 'scenarios', 'quickstart.yaml'), 'utf8');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await cond()) return true;
    await sleep(100);
  }
  return false;
}

interface Storm {
  /** Faults as a plan file writes them (validated with the plan's parser). */
  readonly faults: Record<string, unknown>[];
  /** Extra scenario overrides. */
  readonly set?: string[];
  /** How long the session runs after start, ms. */
  readonly runMs: number;
  /** Local exchange stream options (e.g. a short connection lifetime). */
  readonly streams?: { maxConnectionMs?: number };
}

/** Runs one session through `storm`; returns what the checks need. */
async function weather(storm: Storm) {
  const lx = await startLocalExchange({ config: { faults: parseFaults(storm.faults), streams: storm.streams } });
  cleanups.push(() => lx.close());
  const out = mkdtempSync(join(tmpdir(), 'maker-live-faults-'));
  cleanups.push(() => rmSync(out, { recursive: true, force: true }));
  const logs: string[] = [];
  const set = ['live.shutdown.confirmTimeoutS=20', 'live.stallTimeoutMs=1500', ...(storm.set ?? [])];
  const tradeIds: number[] = [];
  let held = 0;
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
  const open = (await signed(lx.base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' })).json as unknown as unknown[];
  const trades = (await signed(lx.base, 'GET', '/fapi/v1/userTrades', { symbol: 'BTCUSDT', limit: 1000 })).json as unknown as { id: number }[];
  const faultLog = lx.server.faults.log.map((e) => `${e.fault} ${e.event}`);
  const names = parseFaults(storm.faults).map((f) => f.name);
  return { held, names, lx, logs, summary, open, trades, tradeIds, converged, corePos, venuePos, faultLog, replay: replayJournal(session.runDir) };
}

function expectSurvived(r: Awaited<ReturnType<typeof weather>>): void {
  const context = `\n${r.logs.join('\n')}\nfaults: ${r.faultLog.join(', ')}`;
  expect(r.converged, `core ${r.corePos} lots, venue ${r.venuePos} lots${context}`).toBe(true);
  expect(r.summary.exitCode, context).toBe(0);
  expect(r.summary.shutdown.confirmed).toBe(true);
  expect(r.open).toEqual([]);
  // No duplicated fill: each trade id booked once; no invented one: every id is the exchange's.
  expect(new Set(r.tradeIds).size).toBe(r.tradeIds.length);
  const venueIds = new Set(r.trades.map((t) => t.id));
  for (const id of r.tradeIds) expect(venueIds.has(id), `trade ${id}`).toBe(true);
  expect(r.replay.firstDifference).toBeNull();
  expect(r.replay.matched).toBe(r.replay.commands);
  // Every fault of the storm really happened.
  for (const n of r.names) expect(r.faultLog, `${n}${context}`).toContain(`${n} fired`);
}

describe('maker live survives the faults', () => {
  it('market side: streams dropped with and without a close frame, a stall, a missing depth diff, the 24 h cut', async () => {
    const r = await weather({
      runMs: 22_000,
      streams: { maxConnectionMs: 9_000 },
      faults: [
        { kind: 'disconnect', target: 'streams', closeFrame: true, afterMs: 4_000 },
        { kind: 'depth-gap', afterMs: 7_000, match: { symbol: 'BTCUSDT' } },
        { kind: 'disconnect', target: 'streams', closeFrame: false, afterMs: 11_000 },
        { kind: 'stall', target: 'streams', durationMs: 3_000, afterMs: 15_000 },
      ],
    });
    expectSurvived(r);
    const downs = r.logs.filter((l) => /market stream down/.test(l)).length;
    expect(downs, r.logs.join('\n')).toBeGreaterThanOrEqual(3);
    expect(r.summary.runner.sent.submit).toBeGreaterThan(4);
  }, 120_000);

  it('user side: user stream dropped, listenKey expired', async () => {
    const r = await weather({
      runMs: 14_000,
      faults: [
        { kind: 'disconnect', target: 'user-stream', closeFrame: false, afterMs: 4_000 },
        { kind: 'listen-key-expired', afterMs: 9_000 },
      ],
    });
    expectSurvived(r);
    expect(r.logs.filter((l) => /user stream down/.test(l)).length, r.logs.join('\n')).toBeGreaterThanOrEqual(2);
    expect((r.summary.userStream as { rotations: number }).rotations).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('order entry: 503 applied and not, timeouts on place, cancel and modify, -5022, a fill racing a cancel', async () => {
    const r = await weather({
      runMs: 20_000,
      faults: [
        { kind: 'unknown-error-503', applied: true, afterMs: 3_000, match: { method: 'POST', path: '/fapi/v1/order' } },
        { kind: 'unknown-error-503', applied: false, afterMs: 5_000, match: { method: 'POST', path: '/fapi/v1/order' } },
        { kind: 'timeout-1007', applied: true, afterMs: 7_000, match: { method: 'POST', path: '/fapi/v1/order' } },
        { kind: 'timeout-1007', applied: true, afterMs: 8_000, match: { method: 'DELETE', path: '/fapi/v1/order' } },
        { kind: 'timeout-1007', applied: false, afterMs: 9_000, match: { method: 'PUT', path: '/fapi/v1/order' } },
        { kind: 'post-only-reject', durationMs: 2_000, afterMs: 11_000 },
        { kind: 'fill-before-cancel', afterMs: 14_000, match: { symbol: 'BTCUSDT' } },
      ],
    });
    expectSurvived(r);
    // Unknown outcomes were settled by queries, never by resending.
    expect(r.summary.runner.sent.query, r.logs.join('\n')).toBeGreaterThan(0);
  }, 120_000);

  it('the venue pushes back: 429 then 418, clock skew (-1021), maintenance', async () => {
    const r = await weather({
      runMs: 24_000,
      faults: [
        { kind: 'clock-skew', skewMs: -4_000, durationMs: 4_000, afterMs: 3_000 },
        { kind: 'rate-limit', durationMs: 2_000, banAfter: 3, banMs: 3_000, afterMs: 8_000 },
        { kind: 'maintenance', durationMs: 4_000, afterMs: 15_000 },
      ],
    });
    expectSurvived(r);
    expect(r.summary.throttles, r.logs.join('\n')).toBeGreaterThan(0);
    // The core was told, and held its requests until Retry-After (journalled, so the replay matched).
    expect(r.held).toBeGreaterThan(0);
    expect((r.summary.rest as { resigned: number }).resigned, 'a -1021 re-signed after a time sync').toBeGreaterThan(0);
  }, 120_000);
});
