// A small fake of Binance order handling for OMS tests: accepts submits, cancels and modifies,
// emits acks, partial fills, cancels, rejects and amendments as ExecutionReports into an outbox the
// test delivers in any order (with duplicates). It follows the rules the OMS relies on:
// per-order increasing trade ids, cumulative filled quantity, -2011 for closed orders, cancel on
// modify when the new quantity ≤ executed, a lost request is never applied later. Refusals are
// pushed to the same outbox but stand for REST replies: the harness delivers each at most once.
import type { Side } from '../../src/model/events.ts';
import type { ExchangeOrderStatus, ExecutionReport, ExecutionType, OrderQueryResult, OrderRequest, VenueCommand } from '../../src/model/venue.ts';


export interface FakeOrder {
  clientOrderId: string;
  orderId: number;
  side: Side;
  type: OrderRequest['type'];
  reduceOnly: boolean;
  priceTicks: number;
  qtyLots: number;
  cumLots: number;
  status: ExchangeOrderStatus;
}

export type Outcome = 'ok' | 'reject';

export const SYMBOL = 'BTCUSDT';

export class FakeExchange {
  readonly orders = new Map<string, FakeOrder>();
  readonly outbox: ExecutionReport[] = [];
  positionLots = 0;
  private nextOrderId = 1;
  private nextTradeId = 1;
  /** Submits seen with a client id already open (must never happen). */
  duplicateSubmits = 0;

  constructor(private readonly now: () => number) {}

  openOrders(): FakeOrder[] {
    return [...this.orders.values()].filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED');
  }

  /** Applies a command; rejects are pushed to the outbox like REST responses. */
  handle(cmd: VenueCommand, outcome: Outcome): void {
    if (cmd.kind === 'submit') return this.submit(cmd.order, outcome);
    if (cmd.kind === 'query') throw new Error('the OMS harness answers queries with query(), not as commands');
    const o = this.orders.get(cmd.clientOrderId);
    const live = o && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED');
    if (cmd.kind === 'cancel') {
      if (!o || !live) return this.requestReject(cmd.clientOrderId, 'CANCEL_REJECTED', -2011, 'Unknown order sent.');
      if (outcome === 'reject') return this.requestReject(cmd.clientOrderId, 'CANCEL_REJECTED', -1008, 'Server is currently overloaded');
      o.status = 'CANCELED';
      return this.report(o, 'CANCELED');
    }
    // As the simulated exchange (and Binance's reply) does, a refused modify carries the REQUESTED price and quantity.
    const requested = { side: cmd.side, priceTicks: cmd.priceTicks, origQtyLots: cmd.qtyLots };
    if (!o || !live) return this.requestReject(cmd.clientOrderId, 'MODIFY_REJECTED', -2011, 'Unknown order sent.', requested);
    if (outcome === 'reject') return this.requestReject(cmd.clientOrderId, 'MODIFY_REJECTED', -5027, 'No need to modify the order.', requested);
    if (cmd.qtyLots <= o.cumLots) {
      o.status = 'CANCELED';
      return this.report(o, 'CANCELED');
    }
    o.priceTicks = cmd.priceTicks;
    o.qtyLots = cmd.qtyLots;
    this.report(o, 'AMENDMENT');
  }

  private submit(req: OrderRequest, outcome: Outcome): void {
    const existing = this.orders.get(req.clientOrderId);
    if (existing && (existing.status === 'NEW' || existing.status === 'PARTIALLY_FILLED')) {
      this.duplicateSubmits++;
      return this.requestReject(req.clientOrderId, 'REJECTED', -4116, 'ClientOrderId is duplicated.');
    }
    if (outcome === 'reject') return this.requestReject(req.clientOrderId, 'REJECTED', -5022, 'Post Only order will be rejected', { side: req.side, priceTicks: req.priceTicks, origQtyLots: req.qtyLots });
    const o: FakeOrder = {
      clientOrderId: req.clientOrderId,
      orderId: this.nextOrderId++,
      side: req.side,
      type: req.type,
      reduceOnly: req.reduceOnly,
      priceTicks: req.priceTicks,
      qtyLots: req.qtyLots,
      cumLots: 0,
      status: 'NEW',
    };
    if (req.reduceOnly) {
      const closable = req.side === 'sell' ? Math.max(0, this.positionLots) : Math.max(0, -this.positionLots);
      if (closable === 0) return this.requestReject(req.clientOrderId, 'REJECTED', -2022, 'ReduceOnly Order is rejected.');
      this.orders.set(o.clientOrderId, o);
      this.report(o, 'NEW');
      this.fill(o, Math.min(closable, o.qtyLots), 100);
      if (o.cumLots < o.qtyLots) {
        o.status = 'EXPIRED';
        this.report(o, 'EXPIRED');
      }
      return;
    }
    this.orders.set(o.clientOrderId, o);
    this.report(o, 'NEW');
  }

  /** Fills up to `lots` of an open order at its price (or `priceTicks`). */
  fill(o: FakeOrder, lots: number, priceTicks = o.priceTicks): void {
    const q = Math.min(lots, o.qtyLots - o.cumLots);
    if (q <= 0) return;
    o.cumLots += q;
    o.status = o.cumLots === o.qtyLots ? 'FILLED' : 'PARTIALLY_FILLED';
    this.positionLots += o.side === 'buy' ? q : -q;
    this.report(o, 'TRADE', q, priceTicks);
  }

  /** The exchange cancels on its own (e.g. countdownCancelAll). */
  unsolicitedCancel(o: FakeOrder): void {
    o.status = 'CANCELED';
    this.report(o, 'CANCELED');
  }

  query(clientOrderId: string): OrderQueryResult {
    const o = this.orders.get(clientOrderId);
    if (!o) return { clientOrderId, found: false };
    return { clientOrderId, found: true, orderId: o.orderId, status: o.status, priceTicks: o.priceTicks, origQtyLots: o.qtyLots, cumFilledLots: o.cumLots };
  }

  private report(o: FakeOrder, execType: ExecutionType, lastFillLots = 0, lastFillPriceTicks = 0): void {
    const trade = execType === 'TRADE';
    this.outbox.push(
      makeReport({
        clientOrderId: o.clientOrderId,
        orderId: o.orderId,
        execType,
        status: o.status,
        side: o.side,
        priceTicks: o.priceTicks,
        origQtyLots: o.qtyLots,
        cumFilledLots: o.cumLots,
        lastFillLots,
        lastFillPriceTicks,
        tradeId: trade ? this.nextTradeId++ : 0,
        liquidity: trade ? (o.type === 'MARKET' ? 'taker' : 'maker') : null,
        commission: trade ? '0.01' : '0',
        reduceOnly: o.reduceOnly,
        tsExchangeUs: this.now(),
      }),
    );
  }

  private requestReject(clientOrderId: string, execType: ExecutionType, errorCode: number, errorMessage: string, requested: Partial<ExecutionReport> = {}): void {
    const o = this.orders.get(clientOrderId);
    this.outbox.push(
      makeReport({
        clientOrderId,
        orderId: o ? o.orderId : -1,
        execType,
        status: execType === 'REJECTED' ? 'REJECTED' : (o?.status ?? 'NEW'),
        side: o?.side ?? 'buy',
        priceTicks: o?.priceTicks ?? 0,
        origQtyLots: o?.qtyLots ?? 0,
        cumFilledLots: o?.cumLots ?? 0,
        errorCode,
        errorMessage,
        tsExchangeUs: this.now(),
        ...requested,
      }),
    );
  }
}

/** An ExecutionReport with neutral defaults. */
export function makeReport(p: Partial<ExecutionReport> & { clientOrderId: string; execType: ExecutionType }): ExecutionReport {
  return {
    symbol: SYMBOL,
    orderId: 1,
    status: 'NEW',
    side: 'buy',
    priceTicks: 100,
    origQtyLots: 10,
    cumFilledLots: 0,
    lastFillLots: 0,
    lastFillPriceTicks: 0,
    tradeId: 0,
    liquidity: null,
    commission: '0',
    errorCode: 0,
    errorMessage: '',
    reduceOnly: false,
    tsExchangeUs: 0,
    ...p,
  };
}
