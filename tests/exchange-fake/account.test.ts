// The account endpoints of the local exchange: balances and positions from the account's exact
// ledger (the backtest's portfolio), as Binance shows them, read by ccxt unmodified.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, ccxtRest, signed, startExchange } from './helpers.ts';

let h: Awaited<ReturnType<typeof startExchange>>;
let c: Awaited<ReturnType<typeof ccxtRest>>;
const SYM = 'BTC/USDT:USDT';

beforeAll(async () => {
  h = await startExchange();
  c = await ccxtRest(h.base);
}, 30_000);

afterAll(async () => {
  await h?.close();
});

describe('account endpoints', () => {
  it('starts with the wallet and no position', async () => {
    const b = await signed(h.base, 'GET', '/fapi/v2/balance', {});
    expect(b.status).toBe(200);
    expect(b.json).toEqual([expect.objectContaining({ asset: 'USDT', balance: '10000.00000000', crossUnPnl: '0.00000000', availableBalance: '10000.00000000' })]);
    const p = await signed(h.base, 'GET', '/fapi/v3/positionRisk', {});
    expect(p.json).toEqual([]);
  });

  it('a market buy: the position, its entry price and the wallet less the exact commission, on REST and in ccxt', async () => {
    const r = await signed(h.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.002', newOrderRespType: 'RESULT' });
    expect(r.json.status).toBe('FILLED');
    const cumQuote = Number(r.json.cumQuote);
    const pos = (await signed(h.base, 'GET', '/fapi/v2/positionRisk', { symbol: 'BTCUSDT' })).json as unknown as Record<string, string>[];
    expect(pos).toHaveLength(1);
    expect(pos[0]).toMatchObject({ symbol: 'BTCUSDT', positionAmt: '0.002', marginType: 'cross', positionSide: 'BOTH', leverage: '20' });
    expect(Number(pos[0].entryPrice) * 0.002).toBeCloseTo(cumQuote, 6);
    const acct = (await signed(h.base, 'GET', '/fapi/v3/account', {})).json as { totalWalletBalance: string; assets: { asset: string; walletBalance: string }[]; positions: { symbol: string; positionAmt: string }[] };
    // Taker fee 0.05 % of the filled quote, exactly.
    const fee = (cumQuote * 0.0005).toFixed(8);
    expect(Number(acct.totalWalletBalance)).toBeCloseTo(10_000 - Number(fee), 8);
    expect(acct.positions.find((x) => x.symbol === 'BTCUSDT')?.positionAmt).toBe('0.002');
    const positions = await c.fetchPositions([SYM]);
    expect(positions.map((x) => [x.symbol, x.side, x.contracts])).toEqual([[SYM, 'long', 0.002]]);
    const bal = await c.fetchBalance();
    // ccxt's total is the margin balance: wallet + unrealized PnL. The market replays on the wall
    // clock, so the mark moves between the two requests: the wallet is checked exactly above; here
    // only that ccxt reads the same account (a few ticks of 0.002 BTC apart at most).
    expect(Math.abs(bal.USDT.total! - (10_000 - Number(fee) + Number(positions[0].unrealizedPnl ?? 0)))).toBeLessThan(1);
    // Close it: flat again, the wallet keeps the realized PnL and both fees.
    await signed(h.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.002', reduceOnly: 'true' });
    expect((await signed(h.base, 'GET', '/fapi/v3/positionRisk', {})).json).toEqual([]);
  });

  it('refuses an unknown symbol (-1121) and unsigned requests (-1102 signature)', async () => {
    expect((await signed(h.base, 'GET', '/fapi/v2/positionRisk', { symbol: 'NOPEUSDT' })).json.code).toBe(-1121);
    const r = await fetch(`${h.base}/fapi/v2/balance?timestamp=${Date.now()}`, { headers: { 'x-mbx-apikey': ACCOUNT.apiKey } });
    expect(((await r.json()) as { code: number }).code).toBe(-1102);
  });
});
