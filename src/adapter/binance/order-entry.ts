/**
 * Order entry shared by the live gateways (REST, gateway.ts; ws-fapi, ws-gateway.ts): what a
 * `VenueCommand` sends (the parameters are the same on both transports: ws-fapi `order.*` take
 * REST's), and what its outcome becomes (`outcomeEvent`). The transports differ only in how a
 * request travels; a gateway is an `OrderGateway` with its `call`.
 *
 * Outcomes (docs/EXCHANGE_ADAPTER_SPEC.md "Our adapter"):
 * - accepted: the reply is the order. A submit's reply is taken as its acknowledgement only
 *   (`NEW`/`NEW`, nothing filled): fills, cancels and expiries come from the user-data stream with
 *   their trade ids, prices and commissions (or from queries and account snapshots after a gap),
 *   so a fill is never booked twice nor without its commission. A cancel's reply is `CANCELED`, a
 *   modify's `AMENDMENT` (or `CANCELED`/`EXPIRED` when Binance cancelled on modify), each with the
 *   reply's cumulative filled quantity.
 * - rejected (a definitive Binance code): `REJECTED` / `CANCEL_REJECTED` / `MODIFY_REJECTED` with
 *   the code and message. A request the client did not send (budget spent, 429/418 wait, client
 *   closed or not connected, order entry stopped for the shutdown: `stopSending`) is refused the same
 *   way, "not sent: …": it certainly was not applied.
 * - unknown (timeout, dropped connection, 503 "Unknown error", -1000/-1001/-1006/-1007):
 *   `requestUnknown`; the OMS settles it by `query`, and the gateway never re-sends it.
 * - query: `queryAnswer` (`found: false` on -2013); a query without an answer (unknown,
 *   throttled, another refusal) produces nothing: the OMS asks again at its query interval.
 *
 * The client order id sent is the OMS's (`newClientOrderId`, `origClientOrderId`). Units: ticks
 * and lots of the symbol's instrument; Binance's ms become µs.
 */
import type { Side } from '../../model/events.ts';
import type { Instrument } from '../../model/instrument.ts';
import type { ExchangeOrderStatus, ExecutionReport, ExecutionType, OrderQueryResult, Venue, VenueCommand, VenueEvent } from '../../model/venue.ts';
import { notSent, type RestOutcome } from './rest.ts';

/** The outcome of one request, whatever the transport (REST's classification, docs above). */
export type OrderOutcome = RestOutcome;

/** Binance's order object (REST reply and ws-fapi `result`), the fields read here. */
interface BinanceOrder {
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

/** The request parameters of a command (signing fields are the transport's). */
export function orderParams(cmd: VenueCommand, inst: (symbol: string) => Instrument): Record<string, string> {
  switch (cmd.kind) {
    case 'submit': {
      const req = cmd.order;
      const i = inst(req.symbol);
      const params: Record<string, string> = {
        symbol: req.symbol,
        side: req.side === 'buy' ? 'BUY' : 'SELL',
        type: req.type,
        quantity: i.lotsToQty(req.qtyLots),
        newClientOrderId: req.clientOrderId,
        newOrderRespType: 'ACK',
      };
      if (req.type === 'LIMIT') {
        params.timeInForce = req.timeInForce;
        params.price = i.ticksToPrice(req.priceTicks);
      }
      if (req.reduceOnly) params.reduceOnly = 'true';
      if (req.selfTradePrevention !== undefined) params.selfTradePreventionMode = req.selfTradePrevention;
      return params;
    }
    case 'modify': {
      const i = inst(cmd.symbol);
      return { symbol: cmd.symbol, origClientOrderId: cmd.clientOrderId, side: cmd.side === 'buy' ? 'BUY' : 'SELL', quantity: i.lotsToQty(cmd.qtyLots), price: i.ticksToPrice(cmd.priceTicks) };
    }
    case 'cancel':
    case 'query':
      return { symbol: cmd.symbol, origClientOrderId: cmd.clientOrderId };
  }
}

/** The event a command's outcome gives (undefined: none, a query without an answer). */
export function outcomeEvent(cmd: VenueCommand, r: OrderOutcome, inst: (symbol: string) => Instrument, tsUs: number): VenueEvent | undefined {
  switch (cmd.kind) {
    case 'submit': {
      const req = cmd.order;
      const base = { symbol: req.symbol, clientOrderId: req.clientOrderId, side: req.side, priceTicks: req.type === 'MARKET' ? 0 : req.priceTicks, qtyLots: req.qtyLots, reduceOnly: req.reduceOnly };
      return settle('submit', r, base, tsUs, (o) => {
        // The acknowledgement only: fills come from the stream (see the header).
        const ts = (o.updateTime ?? Math.floor(tsUs / 1000)) * 1000;
        return report({ ...base, orderId: o.orderId, execType: 'NEW', status: 'NEW', cumFilledLots: 0, tsExchangeUs: ts });
      });
    }
    case 'cancel': {
      const base = { symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, side: 'buy' as Side, priceTicks: 0, qtyLots: 0, reduceOnly: false };
      return settle('cancel', r, base, tsUs, (o) => fromOrder(inst, o, 'CANCELED', tsUs));
    }
    case 'modify': {
      const base = { symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, side: cmd.side, priceTicks: cmd.priceTicks, qtyLots: cmd.qtyLots, reduceOnly: false };
      // A modify Binance turned into a cancel (GTX would cross, qty ≤ executed) replies CANCELED.
      return settle('modify', r, base, tsUs, (o) => fromOrder(inst, o, o.status === 'CANCELED' || o.status === 'EXPIRED' ? (o.status as ExecutionType) : 'AMENDMENT', tsUs));
    }
    case 'query': {
      let result: OrderQueryResult;
      if (r.kind === 'ok') {
        const o = r.body as BinanceOrder;
        const i = inst(cmd.symbol);
        const avg = exactTicks(i, o.avgPrice);
        result = {
          clientOrderId: cmd.clientOrderId,
          found: true,
          orderId: o.orderId,
          status: o.status,
          priceTicks: i.priceToTicks(o.price),
          origQtyLots: i.qtyToLots(o.origQty),
          cumFilledLots: i.qtyToLots(o.executedQty),
          ...(avg !== undefined && avg > 0 ? { avgFillPriceTicks: avg } : {}),
        };
      } else if (r.kind === 'rejected' && r.code === -2013) result = { clientOrderId: cmd.clientOrderId, found: false };
      else return undefined; // no answer: the OMS asks again
      return { kind: 'queryAnswer', symbol: cmd.symbol, result };
    }
  }
}

/**
 * A `Venue` over one transport: a command becomes one request (`call`); its outcome becomes venue
 * events, queued until the driver drains them. `call` never throws for a network failure (that is
 * an outcome); an exception is a bug in the mapping and makes the outcome unknown.
 */
export abstract class OrderGateway implements Venue {
  /** Commands sent, by kind. */
  readonly sent = { submit: 0, cancel: 0, modify: 0, query: 0 };
  private queue: VenueEvent[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly instruments: ReadonlyMap<string, Instrument>;
  private readonly onEvents: (() => void) | undefined;
  private stoppedBecause: string | null = null;
  private readonly stopped = (): string | null => (this.stoppedBecause === null ? null : `order entry stopped (${this.stoppedBecause})`);

  protected constructor(instruments: ReadonlyMap<string, Instrument>, onEvents?: () => void) {
    this.instruments = instruments;
    this.onEvents = onEvents;
  }

  /** Sends one request of `cmd` with these parameters; resolves with its outcome. */
  protected abstract call(cmd: VenueCommand, params: Record<string, string>, stopped: () => string | null): Promise<OrderOutcome>;

  /**
   * Order entry stops (the session's shutdown begins): no command of this gateway is written to the
   * venue any more, neither a new one nor a request in flight that the transport would write again
   * (the re-send after -1021). Each is refused with "not sent: order entry stopped (reason)" (code
   * 0: certainly not applied), so the OMS learns its outcome; requests already written keep theirs.
   * Idempotent (the first reason stays). The shutdown's own cancels go to the venue around it.
   */
  stopSending(reason: string): void {
    this.stoppedBecause ??= reason;
  }

  /** Whether `stopSending` was called. */
  get sendingStopped(): boolean {
    return this.stoppedBecause !== null;
  }

  send(cmd: VenueCommand, tsUs: number): void {
    this.sent[cmd.kind]++;
    const p = this.run(cmd, tsUs).catch((e: unknown) => {
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

  /** Resolves when every request sent so far has its outcome queued. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Queues an event for the driver (the user stream delivers through here too). */
  enqueue(e: VenueEvent): void {
    this.queue.push(e);
    this.onEvents?.();
  }

  private readonly inst = (symbol: string): Instrument => {
    const i = this.instruments.get(symbol);
    if (i === undefined) throw new Error(`no instrument for ${symbol}`);
    return i;
  };

  private async run(cmd: VenueCommand, tsUs: number): Promise<void> {
    const params = orderParams(cmd, this.inst);
    const r = notSent({ stopped: this.stopped }) ?? (await this.call(cmd, params, this.stopped));
    const e = outcomeEvent(cmd, r, this.inst, tsUs);
    if (e !== undefined) this.enqueue(e);
  }
}

/** Maps a submit's, cancel's or modify's outcome to its event: `accepted` builds the report from the reply. */
function settle(request: 'submit' | 'cancel' | 'modify', r: OrderOutcome, base: ReportBase, tsUs: number, accepted: (o: BinanceOrder) => ExecutionReport): VenueEvent {
  const execType = request === 'submit' ? 'REJECTED' : request === 'cancel' ? 'CANCEL_REJECTED' : 'MODIFY_REJECTED';
  const status = request === 'submit' ? 'REJECTED' : 'NEW';
  switch (r.kind) {
    case 'ok':
      return { kind: 'report', report: accepted(r.body as BinanceOrder) };
    case 'rejected':
      return { kind: 'report', report: report({ ...base, orderId: -1, execType, status, cumFilledLots: 0, errorCode: r.code, errorMessage: r.msg, tsExchangeUs: tsUs }) };
    case 'throttled':
      return { kind: 'report', report: report({ ...base, orderId: -1, execType, status, cumFilledLots: 0, errorCode: r.code, errorMessage: `not sent: ${r.cause}`, tsExchangeUs: tsUs }) };
    case 'unknown':
      return { kind: 'requestUnknown', symbol: base.symbol, clientOrderId: base.clientOrderId, request, cause: r.cause };
  }
}

/** A report from a Binance order object (cancel and modify replies). */
function fromOrder(inst: (symbol: string) => Instrument, o: BinanceOrder, execType: ExecutionType, tsUs: number): ExecutionReport {
  const i = inst(o.symbol);
  return report({
    symbol: o.symbol,
    clientOrderId: o.clientOrderId,
    side: o.side === 'BUY' ? 'buy' : 'sell',
    priceTicks: i.priceToTicks(o.price),
    qtyLots: i.qtyToLots(o.origQty),
    reduceOnly: o.reduceOnly === true,
    orderId: o.orderId,
    execType,
    status: o.status,
    cumFilledLots: i.qtyToLots(o.executedQty),
    tsExchangeUs: (o.updateTime ?? Math.floor(tsUs / 1000)) * 1000,
  });
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

export function symbolOf(cmd: VenueCommand): string {
  return cmd.kind === 'submit' ? cmd.order.symbol : cmd.symbol;
}

export function clientIdOf(cmd: VenueCommand): string {
  return cmd.kind === 'submit' ? cmd.order.clientOrderId : cmd.clientOrderId;
}
