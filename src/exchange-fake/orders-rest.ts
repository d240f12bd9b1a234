/**
 * Order endpoints beyond single place/modify/cancel/query (binance-usdm.md §4):
 * `POST|PUT|DELETE /fapi/v1/batchOrders` (per-item order or `{code, msg}`, in the order sent),
 * `GET openOrder`, `GET allOrders`, `GET userTrades` (the account's fills with commission,
 * realized PnL, maker and buyer), `POST order/test` (checked as a new order, not sent),
 * `POST countdownCancelAll` (a dead-man timer per account and symbol) and `GET rateLimit/order`.
 */
import { divRoundHalfEven, formatScaled, parseDecimal, subScaled, type ScaledDecimal } from '../model/money.ts';
import type { Instrument } from '../model/instrument.ts';
import type { ExecutionReport } from '../model/venue.ts';
import { exchangeInfo } from './encode.ts';
import { BinanceError, ERR } from './errors.ts';
import { ledgerKey, type AccountState } from './local-exchange.ts';
import type { OrderRecord } from './orders.ts';
import { limitParam, optionalInt, required, timeRange } from './params.ts';
import type { ExchangeServer, Reply } from './server.ts';

const ms = (us: number): number => Math.floor(us / 1000);
const OPEN = new Set(['NEW', 'PARTIALLY_FILLED']);
const MAX_BATCH = 5;
const MAX_CANCEL_LIST = 10;

export interface Fill {
  symbol: string;
  id: number;
  orderId: number;
  buy: boolean;
  priceTicks: number;
  qtyLots: number;
  realizedPnl: string;
  commission: string;
  timeMs: number;
  maker: boolean;
  positionSide: 'BOTH' | 'LONG' | 'SHORT';
}

/** One account's fills, oldest first (bounded), and the realized PnL booked so far per ledger key (symbol, or symbol and side in hedge mode). */
class FillLog {
  readonly fills: Fill[] = [];
  readonly realized = new Map<string, ScaledDecimal>();
}

export interface OrderEndpointsOptions {
  /** Fills kept per account for `userTrades` (default 10,000). */
  fillCapacity?: number;
}

export class OrderEndpoints {
  private readonly logs = new Map<string, FillLog>();
  private readonly countdowns = new Map<string, NodeJS.Timeout>();
  private readonly fillCap: number;

  constructor(
    private readonly srv: ExchangeServer,
    o: OrderEndpointsOptions = {},
  ) {
    this.fillCap = o.fillCapacity ?? 10_000;
    srv.ex.onAccountEvent((a, e) => {
      if (e.kind === 'report') this.onReport(a, e.report);
    });
    srv.onClose(() => this.clearCountdowns());
  }

  private onReport(a: AccountState, r: ExecutionReport): void {
    if ((r.execType !== 'TRADE' && r.execType !== 'CALCULATED') || r.lastFillLots <= 0) return;
    let log = this.logs.get(a.account.apiKey);
    if (log === undefined) {
      log = new FillLog();
      this.logs.set(a.account.apiKey, log);
    }
    // The ledger booked this fill before listeners run: its realized PnL is the change of the position's total.
    const positionSide = r.positionSide ?? 'BOTH';
    const key = ledgerKey(r.symbol, positionSide);
    const total = parseDecimal(a.portfolio.positionSnapshot(key).realizedPnl);
    const before = log.realized.get(key) ?? { units: 0n, scale: 0 };
    const d = subScaled(total, before);
    log.realized.set(key, total);
    log.fills.push({
      symbol: r.symbol, id: r.tradeId, orderId: r.orderId, buy: r.side === 'buy', priceTicks: r.lastFillPriceTicks, qtyLots: r.lastFillLots,
      realizedPnl: formatScaled(d.units, d.scale), commission: r.commission, timeMs: ms(r.tsExchangeUs), maker: r.liquidity === 'maker', positionSide,
    });
    if (log.fills.length > this.fillCap + 256) log.fills.splice(0, log.fills.length - this.fillCap);
  }

  private clearCountdowns(): void {
    for (const t of this.countdowns.values()) clearTimeout(t);
    this.countdowns.clear();
  }

  register(): void {
    const srv = this.srv;
    srv.route('POST /fapi/v1/batchOrders', srv.signed(({ params }, a) => this.batch(params, (p) => srv.placeOrder(p, a))));
    srv.route('PUT /fapi/v1/batchOrders', srv.signed(({ params }, a) => this.batch(params, (p) => srv.modifyOrder(p, a))));
    srv.route('DELETE /fapi/v1/batchOrders', srv.signed(({ params }, a) => this.batchCancel(params, a)));
    srv.route('GET /fapi/v1/openOrder', srv.signed(({ params }, a) => {
      const o = this.findOrder(params, a);
      if (o === undefined || !OPEN.has(o.status)) throw ERR.noSuchOrder();
      return { status: 200, body: a.orders.json(o) };
    }));
    srv.route('GET /fapi/v1/allOrders', srv.signed(({ params }, a) => ({ status: 200, body: this.allOrders(params, a).map((o) => a.orders.json(o)) })));
    srv.route('GET /fapi/v1/userTrades', srv.signed(({ params }, a) => ({ status: 200, body: this.userTrades(params, a) })));
    srv.route('POST /fapi/v1/order/test', srv.signed(({ params }, a) => {
      srv.orderRequest(params, a);
      return { status: 200, body: {} };
    }));
    srv.route('POST /fapi/v1/countdownCancelAll', srv.signed(({ params }, a) => this.countdown(params, a)));
    srv.route('GET /fapi/v1/rateLimit/order', srv.signed(() => {
      const limits = exchangeInfo([], srv.nowMs()).rateLimits as { rateLimitType: string }[];
      return { status: 200, body: limits.filter((l) => l.rateLimitType === 'ORDERS') };
    }));
  }

  /** Items of a `batchOrders` list, each run as its own request; a refusal is that item's `{code, msg}`. */
  private batch(p: Map<string, string>, run: (item: Map<string, string>) => Reply): Reply {
    const raw = required(p, 'batchOrders');
    let list: unknown;
    try {
      list = JSON.parse(raw);
    } catch {
      throw ERR.badParam('batchOrders', raw);
    }
    if (!Array.isArray(list)) throw ERR.badParam('batchOrders', raw);
    if (list.length === 0 || list.length > MAX_BATCH) throw new BinanceError(-4082, 'Invalid number of batch place orders.');
    const items = list.map((item) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw ERR.badParam('batchOrders', raw);
      const m = new Map<string, string>();
      for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
        if (v === null || typeof v === 'object') throw ERR.badParam(k, JSON.stringify(v));
        m.set(k, String(v));
      }
      return m;
    });
    return { status: 200, body: items.map((m) => itemResult(() => run(m))) };
  }

  private batchCancel(p: Map<string, string>, a: AccountState): Reply {
    const inst = this.srv.instrument(p);
    // ccxt sends the list as `orderidlist` (all lower case), which Binance accepts too.
    const ids = p.get('orderIdList') ?? p.get('orderidlist');
    const cids = p.get('origClientOrderIdList') ?? p.get('origclientorderidlist');
    if ((ids === undefined || ids === '') && (cids === undefined || cids === '')) throw ERR.mandatory('orderIdList');
    const keys: Map<string, string>[] = [];
    if (ids !== undefined && ids !== '') {
      for (const id of jsonList(ids, 'orderIdList', (x) => (typeof x === 'number' && Number.isSafeInteger(x)) || (typeof x === 'string' && /^\d{1,16}$/.test(x)))) keys.push(new Map([['symbol', inst.symbol], ['orderId', String(id)]]));
    } else {
      for (const c of jsonList(cids!, 'origClientOrderIdList', (x) => typeof x === 'string')) keys.push(new Map([['symbol', inst.symbol], ['origClientOrderId', String(c)]]));
    }
    return { status: 200, body: keys.map((k) => itemResult(() => this.srv.cancelOrder(k, a))) };
  }

  private findOrder(p: Map<string, string>, a: AccountState): OrderRecord | undefined {
    const inst = this.srv.instrument(p);
    const orderId = optionalInt(p, 'orderId');
    const cid = p.get('origClientOrderId');
    if (orderId === undefined && (cid === undefined || cid === '')) throw ERR.mandatory('orderId');
    const o = a.orders.find(orderId, cid === '' ? undefined : cid);
    return o === undefined || o.request.symbol !== inst.symbol ? undefined : o;
  }

  private allOrders(p: Map<string, string>, a: AccountState): OrderRecord[] {
    const inst = this.srv.instrument(p);
    const orderId = optionalInt(p, 'orderId');
    const { start, end } = timeRange(p);
    const limit = limitParam(p, 500, 1000);
    const list = a.orders.all(inst.symbol).filter((o) => (orderId === undefined || o.orderId >= orderId) && (start === undefined || o.timeMs >= start) && (end === undefined || o.timeMs <= end));
    list.sort((x, y) => x.orderId - y.orderId);
    return orderId !== undefined || start !== undefined ? list.slice(0, limit) : list.slice(Math.max(0, list.length - limit));
  }

  private userTrades(p: Map<string, string>, a: AccountState): Record<string, unknown>[] {
    const inst = this.srv.instrument(p);
    const orderId = optionalInt(p, 'orderId');
    const fromId = optionalInt(p, 'fromId');
    const { start, end } = timeRange(p);
    if (start !== undefined && end !== undefined && end - start > 7 * 86_400_000) throw new BinanceError(-1127, 'More than 7 days between startTime and endTime.');
    const limit = limitParam(p, 500, 1000);
    const fills = (this.logs.get(a.account.apiKey)?.fills ?? []).filter(
      (f) => f.symbol === inst.symbol && (orderId === undefined || f.orderId === orderId) && (fromId === undefined || f.id >= fromId) && (start === undefined || f.timeMs >= start) && (end === undefined || f.timeMs <= end),
    );
    const chosen = fromId !== undefined || start !== undefined ? fills.slice(0, limit) : fills.slice(Math.max(0, fills.length - limit));
    return chosen.map((f) => fillJson(f, inst));
  }

  private countdown(p: Map<string, string>, a: AccountState): Reply {
    const inst = this.srv.instrument(p);
    const t = optionalInt(p, 'countdownTime');
    if (t === undefined) throw ERR.mandatory('countdownTime');
    if (t < 0) throw ERR.badParam('countdownTime', String(t));
    const key = `${a.account.apiKey}/${inst.symbol}`;
    const old = this.countdowns.get(key);
    if (old !== undefined) clearTimeout(old);
    this.countdowns.delete(key);
    if (t > 0) {
      const timer = setTimeout(() => {
        this.countdowns.delete(key);
        for (const o of a.orders.open(inst.symbol)) this.srv.ex.command(a, { kind: 'cancel', symbol: inst.symbol, clientOrderId: o.request.clientOrderId });
      }, t);
      timer.unref();
      this.countdowns.set(key, timer);
    }
    return { status: 200, body: { symbol: inst.symbol, countdownTime: String(t) } };
  }
}

function itemResult(f: () => Reply): unknown {
  try {
    return f().body;
  } catch (e) {
    if (e instanceof BinanceError) return e.body();
    return ERR.unknown().body();
  }
}

/** A JSON list parameter (URL-decoded already), at most 10 items, each passing `ok`. */
function jsonList(raw: string, name: string, ok: (x: unknown) => boolean): unknown[] {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw ERR.badParam(name, raw);
  }
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_CANCEL_LIST || !v.every(ok)) throw ERR.badParam(name, raw);
  return v;
}

function fillJson(f: Fill, inst: Instrument): Record<string, unknown> {
  const price = inst.ticksToPrice(f.priceTicks);
  const qty = inst.lotsToQty(f.qtyLots);
  const p = parseDecimal(price);
  const q = parseDecimal(qty);
  return {
    symbol: f.symbol, id: f.id, orderId: f.orderId, side: f.buy ? 'BUY' : 'SELL', price, qty, realizedPnl: dec8OrZero(f.realizedPnl), marginAsset: inst.spec.marginAsset,
    quoteQty: formatScaled(p.units * q.units, p.scale + q.scale), commission: dec8OrZero(f.commission), commissionAsset: inst.spec.marginAsset, time: f.timeMs,
    positionSide: f.positionSide, buyer: f.buy, maker: f.maker,
  };
}

/** Binance's money strings: 8 decimals ("0.00555670", "-0.00325000"), a plain "0" for zero. */
function dec8OrZero(s: string): string {
  const d = parseDecimal(s);
  if (d.units === 0n) return '0';
  const units = d.scale <= 8 ? d.units * 10n ** BigInt(8 - d.scale) : divRoundHalfEven(d.units, 10n ** BigInt(d.scale - 8));
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(9, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -8)}.${digits.slice(-8)}`;
}
