// RSA API keys as Binance checks them: the signature is base64 RSASSA-PKCS1-v1_5 with SHA-256 over
// the same payload as HMAC and Ed25519 (REST: query + body as sent, URL-encoded; ws-fapi: the params
// sorted by name). Keys generated here by node:crypto; clients: raw requests, and Binance's official
// connector (@binance/derivatives-trading-usds-futures) with the RSA private key, unmodified. The
// accounts file's `rsaPublicKey`.
import { generateKeyPairSync, sign } from 'node:crypto';
import { DerivativesTradingUsdsFutures } from '@binance/derivatives-trading-usds-futures';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AccountsFileError, parseAccountsFile } from '../../src/exchange-fake/index.ts';
import { ed25519Pair, ed25519Sign, startWith } from './account-helpers.ts';
import { ACCOUNT, signed } from './helpers.ts';

function rsaPair(bits = 2048): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Base64 RSASSA-PKCS1-v1_5 / SHA-256 signature of `payload`. */
function rsaSign(privateKeyPem: string, payload: string): string {
  return sign('sha256', Buffer.from(payload, 'utf8'), privateKeyPem).toString('base64');
}

const KEYS = rsaPair();
const OTHER = rsaPair();
const RSA = { name: 'rsa', apiKey: 'rsaKeyCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC', rsaPublicKey: KEYS.publicKey };

let h: Awaited<ReturnType<typeof startWith>>;

beforeAll(async () => {
  vi.stubEnv('LOG_LEVEL', 'error');
  h = await startWith([ACCOUNT, RSA]);
}, 30_000);

afterAll(async () => {
  await h?.close();
  vi.unstubAllEnvs();
});

/** A REST request signed with RSA: params in the query or a form body, `signature` (URL-encoded base64) last. */
async function signedRsa(method: string, path: string, params: Record<string, string | number>, opts: { inBody?: boolean; privateKey?: string; signature?: string } = {}) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) p.set(k, String(v));
  p.set('timestamp', String(Date.now()));
  const payload = p.toString();
  const sig = opts.signature ?? rsaSign(opts.privateKey ?? KEYS.privateKey, payload);
  const signedPayload = `${payload}&signature=${encodeURIComponent(sig)}`;
  const headers: Record<string, string> = { 'x-mbx-apikey': RSA.apiKey };
  let url = `${h.base}${path}`;
  let body: string | undefined;
  if (opts.inBody === true) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = signedPayload;
  } else url += `?${signedPayload}`;
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function bestBid(): Promise<number> {
  return Number(((await (await fetch(`${h.base}/fapi/v1/ticker/bookTicker?symbol=BTCUSDT`)).json()) as { bidPrice: string }).bidPrice);
}

describe('RSA on REST', () => {
  it('accepts a signature over the query, and over the form body', async () => {
    const q = await signedRsa('GET', '/fapi/v2/balance', {});
    expect(q.status).toBe(200);
    expect(q.json).toEqual([expect.objectContaining({ asset: 'USDT', balance: '10000.00000000' })]);
    const price = (Math.floor(await bestBid()) - 500).toFixed(1);
    const o = await signedRsa('POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.002', price, newClientOrderId: 'rsa-body' }, { inBody: true });
    expect([o.status, o.json.status, o.json.clientOrderId]).toEqual([200, 'NEW', 'rsa-body']);
    const cx = await signedRsa('DELETE', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: 'rsa-body' });
    expect(cx.json.status).toBe('CANCELED');
  });

  it('refuses a signature of another key, a tampered payload, a cut or padded signature, an Ed25519 or HMAC one (-1022)', async () => {
    const other = await signedRsa('GET', '/fapi/v2/balance', {}, { privateKey: OTHER.privateKey });
    expect([other.status, other.json.code]).toEqual([400, -1022]);
    const tampered = await signedRsa('GET', '/fapi/v2/balance', { recvWindow: 5000 }, { signature: rsaSign(KEYS.privateKey, `timestamp=${Date.now()}`) });
    expect(tampered.json.code).toBe(-1022);
    const good = rsaSign(KEYS.privateKey, 'x');
    expect((await signedRsa('GET', '/fapi/v2/balance', {}, { signature: good.slice(0, -4) })).json.code).toBe(-1022);
    expect((await signedRsa('GET', '/fapi/v2/balance', {}, { signature: `AAAA${good}` })).json.code).toBe(-1022);
    expect((await signedRsa('GET', '/fapi/v2/balance', {}, { signature: 'not base64 at all' })).json.code).toBe(-1022);
    expect((await signedRsa('GET', '/fapi/v2/balance', {}, { signature: ed25519Sign(ed25519Pair().privateKey, 'x') })).json.code).toBe(-1022);
    expect((await signed(h.base, 'GET', '/fapi/v2/balance', {}, { apiKey: RSA.apiKey, secret: 'whatever' })).json.code).toBe(-1022);
    // The HMAC account is unaffected.
    expect((await signed(h.base, 'GET', '/fapi/v2/balance', {})).status).toBe(200);
  });

  it("Binance's official connector with the RSA private key: REST and the WebSocket API", async () => {
    const ws = h.base.replace('http', 'ws');
    const client = new DerivativesTradingUsdsFutures({
      configurationRestAPI: { apiKey: RSA.apiKey, privateKey: KEYS.privateKey, basePath: h.base, timeout: 5_000, retries: 0 },
      configurationWebsocketAPI: { apiKey: RSA.apiKey, privateKey: KEYS.privateKey, wsURL: `${ws}/ws-fapi/v1`, timeout: 5_000, reconnectDelay: 100 },
    });
    const acc = await (await client.restAPI.accountInformationV3()).data();
    expect(acc.totalWalletBalance).toBe('10000.00000000');
    const price = Math.floor(await bestBid()) - 300;
    const placed = await (await client.restAPI.newOrder({ symbol: 'BTCUSDT', side: 'BUY' as never, type: 'LIMIT' as never, timeInForce: 'GTX' as never, quantity: 0.002, price, newClientOrderId: 'rsa-rest' })).data();
    expect(placed.status).toBe('NEW');
    const api = await client.websocketAPI.connect();
    try {
      const q = await api.queryOrder({ symbol: 'BTCUSDT', origClientOrderId: 'rsa-rest' });
      expect(q.data).toMatchObject({ status: 'NEW', clientOrderId: 'rsa-rest' });
      const x = await api.cancelOrder({ symbol: 'BTCUSDT', origClientOrderId: 'rsa-rest' });
      expect(x.data).toMatchObject({ status: 'CANCELED' });
    } finally {
      await api.disconnect();
    }
  }, 30_000);
});

describe('RSA on ws-fapi', () => {
  it('a request signed over the sorted params is accepted, one of another key refused; session.logon refuses RSA keys (-4056)', async () => {
    const ws = new WebSocket(`${h.base.replace('http', 'ws')}/ws-fapi/v1?returnRateLimits=false`);
    const replies = new Map<number, { status: number; result?: Record<string, unknown>; error?: { code: number; msg: string } }>();
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { id: number; status: number };
      replies.set(m.id, m);
    });
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    let next = 0;
    const call = async (method: string, params: Record<string, unknown>, privateKey = KEYS.privateKey) => {
      const p: Record<string, unknown> = { ...params, apiKey: RSA.apiKey, timestamp: Date.now() };
      p.signature = rsaSign(privateKey, Object.keys(p).sort().map((k) => `${k}=${p[k]}`).join('&'));
      const id = ++next;
      ws.send(JSON.stringify({ id, method, params: p }));
      const end = Date.now() + 5_000;
      while (!replies.has(id)) {
        if (Date.now() > end) throw new Error(`no reply to ${method}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return replies.get(id)!;
    };
    try {
      const st = await call('order.status', { symbol: 'BTCUSDT', origClientOrderId: 'nope' });
      expect(st.error?.code).toBe(-2013); // signature accepted, order unknown
      const wrong = await call('order.status', { symbol: 'BTCUSDT', origClientOrderId: 'nope' }, OTHER.privateKey);
      expect(wrong.error?.code).toBe(-1022);
      const logon = await call('session.logon', {});
      expect([logon.status, logon.error]).toEqual([400, { code: -4056, msg: 'RSA API key is not supported.' }]);
    } finally {
      ws.close();
    }
  });
});

describe('accounts file rsaPublicKey', () => {
  const errorOf = (text: string, readPem: (p: string) => string = () => KEYS.privateKey): string => {
    try {
      parseAccountsFile(text, 'acc.yaml', readPem);
    } catch (e) {
      expect(e).toBeInstanceOf(AccountsFileError);
      return (e as AccountsFileError).describe();
    }
    throw new Error('no error');
  };

  it('a PEM block or a file; a private key, an Ed25519 key or two key kinds are refused', () => {
    const inline = `- name: r\n  apiKey: keyR\n  rsaPublicKey: |\n${KEYS.publicKey.trim().split('\n').map((l) => `    ${l}`).join('\n')}\n`;
    expect(parseAccountsFile(inline, 'acc.yaml', () => '').accounts[0]).toMatchObject({ name: 'r', rsaPublicKey: KEYS.publicKey.trim() });
    const byPath = parseAccountsFile('- name: r\n  apiKey: keyR\n  rsaPublicKey: r.pub.pem\n', 'acc.yaml', () => KEYS.publicKey);
    expect(byPath.accounts[0].rsaPublicKey).toBe(KEYS.publicKey);
    expect(errorOf('- name: r\n  apiKey: keyR\n  rsaPublicKey: r.pem\n')).toMatch(/^acc\.yaml:3: key "\[0\]\.rsaPublicKey": the file r\.pem holds a private key: give the RSA public key/);
    expect(errorOf('- name: r\n  apiKey: keyR\n  rsaPublicKey: e.pem\n', () => ed25519Pair().publicKey)).toMatch(/^acc\.yaml:3: key "\[0\]\.rsaPublicKey": the file e\.pem is a ed25519 key, not an RSA one: expected an RSA public key/);
    expect(errorOf('- name: r\n  apiKey: keyR\n  secret: s\n  rsaPublicKey: r.pub.pem\n')).toMatch(/^acc\.yaml:1: key "\[0\]": needs exactly one of secret/);
  });
});
