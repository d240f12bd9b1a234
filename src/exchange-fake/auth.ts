/**
 * Request signing as Binance checks it (binance-usdm.md §2): the `X-MBX-APIKEY` header names the
 * account; the HMAC-SHA256 signature (hex) is over the exact bytes received, query string followed by
 * body, without the `signature` parameter; `timestamp` must satisfy
 * `timestamp < serverTime + 1000 && serverTime − timestamp ≤ recvWindow` (default 5000, at most 60000).
 * Secrets are compared and kept here only; no error message ever carries one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BinanceError, ERR } from './errors.ts';

export interface ApiAccount {
  readonly name: string;
  readonly apiKey: string;
  readonly secret: string;
}

const API_KEY = /^[A-Za-z0-9]{1,128}$/;
const SIGNATURE_PARAM = /(^|&)signature=([^&]*)/;

/** The payload Binance signs: query + body with the `signature=` parameter removed, and the signature given. */
export function splitSignature(query: string, body: string): { payload: string; signature: string | null } {
  let signature: string | null = null;
  const strip = (s: string): string => {
    const m = SIGNATURE_PARAM.exec(s);
    if (m === null) return s;
    if (signature !== null) throw ERR.tooManyParams('signature');
    signature = decodeURIComponent(m[2]);
    const start = m.index;
    const end = start + m[0].length;
    // Drop the parameter and one separating '&' (before it when it is not the first).
    return m[1] === '&' ? s.slice(0, start) + s.slice(end) : s.slice(end).replace(/^&/, '');
  };
  const q = strip(query);
  const b = strip(body);
  return { payload: q + b, signature };
}

export function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

export class Authenticator {
  private readonly byKey = new Map<string, ApiAccount>();

  constructor(accounts: readonly ApiAccount[]) {
    for (const a of accounts) this.byKey.set(a.apiKey, a);
  }

  /** The account of an API key header, for endpoints that need the key only (listenKey). */
  account(apiKey: string | undefined): ApiAccount {
    if (apiKey === undefined || apiKey === '') throw ERR.rejectedApiKey();
    if (!API_KEY.test(apiKey)) throw ERR.badApiKeyFormat();
    const a = this.byKey.get(apiKey);
    if (a === undefined) throw ERR.rejectedApiKey();
    return a;
  }

  /** Checks a SIGNED request; returns its account. */
  verify(apiKey: string | undefined, query: string, body: string, params: Map<string, string>, serverMs: number): ApiAccount {
    const a = this.account(apiKey);
    const { payload, signature } = splitSignature(query, body);
    if (signature === null || signature === '') throw ERR.mandatory('signature');
    const ts = params.get('timestamp');
    if (ts === undefined || ts === '') throw ERR.mandatory('timestamp');
    if (!/^\d{1,16}$/.test(ts)) throw ERR.badParam('timestamp', ts);
    const rw = params.get('recvWindow');
    let recvWindow = 5000;
    if (rw !== undefined) {
      if (!/^\d{1,10}$/.test(rw)) throw ERR.badParam('recvWindow', rw);
      recvWindow = Number(rw);
      if (recvWindow > 60_000) throw ERR.recvWindow();
    }
    const expected = Buffer.from(hmacHex(a.secret, payload), 'utf8');
    const given = Buffer.from(signature.toLowerCase(), 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw ERR.badSignature();
    const t = Number(ts);
    if (t >= serverMs + 1000) throw ERR.timestampAhead();
    if (serverMs - t > recvWindow) throw ERR.timestampOld();
    return a;
  }
}

export function isBinanceError(e: unknown): e is BinanceError {
  return e instanceof BinanceError;
}
