// The user-data stream against `maker exchange`: connect → streamState up → accountSync from REST;
// fills arrive as TRADE reports with the exact price, quantity and commission of userTrades; a
// listenKey that expires (validity shortened) is rotated, followed by down / up / accountSync, and
// events flow on the new key; a keepalive keeps a key alive past its validity; a connection dropped
// without a close frame is found and re-made; no event carries a secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStream, type UserStreamOptions } from '../../../src/adapter/binance/index.ts';
import { parseFaults } from '../../../src/exchange-fake/index.ts';
import { normalizeDecimal } from '../../../src/model/decimal.ts';
import { WallClock, wallTimers } from '../../../src/live/index.ts';
import type { ExecutionReport, VenueEvent } from '../../../src/model/venue.ts';
import { bookTicks, gatewayFor, HMAC_CREDS, instrument, leaks, restFor, startLocal } from './helpers.ts';

const outputs: string[] = [];

async function until<T>(what: string, f: () => T | undefined, ms = 8_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function setup(h: Awaited<ReturnType<typeof startLocal>>, o: Partial<UserStreamOptions> = {}) {
  const rest = restFor(h.base);
  const gateway = gatewayFor(rest);
  const events: VenueEvent[] = [];
  const stream = new UserStream({
    rest,
    wsBase: h.base.replace('http', 'ws'),
    instruments: new Map([[instrument.symbol, instrument]]),
    clock: new WallClock(),
    timers: wallTimers,
    emit: (e) => gateway.enqueue(e),
    ...o,
  });
  const drain = () => {
    const got = gateway.drainEvents();
    outputs.push(JSON.stringify(got));
    events.push(...got);
    return events;
  };
  return { rest, gateway, stream, events, drain };
}

describe('user data stream', () => {
  let h: Awaited<ReturnType<typeof startLocal>>;
  beforeAll(async () => {
    h = await startLocal();
  }, 30_000);
  afterAll(async () => {
    await h?.close();
  });

  it('connects, syncs the account, and delivers fills as TRADE reports equal to userTrades', async () => {
    const s = setup(h);
    try {
      s.stream.start();
      const sync = await until('accountSync', () => s.drain().find((e) => e.kind === 'accountSync'));
      expect(s.events.map((e) => e.kind).slice(0, 2)).toEqual(['streamState', 'accountSync']);
      expect(s.events[0]).toMatchObject({ kind: 'streamState', stream: 'user', up: true });
      if (sync.kind !== 'accountSync') throw new Error('unreachable');
      expect(sync.sync).toMatchObject({ symbols: ['BTCUSDT'], positions: [], openOrders: [] });
      expect(sync.sync.balances).toContainEqual({ asset: 'USDT', walletBalance: '10000.00000000' });

      // A resting order shows in the next snapshot; a crossing IOC fills as a taker.
      const { bid, ask } = await bookTicks(h.base);
      s.gateway.send({ kind: 'submit', order: { symbol: 'BTCUSDT', clientOrderId: 'us-rest', side: 'buy', type: 'LIMIT', timeInForce: 'GTX', priceTicks: bid - 5_000, qtyLots: 20, reduceOnly: false } }, Date.now() * 1000);
      s.gateway.send({ kind: 'submit', order: { symbol: 'BTCUSDT', clientOrderId: 'us-take', side: 'buy', type: 'LIMIT', timeInForce: 'IOC', priceTicks: ask + 2_000, qtyLots: 30, reduceOnly: false } }, Date.now() * 1000);
      await s.gateway.idle();
      // Wait for the IOC's end (FILLED, or EXPIRED after a partial fill in a thin book), then compare its trades.
      await until('the IOC ended', () => s.drain().some((e) => e.kind === 'report' && e.report.clientOrderId === 'us-take' && (e.report.status === 'FILLED' || e.report.status === 'EXPIRED')) || undefined);
      const fills = s.events.filter((e): e is { kind: 'report'; report: ExecutionReport } => e.kind === 'report' && e.report.clientOrderId === 'us-take' && e.report.execType === 'TRADE').map((e) => e.report);
      expect(fills.length).toBeGreaterThan(0);
      const rest = restFor(h.base);
      const ut = await rest.request({ method: 'GET', path: '/fapi/v1/userTrades', params: { symbol: 'BTCUSDT' }, signed: true, weight: 5 });
      expect(ut.kind).toBe('ok');
      const trades = (ut as { body: { id: number; price: string; qty: string; commission: string; maker: boolean; orderId: number }[] }).body.filter((t) => t.orderId === fills[0].orderId);
      expect(fills.map((f) => ({ id: f.tradeId, px: f.lastFillPriceTicks, lots: f.lastFillLots, fee: normalizeDecimal(f.commission), liq: f.liquidity }))).toEqual(
        trades.map((t) => ({ id: t.id, px: instrument.priceToTicks(t.price), lots: instrument.qtyToLots(t.qty), fee: normalizeDecimal(t.commission), liq: t.maker ? 'maker' : 'taker' })),
      );
      expect(fills.at(-1)).toMatchObject({ cumFilledLots: fills.reduce((n, f) => n + f.lastFillLots, 0), side: 'buy' });
      expect(s.stream.stats.accountUpdates).toBeGreaterThan(0);
      expect(s.stream.stats.parseErrors).toBe(0);
      // The REST reply of the IOC was only its acknowledgement (no fill counted twice).
      const acks = s.events.filter((e) => e.kind === 'report' && e.report.clientOrderId === 'us-take' && e.report.execType === 'NEW');
      expect(acks.every((e) => e.kind === 'report' && e.report.cumFilledLots === 0)).toBe(true);
    } finally {
      s.stream.stop();
      await restFor(h.base).request({ method: 'DELETE', path: '/fapi/v1/allOpenOrders', params: { symbol: 'BTCUSDT' }, signed: true });
    }
  });

  it('fills the stream lost in a gap are read back from userTrades, exactly, before the next snapshot', async () => {
    const s = setup(h, { pingIntervalMs: 200, pongTimeoutMs: 300 });
    try {
      s.stream.start();
      await until('accountSync', () => s.drain().find((e) => e.kind === 'accountSync'));
      // The user stream goes silent (its frames are lost) while an IOC fills.
      h.server.faults.add(parseFaults([{ kind: 'stall', target: 'user-stream', durationMs: 1_500 }]));
      await new Promise((r) => setTimeout(r, 50));
      const { ask } = await bookTicks(h.base);
      s.gateway.send({ kind: 'submit', order: { symbol: 'BTCUSDT', clientOrderId: 'gap-take', side: 'buy', type: 'LIMIT', timeInForce: 'IOC', priceTicks: ask + 2_000, qtyLots: 30, reduceOnly: false } }, Date.now() * 1000);
      await s.gateway.idle();
      await until('the snapshot after the gap', () => s.drain().filter((e) => e.kind === 'accountSync').length >= 2 || undefined, 15_000);
      const fills = s.events.filter((e): e is { kind: 'report'; report: ExecutionReport } => e.kind === 'report' && e.report.clientOrderId === 'gap-take' && e.report.execType === 'TRADE').map((e) => e.report);
      expect(fills.length).toBeGreaterThan(0);
      expect(s.stream.stats.backfilled).toBeGreaterThanOrEqual(fills.length);
      // Delivered before the snapshot that follows the gap.
      const firstFill = s.events.findIndex((e) => e.kind === 'report' && e.report.clientOrderId === 'gap-take' && e.report.execType === 'TRADE');
      const secondSync = s.events.findIndex((e, i) => e.kind === 'accountSync' && i > s.events.findIndex((x) => x.kind === 'accountSync'));
      expect(firstFill).toBeLessThan(secondSync);
      const ut = await restFor(h.base).request({ method: 'GET', path: '/fapi/v1/userTrades', params: { symbol: 'BTCUSDT' }, signed: true, weight: 5 });
      const trades = (ut as { body: { id: number; price: string; qty: string; commission: string; maker: boolean; orderId: number }[] }).body.filter((t) => t.orderId === fills[0].orderId);
      expect(fills.map((f) => ({ id: f.tradeId, px: f.lastFillPriceTicks, lots: f.lastFillLots, fee: normalizeDecimal(f.commission), liq: f.liquidity }))).toEqual(
        trades.map((t) => ({ id: t.id, px: instrument.priceToTicks(t.price), lots: instrument.qtyToLots(t.qty), fee: normalizeDecimal(t.commission), liq: t.maker ? 'maker' : 'taker' })),
      );
      expect(fills.at(-1)!.cumFilledLots).toBe(fills.reduce((n, f) => n + f.lastFillLots, 0));
      expect(['FILLED', 'EXPIRED']).toContain(fills.at(-1)!.status);
    } finally {
      s.stream.stop();
      h.server.faults.clear();
    }
  }, 30_000);

  it('a connection dropped without a close frame is noticed (no pong) and re-made: down, up, accountSync', async () => {
    const s = setup(h, { pingIntervalMs: 200, pongTimeoutMs: 300 });
    const paused: { terminate(): void }[] = [];
    try {
      s.stream.start();
      await until('accountSync', () => s.drain().find((e) => e.kind === 'accountSync'));
      const key = s.stream.listenKey;
      // The server's side of every connection stops answering: a half-open TCP connection.
      const conns = [...(h.server.streams as unknown as { conns: Set<{ ws: { terminate(): void; _socket: { pause(): void } } }> }).conns];
      for (const c of conns) c.ws._socket.pause();
      paused.push(...conns.map((c) => c.ws));
      await until('second accountSync', () => s.drain().filter((e) => e.kind === 'accountSync').length >= 2 || undefined);
      // (Fills of earlier tests inside the gap's look-back second may come back as backfilled reports: not this test's subject.)
      const kinds = s.events.filter((e) => e.kind !== 'report').map((e) => (e.kind === 'streamState' ? `${e.kind}:${e.up}` : e.kind));
      expect(kinds).toEqual(['streamState:true', 'accountSync', 'streamState:false', 'streamState:true', 'accountSync']);
      expect(s.events[2]).toMatchObject({ reason: 'no pong' });
      expect(s.stream.listenKey).toBe(key);
      expect(s.stream.stats.gaps).toBe(1);
    } finally {
      s.stream.stop();
      // The server would wait 30 s for a close handshake from the paused sockets.
      for (const ws of paused) ws.terminate();
    }
  });
});

describe('listenKey lifetime', () => {
  it('a keepalive refused with -1125 (the key is gone) rotates the key: down, up, accountSync', async () => {
    const local = await startLocal();
    const s = setup(local, { keepaliveMs: 300 });
    try {
      s.stream.start();
      await until('accountSync', () => s.drain().find((e) => e.kind === 'accountSync'));
      const first = s.stream.listenKey;
      await until('a keepalive', () => s.stream.stats.keepalives >= 1 || undefined);
      local.server.listenKeys.delete(HMAC_CREDS.apiKey);
      await until('the rotation', () => s.drain().filter((e) => e.kind === 'accountSync').length >= 2 || undefined);
      expect(s.events.find((e) => e.kind === 'streamState' && !e.up)).toMatchObject({ reason: expect.stringMatching(/^keepalive failed: -1125 /) });
      expect(s.stream.listenKey).not.toBe(first);
      expect(s.stream.stats.rotations).toBe(1);
    } finally {
      s.stream.stop();
      await local.close();
    }
  });


  let h: Awaited<ReturnType<typeof startLocal>>;
  beforeAll(async () => {
    h = await startLocal({ listenKeyValidityUs: 1_500_000 });
  }, 30_000);
  afterAll(async () => {
    await h?.close();
  });

  it('an expired key is rotated: down, up, accountSync, and order events arrive on the new key', async () => {
    const s = setup(h);
    try {
      s.stream.start();
      await until('accountSync', () => s.drain().find((e) => e.kind === 'accountSync'));
      const first = s.stream.listenKey;
      await until('rotation', () => s.drain().filter((e) => e.kind === 'accountSync').length >= 2 || undefined, 10_000);
      expect(s.stream.listenKey).not.toBe(first);
      expect(s.stream.stats.rotations).toBeGreaterThanOrEqual(1);
      const kinds = s.events.map((e) => (e.kind === 'streamState' ? `${e.kind}:${e.up}` : e.kind));
      expect(kinds.slice(0, 5)).toEqual(['streamState:true', 'accountSync', 'streamState:false', 'streamState:true', 'accountSync']);
      expect(s.events[2]).toMatchObject({ reason: 'listenKey expired' });

      const { bid } = await bookTicks(h.base);
      s.gateway.send({ kind: 'submit', order: { symbol: 'BTCUSDT', clientOrderId: 'lk-1', side: 'buy', type: 'LIMIT', timeInForce: 'GTX', priceTicks: bid - 5_000, qtyLots: 20, reduceOnly: false } }, Date.now() * 1000);
      await until('the NEW on the stream', () => s.drain().filter((e) => e.kind === 'report' && e.report.clientOrderId === 'lk-1' && e.report.execType === 'NEW').length >= 2 || undefined);
    } finally {
      s.stream.stop();
      await restFor(h.base).request({ method: 'DELETE', path: '/fapi/v1/allOpenOrders', params: { symbol: 'BTCUSDT' }, signed: true });
    }
  });

  it('keepalives keep the key past its validity', async () => {
    const s = setup(h, { keepaliveMs: 400 });
    try {
      s.stream.start();
      await until('accountSync', () => s.drain().find((e) => e.kind === 'accountSync'));
      const key = s.stream.listenKey;
      await new Promise((r) => setTimeout(r, 2_500));
      s.drain();
      expect(s.stream.listenKey).toBe(key);
      expect(s.stream.stats.keepalives).toBeGreaterThanOrEqual(2);
      expect(s.events.filter((e) => e.kind === 'streamState').map((e) => e.kind === 'streamState' && e.up)).toEqual([true]);
    } finally {
      s.stream.stop();
    }
  });
});

it('no secret in any user-stream event', () => {
  expect(outputs.length).toBeGreaterThan(5);
  expect(leaks(outputs)).toEqual([]);
});

/** A venue of a few lines: REST by `rest`, and a WebSocket server that accepts and closes every socket at once. */
async function miniVenue(rest: (method: string, url: URL) => unknown) {
  const { createServer } = await import('node:http');
  const { WebSocketServer } = await import('ws');
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(`${req.method} ${url.pathname}`);
    const body = url.pathname === '/fapi/v1/time' ? { serverTime: Date.now() } : rest(req.method ?? 'GET', url);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.close(1000));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const close = async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return { base, seen, close };
}

function miniStream(base: string, o: Partial<UserStreamOptions> = {}) {
  const events: VenueEvent[] = [];
  const stream = new UserStream({ rest: restFor(base), wsBase: base.replace('http', 'ws'), instruments: new Map([[instrument.symbol, instrument]]), clock: new WallClock(), timers: wallTimers, emit: (e) => void events.push(e), ...o });
  return { stream, events };
}

describe('bounds', () => {
  it('a server that accepts the socket and closes it at once gets the backoff, not a listenKey + openOrders loop, and the stream gives up after maxAttempts', async () => {
    const v = await miniVenue((method, url) => (url.pathname === '/fapi/v1/listenKey' ? { listenKey: 'aListenKeyThatIsSecret' } : []));
    const { stream, events } = miniStream(v.base, { backoffMs: 50, maxBackoffMs: 200, maxAttempts: 5 });
    try {
      stream.start();
      await until('the stream gives up', () => (stream.connectionState === 'stopped' ? true : undefined), 10_000);
      const posts = v.seen.filter((s) => s === 'POST /fapi/v1/listenKey').length;
      // 1 first connect + 1 right after the first gap + backed-off ones up to maxAttempts (the old loop made hundreds a second).
      expect(posts).toBeGreaterThanOrEqual(4);
      expect(posts).toBeLessThanOrEqual(6);
      expect(v.seen.filter((s) => s.startsWith('GET /fapi/v1/openOrders')).length).toBeLessThanOrEqual(6);
      const last = events.filter((e) => e.kind === 'streamState').pop();
      expect(last).toMatchObject({ up: false });
      expect((last as { reason: string }).reason).toMatch(/^gave up after 5 attempts/);
      expect(JSON.stringify(events) + stream.stats.lastError).not.toContain('aListenKeyThatIsSecret');
    } finally {
      stream.stop();
      await v.close();
    }
  });

  it('a stream base that is not a ws:// or wss:// URL is refused at construction, naming it (never a URL with the listen key)', () => {
    expect(() => miniStream('http://127.0.0.1:1', { wsBase: 'fstream.binance.com' })).toThrow('user stream: the stream base must be a ws:// or wss:// URL, got "fstream.binance.com"');
    expect(() => miniStream('http://127.0.0.1:1', { wsBase: 'https://fstream.binance.com' })).toThrow(/ws:\/\/ or wss:\/\//);
  });

  it('userTrades is read page by page: 1,005 trades since the start are all read back (fromId after the first page)', async () => {
    const N = 1005;
    const trades = Array.from({ length: N }, (_, i) => ({ id: i + 1, orderId: 7, side: 'BUY', price: '60000.0', qty: '0.001', commission: '0.012', commissionAsset: 'USDT', maker: true, time: 1_700_000_000_000 + i }));
    const asked: string[] = [];
    const v = await miniVenue((_m, url) => {
      if (url.pathname === '/fapi/v1/userTrades') {
        asked.push(url.searchParams.has('fromId') ? `fromId=${url.searchParams.get('fromId')}` : 'startTime');
        const from = Number(url.searchParams.get('fromId') ?? 0);
        return trades.filter((t) => t.id >= from).slice(0, Number(url.searchParams.get('limit') ?? 500));
      }
      if (url.pathname === '/fapi/v1/order') return { orderId: 7, clientOrderId: 'mk-7', status: 'FILLED', side: 'BUY', price: '60000.0', origQty: '1.005', executedQty: '1.005' };
      return [];
    });
    const { stream, events } = miniStream(v.base);
    try {
      expect(await stream.reconcileTrades()).toBe(N);
      expect(asked).toEqual(['startTime', 'fromId=1001']);
      const reports = events.flatMap((e) => (e.kind === 'report' ? [e.report] : []));
      expect(reports.map((r) => r.tradeId)).toEqual(trades.map((t) => t.id));
      expect(reports[N - 1]).toMatchObject({ status: 'FILLED', cumFilledLots: reports.reduce((a, r) => a + r.lastFillLots, 0) });
      // Read again: from the last id seen, nothing new.
      expect(await stream.reconcileTrades()).toBe(0);
      expect(asked.slice(2)).toEqual(['fromId=1006']);
    } finally {
      stream.stop();
      await v.close();
    }
  });
});
