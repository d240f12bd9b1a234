/**
 * Request signing for Binance SIGNED endpoints (binance-usdm.md §2): HMAC-SHA256 (hex) or Ed25519
 * (base64, URL-encoded on REST, as is in ws-fapi's JSON), over the exact query string sent (ws-fapi: the
 * parameters sorted by name). The secret lives in a `KeyObject` held in
 * a private field: it is never a property a log, an error or `JSON.stringify` can reach, and the
 * signer prints as `Signer { keyType }` only. The API key is kept the same way (it names the
 * account; it is not secret like the signing key, but it has no business in logs either).
 */
import { createHmac, createPrivateKey, createSecretKey, sign as signWith, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';

export type KeyType = 'HMAC' | 'Ed25519';

export interface Credentials {
  readonly apiKey: string;
  readonly keyType: KeyType;
  /** HMAC: the secret; Ed25519: the private key as a PKCS#8 PEM block. */
  readonly secret: string;
}

export class Signer {
  readonly keyType: KeyType;
  readonly #apiKey: string;
  readonly #key: KeyObject;

  constructor(c: Credentials) {
    this.keyType = c.keyType;
    this.#apiKey = c.apiKey;
    if (c.keyType === 'HMAC') this.#key = createSecretKey(Buffer.from(c.secret, 'utf8'));
    else {
      let key: KeyObject;
      try {
        key = createPrivateKey(c.secret);
      } catch {
        // The library's message could quote the input: say only what is wrong.
        throw new TypeError('the Ed25519 key is not a PKCS#8 PEM private key');
      }
      if (key.asymmetricKeyType !== 'ed25519') throw new TypeError(`the private key is ${key.asymmetricKeyType ?? 'not asymmetric'}, not ed25519`);
      this.#key = key;
    }
  }

  /** The `X-MBX-APIKEY` header value. */
  apiKeyHeader(): string {
    return this.#apiKey;
  }

  /** The `signature` parameter's value, ready to append to the query string. */
  sign(payload: string): string {
    return this.keyType === 'HMAC' ? this.signRaw(payload) : encodeURIComponent(this.signRaw(payload));
  }

  /** The signature itself (HMAC hex, Ed25519 base64), as ws-fapi's `signature` param takes it (JSON, not URL-encoded). */
  signRaw(payload: string): string {
    if (this.keyType === 'HMAC') return createHmac('sha256', this.#key).update(payload).digest('hex');
    return signWith(null, Buffer.from(payload, 'utf8'), this.#key).toString('base64');
  }

  toJSON(): object {
    return { keyType: this.keyType };
  }

  [inspect.custom](): string {
    return `Signer { keyType: '${this.keyType}' }`;
  }
}
