// Ed25519 API keys as Binance checks them: REST signatures (base64 of Ed25519 over query + body as
// sent, URL-encoded), ws-fapi per-request signatures over the sorted params, and ws-fapi sessions
// (session.logon with an Ed25519 key, then requests without apiKey/signature; status; logout).
// Clients: a key pair generated here, and ccxt with the private key PEM as its secret, unmodified.
import ccxt from 'ccxt';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacHex } from '../../src/exchange-fake/index.ts';
import { ed25519Pair, ed25519Sign, signedEd, startWith } from './account-helpers.ts';
import { ACCOUNT, closePro, signed } from './helpers.ts';

const KEYS = ed25519Pair();
const OTHER = ed25519Pair();
const ED = { name: 'ed', apiKey: 'edKeyBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', publicKey: KEYS.publicKey };
const ED_KEY = { apiKey: ED.apiKey, privateKey: KEYS.privateKey };
const SYM = 'BTC/USDT:USDT';

let h: Awaited<ReturnType<typeof startWith>>;

beforeAll(async () => {
  h = await startWith([ACCOUNT, ED]);
}, 30_000);

afterAll(async () => {
  await h?.close();
});

function pointAt(api: Record<string, unknown>, base: string): void {
  api.fapiPublic = api.fapiPrivate = `${base}/fapi/v1`;
  api.fapiPublicV2 = api.fapiPrivateV2 = `${base}/fapi/v2`;
  api.fapiPublicV3 = api.fapiPrivateV3 = `${base}/fapi/v3`;
}

async function bestBid(): Promise<number> {
  return Number(((await (await fetch(`${h.base}/fapi/v1/ticker/bookTicker?symbol=BTCUSDT`)).json()) as { bidPrice: string }).bidPrice);
}

describe('Ed25519 on REST', () => {
  it('accepts a signature over the query, and over the form body', async () => {
    const q = await signedEd(h.base, 'GET', '/fapi/v2/balance', {}, ED_KEY);
    expect(q.status).toBe(200);
    expect(q.json).toEqual([expect.objectContaining({ asset: 'USDT', balance: '10000.00000000' })]);
    const price = (Math.floor(await bestBid()) - 500).toFixed(1);
    const o = await signedEd(h.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.002', price, newClientOrderId: 'ed-body' }, ED_KEY, { inBody: true });
    expect([o.status, o.json.status, o.json.clientOrderId]).toEqual([200, 'NEW', 'ed-body']);
    const cx = await signedEd(h.base, 'DELETE', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'ed-body' }, ED_KEY);
    expect(cx.json.status).toBe('CANCELED');
  });

  it('refuses a signature of another key, an HMAC signature, a tampered payload, and garbage (-1022)', async () => {
    const other = await signedEd(h.base, 'GET', '/fapi/v2/balance', {}, { apiKey: ED.apiKey, privateKey: OTHER.privateKey });
    expect([other.status, other.json.code]).toEqual([400, -1022]);
    const hmac = await signed(h.base, 'GET', '/fapi/v2/balance', {}, { apiKey: ED.apiKey, secret: 'whatever' });
    expect(hmac.json.code).toBe(-1022);
    // Signed for one payload, sent with another.
    const sig = ed25519Sign(KEYS.privateKey, `timestamp=${Date.now()}`);
    const tampered = await signedEd(h.base, 'GET', '/fapi/v2/balance', { recvWindow: 5000 }, ED_KEY, { signature: sig });
    expect(tampered.json.code).toBe(-1022);
    const garbage = await signedEd(h.base, 'GET', '/fapi/v2/balance', {}, ED_KEY, { signature: 'not base64 at all' });
    expect(garbage.json.code).toBe(-1022);
    // The HMAC account is unaffected.
    expect((await signed(h.base, 'GET', '/fapi/v2/balance', {})).status).toBe(200);
  });

  it('ccxt binanceusdm with the PEM private key as its secret places and cancels an order', async () => {
    const c = new ccxt.binanceusdm({ apiKey: ED.apiKey, secret: KEYS.privateKey, timeout: 5_000, options: { fetchCurrencies: false } });
    pointAt(c.urls.api as Record<string, unknown>, h.base);
    await c.loadMarkets();
    const bal = await c.fetchBalance();
    expect(bal.USDT.total).toBe(10_000);
    const o = await c.createOrder(SYM, 'limit', 'buy', 0.002, Math.floor(await bestBid()) - 500, { postOnly: true });
    expect(o.status).toBe('open');
    const cx = await c.cancelOrder(o.id!, SYM);
    expect(cx.status).toBe('canceled');
  }, 30_000);
});

async function wsApi() {
  const ws = new WebSocket(`${h.base.replace('http', 'ws')}/ws-fapi/v1?returnRateLimits=false`);
  const replies = new Map<string, Record<string, unknown>>();
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as Record<string, unknown>;
    replies.set(JSON.stringify(m.id), m);
  });
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  let next = 0;
  const call = async (method: string, params: Record<string, unknown>) => {
    const id = ++next;
    ws.send(JSON.stringify({ id, method, params }));
    const end = Date.now() + 5_000;
    while (!replies.has(String(id))) {
      if (Date.now() > end) throw new Error(`no reply to ${method}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return replies.get(String(id)) as { status: number; result?: Record<string, unknown>; error?: { code: number; msg: string } };
  };
  return { ws, call };
}

/** ws-fapi params signed with Ed25519 over the params sorted by name. */
function edSigned(params: Record<string, unknown>, privateKey = KEYS.privateKey): Record<string, unknown> {
  const p: Record<string, unknown> = { ...params, apiKey: ED.apiKey, timestamp: Date.now() };
  const payload = Object.keys(p).sort().map((k) => `${k}=${p[k]}`).join('&');
  return { ...p, signature: ed25519Sign(privateKey, payload) };
}

describe('Ed25519 on ws-fapi', () => {
  it('signs each request over the sorted params', async () => {
    const { ws, call } = await wsApi();
    const price = (Math.floor(await bestBid()) - 400).toFixed(1);
    const place = await call('order.place', edSigned({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.002', price, newClientOrderId: 'ed-ws' }));
    expect([place.status, place.result?.status]).toEqual([200, 'NEW']);
    const wrong = await call('order.status', edSigned({ symbol: 'BTCUSDT', origClientOrderId: 'ed-ws' }, OTHER.privateKey));
    expect(wrong.error?.code).toBe(-1022);
    const cx = await call('order.cancel', edSigned({ symbol: 'BTCUSDT', origClientOrderId: 'ed-ws' }));
    expect(cx.result?.status).toBe('CANCELED');
    ws.close();
  });

  it('session.logon authenticates the connection: then no apiKey/signature is needed; status and logout', async () => {
    const { ws, call } = await wsApi();
    const before = await call('session.status', {});
    expect(before.result).toMatchObject({ apiKey: null, authorizedSince: null, returnRateLimits: false });
    expect(typeof before.result?.connectedSince).toBe('number');
    const unsigned = await call('order.status', { symbol: 'BTCUSDT', origClientOrderId: 'nope', timestamp: Date.now() });
    expect(unsigned.error?.code).toBe(-2015); // no session, no key
    const badLogon = await call('session.logon', edSigned({}, OTHER.privateKey));
    expect(badLogon.error?.code).toBe(-1022);
    const hmacLogon = await call('session.logon', { apiKey: ACCOUNT.apiKey, timestamp: Date.now(), signature: hmacHex(ACCOUNT.secret, `apiKey=${ACCOUNT.apiKey}`) });
    expect([hmacLogon.status, hmacLogon.error?.code]).toEqual([400, -4056]);
    const logon = await call('session.logon', edSigned({}));
    expect(logon.status).toBe(200);
    expect(logon.result).toMatchObject({ apiKey: ED.apiKey, returnRateLimits: false });
    expect(Math.abs((logon.result!.authorizedSince as number) - Date.now())).toBeLessThan(5_000);
    expect(logon.result!.serverTime).toBeGreaterThanOrEqual(logon.result!.authorizedSince as number);
    // Requests without apiKey and signature now act for the session's account; the timestamp is still checked.
    const price = (Math.floor(await bestBid()) - 450).toFixed(1);
    const place = await call('order.place', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.002', price, newClientOrderId: 'ed-session', timestamp: Date.now() });
    expect(place.result?.status).toBe('NEW');
    const stale = await call('order.status', { symbol: 'BTCUSDT', origClientOrderId: 'ed-session', timestamp: Date.now() - 60_000 });
    expect(stale.error?.code).toBe(-1021);
    const st = await call('order.status', { symbol: 'BTCUSDT', origClientOrderId: 'ed-session', timestamp: Date.now() });
    expect(st.result?.status).toBe('NEW');
    // The order is the Ed25519 account's, not the HMAC one's.
    expect((await signed(h.base, 'GET', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'ed-session' })).json.code).toBe(-2013);
    const lk = await call('userDataStream.start', {});
    expect(lk.result?.listenKey).toMatch(/^[A-Za-z0-9]{64}$/);
    expect((await call('session.status', {})).result?.apiKey).toBe(ED.apiKey);
    const out = await call('session.logout', {});
    expect(out.result).toMatchObject({ apiKey: null, authorizedSince: null });
    const after = await call('order.cancel', { symbol: 'BTCUSDT', origClientOrderId: 'ed-session', timestamp: Date.now() });
    expect(after.error?.code).toBe(-2015);
    const cx = await call('order.cancel', edSigned({ symbol: 'BTCUSDT', origClientOrderId: 'ed-session' }));
    expect(cx.result?.status).toBe('CANCELED');
    ws.close();
  });

  it("ccxt pro's createOrderWs / cancelOrderWs sign with the Ed25519 key", async () => {
    const c = new ccxt.pro.binanceusdm({ apiKey: ED.apiKey, secret: KEYS.privateKey, timeout: 5_000, options: { fetchCurrencies: false } });
    const api = c.urls.api as Record<string, unknown>;
    pointAt(api, h.base);
    const ws = api.ws as Record<string, unknown>;
    ws.future = `${h.base.replace('http', 'ws')}/ws`;
    (ws['ws-api'] as Record<string, unknown>).future = `${h.base.replace('http', 'ws')}/ws-fapi/v1`;
    await c.loadHttpProxyAgent();
    try {
      await c.loadMarkets();
      const o = await c.createOrderWs(SYM, 'limit', 'buy', 0.002, Math.floor(await bestBid()) - 600, { postOnly: true });
      expect(o.status).toBe('open');
      const cx = await c.cancelOrderWs(o.id!, SYM);
      expect(cx.status).toBe('canceled');
    } finally {
      await closePro(c);
    }
  }, 30_000);
});
