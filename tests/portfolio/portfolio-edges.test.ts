/**
 * Edge cases of the portfolio pinned for mutation testing (issue 15, decision 0009): exact error
 * messages and fields, boundary values of the config checks, the maintenance-margin clamp and
 * bracket boundary, a liquidation price of exactly 0, commissions without quantity (`applyFee`), the
 * cross wallet of other positions, and snapshots of symbols or assets never traded. The survivors
 * that cannot be killed are in docs/mutation/portfolio-equivalents.md.
 */
import { describe, expect, it } from 'vitest';
import { MakerError } from '../../src/core/index.ts';
import { Instrument, type ExecutionReport } from '../../src/model/index.ts';
import { Portfolio, type InstrumentLookup } from '../../src/portfolio/index.ts';
import { BTCUSDT, registry } from './fixtures.ts';

const T0 = 1_723_075_200_000_000;
const fill = { symbol: 'BTCUSDT', side: 'buy' as const, qtyLots: 1, priceTicks: 600000, fee: '0', liquidity: 'maker' as const, tsUs: T0 };

/** The error `fn` throws, as { code, message, field }. */
function caught(fn: () => unknown): { code: string; message: string; field: string | undefined } {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof MakerError)) throw e;
    return { code: e.code, message: e.message, field: e.location.field };
  }
  throw new Error('did not throw');
}

describe('portfolio config errors name the key and the bound', () => {
  it('moneyDecimals: 8..60', () => {
    expect(caught(() => new Portfolio(registry(), { moneyDecimals: 61 }))).toEqual({ code: 'E_CONFIG', message: 'moneyDecimals must be an integer in 8..60, got 61', field: 'moneyDecimals' });
    expect(new Portfolio(registry(), { moneyDecimals: 60 }).moneyDecimals).toBe(60);
  });

  it('moneyDecimals too small for an instrument: one decimal beyond the tick is needed', () => {
    // tick 0.00001 (5 decimals), step 0.001 (3): prices at moneyDecimals − 3 need ≥ 6 decimals.
    const fine = new Instrument({ ...BTCUSDT, symbol: 'FINEUSDT', tickSize: '0.00001', minPrice: '0.00001' });
    const lookup: InstrumentLookup = { get: () => fine };
    const p8 = new Portfolio(lookup, { moneyDecimals: 8 });
    expect(caught(() => p8.applyFill({ ...fill, symbol: 'FINEUSDT' }))).toEqual({ code: 'E_CONFIG', message: 'moneyDecimals 8 is too small for FINEUSDT: need at least 9', field: 'moneyDecimals' });
    const p9 = new Portfolio(lookup, { moneyDecimals: 9 });
    p9.applyFill({ ...fill, symbol: 'FINEUSDT', priceTicks: 3, midTicks: 3.5 }); // 0.001 @ 0.00003, mid 0.000035
    expect(p9.positionSnapshot('FINEUSDT').pnl.spreadCapture).toBe('0.000000005');
  });

  it('an instrument without a margin asset is refused', () => {
    const i = registry().get('BTCUSDT');
    const bare = Object.assign(Object.create(Object.getPrototypeOf(i) as object) as Instrument, i, { spec: { ...i.spec, marginAsset: '' } });
    const p = new Portfolio({ get: () => bare });
    expect(caught(() => p.positionSnapshot('BTCUSDT'))).toEqual({ code: 'E_CONFIG', message: 'BTCUSDT: instrument spec has no marginAsset', field: 'BTCUSDT.marginAsset' });
  });

  it('defaults are checked under the name "defaults"', () => {
    expect(caught(() => new Portfolio(registry(), { defaults: { leverage: 0 } }))).toEqual({ code: 'E_CONFIG', message: 'defaults: leverage must be an integer in 1..125, got 0', field: 'defaults.leverage' });
    expect(caught(() => new Portfolio(registry(), { defaults: { brackets: [] } }))).toEqual({ code: 'E_CONFIG', message: 'defaults: at least one maintenance bracket is needed', field: 'defaults.brackets' });
  });

  it('leverage 1..125 and the margin mode', () => {
    const p = new Portfolio(registry());
    expect(caught(() => p.configureSymbol('BTCUSDT', { leverage: 0 }))).toEqual({ code: 'E_CONFIG', message: 'BTCUSDT: leverage must be an integer in 1..125, got 0', field: 'BTCUSDT.leverage' });
    expect(caught(() => p.configureSymbol('BTCUSDT', { leverage: 126 })).message).toBe('BTCUSDT: leverage must be an integer in 1..125, got 126');
    p.configureSymbol('BTCUSDT', { leverage: 125 });
    expect(p.positionSnapshot('BTCUSDT').leverage).toBe(125);
    p.configureSymbol('BTCUSDT', { leverage: 1 });
    expect(p.positionSnapshot('BTCUSDT').leverage).toBe(1);
    expect(caught(() => p.configureSymbol('BTCUSDT', { marginMode: 'hedge' as 'cross' }))).toEqual({ code: 'E_CONFIG', message: 'BTCUSDT: marginMode must be cross or isolated', field: 'BTCUSDT.marginMode' });
    expect(p.positionSnapshot('BTCUSDT').marginMode).toBe('cross');
  });

  it('maintenance brackets: caps strictly increasing, only the last unbounded, ratio in [0, 1), fields per bracket', () => {
    const p = new Portfolio(registry());
    const b = (notionalCap: string, maintMarginRatio = '0.004', cum = '0') => ({ notionalCap, maintMarginRatio, cum });
    const cfg = (brackets: ReturnType<typeof b>[]) => () => p.configureSymbol('BTCUSDT', { brackets });
    expect(caught(cfg([]))).toEqual({ code: 'E_CONFIG', message: 'BTCUSDT: at least one maintenance bracket is needed', field: 'BTCUSDT.brackets' });
    expect(caught(cfg([b('100'), b('100'), b('')]))).toEqual({ code: 'E_CONFIG', message: 'BTCUSDT.brackets[1]: notionalCap must increase', field: 'BTCUSDT.brackets[1].notionalCap' });
    expect(caught(cfg([b('100'), b('50'), b('')])).message).toBe('BTCUSDT.brackets[1]: notionalCap must increase');
    expect(caught(cfg([b(''), b('')]))).toEqual({ code: 'E_CONFIG', message: 'BTCUSDT.brackets[0]: only the last bracket may be unbounded', field: 'BTCUSDT.brackets[0].notionalCap' });
    expect(caught(cfg([b('x')]))).toEqual({ code: 'E_NUMBER', message: 'BTCUSDT.brackets[0].notionalCap: "x" is not a decimal number', field: 'BTCUSDT.brackets[0].notionalCap' });
    expect(caught(cfg([b('', 'x')]))).toEqual({ code: 'E_NUMBER', message: 'BTCUSDT.brackets[0].maintMarginRatio: "x" is not a decimal number', field: 'BTCUSDT.brackets[0].maintMarginRatio' });
    expect(caught(cfg([b('', '-0.001')]))).toEqual({ code: 'E_CONFIG', message: 'BTCUSDT.brackets[0]: maintMarginRatio must be in [0, 1)', field: 'BTCUSDT.brackets[0].maintMarginRatio' });
    expect(caught(cfg([b('', '0', 'x')]))).toEqual({ code: 'E_NUMBER', message: 'BTCUSDT.brackets[0].cum: "x" is not a decimal number', field: 'BTCUSDT.brackets[0].cum' });
    // A ratio of 0 is allowed: no maintenance margin at all.
    cfg([b('', '0')])();
    p.deposit({ asset: 'USDT', amount: '100', tsUs: T0 });
    p.applyFill({ ...fill, qtyLots: 1000 });
    expect(p.positionSnapshot('BTCUSDT').maintenanceMargin).toBe('0');
  });
});

describe('margin arithmetic at its boundaries', () => {
  it('a notional exactly at a cap uses that bracket; the maintenance margin never goes below 0', () => {
    const p = new Portfolio(registry());
    p.applyFill({ ...fill, qtyLots: 1000 }); // 1 BTC @ 60000
    p.configureSymbol('BTCUSDT', { brackets: [{ notionalCap: '60000', maintMarginRatio: '0.004', cum: '0' }, { notionalCap: '', maintMarginRatio: '0.005', cum: '0' }] });
    expect(p.positionSnapshot('BTCUSDT').maintenanceMargin).toBe('240');
    p.mark({ symbol: 'BTCUSDT', markPrice: '60000.1' });
    expect(p.positionSnapshot('BTCUSDT').maintenanceMargin).toBe('300.0005');
    // 60000 × 0.01 − 1000 < 0 → 0.
    p.configureSymbol('BTCUSDT', { brackets: [{ notionalCap: '', maintMarginRatio: '0.01', cum: '1000' }] });
    p.mark({ symbol: 'BTCUSDT', markPrice: '60000' });
    expect(p.positionSnapshot('BTCUSDT').maintenanceMargin).toBe('0');
    expect(p.accountSnapshot('USDT').maintenanceMargin).toBe('0');
  });

  it('a liquidation price solving to exactly 0 is reported as none; a hair above it is exact', () => {
    // Long 1 BTC @ 60000 with W = 60000: P = (60000 − 60000) / 0.996 = 0 → none.
    const p = new Portfolio(registry());
    p.deposit({ asset: 'USDT', amount: '60000', tsUs: T0 });
    p.applyFill({ ...fill, qtyLots: 1000 });
    expect(p.positionSnapshot('BTCUSDT').liquidationPrice).toBeNull();
    // W = 59999: P = 1 / 0.996 = 1.004016064… → 1.00401606.
    p.deposit({ asset: 'USDT', amount: '-1', tsUs: T0 });
    expect(p.positionSnapshot('BTCUSDT').liquidationPrice).toBe('1.00401606');
  });

  it('the cross wallet counts the other cross positions (uPnL − maintenance), never the isolated ones', () => {
    // BTCUSDT long 0.1 @ 50000 (cost 5000); FIVEUSDT long 1 @ 100, marked 90: uPnL −10, MM 90 × 0.004 = 0.36.
    const build = (fiveMode: 'cross' | 'isolated') => {
      const p = new Portfolio(registry());
      p.deposit({ asset: 'USDT', amount: '1000', tsUs: T0 });
      p.configureSymbol('FIVEUSDT', { marginMode: fiveMode });
      p.applyFill({ ...fill, qtyLots: 100, priceTicks: 500000 });
      p.applyFill({ ...fill, symbol: 'FIVEUSDT', qtyLots: 200, priceTicks: 2000 });
      p.mark({ symbol: 'FIVEUSDT', markPrice: '90' });
      return p;
    };
    const alone = (wallet: string) => {
      const p = new Portfolio(registry());
      p.deposit({ asset: 'USDT', amount: wallet, tsUs: T0 });
      p.applyFill({ ...fill, qtyLots: 100, priceTicks: 500000 });
      return p.positionSnapshot('BTCUSDT').liquidationPrice;
    };
    const cross = build('cross');
    expect(cross.positionSnapshot('FIVEUSDT').unrealizedPnl).toBe('-10');
    expect(cross.positionSnapshot('FIVEUSDT').maintenanceMargin).toBe('0.36');
    // W = 1000 − 10 − 0.36 = 989.64: P = (5000 − 989.64) / (0.1 × 0.996) = 40264.65863453…
    expect(cross.positionSnapshot('BTCUSDT').liquidationPrice).toBe('40264.65863454');
    expect(alone('989.64')).toBe('40264.65863454');
    expect(cross.snapshot(T0).position('BTCUSDT')!.liquidationPrice).toBe('40264.65863454');
    // Isolated FIVEUSDT is not in the cross wallet: W = 1000, P = 4000 / 0.0996 = 40160.64257028…
    const isolated = build('isolated');
    expect(isolated.positionSnapshot('BTCUSDT').liquidationPrice).toBe('40160.64257028');
    expect(alone('1000')).toBe('40160.64257028');
  });
});

describe('fees without quantity, reports and input errors', () => {
  it('applyFee books maker and taker commissions into fees and the wallet', () => {
    const p = new Portfolio(registry());
    p.deposit({ asset: 'USDT', amount: '100', tsUs: T0 });
    p.applyFee({ symbol: 'BTCUSDT', fee: '0.5', liquidity: 'maker' });
    p.applyFee({ symbol: 'btcusdt', fee: '1.25', liquidity: 'taker' });
    p.applyFee({ symbol: 'BTCUSDT', fee: '-0.05', liquidity: 'maker' }); // a rebate
    const pos = p.positionSnapshot('BTCUSDT');
    expect([pos.fees, pos.makerFees, pos.takerFees, pos.positionLots, pos.fillCount]).toEqual(['1.7', '0.45', '1.25', 0, 0]);
    expect(p.accountSnapshot('USDT').walletBalance).toBe('98.3');
    expect(p.accountSnapshot('USDT').pnl.total).toBe('-1.7');
    expect(caught(() => p.applyFee({ symbol: 'BTCUSDT', fee: 'x', liquidity: 'maker' }))).toEqual({ code: 'E_NUMBER', message: 'BTCUSDT.fee: "x" is not a decimal number', field: 'BTCUSDT.fee' });
  });

  const report = (over: Partial<ExecutionReport>): ExecutionReport => ({
    symbol: 'BTCUSDT', clientOrderId: 'c1', orderId: 7, execType: 'TRADE', status: 'PARTIALLY_FILLED', side: 'buy', priceTicks: 600000,
    origQtyLots: 10, cumFilledLots: 4, lastFillLots: 4, lastFillPriceTicks: 600000, tradeId: 99, liquidity: 'maker', commission: '0',
    errorCode: 0, errorMessage: '', reduceOnly: false, tsExchangeUs: T0, ...over,
  });

  it('books only TRADE reports with a quantity; a TRADE without liquidity is an error naming the order', () => {
    const p = new Portfolio(registry());
    expect(p.applyExecutionReport(report({ lastFillLots: 0 }))).toBe(false);
    expect(p.applyExecutionReport(report({ execType: 'CALCULATED', tradeId: 1 }))).toBe(false);
    expect(p.applyExecutionReport(report({ execType: 'EXPIRED', tradeId: 2 }))).toBe(false);
    expect(p.positionLots('BTCUSDT')).toBe(0);
    expect(caught(() => p.applyExecutionReport(report({ liquidity: null })))).toEqual({ code: 'E_INPUT', message: 'BTCUSDT: TRADE report of order 7 has no liquidity', field: 'liquidity' });
  });

  it('names the field and the value of every malformed input', () => {
    const p = new Portfolio(registry());
    expect(caught(() => p.applyFill({ ...fill, qtyLots: 0 }))).toEqual({ code: 'E_INPUT', message: 'BTCUSDT: fill quantity must be a positive integer of lots, got 0', field: 'qtyLots' });
    expect(caught(() => p.applyFill({ ...fill, priceTicks: 0 }))).toEqual({ code: 'E_INPUT', message: 'BTCUSDT: fill price must be a positive integer of ticks, got 0', field: 'priceTicks' });
    expect(caught(() => p.applyFill({ ...fill, midTicks: 600000.25 }))).toEqual({ code: 'E_INPUT', message: 'BTCUSDT: midTicks must be a whole or half tick count, got 600000.25', field: 'midTicks' });
    expect(caught(() => p.applyFill({ ...fill, fee: 'x' }))).toEqual({ code: 'E_NUMBER', message: 'BTCUSDT.fee: "x" is not a decimal number', field: 'BTCUSDT.fee' });
    expect(caught(() => p.mark({ symbol: 'BTCUSDT', priceTicks: 1.25 }))).toEqual({ code: 'E_INPUT', message: 'BTCUSDT: priceTicks must be a whole or half tick count, got 1.25', field: 'priceTicks' });
    expect(caught(() => p.mark({ symbol: 'BTCUSDT', markPrice: 'x' }))).toEqual({ code: 'E_NUMBER', message: 'BTCUSDT.markPrice: "x" is not a decimal number', field: 'BTCUSDT.markPrice' });
    expect(caught(() => p.deposit({ asset: 'USDT', amount: 'x', tsUs: T0 }))).toEqual({ code: 'E_NUMBER', message: 'amount: "x" is not a decimal number', field: 'amount' });
    expect(caught(() => p.setIsolatedWallets('usdc', 'x'))).toEqual({ code: 'E_NUMBER', message: 'usdc.isolatedWallets: "x" is not a decimal number', field: 'usdc.isolatedWallets' });
    const f = { symbol: 'BTCUSDT', tsUs: T0, markPrice: '60000', rate: '0.0001' };
    expect(caught(() => p.applyFunding({ ...f, markPrice: 'x' }))).toEqual({ code: 'E_NUMBER', message: 'BTCUSDT.markPrice: "x" is not a decimal number', field: 'BTCUSDT.markPrice' });
    expect(caught(() => p.applyFunding({ ...f, rate: 'x' }))).toEqual({ code: 'E_NUMBER', message: 'BTCUSDT.rate: "x" is not a decimal number', field: 'BTCUSDT.rate' });
    expect(caught(() => p.applyFunding({ ...f, amount: 'x' }))).toEqual({ code: 'E_NUMBER', message: 'BTCUSDT.amount: "x" is not a decimal number', field: 'BTCUSDT.amount' });
    const coarse = new Portfolio(registry(), { moneyDecimals: 8 });
    expect(caught(() => coarse.mark({ symbol: 'BTCUSDT', markPrice: '60000.123456' }))).toEqual({ code: 'E_NUMBER', message: 'BTCUSDT.markPrice: "60000.123456" has more than 5 decimals and cannot be booked exactly', field: 'BTCUSDT.markPrice' });
    expect(caught(() => coarse.applyFunding({ ...f, markPrice: '60000.123456' })).field).toBe('BTCUSDT.markPrice');
    // A mark given in ticks: half ticks are exact.
    coarse.applyFill(fill);
    coarse.mark({ symbol: 'BTCUSDT', priceTicks: 600001.5 });
    expect(coarse.positionSnapshot('BTCUSDT').markPrice).toBe('60000.15');
  });
});

describe('snapshots of what was never traded, and orderings', () => {
  it('a configured but never traded symbol is flat with no price', () => {
    const p = new Portfolio(registry());
    p.configureSymbol('BTCUSDT', { leverage: 10 });
    const pos = p.positionSnapshot('BTCUSDT');
    expect([pos.unrealizedPnl, pos.notional, pos.markPrice, pos.avgEntryPrice, pos.liquidationPrice, pos.initialMargin]).toEqual(['0', '0', null, null, null, '0']);
    expect(p.accountSnapshot('USDT').unrealizedPnl).toBe('0');
    expect(p.avgEntryFraction('BTCUSDT')).toBeNull();
  });

  it('a position closed to flat has no average entry; an uneven short average is a reduced fraction', () => {
    const p = new Portfolio(registry());
    p.applyFill({ ...fill, qtyLots: 3 });
    p.applyFill({ ...fill, side: 'sell', qtyLots: 3, priceTicks: 600010 });
    expect(p.avgEntryFraction('BTCUSDT')).toBeNull();
    expect(p.positionSnapshot('BTCUSDT').realizedPnl).toBe('0.003');
    // Short 0.003 @ 60000.1 and 0.001 @ 60000.2: avg 240000.5 / 4 = 480001/8.
    p.applyFill({ ...fill, side: 'sell', qtyLots: 3, priceTicks: 600001 });
    p.applyFill({ ...fill, side: 'sell', qtyLots: 1, priceTicks: 600002 });
    expect(p.avgEntryFraction('BTCUSDT')).toEqual({ numerator: 480001n, denominator: 8n });
    expect(p.positionSnapshot('BTCUSDT').avgEntryPrice).toBe('60000.125');
  });

  it('lists positions by symbol whatever the order they were first touched in', () => {
    const p = new Portfolio(registry());
    p.applyFill({ ...fill, symbol: 'ODDUSDT', priceTicks: 21 });
    p.applyFill({ ...fill, symbol: 'BTCUSDC' });
    p.applyFill(fill);
    const s = p.snapshot(T0);
    expect(s.positions.map((x) => x.symbol)).toEqual(['BTCUSDC', 'BTCUSDT', 'ODDUSDT']);
    expect(s.accounts.map((x) => x.asset)).toEqual(['USDC', 'USDT']);
  });

  it('float views of an unknown asset are NaN, not an exception', () => {
    const s = new Portfolio(registry()).snapshot(T0);
    expect([s.walletFloat('EUR'), s.unrealizedFloat('EUR'), s.marginRatioFloat('EUR'), s.pnlFloats('EUR').total].every(Number.isNaN)).toBe(true);
  });
});
