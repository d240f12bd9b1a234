/** Binance REST payloads built from our model (exchangeInfo, depth, bookTicker). */
import type { BookView } from '../book/index.ts';
import type { Instrument } from '../model/instrument.ts';

/** Binance's `rateLimits` (the server passes its configured ones). */
const BINANCE_RATE_LIMIT_LIST: Record<string, unknown>[] = [
  { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 },
  { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
  { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 300 },
];

/** `GET /fapi/v1/exchangeInfo` for the served instruments, with Binance's rate limits and filters. */
export function exchangeInfo(instruments: Iterable<Instrument>, serverTimeMs: number, rateLimits: Record<string, unknown>[] = BINANCE_RATE_LIMIT_LIST): Record<string, unknown> {
  const symbols = [];
  const assets = new Set<string>();
  for (const inst of instruments) {
    const s = inst.spec;
    assets.add(s.marginAsset);
    const filters: Record<string, unknown>[] = [
      { filterType: 'PRICE_FILTER', minPrice: s.minPrice, maxPrice: s.maxPrice, tickSize: s.tickSize },
      { filterType: 'LOT_SIZE', minQty: s.minQty, maxQty: s.maxQty, stepSize: s.stepSize },
      { filterType: 'MARKET_LOT_SIZE', minQty: s.marketMinQty, maxQty: s.marketMaxQty, stepSize: s.stepSize },
      { filterType: 'MAX_NUM_ORDERS', limit: s.maxNumOrders ?? 200 },
      { filterType: 'MIN_NOTIONAL', notional: s.minNotional },
    ];
    if (s.percentPrice !== undefined) filters.push({ filterType: 'PERCENT_PRICE', multiplierUp: s.percentPrice.multiplierUp, multiplierDown: s.percentPrice.multiplierDown, multiplierDecimal: '4' });
    symbols.push({
      symbol: s.symbol,
      pair: s.symbol,
      contractType: s.contractType,
      deliveryDate: 4133404800000,
      onboardDate: 1569398400000,
      status: 'TRADING',
      maintMarginPercent: '2.5000',
      requiredMarginPercent: '5.0000',
      baseAsset: s.baseAsset,
      quoteAsset: s.quoteAsset,
      marginAsset: s.marginAsset,
      pricePrecision: inst.priceDecimals,
      quantityPrecision: inst.qtyDecimals,
      baseAssetPrecision: 8,
      quotePrecision: 8,
      underlyingType: 'COIN',
      underlyingSubType: [],
      settlePlan: 0,
      triggerProtect: '0.0500',
      liquidationFee: '0.012500',
      marketTakeBound: '0.05',
      maxMoveOrderLimit: 10000,
      filters,
      orderTypes: ['LIMIT', 'MARKET'],
      timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
    });
  }
  return {
    timezone: 'UTC',
    serverTime: serverTimeMs,
    futuresType: 'U_MARGINED',
    rateLimits,
    exchangeFilters: [],
    assets: [...assets].map((asset) => ({ asset, marginAvailable: true, autoAssetExchange: '0' })),
    symbols,
  };
}

export const DEPTH_LIMITS = [5, 10, 20, 50, 100, 500, 1000] as const;

/** `GET /fapi/v1/depth`: the top `limit` levels of the replayed depth book and its last update id. */
export function depthSnapshot(book: BookView, inst: Instrument, limit: number, nowMs: number): Record<string, unknown> {
  const side = (s: 'bid' | 'ask') => book.topLevels(s, limit).map((l) => [inst.ticksToPrice(l.priceTicks), inst.lotsToQty(l.qtyLots)]);
  return { lastUpdateId: book.lastUpdateId(), E: nowMs, T: nowMs, bids: side('bid'), asks: side('ask') };
}

export function bookTicker(book: BookView, inst: Instrument, nowMs: number): Record<string, unknown> {
  const bid = book.bestBidTicks();
  const ask = book.bestAskTicks();
  return {
    symbol: inst.symbol,
    bidPrice: Number.isNaN(bid) ? '0' : inst.ticksToPrice(bid),
    bidQty: inst.lotsToQty(book.bestBidLots()),
    askPrice: Number.isNaN(ask) ? '0' : inst.ticksToPrice(ask),
    askQty: inst.lotsToQty(book.bestAskLots()),
    lastUpdateId: book.lastUpdateId(),
    time: nowMs,
  };
}
