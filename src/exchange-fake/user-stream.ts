/**
 * The user data stream (binance-usdm.md §7): listen keys per account (created or extended by
 * `POST /fapi/v1/listenKey`, kept alive by `PUT`, removed by `DELETE`, valid 60 minutes) and the
 * events of an account's orders as Binance pushes them: `ORDER_TRADE_UPDATE` for every order event
 * (refusals of requests are replies, not events, as on Binance) and `TRADE_LITE` for fills.
 * An expired key gets `listenKeyExpired` and then nothing more.
 */
import { randomBytes } from 'node:crypto';
import type { Instrument } from '../model/instrument.ts';
import type { ExecutionReport } from '../model/venue.ts';
import { averagePrice, type OrderRecord } from './orders.ts';

export interface ListenKey {
  readonly key: string;
  readonly apiKey: string;
  expiresUs: number;
  expired: boolean;
}

export class ListenKeys {
  private readonly byKey = new Map<string, ListenKey>();
  private readonly byAccount = new Map<string, ListenKey>();

  constructor(
    private readonly validityUs = 3_600_000_000,
    private readonly random: (n: number) => Buffer = randomBytes,
  ) {}

  /** POST: the account's live key (extended), or a new one. */
  create(apiKey: string, nowUs: number): ListenKey {
    let k = this.byAccount.get(apiKey);
    if (k === undefined || k.expired || k.expiresUs <= nowUs) {
      k = { key: this.random(48).toString('base64url').replace(/[-_]/g, 'x').slice(0, 64), apiKey, expiresUs: 0, expired: false };
      this.byKey.set(k.key, k);
      this.byAccount.set(apiKey, k);
    }
    k.expiresUs = nowUs + this.validityUs;
    return k;
  }

  /** PUT: extends the account's key; false when it has none alive. */
  keepAlive(apiKey: string, nowUs: number): boolean {
    const k = this.byAccount.get(apiKey);
    if (k === undefined || k.expired || k.expiresUs <= nowUs) return false;
    k.expiresUs = nowUs + this.validityUs;
    return true;
  }

  delete(apiKey: string): void {
    const k = this.byAccount.get(apiKey);
    if (k === undefined) return;
    this.byAccount.delete(apiKey);
    this.byKey.delete(k.key);
  }

  get(key: string): ListenKey | undefined {
    return this.byKey.get(key);
  }

  /** Keys that reached their expiry by `nowUs` (marked expired, returned once). */
  expire(nowUs: number): ListenKey[] {
    const out: ListenKey[] = [];
    for (const k of this.byKey.values()) {
      if (!k.expired && k.expiresUs <= nowUs) {
        k.expired = true;
        out.push(k);
      }
    }
    return out;
  }

  /** The account's live key, if any. */
  ofAccount(apiKey: string): ListenKey | undefined {
    const k = this.byAccount.get(apiKey);
    return k === undefined || k.expired ? undefined : k;
  }
}

const ms = (us: number): number => Math.floor(us / 1000);
const PUSHED = new Set(['NEW', 'TRADE', 'CANCELED', 'EXPIRED', 'AMENDMENT', 'CALCULATED']);

/** The `ORDER_TRADE_UPDATE` of a report, or null for what Binance does not push (request refusals). */
export function orderTradeUpdate(r: ExecutionReport, o: OrderRecord | undefined, inst: Instrument, marginAsset: string): object | null {
  if (!PUSHED.has(r.execType) || o === undefined) return null;
  // A liquidation fill (CALCULATED, an `autoclose-` order) carries its fill like a trade.
  const trade = r.execType === 'TRADE' || r.execType === 'CALCULATED';
  const avg = o.executedLots === 0 ? '0' : averagePrice(o.cumQuote, o.executedLots, inst);
  const order: Record<string, unknown> = {
    s: r.symbol,
    c: r.clientOrderId,
    S: r.side === 'buy' ? 'BUY' : 'SELL',
    o: o.request.type,
    f: o.request.type === 'MARKET' ? 'GTC' : o.request.timeInForce,
    q: inst.lotsToQty(r.origQtyLots),
    p: o.request.type === 'MARKET' ? '0' : inst.ticksToPrice(r.priceTicks),
    ap: avg,
    sp: '0',
    x: r.execType,
    X: r.status,
    i: r.orderId,
    l: trade ? inst.lotsToQty(r.lastFillLots) : '0',
    z: inst.lotsToQty(r.cumFilledLots),
    L: trade ? inst.ticksToPrice(r.lastFillPriceTicks) : '0',
  };
  if (trade) {
    order.N = marginAsset;
    order.n = r.commission;
  }
  Object.assign(order, {
    T: ms(r.tsExchangeUs),
    t: trade ? r.tradeId : 0,
    b: '0',
    a: '0',
    m: trade && r.liquidity === 'maker',
    R: r.reduceOnly,
    wt: 'CONTRACT_PRICE',
    ot: o.request.type,
    ps: o.request.positionSide ?? r.positionSide ?? 'BOTH',
    cp: false,
    rp: '0',
    pP: false,
    si: 0,
    ss: 0,
    V: o.request.selfTradePrevention ?? 'EXPIRE_MAKER',
    pm: 'NONE',
    gtd: 0,
  });
  if (r.status === 'EXPIRED') order.er = o.request.timeInForce === 'IOC' || o.request.type === 'MARKET' ? '2' : '0';
  else if (r.status === 'EXPIRED_IN_MATCH') order.er = '1';
  return { e: 'ORDER_TRADE_UPDATE', E: ms(r.tsExchangeUs), T: ms(r.tsExchangeUs), o: order };
}

export function tradeLite(r: ExecutionReport, inst: Instrument): object | null {
  if (r.execType !== 'TRADE') return null;
  const t = ms(r.tsExchangeUs);
  return { e: 'TRADE_LITE', E: t, T: t, s: r.symbol, q: inst.lotsToQty(r.origQtyLots), p: inst.ticksToPrice(r.priceTicks), m: r.liquidity === 'maker', c: r.clientOrderId, S: r.side === 'buy' ? 'BUY' : 'SELL', L: inst.ticksToPrice(r.lastFillPriceTicks), l: inst.lotsToQty(r.lastFillLots), t: r.tradeId, i: r.orderId };
}
