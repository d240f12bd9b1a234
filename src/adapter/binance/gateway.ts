/**
 * The live gateway: the `Venue` of Binance USDⓈ-M over REST (order entry and queries). A command
 * becomes one request; its reply becomes venue events, queued until the driver drains them.
 *
 * Outcomes (docs/EXCHANGE_ADAPTER_SPEC.md "Our adapter"):
 * - accepted: the reply is the order. A submit's reply is taken as its acknowledgement only
 *   (`NEW`/`NEW`, nothing filled): fills, cancels and expiries come from the user-data stream with
 *   their trade ids, prices and commissions (or from queries and account snapshots after a gap),
 *   so a fill is never booked twice nor without its commission. A cancel's reply is `CANCELED`, a
 *   modify's `AMENDMENT`, each with the reply's cumulative filled quantity.
 * - rejected (a definitive Binance code): `REJECTED` / `CANCEL_REJECTED` / `MODIFY_REJECTED` with
 *   the code and message. A request the client did not send (budget spent, 429/418 wait) is
 *   refused the same way with -1003 (weight) or -1015 (orders): it certainly was not applied.
 * - unknown (timeout, dropped connection, 503 "Unknown error", -1000/-1001/-1006/-1007):
 *   `requestUnknown`; the OMS settles it by `query`, and the gateway never re-sends it.
 * - query: `queryAnswer` (`found: false` on -2013); a query without an answer (unknown,
 *   throttled) produces nothing: the OMS asks again at its query interval.
 *
 * The client order id sent is the OMS's (`newClientOrderId`, `origClientOrderId`).
 */
import type { Side } from '../../model/events.ts';
import type { Instrument } from '../../model/instrument.ts';
import type { ExchangeOrderStatus, ExecutionReport, ExecutionType, OrderQueryResult, OrderRequest, Venue, VenueCommand, VenueEvent } from '../../model/venue.ts';
import type { BinanceRest, RestOutcome } from './rest.ts';

export interface GatewayOptions {
  readonly rest: BinanceRest;
  readonly instruments: ReadonlyMap<string, Instrument>;
  /** Called after events were queued (the driver drains them). */
  readonly onEvents?: () => void;
}

/** Binance's REST order object, the fields read here. */
interface RestOrder {
  orderId: number;
  symbol: string;
  status: ExchangeOrderStatus;
  clientOrderId: string;
  price: string;
  avgPrice?: string;
  origQty: string;
  executedQty: string;
  side: 'BUY' | 'SELL';
  reduceOnly?: boolean;
  updateTime?: number;
}

export class BinanceGateway implements Venue {
  private readonly o: GatewayOptions;
  private queue: VenueEvent[] = [];
  private readonly pending = new Set<Promise<void>>();
  /** Commands sent, by kind. */
  readonly sent = { submit: 0, cancel: 0, modify: 0, query: 0 };

  constructor(o: GatewayOptions) {
    this.o = o;
  }

  send(cmd: VenueCommand, tsUs: number): void {
    this.sent[cmd.kind]++;
    const p = this.run(cmd, tsUs).catch((e: unknown) => {
      // A bug in the mapping (never a network error: those are outcomes): the outcome is unknown.
      if (cmd.kind !== 'query') this.enqueue({ kind: 'requestUnknown', symbol: symbolOf(cmd), clientOrderId: clientIdOf(cmd), request: cmd.kind, cause: `internal: ${(e as Error).message}` });
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  drainEvents(): VenueEvent[] {
    const out = this.queue;
    this.queue = [];
    return out;
  }

  /**
   * Shuts down order entry: requests in flight are aborted (their outcome is unknown: each gives a
   * `requestUnknown`) and later commands are refused locally. Resolves once every outcome is queued.
   */
  async close(): Promise<void> {
    this.o.rest.close();
    await this.idle();
  }

  /** Resolves when every request sent so far has its outcome queued. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Queues an event for the driver (the user stream delivers through here too). */
  enqueue(e: VenueEvent): void {
    this.queue.push(e);
    this.o.onEvents?.();
  }

  private inst(symbol: string): Instrument {
    const i = this.o.instruments.get(symbol);
    if (i === undefined) throw new Error(`no instrument for ${symbol}`);
    return i;
  }

  private async run(cmd: VenueCommand, tsUs: number): Promise<void> {
    switch (cmd.kind) {
      case 'submit':
        return this.submit(cmd.order, tsUs);
      case 'cancel':
        return this.cancel(cmd, tsUs);
      case 'modify':
        return this.modify(cmd, tsUs);
      case 'query':
        return this.query(cmd);
    }
  }

  private async submit(req: OrderRequest, tsUs: number): Promise<void> {
    const inst = this.inst(req.symbol);
    const params: Record<string, string> = {
      symbol: req.symbol,
      side: req.side === 'buy' ? 'BUY' : 'SELL',
      type: req.type,
      quantity: inst.lotsToQty(req.qtyLots),
      newClientOrderId: req.clientOrderId,
      newOrderRespType: 'ACK',
    };
    if (req.type === 'LIMIT') {
      params.timeInForce = req.timeInForce;
      params.price = inst.ticksToPrice(req.priceTicks);
    }
    if (req.reduceOnly) params.reduceOnly = 'true';
    if (req.selfTradePrevention !== undefined) params.selfTradePreventionMode = req.selfTradePrevention;
    const r = await this.o.rest.request({ method: 'POST', path: '/fapi/v1/order', params, signed: true, weight: 0, order: true });
    const base = { symbol: req.symbol, clientOrderId: req.clientOrderId, side: req.side, priceTicks: req.type === 'MARKET' ? 0 : req.priceTicks, qtyLots: req.qtyLots, reduceOnly: req.reduceOnly };
    this.settle('submit', r, base, tsUs, (o) => {
      // The acknowledgement only: fills come from the stream (see the header).
      const ts = (o.updateTime ?? Math.floor(tsUs / 1000)) * 1000;
      return report({ ...base, orderId: o.orderId, execType: 'NEW', status: 'NEW', cumFilledLots: 0, tsExchangeUs: ts });
    });
  }

  private async cancel(cmd: Extract<VenueCommand, { kind: 'cancel' }>, tsUs: number): Promise<void> {
    const r = await this.o.rest.request({ method: 'DELETE', path: '/fapi/v1/order', params: { symbol: cmd.symbol, origClientOrderId: cmd.clientOrderId }, signed: true, weight: 1 });
    const base = { symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, side: 'buy' as Side, priceTicks: 0, qtyLots: 0, reduceOnly: false };
    this.settle('cancel', r, base, tsUs, (o) => this.fromOrder(o, 'CANCELED', tsUs));
  }

  private async modify(cmd: Extract<VenueCommand, { kind: 'modify' }>, tsUs: number): Promise<void> {
    const inst = this.inst(cmd.symbol);
    const params = { symbol: cmd.symbol, origClientOrderId: cmd.clientOrderId, side: cmd.side === 'buy' ? 'BUY' : 'SELL', quantity: inst.lotsToQty(cmd.qtyLots), price: inst.ticksToPrice(cmd.priceTicks) };
    const r = await this.o.rest.request({ method: 'PUT', path: '/fapi/v1/order', params, signed: true, weight: 1, order: true });
    const base = { symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, side: cmd.side, priceTicks: cmd.priceTicks, qtyLots: cmd.qtyLots, reduceOnly: false };
    // A modify Binance turned into a cancel (GTX would cross, qty ≤ executed) replies CANCELED.
    this.settle('modify', r, base, tsUs, (o) => this.fromOrder(o, o.status === 'CANCELED' || o.status === 'EXPIRED' ? (o.status as ExecutionType) : 'AMENDMENT', tsUs));
  }

  private async query(cmd: Extract<VenueCommand, { kind: 'query' }>): Promise<void> {
    const r = await this.o.rest.request({ method: 'GET', path: '/fapi/v1/order', params: { symbol: cmd.symbol, origClientOrderId: cmd.clientOrderId }, signed: true, weight: 1 });
    let result: OrderQueryResult;
    if (r.kind === 'ok') {
      const o = r.body as RestOrder;
      const inst = this.inst(cmd.symbol);
      const avg = exactTicks(inst, o.avgPrice);
      result = {
        clientOrderId: cmd.clientOrderId,
        found: true,
        orderId: o.orderId,
        status: o.status,
        priceTicks: inst.priceToTicks(o.price),
        origQtyLots: inst.qtyToLots(o.origQty),
        cumFilledLots: inst.qtyToLots(o.executedQty),
        ...(avg !== undefined && avg > 0 ? { avgFillPriceTicks: avg } : {}),
      };
    } else if (r.kind === 'rejected' && r.code === -2013) result = { clientOrderId: cmd.clientOrderId, found: false };
    else return; // no answer: the OMS asks again
    this.enqueue({ kind: 'queryAnswer', symbol: cmd.symbol, result });
  }

  /** Maps an outcome to events: `accepted` builds the report from the reply. */
  private settle(request: 'submit' | 'cancel' | 'modify', r: RestOutcome, base: ReportBase, tsUs: number, accepted: (o: RestOrder) => ExecutionReport): void {
    const execType = request === 'submit' ? 'REJECTED' : request === 'cancel' ? 'CANCEL_REJECTED' : 'MODIFY_REJECTED';
    switch (r.kind) {
      case 'ok':
        this.enqueue({ kind: 'report', report: accepted(r.body as RestOrder) });
        return;
      case 'rejected':
        this.enqueue({ kind: 'report', report: report({ ...base, orderId: -1, execType, status: request === 'submit' ? 'REJECTED' : 'NEW', cumFilledLots: 0, errorCode: r.code, errorMessage: r.msg, tsExchangeUs: tsUs }) });
        return;
      case 'throttled':
        this.enqueue({ kind: 'report', report: report({ ...base, orderId: -1, execType, status: request === 'submit' ? 'REJECTED' : 'NEW', cumFilledLots: 0, errorCode: r.code, errorMessage: `not sent: ${r.cause}`, tsExchangeUs: tsUs }) });
        return;
      case 'unknown':
        this.enqueue({ kind: 'requestUnknown', symbol: base.symbol, clientOrderId: base.clientOrderId, request, cause: r.cause });
        return;
    }
  }

  /** A report from a REST order object (cancel and modify replies). */
  private fromOrder(o: RestOrder, execType: ExecutionType, tsUs: number): ExecutionReport {
    const inst = this.inst(o.symbol);
    return report({
      symbol: o.symbol,
      clientOrderId: o.clientOrderId,
      side: o.side === 'BUY' ? 'buy' : 'sell',
      priceTicks: inst.priceToTicks(o.price),
      qtyLots: inst.qtyToLots(o.origQty),
      reduceOnly: o.reduceOnly === true,
      orderId: o.orderId,
      execType,
      status: o.status,
      cumFilledLots: inst.qtyToLots(o.executedQty),
      tsExchangeUs: (o.updateTime ?? Math.floor(tsUs / 1000)) * 1000,
    });
  }
}

interface ReportBase {
  symbol: string;
  clientOrderId: string;
  side: Side;
  priceTicks: number;
  qtyLots: number;
  reduceOnly: boolean;
}

function report(f: ReportBase & { orderId: number; execType: ExecutionType; status: ExchangeOrderStatus; cumFilledLots: number; tsExchangeUs: number; errorCode?: number; errorMessage?: string }): ExecutionReport {
  return {
    symbol: f.symbol,
    clientOrderId: f.clientOrderId,
    orderId: f.orderId,
    execType: f.execType,
    status: f.status,
    side: f.side,
    priceTicks: f.priceTicks,
    origQtyLots: f.qtyLots,
    cumFilledLots: f.cumFilledLots,
    lastFillLots: 0,
    lastFillPriceTicks: 0,
    tradeId: -1,
    liquidity: null,
    commission: '0',
    errorCode: f.errorCode ?? 0,
    errorMessage: f.errorMessage ?? '',
    reduceOnly: f.reduceOnly,
    tsExchangeUs: f.tsExchangeUs,
  };
}

/** A price in ticks when it is exactly on the grid (an average fill price may not be). */
function exactTicks(inst: Instrument, price: string | undefined): number | undefined {
  if (price === undefined) return undefined;
  try {
    return inst.priceToTicks(price);
  } catch {
    return undefined;
  }
}

function symbolOf(cmd: VenueCommand): string {
  return cmd.kind === 'submit' ? cmd.order.symbol : cmd.symbol;
}

function clientIdOf(cmd: VenueCommand): string {
  return cmd.kind === 'submit' ? cmd.order.clientOrderId : cmd.clientOrderId;
}
