/**
 * One account's orders as Binance's REST API shows them (`GET /fapi/v1/order`, `openOrders`,
 * `allOrders`), kept from the simulated exchange's execution reports: the request's fields, the
 * latest status and quantities, and the exact quote amount filled (for `avgPrice` and `cumQuote`).
 */
import { addScaled, formatScaled, mulScaled, parseDecimal, type ScaledDecimal } from '../model/money.ts';
import type { Instrument } from '../model/instrument.ts';
import type { ExchangeOrderStatus, ExecutionReport, OrderRequest } from '../model/venue.ts';

export interface OrderRecord {
  readonly request: OrderRequest;
  readonly orderId: number;
  status: ExchangeOrderStatus;
  priceTicks: number;
  origQtyLots: number;
  executedLots: number;
  cumQuote: ScaledDecimal;
  readonly timeMs: number;
  updateTimeMs: number;
}

const ZERO: ScaledDecimal = { units: 0n, scale: 0 };
const ms = (us: number): number => Math.floor(us / 1000);
const OPEN: ReadonlySet<ExchangeOrderStatus> = new Set(['NEW', 'PARTIALLY_FILLED']);

export class OrderTable {
  private readonly byId = new Map<number, OrderRecord>();
  /** Client id → the open order with it, or the latest closed one. */
  private readonly byClientId = new Map<string, OrderRecord>();
  /** Closed orders kept for queries, oldest first (bounded). */
  private readonly closedIds: number[] = [];

  constructor(
    private readonly instruments: ReadonlyMap<string, Instrument>,
    private readonly retention = 10_000,
  ) {}

  /** Applies a report of the simulated exchange; returns the order it concerns (undefined for request-level rejects). */
  apply(r: ExecutionReport, request: OrderRequest | undefined): OrderRecord | undefined {
    if (r.orderId < 0) return undefined;
    let o = this.byId.get(r.orderId);
    if (o === undefined) {
      if (request === undefined) return undefined;
      o = { request, orderId: r.orderId, status: r.status, priceTicks: r.priceTicks, origQtyLots: r.origQtyLots, executedLots: 0, cumQuote: ZERO, timeMs: ms(r.tsExchangeUs), updateTimeMs: ms(r.tsExchangeUs) };
      this.byId.set(r.orderId, o);
      this.byClientId.set(request.clientOrderId, o);
    }
    if ((r.execType === 'TRADE' || r.execType === 'CALCULATED') && r.lastFillLots > 0) {
      const inst = this.instruments.get(r.symbol)!;
      const px = parseDecimal(inst.ticksToPrice(r.lastFillPriceTicks));
      const qty = parseDecimal(inst.lotsToQty(r.lastFillLots));
      o.cumQuote = addScaled(o.cumQuote, mulScaled(px, qty));
    }
    const wasOpen = OPEN.has(o.status);
    o.status = r.status;
    o.priceTicks = r.priceTicks;
    o.origQtyLots = r.origQtyLots;
    o.executedLots = r.cumFilledLots;
    o.updateTimeMs = ms(r.tsExchangeUs);
    if (wasOpen && !OPEN.has(o.status)) {
      this.closedIds.push(o.orderId);
      while (this.closedIds.length > this.retention) {
        const old = this.byId.get(this.closedIds.shift()!);
        if (old === undefined) continue;
        this.byId.delete(old.orderId);
        if (this.byClientId.get(old.request.clientOrderId) === old) this.byClientId.delete(old.request.clientOrderId);
      }
    }
    return o;
  }

  find(orderId: number | undefined, clientOrderId: string | undefined): OrderRecord | undefined {
    if (orderId !== undefined) {
      const o = this.byId.get(orderId);
      if (o !== undefined && (clientOrderId === undefined || o.request.clientOrderId === clientOrderId)) return o;
      return undefined;
    }
    return clientOrderId === undefined ? undefined : this.byClientId.get(clientOrderId);
  }

  open(symbol?: string): OrderRecord[] {
    const out: OrderRecord[] = [];
    for (const o of this.byId.values()) if (OPEN.has(o.status) && (symbol === undefined || o.request.symbol === symbol)) out.push(o);
    return out;
  }

  all(symbol: string): OrderRecord[] {
    return [...this.byId.values()].filter((o) => o.request.symbol === symbol);
  }

  /** The order object of Binance's REST replies. */
  json(o: OrderRecord): Record<string, unknown> {
    const inst = this.instruments.get(o.request.symbol)!;
    const executedQty = inst.lotsToQty(o.executedLots);
    const tif = o.request.type === 'MARKET' ? 'GTC' : o.request.timeInForce;
    return {
      orderId: o.orderId,
      symbol: o.request.symbol,
      status: o.status,
      clientOrderId: o.request.clientOrderId,
      price: o.request.type === 'MARKET' ? '0' : inst.ticksToPrice(o.priceTicks),
      avgPrice: averagePrice(o.cumQuote, o.executedLots, inst),
      origQty: inst.lotsToQty(o.origQtyLots),
      executedQty,
      cumQty: executedQty,
      cumQuote: formatScaled(o.cumQuote.units, o.cumQuote.scale),
      timeInForce: tif,
      type: o.request.type,
      reduceOnly: o.request.reduceOnly,
      closePosition: false,
      side: o.request.side === 'buy' ? 'BUY' : 'SELL',
      positionSide: o.request.positionSide ?? 'BOTH',
      stopPrice: '0',
      workingType: 'CONTRACT_PRICE',
      priceProtect: false,
      origType: o.request.type,
      priceMatch: 'NONE',
      selfTradePreventionMode: o.request.selfTradePrevention ?? 'EXPIRE_MAKER',
      goodTillDate: 0,
      time: o.timeMs,
      updateTime: o.updateTimeMs,
    };
  }
}

/** cumQuote / executedQty at the instrument's price precision plus a few digits, as Binance prints it ("0.00" before a fill). */
export function averagePrice(cumQuote: ScaledDecimal, executedLots: number, inst: Instrument): string {
  if (executedLots === 0) return '0.00';
  const qty = parseDecimal(inst.lotsToQty(executedLots));
  const scale = inst.priceDecimals + 3;
  // (cumQuote / qty) at `scale` decimals, rounded down.
  const num = cumQuote.units * 10n ** BigInt(scale + qty.scale);
  const den = qty.units * 10n ** BigInt(cumQuote.scale);
  return formatScaled(num / den, scale);
}
