// Drives an OrderManager against the FakeExchange with lossy, duplicating, reordering delivery and
// records what the property tests check.
import { SimClock } from '../../src/core/index.ts';
import { isValidClientOrderId } from '../../src/core/ids.ts';
import type { Intent, Quote } from '../../src/model/trading.ts';
import type { ExecutionReport, VenueCommand } from '../../src/model/venue.ts';
import { OrderManager, isActionable, isTerminal, transitionRow, type OmsAnomaly, type OmsConfig, type OmsTransition, type TrackedOrder } from '../../src/oms/index.ts';
import { FakeExchange, SYMBOL } from './fake-exchange.ts';

export type Op =
  | { k: 'decide'; bids: number[]; asks: number[]; qty: number; cancelAll: boolean; flatten: boolean; maxCommands: number }
  /** Process the oldest command in flight. lost-before: never applied, timeout; lost-after: applied, REST reply lost; -1007: reply says unknown. */
  | { k: 'process'; outcome: 'ok' | 'reject' | 'lost-before' | 'lost-after' | 'unknown-1007' | 'late' }
  /** The oldest late request reaches the engine, if still inside recvWindow (else the exchange drops it). */
  | { k: 'land' }
  | { k: 'fill'; pick: number; lots: number }
  | { k: 'deliver'; pick: number; dup: boolean }
  | { k: 'xcancel'; pick: number }
  | { k: 'tick'; us: number }
  | { k: 'query' };

export class Harness {
  readonly clock = new SimClock(1_000_000);
  readonly oms: OrderManager;
  readonly fx = new FakeExchange(() => this.clock.nowUs());
  readonly inflight: VenueCommand[] = [];
  /** Requests reported to the OMS as timed out that may still reach the engine within recvWindow. */
  readonly late: { cmd: VenueCommand; sentUs: number }[] = [];
  static readonly RECV_WINDOW_US = 1_500_000;
  readonly delivered: ExecutionReport[] = [];
  readonly transitions: OmsTransition[] = [];
  readonly anomalies: OmsAnomaly[] = [];
  readonly violations: string[] = [];
  fillSum = 0;
  fillEvents = 0;
  private readonly maxFilled = new Map<string, number>();
  private readonly submittedIds = new Set<string>();
  private readonly sentUs = new Map<VenueCommand, number>();

  constructor(config: Partial<OmsConfig>) {
    this.oms = new OrderManager({ clock: this.clock, config: { requestGraceUs: 2_000_000, queryIntervalUs: 500_000, ...config } });
    this.oms.bus.on('order.transition', (t) => {
      this.transitions.push(t);
      const row = transitionRow(t.from, t.event);
      if (!row) this.violations.push(`transition not in table: ${t.from} --${t.event}--> ${t.to}`);
      else if (!(row.next === t.to || (row.next === 'working' && (t.to === 'open' || t.to === 'partially-filled')))) {
        this.violations.push(`transition ${t.from} --${t.event}--> ${t.to} but table says ${row.next}`);
      }
    });
    this.oms.bus.on('order.filled', (f) => {
      this.fillSum += f.signedLots;
      this.fillEvents++;
    });
    this.oms.bus.on('order.anomaly', (a) => this.anomalies.push(a));
  }

  run(op: Op): void {
    this.clock.advanceTo(this.clock.nowUs() + 1); // exchange stamps strictly increase
    switch (op.k) {
      case 'decide':
        return this.decide(op);
      case 'process':
        return this.process(op.outcome);
      case 'fill': {
        const open = this.fx.openOrders().filter((o) => o.type === 'LIMIT');
        if (open.length > 0) this.fx.fill(open[op.pick % open.length], op.lots);
        return;
      }
      case 'deliver':
        return this.deliver(op.pick, op.dup);
      case 'xcancel': {
        const open = this.fx.openOrders();
        if (open.length > 0) this.fx.unsolicitedCancel(open[op.pick % open.length]);
        return;
      }
      case 'tick':
        this.clock.advanceTo(this.clock.nowUs() + op.us);
        return;
      case 'land': {
        const l = this.late.shift();
        if (l && this.clock.nowUs() - l.sentUs < Harness.RECV_WINDOW_US) {
          // The client already gave up on this request: its REST reply is never read.
          const mark = this.fx.outbox.length;
          this.fx.handle(l.cmd, 'ok');
          dropRestReplies(this.fx.outbox, mark);
        }
        return;
      }
      case 'query':
        for (const q of this.oms.queriesDue()) this.oms.onQueryResult(this.fx.query(q.clientOrderId));
        return;
    }
  }

  /** Stops trading and lets every request, report and query land. */
  settle(): void {
    for (let round = 0; round < 20; round++) {
      while (this.inflight.length > 0) this.process('ok');
      while (this.late.length > 0) this.run({ k: 'land' });
      while (this.fx.outbox.length > 0) this.deliver(0, false);
      if (![...this.oms.openOrders().values()].some((o) => o.unknown || o.state.startsWith('pending'))) return;
      this.clock.advanceTo(this.clock.nowUs() + 3_000_000);
      for (const q of this.oms.queriesDue()) this.oms.onQueryResult(this.fx.query(q.clientOrderId));
    }
    this.violations.push('did not settle in 20 rounds');
  }

  /** Invariants that hold after every step. */
  checkStep(): void {
    for (const id of this.submittedIds) {
      const v = this.oms.order(id);
      if (!v) continue;
      if (v.filledLots > v.qtyLots) this.violations.push(`${id}: filled ${v.filledLots} > qty ${v.qtyLots}`);
      const prev = this.maxFilled.get(id) ?? 0;
      if (v.filledLots < prev) this.violations.push(`${id}: filled decreased ${prev} → ${v.filledLots}`);
      this.maxFilled.set(id, v.filledLots);
    }
    if (this.fillSum !== this.oms.positionLots(SYMBOL)) this.violations.push(`sum of fills ${this.fillSum} ≠ position ${this.oms.positionLots(SYMBOL)}`);
  }

  private decide(op: Extract<Op, { k: 'decide' }>): void {
    const quotes: Quote[] = [
      ...op.bids.map((p, level) => ({ side: 'buy' as const, priceTicks: p, qtyLots: op.qty, level })),
      ...op.asks.map((p, level) => ({ side: 'sell' as const, priceTicks: p, qtyLots: op.qty, level })),
    ];
    const intent: Intent = { symbol: SYMBOL, tsUs: this.clock.nowUs(), quotes: op.cancelAll ? [] : quotes, cancelAll: op.cancelAll, flatten: op.flatten, reason: 'test' };
    const before = this.trackedSnapshot();
    const countBefore = { buy: countQuoting(before, 'buy'), sell: countQuoting(before, 'sell') };
    const cmds = this.oms.decide(intent, { maxCommands: op.maxCommands });
    for (const c of cmds) {
      if (c.kind === 'submit') {
        const id = c.order.clientOrderId;
        if (!isValidClientOrderId(id)) this.violations.push(`invalid client order id ${id}`);
        if (this.submittedIds.has(id)) this.violations.push(`client order id ${id} re-submitted`);
        this.submittedIds.add(id);
      } else {
        const o = before.get(c.clientOrderId);
        if (!o || !o.actionable) this.violations.push(`${c.kind} sent for ${c.clientOrderId} which was not actionable (${o?.state}, unknown=${o?.unknown})`);
      }
      this.inflight.push(c);
      this.sentUs.set(c, this.clock.nowUs());
    }
    const after = this.trackedSnapshot();
    for (const side of ['buy', 'sell'] as const) {
      const wanted = intent.quotes.filter((q) => q.side === side).length;
      const n = countQuoting(after, side);
      if (n > Math.max(countBefore[side], wanted)) this.violations.push(`${side}: ${n} live quoting orders after decide, ${countBefore[side]} before, ${wanted} wanted`);
    }
  }

  private process(outcome: Extract<Op, { k: 'process' }>['outcome']): void {
    const cmd = this.inflight.shift();
    if (!cmd) return;
    const id = cmd.kind === 'submit' ? cmd.order.clientOrderId : cmd.clientOrderId;
    if (outcome === 'lost-before') return this.oms.onRequestTimeout(id);
    if (outcome === 'late') {
      this.late.push({ cmd, sentUs: this.sentUs.get(cmd) ?? 0 });
      return this.oms.onRequestTimeout(id);
    }
    if (outcome === 'unknown-1007') {
      const execType = cmd.kind === 'submit' ? 'REJECTED' : cmd.kind === 'cancel' ? 'CANCEL_REJECTED' : 'MODIFY_REJECTED';
      this.fx.outbox.push({ ...rejectTemplate(id, execType, this.clock.nowUs()) });
      return;
    }
    const mark = this.fx.outbox.length;
    this.fx.handle(cmd, outcome === 'reject' ? 'reject' : 'ok');
    if (outcome === 'lost-after') {
      // The REST reply is lost (rejects only travel on it); stream reports still arrive.
      dropRestReplies(this.fx.outbox, mark);
      this.oms.onRequestTimeout(id);
    }
  }

  private deliver(pick: number, dup: boolean): void {
    if (this.fx.outbox.length === 0) return;
    const i = pick % this.fx.outbox.length;
    const r = this.fx.outbox[i];
    // Only user-data-stream reports can arrive twice. A refusal is the REST reply to one request
    // (Binance sends no ORDER_TRADE_UPDATE for it), delivered at most once; a duplicated stale
    // refusal would wrongly answer the order's next request.
    if (!dup || isRestReply(r)) this.fx.outbox.splice(i, 1);
    this.delivered.push(r);
    this.oms.onExecutionReport(r);
  }

  private trackedSnapshot(): Map<string, { state: string; unknown: boolean; side: string; reduceOnly: boolean; actionable: boolean }> {
    const out = new Map<string, { state: string; unknown: boolean; side: string; reduceOnly: boolean; actionable: boolean }>();
    for (const [id, v] of this.oms.openOrders(SYMBOL)) {
      out.set(id, { state: v.state, unknown: v.unknown, side: v.side, reduceOnly: v.reduceOnly, actionable: isActionable(v as unknown as TrackedOrder) });
    }
    return out;
  }
}

/** Refusals (REJECTED, CANCEL_REJECTED, MODIFY_REJECTED) travel only on the REST reply. */
function isRestReply(r: ExecutionReport): boolean {
  return r.execType.endsWith('REJECTED');
}

function dropRestReplies(outbox: ExecutionReport[], from: number): void {
  for (let i = outbox.length - 1; i >= from; i--) if (isRestReply(outbox[i])) outbox.splice(i, 1);
}

function countQuoting(snap: Map<string, { state: string; side: string; reduceOnly: boolean }>, side: string): number {
  let n = 0;
  for (const o of snap.values()) if (o.side === side && !o.reduceOnly && o.state !== 'pending-cancel' && !isTerminal(o.state as never)) n++;
  return n;
}

function rejectTemplate(clientOrderId: string, execType: 'REJECTED' | 'CANCEL_REJECTED' | 'MODIFY_REJECTED', tsExchangeUs: number): ExecutionReport {
  return {
    symbol: SYMBOL,
    clientOrderId,
    orderId: -1,
    execType,
    status: 'NEW',
    side: 'buy',
    priceTicks: 0,
    origQtyLots: 0,
    cumFilledLots: 0,
    lastFillLots: 0,
    lastFillPriceTicks: 0,
    tradeId: 0,
    liquidity: null,
    commission: '0',
    errorCode: -1007,
    errorMessage: 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.',
    reduceOnly: false,
    tsExchangeUs,
  };
}
