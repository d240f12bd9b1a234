import { hmacHex } from '../../src/exchange-fake/index.ts';
import { ExchangeServer, LocalExchange, syntheticMarket, type ApiAccount } from '../../src/exchange-fake/index.ts';
import { Rng } from '../../src/core/random.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';

export const ACCOUNT: ApiAccount = { name: 'test', apiKey: 'testKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', secret: 'testSecret' };

/** A local exchange on a free loopback port with the synthetic BTCUSDT market in real time. */
export async function startExchange(symbols = ['BTCUSDT']) {
  const instruments = symbols.map((s) => syntheticInstrument(s));
  const ex = new LocalExchange({
    instruments,
    source: syntheticMarket(instruments, 1, Date.now() * 1000, 3600),
    speed: 1,
    accounts: [ACCOUNT],
    execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } },
  });
  const server = new ExchangeServer(ex, [ACCOUNT]);
  const port = await server.listen();
  await ex.start();
  const base = `http://127.0.0.1:${port}`;
  return {
    ex,
    server,
    base,
    async close() {
      ex.stop();
      await server.close();
    },
  };
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
