/**
 * An account's trading configuration, as Binance serves it (binance-usdm.md §4 "Leverage"):
 * `POST /fapi/v1/leverage`, `POST /fapi/v1/marginType`, `GET|POST /fapi/v1/positionSide/dual` and
 * `GET /fapi/v1/commissionRate`, `GET /fapi/v1/symbolConfig` and `GET /fapi/v1/accountConfig`, with Binance's codes; a leverage change pushes
 * `ACCOUNT_CONFIG_UPDATE` on the user data stream.
 *
 * Leverage is per account and symbol, 1 to the symbol's highest (its first leverage bracket), and
 * sets both the exchange-side initial-margin check of later orders (-2019) and the ledger's margins.
 * Lowering it is refused -2027 when the position's notional (at the replayed mid) is above the
 * largest notional the new leverage allows, and -2028 when equity would no longer cover the initial
 * margin of the open positions and orders. Only cross margin and one-way mode are simulated:
 * ISOLATED and hedge mode are refused with a message that says so.
 */
import type { Instrument } from '../model/instrument.ts';
import { parseDecimal } from '../model/money.ts';
import { BinanceError, ERR } from './errors.ts';
import { bracketsOf } from './local-exchange.ts';
import { required } from './params.ts';
import { dec8, type ExchangeServer } from './server.ts';

const ms = (us: number): number => Math.floor(us / 1000);

export const CONFIG_ERR = {
  invalidLeverage: (v: string) => new BinanceError(-4028, `Leverage ${v} is not valid`),
  maxLeverageRatio: () => new BinanceError(-2027, 'Exceeded the maximum allowable position at current leverage.'),
  minLeverageRatio: () => new BinanceError(-2028, 'Leverage is smaller than permitted: insufficient margin balance.'),
  sameMarginType: () => new BinanceError(-4046, 'No need to change margin type.'),
  samePositionSide: () => new BinanceError(-4059, 'No need to change position side.'),
  notSimulated: (name: string, value: string, why: string) => new BinanceError(-1130, `Data sent for parameter '${name}' is not valid: ${value} (${why}).`),
} as const;

/**
 * The largest position notional a leverage allows (Binance `maxNotionalValue`): the cap of the last
 * bracket whose leverage is at least it; null when unbounded.
 */
export function maxNotionalAt(symbol: string, leverage: number): string | null {
  let cap: string | null = '0';
  for (const t of bracketsOf(symbol)) if (t.initialLeverage >= leverage) cap = t.notionalCap === '' ? null : t.notionalCap;
  return cap;
}

/** `maxNotionalValue` as Binance prints it ("INF" when the bracket is unbounded). */
export function maxNotionalValue(symbol: string, leverage: number): string {
  return maxNotionalAt(symbol, leverage) ?? 'INF';
}

function leverageOf(raw: string, inst: Instrument): number {
  if (!/^\d{1,16}$/.test(raw)) throw ERR.badParam('leverage', raw);
  const n = Number(raw);
  if (n < 1 || n > 125 || n > bracketsOf(inst.symbol)[0].initialLeverage) throw CONFIG_ERR.invalidLeverage(raw);
  return n;
}

/** Registers the endpoints on the server. */
export function routeAccountConfig(server: ExchangeServer): void {
  const ex = server.ex;

  server.route('POST /fapi/v1/leverage', server.signed(({ params }, a) => {
    const inst = server.instrument(params);
    const leverage = leverageOf(required(params, 'leverage'), inst);
    const cap = maxNotionalAt(inst.symbol, leverage);
    if (cap !== null) {
      ex.markToMid(a);
      const notional = parseDecimal(a.portfolio.positionSnapshot(inst.symbol).notional);
      const max = parseDecimal(cap);
      // notional > cap, exactly: compare at a common scale.
      const scale = Math.max(notional.scale, max.scale);
      if (notional.units * 10n ** BigInt(scale - notional.scale) > max.units * 10n ** BigInt(scale - max.scale)) throw CONFIG_ERR.maxLeverageRatio();
    }
    if (!ex.changeLeverage(a, inst.symbol, leverage)) throw CONFIG_ERR.minLeverageRatio();
    const t = ms(ex.nowUs());
    server.streams.publishUser(a.account.apiKey, () => ({ e: 'ACCOUNT_CONFIG_UPDATE', E: t, T: t, ac: { s: inst.symbol, l: leverage } }));
    return { status: 200, body: { leverage, maxNotionalValue: maxNotionalValue(inst.symbol, leverage), symbol: inst.symbol } };
  }));

  server.route('POST /fapi/v1/marginType', server.signed(({ params }) => {
    server.instrument(params);
    const v = required(params, 'marginType');
    const type = v.toUpperCase();
    if (type === 'CROSSED') throw CONFIG_ERR.sameMarginType();
    if (type === 'ISOLATED') throw CONFIG_ERR.notSimulated('marginType', v, 'isolated margin is not simulated by the local exchange: every position is cross margin');
    throw ERR.badParam('marginType', v);
  }));

  server.route('GET /fapi/v1/positionSide/dual', server.signed(() => ({ status: 200, body: { dualSidePosition: false } })));

  server.route('POST /fapi/v1/positionSide/dual', server.signed(({ params }) => {
    const v = required(params, 'dualSidePosition');
    const dual = v.toLowerCase();
    if (dual === 'false') throw CONFIG_ERR.samePositionSide();
    if (dual === 'true') throw CONFIG_ERR.notSimulated('dualSidePosition', v, 'hedge mode is not simulated by the local exchange: accounts are in one-way mode');
    throw ERR.badParam('dualSidePosition', v);
  }));

  server.route('GET /fapi/v1/symbolConfig', server.signed(({ params }, a) => {
    const symbol = params.get('symbol');
    if (symbol !== undefined && !ex.instruments.has(symbol)) throw ERR.badSymbol();
    const out = [...ex.instruments.keys()]
      .filter((s) => symbol === undefined || s === symbol)
      .map((s) => {
        const leverage = a.portfolio.positionSnapshot(s).leverage;
        return { symbol: s, marginType: 'CROSSED', isAutoAddMargin: false, leverage, maxNotionalValue: maxNotionalValue(s, leverage) };
      });
    return { status: 200, body: out };
  }));

  server.route('GET /fapi/v1/accountConfig', server.signed(() => ({
    status: 200,
    body: { feeTier: 0, canTrade: true, canDeposit: true, canWithdraw: true, dualSidePosition: false, updateTime: 0, multiAssetsMargin: false, tradeGroupId: -1 },
  })));

  server.route('GET /fapi/v1/commissionRate', server.signed(({ params }) => {
    const inst = server.instrument(params);
    const fees = ex.feeRates(inst.symbol);
    // RPI orders are not served; their rate is shown as 0.
    return { status: 200, body: { symbol: inst.symbol, makerCommissionRate: dec8(fees.makerRate), takerCommissionRate: dec8(fees.takerRate), rpiCommissionRate: '0.00000000' } };
  }));
}
