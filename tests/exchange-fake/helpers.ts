import ccxt from 'ccxt';
import { hmacHex } from '../../src/exchange-fake/index.ts';
import { ExchangeServer, LocalExchange, syntheticMarket, type ApiAccount, type ExchangeAccount, type ExchangeServerConfig, type LocalExchangeOptions } from '../../src/exchange-fake/index.ts';
import { Rng } from '../../src/core/random.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';

export const ACCOUNT = { name: 'test', apiKey: 'testKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', secret: 'testSecret' } satisfies ApiAccount;

/** What a test's local exchange differs in: symbols, accounts, the server's configuration, the exchange's options. */
export type LocalExchangeSetup = { symbols?: string[]; accounts?: ExchangeAccount[]; config?: ExchangeServerConfig } & Partial<Omit<LocalExchangeOptions, 'instruments' | 'accounts'>>;

/** A local exchange on a free loopback port with the synthetic market of `symbols` (default BTCUSDT) in real time. */
export async function startLocalExchange(setup: LocalExchangeSetup = {}) {
  const { symbols = ['BTCUSDT'], accounts = [ACCOUNT], config, ...rest } = setup;
  const instruments = symbols.map((s) => syntheticInstrument(s));
  const ex = new LocalExchange({
    instruments,
    source: syntheticMarket(instruments, 1, Date.now() * 1000, 3600),
    speed: 1,
    accounts,
    execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } },
    ...rest,
  });
  const server = new ExchangeServer(ex, accounts, config);
  const port = await server.listen();
  await ex.start();
  const base = `http://127.0.0.1:${port}`;
  return {
    ex,
    server,
    base,
    wsBase: base.replace('http', 'ws'),
    async close() {
      ex.stop();
      await server.close();
    },
  };
}

/** The default account on the synthetic market of `symbols`. */
export function startExchange(symbols = ['BTCUSDT']) {
  return startLocalExchange({ symbols });
}

/** A signed request as a client builds it: params in the query or in a form body, signature last. */
export async function signed(base: string, method: string, path: string, params: Record<string, string | number>, opts: { inBody?: boolean; secret?: string; apiKey?: string | null; timestamp?: number } = {}) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) p.set(k, String(v));
  p.set('timestamp', String(opts.timestamp ?? Date.now()));
  const payload = p.toString();
  const sig = hmacHex(opts.secret ?? ACCOUNT.secret, payload);
  const signedPayload = `${payload}&signature=${sig}`;
  const headers: Record<string, string> = {};
  if (opts.apiKey !== null) headers['x-mbx-apikey'] = opts.apiKey ?? ACCOUNT.apiKey;
  let url = `${base}${path}`;
  let body: string | undefined;
  if (opts.inBody === true) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = signedPayload;
  } else url += `?${signedPayload}`;
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

/** ccxt's REST client pointed at the local exchange (only its base URLs changed), markets loaded. */
export async function ccxtRest(base: string) {
  const c = new ccxt.binanceusdm({ apiKey: ACCOUNT.apiKey, secret: ACCOUNT.secret, timeout: 5_000, options: { fetchCurrencies: false } });
  pointAt(c.urls.api as Record<string, unknown>, base);
  await c.loadMarkets();
  return c;
}

/** ccxt pro's client pointed at the local exchange (REST, streams and ws-fapi), markets loaded. */
export async function ccxtPro(base: string) {
  const c = new ccxt.pro.binanceusdm({ apiKey: ACCOUNT.apiKey, secret: ACCOUNT.secret, timeout: 5_000, options: { fetchCurrencies: false } });
  const api = c.urls.api as Record<string, unknown>;
  pointAt(api, base);
  const ws = api.ws as Record<string, unknown>;
  ws.future = `${base.replace('http', 'ws')}/ws`;
  (ws['ws-api'] as Record<string, unknown>).future = `${base.replace('http', 'ws')}/ws-fapi/v1`;
  await c.loadHttpProxyAgent(); // ccxt refuses ws:// without it
  await c.loadMarkets();
  return c;
}

/** Closes a ccxt pro client; the subscriptions it still holds are rejected on close, which is expected. */
export async function closePro(c: { clients: unknown; close(): Promise<unknown> }): Promise<void> {
  for (const client of Object.values(c.clients as Record<string, { futures: Record<string, Promise<unknown>> }>)) for (const f of Object.values(client.futures)) f.catch(() => {});
  await c.close();
}

function pointAt(api: Record<string, unknown>, base: string): void {
  api.fapiPublic = api.fapiPrivate = `${base}/fapi/v1`;
  api.fapiPublicV2 = api.fapiPrivateV2 = `${base}/fapi/v2`;
  api.fapiPublicV3 = api.fapiPrivateV3 = `${base}/fapi/v3`;
}
