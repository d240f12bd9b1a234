// ws-fapi account methods with Binance's official connector (@binance/derivatives-trading-usds-futures),
// unmodified: `account.status`, `account.balance`, `account.position`, each in v1 and v2, answer
// with the payloads of REST's /fapi/v2 (v1) and /fapi/v3 (v2) account, balance and positionRisk
// read at the same moment, weigh 5 each, and follow a position the account opens.
import { DerivativesTradingUsdsFutures } from '@binance/derivatives-trading-usds-futures';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACCOUNT, signed, startExchange } from './helpers.ts';

let h: Awaited<ReturnType<typeof startExchange>>;
let client: DerivativesTradingUsdsFutures;

beforeAll(async () => {
  vi.stubEnv('LOG_LEVEL', 'error');
  h = await startExchange(['BTCUSDT', 'ETHUSDT']);
  const ws = h.base.replace('http', 'ws');
  client = new DerivativesTradingUsdsFutures({
    configurationRestAPI: { apiKey: ACCOUNT.apiKey, apiSecret: ACCOUNT.secret, basePath: h.base, timeout: 5_000, retries: 0 },
    configurationWebsocketAPI: { apiKey: ACCOUNT.apiKey, apiSecret: ACCOUNT.secret, wsURL: `${ws}/ws-fapi/v1`, timeout: 5_000, reconnectDelay: 100 },
  });
}, 30_000);

afterAll(async () => {
  await h?.close();
  vi.unstubAllEnvs();
});

/** A payload without its read times (`updateTime`, which is now), for comparing two reads. */
function timeless(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x), (k, v: unknown) => (k === 'updateTime' ? undefined : v));
}

const rest = async (path: string) => (await signed(h.base, 'GET', path, {})).json as unknown;

describe('ws-fapi account methods', () => {
  it('v1 and v2 account.status / account.balance / account.position equal REST v2 / v3 on a flat account; each weighs 5', async () => {
    const api = await client.websocketAPI.connect();
    try {
      // The market moves between two reads, but a flat account's payloads do not (only their times).
      expect(timeless((await api.accountInformationV2()).data)).toEqual(timeless(await rest('/fapi/v3/account')));
      expect(timeless((await api.accountInformation()).data)).toEqual(timeless(await rest('/fapi/v2/account')));
      const b2 = await api.futuresAccountBalanceV2();
      expect(timeless(b2.data)).toEqual(timeless(await rest('/fapi/v3/balance')));
      expect(timeless((await api.futuresAccountBalance()).data)).toEqual(timeless(await rest('/fapi/v2/balance')));
      expect((await api.positionInformationV2()).data).toEqual([]);
      const p1 = (await api.positionInformation()).data as unknown as { symbol: string; positionAmt: string }[];
      expect(p1.map((p) => [p.symbol, Number(p.positionAmt)])).toEqual([['BTCUSDT', 0], ['ETHUSDT', 0]]);
      expect(timeless(p1)).toEqual(timeless(await rest('/fapi/v2/positionRisk')));
      const one = (await api.positionInformation({ symbol: 'ETHUSDT' })).data as unknown as { symbol: string }[];
      expect(one.map((p) => p.symbol)).toEqual(['ETHUSDT']);
      // Weight 5: two reads in a row differ by 5 (unless a new minute began between them).
      const w1 = (await api.futuresAccountBalanceV2()).rateLimits![0];
      const w2 = (await api.positionInformationV2()).rateLimits![0];
      expect(w1.rateLimitType).toBe('REQUEST_WEIGHT');
      expect([5, w1.count! + 5]).toContain(w2.count);
    } finally {
      await api.disconnect();
    }
  });

  it('follow a position: account.position v2 lists it as REST v3 positionRisk does, account.status and balance book its fee', async () => {
    const api = await client.websocketAPI.connect();
    try {
      const placed = await api.newOrder({ symbol: 'BTCUSDT', side: 'BUY' as never, type: 'MARKET' as never, quantity: 0.01 });
      expect(placed.data).toMatchObject({ status: 'FILLED' });
      const pos = (await api.positionInformationV2()).data as unknown as Record<string, string>[];
      const restPos = (await rest('/fapi/v3/positionRisk')) as Record<string, string>[];
      expect(pos.map((p) => [p.symbol, p.positionAmt, p.entryPrice, p.leverage, p.marginType])).toEqual(restPos.map((p) => [p.symbol, p.positionAmt, p.entryPrice, p.leverage, p.marginType]));
      expect(pos.map((p) => [p.symbol, Number(p.positionAmt)])).toEqual([['BTCUSDT', 0.01]]);
      expect(Object.keys(pos[0]).sort()).toEqual(Object.keys(restPos[0]).sort());
      const acc = (await api.accountInformationV2()).data as unknown as { totalWalletBalance: string; positions: { symbol: string; positionAmt: string }[] };
      // The taker fee of the fill (0.05 % of the notional) left the wallet.
      expect(Number(acc.totalWalletBalance)).toBeLessThan(10_000);
      expect(acc.positions.find((p) => p.symbol === 'BTCUSDT')?.positionAmt).toBe(pos[0].positionAmt);
      const bal = (await api.futuresAccountBalanceV2()).data as unknown as { asset: string; balance: string }[];
      expect(bal.map((b) => [b.asset, b.balance])).toEqual([['USDT', acc.totalWalletBalance]]);
      const closed = await api.newOrder({ symbol: 'BTCUSDT', side: 'SELL' as never, type: 'MARKET' as never, quantity: 0.01, reduceOnly: 'true' as never });
      expect(closed.data).toMatchObject({ status: 'FILLED' });
      expect((await api.positionInformationV2()).data).toEqual([]);
    } finally {
      await api.disconnect();
    }
  });

  it('are signed: a wrong signature is -1022, no key -2015', async () => {
    const ws = new WebSocket(`${h.base.replace('http', 'ws')}/ws-fapi/v1`);
    const replies: { id: number; error?: { code: number } }[] = [];
    ws.on('message', (m) => replies.push(JSON.parse(String(m))));
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    ws.send(JSON.stringify({ id: 1, method: 'v2/account.balance', params: { apiKey: ACCOUNT.apiKey, timestamp: Date.now(), signature: '00'.repeat(32) } }));
    ws.send(JSON.stringify({ id: 2, method: 'account.position', params: { timestamp: Date.now() } }));
    const end = Date.now() + 5_000;
    while (replies.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    ws.close();
    expect(replies.map((r) => [r.id, r.error?.code])).toEqual([[1, -1022], [2, -2015]]);
  });
});
