import { describe, expect, it } from 'vitest';
import { EventBus, MakerError } from '../../src/core/index.ts';
import type { ExecutionReport } from '../../src/model/index.ts';
import { parseScaled } from '../../src/model/money.ts';
import { Portfolio, type PortfolioEventMap } from '../../src/portfolio/index.ts';
import { registry } from './fixtures.ts';

const T0 = 1_723_075_200_000_000;

/**
 * The hand-computed scenario (BTCUSDT, tick 0.1, step 0.001; 1 BTC = 1000 lots, 60000.0 = 600000 ticks):
 *   deposit 10000
 *   buy  1.0 @ 60000.0 maker, fee −0.6 (rebate), mid 60000.05   → +1.0, cost 60000, avg 60000
 *   buy  1.0 @ 60100.0 taker, fee 30.05,         mid 60100.0    → +2.0, cost 120100, avg 60050
 *   sell 0.5 @ 60200.0 maker, fee 6.02,          mid 60199.95   → realized 0.5·(60200 − 60050) = 75; +1.5, avg 60050
 *   sell 2.0 @ 60000.0 taker, fee 60,            mid 60000.0    → flip: realized 1.5·(60000 − 60050) = −75; −0.5, avg 60000
 *   mark 59000                                                   → unrealized −0.5·(59000 − 60000) = 500
 *   funding +0.0001 @ 59000: −(−0.5)·59000·0.0001 = +2.95 (short receives)
 *   funding −0.0002 @ 59000: −(−0.5)·59000·(−0.0002) = −5.9 (short pays)
 * fees 95.47, funding −2.95, wallet 10000 + 0 − 95.47 − 2.95 = 9901.58, equity 10401.58.
 * spread = 1·0.05 + 0 + 0.5·0.05 + 0 = 0.075; inventory = 1·99.95 + 2·99.95 + 1.5·(−199.95) + (−0.5)·(−1000) = 499.925.
 */
function handScenario(p: Portfolio): void {
  p.deposit({ asset: 'USDT', amount: '10000', tsUs: T0 });
  p.applyFill({ symbol: 'BTCUSDT', side: 'buy', qtyLots: 1000, priceTicks: 600000, fee: '-0.6', liquidity: 'maker', tsUs: T0 + 1, midTicks: 600000.5 });
  p.applyFill({ symbol: 'BTCUSDT', side: 'buy', qtyLots: 1000, priceTicks: 601000, fee: '30.05', liquidity: 'taker', tsUs: T0 + 2, midTicks: 601000 });
  p.applyFill({ symbol: 'BTCUSDT', side: 'sell', qtyLots: 500, priceTicks: 602000, fee: '6.02', liquidity: 'maker', tsUs: T0 + 3, midTicks: 601999.5 });
  p.applyFill({ symbol: 'BTCUSDT', side: 'sell', qtyLots: 2000, priceTicks: 600000, fee: '60', liquidity: 'taker', tsUs: T0 + 4, midTicks: 600000 });
  p.mark({ symbol: 'BTCUSDT', markPrice: '59000', tsUs: T0 + 5 });
}

describe('Portfolio: hand-computed scenario', () => {
  it('books average entry, realized PnL through a flip, and a rebate', () => {
    const p = new Portfolio(registry());
    const realized: string[] = [];
    const bus = new EventBus<PortfolioEventMap>();
    const q = new Portfolio(registry(), {}, bus);
    bus.on('portfolio.fillBooked', (e) => realized.push(e.realizedPnl));
    handScenario(p);
    handScenario(q);
    expect(realized).toEqual(['0', '0', '75', '-75']);
    const pos = p.positionSnapshot('BTCUSDT');
    expect(pos.positionLots).toBe(-500);
    expect(pos.positionQty).toBe('-0.5');
    expect(pos.avgEntryPrice).toBe('60000');
    expect(p.avgEntryFraction('BTCUSDT')).toEqual({ numerator: 60000n, denominator: 1n });
    expect(pos.realizedPnl).toBe('0');
    expect(pos.fees).toBe('95.47');
    expect(pos.makerFees).toBe('5.42');
    expect(pos.takerFees).toBe('90.05');
    expect(pos.unrealizedPnl).toBe('500');
    expect(pos.notional).toBe('29500');
    expect(pos.boughtLots).toBe(2000);
    expect(pos.soldLots).toBe(2500);
    expect(pos.fillCount).toBe(4);
  });

  it('books funding of each sign: a short receives at a positive rate and pays at a negative one', () => {
    const p = new Portfolio(registry());
    const events: string[] = [];
    const bus = new EventBus<PortfolioEventMap>();
    bus.on('portfolio.fundingBooked', (e) => events.push(`${e.positionLots}:${e.payment}`));
    const q = new Portfolio(registry(), {}, bus);
    for (const x of [p, q]) {
      handScenario(x);
      expect(x.applyFunding({ symbol: 'BTCUSDT', tsUs: T0 + 6, markPrice: '59000', rate: '0.0001' })).toBe('2.95');
      expect(x.applyFunding({ symbol: 'BTCUSDT', tsUs: T0 + 7, markPrice: '59000', rate: '-0.0002' })).toBe('-5.9');
    }
    expect(events).toEqual(['-500:2.95', '-500:-5.9']);
    const a = p.accountSnapshot('USDT');
    expect(a.funding).toBe('-2.95');
    expect(a.walletBalance).toBe('9901.58');
    expect(a.unrealizedPnl).toBe('500');
    expect(a.equity).toBe('10401.58');
    expect(a.deposits).toBe('10000');
    expect(a.pnl).toEqual({ spreadCapture: '0.075', inventory: '499.925', fees: '95.47', funding: '-2.95', total: '401.58' });
  });

  it('a long pays funding at a positive rate, exactly at 8-decimal marks and rates', () => {
    const p = new Portfolio(registry());
    p.applyFill({ symbol: 'BTCUSDT', side: 'buy', qtyLots: 500, priceTicks: 590000, fee: '0', liquidity: 'maker', tsUs: T0 });
    // 0.5 × 59000.12345678 × 0.00012345 = 3.6417826203697455 exactly
    expect(p.applyFunding({ symbol: 'BTCUSDT', tsUs: T0 + 1, markPrice: '59000.12345678', rate: '0.00012345' })).toBe('-3.6417826203697455');
    // The exchange's booked amount overrides the computed one.
    expect(p.applyFunding({ symbol: 'BTCUSDT', tsUs: T0 + 2, markPrice: '59000.12345678', rate: '0.00012345', amount: '-3.64178262' })).toBe('-3.64178262');
    expect(p.positionSnapshot('BTCUSDT').funding).toBe('-7.2835652403697455');
    expect(p.positionSnapshot('BTCUSDT').markPrice).toBe('59000.12345678');
    // Flat: no payment.
    p.applyFill({ symbol: 'BTCUSDT', side: 'sell', qtyLots: 500, priceTicks: 590000, fee: '0', liquidity: 'maker', tsUs: T0 + 3 });
    expect(p.applyFunding({ symbol: 'BTCUSDT', tsUs: T0 + 4, markPrice: '59000', rate: '0.0003' })).toBe('0');
  });

  it('computes margins, margin ratio and a cross liquidation price', () => {
    const p = new Portfolio(registry());
    handScenario(p);
    p.applyFunding({ symbol: 'BTCUSDT', tsUs: T0 + 6, markPrice: '59000', rate: '0.0001' });
    p.applyFunding({ symbol: 'BTCUSDT', tsUs: T0 + 7, markPrice: '59000', rate: '-0.0002' });
    const pos = p.positionSnapshot('BTCUSDT');
    expect(pos.leverage).toBe(20);
    expect(pos.initialMargin).toBe('1475'); // 29500 / 20
    expect(pos.maintenanceMargin).toBe('118'); // 29500 × 0.004
    // P = (q·E − W − cum) / (q − |q|·mmr) = (−30000 − 9901.58) / (−0.5 − 0.002) = 79485.219123505976…
    expect(pos.liquidationPrice).toBe('79485.21912351');
    const a = p.accountSnapshot('USDT');
    expect(a.initialMargin).toBe('1475');
    expect(a.maintenanceMargin).toBe('118');
    expect(a.availableBalance).toBe('8926.58');
    expect(a.marginRatio).toBe('0.01134443'); // 118 / 10401.58
  });

  it('computes an isolated liquidation price and reports none for a fully collateralised long', () => {
    const p = new Portfolio(registry());
    p.configureSymbol('BTCUSDT', { marginMode: 'isolated', leverage: 20 });
    p.deposit({ asset: 'USDT', amount: '100000', tsUs: T0 });
    p.applyFill({ symbol: 'BTCUSDT', side: 'buy', qtyLots: 1000, priceTicks: 600000, fee: '0', liquidity: 'maker', tsUs: T0 });
    p.mark({ symbol: 'BTCUSDT', markPrice: '60000' });
    // Isolated margin 60000 / 20 = 3000: P = (60000 − 3000) / (1 − 0.004) = 57228.915662650602…
    expect(p.positionSnapshot('BTCUSDT').liquidationPrice).toBe('57228.91566265');
    p.configureSymbol('BTCUSDT', { marginMode: 'cross' });
    // Cross with a wallet of 100000 ≥ the notional: the solution is negative, no liquidation.
    expect(p.positionSnapshot('BTCUSDT').liquidationPrice).toBeNull();
  });

  it('a cross position sees the wallet less the isolated wallets the exchange holds (setIsolatedWallets)', () => {
    const p = new Portfolio(registry());
    p.deposit({ asset: 'USDT', amount: '10000', tsUs: T0 });
    p.applyFill({ symbol: 'BTCUSDT', side: 'buy', qtyLots: 1000, priceTicks: 600000, fee: '0', liquidity: 'maker', tsUs: T0 });
    p.mark({ symbol: 'BTCUSDT', markPrice: '60000' });
    // P = (60000 − 10000) / (1 − 0.004) = 50200.80321285…
    expect(p.positionSnapshot('BTCUSDT').liquidationPrice).toBe('50200.80321285');
    p.setIsolatedWallets('USDT', '4000');
    // The cross wallet is 6000: P = (60000 − 6000) / 0.996 = 54216.86746987…
    expect(p.positionSnapshot('BTCUSDT').liquidationPrice).toBe('54216.86746988');
    expect(p.accountSnapshot('USDT').walletBalance).toBe('10000');
  });

  it('computes an isolated liquidation price for a short (its isolated margin from the absolute cost)', () => {
    const p = new Portfolio(registry());
    p.configureSymbol('BTCUSDT', { marginMode: 'isolated', leverage: 20 });
    p.deposit({ asset: 'USDT', amount: '100000', tsUs: T0 });
    p.applyFill({ symbol: 'BTCUSDT', side: 'sell', qtyLots: 1000, priceTicks: 600000, fee: '0', liquidity: 'maker', tsUs: T0 });
    p.mark({ symbol: 'BTCUSDT', markPrice: '60000' });
    // Isolated margin |−60000| / 20 = 3000: P = (−60000 − 3000) / (−1 − 0.004) = 62749.00398406…
    expect(p.positionSnapshot('BTCUSDT').liquidationPrice).toBe('62749.00398406');
  });

  it('uses the maintenance bracket of the current notional', () => {
    const p = new Portfolio(registry(), {
      defaults: { brackets: [{ notionalCap: '50000', maintMarginRatio: '0.004', cum: '0' }, { notionalCap: '', maintMarginRatio: '0.005', cum: '50' }] },
    });
    p.deposit({ asset: 'USDT', amount: '10000', tsUs: T0 });
    p.applyFill({ symbol: 'BTCUSDT', side: 'buy', qtyLots: 500, priceTicks: 600000, fee: '0', liquidity: 'maker', tsUs: T0 });
    p.mark({ symbol: 'BTCUSDT', markPrice: '60000' });
    expect(p.positionSnapshot('BTCUSDT').maintenanceMargin).toBe('120'); // 30000 × 0.004
    p.applyFill({ symbol: 'BTCUSDT', side: 'buy', qtyLots: 500, priceTicks: 600000, fee: '0', liquidity: 'maker', tsUs: T0 });
    expect(p.positionSnapshot('BTCUSDT').maintenanceMargin).toBe('250'); // 60000 × 0.005 − 50
    // Long 1 @ 60000, W 10000: P = (60000 − 10000 − 50) / (1 − 0.005) = 50201.005025125628…
    expect(p.positionSnapshot('BTCUSDT').liquidationPrice).toBe('50201.00502513');
  });

  it('uses the last bracket beyond every cap, and publishes transfers', () => {
    const bus = new EventBus<PortfolioEventMap>();
    const transfers: string[] = [];
    bus.on('portfolio.transferBooked', (e) => transfers.push(`${e.asset}:${e.amount}:${e.walletBalance}`));
    const p = new Portfolio(registry(), { defaults: { leverage: 10, brackets: [{ notionalCap: '1000', maintMarginRatio: '0.01', cum: '0' }, { notionalCap: '5000', maintMarginRatio: '0.02', cum: '10' }] } }, bus);
    p.deposit({ asset: 'USDT', amount: '500', tsUs: T0 });
    p.deposit({ asset: 'USDT', amount: '-100', tsUs: T0 });
    expect(transfers).toEqual(['USDT:500:500', 'USDT:-100:400']);
    p.applyFill({ symbol: 'BTCUSDT', side: 'sell', qtyLots: 100, priceTicks: 600000, fee: '0', liquidity: 'maker', tsUs: T0 });
    p.mark({ symbol: 'BTCUSDT', markPrice: '60000' });
    const pos = p.positionSnapshot('BTCUSDT');
    expect(pos.initialMargin).toBe('600'); // 6000 / 10
    expect(pos.maintenanceMargin).toBe('110'); // 6000 × 0.02 − 10 (beyond the last cap: last tier)
    expect(p.accountSnapshot('USDT').availableBalance).toBe('-200');
    p.mark({ symbol: 'BTCUSDT', markPrice: '64000' }); // equity 400 − 400 = 0 → ratio undefined
    expect(p.accountSnapshot('USDT').marginRatio).toBeNull();
  });

  it('keeps USDT and USDC accounts apart and counts other cross positions in the liquidation wallet', () => {
    const p = new Portfolio(registry());
    p.deposit({ asset: 'USDT', amount: '1000', tsUs: T0 });
    p.deposit({ asset: 'USDC', amount: '2000', tsUs: T0 });
    p.applyFill({ symbol: 'BTCUSDC', side: 'sell', qtyLots: 100, priceTicks: 500000, fee: '1', liquidity: 'taker', tsUs: T0 });
    p.applyFill({ symbol: 'BTCUSDT', side: 'buy', qtyLots: 10, priceTicks: 500000, fee: '0', liquidity: 'maker', tsUs: T0 });
    p.applyFill({ symbol: 'ODDUSDT', side: 'buy', qtyLots: 10, priceTicks: 21, fee: '0', liquidity: 'maker', tsUs: T0 }); // 10 @ 1.05
    p.mark({ symbol: 'BTCUSDC', priceTicks: 490000 });
    p.mark({ symbol: 'ODDUSDT', markPrice: '1.55' });
    const s = p.snapshot(T0 + 1);
    expect(s.accounts.map((a) => a.asset)).toEqual(['USDC', 'USDT']);
    expect(s.positions.map((x) => x.symbol)).toEqual(['BTCUSDC', 'BTCUSDT', 'ODDUSDT']);
    expect(s.account('USDC')!.walletBalance).toBe('1999');
    expect(s.account('USDC')!.unrealizedPnl).toBe('100'); // −0.1 × (49000 − 50000)
    expect(s.account('USDT')!.unrealizedPnl).toBe('5'); // ODD: 10 × (1.55 − 1.05); BTCUSDT valued at its fill mid, 0
    expect(s.position('ODDUSDT')!.avgEntryPrice).toBe('1.05');
    expect(s.equityFloat('USDC')).toBe(2099);
    expect(s.positionFloat('BTCUSDC')).toBeCloseTo(-0.1, 12);
    expect(s.positionFloat('ETHUSDT')).toBe(0);
    expect(s.pnlFloats('USDC').total).toBe(99);
    expect(Number.isNaN(s.equityFloat('EUR'))).toBe(true);
    expect(s.walletFloat('USDC')).toBe(1999);
    expect(s.unrealizedFloat('USDT')).toBe(5);
    // One account's figures as floats (the report's sample): the full snapshot's float getters.
    for (const asset of ['USDC', 'usdt']) {
      expect(p.accountFloats(asset)).toEqual({ equity: s.equityFloat(asset), wallet: s.walletFloat(asset), unrealized: s.unrealizedFloat(asset), ...s.pnlFloats(asset) });
    }
    expect(p.accountFloats('USDC')).toMatchObject({ equity: 2099, wallet: 1999, total: 99 });
    // Equity and initial margin alone (the trading core's re-read): the full snapshot's figures.
    for (const asset of ['USDC', 'USDT']) {
      const a = s.account(asset)!;
      const e = p.equityAndInitialMargin(asset);
      expect([e.equity, e.initialMargin]).toEqual([a.equity, a.initialMargin]);
      expect(e.equityUnits).toBe(parseScaled(a.equity, p.moneyDecimals, 'equity'));
    }
    expect(p.accountFloats('EUR')).toBeNull();
    expect(p.snapshot(T0 + 1).accounts.map((a) => a.asset)).toEqual(['USDC', 'USDT']); // asking created no account
    expect(s.pnlFloats('USDC', 'BTCUSDC')).toEqual({ spreadCapture: 0, inventory: 100, fees: 1, funding: 0, total: 99 });
    expect(Number.isNaN(s.pnlFloats('USDC', 'ETHUSDT').total)).toBe(true);
    // BTCUSDT long 0.01 @ 50000 with W = 1000 + ODD's uPnL 5 − ODD's MM (15.5 × 0.004 = 0.062):
    // P = (500 − 1004.938) / (0.01 × 0.996) < 0 → none.
    expect(s.position('BTCUSDT')!.liquidationPrice).toBeNull();
    expect(s.marginRatioFloat('USDC')).toBeCloseTo(19.6 / 2099, 8);
  });
});

describe('Portfolio: execution reports and input errors', () => {
  const report = (over: Partial<ExecutionReport>): ExecutionReport => ({
    symbol: 'BTCUSDT', clientOrderId: 'c1', orderId: 7, execType: 'TRADE', status: 'PARTIALLY_FILLED', side: 'buy', priceTicks: 600000,
    origQtyLots: 10, cumFilledLots: 4, lastFillLots: 4, lastFillPriceTicks: 600000, tradeId: 99, liquidity: 'maker', commission: '-0.0048',
    errorCode: 0, errorMessage: '', reduceOnly: false, tsExchangeUs: T0, ...over,
  });

  it('books TRADE reports once and ignores the rest', () => {
    const p = new Portfolio(registry());
    expect(p.applyExecutionReport(report({ execType: 'NEW', lastFillLots: 0 }))).toBe(false);
    expect(p.applyExecutionReport(report({}), 600000.5)).toBe(true);
    expect(p.applyExecutionReport(report({}), 600000.5)).toBe(false); // duplicate
    expect(p.applyExecutionReport(report({ tradeId: 100, commission: '' }))).toBe(true);
    expect(p.positionLots('BTCUSDT')).toBe(8);
    const pos = p.positionSnapshot('BTCUSDT');
    expect(pos.fees).toBe('-0.0048');
    expect(pos.pnl.spreadCapture).toBe('0.0002'); // 0.004 × 0.05
    expect(() => p.applyExecutionReport(report({ tradeId: 101, liquidity: null }))).toThrow(MakerError);
  });

  it('rejects malformed inputs with stable codes', () => {
    const p = new Portfolio(registry());
    const fill = { symbol: 'BTCUSDT', side: 'buy' as const, qtyLots: 1, priceTicks: 600000, fee: '0', liquidity: 'maker' as const, tsUs: T0 };
    expect(() => p.applyFill({ ...fill, qtyLots: 0 })).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
    expect(() => p.applyFill({ ...fill, qtyLots: 1.5 })).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
    expect(() => p.applyFill({ ...fill, priceTicks: -1 })).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
    expect(() => p.applyFill({ ...fill, midTicks: 600000.25 })).toThrow(expect.objectContaining({ code: 'E_INPUT' }));
    expect(() => p.applyFill({ ...fill, fee: 'abc' })).toThrow(expect.objectContaining({ code: 'E_NUMBER' }));
    expect(() => p.applyFill({ ...fill, fee: '0.0000000000000000000000001' })).toThrow(/more than 24 decimals/);
    expect(() => p.applyFill({ ...fill, symbol: 'NOPE' })).toThrow(expect.objectContaining({ code: 'E_NO_SPEC' }));
    expect(() => p.mark({ symbol: 'BTCUSDT', markPrice: '1e3x' })).toThrow(expect.objectContaining({ code: 'E_NUMBER' }));
    expect(() => p.configureSymbol('BTCUSDT', { leverage: 0 })).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(() => p.configureSymbol('BTCUSDT', { brackets: [] })).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(() => p.configureSymbol('BTCUSDT', { brackets: [{ notionalCap: '', maintMarginRatio: '0.004', cum: '0' }, { notionalCap: '', maintMarginRatio: '0.005', cum: '0' }] })).toThrow(/only the last/);
    expect(() => p.configureSymbol('BTCUSDT', { brackets: [{ notionalCap: '10', maintMarginRatio: '1', cum: '0' }] })).toThrow(/\[0, 1\)/);
    expect(() => new Portfolio(registry(), { moneyDecimals: 4 })).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
    // 8 money decimals suffice for BTCUSDT (qd 3 + pd 1 + 1 for half-tick mids).
    const coarse = new Portfolio(registry(), { moneyDecimals: 8 });
    coarse.applyFill(fill);
    expect(coarse.positionSnapshot('BTCUSDT').positionLots).toBe(1);
    // A funding payment finer than the money scale is rounded half-even (documented):
    // 0.001 × 60000.5 × 0.00012345 = 0.007407061725 → 0.00740706; 0.001 × 60000 × 0.000000125 = 0.0000075 → 0.00000750 exact.
    expect(coarse.applyFunding({ symbol: 'BTCUSDT', tsUs: T0, markPrice: '60000.5', rate: '0.00012345' })).toBe('-0.00740706');
    expect(coarse.applyFunding({ symbol: 'BTCUSDT', tsUs: T0, markPrice: '60000', rate: '0.000000125' })).toBe('-0.0000075');
    expect(() => coarse.mark({ symbol: 'BTCUSDT', markPrice: '60000.123456' })).toThrow(/more than 5 decimals/);
  });

  it('accepts exponent notation exactly and formats negatives and zero canonically', () => {
    const p = new Portfolio(registry());
    p.deposit({ asset: 'usdt', amount: '1.5e3', tsUs: T0 });
    p.deposit({ asset: 'USDT', amount: '-2.5E-1', tsUs: T0 });
    expect(p.accountSnapshot('USDT').walletBalance).toBe('1499.75');
    expect(p.positionSnapshot('BTCUSDT').avgEntryPrice).toBeNull();
    expect(p.positionSnapshot('BTCUSDT').unrealizedPnl).toBe('0');
    expect(p.positionSnapshot('BTCUSDT').markPrice).toBeNull();
  });
});

describe('an instrument with tick 0.05 and step 0.005 (neither a power of ten)', () => {
  it('books cost, realized and unrealized PnL, notional and fees at the exact scaled values', () => {
    const p = new Portfolio(registry());
    p.deposit({ asset: 'USDT', amount: '1000', tsUs: T0 });
    // buy 3 lots = 0.015 @ 600000 ticks = 30000.00: cost 450
    p.applyFill({ symbol: 'FIVEUSDT', side: 'buy', qtyLots: 3, priceTicks: 600_000, fee: '0.225', liquidity: 'taker', tsUs: T0 + 1 });
    // sell 2 lots = 0.010 @ 600100 ticks = 30005.00: realized 0.010 × 5 = 0.05
    p.applyFill({ symbol: 'FIVEUSDT', side: 'sell', qtyLots: 2, priceTicks: 600_100, fee: '0.06001', liquidity: 'maker', tsUs: T0 + 2 });
    p.mark({ symbol: 'FIVEUSDT', markPrice: '30010', tsUs: T0 + 3 });
    const pos = p.positionSnapshot('FIVEUSDT');
    expect(pos.positionLots).toBe(1);
    expect(pos.positionQty).toBe('0.005');
    expect(pos.avgEntryPrice).toBe('30000');
    expect(pos.realizedPnl).toBe('0.05');
    expect(pos.unrealizedPnl).toBe('0.05'); // 0.005 × (30010 − 30000)
    expect(pos.notional).toBe('150.05');
    expect(pos.fees).toBe('0.28501');
    expect(p.accountSnapshot('USDT').walletBalance).toBe('999.76499'); // 1000 + 0.05 − 0.28501
  });
});
