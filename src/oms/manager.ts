/**
 * OrderManager: tracks every order of ours through the transition table (table.ts), de-duplicates
 * exchange reports, reconciles approved intents with live orders (reconcile.ts), and settles
 * unknown outcomes by queries. Synchronous, single-threaded, no I/O, no logging: it returns
 * `VenueCommand`s for the caller to send and publishes what happened on the typed bus.
 *
 * Units: prices integer ticks, quantities integer lots, times integer µs from the injected clock.
 * Ordering: orders are kept in creation order (Map insertion order); every loop that emits
 * commands or events follows it, so a run is a pure function of its inputs.
 *
 * Fill semantics: an order's filled quantity is the highest cumulative filled quantity reported
 * (`z`), capped at the order quantity. A report raising it produces one fill of the difference, so
 * the position moves by exactly the order's final filled quantity however reports are duplicated
 * or reordered. Trades are de-duplicated by (order, tradeId); status reports by their full key.
 */
import type { Clock } from '../core/clock.ts';
import { EventBus } from '../core/bus.ts';
import { InvariantError } from '../core/errors.ts';
import { IdGenerator, isValidClientOrderId } from '../core/ids.ts';
import type { Side } from '../model/events.ts';
import type { Intent, Quote } from '../model/trading.ts';
import type { AccountSync, ExecutionReport, Liquidity, OrderQuery, OrderQueryResult, OrderType, TimeInForce, VenueCommand, VenueOrder } from '../model/venue.ts';
import { DEFAULT_OMS_CONFIG, type OmsConfig } from './config.ts';
import type { CommandBudget, CommandKind } from './budget.ts';
import type { OmsAnomaly, OmsEvents } from './events.ts';
import { eventOfFinalStatus, eventOfReport, seenBefore, viewOf, type OrderView, type TrackedOrder } from './order.ts';
import { planReconcile } from './reconcile.ts';
import { isTerminal, LOCAL_EVENTS, resolveNext, transitionRow, type ExchangeEvent, type LocalEvent, type OrderEvent } from './table.ts';

export interface DecisionContext {
  /** At most this many commands this decision. */
  maxCommands?: number;
  /** A caller's rate budget (e.g. a TokenBucket), asked once per command. */
  budget?: CommandBudget;
  /** Position to flatten, signed lots; defaults to the OMS's own position from fills. */
  positionLots?: number;
  /** Limit price of an IOC flatten order, ticks (required with flattenOrderType 'IOC', else MARKET is used). */
  flattenPriceTicks?: number;
}

export interface OrderManagerOptions {
  clock: Clock;
  bus?: EventBus<OmsEvents>;
  config?: Partial<OmsConfig>;
  /** Signed position per symbol at start, lots. */
  initialPositions?: Record<string, number>;
}

interface FillInfo {
  priceTicks: number;
  tradeId: number;
  liquidity: Liquidity | null;
  commission: string;
  tsExchangeUs: number;
  isTrade: boolean;
}

export class OrderManager {
  readonly bus: EventBus<OmsEvents>;
  readonly config: OmsConfig;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly orders = new Map<string, TrackedOrder>();
  /** Non-terminal orders per symbol, in creation order (an index over `orders` for the hot path). */
  private readonly liveBySymbol = new Map<string, TrackedOrder[]>();
  /** Terminal orders still in `orders`, in the order they ended (oldest first from `endedHead`). */
  private ended: TrackedOrder[] = [];
  private endedHead = 0;
  /** False once an order ended earlier than the previous one (clock not monotone): prune scans. */
  private endedInOrder = true;
  private readonly positions = new Map<string, number>();
  /** Orders whose outcome is unknown (the `unknown` flag), for queries without a scan of every order. */
  private readonly unknownOrders = new Set<TrackedOrder>();
  private seq = 0;

  constructor(opts: OrderManagerOptions) {
    this.clock = opts.clock;
    this.bus = opts.bus ?? new EventBus<OmsEvents>();
    this.config = { ...DEFAULT_OMS_CONFIG, ...opts.config };
    this.ids = new IdGenerator(this.config.idPrefix, this.config.runTag);
    for (const [symbol, lots] of Object.entries(opts.initialPositions ?? {})) this.positions.set(symbol, lots);
  }

  // ---- views -------------------------------------------------------------------------------

  order(clientOrderId: string): OrderView | undefined {
    const o = this.orders.get(clientOrderId);
    return o ? viewOf(o) : undefined;
  }

  /** Non-terminal orders (resting or in flight), by client id, in creation order. */
  openOrders(symbol?: string): Map<string, OrderView> {
    const out = new Map<string, OrderView>();
    if (symbol !== undefined) {
      for (const o of this.liveBySymbol.get(symbol) ?? NO_ORDERS) out.set(o.clientOrderId, viewOf(o));
      return out;
    }
    for (const o of this.orders.values()) if (!isTerminal(o.state)) out.set(o.clientOrderId, viewOf(o));
    return out;
  }

  /**
   * The non-terminal orders of `symbol` in creation order, as the OMS's own live records: no copy,
   * no allocation (for per-decision readers such as the trading core). Read at once; the array and
   * the records change with the next command or report. `openOrders` gives snapshots to keep.
   */
  liveOrders(symbol: string): readonly LiveOrder[] {
    return this.liveBySymbol.get(symbol) ?? NO_ORDERS;
  }

  /** Signed position from fills (plus the initial position), lots. */
  positionLots(symbol: string): number {
    return this.positions.get(symbol) ?? 0;
  }

  /** Replaces the tracked position (e.g. after a REST account reconcile). */
  setPosition(symbol: string, lots: number): void {
    this.positions.set(symbol, lots);
  }

  // ---- decisions ---------------------------------------------------------------------------

  /** Commands that move our live orders of `intent.symbol` towards the intent, within the budget. */
  decide(intent: Intent, ctx: DecisionContext = {}): VenueCommand[] {
    const now = this.clock.nowUs();
    this.prune(now);
    for (const q of intent.quotes) assertQuote(q);
    const live = this.liveBySymbol.get(intent.symbol) ?? NO_ORDERS;
    const plan = planReconcile(live, intent.quotes, intent.cancelAll, now, this.config);
    const cmds: VenueCommand[] = [];
    const allowance: Allowance = { left: ctx.maxCommands ?? Number.POSITIVE_INFINITY, budget: ctx.budget };

    for (const { order } of plan.cancels) if (take(allowance, 'cancel')) cmds.push(this.cancel(order, now));
    if (intent.flatten) {
      const pos = ctx.positionLots ?? this.positionLots(intent.symbol);
      // (Read before any submit below appends to `live`.)
      const flattening = live.some((o) => o.reduceOnly);
      if (pos !== 0 && !flattening && take(allowance, 'submit')) {
        const ioc = this.config.flattenOrderType === 'IOC' && ctx.flattenPriceTicks !== undefined;
        const side: Side = pos > 0 ? 'sell' : 'buy';
        cmds.push(this.submit(intent.symbol, side, ioc ? 'LIMIT' : 'MARKET', 'IOC', ioc ? (ctx.flattenPriceTicks as number) : 0, Math.abs(pos), true, now));
      }
    }
    for (const { order, quote } of plan.modifies) if (take(allowance, 'modify')) cmds.push(this.modify(order, quote, now));
    for (const { order, quote } of plan.replaces) {
      if (!take(allowance, 'cancel')) continue;
      cmds.push(this.cancel(order, now));
      if (take(allowance, 'submit')) cmds.push(this.submitQuote(intent.symbol, quote, now));
    }
    for (const quote of plan.news) if (take(allowance, 'submit')) cmds.push(this.submitQuote(intent.symbol, quote, now));
    return cmds;
  }

  /**
   * Orders whose outcome is unknown and due for a `GET /fapi/v1/order` (in creation order); marks
   * them as queried now.
   */
  queriesDue(): OrderQuery[] {
    if (this.unknownOrders.size === 0) return [];
    const now = this.clock.nowUs();
    const due: TrackedOrder[] = [];
    for (const o of this.unknownOrders) if (now - o.lastQueryUs >= this.config.queryIntervalUs) due.push(o);
    due.sort((a, b) => a.seq - b.seq);
    return due.map((o) => {
      o.lastQueryUs = now;
      return { symbol: o.symbol, clientOrderId: o.clientOrderId, orderId: o.orderId };
    });
  }

  /**
   * When `queriesDue` will next have something, µs: the clock's time when a query is due already,
   * Infinity while no outcome is unknown.
   */
  nextQueryUs(): number {
    if (this.unknownOrders.size === 0) return Number.POSITIVE_INFINITY;
    let next = Number.POSITIVE_INFINITY;
    for (const o of this.unknownOrders) {
      const at = o.lastQueryUs + this.config.queryIntervalUs;
      if (at < next) next = at;
    }
    return Math.max(next, this.clock.nowUs());
  }

  // ---- inputs from the venue -----------------------------------------------------------------

  onExecutionReport(r: ExecutionReport): void {
    const now = this.clock.nowUs();
    const o = this.orders.get(r.clientOrderId);
    if (!o) return this.anomaly(r.clientOrderId, 'unknown-client-order-id', null, null, `report ${r.execType}/${r.status} for an order this OMS does not track`);
    if (r.symbol !== o.symbol) return this.anomaly(o.clientOrderId, 'symbol-mismatch', o.state, null, `report symbol ${r.symbol} ≠ order symbol ${o.symbol}`);
    if (r.execType === 'TRADE') {
      if (o.seenTrades.has(r.tradeId)) return; // duplicate trade: already applied
      o.seenTrades.add(r.tradeId);
    } else if (seenBefore(o.seenStatus, r)) return; // duplicate status report
    if (r.orderId >= 0 && o.orderId < 0) o.orderId = r.orderId;
    let event = eventOfReport(r);
    // A query can settle a modify before its AMENDMENT arrives on the stream; if the next modify is
    // already out by then, that AMENDMENT must not be taken as the next modify's answer.
    if (event === 'amended' && o.state === 'pending-modify' && !this.showsModifyTarget(o, r.priceTicks, r.origQtyLots)) event = 'stale-amended';
    const requestReject = r.execType === 'REJECTED' || r.execType === 'CANCEL_REJECTED' || r.execType === 'MODIFY_REJECTED';
    if (!requestReject) {
      if (event === 'amended') this.applyAmendment(o, r.priceTicks, r.origQtyLots, now);
      else if (this.showsModifyTarget(o, r.priceTicks, r.origQtyLots) && (r.execType !== 'TRADE' || r.cumFilledLots > o.filledLots)) {
        // A report showing the modify target means the modify landed before its AMENDMENT report.
        // A trade counts only if it brings a fill not yet known: every trade on an earlier version of
        // the order is already covered by the report that told us of the current version, so a late
        // one of those can show the target only by coincidence (an older price/qty equal to it).
        this.applyAmendment(o, r.priceTicks, r.origQtyLots, now);
        this.transition(o, 'amended', now);
      }
      const fill: FillInfo = {
        priceTicks: r.lastFillPriceTicks > 0 ? r.lastFillPriceTicks : o.priceTicks,
        tradeId: r.execType === 'TRADE' ? r.tradeId : -1,
        liquidity: r.execType === 'TRADE' ? r.liquidity : null,
        commission: r.execType === 'TRADE' ? r.commission : '0',
        tsExchangeUs: r.tsExchangeUs,
        isTrade: r.execType === 'TRADE',
      };
      this.applyCumulative(o, r.cumFilledLots, fill, now);
    }
    this.transition(o, event, now, r.errorCode, r.errorMessage);
  }

  /** The request about this order timed out, got HTTP 503 "unknown", or -1006/-1007: outcome unknown. */
  onRequestTimeout(clientOrderId: string): void {
    const o = this.orders.get(clientOrderId);
    if (!o) return this.anomaly(clientOrderId, 'unknown-client-order-id', null, 'timeout', 'timeout for an order this OMS does not track');
    this.transition(o, 'timeout', this.clock.nowUs());
  }

  /** The answer to a query from `queriesDue`. Answers for orders already settled are ignored. */
  onQueryResult(res: OrderQueryResult): void {
    const now = this.clock.nowUs();
    const o = this.orders.get(res.clientOrderId);
    if (!o) return this.anomaly(res.clientOrderId, 'unknown-client-order-id', null, null, 'query result for an order this OMS does not track');
    if (!o.unknown) return;
    if (!res.found) {
      // A submit may still be on its way until recvWindow has passed; an acked order that vanished has ended.
      if (o.state === 'pending-new' && now - o.requestSentUs < this.config.requestGraceUs) return;
      this.transition(o, 'not-found', now, -2013, 'Order does not exist.');
      return;
    }
    this.applyVenueState(o, res, now);
  }

  /**
   * Takes a venue's account snapshot of the symbols it covers (at start-up, and after the user-data
   * stream came back), so that what the OMS tracks is what the venue has:
   * - a listed order the OMS tracks is brought to the venue's state like a query answer (fills it
   *   shows that no report brought are inferred, a pending request it shows landed is settled);
   * - a listed order the OMS does not track (left by an earlier session) is adopted as a resting
   *   order (`order.adopted`) with its filled quantity; its fills are not re-booked (the position in
   *   the snapshot holds them), and the next decision keeps or cancels it like any other order;
   * - a tracked live order that is not listed has ended, or has not reached the venue yet: its
   *   outcome becomes unknown and queries settle it (never a guess).
   * Positions are the caller's (`setPosition`): the trading core compares them once nothing is unknown.
   * Returns how many orders were adopted.
   */
  adopt(sync: AccountSync): number {
    const now = this.clock.nowUs();
    const covered = new Set(sync.symbols);
    const listed = new Set<string>();
    let adopted = 0;
    for (const v of sync.openOrders) {
      if (!covered.has(v.symbol)) continue;
      listed.add(v.clientOrderId);
      const o = this.orders.get(v.clientOrderId);
      if (o === undefined) {
        if (this.adoptOrder(v, now)) adopted++;
        continue;
      }
      if (o.symbol !== v.symbol) {
        this.anomaly(o.clientOrderId, 'symbol-mismatch', o.state, null, `account snapshot lists ${v.clientOrderId} under ${v.symbol}, tracked under ${o.symbol}`);
        continue;
      }
      if (isTerminal(o.state)) {
        // The snapshot was taken before the report that ended it: the report is newer.
        this.anomaly(o.clientOrderId, 'stale-snapshot', o.state, null, `account snapshot lists ${v.clientOrderId} as ${v.status}, already ${o.state} here`);
        continue;
      }
      this.applyVenueState(o, v, now);
    }
    for (const symbol of sync.symbols) {
      const live = this.liveBySymbol.get(symbol);
      if (live === undefined) continue;
      for (const o of [...live]) if (!listed.has(o.clientOrderId)) this.transition(o, 'missing', now);
    }
    return adopted;
  }

  /** Orders of `symbol` (all symbols when absent) whose outcome is unknown right now. */
  unknownCount(symbol?: string): number {
    if (symbol === undefined) return this.unknownOrders.size;
    let n = 0;
    for (const o of this.unknownOrders) if (o.symbol === symbol) n++;
    return n;
  }

  // ---- internals ---------------------------------------------------------------------------

  /**
   * Brings an order to what the venue says of it (a query answer or an account snapshot's listing):
   * a modify it shows landed, fills no report brought (inferred, at the average fill price when
   * known), a final status; a live one settles the request in flight when it cannot land any more.
   */
  private applyVenueState(o: TrackedOrder, v: Omit<VenueOrder, 'symbol' | 'side' | 'type' | 'timeInForce' | 'reduceOnly'>, now: number): void {
    const graceOver = now - o.requestSentUs >= this.config.requestGraceUs;
    if (v.orderId >= 0 && o.orderId < 0) o.orderId = v.orderId;
    if (this.showsModifyTarget(o, v.priceTicks, v.origQtyLots)) {
      this.applyAmendment(o, v.priceTicks, v.origQtyLots, now);
      this.transition(o, 'amended', now);
    }
    const fill: FillInfo = { priceTicks: v.avgFillPriceTicks ?? o.priceTicks, tradeId: -1, liquidity: null, commission: '0', tsExchangeUs: now, isTrade: false };
    this.applyCumulative(o, v.cumFilledLots, fill, now);
    const final = eventOfFinalStatus(v.status);
    if (final) {
      this.transition(o, final, now);
      return;
    }
    // The order is live on the venue.
    if (o.state === 'pending-new') this.transition(o, 'ack', now);
    else if (o.state === 'pending-cancel' && graceOver) this.transition(o, 'cancel-reject', now);
    else if (o.state === 'pending-modify' && graceOver) this.transition(o, 'modify-reject', now);
    else if (o.state === 'open' || o.state === 'partially-filled') {
      // Nothing of ours is in flight: the venue's price and quantity are the order's.
      if (v.priceTicks !== o.priceTicks || v.origQtyLots !== o.qtyLots) {
        this.anomaly(o.clientOrderId, 'venue-differs', o.state, null, `venue shows ${v.origQtyLots} lots @ ${v.priceTicks} ticks, tracked ${o.qtyLots} @ ${o.priceTicks}; taking the venue's`);
        o.priceTicks = v.priceTicks;
        o.qtyLots = Math.max(v.origQtyLots, o.filledLots);
        this.bus.emit('order.amended', { order: viewOf(o), tsUs: now });
      }
      this.setUnknown(o, false);
    }
    // Otherwise the request may still land: stay as we are (unknown: query again later).
  }

  /** An open order the venue lists and the OMS does not track: tracked from now on, resting. */
  private adoptOrder(v: VenueOrder, now: number): boolean {
    if (v.status !== 'NEW' && v.status !== 'PARTIALLY_FILLED') return false;
    const o: TrackedOrder = {
      symbol: v.symbol,
      clientOrderId: v.clientOrderId,
      seq: this.seq++,
      side: v.side,
      type: v.type,
      timeInForce: v.timeInForce,
      reduceOnly: v.reduceOnly,
      orderId: v.orderId,
      state: v.cumFilledLots > 0 ? 'partially-filled' : 'open',
      priceTicks: v.priceTicks,
      qtyLots: v.origQtyLots,
      filledLots: Math.min(v.cumFilledLots, v.origQtyLots),
      unknown: false,
      requestSentUs: now,
      placedUs: now,
      createdUs: now,
      lastQueryUs: Number.NEGATIVE_INFINITY,
      modifyTarget: null,
      seenTrades: new Set(),
      seenStatus: new Map(),
      endedUs: 0,
    };
    this.orders.set(o.clientOrderId, o);
    const live = this.liveBySymbol.get(o.symbol);
    if (live === undefined) this.liveBySymbol.set(o.symbol, [o]);
    else live.push(o);
    this.bus.emit('order.adopted', { order: viewOf(o), tsUs: now });
    return true;
  }

  private setUnknown(o: TrackedOrder, unknown: boolean): void {
    if (o.unknown === unknown) return;
    o.unknown = unknown;
    if (unknown) this.unknownOrders.add(o);
    else this.unknownOrders.delete(o);
  }

  private submitQuote(symbol: string, q: Quote, now: number): VenueCommand {
    return this.submit(symbol, q.side, 'LIMIT', this.config.quoteTimeInForce, q.priceTicks, q.qtyLots, false, now);
  }

  private submit(symbol: string, side: Side, type: OrderType, tif: TimeInForce, priceTicks: number, qtyLots: number, reduceOnly: boolean, now: number): VenueCommand {
    // An adopted order (an earlier session's) may hold an id this generator gives out: skip it.
    let clientOrderId = this.ids.next();
    while (this.orders.has(clientOrderId)) clientOrderId = this.ids.next();
    if (!isValidClientOrderId(clientOrderId)) throw new InvariantError(`client order id ${clientOrderId} is invalid`);
    const o: TrackedOrder = {
      symbol,
      clientOrderId,
      seq: this.seq++,
      side,
      type,
      timeInForce: tif,
      reduceOnly,
      orderId: -1,
      state: 'new',
      priceTicks,
      qtyLots,
      filledLots: 0,
      unknown: false,
      requestSentUs: now,
      placedUs: now,
      createdUs: now,
      lastQueryUs: Number.NEGATIVE_INFINITY,
      modifyTarget: null,
      seenTrades: new Set(),
      seenStatus: new Map(),
      endedUs: 0,
    };
    this.orders.set(clientOrderId, o);
    const live = this.liveBySymbol.get(symbol);
    if (live === undefined) this.liveBySymbol.set(symbol, [o]);
    else live.push(o);
    if (this.bus.hasListeners('order.created')) this.bus.emit('order.created', { order: viewOf(o), tsUs: now });
    this.transition(o, 'submit', now);
    return { kind: 'submit', order: { symbol, clientOrderId, side, type, timeInForce: tif, priceTicks, qtyLots, reduceOnly } };
  }

  private cancel(o: TrackedOrder, now: number): VenueCommand {
    this.transition(o, 'cancel-request', now);
    o.requestSentUs = now;
    return { kind: 'cancel', symbol: o.symbol, clientOrderId: o.clientOrderId };
  }

  /** Binance's modify quantity is the order's total: what has filled plus the quote's remaining. */
  private modify(o: TrackedOrder, q: Quote, now: number): VenueCommand {
    this.transition(o, 'modify-request', now);
    const qtyLots = o.filledLots + q.qtyLots;
    o.modifyTarget = { priceTicks: q.priceTicks, qtyLots };
    o.requestSentUs = now;
    o.placedUs = now;
    return { kind: 'modify', symbol: o.symbol, clientOrderId: o.clientOrderId, side: o.side, priceTicks: q.priceTicks, qtyLots };
  }

  private showsModifyTarget(o: TrackedOrder, priceTicks: number, qtyLots: number): boolean {
    const t = o.modifyTarget;
    return o.state === 'pending-modify' && t !== null && t.priceTicks === priceTicks && t.qtyLots === qtyLots;
  }

  private applyAmendment(o: TrackedOrder, priceTicks: number, qtyLots: number, now: number): void {
    if (o.state !== 'pending-modify') return; // stale amendment: the table keeps the state
    o.priceTicks = priceTicks;
    o.qtyLots = Math.max(qtyLots, o.filledLots);
    this.bus.emit('order.amended', { order: viewOf(o), tsUs: now });
  }

  /** Raises the filled quantity to `cum` (capped at the order qty) and publishes the fill of the difference. */
  private applyCumulative(o: TrackedOrder, cum: number, f: FillInfo, now: number): void {
    let target = cum;
    if (target > o.qtyLots) {
      this.anomaly(o.clientOrderId, 'overfill', o.state, null, `cumulative filled ${cum} exceeds order quantity ${o.qtyLots}; capped`);
      target = o.qtyLots;
    }
    const delta = Math.max(0, target - o.filledLots);
    if (delta === 0 && !(f.isTrade && f.commission !== '0')) return;
    o.filledLots += delta;
    const signed = o.side === 'buy' ? delta : -delta;
    this.positions.set(o.symbol, this.positionLots(o.symbol) + signed);
    this.bus.emit('order.filled', {
      symbol: o.symbol,
      clientOrderId: o.clientOrderId,
      orderId: o.orderId,
      side: o.side,
      fillLots: delta,
      signedLots: signed,
      priceTicks: f.priceTicks,
      tradeId: f.tradeId,
      liquidity: f.liquidity,
      commission: f.commission,
      inferred: !f.isTrade,
      orderFilledLots: o.filledLots,
      orderQtyLots: o.qtyLots,
      tsExchangeUs: f.tsExchangeUs,
      tsUs: now,
    });
  }

  private transition(o: TrackedOrder, event: OrderEvent, now: number, errorCode = 0, message = ''): void {
    const row = transitionRow(o.state, event);
    if (!row) {
      if ((LOCAL_EVENTS as readonly string[]).includes(event)) throw new InvariantError(`no transition for local event ${event} in state ${o.state} (${o.clientOrderId})`);
      return this.anomaly(o.clientOrderId, 'no-row', o.state, event, `no transition for ${event} in state ${o.state}; report ignored`);
    }
    const from = o.state;
    const to = resolveNext(row.next, o.filledLots);
    const wasUnknown = o.unknown;
    o.state = to;
    if (row.unknown) this.setUnknown(o, true);
    else if (to !== from) this.setUnknown(o, false); // leaving the pending state settles the outcome
    if (to !== from && (from === 'pending-modify' || isTerminal(to))) o.modifyTarget = null;
    if (to !== from && isTerminal(to)) this.markEnded(o, now);
    if (this.bus.hasListeners('order.transition')) this.bus.emit('order.transition', { clientOrderId: o.clientOrderId, from, event, to, unknown: o.unknown, tsUs: now });
    if (o.unknown && !wasUnknown) {
      o.lastQueryUs = Number.NEGATIVE_INFINITY;
      this.bus.emit('order.unknown', { order: viewOf(o), tsUs: now });
    }
    if (to === from) return;
    const type = from === 'pending-new' && (to === 'open' || to === 'partially-filled') ? 'order.acked' : to === 'canceled' ? 'order.canceled' : to === 'expired' ? 'order.expired' : to === 'rejected' ? 'order.rejected' : null;
    // The order's view is built only for a listener (a transition per order report and command).
    if (type === null || !this.bus.hasListeners(type)) return;
    if (type === 'order.rejected') this.bus.emit(type, { order: viewOf(o), tsUs: now, errorCode, message });
    else this.bus.emit(type, { order: viewOf(o), tsUs: now });
  }

  private anomaly(clientOrderId: string, kind: OmsAnomaly['kind'], state: OmsAnomaly['state'], event: ExchangeEvent | LocalEvent | null, message: string): void {
    this.bus.emit('order.anomaly', { clientOrderId, kind, state, event, message, tsUs: this.clock.nowUs() });
  }

  /** The order reached a terminal state: out of the live index, into the prune queue. */
  private markEnded(o: TrackedOrder, now: number): void {
    o.endedUs = now;
    const live = this.liveBySymbol.get(o.symbol) as TrackedOrder[];
    const i = live.indexOf(o);
    if (i >= 0) live.splice(i, 1);
    const ended = this.ended;
    if (ended.length > this.endedHead && ended[ended.length - 1].endedUs > now) this.endedInOrder = false;
    ended.push(o);
  }

  /** Forgets terminal orders older than the retention (oldest first; a full scan if time went backwards). */
  private prune(now: number): void {
    const retention = this.config.terminalRetentionUs;
    if (!this.endedInOrder) {
      for (const [id, o] of this.orders) {
        if (isTerminal(o.state) && now - o.endedUs > retention) this.orders.delete(id);
      }
      this.ended = [...this.orders.values()].filter((o) => isTerminal(o.state)).sort((a, b) => a.endedUs - b.endedUs);
      this.endedHead = 0;
      this.endedInOrder = true;
      return;
    }
    const ended = this.ended;
    let head = this.endedHead;
    while (head < ended.length && now - ended[head].endedUs > retention) {
      this.orders.delete(ended[head].clientOrderId);
      head++;
    }
    if (head > 1024 && head * 2 > ended.length) {
      ended.splice(0, head);
      head = 0;
    }
    this.endedHead = head;
  }
}

/** An order as `liveOrders` hands it out: the OMS record, read-only. */
export type LiveOrder = Readonly<Omit<TrackedOrder, 'seenTrades' | 'seenStatus' | 'modifyTarget'>> & { readonly modifyTarget: Readonly<TrackedOrder['modifyTarget']> };

const NO_ORDERS: readonly TrackedOrder[] = [];

/** What one `decide` may still send: a command count and the caller's budget. */
interface Allowance {
  left: number;
  budget: CommandBudget | undefined;
}

/** Takes one command of `kind` from the allowance (count first, then the budget); false = not now. */
function take(a: Allowance, kind: CommandKind): boolean {
  if (a.left <= 0) return false;
  if (a.budget && !a.budget.tryTake(kind)) return false;
  a.left--;
  return true;
}

function assertQuote(q: Quote): void {
  if (!Number.isSafeInteger(q.priceTicks) || !Number.isSafeInteger(q.qtyLots) || q.priceTicks <= 0) {
    throw new InvariantError(`quote must carry integer ticks (> 0) and lots: ${JSON.stringify(q)}`);
  }
}
