// The ws-fapi gateway against `maker exchange` in-process (faults through the admin API) and a stub
// WebSocket server for what the exchange cannot do (never answer, never pong): the same commands
// give the same events as the REST gateway (a table run through both, both key types); -5022 and
// -2011 refusals; a latency past the timeout and -1007 → requestUnknown, the late reply ignored, the
// order then found (or not) by a query; a connection dropped with the order applied →
// requestUnknown, reconnect, the order found over ws and REST; commands refused while not
// connected; 429 with retryAfter blocks the shared budget; -1021 re-signed once; close(); no secret
// in any output. Every server and client is closed at the end.
import { inspect } from 'node:util';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BinanceWsGateway, Signer, type BinanceGateway, type Credentials, type Throttle, type WsGatewayOptions } from '../../../src/adapter/binance/index.ts';
import { WallClock, wallTimers } from '../../../src/live/index.ts';
import type { OrderRequest, VenueCommand, VenueEvent } from '../../../src/model/venue.ts';
import { bookTicks, ED_CREDS, gatewayFor, HMAC_CREDS, instrument, leaks, restFor, roundTrip, startLocal } from './helpers.ts';

let h: Awaited<ReturnType<typeof startLocal>>;
let wsUrl = '';
const outputs: string[] = [];
const gateways: BinanceWsGateway[] = [];

beforeAll(async () => {
  h = await startLocal({ admin: true });
  wsUrl = `${h.base.replace('http', 'ws')}/ws-fapi/v1`;
}, 30_000);

afterEach(async () => {
  await fetch(`${h.base}/admin/faults`, { method: 'DELETE' });
});

afterAll(async () => {
  for (const g of gateways) await g.close();
  for (const g of gateways) outputs.push(JSON.stringify(g.client.stats), inspect(g, { depth: 6 }));
  await h?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean, ms = 8_000): Promise<void> {
  for (let t = 0; !cond(); t += 20) {
    if (t > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function addFault(f: object): Promise<void> {
  const r = await fetch(`${h.base}/admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(f) });
  expect(r.status, await r.clone().text()).toBe(200);
}

/** A ws gateway on the local exchange, its server time and budget from a REST client (synced). */
async function wsGateway(creds: Credentials = HMAC_CREDS, o: Partial<WsGatewayOptions> = {}) {
  const rest = restFor(h.base, creds);
  expect((await rest.syncTime()).kind).toBe('ok');
  const g = new BinanceWsGateway({ url: wsUrl, signer: new Signer(creds), time: rest, budget: rest.budget, clock: new WallClock(), timers: wallTimers, instruments: new Map([[instrument.symbol, instrument]]), timeoutMs: 5_000, ...o });
  gateways.push(g);
  await g.start();
  expect(g.client.state).toBe('open');
  return { g, rest };
}

const order = (o: Partial<OrderRequest> & Pick<OrderRequest, 'clientOrderId' | 'side' | 'priceTicks'>): OrderRequest => ({ symbol: 'BTCUSDT', type: 'LIMIT', timeInForce: 'GTX', qtyLots: 20, reduceOnly: false, ...o });

async function trip(g: BinanceWsGateway | BinanceGateway, cmd: VenueCommand): Promise<VenueEvent[]> {
  const events = await roundTrip(g as BinanceGateway, cmd);
  outputs.push(JSON.stringify(events));
  return events;
}

/** Events with what differs between two runs of the same commands taken out: ids, times, the run's prefix. */
function normalized(events: VenueEvent[], prefix: string): unknown[] {
  return events.map((e) => JSON.parse(JSON.stringify(e).replaceAll(prefix, '<run>').replace(/"orderId":[1-9]\d*/g, '"orderId":"<id>"').replace(/"tsExchangeUs":\d+/g, '"tsExchangeUs":0')));
}

describe('BinanceWsGateway: the same events as the REST gateway', () => {
  for (const creds of [HMAC_CREDS, ED_CREDS]) {
    it(`place, query, modify, cancel, query, -5022, -2011 (${creds.keyType} key)`, async () => {
      const { g: ws, rest } = await wsGateway(creds);
      const viaRest = gatewayFor(restFor(h.base, creds));
      const { bid, ask } = await bookTicks(h.base);
      const script = (p: string): VenueCommand[] => [
        { kind: 'submit', order: order({ clientOrderId: `${p}-a`, side: 'buy', priceTicks: bid - 5_000 }) },
        { kind: 'query', symbol: 'BTCUSDT', clientOrderId: `${p}-a`, orderId: -1 },
        { kind: 'modify', symbol: 'BTCUSDT', clientOrderId: `${p}-a`, side: 'buy', priceTicks: bid - 6_000, qtyLots: 30 },
        { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: `${p}-a` },
        { kind: 'query', symbol: 'BTCUSDT', clientOrderId: `${p}-a`, orderId: -1 },
        { kind: 'query', symbol: 'BTCUSDT', clientOrderId: `${p}-never`, orderId: -1 },
        { kind: 'submit', order: order({ clientOrderId: `${p}-cross`, side: 'buy', priceTicks: ask + 2_000 }) },
        { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: `${p}-never` },
        { kind: 'modify', symbol: 'BTCUSDT', clientOrderId: `${p}-never`, side: 'buy', priceTicks: bid - 6_000, qtyLots: 30 },
      ];
      const runs: unknown[][] = [];
      for (const [p, g] of [[`r${creds.keyType}`, viaRest], [`w${creds.keyType}`, ws]] as const) {
        const events: VenueEvent[] = [];
        for (const cmd of script(p)) events.push(...(await trip(g, cmd)));
        runs.push(normalized(events, p));
      }
      expect(runs[1]).toEqual(runs[0]);
      // The table says what both gave: an ack, found NEW, an amendment, a cancel, found CANCELED, not found, -5022, -2011, a modify refusal.
      const summary = (runs[1] as { kind: string; report?: { execType: string; errorCode: number }; result?: { found: boolean; status?: string } }[]).map((e) => (e.kind === 'report' ? `${e.report!.execType}${e.report!.errorCode !== 0 ? ` ${e.report!.errorCode}` : ''}` : `${e.kind} ${e.result!.found ? e.result!.status : 'not found'}`));
      expect(summary.slice(0, 8)).toEqual(['NEW', 'queryAnswer NEW', 'AMENDMENT', 'CANCELED', 'queryAnswer CANCELED', 'queryAnswer not found', 'REJECTED -5022', 'CANCEL_REJECTED -2011']);
      expect(summary[8]).toMatch(/^MODIFY_REJECTED -20(11|13)$/);
      expect(ws.sent).toEqual({ submit: 2, cancel: 2, modify: 2, query: 3 });
      // Ed25519: one session.logon, then unsigned requests; HMAC: every request signed.
      expect(ws.client.stats.logons).toBe(creds.keyType === 'Ed25519' ? 1 : 0);
      expect(ws.client.stats).toMatchObject({ requests: 9 + ws.client.stats.logons, replies: 9 + ws.client.stats.logons, timeouts: 0, aborted: 0 });
      // The ws requests took from the shared budget (the REST client's stats).
      expect(rest.stats.orderCount1m).toBeGreaterThanOrEqual(4);
      expect(rest.stats.usedWeight1m).toBeGreaterThan(5);
    });
  }
});

describe('BinanceWsGateway: unknown outcomes', () => {
  it('a reply later than the timeout: requestUnknown, the late reply ignored, the order found by a query', async () => {
    const { g } = await wsGateway(HMAC_CREDS, { timeoutMs: 300 });
    await addFault({ name: 'slow', kind: 'latency', delayMs: 1_000, durationMs: 5_000, targets: ['ws-api'], match: { wsMethod: 'order.place' } });
    const { bid } = await bookTicks(h.base);
    expect(await trip(g, { kind: 'submit', order: order({ clientOrderId: 'ws-slow', side: 'buy', priceTicks: bid - 5_000 }) })).toEqual([{ kind: 'requestUnknown', symbol: 'BTCUSDT', clientOrderId: 'ws-slow', request: 'submit', cause: 'order.place: no reply within 300 ms' }]);
    await until('the late reply', () => g.client.stats.unmatched === 1);
    expect(g.drainEvents()).toEqual([]);
    const [q] = await trip(g, { kind: 'query', symbol: 'BTCUSDT', clientOrderId: 'ws-slow', orderId: -1 });
    expect(q).toMatchObject({ kind: 'queryAnswer', result: { found: true, status: 'NEW' } });
    expect(g.sent.submit).toBe(1);
    expect(g.client.stats).toMatchObject({ timeouts: 1, requests: 2 });
    await trip(g, { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: 'ws-slow' });
  });

  it('-1007 on order.place (not applied): requestUnknown, then not found', async () => {
    const { g } = await wsGateway();
    await addFault({ name: 'to', kind: 'timeout-1007', applied: false, match: { wsMethod: 'order.place' } });
    const { bid } = await bookTicks(h.base);
    const [e] = await trip(g, { kind: 'submit', order: order({ clientOrderId: 'ws-1007', side: 'buy', priceTicks: bid - 5_000 }) });
    expect(e).toMatchObject({ kind: 'requestUnknown', request: 'submit', cause: expect.stringMatching(/^order\.place: status 408 code -1007: Timeout waiting/) });
    expect(await trip(g, { kind: 'query', symbol: 'BTCUSDT', clientOrderId: 'ws-1007', orderId: -1 })).toEqual([{ kind: 'queryAnswer', symbol: 'BTCUSDT', result: { clientOrderId: 'ws-1007', found: false } }]);
  });

  it('the connection drops with the order applied: requestUnknown, reconnect, the order found over ws and REST', async () => {
    const states: string[] = [];
    const { g, rest } = await wsGateway(ED_CREDS, { onState: (s) => states.push(s) });
    await addFault({ name: 'drop', kind: 'disconnect', target: 'ws-api', closeFrame: false, applied: true, nth: 1, match: { wsMethod: 'order.place' } });
    const { bid } = await bookTicks(h.base);
    expect(await trip(g, { kind: 'submit', order: order({ clientOrderId: 'ws-drop', side: 'buy', priceTicks: bid - 5_000 }) })).toEqual([
      { kind: 'streamState', stream: 'orderEntry', up: false, tsUs: expect.any(Number), reason: expect.stringMatching(/^ws-fapi reconnecting: /) },
      { kind: 'requestUnknown', symbol: 'BTCUSDT', clientOrderId: 'ws-drop', request: 'submit', cause: 'order.place: connection closed (1006) with the request in flight' },
    ]);
    await until('reconnected', () => g.client.state === 'open');
    expect(states).toEqual(['connecting', 'logon', 'open', 'reconnecting', 'connecting', 'logon', 'open']);
    // Up again once logged on (not at the socket's open).
    expect(g.drainEvents()).toEqual([{ kind: 'streamState', stream: 'orderEntry', up: true, tsUs: expect.any(Number), reason: 'ws-fapi open: connected, logged on' }]);
    expect(g.client.stats).toMatchObject({ connects: 2, drops: 1, logons: 2, aborted: 1 });
    const [q] = await trip(g, { kind: 'query', symbol: 'BTCUSDT', clientOrderId: 'ws-drop', orderId: -1 });
    expect(q).toMatchObject({ kind: 'queryAnswer', result: { found: true, status: 'NEW', origQtyLots: 20 } });
    const [qr] = await trip(gatewayFor(rest), { kind: 'query', symbol: 'BTCUSDT', clientOrderId: 'ws-drop', orderId: -1 });
    expect(qr).toEqual(q);
    expect((await trip(g, { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: 'ws-drop' }))[0]).toMatchObject({ kind: 'report', report: { execType: 'CANCELED' } });
  });

  it('while reconnecting, commands are refused locally (not sent) and queries answer nothing; order entry is told down, then up', async () => {
    const { g } = await wsGateway(HMAC_CREDS, { backoffMs: 1_000 });
    // The first open tells nothing: the driver starts sending once start() resolved.
    expect(g.drainEvents()).toEqual([]);
    await addFault({ name: 'cut', kind: 'disconnect', target: 'ws-api', closeCode: 1001 });
    await until('the drop', () => g.client.state === 'reconnecting');
    expect(g.drainEvents()).toEqual([{ kind: 'streamState', stream: 'orderEntry', up: false, tsUs: expect.any(Number), reason: expect.stringMatching(/^ws-fapi reconnecting: dropped \(1001\)/) }]);
    const [e] = await trip(g, { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: 'ws-any' });
    expect(e).toMatchObject({ kind: 'report', report: { execType: 'CANCEL_REJECTED', errorCode: 0, errorMessage: 'not sent: ws-fapi not connected (reconnecting)' } });
    expect(await trip(g, { kind: 'query', symbol: 'BTCUSDT', clientOrderId: 'ws-any', orderId: -1 })).toEqual([]);
    await until('reconnected', () => g.client.state === 'open');
    expect(g.client.stats.requests).toBe(0);
    // Told once each way (the reconnect's connecting is still down); close() is ours and tells nothing.
    expect(g.drainEvents()).toEqual([{ kind: 'streamState', stream: 'orderEntry', up: true, tsUs: expect.any(Number), reason: 'ws-fapi open: connected' }]);
    await g.close();
    expect(g.drainEvents()).toEqual([]);
  });
});

describe('BinanceWsGateway: rate limits and time', () => {
  it('429 with retryAfter: the query answers nothing, the shared budget blocks REST and ws, onThrottle is told', async () => {
    const throttles: Throttle[] = [];
    const rest = restFor(h.base, HMAC_CREDS, { onThrottle: (t) => throttles.push(t) });
    await rest.syncTime();
    const g = new BinanceWsGateway({ url: wsUrl, signer: new Signer(HMAC_CREDS), time: rest, budget: rest.budget, clock: new WallClock(), timers: wallTimers, instruments: new Map([[instrument.symbol, instrument]]) });
    gateways.push(g);
    await g.start();
    await addFault({ name: 'limit', kind: 'rate-limit', durationMs: 3_000, match: { wsMethod: 'order.status' } });
    expect(await trip(g, { kind: 'query', symbol: 'BTCUSDT', clientOrderId: 'ws-rl', orderId: -1 })).toEqual([]);
    expect(throttles).toHaveLength(1);
    expect(throttles[0]).toMatchObject({ httpStatus: 429, code: -1003 });
    expect(throttles[0].untilUs).toBeGreaterThan(throttles[0].tsUs);
    expect(rest.blockedUntil).toBe(throttles[0].untilUs);
    const sentBefore = g.client.stats.requests;
    const [e] = await trip(g, { kind: 'submit', order: order({ clientOrderId: 'ws-rl', side: 'buy', priceTicks: 1000 }) });
    expect(e).toMatchObject({ kind: 'report', report: { execType: 'REJECTED', errorCode: -1003, errorMessage: 'not sent: Binance asked us to wait (429/418)' } });
    const [r] = await trip(gatewayFor(rest), { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: 'ws-rl' });
    expect(r).toMatchObject({ kind: 'report', report: { execType: 'CANCEL_REJECTED', errorCode: -1003 } });
    expect(g.client.stats.requests).toBe(sentBefore);
  });

  it('-1021 after the server clock moved: the offset is measured again and the request re-signed once', async () => {
    const { g, rest } = await wsGateway();
    await addFault({ name: 'skew', kind: 'clock-skew', skewMs: 20_000, durationMs: 5_000 });
    const { bid } = await bookTicks(h.base);
    const [e] = await trip(g, { kind: 'submit', order: order({ clientOrderId: 'ws-skew', side: 'buy', priceTicks: bid - 5_000 }) });
    expect(e).toMatchObject({ kind: 'report', report: { execType: 'NEW', clientOrderId: 'ws-skew' } });
    expect(g.client.stats.resigned).toBe(1);
    expect(rest.serverOffsetMs).toBeGreaterThan(15_000);
    await trip(g, { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: 'ws-skew' });
  });
});

describe('BinanceWsGateway: a server that never answers nor pongs (stub)', () => {
  let stub: WebSocketServer;
  let url = '';
  const frames: { id: unknown; method: string; params: Record<string, unknown> }[] = [];
  const sockets: ServerSocket[] = [];
  /** What the stub answers to a frame (undefined: nothing). */
  let answer: (f: { id: unknown; method: string }) => object | undefined = () => undefined;
  beforeAll(async () => {
    stub = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: false });
    stub.on('connection', (s) => {
      sockets.push(s);
      s.on('message', (d) => {
        const f = JSON.parse(String(d));
        frames.push(f);
        const a = answer(f);
        if (a !== undefined) s.send(JSON.stringify({ id: f.id, ...a }));
      });
    });
    await new Promise<void>((r) => stub.once('listening', () => r()));
    url = `ws://127.0.0.1:${(stub.address() as AddressInfo).port}/ws-fapi/v1`;
  });
  afterEach(() => {
    answer = () => undefined;
  });
  afterAll(async () => {
    for (const s of sockets) s.terminate();
    await new Promise<void>((r) => stub.close(() => r()));
  });

  const stubGateway = (o: Partial<WsGatewayOptions> = {}) => {
    const g = new BinanceWsGateway({ url, signer: new Signer(HMAC_CREDS), time: { serverNowMs: () => Date.now(), serverOffsetMs: 0 }, clock: new WallClock(), timers: wallTimers, instruments: new Map([[instrument.symbol, instrument]]), ...o });
    gateways.push(g);
    return g;
  };

  it('outstanding requests when the connection drops: each unknown, none re-sent; ids unique; HMAC requests signed', async () => {
    const g = stubGateway({ timeoutMs: 10_000, backoffMs: 50 });
    await g.start();
    frames.length = 0;
    g.send({ kind: 'submit', order: order({ clientOrderId: 'st-1', side: 'buy', priceTicks: 1000 }) }, Date.now() * 1000);
    g.send({ kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: 'st-0' }, Date.now() * 1000);
    g.send({ kind: 'query', symbol: 'BTCUSDT', clientOrderId: 'st-0', orderId: -1 }, Date.now() * 1000);
    await until('three requests', () => frames.length === 3);
    sockets.at(-1)!.terminate();
    await g.idle();
    expect(g.drainEvents()).toEqual([
      { kind: 'streamState', stream: 'orderEntry', up: false, tsUs: expect.any(Number), reason: expect.stringMatching(/^ws-fapi reconnecting: /) },
      { kind: 'requestUnknown', symbol: 'BTCUSDT', clientOrderId: 'st-1', request: 'submit', cause: 'order.place: connection closed (1006) with the request in flight' },
      { kind: 'requestUnknown', symbol: 'BTCUSDT', clientOrderId: 'st-0', request: 'cancel', cause: 'order.cancel: connection closed (1006) with the request in flight' },
    ]);
    await until('reconnected', () => g.client.state === 'open');
    await sleep(100);
    expect(frames.map((f) => f.method)).toEqual(['order.place', 'order.cancel', 'order.status']);
    expect(new Set(frames.map((f) => f.id)).size).toBe(3);
    const p = frames[0].params;
    expect(p).toMatchObject({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', price: instrument.ticksToPrice(1000), quantity: instrument.lotsToQty(20), newClientOrderId: 'st-1', newOrderRespType: 'ACK', recvWindow: 5000 });
    expect(typeof p.timestamp).toBe('number');
    expect(p.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(p.apiKey).toBe(HMAC_CREDS.apiKey);
  });

  it('Ed25519: session.logon once, then requests without apiKey and signature; a refused logon falls back to signing each', async () => {
    for (const logonOk of [true, false]) {
      answer = (f) =>
        f.method !== 'session.logon' ? { status: 400, error: { code: -2013, msg: 'Order does not exist.' } } : logonOk ? { status: 200, result: { apiKey: ED_CREDS.apiKey } } : { status: 400, error: { code: -1022, msg: 'Signature for this request is not valid.' } };
      const g = stubGateway({ signer: new Signer(ED_CREDS) });
      frames.length = 0;
      await g.start();
      expect(g.client.state).toBe('open');
      expect(await trip(g, { kind: 'query', symbol: 'BTCUSDT', clientOrderId: 'ed-1', orderId: -1 })).toEqual([{ kind: 'queryAnswer', symbol: 'BTCUSDT', result: { clientOrderId: 'ed-1', found: false } }]);
      expect(frames.map((f) => f.method)).toEqual(['session.logon', 'order.status']);
      expect(frames[0].params).toEqual({ apiKey: ED_CREDS.apiKey, recvWindow: 5000, timestamp: expect.any(Number), signature: expect.stringMatching(/^[A-Za-z0-9+/]{86}==$/) });
      if (logonOk) expect(frames[1].params).toEqual({ symbol: 'BTCUSDT', origClientOrderId: 'ed-1', recvWindow: 5000, timestamp: expect.any(Number) });
      else expect(frames[1].params).toMatchObject({ apiKey: ED_CREDS.apiKey, signature: expect.stringMatching(/^[A-Za-z0-9+/]{86}==$/) });
      expect(g.client.stats.logons).toBe(logonOk ? 1 : 0);
      if (!logonOk) expect(g.client.stats.lastError).toBe('session.logon: -1022 Signature for this request is not valid.');
      await g.close();
    }
  });

  it('rateLimits of a reply set the budget to Binance counts', async () => {
    answer = () => ({
      status: 200,
      result: { orderId: 5, symbol: 'BTCUSDT', status: 'CANCELED', clientOrderId: 'rl-1', price: instrument.ticksToPrice(1000), origQty: instrument.lotsToQty(20), executedQty: '0', side: 'BUY', updateTime: 1_700_000_000_000 },
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400, count: 1234 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 300, count: 77 },
        { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200, count: 555 },
      ],
    });
    const g = stubGateway();
    await g.start();
    const [e] = await trip(g, { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: 'rl-1' });
    expect(e).toMatchObject({ kind: 'report', report: { execType: 'CANCELED', orderId: 5, priceTicks: 1000, origQtyLots: 20, tsExchangeUs: 1_700_000_000_000_000 } });
    expect(g.client.budget.counts).toMatchObject({ usedWeight1m: 1234, orderCount10s: 77, orderCount1m: 555 });
    await g.close();
  });

  it('no pong within the deadline: the socket is dropped and the client reconnects', async () => {
    const g = stubGateway({ pingIntervalMs: 100, pongTimeoutMs: 100, backoffMs: 50 });
    await g.start();
    await until('a drop for the missing pong', () => g.client.stats.drops === 1);
    expect(g.client.stats.lastError).toBe('no pong');
    await until('reconnected', () => g.client.state === 'open');
    await g.close();
  });

  it('close(): outstanding requests unknown, a close frame, later commands refused', async () => {
    const g = stubGateway({ timeoutMs: 10_000 });
    await g.start();
    const server = sockets.at(-1)!;
    const closeCode = new Promise<number>((r) => server.once('close', (code) => r(code)));
    g.send({ kind: 'modify', symbol: 'BTCUSDT', clientOrderId: 'st-2', side: 'sell', priceTicks: 1000, qtyLots: 20 }, Date.now() * 1000);
    await until('the request', () => frames.some((f) => f.method === 'order.modify'));
    await g.close();
    expect(g.client.state).toBe('closed');
    expect(await closeCode).toBe(1000);
    expect(g.drainEvents()).toEqual([{ kind: 'requestUnknown', symbol: 'BTCUSDT', clientOrderId: 'st-2', request: 'modify', cause: 'order.modify: client closed with the request in flight' }]);
    const [e] = await trip(g, { kind: 'submit', order: order({ clientOrderId: 'st-3', side: 'buy', priceTicks: 1000 }) });
    expect(e).toMatchObject({ kind: 'report', report: { execType: 'REJECTED', errorCode: 0, errorMessage: 'not sent: client closed' } });
  });

  it('nothing listening: bounded attempts, then failed; commands refused', async () => {
    const probe = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => probe.once('listening', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const delays: number[] = [];
    const timers = { after: (ms: number, f: () => void) => (delays.push(ms), wallTimers.after(ms, f)), cancel: wallTimers.cancel };
    const g = stubGateway({ url: `ws://127.0.0.1:${port}/ws-fapi/v1`, backoffMs: 10, maxBackoffMs: 40, maxAttempts: 6, timers });
    await g.start();
    expect(g.client.state).toBe('failed');
    expect(g.client.stats.failedConnects).toBe(6);
    // Doubling, capped, one wait between attempts.
    expect(delays).toEqual([10, 20, 40, 40, 40]);
    const [e] = await trip(g, { kind: 'submit', order: order({ clientOrderId: 'st-4', side: 'buy', priceTicks: 1000 }) });
    expect(e).toMatchObject({ kind: 'report', report: { execType: 'REJECTED', errorMessage: 'not sent: ws-fapi not connected (failed)' } });
  });

  it('a URL that is not ws:// fails at construction, naming it', () => {
    expect(() => stubGateway({ url: 'http://127.0.0.1:1/ws-fapi/v1' })).toThrow(/ws-fapi url "http:\/\/127\.0\.0\.1:1\/ws-fapi\/v1": scheme http: is not ws: or wss:/);
  });
});

it('no secret in any event, stats, inspected gateway or error', async () => {
  for (const g of gateways) await g.close();
  for (const g of gateways) outputs.push(JSON.stringify(g.client.stats), g.client.stats.lastError, inspect(g, { depth: 6 }));
  expect(outputs.length).toBeGreaterThan(20);
  expect(leaks(outputs)).toEqual([]);
});
