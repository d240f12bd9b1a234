/**
 * Request signing as Binance checks it (binance-usdm.md §2): the `X-MBX-APIKEY` header names the
 * account; the signature is over the exact bytes received, query string followed by body, without
 * the `signature` parameter (ws-fapi: every other parameter sorted by name). An HMAC key signs with
 * HMAC-SHA256 (hex, any case); an Ed25519 key with Ed25519 (base64, URL-encoded on REST), checked
 * against the account's public key; an RSA key with RSASSA-PKCS1-v1_5 over SHA-256 (base64,
 * URL-encoded on REST, as long as the key's modulus), checked against the account's RSA public key. `timestamp` must satisfy
 * `timestamp < serverTime + 1000 && serverTime − timestamp ≤ recvWindow` (default 5000, at most 60000).
 * Secrets are compared and kept here only; no error message ever carries one.
 */
import { constants, createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { BinanceError, ERR } from './errors.ts';

/** An API key: HMAC (`secret`), Ed25519 (`publicKey`) or RSA (`rsaPublicKey`), exactly one of them. */
export interface ApiAccount {
  readonly name: string;
  readonly apiKey: string;
  /** HMAC-SHA256 secret (HMAC keys). */
  readonly secret?: string;
  /** Ed25519 public key, PEM (Ed25519 keys). */
  readonly publicKey?: string;
  /** RSA public key, PEM (RSA keys). */
  readonly rsaPublicKey?: string;
}

/** The kind of an account's API key. */
export type KeyType = 'HMAC' | 'Ed25519' | 'RSA';

export function keyTypeOf(a: ApiAccount): KeyType {
  return a.secret !== undefined ? 'HMAC' : a.rsaPublicKey !== undefined ? 'RSA' : 'Ed25519';
}

function publicKeyOf(pem: string, type: 'ed25519' | 'rsa', name: string): KeyObject | Error {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (e) {
    return new Error(`not a PEM public key (${(e as Error).message})`);
  }
  if (key.asymmetricKeyType !== type) return new Error(`a ${key.asymmetricKeyType ?? 'unknown'} key, not an ${name} one`);
  return key;
}

/** The Ed25519 public key of a PEM text, or an Error saying why it is not one. */
export function ed25519PublicKey(pem: string): KeyObject | Error {
  return publicKeyOf(pem, 'ed25519', 'Ed25519');
}

/** The RSA public key of a PEM text (SPKI or PKCS#1), or an Error saying why it is not one. */
export function rsaPublicKey(pem: string): KeyObject | Error {
  return publicKeyOf(pem, 'rsa', 'RSA');
}

const BASE64 = /^[A-Za-z0-9+/]{86}==$/;
const BASE64_ANY = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const API_KEY = /^[A-Za-z0-9]{1,128}$/;
const SIGNATURE_PARAM = /(^|&)signature=([^&]*)/;

/** The payload Binance signs: query + body with the `signature=` parameter removed, and the signature given. */
export function splitSignature(query: string, body: string): { payload: string; signature: string | null } {
  let signature: string | null = null;
  const strip = (s: string): string => {
    const m = SIGNATURE_PARAM.exec(s);
    if (m === null) return s;
    if (signature !== null) throw ERR.tooManyParams('signature');
    try {
      signature = decodeURIComponent(m[2]);
    } catch {
      throw ERR.badSignature(); // malformed percent-encoding
    }
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
  private readonly ed25519 = new Map<string, KeyObject>();
  /** RSA public keys, with the signature length in bytes (the modulus length). */
  private readonly rsa = new Map<string, { key: KeyObject; bytes: number }>();

  constructor(accounts: readonly ApiAccount[]) {
    for (const a of accounts) {
      const kinds = [a.secret, a.publicKey, a.rsaPublicKey].filter((k) => k !== undefined).length;
      if (kinds !== 1) throw new TypeError(`API key of account ${a.name}: needs exactly one of secret (HMAC), publicKey (Ed25519) and rsaPublicKey (RSA)`);
      if (a.publicKey !== undefined) {
        const key = ed25519PublicKey(a.publicKey);
        if (key instanceof Error) throw new TypeError(`publicKey of account ${a.name}: ${key.message}`);
        this.ed25519.set(a.apiKey, key);
      }
      if (a.rsaPublicKey !== undefined) {
        const key = rsaPublicKey(a.rsaPublicKey);
        if (key instanceof Error) throw new TypeError(`rsaPublicKey of account ${a.name}: ${key.message}`);
        this.rsa.set(a.apiKey, { key, bytes: Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8) });
      }
      this.byKey.set(a.apiKey, a);
    }
  }

  /** Whether the key is an Ed25519 key (the only kind ws-fapi `session.logon` accepts). */
  isEd25519(apiKey: string): boolean {
    return this.ed25519.has(apiKey);
  }

  /** The kind of a known API key. */
  keyType(apiKey: string): KeyType {
    return this.ed25519.has(apiKey) ? 'Ed25519' : this.rsa.has(apiKey) ? 'RSA' : 'HMAC';
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
    const { payload, signature } = splitSignature(query, body);
    return this.check(apiKey, payload, signature, params, serverMs);
  }

  /**
   * Checks a SIGNED ws-fapi request (`apiKey`, `timestamp` and `signature` among its params). On a
   * connection logged on with `session.logon` (`sessionApiKey`), a request without `signature` (and
   * without `apiKey`, or with the session's) is the session's account; its `timestamp` is still checked.
   */
  verifyWs(params: Map<string, string>, serverMs: number, sessionApiKey?: string): ApiAccount {
    const apiKey = params.get('apiKey');
    if (sessionApiKey !== undefined && !params.has('signature') && (apiKey === undefined || apiKey === sessionApiKey)) {
      const a = this.account(sessionApiKey);
      checkWindow(requestTime(params), serverMs);
      return a;
    }
    return this.check(apiKey, wsPayload(params), params.get('signature') ?? null, params, serverMs);
  }

  private check(apiKey: string | undefined, payload: string, signature: string | null, params: Map<string, string>, serverMs: number): ApiAccount {
    const a = this.account(apiKey);
    if (signature === null || signature === '') throw ERR.mandatory('signature');
    const time = requestTime(params);
    const publicKey = this.ed25519.get(a.apiKey);
    const rsa = this.rsa.get(a.apiKey);
    if (publicKey !== undefined) {
      // Ed25519 signatures are deterministic; verifying is exact. 64 bytes = 86 base64 digits + "==".
      if (!BASE64.test(signature) || !verify(null, Buffer.from(payload, 'utf8'), publicKey, Buffer.from(signature, 'base64'))) throw ERR.badSignature();
    } else if (rsa !== undefined) {
      // RSASSA-PKCS1-v1_5 with SHA-256: a signature is exactly as long as the modulus.
      const sig = BASE64_ANY.test(signature) ? Buffer.from(signature, 'base64') : undefined;
      if (sig === undefined || sig.length !== rsa.bytes || !verify('sha256', Buffer.from(payload, 'utf8'), { key: rsa.key, padding: constants.RSA_PKCS1_PADDING }, sig)) throw ERR.badSignature();
    } else {
      const expected = Buffer.from(hmacHex(a.secret!, payload), 'utf8');
      const given = Buffer.from(signature.toLowerCase(), 'utf8');
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw ERR.badSignature();
    }
    checkWindow(time, serverMs);
    return a;
  }
}

/** `timestamp` and `recvWindow` of a request, checked for form (-1102, -1130, -1131). */
function requestTime(params: Map<string, string>): { t: number; recvWindow: number } {
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
  return { t: Number(ts), recvWindow };
}

/** Binance's time window: `timestamp < serverTime + 1000 && serverTime − timestamp ≤ recvWindow`, else -1021. */
function checkWindow({ t, recvWindow }: { t: number; recvWindow: number }, serverMs: number): void {
  if (t >= serverMs + 1000) throw ERR.timestampAhead();
  if (serverMs - t > recvWindow) throw ERR.timestampOld();
}

/** The ws-fapi signature payload: every parameter but `signature`, sorted by name, `k=v` joined by `&`. */
export function wsPayload(params: Map<string, string>): string {
  return [...params.keys()]
    .filter((k) => k !== 'signature')
    .sort()
    .map((k) => `${k}=${params.get(k)}`)
    .join('&');
}

export function isBinanceError(e: unknown): e is BinanceError {
  return e instanceof BinanceError;
}
