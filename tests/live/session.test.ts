// A whole `maker live` session against the local exchange on loopback (real HTTP and WebSocket):
// start-up reconciliation, quoting through the REST gateway, the user-data stream and the market
// feed, a confirmed shutdown (nothing left open on the exchange), the journal replaying to the same
// commands, and no secret in anything the session wrote.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveMarketFeed, LiveSession, replayJournal, wallTimers, type SessionSummary } from '../../src/live/index.ts';
import { MakerError } from '../../src/core/errors.ts';
import type { OrderGateway } from '../../src/adapter/binance/order-entry.ts';
import { parseScenario } from '../../src/scenario/index.ts';
import { ACCOUNT, signed, startLocalExchange } from '../exchange-fake/helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SCENARIO_TEXT = readFileSync(join(ROOT, 'scenarios', 'quickstart.yaml'), 'utf8');
const CREDS = { apiKey: ACCOUNT.apiKey, secret: ACCOUNT.secret, keyType: 'HMAC' as const };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function setup(overrides: string[] = [], exchange: Parameters<typeof startLocalExchange>[0] = {}) {
  const lx = await startLocalExchange(exchange);
  cleanups.push(() => lx.close());
  const out = mkdtempSync(join(tmpdir(), 'maker-live-session-'));
  cleanups.push(() => rmSync(out, { recursive: true, force: true }));
  const logs: string[] = [];
  const set = ['live.shutdown.confirmTimeoutS=10', ...overrides];
  const scenario = parseScenario(SCENARIO_TEXT, 'quickstart.yaml', { set });
  const session = new LiveSession({
    scenario,
    scenarioText: SCENARIO_TEXT,
    overrides: set,
    rest: lx.base,
    ws: lx.wsBase,
    wsApi: `${lx.wsBase}/ws-fapi/v1`,
    credentials: CREDS,
    out,
    paper: false,
    feed: (o) => new LiveMarketFeed(o),
    wallUs: () => Date.now() * 1000,
    timers: wallTimers,
    log: (l) => logs.push(l),
  });
  cleanups.push(async () => {
    await session.stop('test cleanup');
  });
  return { lx, out, logs, session };
}

async function openOrders(base: string): Promise<{ clientOrderId: string }[]> {
  const r = await signed(base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' });
  return r.json as unknown as { clientOrderId: string }[];
}

async function bestBid(base: string): Promise<number> {
  const r = (await (await fetch(`${base}/fapi/v1/ticker/bookTicker?symbol=BTCUSDT`, { signal: AbortSignal.timeout(5000) })).json()) as { bidPrice: string };
  return Number(r.bidPrice);
}

/** An order resting far below the market (a leftover of an earlier session). */
async function placeForeign(base: string): Promise<void> {
  const price = (Math.floor((await bestBid(base)) * 0.95 * 10) / 10).toFixed(1);
  const r = await signed(base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.010', price, newClientOrderId: 'old-session-1' });
  expect(r.status).toBe(200);
}

describe('maker live session against the local exchange', () => {
  it('quotes, stops with every order cancelled and confirmed, and its journal replays to the same commands', async () => {
    const { lx, logs, session } = await setup();
    await session.start();
    await waitFor(() => session.runnerStats.sent.submit >= 4, 30_000, 'four orders');
    await waitFor(() => session.counters.reports >= 4, 15_000, 'their reports');
    // Let the market move a little: requotes (cancels or modifies), maybe fills.
    await new Promise((r) => setTimeout(r, 3000));
    const stopping = session.stop('test done');
    // Order entry stopped as the shutdown began (before its cancels): the gateway writes nothing more
    // (tests/adapter/binance/gateway-stop.test.ts: what a command then gets).
    expect((session as unknown as { gateway: OrderGateway }).gateway.sendingStopped).toBe(true);
    const summary: SessionSummary = await stopping;
    expect(summary.exitCode).toBe(0);
    expect(summary.shutdown.confirmed).toBe(true);
    expect(summary.shutdown.openOrdersLeft).toEqual({ BTCUSDT: 0 });
    expect(await openOrders(lx.base)).toEqual([]);
    expect(summary.runner.marketEvents).toBeGreaterThan(10);
    expect(summary.runner.sent.cancel + summary.runner.sent.modify).toBeGreaterThan(0);
    expect(logs.some((l) => /account synced/.test(l))).toBe(true);

    const r = replayJournal(session.runDir);
    expect(r.commands).toBe(summary.runner.commands);
    expect(r.firstDifference).toBeNull();
    expect(r.matched).toBe(r.commands);
    expect(r.replayHash).toBe(r.journalHash);
    expect(r.end?.exitCode).toBe(0);

    // No secret in anything the session wrote or logged.
    const texts = [...logs, ...readdirSync(session.runDir).map((f) => readFileSync(join(session.runDir, f), 'utf8'))];
    for (const secret of [ACCOUNT.secret, ACCOUNT.apiKey]) expect(texts.some((t) => t.includes(secret))).toBe(false);
  }, 90_000);

  it('orders over the WebSocket API (live.orderEntry: ws): same session, same confirmed stop, same replay', async () => {
    const { lx, session, logs } = await setup(['live.orderEntry=ws']);
    await session.start();
    await waitFor(() => session.runnerStats.sent.submit >= 4 && session.counters.reports >= 4, 30_000, 'four orders and their reports');
    const summary = await session.stop('test done');
    expect(summary.exitCode).toBe(0);
    expect(await openOrders(lx.base)).toEqual([]);
    expect(logs.some((l) => /ws-fapi/.test(l))).toBe(true);
    // The orders went over ws-fapi, not REST: the exchange saw no REST order placement.
    const ws = summary.orderEntry.ws as { requests: number; replies: number };
    expect(summary.orderEntry.kind).toBe('ws');
    expect(ws.requests).toBeGreaterThanOrEqual(summary.runner.commands);
    expect(ws.replies).toBeGreaterThan(0);
    const r = replayJournal(session.runDir);
    expect(r.firstDifference).toBeNull();
    expect(r.matched).toBe(r.commands);
  }, 60_000);

  it('the ws-fapi connection is rotated before the venue\'s connection lifetime (4 s here): the venue never cuts it, nothing aborted, same replay', async () => {
    const { lx, session, logs } = await setup(['live.orderEntry=ws', 'live.rotateAfterMs=1500'], { config: { streams: { maxConnectionMs: 4_000 } } });
    await session.start();
    await new Promise((r) => setTimeout(r, 5_500));
    const summary = await session.stop('test done');
    expect(summary.exitCode).toBe(0);
    expect(await openOrders(lx.base)).toEqual([]);
    const ws = summary.orderEntry.ws as { rotations: number; drops: number; aborted: number; requests: number };
    expect(ws.rotations, logs.join('\n')).toBeGreaterThanOrEqual(2);
    expect(ws.drops).toBe(0);
    expect(ws.aborted).toBe(0);
    expect(ws.requests).toBeGreaterThan(0);
    expect(logs.filter((l) => /^ws-fapi open: rotated/.test(l)).length).toBe(ws.rotations);
    const r = replayJournal(session.runDir);
    expect(r.firstDifference).toBeNull();
    expect(r.matched).toBe(r.commands);
  }, 60_000);

  it('start-up policy halt: refuses to start when the venue has open orders, and leaves them', async () => {
    const { lx, session } = await setup(['live.reconcile.openOrders=halt']);
    await placeForeign(lx.base);
    const err = await session.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MakerError);
    expect((err as MakerError).exitCode).toBe(4);
    expect((err as MakerError).message).toMatch(/open orders \(BTCUSDT 1\).*halt/);
    expect((await openOrders(lx.base)).map((o) => o.clientOrderId)).toEqual(['old-session-1']);
  }, 60_000);

  it('start-up policy cancel: cancels what the venue has before quoting', async () => {
    const { lx, logs, session } = await setup(['live.reconcile.openOrders=cancel']);
    await placeForeign(lx.base);
    await session.start();
    expect(logs.some((l) => /cancelling 1 open order/.test(l))).toBe(true);
    expect((await openOrders(lx.base)).some((o) => o.clientOrderId === 'old-session-1')).toBe(false);
    const summary = await session.stop('test done');
    expect(summary.exitCode).toBe(0);
  }, 60_000);

  it('start-up policy adopt: the core takes the order over; the shutdown cancels it too', async () => {
    const { lx, logs, session } = await setup(['live.reconcile.openOrders=adopt']);
    await placeForeign(lx.base);
    await session.start();
    expect(logs.some((l) => /adopting 1 open order/.test(l))).toBe(true);
    const summary = await session.stop('test done');
    expect(summary.exitCode).toBe(0);
    expect(await openOrders(lx.base)).toEqual([]);
    const r = replayJournal(session.runDir);
    expect(r.firstDifference).toBeNull();
  }, 60_000);

  it('start-up policy halt on a position; flatten at shutdown closes it', async () => {
    const { lx, session } = await setup(['live.reconcile.position=halt']);
    const r = await signed(lx.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.005' });
    expect(r.status).toBe(200);
    const err = await session.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as MakerError).exitCode).toBe(4);
    expect((err as MakerError).message).toMatch(/holds a position \(BTCUSDT 5 lots\)/);

    const second = await setup(['live.reconcile.position=adopt', 'live.shutdown.flatten=true']);
    // The second exchange is fresh: give it a position too.
    expect((await signed(second.lx.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.003' })).status).toBe(200);
    await second.session.start();
    const summary = await second.session.stop('test done');
    expect(summary.exitCode).toBe(0);
    expect(summary.shutdown.flattenOrders).toBeGreaterThanOrEqual(1);
    expect(summary.shutdown.positionsLeft).toEqual({ BTCUSDT: 0 });
    const pos = (await signed(second.lx.base, 'GET', '/fapi/v3/positionRisk', { symbol: 'BTCUSDT' })).json as unknown as { positionAmt: string }[];
    expect(pos.every((p) => Number(p.positionAmt) === 0)).toBe(true);
  }, 90_000);
});
