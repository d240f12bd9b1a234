// Faults on demand (docs/FAULTS.md), each observed from a real client: `ws` for streams, the user
// stream and ws-fapi, `fetch` (undici) for REST, ccxt where natural. Faults are added through the
// admin API, as a test would, and the fault log is checked against what the client saw.
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeServer, hmacHex, LocalExchange, syntheticMarket } from '../../src/exchange-fake/index.ts';
import { Rng } from '../../src/core/random.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';
import { ACCOUNT, ccxtRest, signed } from './helpers.ts';

let ex: LocalExchange;
let server: ExchangeServer;
let base: string;
let wsBase: string;

beforeAll(async () => {
  const instruments = [syntheticInstrument('BTCUSDT')];
  ex = new LocalExchange({
    instruments,
    source: syntheticMarket(instruments, 1, Date.now() * 1000, 3600),
    speed: 1,
    accounts: [ACCOUNT],
    execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } },
  });
  server = new ExchangeServer(ex, [ACCOUNT], { admin: true });
  const port = await server.listen();
  await ex.start();
  base = `http://127.0.0.1:${port}`;
  wsBase = base.replace('http', 'ws');
}, 30_000);

afterAll(async () => {
  ex?.stop();
  await server?.close();
});

afterEach(async () => {
  await fetch(`${base}/admin/faults`, { method: 'DELETE' });
});

async function addFault(f: object): Promise<void> {
  const r = await fetch(`${base}/admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(f) });
  expect(r.status, JSON.stringify(await r.clone().json())).toBe(200);
}

async function faultLog(name: string): Promise<Record<string, unknown>[]> {
  const all = (await (await fetch(`${base}/admin/faults/log`)).json()) as Record<string, unknown>[];
  return all.filter((e) => e.fault === name);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bid(): Promise<number> {
  return Number(((await (await fetch(`${base}/fapi/v1/ticker/bookTicker?symbol=BTCUSDT`)).json()) as { bidPrice: string }).bidPrice);
}

/** A GTX buy far below the market (rests, never fills by itself). */
const farBuy = async (cid: string) => ({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.010', price: (Math.floor(await bid()) - 300).toFixed(1), newClientOrderId: cid });

/** A WebSocket that records its frames and how it closed. */
async function open(url: string) {
  const ws = new WebSocket(url);
  const frames: Record<string, any>[] = [];
  const closed = new Promise<{ code: number; at: number }>((resolve) => ws.on('close', (code) => resolve({ code, at: Date.now() })));
  // Each frame with its arrival time (`_at`, wall ms).
  ws.on('message', (d) => frames.push({ ...JSON.parse(String(d)), _at: Date.now() }));
  ws.on('error', () => {});
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  return { ws, frames, closed };
}

async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 8_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function wsApi() {
  const { ws, frames } = await open(`${wsBase}/ws-fapi/v1`);
  const call = async (id: string, method: string, params: Record<string, unknown>) => {
    const p: Record<string, unknown> = { ...params, apiKey: ACCOUNT.apiKey, timestamp: Date.now() };
    p.signature = hmacHex(ACCOUNT.secret, Object.keys(p).sort().map((k) => `${k}=${p[k]}`).join('&'));
    ws.send(JSON.stringify({ id, method, params: p }));
    return until(`reply ${id}`, () => frames.find((f) => f.id === id));
  };
  return { ws, call };
}

async function userStream() {
  const { json } = await signed(base, 'POST', '/fapi/v1/listenKey', {});
  return { key: json.listenKey as string, ...(await open(`${wsBase}/private/ws?listenKey=${json.listenKey}`)) };
}

describe('faults: REST and ws-fapi replies', () => {
  it('503 "Unknown error": the applied order is in openOrders afterwards, the other is not', async () => {
    await addFault([
      { name: '503-applied', kind: 'unknown-error-503', applied: true, match: { method: 'POST', path: '/fapi/v1/order' } },
      { name: '503-lost', kind: 'unknown-error-503', applied: false, nth: 2, match: { method: 'POST', path: '/fapi/v1/order' } },
    ]);
    const a = await signed(base, 'POST', '/fapi/v1/order', await farBuy('f503a'));
    const b = await signed(base, 'POST', '/fapi/v1/order', await farBuy('f503b'), { inBody: true });
    for (const r of [a, b]) expect([r.status, r.json]).toEqual([503, { code: -1000, msg: 'Unknown error, please check your request or try again later.' }]);
    const open = await signed(base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' });
    const ids = (open.json as unknown as { clientOrderId: string }[]).map((o) => o.clientOrderId);
    expect(ids).toContain('f503a');
    expect(ids).not.toContain('f503b');
    const q = await signed(base, 'GET', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'f503b' });
    expect(q.json.code).toBe(-2013);
    // The second fault counted the first order too: it fired on the second POST only.
    expect((await faultLog('503-lost')).map((e) => [e.event, e.request])).toEqual([['fired', 'POST /fapi/v1/order']]);
    const [fired] = await faultLog('503-applied');
    expect(fired).toMatchObject({ kind: 'unknown-error-503', event: 'fired', via: 'rest', account: 'test', symbol: 'BTCUSDT' });
    expect(Math.abs((fired.wallMs as number) - Date.now())).toBeLessThan(5_000);
    expect(Math.abs((fired.serverTimeUs as number) / 1000 - (fired.wallMs as number))).toBeLessThan(1_000);
    await signed(base, 'DELETE', '/fapi/v1/allOpenOrders', { symbol: 'BTCUSDT' });
  });

  it('408 / -1007 on ws-fapi order.place: applied, the order exists; not applied, it does not', async () => {
    await addFault([
      { name: 'to-applied', kind: 'timeout-1007', applied: true, match: { wsMethod: 'order.place' } },
      { name: 'to-lost', kind: 'timeout-1007', applied: false, nth: 2, match: { wsMethod: 'order.place' } },
    ]);
    const { ws, call } = await wsApi();
    try {
      const a = await call('p1', 'order.place', await farBuy('f1007a'));
      const b = await call('p2', 'order.place', await farBuy('f1007b'));
      for (const r of [a, b]) expect([r.status, r.error]).toEqual([408, { code: -1007, msg: 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.' }]);
      expect((await call('s1', 'order.status', { symbol: 'BTCUSDT', origClientOrderId: 'f1007a' })).result).toMatchObject({ status: 'NEW' });
      expect((await call('s2', 'order.status', { symbol: 'BTCUSDT', origClientOrderId: 'f1007b' })).error).toMatchObject({ code: -2013 });
    } finally {
      ws.close();
      await signed(base, 'DELETE', '/fapi/v1/allOpenOrders', { symbol: 'BTCUSDT' });
    }
  });

  it('429 with Retry-After, then 418 for a client that keeps going (a ccxt request fails during the ban)', async () => {
    await addFault({ name: 'limit', kind: 'rate-limit', durationMs: 5_000, banAfter: 2, banMs: 30_000, match: { path: '/fapi/v1/time' } });
    const replies = [];
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${base}/fapi/v1/time`);
      replies.push({ status: r.status, retryAfter: Number(r.headers.get('retry-after')), body: (await r.json()) as { code: number; msg: string } });
    }
    expect(replies.map((r) => r.status)).toEqual([429, 429, 418]);
    expect(replies[0].body.code).toBe(-1003);
    expect(replies[0].body.msg).toMatch(/^Too many requests; current limit of IP\(.*\) is 2400 requests per minute/);
    expect(replies[0].retryAfter).toBeGreaterThanOrEqual(4);
    expect(replies[0].retryAfter).toBeLessThanOrEqual(5);
    expect(replies[2].body.msg).toMatch(/^Way too many requests; IP\(.*\) banned until \d{13}\./);
    expect(replies[2].retryAfter).toBeGreaterThanOrEqual(29);
    // Other endpoints are not limited by this fault.
    expect((await fetch(`${base}/fapi/v1/ping`)).status).toBe(200);
    const c = await ccxtRest(base);
    await expect(c.fetchTime()).rejects.toThrow(/-1003|banned/);
    expect((await faultLog('limit')).filter((e) => e.event === 'rejected').map((e) => e.status)).toEqual([429, 429, 418, 418]);
  });

  it('clock skew: -1021 for a client signing with its own clock, accepted after it resyncs from /time', async () => {
    await addFault({ name: 'skew', kind: 'clock-skew', skewMs: -8_000, durationMs: 20_000 });
    const before = await signed(base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' });
    expect([before.status, before.json.code]).toEqual([400, -1021]);
    const server = ((await (await fetch(`${base}/fapi/v1/time`)).json()) as { serverTime: number }).serverTime;
    const offset = server - Date.now();
    expect(offset).toBeLessThan(-7_000);
    const after = await signed(base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' }, { timestamp: Date.now() + offset });
    expect(after.status).toBe(200);
    expect(await faultLog('skew')).toEqual([expect.objectContaining({ event: 'fired', skewMs: -8_000 })]);
  });

  it('post-only rejections: -5022 for a GTX that does not cross, during the period only', async () => {
    await addFault({ name: 'gtx', kind: 'post-only-reject', durationMs: 60_000, match: { symbol: 'BTCUSDT' } });
    const r = await signed(base, 'POST', '/fapi/v1/order', await farBuy('fgtx1'));
    expect([r.status, r.json.code]).toEqual([400, -5022]);
    expect(r.json.msg).toMatch(/Post Only order will be rejected/);
    const gtc = await signed(base, 'POST', '/fapi/v1/order', { ...(await farBuy('fgtc1')), timeInForce: 'GTC' });
    expect(gtc.status).toBe(200);
    await fetch(`${base}/admin/faults`, { method: 'DELETE' });
    expect((await signed(base, 'POST', '/fapi/v1/order', await farBuy('fgtx2'))).status).toBe(200);
    await signed(base, 'DELETE', '/fapi/v1/allOpenOrders', { symbol: 'BTCUSDT' });
  });

  it('post-only rejections within N ticks of the opposite best only', async () => {
    await addFault({ name: 'gtx-near', kind: 'post-only-reject', durationMs: 60_000, withinTicks: 50 });
    const far = await signed(base, 'POST', '/fapi/v1/order', await farBuy('fnear1'));
    expect(far.status).toBe(200);
    const ask = Number(((await (await fetch(`${base}/fapi/v1/ticker/bookTicker?symbol=BTCUSDT`)).json()) as { askPrice: string }).askPrice);
    const near = await signed(base, 'POST', '/fapi/v1/order', { ...(await farBuy('fnear2')), price: (ask - 0.5).toFixed(1) });
    expect(near.json.code).toBe(-5022);
    await signed(base, 'DELETE', '/fapi/v1/allOpenOrders', { symbol: 'BTCUSDT' });
  });

  it('latency spike: REST replies and ws-fapi replies come late, in order', async () => {
    await addFault({ name: 'slow', kind: 'latency', delayMs: 400, durationMs: 3_000, targets: ['rest', 'ws-api'] });
    const t0 = Date.now();
    expect((await fetch(`${base}/fapi/v1/time`)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    const { ws, call } = await wsApi();
    try {
      const t1 = Date.now();
      const first = call('l1', 'order.status', { symbol: 'BTCUSDT', origClientOrderId: 'none' });
      const second = call('l2', 'order.status', { symbol: 'BTCUSDT', origClientOrderId: 'none2' });
      await Promise.all([first, second]);
      expect(Date.now() - t1).toBeGreaterThanOrEqual(390);
    } finally {
      ws.close();
    }
  });

  it('maintenance: every request fails, streams are closed with a close frame and new ones refused, until it ends', async () => {
    const s = await open(`${wsBase}/public/ws/btcusdt@bookTicker`);
    await addFault({ name: 'maint', kind: 'maintenance', durationMs: 1_500 });
    const r = await fetch(`${base}/fapi/v1/exchangeInfo`);
    expect([r.status, await r.json()]).toEqual([503, { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' }]);
    expect((await s.closed).code).toBe(1001);
    await expect(open(`${wsBase}/ws/btcusdt@bookTicker`)).rejects.toThrow(/503/);
    await sleep(1_700);
    expect((await fetch(`${base}/fapi/v1/exchangeInfo`)).status).toBe(200);
    await until('the period end in the log', async () => (await faultLog('maint')).length === 3);
    expect((await faultLog('maint')).map((e) => e.event)).toEqual(['fired', 'rejected', 'period-end']);
  });

  it('a REST socket destroyed on the nth matching request: the client sees a network error, the order was applied', async () => {
    await addFault({ name: 'rst', kind: 'disconnect', target: 'rest', applied: true, match: { method: 'POST', path: '/fapi/v1/order' } });
    await expect(signed(base, 'POST', '/fapi/v1/order', await farBuy('frst'))).rejects.toThrow();
    const q = await signed(base, 'GET', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'frst' });
    expect(q.json.status).toBe('NEW');
    await signed(base, 'DELETE', '/fapi/v1/allOpenOrders', { symbol: 'BTCUSDT' });
  });

  it('nth and times: the 2nd and 3rd matching requests fail, the 4th does not; requests that do not match are not counted', async () => {
    await addFault({ name: 'twice', kind: 'unknown-error-503', applied: false, nth: 2, times: 2, match: { method: 'GET', path: '/fapi/v1/time' } });
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await fetch(`${base}/fapi/v1/time`)).status);
      expect((await fetch(`${base}/fapi/v1/ping`)).status).toBe(200);
    }
    expect(statuses).toEqual([200, 503, 503, 200]);
    expect((await faultLog('twice')).map((e) => e.firing)).toEqual([1, 2]);
  });

  it('a fault armed at a wall time does nothing before it', async () => {
    const at = new Date(Date.now() + 700).toISOString();
    await addFault({ name: 'later', kind: 'maintenance', at, durationMs: 500 });
    expect((await fetch(`${base}/fapi/v1/ping`)).status).toBe(200);
    for (let status = 200; status !== 503; ) {
      await sleep(50);
      status = (await fetch(`${base}/fapi/v1/ping`)).status;
    }
    const [fired] = await faultLog('later');
    expect(fired.wallMs as number).toBeGreaterThanOrEqual(Date.parse(at));
  });

  it('ws-fapi connection dropped without a close frame on the nth request (not applied)', async () => {
    await addFault({ name: 'wsdrop', kind: 'disconnect', target: 'ws-api', closeFrame: false, nth: 2 });
    const { ws, frames } = await open(`${wsBase}/ws-fapi/v1`);
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.send(JSON.stringify({ id: 1, method: 'order.status', params: {} }));
    await until('first reply', () => frames.length === 1);
    ws.send(JSON.stringify({ id: 2, method: 'order.status', params: {} }));
    expect(await closed).toBe(1006);
    expect(frames.map((f) => f.id)).toEqual([1]);
  });
});

describe('faults: streams', () => {
  it('a missing depth diff: a client following pu sees the chain break right where the log says', async () => {
    const s = await open(`${wsBase}/public/ws/btcusdt@depth@100ms`);
    try {
      await until('two diffs', () => s.frames.length >= 2);
      await addFault({ name: 'gap', kind: 'depth-gap', nth: 2, match: { symbol: 'BTCUSDT' } });
      const breakAt = await until('a pu break', () => {
        for (let i = 1; i < s.frames.length; i++) if (s.frames[i].pu !== s.frames[i - 1].u) return i;
        return undefined;
      });
      const [entry] = await faultLog('gap');
      expect(entry).toMatchObject({ event: 'fired', stream: 'btcusdt@depth@100ms' });
      // The skipped message is the one between the two the client got.
      expect(s.frames[breakAt].pu).toBe(entry.u);
      expect(s.frames[breakAt - 1].u).toBe(entry.pu);
      // Only one gap.
      await sleep(500);
      const breaks = s.frames.filter((f, i) => i > 0 && f.pu !== s.frames[i - 1].u);
      expect(breaks).toHaveLength(1);
    } finally {
      s.ws.close();
    }
  });

  it('a depth gap by symbol breaks the chain once on each depth stream of the symbol', async () => {
    const fast = await open(`${wsBase}/public/ws/btcusdt@depth@100ms`);
    const slow = await open(`${wsBase}/public/stream?streams=btcusdt@depth`);
    try {
      await until('diffs on both', () => fast.frames.length >= 2 && slow.frames.length >= 2);
      await addFault({ name: 'gap-all', kind: 'depth-gap', match: { symbol: 'BTCUSDT' } });
      const breaks = (frames: Record<string, any>[], pick: (f: Record<string, any>) => Record<string, any>) => frames.filter((f, i) => i > 0 && pick(f).pu !== pick(frames[i - 1]).u);
      await until('a break on both streams', () => breaks(fast.frames, (f) => f).length > 0 && breaks(slow.frames, (f) => f.data).length > 0);
      await sleep(600);
      expect(breaks(fast.frames, (f) => f)).toHaveLength(1);
      expect(breaks(slow.frames, (f) => f.data)).toHaveLength(1);
      const log = await faultLog('gap-all');
      expect(log.map((e) => [e.event, e.stream]).sort()).toEqual([['fired', expect.any(String)], ['skipped', expect.any(String)]].sort());
      expect(new Set(log.map((e) => e.stream))).toEqual(new Set(['btcusdt@depth@100ms', 'btcusdt@depth']));
    } finally {
      fast.ws.close();
      slow.ws.close();
    }
  });

  it('a user stream dropped on its nth event (the order events of one account)', async () => {
    const u = await userStream();
    await addFault({ name: 'u-nth', kind: 'disconnect', target: 'user-stream', nth: 2, closeFrame: true, closeCode: 1000, match: { account: 'test' } });
    const placed = await signed(base, 'POST', '/fapi/v1/order', await farBuy('fudrop'));
    expect(placed.status).toBe(200);
    await signed(base, 'DELETE', '/fapi/v1/order', { symbol: 'BTCUSDT', orderId: placed.json.orderId as number });
    expect((await u.closed).code).toBe(1000);
    // The NEW arrived; the CANCELED (the 2nd event) went to no one.
    expect(u.frames.filter((f) => f.e === 'ORDER_TRADE_UPDATE').map((f) => f.o.X)).toEqual(['NEW']);
    expect(await faultLog('u-nth')).toEqual([expect.objectContaining({ event: 'fired', stream: 'user-stream', account: 'test', connections: 1 })]);
  });

  it('dropped stream connections: without a close frame (1006) and with one (the code given)', async () => {
    const a = await open(`${wsBase}/public/ws/btcusdt@bookTicker`);
    const b = await open(`${wsBase}/public/stream?streams=btcusdt@aggTrade`);
    await addFault({ name: 'cut', kind: 'disconnect', target: 'streams', closeFrame: false, match: { stream: 'btcusdt@bookTicker' } });
    expect((await a.closed).code).toBe(1006);
    expect(b.ws.readyState).toBe(WebSocket.OPEN);
    // Without match: every market-stream connection, also one that has not subscribed yet (ccxt opens /public/ws/0 first), but not the user stream.
    const idle = await open(`${wsBase}/public/ws/0`);
    const u = await userStream();
    await addFault({ name: 'bye', kind: 'disconnect', target: 'streams', closeCode: 1011 });
    expect((await b.closed).code).toBe(1011);
    expect((await idle.closed).code).toBe(1011);
    expect(u.ws.readyState).toBe(WebSocket.OPEN);
    u.ws.close();
    expect(await faultLog('cut')).toEqual([expect.objectContaining({ event: 'fired', trigger: 'time', connections: 1 })]);
  });

  it('a stalled stream goes silent without closing, then resumes', async () => {
    const s = await open(`${wsBase}/public/ws/btcusdt@bookTicker`);
    try {
      await until('frames', () => s.frames.length >= 3);
      await addFault({ name: 'stall', kind: 'stall', target: 'streams', durationMs: 1_000, match: { symbol: 'BTCUSDT' } });
      const [fired] = await until('stall fired', () => server.faults.log.filter((e) => e.fault === 'stall'));
      const n = s.frames.length;
      await sleep(800);
      expect(s.frames.length - n).toBeLessThanOrEqual(1);
      expect(s.ws.readyState).toBe(WebSocket.OPEN);
      await until('frames after the stall', () => s.frames.length > n + 2, 5_000);
      expect(fired).toMatchObject({ connections: 1 });
    } finally {
      s.ws.close();
    }
  });

  it('latency on streams delays frames without reordering them', async () => {
    const s = await open(`${wsBase}/public/ws/btcusdt@bookTicker`);
    try {
      await until('frames', () => s.frames.length >= 2);
      // The frames received before the fault was added (by count: a millisecond clock can stamp the
      // last of them with the very millisecond read here, which a `_at < now` filter would drop).
      const beforeCount = s.frames.length;
      await addFault({ name: 'lag', kind: 'latency', delayMs: 300, durationMs: 1_000, targets: ['streams'] });
      await sleep(1_600);
      const us = s.frames.map((f) => f.u as number);
      expect(us).toEqual([...us].sort((x, y) => x - y));
      // Frames of events inside the period (as the log dates it) arrive about 300 ms after their event time; before it, at once.
      const [fired] = await faultLog('lag');
      const fromMs = (fired.serverTimeUs as number) / 1000 + 20;
      const toMs = (fired.untilUs as number) / 1000 - 50;
      const lagOf = (f: Record<string, number>) => f._at - f.E;
      const during = s.frames.filter((f) => f.E > fromMs && f.E < toMs);
      const before = s.frames.slice(0, beforeCount);
      expect(during.length).toBeGreaterThan(0);
      for (const f of during) expect(lagOf(f)).toBeGreaterThanOrEqual(280);
      expect(before.length).toBeGreaterThanOrEqual(2);
      const lags = before.map(lagOf).sort((x, y) => x - y);
      expect(lags[Math.floor(lags.length / 2)]).toBeLessThan(150);
    } finally {
      s.ws.close();
    }
  });
});

describe('faults: the user data stream', () => {
  it('a fill racing a cancel: the cancel gets -2011 and the fill arrives on the user stream', async () => {
    const u = await userStream();
    try {
      const placed = await signed(base, 'POST', '/fapi/v1/order', await farBuy('frace'));
      expect(placed.status).toBe(200);
      await addFault({ name: 'race', kind: 'fill-before-cancel', match: { symbol: 'BTCUSDT' } });
      const c = await ccxtRest(base);
      await expect(c.cancelOrder(String(placed.json.orderId), 'BTC/USDT:USDT')).rejects.toThrow(/-2011|Unknown order sent/);
      const fill = await until('the fill', () => u.frames.find((f) => f.e === 'ORDER_TRADE_UPDATE' && f.o.c === 'frace' && f.o.X === 'FILLED'));
      expect(fill.o).toMatchObject({ x: 'TRADE', z: '0.010', m: true });
      const q = await signed(base, 'GET', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'frace' });
      expect(q.json.status).toBe('FILLED');
      expect(await faultLog('race')).toEqual([expect.objectContaining({ event: 'fired', orderId: placed.json.orderId, filled: true })]);
      // Flatten the position the fill opened.
      await signed(base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.010', reduceOnly: 'true' });
    } finally {
      u.ws.close();
    }
  });

  it('a fill racing a cancel-all (match.path /fapi/v1/allOpenOrders): the order fills, the cancel-all answers 200; single cancels are not matched', async () => {
    const u = await userStream();
    try {
      const a = await signed(base, 'POST', '/fapi/v1/order', await farBuy('fall1'));
      const b = await signed(base, 'POST', '/fapi/v1/order', await farBuy('fall2'));
      expect([a.status, b.status]).toEqual([200, 200]);
      await addFault({ name: 'race-all', kind: 'fill-before-cancel', match: { symbol: 'BTCUSDT', path: '/fapi/v1/allOpenOrders' } });
      // A single cancel is not the cancel-all: fall2 is cancelled plainly.
      expect((await signed(base, 'DELETE', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'fall2' })).json.status).toBe('CANCELED');
      const all = await signed(base, 'DELETE', '/fapi/v1/allOpenOrders', { symbol: 'BTCUSDT' });
      expect(all.json).toEqual({ code: 200, msg: 'The operation of cancel all open order is done.' });
      const fill = await until('the fill', () => u.frames.find((f) => f.e === 'ORDER_TRADE_UPDATE' && f.o.c === 'fall1' && f.o.X === 'FILLED'));
      expect(fill.o).toMatchObject({ x: 'TRADE', z: '0.010', m: true });
      expect((await signed(base, 'GET', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'fall1' })).json.status).toBe('FILLED');
      expect(await faultLog('race-all')).toEqual([expect.objectContaining({ event: 'fired', orderId: a.json.orderId, filled: true })]);
      await signed(base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.010', reduceOnly: 'true' });
    } finally {
      u.ws.close();
    }
  });

  it('listenKey expiry: listenKeyExpired is pushed, then keepalive gets -1125 and a new key works', async () => {
    const u = await userStream();
    try {
      await addFault({ name: 'lke', kind: 'listen-key-expired', match: { account: 'test' } });
      const ev = await until('listenKeyExpired', () => u.frames.find((f) => f.e === 'listenKeyExpired'));
      expect(ev.listenKey).toBe(u.key);
      const put = await signed(base, 'PUT', '/fapi/v1/listenKey', {});
      expect(put.json.code).toBe(-1125);
      const again = await signed(base, 'POST', '/fapi/v1/listenKey', {});
      expect(again.json.listenKey).not.toBe(u.key);
      expect(await faultLog('lke')).toEqual([expect.objectContaining({ event: 'fired', listenKeys: 1 })]);
    } finally {
      u.ws.close();
    }
  });

  it('listenKey invalidated silently on the nth keepalive: the PUT gets -1125, no event', async () => {
    const u = await userStream();
    try {
      await addFault({ name: 'lke-put', kind: 'listen-key-expired', event: false, nth: 1, match: { method: 'PUT', path: '/fapi/v1/listenKey' } });
      expect((await signed(base, 'PUT', '/fapi/v1/listenKey', {})).json.code).toBe(-1125);
      await sleep(300);
      expect(u.frames.filter((f) => f.e === 'listenKeyExpired')).toEqual([]);
    } finally {
      u.ws.close();
    }
  });

  it('user stream dropped without a close frame, for one account', async () => {
    const u = await userStream();
    await addFault({ name: 'ucut', kind: 'disconnect', target: 'user-stream', closeFrame: false, match: { account: 'test' } });
    expect((await u.closed).code).toBe(1006);
  });
});

describe('the admin API', () => {
  it('refuses a fault that does not validate, naming the key', async () => {
    const r = await fetch(`${base}/admin/faults`, { method: 'POST', body: JSON.stringify({ kind: 'latency', delayMs: 10 }) });
    expect([r.status, await r.json()]).toEqual([400, { error: 'faults.0.durationMs: is required for kind latency' }]);
    const list = await (await fetch(`${base}/admin/faults`)).json();
    expect(list).toEqual([]);
  });

  it('refuses a duration longer than a Node timer keeps (it would end after 1 ms), naming the key', async () => {
    const r = await fetch(`${base}/admin/faults`, { method: 'POST', body: JSON.stringify([{ kind: 'stall', durationMs: 1000 }, { kind: 'stall', durationMs: 2 ** 31 }]) });
    expect([r.status, await r.json()]).toEqual([400, { error: 'faults.1.durationMs: must be ≤ 2147483647 (24.8 days, the longest timer Node keeps), got 2147483648' }]);
    expect(await (await fetch(`${base}/admin/faults`)).json()).toEqual([]);
  });

  it('refuses a rate-limit ban (banMs) longer than that bound too, naming the key', async () => {
    const r = await fetch(`${base}/admin/faults`, { method: 'POST', body: JSON.stringify({ kind: 'rate-limit', durationMs: 1000, banMs: 1e15 }) });
    expect([r.status, await r.json()]).toEqual([400, { error: 'faults.0.banMs: must be ≤ 2147483647 (24.8 days, the longest timer Node keeps), got 1000000000000000' }]);
    expect(await (await fetch(`${base}/admin/faults`)).json()).toEqual([]);
  });
});
