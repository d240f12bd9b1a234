// Order entry stopped for the shutdown (OrderGateway.stopSending): a command sent after it, and a
// submit in flight whose -1021 re-send would come after it, never reach the venue; each is a
// REJECTED "not sent: order entry stopped (…)" report (code 0), so the OMS learns it was not
// applied. Both transports: REST on a scripted fetch (no network), ws-fapi against a stub server on
// loopback. The time sync of the -1021 path is held until the test has stopped order entry, which
// is the race of a shutdown whose final open-orders check has already run.
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinanceGateway, BinanceRest, BinanceWsGateway, Signer, type Timers } from '../../../src/adapter/binance/index.ts';
import { WallClock, wallTimers } from '../../../src/live/index.ts';
import type { OrderRequest, VenueEvent } from '../../../src/model/venue.ts';
import { instrument } from './helpers.ts';

const signer = new Signer({ apiKey: 'stopKeyAAAA', keyType: 'HMAC', secret: 'stopSecretQQ1w2e3r4t5y6u7i8o9p' });
const instruments = new Map([[instrument.symbol, instrument]]);
const order = (clientOrderId: string): OrderRequest => ({ symbol: 'BTCUSDT', clientOrderId, side: 'buy', type: 'LIMIT', timeInForce: 'GTX', priceTicks: 1000, qtyLots: 20, reduceOnly: false });
const NOT_SENT = { kind: 'report', report: { execType: 'REJECTED', status: 'REJECTED', orderId: -1, errorCode: 0, errorMessage: 'not sent: order entry stopped (shutdown: test)' } };

/** Timers that never fire (the tests end before any timeout). */
const idleTimers: Timers = { after: () => 0, cancel: () => undefined };

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function until(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  for (let t = 0; !cond(); t += 5) {
    if (t > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('REST gateway: stopSending', () => {
  function setup() {
    const paths: string[] = [];
    const timeReply = deferred<Response>();
    const fetchFn = (async (url: string | URL | Request) => {
      const path = new URL(String(url)).pathname;
      paths.push(path);
      if (path === '/fapi/v1/time') return timeReply.promise;
      if (paths.filter((p) => p === '/fapi/v1/order').length === 1) return new Response(JSON.stringify({ code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' }), { status: 400 });
      return new Response(JSON.stringify({ orderId: 7, symbol: 'BTCUSDT', status: 'NEW', clientOrderId: 'x', price: '100', origQty: '0.020', executedQty: '0', side: 'BUY' }), { status: 200 });
    }) as typeof fetch;
    const rest = new BinanceRest({ baseUrl: 'http://venue.test', signer, clock: { nowUs: () => 1_700_000_000_000_000 }, timers: idleTimers, serverOffsetMs: 0, fetch: fetchFn });
    const g = new BinanceGateway({ rest, instruments });
    return { g, rest, paths, timeReply };
  }

  it('a submit refused -1021 whose time sync ends after the stop is not re-sent: the OMS gets "not sent"', async () => {
    const { g, rest, paths, timeReply } = setup();
    g.send({ kind: 'submit', order: order('stop-1') }, 1);
    await until('the time sync after -1021', () => paths.includes('/fapi/v1/time'));
    g.stopSending('shutdown: test');
    timeReply.resolve(new Response(JSON.stringify({ serverTime: 1_700_000_000_000 }), { status: 200 }));
    await g.idle();
    expect(paths).toEqual(['/fapi/v1/order', '/fapi/v1/time']);
    expect(rest.stats.resigned).toBe(0);
    const events: VenueEvent[] = g.drainEvents();
    expect(events).toEqual([expect.objectContaining({ ...NOT_SENT, report: expect.objectContaining({ ...NOT_SENT.report, clientOrderId: 'stop-1' }) })]);
  });

  it('commands sent after the stop are refused locally, nothing written; the REST client itself still serves the shutdown', async () => {
    const { g, rest, paths } = setup();
    g.stopSending('shutdown: test');
    g.stopSending('a second reason is ignored');
    expect(g.sendingStopped).toBe(true);
    g.send({ kind: 'submit', order: order('stop-2') }, 1);
    g.send({ kind: 'modify', symbol: 'BTCUSDT', clientOrderId: 'stop-3', side: 'buy', priceTicks: 1000, qtyLots: 20 }, 1);
    g.send({ kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: 'stop-4' }, 1);
    g.send({ kind: 'query', symbol: 'BTCUSDT', clientOrderId: 'stop-5', orderId: -1 }, 1);
    await g.idle();
    expect(paths).toEqual([]);
    const events = g.drainEvents();
    expect(events.map((e) => (e.kind === 'report' ? [e.report.clientOrderId, e.report.execType, e.report.errorMessage] : e.kind))).toEqual([
      ['stop-2', 'REJECTED', 'not sent: order entry stopped (shutdown: test)'],
      ['stop-3', 'MODIFY_REJECTED', 'not sent: order entry stopped (shutdown: test)'],
      ['stop-4', 'CANCEL_REJECTED', 'not sent: order entry stopped (shutdown: test)'],
    ]);
    // The session's shutdown cancels over the same client: not stopped.
    expect((await rest.request({ method: 'DELETE', path: '/fapi/v1/allOpenOrders', params: { symbol: 'BTCUSDT' }, signed: true })).kind).toBe('ok');
  });
});

describe('ws-fapi gateway: stopSending', () => {
  let stub: WebSocketServer;
  let url = '';
  const methods: string[] = [];
  beforeAll(async () => {
    stub = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    stub.on('connection', (s) =>
      s.on('message', (d) => {
        const f = JSON.parse(String(d)) as { id: number; method: string };
        methods.push(f.method);
        s.send(JSON.stringify({ id: f.id, status: 400, error: { code: -1021, msg: 'Timestamp outside recvWindow' } }));
      }),
    );
    await new Promise<void>((r) => stub.once('listening', () => r()));
    url = `ws://127.0.0.1:${(stub.address() as AddressInfo).port}/ws-fapi/v1`;
  });
  afterAll(async () => {
    for (const s of stub.clients) s.terminate();
    await new Promise<void>((r) => stub.close(() => r()));
  });

  it('a submit refused -1021 whose time sync ends after the stop is not re-sent: the OMS gets "not sent"', async () => {
    const synced = deferred<void>();
    let syncs = 0;
    const g = new BinanceWsGateway({
      url,
      signer,
      clock: new WallClock(),
      timers: wallTimers,
      instruments,
      time: {
        serverNowMs: () => Date.now(),
        serverOffsetMs: 0,
        syncTime: () => {
          syncs++;
          return synced.promise;
        },
      },
    });
    try {
      await g.start();
      expect(g.client.state).toBe('open');
      g.send({ kind: 'submit', order: order('ws-stop-1') }, 1);
      await until('the time sync after -1021', () => syncs === 1);
      g.stopSending('shutdown: test');
      synced.resolve();
      await g.idle();
      g.send({ kind: 'submit', order: order('ws-stop-2') }, 1);
      await g.idle();
      expect(methods).toEqual(['order.place']);
      expect(g.client.stats.resigned).toBe(0);
      expect(g.drainEvents().map((e) => (e.kind === 'report' ? [e.report.clientOrderId, e.report.execType, e.report.errorCode, e.report.errorMessage] : e.kind))).toEqual([
        ['ws-stop-1', 'REJECTED', 0, 'not sent: order entry stopped (shutdown: test)'],
        ['ws-stop-2', 'REJECTED', 0, 'not sent: order entry stopped (shutdown: test)'],
      ]);
    } finally {
      synced.resolve();
      await g.close();
    }
  });
});
