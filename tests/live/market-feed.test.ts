// maker live's market feed (src/live/market-feed.ts) against the real local exchange on loopback
// (synthetic market in real time, faults through the admin API, docs/FAULTS.md). The feed's events
// drive a `MarketBook` the way the trading core does (a `streamState` down invalidates it); at every
// diff the book applies, the book is compared with the exchange's own replayed book at that same
// update id (captured when the exchange delivered the diff). Faults: a dropped market stream with
// and without a close frame, a stalled stream, a missing depth diff; each must give down → new
// snapshot → up, and the book equal to the exchange's again. stop() must close every socket.
import { afterEach, describe, expect, it } from 'vitest';
import { LiveMarketFeed, type MarketFeedOptions } from '../../src/live/index.ts';
import { MarketBook } from '../../src/marketdata/index.ts';
import type { BookView } from '../../src/book/index.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import type { VenueEvent } from '../../src/model/venue.ts';
import { WebSocketServer } from 'ws';
import { syntheticInstrument } from '../../src/synthetic/index.ts';
import { startLocalExchange } from '../exchange-fake/helpers.ts';

type StreamState = Extract<VenueEvent, { kind: 'streamState' }>;
type Seen = { at: number; kind: 'event'; e: MarketEvent } | { at: number; kind: 'state'; e: StreamState };

const SYMBOL = 'BTCUSDT';
const LEVELS = 20;

function levelsOf(b: BookView): string {
  return JSON.stringify([b.topLevels('bid', LEVELS), b.topLevels('ask', LEVELS)]);
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 15_000, detail: () => string = () => ''): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

async function setup(feedOpts: Partial<MarketFeedOptions> = {}) {
  const x = await startLocalExchange({ symbols: [SYMBOL], config: { admin: true } });
  open.push(x);
  // The exchange's book as of each update id it delivered (the truth the feed's book must equal).
  const truth = new Map<number, string>();
  const order: number[] = [];
  x.ex.onMarket((e) => {
    if (e.symbol !== SYMBOL || (e.type !== 'depth' && e.type !== 'snapshot')) return;
    const b = x.ex.book(SYMBOL)!;
    if (!b.isValid()) return;
    truth.set(b.lastUpdateId(), levelsOf(b));
    order.push(b.lastUpdateId());
    if (order.length > 20_000) truth.delete(order.shift()!);
  });
  const seen: Seen[] = [];
  const logs: string[] = [];
  const checks = { compared: 0, mismatches: [] as string[] };
  const book: MarketBook = new MarketBook(SYMBOL, 'depth', {
    onApplied: (u) => {
      const want = truth.get(u);
      if (want === undefined) return;
      checks.compared++;
      const got = levelsOf(book.depthBook);
      if (got !== want && checks.mismatches.length < 5) checks.mismatches.push(`u ${u}: got ${got.slice(0, 300)}\nwant ${want.slice(0, 300)}`);
    },
  });
  const feed = new LiveMarketFeed({
    rest: x.base,
    ws: x.wsBase,
    instruments: new Map([[SYMBOL, x.ex.instruments.get(SYMBOL)!]]),
    streams: { depth: 'depth@100ms', bookTicker: true, trade: true, aggTrade: false, markPrice: true },
    clockUs: () => Date.now() * 1000,
    onMarket: (e) => {
      seen.push({ at: seen.length, kind: 'event', e });
      if (e.type === 'depth') book.applyDiff(e);
      else if (e.type === 'snapshot') book.applySnapshot(e);
    },
    // What the trading core does at a market stream state (src/trader/core-venue.ts onMarketStream).
    onStreamState: (e) => {
      seen.push({ at: seen.length, kind: 'state', e });
      if (!e.up) book.invalidate();
    },
    log: (l) => logs.push(l),
    ...feedOpts,
  });
  open.push({ close: () => feed.stop() });
  const states = () => seen.filter((s): s is Extract<Seen, { kind: 'state' }> => s.kind === 'state');
  const snapshots = () => seen.filter((s) => s.kind === 'event' && s.e.type === 'snapshot');
  const fault = async (f: Record<string, unknown>) => {
    const r = await fetch(`${x.base}/admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(f), signal: AbortSignal.timeout(5_000) });
    expect(r.status, await r.clone().text()).toBe(200);
  };
  const faultLog = async () => (await (await fetch(`${x.base}/admin/faults/log`, { signal: AbortSignal.timeout(5_000) })).json()) as Record<string, unknown>[];
  const diag = () => `stats ${JSON.stringify(feed.stats)}\nstates ${JSON.stringify(states().map((s) => [s.e.up, s.e.reason]))}\nlogs:\n${logs.join('\n')}`;
  /** Synced: up, the book valid and compared equal at `n` more update ids. */
  const synced = async (n = 5) => {
    const from = checks.compared;
    await waitFor('the book to be up, valid and compared', () => states().at(-1)?.e.up === true && book.depthBook.isValid() && checks.compared >= from + n, 15_000, diag);
    expect(checks.mismatches, diag()).toEqual([]);
  };
  return { x, feed, book, seen, logs, checks, states, snapshots, fault, faultLog, diag, synced };
}

/** After `from` (an index into seen): down, then a snapshot, then up, in that order. */
function expectDownSnapshotUp(seen: Seen[], from: number, reason: RegExp) {
  const after = seen.slice(from);
  const down = after.findIndex((s) => s.kind === 'state' && !s.e.up && reason.test(s.e.reason));
  expect(down, JSON.stringify(after.filter((s) => s.kind === 'state').map((s) => s.e))).toBeGreaterThanOrEqual(0);
  const snap = after.findIndex((s, i) => i > down && s.kind === 'event' && s.e.type === 'snapshot');
  expect(snap).toBeGreaterThan(down);
  const up = after.findIndex((s, i) => i > snap && s.kind === 'state' && s.e.up);
  expect(up).toBeGreaterThan(snap);
  // No up between the down and the snapshot (the book is not trusted before it can sync).
  expect(after.slice(down, snap).some((s) => s.kind === 'state' && s.e.up)).toBe(false);
}

describe('LiveMarketFeed against the local exchange', () => {
  it('starts down, syncs from a snapshot, comes up, and its book equals the exchange\'s at every checked update id', async () => {
    const h = await setup();
    h.feed.start();
    await h.synced(20);
    const st = h.states();
    expect(st[0].e).toMatchObject({ kind: 'streamState', stream: 'market', up: false, symbols: [SYMBOL] });
    expectDownSnapshotUp(h.seen, 0, /starting/);
    expect(h.feed.stats).toMatchObject({ snapshots: 1, resyncs: 0, gaps: 0, reconnects: 0, malformed: 0 });
    expect(h.feed.stats.symbols).toEqual([expect.objectContaining({ symbol: SYMBOL, up: true, gaps: 0, resyncs: 0, downs: 0 })]);
    expect(h.feed.stats.symbols[0].lastMessageUs).toBeGreaterThan(0);
    // Every stream of the selection reached the trader, with receive times that never go back.
    const types = new Set(h.seen.flatMap((s) => (s.kind === 'event' ? [s.e.type] : [])));
    for (const t of ['depth', 'snapshot', 'bookTicker', 'markPrice']) expect(types.has(t as MarketEvent['type']), t).toBe(true);
    const ts = h.seen.flatMap((s) => (s.kind === 'event' ? [s.e.tsReceiveUs] : []));
    expect(ts.every((t, i) => i === 0 || t >= ts[i - 1])).toBe(true);
  }, 30_000);

  for (const closeFrame of [true, false]) {
    it(`a dropped market stream ${closeFrame ? 'with a close frame (1001)' : 'without a close frame (TCP cut)'}: down, reconnect, new snapshot, up, book equal again`, async () => {
      const h = await setup();
      h.feed.start();
      await h.synced();
      const from = h.seen.length;
      await h.fault({ kind: 'disconnect', target: 'streams', closeFrame, match: { symbol: SYMBOL } });
      await waitFor('two reconnects and a resync', () => h.feed.stats.reconnects >= 2 && h.feed.stats.resyncs >= 1, 15_000, h.diag);
      await h.synced();
      expectDownSnapshotUp(h.seen, from, /dropped/);
      expect(h.logs.some((l) => (closeFrame ? /closed 1001/ : /closed 1006/).test(l)), h.diag()).toBe(true);
      expect((await h.faultLog()).filter((e) => e.event === 'fired')).toHaveLength(1);
      expect(h.feed.stats.gaps).toBe(0);
    }, 40_000);
  }

  it('a stalled stream (open, silent): found by the no-message timeout, reconnected, re-synced, book equal again', async () => {
    const h = await setup({ stallMs: 1_500 });
    h.feed.start();
    await h.synced();
    const from = h.seen.length;
    await h.fault({ kind: 'stall', target: 'streams', durationMs: 3_000, match: { symbol: SYMBOL } });
    await waitFor('a reconnect after the stall', () => h.feed.stats.reconnects >= 1 && h.feed.stats.resyncs >= 1, 20_000, h.diag);
    await h.synced();
    expectDownSnapshotUp(h.seen, from, /stalled/);
    expect(h.logs.some((l) => /stall: no message for 1500 ms/.test(l)), h.diag()).toBe(true);
  }, 40_000);

  it('a missing depth diff (depth-gap): the pu break is caught, down, resync without reconnecting, book equal again', async () => {
    const h = await setup();
    h.feed.start();
    await h.synced();
    const from = h.seen.length;
    await h.fault({ kind: 'depth-gap', match: { symbol: SYMBOL } });
    await waitFor('the gap and a resync', () => h.feed.stats.gaps >= 1 && h.feed.stats.resyncs >= 1, 15_000, h.diag);
    await h.synced();
    expectDownSnapshotUp(h.seen, from, /depth gap BTCUSDT: pu \d+ is not the last u \d+/);
    expect(h.feed.stats).toMatchObject({ gaps: 1, resyncs: 1, reconnects: 0 });
    // The same, per symbol (the dashboard's per-symbol stream health): one gap, one resync, one down.
    expect(h.feed.stats.symbols).toEqual([expect.objectContaining({ symbol: SYMBOL, up: true, down: [], depth: 'synced', gaps: 1, resyncs: 1, downs: 1 })]);
    expect(h.feed.stats.symbols[0].messages).toBeGreaterThan(0);
    expect(h.feed.stats.routes.every((r) => r.up && r.reconnects === 0)).toBe(true);
    // The diff the exchange skipped is the one whose u the next diff's pu names.
    const skipped = (await h.faultLog()).find((e) => e.u !== undefined) as { u: number } | undefined;
    expect(skipped, JSON.stringify(await h.faultLog())).toBeDefined();
    const next = h.seen.slice(from).find((s) => s.kind === 'event' && s.e.type === 'depth' && s.e.prevFinalUpdateId === skipped!.u);
    expect(next).toBeDefined();
  }, 40_000);

  it('a snapshot overtaken by a gap while in flight is too old to bridge: dropped, asked again, book equal', async () => {
    const h = await setup();
    // The first snapshot's reply comes 1.5 s late (its book is taken at once); a diff goes missing meanwhile.
    await h.fault({ kind: 'latency', delayMs: 1_500, durationMs: 1_000, targets: ['rest'], match: { path: '/fapi/v1/depth' } });
    h.feed.start();
    await waitFor('the first diff', () => h.seen.some((s) => s.kind === 'event' && s.e.type === 'depth'), 10_000, h.diag);
    await h.fault({ kind: 'depth-gap', match: { symbol: SYMBOL } });
    await waitFor('the gap', () => h.feed.stats.gaps >= 1, 10_000, h.diag);
    await h.synced();
    expect(h.feed.stats).toMatchObject({ gaps: 1, staleSnapshots: 1, snapshots: 1, reconnects: 0 });
    expect(h.logs.some((l) => /older than the first diff since the break/.test(l)), h.diag()).toBe(true);
    expectDownSnapshotUp(h.seen, 0, /depth gap/);
  }, 30_000);

  it('a planned rotation hands over without a gap, a down or a duplicate', async () => {
    const h = await setup({ rotateAfterMs: 1_000, overlapMs: 300 });
    h.feed.start();
    await h.synced();
    const downs = h.states().filter((s) => !s.e.up).length;
    await waitFor('a rotation of each route', () => h.feed.stats.rotations >= 2, 15_000, h.diag);
    await h.synced();
    expect(h.states().filter((s) => !s.e.up).length).toBe(downs);
    expect(h.feed.stats).toMatchObject({ reconnects: 0, gaps: 0, resyncs: 0 });
    expect(h.feed.stats.duplicates).toBeGreaterThan(0);
    // Every diff delivered once, in u order.
    const us = h.seen.flatMap((s) => (s.kind === 'event' && s.e.type === 'depth' ? [s.e.finalUpdateId] : []));
    expect(us.every((u, i) => i === 0 || u > us[i - 1])).toBe(true);
  }, 30_000);

  it('stop() closes every socket with a close frame, aborts a snapshot in flight, and emits nothing after', async () => {
    const h = await setup();
    // Snapshot replies 10 s late: the first one is in flight when stop() is called.
    await h.fault({ kind: 'latency', delayMs: 10_000, durationMs: 60_000, targets: ['rest'], match: { path: '/fapi/v1/depth' } });
    h.feed.start();
    await waitFor('both routes connected and a diff', () => h.x.server.streams.connections === 2 && h.seen.some((s) => s.kind === 'event' && s.e.type === 'depth'), 10_000, h.diag);
    const t0 = Date.now();
    await h.feed.stop();
    const stoppedIn = Date.now() - t0;
    const n = h.seen.length;
    await waitFor('the exchange to see the sockets closed', () => h.x.server.streams.connections === 0, 5_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.seen.length).toBe(n);
    expect(h.feed.stats.snapshots).toBe(0);
    // Well inside the 10 s the snapshot would have taken: it was aborted, not awaited.
    expect(stoppedIn).toBeLessThan(9_000);
    expect(h.logs.some((l) => /dropped/.test(l))).toBe(false);
  }, 30_000);

  it('stop() sends a close frame (1000) on every route, which a peer sees as a clean close', async () => {
    // A bare WebSocket server as the stream base (it sends nothing) records how each socket ended.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    open.push({ close: () => new Promise<void>((r) => wss.close(() => r())) });
    const paths: string[] = [];
    const codes: number[] = [];
    let pongs = 0;
    wss.on('connection', (ws, req) => {
      paths.push(req.url ?? '');
      ws.on('close', (code) => codes.push(code));
      ws.on('pong', () => pongs++);
      ws.ping();
    });
    const port = (wss.address() as { port: number }).port;
    const feed = new LiveMarketFeed({
      rest: 'http://127.0.0.1:9',
      ws: `ws://127.0.0.1:${port}`,
      instruments: new Map([[SYMBOL, syntheticInstrument(SYMBOL)]]),
      streams: { depth: 'depth', bookTicker: true, trade: false, aggTrade: true, markPrice: false },
      clockUs: () => Date.now() * 1000,
      onMarket: () => {},
      onStreamState: () => {},
    });
    feed.start();
    // Connected on both sides: the server saw the upgrade and the client answered a ping, which it
    // does once its socket is open (a socket still connecting is terminated, not closed: 1006).
    await waitFor('both routes connected', () => paths.length === 2 && pongs === 2, 5_000);
    expect(paths.sort()).toEqual(['/market/stream?streams=btcusdt@aggTrade', '/public/stream?streams=btcusdt@depth/btcusdt@bookTicker']);
    await feed.stop();
    await waitFor('the server to see both closes', () => codes.length === 2, 5_000);
    expect(codes).toEqual([1000, 1000]);
  }, 15_000);

  it('refuses a configuration it cannot serve, naming the field', () => {
    const base = { rest: 'http://127.0.0.1:1', ws: 'ws://127.0.0.1:1', clockUs: () => 0, onMarket: () => {}, onStreamState: () => {} };
    expect(() => new LiveMarketFeed({ ...base, instruments: new Map(), streams: { depth: 'depth', bookTicker: false, trade: false, aggTrade: false, markPrice: false } })).toThrow(/at least one symbol/);
  });
});
