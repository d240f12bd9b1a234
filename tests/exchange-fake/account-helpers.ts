// Helpers for tests of accounts: a local exchange with given accounts and options, Ed25519 keys and
// an Ed25519-signed REST request as Binance documents it (base64 signature, URL-encoded).
import { generateKeyPairSync, sign } from 'node:crypto';
import { ExchangeServer, LocalExchange, syntheticMarket, type ExchangeAccount, type LocalExchangeOptions } from '../../src/exchange-fake/index.ts';
import { Rng } from '../../src/core/random.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';

/** A local exchange on a free loopback port with the synthetic market of `symbols` in real time (or `source`). */
export async function startWith(accounts: ExchangeAccount[], opts: { symbols?: string[] } & Partial<Omit<LocalExchangeOptions, 'instruments' | 'accounts'>> = {}) {
  const { symbols = ['BTCUSDT'], ...rest } = opts;
  const instruments = symbols.map((s) => syntheticInstrument(s));
  const ex = new LocalExchange({
    instruments,
    source: syntheticMarket(instruments, 1, Date.now() * 1000, 3600),
    speed: 1,
    accounts,
    execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } },
    ...rest,
  });
  const server = new ExchangeServer(ex, accounts);
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

/** A fresh Ed25519 key pair as PEM texts (PKCS#8 private, SPKI public). */
export function ed25519Pair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Base64 Ed25519 signature of `payload`. */
export function ed25519Sign(privateKeyPem: string, payload: string): string {
  return sign(null, Buffer.from(payload, 'utf8'), privateKeyPem).toString('base64');
}

/** A request signed with Ed25519 as a client builds it: params in the query or a form body, `signature` (URL-encoded base64) last. */
export async function signedEd(base: string, method: string, path: string, params: Record<string, string | number>, key: { apiKey: string; privateKey: string }, opts: { inBody?: boolean; signature?: string } = {}) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) p.set(k, String(v));
  p.set('timestamp', String(Date.now()));
  const payload = p.toString();
  const sig = opts.signature ?? ed25519Sign(key.privateKey, payload);
  const signedPayload = `${payload}&signature=${encodeURIComponent(sig)}`;
  const headers: Record<string, string> = { 'x-mbx-apikey': key.apiKey };
  let url = `${base}${path}`;
  let body: string | undefined;
  if (opts.inBody === true) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = signedPayload;
  } else url += `?${signedPayload}`;
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
