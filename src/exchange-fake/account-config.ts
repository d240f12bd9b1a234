/**
 * An account's trading configuration, as Binance serves it (binance-usdm.md §4 "Leverage"):
 * `POST /fapi/v1/leverage`, `POST /fapi/v1/marginType`, `GET|POST /fapi/v1/positionSide/dual` and
 * `POST /fapi/v1/positionMargin`, `GET /fapi/v1/commissionRate`, `GET /fapi/v1/symbolConfig` and
 * `GET /fapi/v1/accountConfig`, with Binance's codes; a leverage change pushes
 * `ACCOUNT_CONFIG_UPDATE` on the user data stream.
 *
 * Leverage is per account and symbol, 1 to the symbol's highest (its first leverage bracket), and
 * sets both the exchange-side initial-margin check of later orders (-2019) and the ledger's margins.
 * Lowering it is refused -2027 when the position's notional (at the replayed mid) is above the
 * largest notional the new leverage allows, and -2028 when equity would no longer cover the initial
 * margin of the open positions and orders.
 *
 * Margin type per symbol (CROSSED / ISOLATED) and position mode per account (one-way / hedge) are
 * simulated (local-exchange.ts, sim-exchange/margin.ts) and switch as on Binance: -4046 / -4059
 * when nothing changes, -4047 / -4067 while an order is open, -4048 / -4068 while a position is
 * open. `positionMargin` moves margin into (type 1) or out of (type 2) an isolated position:
 * -4049 on a cross symbol, -4054 without a position, -4050 / -4051 when the cross or the isolated
 * side cannot spare it. No ACCOUNT_UPDATE is pushed for a margin type change or a margin transfer
 * (Binance sends one with reason MARGIN_TYPE_CHANGE / MARGIN_TRANSFER): positionRisk shows them.
 */
import type { Instrument } from '../model/instrument.ts';
import { parseDecimal } from '../model/money.ts';
import { BinanceError, ERR } from './errors.ts';
import { bracketsOf, ledgerKey } from './local-exchange.ts';
import { required } from './params.ts';
import { dec8, type ExchangeServer } from './server.ts';

const ms = (us: number): number => Math.floor(us / 1000);

export const CONFIG_ERR = {
  invalidLeverage: (v: string) => new BinanceError(-4028, `Leverage ${v} is not valid`),
  maxLeverageRatio: () => new BinanceError(-2027, 'Exceeded the maximum allowable position at current leverage.'),
  minLeverageRatio: () => new BinanceError(-2028, 'Leverage is smaller than permitted: insufficient margin balance.'),
  sameMarginType: () => new BinanceError(-4046, 'No need to change margin type.'),
  samePositionSide: () => new BinanceError(-4059, 'No need to change position side.'),
  marginTypeOpenOrders: () => new BinanceError(-4047, 'Margin type cannot be changed if there exists open orders.'),
  marginTypePosition: () => new BinanceError(-4048, 'Margin type cannot be changed if there exists position.'),
  positionSideOpenOrders: () => new BinanceError(-4067, 'Position side cannot be changed if there exists open orders.'),
  positionSidePosition: () => new BinanceError(-4068, 'Position side cannot be changed if there exists position.'),
  notIsolated: () => new BinanceError(-4049, 'Add margin only support for isolated position.'),
  crossInsufficient: () => new BinanceError(-4050, 'Cross balance insufficient.'),
  isolatedInsufficient: () => new BinanceError(-4051, 'Isolated balance insufficient.'),
  noPosition: () => new BinanceError(-4054, 'Cannot add position margin: position is 0.'),
  invalidPositionSide: () => new BinanceError(-4060, 'Invalid position side.'),
  positionSideMismatch: () => new BinanceError(-4061, "Order's position side does not match user's setting."),
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
      const max = parseDecimal(cap);
      for (const side of ex.sides(a)) {
        const notional = parseDecimal(a.portfolio.positionSnapshot(ledgerKey(inst.symbol, side)).notional);
        // notional > cap, exactly: compare at a common scale.
        const scale = Math.max(notional.scale, max.scale);
        if (notional.units * 10n ** BigInt(scale - notional.scale) > max.units * 10n ** BigInt(scale - max.scale)) throw CONFIG_ERR.maxLeverageRatio();
      }
    }
    if (!ex.changeLeverage(a, inst.symbol, leverage)) throw CONFIG_ERR.minLeverageRatio();
    const t = ms(ex.nowUs());
    server.streams.publishUser(a.account.apiKey, () => ({ e: 'ACCOUNT_CONFIG_UPDATE', E: t, T: t, ac: { s: inst.symbol, l: leverage } }));
    return { status: 200, body: { leverage, maxNotionalValue: maxNotionalValue(inst.symbol, leverage), symbol: inst.symbol } };
  }));

  server.route('POST /fapi/v1/marginType', server.signed(({ params }, a) => {
    const inst = server.instrument(params);
    const v = required(params, 'marginType');
    const type = v.toUpperCase();
    if (type !== 'CROSSED' && type !== 'ISOLATED') throw ERR.badParam('marginType', v);
    const out = ex.setMarginType(a, inst.symbol, type);
    if (out === 'same') throw CONFIG_ERR.sameMarginType();
    if (out === 'openOrders') throw CONFIG_ERR.marginTypeOpenOrders();
    if (out === 'position') throw CONFIG_ERR.marginTypePosition();
    return { status: 200, body: { code: 200, msg: 'success' } };
  }));

  server.route('GET /fapi/v1/positionSide/dual', server.signed((_, a) => ({ status: 200, body: { dualSidePosition: ex.dualSidePosition(a) } })));

  server.route('POST /fapi/v1/positionSide/dual', server.signed(({ params }, a) => {
    const v = required(params, 'dualSidePosition');
    const dual = v.toLowerCase();
    if (dual !== 'true' && dual !== 'false') throw ERR.badParam('dualSidePosition', v);
    const out = ex.setDualSidePosition(a, dual === 'true');
    if (out === 'same') throw CONFIG_ERR.samePositionSide();
    if (out === 'openOrders') throw CONFIG_ERR.positionSideOpenOrders();
    if (out === 'position') throw CONFIG_ERR.positionSidePosition();
    return { status: 200, body: { code: 200, msg: 'success' } };
  }));

  server.route('POST /fapi/v1/positionMargin', server.signed(({ params }, a) => {
    const inst = server.instrument(params);
    const dual = ex.dualSidePosition(a);
    const sideRaw = params.get('positionSide') ?? 'BOTH';
    if (sideRaw !== 'BOTH' && sideRaw !== 'LONG' && sideRaw !== 'SHORT') throw CONFIG_ERR.invalidPositionSide();
    if ((sideRaw !== 'BOTH') !== dual) throw CONFIG_ERR.positionSideMismatch();
    const amountRaw = required(params, 'amount');
    if (!/^\d{1,20}(\.\d{1,18})?$/.test(amountRaw) || parseDecimal(amountRaw).units === 0n) throw ERR.badParam('amount', amountRaw);
    const typeRaw = required(params, 'type');
    if (typeRaw !== '1' && typeRaw !== '2') throw ERR.badParam('type', typeRaw);
    const out = ex.positionMargin(a, inst.symbol, sideRaw, amountRaw, typeRaw === '1');
    if (out === 'notIsolated' || out === 'noAccount') throw CONFIG_ERR.notIsolated();
    if (out === 'noPosition') throw CONFIG_ERR.noPosition();
    if (out === 'crossInsufficient') throw CONFIG_ERR.crossInsufficient();
    if (out === 'isolatedInsufficient') throw CONFIG_ERR.isolatedInsufficient();
    return { status: 200, body: { amount: Number(amountRaw), code: 200, msg: 'Successfully modify position margin.', type: Number(typeRaw) } };
  }));

  server.route('GET /fapi/v1/symbolConfig', server.signed(({ params }, a) => {
    const symbol = params.get('symbol');
    if (symbol !== undefined && !ex.instruments.has(symbol)) throw ERR.badSymbol();
    const out = [...ex.instruments.keys()]
      .filter((s) => symbol === undefined || s === symbol)
      .map((s) => {
        const leverage = a.portfolio.positionSnapshot(s).leverage;
        return { symbol: s, marginType: ex.marginType(a, s), isAutoAddMargin: false, leverage, maxNotionalValue: maxNotionalValue(s, leverage) };
      });
    return { status: 200, body: out };
  }));

  server.route('GET /fapi/v1/accountConfig', server.signed((_, a) => ({
    status: 200,
    body: { feeTier: 0, canTrade: true, canDeposit: true, canWithdraw: true, dualSidePosition: ex.dualSidePosition(a), updateTime: 0, multiAssetsMargin: false, tradeGroupId: -1 },
  })));

  server.route('GET /fapi/v1/commissionRate', server.signed(({ params }) => {
    const inst = server.instrument(params);
    const fees = ex.feeRates(inst.symbol);
    // RPI orders are not served; their rate is shown as 0.
    return { status: 200, body: { symbol: inst.symbol, makerCommissionRate: dec8(fees.makerRate), takerCommissionRate: dec8(fees.takerRate), rpiCommissionRate: '0.00000000' } };
  }));
}
