/**
 * Binance's request weights for the endpoints the local exchange serves (binance-usdm.md §3, from
 * Binance's endpoint pages): `WEIGHTS['GET /fapi/v1/klines'](params)` is the IP weight a request
 * costs, a function of its parameters where Binance makes it one (depth and klines `limit`, calls
 * with and without `symbol`). `ORDER_COUNTS` is what an order request adds to the account's ORDERS
 * counters (10 s and 1 min). An endpoint missing here costs 1 (`weightOf`).
 */

export type Weight = (params: ReadonlyMap<string, string>) => number;

const fixed = (w: number): Weight => () => w;
/** `w1` with `symbol`, `w0` without it. */
const bySymbol = (w1: number, w0: number): Weight => (p) => (p.get('symbol') === undefined || p.get('symbol') === '' ? w0 : w1);

function limitOf(p: ReadonlyMap<string, string>, dflt: number): number {
  const v = Number(p.get('limit') ?? dflt);
  return Number.isFinite(v) ? v : dflt;
}

/** `GET /fapi/v1/depth`: 5, 10, 20, 50 → 2; 100 → 5; 500 → 10; 1000 → 20 (default limit 500). */
export const depthWeight: Weight = (p) => {
  const l = limitOf(p, 500);
  return l <= 50 ? 2 : l <= 100 ? 5 : l <= 500 ? 10 : 20;
};

/** `GET /fapi/v1/klines`: limit [1,100) → 1; [100,500) → 2; [500,1000] → 5; > 1000 → 10 (default 500). */
export const klinesWeight: Weight = (p) => {
  const l = limitOf(p, 500);
  return l < 100 ? 1 : l < 500 ? 2 : l <= 1000 ? 5 : 10;
};

export const WEIGHTS: Readonly<Record<string, Weight>> = {
  'GET /fapi/v1/ping': fixed(1),
  'GET /fapi/v1/time': fixed(1),
  'GET /fapi/v1/exchangeInfo': fixed(1),
  'GET /fapi/v1/depth': depthWeight,
  'GET /fapi/v1/trades': fixed(5),
  'GET /fapi/v1/historicalTrades': fixed(20),
  'GET /fapi/v1/aggTrades': fixed(20),
  'GET /fapi/v1/klines': klinesWeight,
  'GET /fapi/v1/premiumIndex': bySymbol(1, 10),
  'GET /fapi/v1/ticker/bookTicker': bySymbol(2, 5),
  'POST /fapi/v1/order': fixed(0),
  'PUT /fapi/v1/order': fixed(0),
  'DELETE /fapi/v1/order': fixed(1),
  'GET /fapi/v1/order': fixed(1),
  'POST /fapi/v1/order/test': fixed(0),
  'POST /fapi/v1/batchOrders': fixed(5),
  'PUT /fapi/v1/batchOrders': fixed(5),
  'DELETE /fapi/v1/batchOrders': fixed(1),
  'DELETE /fapi/v1/allOpenOrders': fixed(1),
  'POST /fapi/v1/countdownCancelAll': fixed(10),
  'GET /fapi/v1/openOrder': fixed(1),
  'GET /fapi/v1/openOrders': bySymbol(1, 40),
  'GET /fapi/v1/allOrders': fixed(5),
  'GET /fapi/v1/userTrades': fixed(5),
  'GET /fapi/v1/rateLimit/order': fixed(1),
  'GET /fapi/v1/leverageBracket': fixed(1),
  'GET /fapi/v1/commissionRate': fixed(20),
  'POST /fapi/v1/leverage': fixed(1),
  'POST /fapi/v1/marginType': fixed(1),
  'GET /fapi/v1/positionSide/dual': fixed(30),
  'POST /fapi/v1/positionSide/dual': fixed(1),
  'GET /fapi/v1/income': fixed(30),
  'GET /fapi/v2/account': fixed(5),
  'GET /fapi/v3/account': fixed(5),
  'GET /fapi/v2/balance': fixed(5),
  'GET /fapi/v3/balance': fixed(5),
  'GET /fapi/v2/positionRisk': fixed(5),
  'GET /fapi/v3/positionRisk': fixed(5),
  'POST /fapi/v1/listenKey': fixed(1),
  'PUT /fapi/v1/listenKey': fixed(1),
  'DELETE /fapi/v1/listenKey': fixed(1),
};

/** What an order request adds to the account's ORDERS counters. */
export const ORDER_COUNTS: Readonly<Record<string, { tenSeconds: number; minute: number }>> = {
  'POST /fapi/v1/order': { tenSeconds: 1, minute: 1 },
  'PUT /fapi/v1/order': { tenSeconds: 1, minute: 1 },
  'POST /fapi/v1/batchOrders': { tenSeconds: 5, minute: 1 },
  'PUT /fapi/v1/batchOrders': { tenSeconds: 5, minute: 1 },
};

/** The IP weight of a request to `key` (`'GET /fapi/v1/depth'`); 1 for an endpoint not in the table. */
export function weightOf(key: string, params: ReadonlyMap<string, string>): number {
  const w = WEIGHTS[key];
  return w === undefined ? 1 : w(params);
}
