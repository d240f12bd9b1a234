import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/index.ts';
import { Portfolio } from '../../src/portfolio/index.ts';
import { registry } from './fixtures.ts';

/**
 * A million small fills, then a close to flat: realized PnL and fees must equal an independent
 * BigInt computation exactly (no drift). BTCUSDT: tick 0.1 (pd 1), step 0.001 (qd 3), so a fill's
 * notional is ticks × lots in 10^-4 USDT; fees are whole 10^-8 USDT (Binance's precision).
 */
describe('Portfolio: one million fills', () => {
  it('realized + fees match an independent BigInt sum exactly after closing to flat', () => {
    const rng = new Rng('portfolio-million');
    const p = new Portfolio(registry());
    const N = 1_000_000;
    let lots = 0;
    let cash = 0n; // Σ −s·ticks·lots, 10^-4 USDT
    let fees = 0n; // 10^-8 USDT
    const t0 = 1_700_000_000_000_000;
    const feeStrings: string[] = [];
    for (let i = 0; i < 64; i++) feeStrings.push(((rng.int(20_001) - 5_000) / 1e8).toFixed(8)); // −0.00005 .. 0.00015, incl. rebates
    let mid = 600_000;
    for (let i = 0; i < N; i++) {
      mid += rng.int(3) - 1;
      const buy = rng.next() < (lots > 200 ? 0.4 : lots < -200 ? 0.6 : 0.5);
      const qty = 1 + rng.int(5);
      const px = buy ? mid - rng.int(3) : mid + rng.int(3);
      const fee = feeStrings[i & 63];
      p.applyFill({ symbol: 'BTCUSDT', side: buy ? 'buy' : 'sell', qtyLots: qty, priceTicks: px, fee, liquidity: fee.startsWith('-') ? 'maker' : 'taker', tsUs: t0 + i });
      lots += buy ? qty : -qty;
      cash += BigInt(buy ? -px : px) * BigInt(qty);
      fees += BigInt(fee.replace('.', ''));
    }
    // Close to flat at the last mid.
    if (lots !== 0) {
      const qty = Math.abs(lots);
      p.applyFill({ symbol: 'BTCUSDT', side: lots > 0 ? 'sell' : 'buy', qtyLots: qty, priceTicks: mid, fee: '0', liquidity: 'taker', tsUs: t0 + N });
      cash += BigInt(lots > 0 ? mid : -mid) * BigInt(qty);
    }
    const s = p.positionSnapshot('BTCUSDT');
    expect(s.positionLots).toBe(0);
    expect(s.fillCount).toBe(N + (lots !== 0 ? 1 : 0));
    const toString = (units: bigint, scale: number): string => {
      const neg = units < 0n;
      const d = (neg ? -units : units).toString().padStart(scale + 1, '0');
      const frac = d.slice(d.length - scale).replace(/0+$/, '');
      return `${neg ? '-' : ''}${d.slice(0, d.length - scale)}${frac ? `.${frac}` : ''}`;
    };
    expect(s.realizedPnl).toBe(toString(cash, 4));
    expect(s.fees).toBe(toString(fees, 8));
    expect(p.accountSnapshot('USDT').walletBalance).toBe(toString(cash * 10_000n - fees, 8));
    expect(s.unrealizedPnl).toBe('0');
  });
});
