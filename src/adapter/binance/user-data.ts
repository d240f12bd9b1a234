/**
 * User-data wire parsing (binance-usdm.md §7, §4): `ORDER_TRADE_UPDATE` → `ExecutionReport` and the
 * REST account snapshot (open orders, positions, balances) → `AccountSync`, exact ticks and lots
 * through the symbol's instrument. Pure functions; a payload that cannot be read exactly (a price
 * off the tick grid, a missing field) is `null`/an error string, never a guess.
 */
import type { Instrument } from '../../model/instrument.ts';
import type { AccountSync, ExchangeOrderStatus, ExecutionReport, ExecutionType, OrderType, TimeInForce, VenueBalance, VenueOrder, VenuePosition } from '../../model/venue.ts';

const EXEC_TYPES: ReadonlySet<string> = new Set(['NEW', 'TRADE', 'CANCELED', 'EXPIRED', 'AMENDMENT', 'CALCULATED']);
const STATUSES: ReadonlySet<string> = new Set(['NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'EXPIRED_IN_MATCH']);

/** A price in ticks; Binance writes "0" for none (MARKET orders, no fill). */
function ticks(inst: Instrument, p: unknown): number {
  if (typeof p !== 'string') throw new Error(`price ${JSON.stringify(p)} is not a string`);
  return /^0(\.0*)?$/.test(p) ? 0 : inst.priceToTicks(p);
}

function lots(inst: Instrument, q: unknown): number {
  if (typeof q !== 'string') throw new Error(`quantity ${JSON.stringify(q)} is not a string`);
  if (q.startsWith('-')) return -inst.qtyToLots(q.slice(1));
  return inst.qtyToLots(q);
}

/**
 * The report of an `ORDER_TRADE_UPDATE` payload (`{e, E, T, o: {...}}`), or why not: `skip` for
 * symbols without an instrument and execution types the seam has no word for, `error` for a
 * payload that cannot be read exactly.
 */
export function parseOrderTradeUpdate(msg: Record<string, unknown>, instruments: ReadonlyMap<string, Instrument>): { report: ExecutionReport } | { skip: string } | { error: string } {
  const o = msg.o as Record<string, unknown> | undefined;
  if (o === undefined || typeof o !== 'object') return { error: 'ORDER_TRADE_UPDATE without "o"' };
  const symbol = String(o.s);
  const inst = instruments.get(symbol);
  if (inst === undefined) return { skip: `symbol ${symbol} is not traded here` };
  const x = String(o.x);
  if (!EXEC_TYPES.has(x)) return { skip: `execution type ${x}` };
  const X = String(o.X);
  if (!STATUSES.has(X)) return { error: `order status ${X}` };
  try {
    const trade = x === 'TRADE' || x === 'CALCULATED';
    const tsMs = typeof o.T === 'number' ? o.T : typeof msg.E === 'number' ? msg.E : NaN;
    if (!Number.isSafeInteger(tsMs)) throw new Error('no event time');
    const orderId = Number(o.i);
    if (!Number.isSafeInteger(orderId)) throw new Error(`orderId ${String(o.i)}`);
    return {
      report: {
        symbol,
        clientOrderId: String(o.c),
        orderId,
        execType: x as ExecutionType,
        status: X as ExchangeOrderStatus,
        side: o.S === 'BUY' ? 'buy' : 'sell',
        priceTicks: ticks(inst, o.p),
        origQtyLots: lots(inst, o.q),
        cumFilledLots: lots(inst, o.z),
        lastFillLots: trade ? lots(inst, o.l) : 0,
        lastFillPriceTicks: trade ? ticks(inst, o.L) : 0,
        tradeId: trade && typeof o.t === 'number' ? o.t : -1,
        liquidity: trade ? (o.m === true ? 'maker' : 'taker') : null,
        commission: trade && typeof o.n === 'string' ? o.n : '0',
        errorCode: 0,
        errorMessage: '',
        reduceOnly: o.R === true,
        tsExchangeUs: tsMs * 1000,
      },
    };
  } catch (e) {
    return { error: `${symbol} ${String(o.c)}: ${(e as Error).message}` };
  }
}

/** `GET /fapi/v1/openOrders` entries → venue orders (symbols without an instrument left out). */
export function parseOpenOrders(body: unknown, instruments: ReadonlyMap<string, Instrument>): VenueOrder[] {
  if (!Array.isArray(body)) throw new Error('openOrders reply is not a list');
  const out: VenueOrder[] = [];
  for (const raw of body as Record<string, unknown>[]) {
    const inst = instruments.get(String(raw.symbol));
    if (inst === undefined) continue;
    const avg = typeof raw.avgPrice === 'string' ? tryTicks(inst, raw.avgPrice) : undefined;
    out.push({
      symbol: inst.symbol,
      clientOrderId: String(raw.clientOrderId),
      orderId: Number(raw.orderId),
      side: raw.side === 'BUY' ? 'buy' : 'sell',
      type: String(raw.type) as OrderType,
      timeInForce: String(raw.timeInForce) as TimeInForce,
      reduceOnly: raw.reduceOnly === true,
      status: String(raw.status) as ExchangeOrderStatus,
      priceTicks: ticks(inst, raw.price),
      origQtyLots: lots(inst, raw.origQty),
      cumFilledLots: lots(inst, raw.executedQty),
      ...(avg !== undefined && avg > 0 ? { avgFillPriceTicks: avg } : {}),
    });
  }
  return out;
}

/** `GET /fapi/v3/positionRisk` → positions of the instruments' symbols (one-way mode: `BOTH`). */
export function parsePositions(body: unknown, instruments: ReadonlyMap<string, Instrument>): VenuePosition[] {
  if (!Array.isArray(body)) throw new Error('positionRisk reply is not a list');
  const out: VenuePosition[] = [];
  for (const raw of body as Record<string, unknown>[]) {
    const inst = instruments.get(String(raw.symbol));
    if (inst === undefined) continue;
    const l = lots(inst, raw.positionAmt);
    if (l === 0) continue;
    out.push({ symbol: inst.symbol, lots: l, entryPrice: typeof raw.entryPrice === 'string' ? raw.entryPrice : '' });
  }
  return out.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/** `GET /fapi/v3/balance` → wallet balances (`balance`) by asset, sorted by asset. */
export function parseBalances(body: unknown): VenueBalance[] {
  if (!Array.isArray(body)) throw new Error('balance reply is not a list');
  return (body as Record<string, unknown>[])
    .map((b) => ({ asset: String(b.asset), walletBalance: String(b.balance) }))
    .sort((a, b) => (a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0));
}

export function accountSyncOf(tsUs: number, symbols: readonly string[], openOrders: VenueOrder[], positions: VenuePosition[], balances: VenueBalance[]): AccountSync {
  const covered = new Set(symbols);
  return { tsUs, symbols: [...symbols], positions: positions.filter((p) => covered.has(p.symbol)), balances, openOrders: openOrders.filter((o) => covered.has(o.symbol)) };
}

function tryTicks(inst: Instrument, p: string): number | undefined {
  try {
    return ticks(inst, p);
  } catch {
    return undefined;
  }
}

/** One `GET /fapi/v1/userTrades` entry, the fields read. */
interface RestTrade {
  id: number;
  orderId: number;
  side: 'BUY' | 'SELL';
  price: string;
  qty: string;
  commission: string;
  commissionAsset: string;
  maker: boolean;
  time: number;
}

/** One `GET /fapi/v1/order` reply, the fields read. */
export interface RestOrderForBackfill {
  orderId: number;
  clientOrderId: string;
  status: string;
  side: 'BUY' | 'SELL';
  price: string;
  origQty: string;
  executedQty: string;
  reduceOnly?: boolean;
}

/**
 * The fills a user-data stream gap hid, as the TRADE reports the stream would have carried: from
 * `GET /fapi/v1/userTrades` (price, quantity, commission, maker, trade id) and, per order, `GET
 * /fapi/v1/order` (client id, status, quantities). The cumulative filled quantity at each trade is
 * the order's executed quantity less the later trades of the list; the last trade of an order
 * carries its status. A commission in another asset than the symbol's margin asset (BNB fee
 * discounts) cannot be booked exactly: an error, never a guess.
 */
export function backfillReports(symbol: string, tradesBody: unknown, orders: ReadonlyMap<number, RestOrderForBackfill>, instruments: ReadonlyMap<string, Instrument>): ExecutionReport[] {
  const inst = instruments.get(symbol);
  if (inst === undefined) throw new Error(`symbol ${symbol} is not traded here`);
  if (!Array.isArray(tradesBody)) throw new Error('userTrades reply is not a list');
  const trades = (tradesBody as RestTrade[]).slice().sort((a, b) => a.id - b.id);
  const laterLots = new Map<number, number>();
  const out: ExecutionReport[] = [];
  for (let i = trades.length - 1; i >= 0; i--) {
    const t = trades[i];
    const o = orders.get(t.orderId);
    if (o === undefined) throw new Error(`trade ${t.id}: order ${t.orderId} was not found`);
    if (t.commissionAsset !== inst.spec.marginAsset && !/^-?0(\.0*)?$/.test(t.commission)) throw new Error(`trade ${t.id}: commission in ${t.commissionAsset}, not ${inst.spec.marginAsset}`);
    const qtyLots = lots(inst, t.qty);
    const later = laterLots.get(t.orderId);
    const cum = lots(inst, o.executedQty) - (later ?? 0);
    if (cum < qtyLots) throw new Error(`trade ${t.id}: order ${t.orderId} executed ${o.executedQty}, less than its trades`);
    const status = (later === undefined ? o.status : 'PARTIALLY_FILLED') as ExchangeOrderStatus;
    if (!STATUSES.has(status)) throw new Error(`order ${t.orderId}: status ${status}`);
    laterLots.set(t.orderId, (later ?? 0) + qtyLots);
    out.push({
      symbol,
      clientOrderId: o.clientOrderId,
      orderId: t.orderId,
      execType: 'TRADE',
      status,
      side: t.side === 'BUY' ? 'buy' : 'sell',
      priceTicks: ticks(inst, o.price),
      origQtyLots: lots(inst, o.origQty),
      cumFilledLots: cum,
      lastFillLots: qtyLots,
      lastFillPriceTicks: inst.priceToTicks(t.price),
      tradeId: t.id,
      liquidity: t.maker ? 'maker' : 'taker',
      commission: t.commissionAsset === inst.spec.marginAsset ? t.commission : '0',
      errorCode: 0,
      errorMessage: '',
      reduceOnly: o.reduceOnly === true,
      tsExchangeUs: t.time * 1000,
    });
  }
  return out.reverse();
}
