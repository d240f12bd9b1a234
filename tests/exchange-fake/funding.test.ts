// Funding in the local exchange: at the funding time the data's mark prices announce (mapped onto
// server time), the position pays −position × mark × rate, booked in the account's ledger as the
// backtest books it, with ACCOUNT_UPDATE reason FUNDING_FEE (the balance only: a cross position).
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarketEvent, MarkPrice } from '../../src/model/events.ts';
import { syntheticMarket } from '../../src/exchange-fake/index.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';
import { ACCOUNT, signed } from './helpers.ts';
import { startWith } from './account-helpers.ts';

const RATE = '0.0001';
const inst = syntheticInstrument('BTCUSDT');
/** The data's start and funding time (6 s of data time into the replay), set when the exchange starts. */
let startUs = 0;
let FUNDING_US = 0;

/** The synthetic market with its mark prices replaced by one every 250 ms at the last trade's price, announcing FUNDING_US then the next one 8 h later. */
function* withMarks(): Generator<MarketEvent[]> {
  let nextMarkUs = startUs;
  let lastTicks = NaN;
  for (const batch of syntheticMarket([inst], 1, startUs, 600)) {
    const out: MarketEvent[] = [];
    for (const e of batch) {
      while (nextMarkUs <= e.tsExchangeUs) {
        if (Number.isFinite(lastTicks)) {
          const next = nextMarkUs < FUNDING_US ? FUNDING_US : FUNDING_US + 8 * 3600 * 1_000_000;
          const m: MarkPrice = { type: 'markPrice', symbol: 'BTCUSDT', tsExchangeUs: nextMarkUs, tsReceiveUs: nextMarkUs, markPrice: inst.ticksToPrice(lastTicks), indexPrice: inst.ticksToPrice(lastTicks), fundingRate: RATE, nextFundingTimeUs: next };
          out.push(m);
        }
        nextMarkUs += 250_000;
      }
      if (e.type === 'trade') lastTicks = e.priceTicks;
      // The synthetic market's own mark prices announce funding at 00/08/16 UTC: replaced by ours.
      if (e.type !== 'markPrice') out.push(e);
    }
    yield out;
  }
}

let h: Awaited<ReturnType<typeof startWith>>;

beforeAll(async () => {
  startUs = Date.now() * 1000;
  FUNDING_US = startUs + 6_000_000;
  h = await startWith([ACCOUNT], { source: withMarks() });
}, 30_000);

afterAll(async () => {
  await h?.close();
});

describe('funding', () => {
  it('settles the position at the data funding time: the wallet, and ACCOUNT_UPDATE FUNDING_FEE', async () => {
    const lk = (await signed(h.base, 'POST', '/fapi/v1/listenKey', {})).json.listenKey as string;
    const ws = new WebSocket(`${h.base.replace('http', 'ws')}/ws/${lk}`);
    const events: { e: string; E: number; a?: { m: string; B: { a: string; wb: string; cw: string; bc: string }[]; P: unknown[] } }[] = [];
    ws.on('message', (d) => events.push(JSON.parse(String(d))));
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    const fundingServerUs = h.ex.mapUs(FUNDING_US);
    expect(Date.now() * 1000).toBeLessThan(fundingServerUs - 500_000); // the position is opened before the funding time
    const buy = await signed(h.base, 'POST', '/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.100', newOrderRespType: 'RESULT' });
    expect(buy.json.status).toBe('FILLED');
    const walletAfterBuy = ((await signed(h.base, 'GET', '/fapi/v2/balance', {})).json as unknown as { balance: string }[])[0].balance;
    const end = Date.now() + 10_000;
    while (!events.some((e) => e.a?.m === 'FUNDING_FEE') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    const fee = events.find((e) => e.a?.m === 'FUNDING_FEE')!;
    expect(fee).toBeDefined();
    expect(fee.a!.P).toEqual([]);
    // At the funding time (server time), within the 250 ms between mark prices.
    expect(fee.E * 1000).toBeGreaterThanOrEqual(fundingServerUs - 1000);
    expect(fee.E * 1000).toBeLessThan(fundingServerUs + 1_000_000);
    // A long pays 0.1 × mark × 0.0001 (mark ~ 60,000: ~0.6 USDT).
    const paid = Number(walletAfterBuy) - Number(fee.a!.B[0].wb);
    expect(paid).toBeGreaterThan(0.3);
    expect(paid).toBeLessThan(1);
    const acct = (await signed(h.base, 'GET', '/fapi/v3/account', {})).json as { totalWalletBalance: string };
    expect(acct.totalWalletBalance).toBe(fee.a!.B[0].wb);
    expect(fee.a!.B[0]).toMatchObject({ a: 'USDT', cw: fee.a!.B[0].wb, bc: '0' });
    ws.close();
  }, 30_000);
});
