/**
 * One order of ours inside the simulated exchange, and the ExecutionReports built from it.
 * Quantities are lots, prices ticks; `front`/`tradedSinceLevelChange` are the queue model's state.
 */
import type { Side } from '../model/events.ts';
import type { ExchangeOrderStatus, ExecutionReport, ExecutionType, Liquidity, OrderRequest, OrderType, TimeInForce, VenueOrder } from '../model/venue.ts';
import type { QueueState } from './queue.ts';
import type { StpMode } from './types.ts';

export class SimOrder implements QueueState {
  readonly symbol: string;
  readonly clientOrderId: string;
  readonly orderId: number;
  readonly side: Side;
  readonly isBuy: boolean;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly reduceOnly: boolean;
  /** Hedge mode: the position side the order opens or closes (undefined: one-way mode). */
  readonly positionSide: 'LONG' | 'SHORT' | undefined;
  /**
   * Whether the order may only reduce a position: reduce-only, or in hedge mode a SELL LONG or a
   * BUY SHORT (capped at that side's position and expired once it is gone, as Binance does).
   */
  readonly closing: boolean;
  priceTicks: number;
  origQtyLots: number;
  filledLots = 0;
  /** Σ fill price × fill lots, for the average fill price of a query answer. */
  fillTickLots = 0;
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
  /** When the order (or its last modify) reached the exchange, µs: prints that matched earlier are not its. */
  arrivalUs: number;
  /**
   * The queue ahead is unknown: placed behind the best with top-of-book data only. Until its level
   * is first seen it fills only from prints through its price; then it joins behind that level.
   */
  queueUnknown = false;
  /** Self-trade prevention when this order takes against one of ours. */
  readonly stpMode: StpMode;

  constructor(req: OrderRequest, orderId: number, arrivalUs = 0, stpMode: StpMode = 'EXPIRE_MAKER') {
    this.arrivalUs = arrivalUs;
    this.stpMode = stpMode;
    this.symbol = req.symbol;
    this.clientOrderId = req.clientOrderId;
    this.orderId = orderId;
    this.side = req.side;
    this.isBuy = req.side === 'buy';
    this.type = req.type;
    this.timeInForce = req.type === 'MARKET' ? 'IOC' : req.timeInForce;
    this.reduceOnly = req.reduceOnly;
    this.positionSide = req.positionSide;
    this.closing = req.reduceOnly || (req.positionSide === 'LONG' && req.side === 'sell') || (req.positionSide === 'SHORT' && req.side === 'buy');
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
    return this.build(execType, tsUs, 0, 0, -1, null, '0');
  }

  tradeReport(lots: number, priceTicks: number, tradeId: number, liquidity: Liquidity, commission: string, tsUs: number): ExecutionReport {
    this.fillTickLots += lots * priceTicks;
    return this.build('TRADE', tsUs, lots, priceTicks, tradeId, liquidity, commission);
  }

  /** The order as a query or an open-orders listing shows it. */
  view(): VenueOrder {
    // The average fill price is reported only when it is a whole number of ticks (all fills at one
    // price, or prices that average out): a fractional tick is not a price the ledger can book.
    const avg = this.filledLots > 0 ? this.fillTickLots / this.filledLots : NaN;
    return {
      symbol: this.symbol,
      clientOrderId: this.clientOrderId,
      orderId: this.orderId,
      side: this.side,
      type: this.type,
      timeInForce: this.timeInForce,
      reduceOnly: this.reduceOnly,
      status: this.status,
      priceTicks: this.priceTicks,
      origQtyLots: this.origQtyLots,
      cumFilledLots: this.filledLots,
      avgFillPriceTicks: Number.isSafeInteger(avg) ? avg : undefined,
    };
  }

  private build(execType: ExecutionType, tsUs: number, lastFillLots: number, lastFillPriceTicks: number, tradeId: number, liquidity: Liquidity | null, commission: string): ExecutionReport {
    const r = this.plainBuild(execType, tsUs, lastFillLots, lastFillPriceTicks, tradeId, liquidity, commission);
    // Hedge mode only: a one-way report keeps its shape (and the backtest its bytes).
    return this.positionSide === undefined ? r : { ...r, positionSide: this.positionSide };
  }

  private plainBuild(execType: ExecutionType, tsUs: number, lastFillLots: number, lastFillPriceTicks: number, tradeId: number, liquidity: Liquidity | null, commission: string): ExecutionReport {
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
      lastFillLots,
      lastFillPriceTicks,
      tradeId,
      liquidity,
      commission,
      errorCode: 0,
      errorMessage: '',
      reduceOnly: this.reduceOnly,
      tsExchangeUs: tsUs,
    };
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
