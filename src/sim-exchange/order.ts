/**
 * One order of ours inside the simulated exchange, and the ExecutionReports built from it.
 * Quantities are lots, prices ticks; `front`/`tradedSinceLevelChange` are the queue model's state.
 */
import type { Side } from '../model/events.ts';
import type { ExchangeOrderStatus, ExecutionReport, ExecutionType, Liquidity, OrderRequest, OrderType, TimeInForce } from '../model/trading.ts';
import type { QueueState } from './queue.ts';

export class SimOrder implements QueueState {
  readonly symbol: string;
  readonly clientOrderId: string;
  readonly orderId: number;
  readonly side: Side;
  readonly isBuy: boolean;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly reduceOnly: boolean;
  priceTicks: number;
  origQtyLots: number;
  filledLots = 0;
  status: ExchangeOrderStatus = 'NEW';
  /** Queue model state. */
  front = 0;
  tradedSinceLevelChange = 0;
  /** Market quantity at our price when last observed (the "previous" of the next level change). */
  levelLots = 0;
  /**
   * Whether a crossing book move may fill this order. False while the order rests against a book
   * that already crosses it (after it took the crossing levels as a taker: the replayed book is not
   * depleted by our trades, so the same levels must not fill it a second time); it becomes true the
   * first time the book is seen not crossing it.
   */
  crossingArmed = true;

  constructor(req: OrderRequest, orderId: number) {
    this.symbol = req.symbol;
    this.clientOrderId = req.clientOrderId;
    this.orderId = orderId;
    this.side = req.side;
    this.isBuy = req.side === 'buy';
    this.type = req.type;
    this.timeInForce = req.type === 'MARKET' ? 'IOC' : req.timeInForce;
    this.reduceOnly = req.reduceOnly;
    this.priceTicks = req.type === 'MARKET' ? 0 : req.priceTicks;
    this.origQtyLots = req.qtyLots;
  }

  get remainingLots(): number {
    return this.origQtyLots - this.filledLots;
  }

  get isOpen(): boolean {
    return this.status === 'NEW' || this.status === 'PARTIALLY_FILLED';
  }

  report(execType: ExecutionType, tsUs: number): ExecutionReport {
    return {
      symbol: this.symbol,
      clientOrderId: this.clientOrderId,
      orderId: this.orderId,
      execType,
      status: this.status,
      side: this.side,
      priceTicks: this.priceTicks,
      origQtyLots: this.origQtyLots,
      cumFilledLots: this.filledLots,
      lastFillLots: 0,
      lastFillPriceTicks: 0,
      tradeId: -1,
      liquidity: null,
      commission: '0',
      errorCode: 0,
      errorMessage: '',
      reduceOnly: this.reduceOnly,
      tsExchangeUs: tsUs,
    };
  }

  tradeReport(lots: number, priceTicks: number, tradeId: number, liquidity: Liquidity, commission: string, tsUs: number): ExecutionReport {
    const r = this.report('TRADE', tsUs);
    r.lastFillLots = lots;
    r.lastFillPriceTicks = priceTicks;
    r.tradeId = tradeId;
    r.liquidity = liquidity;
    r.commission = commission;
    return r;
  }
}

/** A request-level reject (no order record, or a cancel/modify of an unknown order): orderId -1 unless known. */
export function requestReject(
  execType: 'REJECTED' | 'CANCEL_REJECTED' | 'MODIFY_REJECTED',
  fields: { symbol: string; clientOrderId: string; side: Side; priceTicks: number; qtyLots: number; reduceOnly: boolean; orderId?: number; cumFilledLots?: number; status?: ExchangeOrderStatus },
  code: number,
  message: string,
  tsUs: number,
): ExecutionReport {
  return {
    symbol: fields.symbol,
    clientOrderId: fields.clientOrderId,
    orderId: fields.orderId ?? -1,
    execType,
    status: fields.status ?? 'REJECTED',
    side: fields.side,
    priceTicks: fields.priceTicks,
    origQtyLots: fields.qtyLots,
    cumFilledLots: fields.cumFilledLots ?? 0,
    lastFillLots: 0,
    lastFillPriceTicks: 0,
    tradeId: -1,
    liquidity: null,
    commission: '0',
    errorCode: code,
    errorMessage: message,
    reduceOnly: fields.reduceOnly,
    tsExchangeUs: tsUs,
  };
}
