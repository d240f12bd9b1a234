// Helpers for tests of accounts: a local exchange with given accounts and options, Ed25519 keys and
// an Ed25519-signed REST request as Binance documents it (base64 signature, URL-encoded).
import { generateKeyPairSync, sign } from 'node:crypto';
import type { ExchangeAccount } from '../../src/exchange-fake/index.ts';
import { startLocalExchange, type LocalExchangeSetup } from './helpers.ts';

/** A local exchange with these accounts (helpers.ts `startLocalExchange`). */
export function startWith(accounts: ExchangeAccount[], opts: Omit<LocalExchangeSetup, 'accounts'> = {}) {
  return startLocalExchange({ ...opts, accounts });
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
