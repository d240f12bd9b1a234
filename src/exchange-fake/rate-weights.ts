/**
 * What each request costs against Binance's limits (binance-usdm.md §3): request weight per IP, and
 * for order requests the count on the account's 10 s and 1 min order windows. REST endpoints are keyed
 * `'METHOD /path'`, ws-fapi methods by name; anything not listed costs weight 1 and no order.
 */

/** An entry: a weight, a weight that depends on the parameters, or a full cost. */
export type CostEntry = number | ((params: ReadonlyMap<string, string>) => number) | Cost;

export interface Cost {
  weight: number | ((params: ReadonlyMap<string, string>) => number);
  /** Count on the account's ORDERS 10 s and 1 min windows. */
  orders10s?: number;
  orders1m?: number;
}

/** `GET /fapi/v1/depth`: 2 up to limit 50, 5 for 100, 10 for 500 (the default), 20 for 1000. */
export function depthWeight(params: ReadonlyMap<string, string>): number {
  const limit = Number(params.get('limit') ?? 500);
  if (!(limit > 50)) return 2;
  if (limit <= 100) return 5;
  if (limit <= 500) return 10;
  return 20;
}

const withSymbolOr = (one: number, all: number) => (p: ReadonlyMap<string, string>) => (p.get('symbol') === undefined ? all : one);

/** `GET /fapi/v1/klines`: limit [1,100) → 1; [100,500) → 2; [500,1000] → 5; > 1000 → 10 (default 500). */
export function klinesWeight(params: ReadonlyMap<string, string>): number {
  const l = Number(params.get('limit') ?? 500);
  if (!Number.isFinite(l)) return 5;
  return l < 100 ? 1 : l < 500 ? 2 : l <= 1000 ? 5 : 10;
}

/** Every REST endpoint the local exchange serves, with Binance's weights and order counts. */
export const CORE_WEIGHTS: Readonly<Record<string, CostEntry>> = {
  'GET /fapi/v1/ping': 1,
  'GET /fapi/v1/time': 1,
  'GET /fapi/v1/exchangeInfo': 1,
  'GET /fapi/v1/depth': depthWeight,
  'GET /fapi/v1/trades': 5,
  'GET /fapi/v1/historicalTrades': 20,
  'GET /fapi/v1/aggTrades': 20,
  'GET /fapi/v1/klines': klinesWeight,
  'GET /fapi/v1/premiumIndex': withSymbolOr(1, 10),
  'GET /fapi/v1/ticker/bookTicker': withSymbolOr(2, 5),
  'GET /fapi/v1/ticker/24hr': withSymbolOr(1, 40),
  // New and modified orders weigh nothing on the IP; they count on the account's order windows.
  'POST /fapi/v1/order': { weight: 0, orders10s: 1, orders1m: 1 },
  'PUT /fapi/v1/order': { weight: 0, orders10s: 1, orders1m: 1 },
  'POST /fapi/v1/order/test': 0,
  'POST /fapi/v1/batchOrders': { weight: 5, orders10s: 5, orders1m: 1 },
  'PUT /fapi/v1/batchOrders': { weight: 5, orders10s: 5, orders1m: 1 },
  'DELETE /fapi/v1/batchOrders': 1,
  'DELETE /fapi/v1/order': 1,
  'GET /fapi/v1/order': 1,
  'GET /fapi/v1/openOrder': 1,
  'GET /fapi/v1/openOrders': withSymbolOr(1, 40),
  'GET /fapi/v1/allOrders': 5,
  'GET /fapi/v1/userTrades': 5,
  'DELETE /fapi/v1/allOpenOrders': 1,
  'POST /fapi/v1/countdownCancelAll': 10,
  'GET /fapi/v1/rateLimit/order': 1,
  'GET /fapi/v1/commissionRate': 20,
  'POST /fapi/v1/leverage': 1,
  'POST /fapi/v1/marginType': 1,
  'POST /fapi/v1/positionMargin': 1,
  'GET /fapi/v1/positionSide/dual': 30,
  'POST /fapi/v1/positionSide/dual': 1,
  'GET /fapi/v2/account': 5,
  'GET /fapi/v3/account': 5,
  'GET /fapi/v2/balance': 5,
  'GET /fapi/v3/balance': 5,
  'GET /fapi/v2/positionRisk': 5,
  'GET /fapi/v3/positionRisk': 5,
  'POST /fapi/v1/listenKey': 1,
  'PUT /fapi/v1/listenKey': 1,
  'DELETE /fapi/v1/listenKey': 1,
  'GET /fapi/v1/leverageBracket': 1,
};

/** ws-fapi methods (the `v2/` style prefix removed); the handshake itself weighs `WS_API_HANDSHAKE_WEIGHT`. */
export const WS_API_WEIGHTS: Readonly<Record<string, CostEntry>> = {
  'order.place': { weight: 0, orders10s: 1, orders1m: 1 },
  'order.modify': { weight: 0, orders10s: 1, orders1m: 1 },
  'order.cancel': 1,
  'order.status': 1,
  'account.status': 5,
  'account.balance': 5,
  'account.position': 5,
  'userDataStream.start': 1,
  'userDataStream.ping': 1,
  'userDataStream.stop': 1,
  'session.logon': 2,
  'session.status': 2,
  'session.logout': 2,
};

export const WS_API_HANDSHAKE_WEIGHT = 5;

/** The cost of a request by its key in `table` (unknown keys: weight 1, no order). */
export function costOf(table: Readonly<Record<string, CostEntry>>, key: string, params: ReadonlyMap<string, string>): { weight: number; orders10s: number; orders1m: number } {
  const e = Object.hasOwn(table, key) ? table[key] : undefined;
  if (e === undefined) return { weight: 1, orders10s: 0, orders1m: 0 };
  if (typeof e === 'number') return { weight: e, orders10s: 0, orders1m: 0 };
  if (typeof e === 'function') return { weight: e(params), orders10s: 0, orders1m: 0 };
  return { weight: typeof e.weight === 'number' ? e.weight : e.weight(params), orders10s: e.orders10s ?? 0, orders1m: e.orders1m ?? 0 };
}
