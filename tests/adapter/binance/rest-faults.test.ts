// The REST client's fault paths, each with the gateway event it leads to: -1021 from a client
// clock that jumped (re-measured offset, one re-sign), a server that never answers (timeout →
// requestUnknown, never re-sent), 503 "Unknown error" / -1007 / a reply that is not JSON / a
// refused connection (unknown), 503 -1008 (a definitive refusal), 429 with Retry-After and 418 with
// a ban time (no request until then; the throttle is surfaced; commands refused locally), and the
// local weight budget. Loopback only; every server and client is closed at the end.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Throttle } from '../../../src/adapter/binance/index.ts';
import type { OrderRequest, VenueEvent } from '../../../src/model/venue.ts';
import { bookTicks, gatewayFor, leaks, restFor, roundTrip, startLocal } from './helpers.ts';

const order = (clientOrderId: string, priceTicks: number): OrderRequest => ({ symbol: 'BTCUSDT', clientOrderId, side: 'buy', type: 'LIMIT', timeInForce: 'GTX', priceTicks, qtyLots: 20, reduceOnly: false });
const outputs: string[] = [];
const record = (events: VenueEvent[]) => {
  outputs.push(JSON.stringify(events));
  return events;
};

let h: Awaited<ReturnType<typeof startLocal>>;
beforeAll(async () => {
  h = await startLocal();
}, 30_000);
afterAll(async () => {
  await h?.close();
});

describe('-1021: timestamp outside recvWindow', () => {
  it('a client clock that jumps 10 s back after the first sync: re-measured, re-signed once, accepted', async () => {
    let skewUs = 0;
    const clock = { nowUs: () => Date.now() * 1000 + skewUs };
    const rest = restFor(h.base, undefined, { clock });
    const g = gatewayFor(rest);
    expect((await rest.syncTime()).kind).toBe('ok');
    expect(Math.abs(rest.serverOffsetMs)).toBeLessThan(1000);
    skewUs = -10_000_000;
    const { bid } = await bookTicks(h.base);
    const [e] = record(await roundTrip(g, { kind: 'submit', order: order('skew-1', bid - 5_000) }));
    expect(e).toMatchObject({ kind: 'report', report: { execType: 'NEW', clientOrderId: 'skew-1' } });
    expect(rest.stats.resigned).toBe(1);
    expect(rest.stats.timeSyncs).toBe(2);
    expect(rest.serverOffsetMs).toBeGreaterThan(9_000);
    record(await roundTrip(g, { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: 'skew-1' }));
  });

  it('a clock too far ahead for any offset is still one re-sign, then the refusal', async () => {
    // The offset is measured with a clock that then runs away: the re-signed request fails again and stays refused.
    let skewUs = 0;
    const clock = {
      nowUs: () => {
        skewUs += 30_000_000;
        return Date.now() * 1000 + skewUs;
      },
    };
    const rest = restFor(h.base, undefined, { clock });
    const g = gatewayFor(rest);
    const [e] = record(await roundTrip(g, { kind: 'submit', order: order('skew-2', 1000) }));
    expect(e).toMatchObject({ kind: 'report', report: { execType: 'REJECTED', errorCode: -1021 } });
    expect(rest.stats.resigned).toBe(1);
  });
});

describe('a server that never answers', () => {
  let silent: NetServer;
  const sockets: Socket[] = [];
  let received = '';
  beforeAll(async () => {
    silent = createNetServer((s) => {
      sockets.push(s);
      s.on('data', (d) => (received += d.toString('latin1')));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('a submit times out: requestUnknown, and it is never sent again', async () => {
    const port = (silent.address() as AddressInfo).port;
    // A known offset (as after a sync at start-up): otherwise the time sync would be what times out.
    const rest = restFor(`http://127.0.0.1:${port}`, undefined, { timeoutMs: 300, serverOffsetMs: 0 });
    const g = gatewayFor(rest);
    const t0 = Date.now();
    const events = record(await roundTrip(g, { kind: 'submit', order: order('to-1', 1000) }));
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(events).toEqual([{ kind: 'requestUnknown', symbol: 'BTCUSDT', clientOrderId: 'to-1', request: 'submit', cause: 'POST /fapi/v1/order: no reply within 300 ms' }]);
    await new Promise((r) => setTimeout(r, 700));
    expect(received.match(/POST \/fapi\/v1\/order/g)).toHaveLength(1);
    expect(received).toContain('newClientOrderId=to-1');
    // A query that times out answers nothing: the OMS asks again later.
    expect(record(await roundTrip(g, { kind: 'query', symbol: 'BTCUSDT', clientOrderId: 'to-1', orderId: -1 }))).toEqual([]);
  });

  it('close() aborts what is in flight (unknown) and refuses what comes after', async () => {
    const port = (silent.address() as AddressInfo).port;
    const g = gatewayFor(restFor(`http://127.0.0.1:${port}`, undefined, { timeoutMs: 10_000, serverOffsetMs: 0 }));
    g.send({ kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: 'cl-1' }, Date.now() * 1000);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await g.close();
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(record(g.drainEvents())).toEqual([{ kind: 'requestUnknown', symbol: 'BTCUSDT', clientOrderId: 'cl-1', request: 'cancel', cause: 'DELETE /fapi/v1/order: client closed with the request in flight' }]);
    const [after] = record(await roundTrip(g, { kind: 'submit', order: order('cl-2', 1000) }));
    expect(after).toMatchObject({ kind: 'report', report: { execType: 'REJECTED', errorMessage: 'not sent: client closed' } });
  });
});

/** A stub Binance: each request gets the next scripted reply. */
describe('scripted replies', () => {
  let stub: HttpServer;
  let base = '';
  let script: ((req: IncomingMessage, res: ServerResponse) => void)[] = [];
  let hits = 0;
  const reply = (status: number, body: string, headers: Record<string, string> = {}) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
  beforeAll(async () => {
    stub = createHttpServer((req, res) => {
      hits++;
      const next = script.shift() ?? reply(500, '{"code":-1000,"msg":"script ran out"}');
      req.resume();
      req.on('end', () => next(req, res));
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    stub.closeAllConnections();
    await new Promise<void>((r) => stub.close(() => r()));
  });

  function client(o: Parameters<typeof restFor>[2] = {}) {
    const throttles: Throttle[] = [];
    const rest = restFor(base, undefined, { onThrottle: (t) => throttles.push(t), serverOffsetMs: 0, ...o });
    return { rest, g: gatewayFor(rest), throttles };
  }

  it('unknown outcomes: 503 "Unknown error", -1007 on 408, a 502 that is not JSON', async () => {
    const { g } = client();
    script = [
      reply(503, '{"code":-1000,"msg":"Unknown error, please check your request or try again later."}'),
      reply(408, '{"code":-1007,"msg":"Timeout waiting for response from backend server. Send status unknown; execution status unknown."}'),
      reply(502, '<html>Bad Gateway</html>'),
      reply(503, 'Unknown error, please check your request or try again later.'),
    ];
    const kinds: string[] = [];
    for (const [i, cmd] of [
      { kind: 'submit', order: order('u-1', 1000) },
      { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: 'u-2' },
      { kind: 'modify', symbol: 'BTCUSDT', clientOrderId: 'u-3', side: 'buy', priceTicks: 1000, qtyLots: 20 },
      { kind: 'submit', order: order('u-4', 1000) },
    ].entries()) {
      const events = record(await roundTrip(g, cmd as Parameters<typeof g.send>[0]));
      expect(events, `command ${i}`).toHaveLength(1);
      kinds.push(events[0].kind === 'requestUnknown' ? `${events[0].request}:${events[0].cause}` : JSON.stringify(events[0]));
    }
    expect(kinds).toEqual([
      'submit:POST /fapi/v1/order: HTTP 503 code -1000: Unknown error, please check your request or try again later.',
      expect.stringMatching(/^cancel:DELETE \/fapi\/v1\/order: HTTP 408 code -1007: Timeout waiting/),
      'modify:PUT /fapi/v1/order: HTTP 502: <html>Bad Gateway</html>',
      'submit:POST /fapi/v1/order: HTTP 503: Unknown error, please check your request or try again later.',
    ]);
  });

  it('503 -1008 (system overload) is a definitive refusal', async () => {
    const { g } = client();
    script = [reply(503, '{"code":-1008,"msg":"Request throttled by system-level protection. Reduce-only/close-position orders are exempted. Please try again."}')];
    const [e] = record(await roundTrip(g, { kind: 'submit', order: order('o-1', 1000) }));
    expect(e).toMatchObject({ kind: 'report', report: { execType: 'REJECTED', errorCode: -1008 } });
  });

  it('429 with Retry-After: nothing is sent until then, commands are refused locally (-1003), the throttle is surfaced', async () => {
    const { rest, g, throttles } = client();
    script = [reply(429, '{"code":-1003,"msg":"Too many requests; current limit is 2400 requests per minute."}', { 'retry-after': '1' })];
    const [a] = record(await roundTrip(g, { kind: 'submit', order: order('r-1', 1000) }));
    expect(a).toMatchObject({ kind: 'report', report: { execType: 'REJECTED', clientOrderId: 'r-1', errorCode: -1003 } });
    expect(throttles).toHaveLength(1);
    expect(throttles[0]).toMatchObject({ httpStatus: 429, code: -1003 });
    expect(throttles[0].untilUs - throttles[0].tsUs).toBe(1_000_000);
    const before = hits;
    const [b] = record(await roundTrip(g, { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: 'r-0' }));
    expect(b).toMatchObject({ kind: 'report', report: { execType: 'CANCEL_REJECTED', errorCode: -1003, errorMessage: expect.stringMatching(/^not sent: /) } });
    expect(record(await roundTrip(g, { kind: 'query', symbol: 'BTCUSDT', clientOrderId: 'r-0', orderId: -1 }))).toEqual([]);
    expect(hits).toBe(before);
    await new Promise((r) => setTimeout(r, 1_100));
    script = [reply(200, '{"orderId":7,"symbol":"BTCUSDT","status":"NEW","clientOrderId":"r-2","price":"100.0","origQty":"0.020","executedQty":"0","side":"BUY","updateTime":1}')];
    const [c] = record(await roundTrip(g, { kind: 'submit', order: order('r-2', 1000) }));
    expect(c).toMatchObject({ kind: 'report', report: { execType: 'NEW', orderId: 7 } });
    expect(rest.blockedUntil).toBeLessThanOrEqual(Date.now() * 1000);
  });

  it('418 without Retry-After: blocked until the ban time in the message', async () => {
    const { rest, g, throttles } = client();
    const banUntilMs = Date.now() + 120_000;
    script = [reply(418, `{"code":-1003,"msg":"Way too many requests; IP(127.0.0.1) banned until ${banUntilMs}. Please use the websocket for live updates to avoid bans."}`)];
    record(await roundTrip(g, { kind: 'submit', order: order('b-1', 1000) }));
    expect(throttles[0]).toMatchObject({ httpStatus: 418 });
    expect(Math.abs(rest.blockedUntil - banUntilMs * 1000)).toBeLessThan(2_000_000);
    const before = hits;
    record(await roundTrip(g, { kind: 'submit', order: order('b-2', 1000) }));
    expect(hits).toBe(before);
  });

  it('the local weight budget refuses before Binance would', async () => {
    const { rest, throttles } = client({ weightBudget1m: 3 });
    script = [reply(200, '{}', { 'x-mbx-used-weight-1m': '2' }), reply(200, '{}')];
    expect((await rest.request({ method: 'GET', path: '/fapi/v1/ping' })).kind).toBe('ok');
    expect(rest.stats.usedWeight1m).toBe(2);
    expect((await rest.request({ method: 'GET', path: '/fapi/v1/ping' })).kind).toBe('ok');
    const r = await rest.request({ method: 'GET', path: '/fapi/v1/ping' });
    expect(r).toMatchObject({ kind: 'throttled', code: -1003 });
    expect(throttles).toEqual([expect.objectContaining({ httpStatus: 0, code: -1003 })]);
  });
});

it('a refused connection is an unknown outcome too (never a reject)', async () => {
  const probe = createNetServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const rest = restFor(`http://127.0.0.1:${port}`, undefined, { serverOffsetMs: 0 });
  const [e] = record(await roundTrip(gatewayFor(rest), { kind: 'submit', order: order('c-1', 1000) }));
  expect(e).toMatchObject({ kind: 'requestUnknown', request: 'submit', cause: 'POST /fapi/v1/order: connection failed (ECONNREFUSED)' });
});

it('no secret in any event of these faults', () => {
  expect(outputs.length).toBeGreaterThan(10);
  expect(leaks(outputs)).toEqual([]);
});
