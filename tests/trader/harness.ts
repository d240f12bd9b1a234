// Test harness for the trading core: a tiny random-walk market (depth diffs with a proper U/u/pu
// chain, trades), a fake gateway that acks, fills resting orders at their own price when the book
// trades through them, rejects post-only orders that would take, and a driver that delivers
// commands one step late and reports duplicated / reordered / delayed (seeded).
import { SimClock } from '../../src/core/clock.ts';
import { Rng } from '../../src/core/random.ts';
import type { DepthDiff, DepthSnapshot, MarketEvent, Side, Trade } from '../../src/model/events.ts';
import { Instrument, type InstrumentSpec } from '../../src/model/instrument.ts';
import type { ExchangeOrderStatus, ExecutionReport, ExecutionType, OrderQueryResult, OrderRequest, VenueCommand, VenueEvent } from '../../src/model/venue.ts';
import { TradingCore, type TraderConfigInput } from '../../src/trader/index.ts';
import { makeSpec } from '../support/instruments.ts';

export const SYMBOL = 'BTCUSDT';
export const T0 = 1_722_470_400_000_000; // 2024-08-01T00:00:00Z

export { makeSpec };

export const INSTRUMENT = new Instrument(makeSpec());

/** Commission per filled lot charged by the fake, exact decimal. */
export const FEE_PER_LOT = '0.0001';

export interface GatewayOrder {
  clientOrderId: string;
  orderId: number;
  side: Side;
  type: OrderRequest['type'];
  timeInForce: OrderRequest['timeInForce'];
  reduceOnly: boolean;
  priceTicks: number;
  qtyLots: number;
  cumLots: number;
  status: ExchangeOrderStatus;
}

export class FakeGateway {
  readonly orders = new Map<string, GatewayOrder>();
  /** Reports and query answers, in the order the fake produced them. */
  outbox: VenueEvent[] = [];
  positionLots = 0;
  filledLots = 0;
  commissionLots = 0;
  duplicateSubmits = 0;
  invalidCommands: string[] = [];
  private nextOrderId = 1;
  private nextTradeId = 1;
  bestBid = NaN;
  bestAsk = NaN;

  constructor(private readonly now: () => number) {}

  openOrders(): GatewayOrder[] {
    return [...this.orders.values()].filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED');
  }

  onCommand(cmd: VenueCommand): void {
    if (cmd.kind === 'submit') return this.submit(cmd.order);
    if (cmd.kind === 'query') return this.query(cmd.clientOrderId);
    const o = this.orders.get(cmd.clientOrderId);
    const open = o !== undefined && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED');
    if (cmd.kind === 'cancel') {
      if (!o || !open) return this.reject(cmd.clientOrderId, o, 'CANCEL_REJECTED', -2011);
      o.status = 'CANCELED';
      this.report(o, 'CANCELED');
      return;
    }
    // As the simulated exchange does, a refused modify carries the requested price and quantity.
    if (!o || !open) return this.reject(cmd.clientOrderId, o, 'MODIFY_REJECTED', -2011, { priceTicks: cmd.priceTicks, qtyLots: cmd.qtyLots });
    if (cmd.qtyLots <= o.cumLots) {
      o.status = 'CANCELED'; // Binance cancels an order modified to ≤ its executed quantity
      this.report(o, 'CANCELED');
      return;
    }
    if (!Number.isSafeInteger(cmd.priceTicks) || cmd.priceTicks <= 0) this.invalidCommands.push(`modify price ${cmd.priceTicks}`);
    o.priceTicks = cmd.priceTicks;
    o.qtyLots = cmd.qtyLots;
    this.report(o, 'AMENDMENT');
    this.matchOne(o);
  }

  /** `GET /fapi/v1/order`: the order's state, or -2013 when it never arrived. */
  private query(clientOrderId: string): void {
    const o = this.orders.get(clientOrderId);
    const result: OrderQueryResult = o === undefined ? { clientOrderId, found: false } : { clientOrderId, found: true, orderId: o.orderId, status: o.status, priceTicks: o.priceTicks, origQtyLots: o.qtyLots, cumFilledLots: o.cumLots };
    this.outbox.push({ kind: 'queryAnswer', symbol: SYMBOL, result });
  }

  /** The market moved: fill resting orders the book traded through, at their own price. */
  onBook(bestBid: number, bestAsk: number): void {
    this.bestBid = bestBid;
    this.bestAsk = bestAsk;
    for (const o of this.openOrders()) this.matchOne(o);
  }

  private matchOne(o: GatewayOrder): void {
    if (!(o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')) return;
    const through = o.side === 'buy' ? this.bestAsk <= o.priceTicks : this.bestBid >= o.priceTicks;
    if (!through) return;
    // Fill in two parts when possible, so partial fills happen.
    const left = o.qtyLots - o.cumLots;
    const first = left > 1 ? Math.ceil(left / 2) : left;
    this.fill(o, first, o.priceTicks);
    if (o.qtyLots - o.cumLots > 0) this.fill(o, o.qtyLots - o.cumLots, o.priceTicks);
  }

  private submit(req: OrderRequest): void {
    if (this.orders.has(req.clientOrderId)) {
      this.duplicateSubmits++;
      return;
    }
    if (!/^[.A-Z:/a-z0-9_-]{1,36}$/.test(req.clientOrderId)) this.invalidCommands.push(`client id ${req.clientOrderId}`);
    if (req.type === 'LIMIT' && (!Number.isSafeInteger(req.priceTicks) || req.priceTicks <= 0)) this.invalidCommands.push(`price ${req.priceTicks}`);
    if (!Number.isSafeInteger(req.qtyLots) || req.qtyLots <= 0) this.invalidCommands.push(`qty ${req.qtyLots}`);
    const o: GatewayOrder = {
      clientOrderId: req.clientOrderId,
      orderId: this.nextOrderId++,
      side: req.side,
      type: req.type,
      timeInForce: req.timeInForce,
      reduceOnly: req.reduceOnly,
      priceTicks: req.priceTicks,
      qtyLots: req.qtyLots,
      cumLots: 0,
      status: 'NEW',
    };
    this.orders.set(o.clientOrderId, o);
    const crosses = req.side === 'buy' ? this.bestAsk <= req.priceTicks : this.bestBid >= req.priceTicks;
    if (req.type === 'LIMIT' && req.timeInForce === 'GTX' && crosses) {
      o.status = 'EXPIRED';
      this.report(o, 'EXPIRED'); // Binance: GTX that would take expires at once
      return;
    }
    this.report(o, 'NEW');
    if (req.type === 'MARKET' || req.timeInForce === 'IOC') {
      const px = req.side === 'buy' ? this.bestAsk : this.bestBid;
      let qty = o.qtyLots;
      if (req.reduceOnly) qty = Math.min(qty, Math.max(0, req.side === 'buy' ? -this.positionLots : this.positionLots));
      if (qty > 0 && Number.isFinite(px) && (req.type === 'MARKET' || crosses)) this.fill(o, qty, px, 'taker');
      if (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED') {
        o.status = 'EXPIRED';
        this.report(o, 'EXPIRED');
      }
      return;
    }
    this.matchOne(o);
  }

  private fill(o: GatewayOrder, lots: number, priceTicks: number, liquidity: 'maker' | 'taker' = 'maker'): void {
    o.cumLots += lots;
    o.status = o.cumLots >= o.qtyLots ? 'FILLED' : 'PARTIALLY_FILLED';
    this.positionLots += o.side === 'buy' ? lots : -lots;
    this.filledLots += lots;
    this.commissionLots += lots;
    this.report(o, 'TRADE', { lots, priceTicks, liquidity });
  }

  private report(o: GatewayOrder, execType: ExecutionType, fill?: { lots: number; priceTicks: number; liquidity: 'maker' | 'taker' }): void {
    this.push({
      symbol: SYMBOL,
      clientOrderId: o.clientOrderId,
      orderId: o.orderId,
      execType,
      status: o.status,
      side: o.side,
      priceTicks: o.priceTicks,
      origQtyLots: o.qtyLots,
      cumFilledLots: o.cumLots,
      lastFillLots: fill?.lots ?? 0,
      lastFillPriceTicks: fill?.priceTicks ?? 0,
      tradeId: fill ? this.nextTradeId++ : -1,
      liquidity: fill?.liquidity ?? null,
      commission: fill ? (fill.lots / 10_000).toFixed(4) : '0', // FEE_PER_LOT × lots, exact for < 10^4 lots
      errorCode: 0,
      errorMessage: '',
      reduceOnly: o.reduceOnly,
      tsExchangeUs: this.now(),
    });
  }

  private push(report: ExecutionReport): void {
    this.outbox.push({ kind: 'report', report });
  }

  private reject(clientOrderId: string, o: GatewayOrder | undefined, execType: ExecutionType, code: number, requested?: { priceTicks: number; qtyLots: number }): void {
    this.push({
      symbol: SYMBOL,
      clientOrderId,
      orderId: o?.orderId ?? -1,
      execType,
      status: o?.status ?? 'REJECTED',
      side: o?.side ?? 'buy',
      priceTicks: requested?.priceTicks ?? o?.priceTicks ?? 0,
      origQtyLots: requested?.qtyLots ?? o?.qtyLots ?? 0,
      cumFilledLots: o?.cumLots ?? 0,
      lastFillLots: 0,
      lastFillPriceTicks: 0,
      tradeId: -1,
      liquidity: null,
      commission: '0',
      errorCode: code,
      errorMessage: 'Unknown order sent.',
      reduceOnly: o?.reduceOnly ?? false,
      tsExchangeUs: this.now(),
    });
  }
}

/** A random-walk book with a U/u/pu chain: one snapshot, then diffs moving the touch; some trades. */
export class RandomMarket {
  private lastId = 1000;
  bid: number;
  ask: number;
  private tradeId = 1;

  constructor(
    private readonly rng: Rng,
    midTicks = 600_000,
  ) {
    this.bid = midTicks - 1;
    this.ask = midTicks + 1;
  }

  snapshot(tsUs: number): DepthSnapshot {
    const bidTicks: number[] = [];
    const askTicks: number[] = [];
    for (let i = 0; i < 10; i++) {
      bidTicks.push(this.bid - i);
      askTicks.push(this.ask + i);
    }
    return { type: 'snapshot', symbol: SYMBOL, tsExchangeUs: tsUs, tsReceiveUs: tsUs, tsTransactUs: tsUs, lastUpdateId: this.lastId, bidTicks, bidLots: bidTicks.map(() => 50), askTicks, askLots: askTicks.map(() => 50) };
  }

  /** Moves the touch by −3..3 ticks (spread 1..3) and returns the diff, possibly followed by a trade. */
  step(tsUs: number): MarketEvent[] {
    const move = this.rng.intBetween(-3, 3);
    const spread = this.rng.intBetween(1, 3);
    const oldBid = this.bid;
    const oldAsk = this.ask;
    this.bid += move;
    this.ask = this.bid + spread;
    // Rewrite the 10 levels each side: remove what fell out, set the new ones.
    const bid = new Map<number, number>();
    const ask = new Map<number, number>();
    for (let i = 0; i < 10; i++) {
      bid.set(oldBid - i, 0);
      ask.set(oldAsk + i, 0);
    }
    for (let i = 0; i < 10; i++) {
      bid.set(this.bid - i, 20 + this.rng.int(60));
      ask.set(this.ask + i, 20 + this.rng.int(60));
    }
    for (let p = this.bid + 1; p < this.ask; p++) {
      bid.set(p, 0);
      ask.set(p, 0);
    }
    const first = this.lastId + 1;
    const diff: DepthDiff = {
      type: 'depth',
      symbol: SYMBOL,
      tsExchangeUs: tsUs,
      tsReceiveUs: tsUs,
      tsTransactUs: tsUs,
      firstUpdateId: first,
      finalUpdateId: first + 2,
      prevFinalUpdateId: this.lastId,
      bidTicks: [...bid.keys()],
      bidLots: [...bid.values()],
      askTicks: [...ask.keys()],
      askLots: [...ask.values()],
    };
    this.lastId = first + 2;
    const out: MarketEvent[] = [diff];
    if (this.rng.next() < 0.5) {
      const buyerIsMaker = this.rng.next() < 0.5;
      const t: Trade = { type: 'trade', symbol: SYMBOL, tsExchangeUs: tsUs, tsReceiveUs: tsUs, tsTransactUs: tsUs, tradeId: this.tradeId++, priceTicks: buyerIsMaker ? this.bid : this.ask, qtyLots: 1 + this.rng.int(5), buyerIsMaker };
      out.push(t);
    }
    return out;
  }
}

export interface Chaos {
  /** Probability that a report is delivered twice. */
  duplicate: number;
  /** Probability that two neighbouring reports swap places. */
  swap: number;
  /** Probability that a report waits for the next step. */
  delay: number;
}

export const NO_CHAOS: Chaos = { duplicate: 0, swap: 0, delay: 0 };

export const FIXED_CONFIG: TraderConfigInput = {
  signal: { sampleIntervalUs: 100_000 },
  strategy: { kind: 'fixed', halfSpreadTicks: 1, sizeLots: 3, maxPositionLots: 12, levels: 2, levelSpacingTicks: 1, requoteToleranceTicks: 0 },
  risk: { maxPositionLots: 12, maxCapitalUsage: null, maxDrawdownFraction: null, maxDailyLossFraction: null, maxBookAgeUs: null, volatility: { maxMidJumpBps: null }, orderRate: { per10s: 5000, perMinute: null } },
  decision: { requoteIntervalUs: 200_000 },
};

export interface RunOptions {
  seed: number;
  steps: number;
  chaos: Chaos;
  config?: TraderConfigInput;
  /** Step at which the kill switch is pulled (HALTED) before the step runs; -1 = never. */
  killAtStep?: number;
  /** Called after each step with the harness state. */
  onStep?: (h: Harness, step: number) => void;
}

export class Harness {
  readonly clock = new SimClock(T0);
  readonly rng: Rng;
  readonly market: RandomMarket;
  readonly gateway: FakeGateway;
  readonly core: TradingCore;
  /** Commands drained from the core, waiting for the next step. */
  inflight: VenueCommand[] = [];
  /** Reports (and query answers) the gateway produced that the core has not been given yet. */
  pending: VenueEvent[] = [];
  readonly sent: { tsUs: number; cmd: VenueCommand }[] = [];
  /** Every command in the order the core queued it (drained), before the one-step delay. */
  readonly queued: VenueCommand[] = [];

  constructor(
    seed: number,
    readonly chaos: Chaos,
    config: TraderConfigInput = FIXED_CONFIG,
  ) {
    this.rng = new Rng(seed);
    this.market = new RandomMarket(this.rng.fork('market'));
    this.gateway = new FakeGateway(() => this.clock.nowUs());
    this.core = new TradingCore({ clock: this.clock, instruments: [INSTRUMENT], config, initialBalance: [{ asset: 'USDT', amount: '100000' }] });
  }

  start(): void {
    const snap = this.market.snapshot(this.clock.nowUs());
    this.gateway.onBook(this.market.bid, this.market.ask);
    this.core.onMarketEvent(snap);
    this.flushCommands();
  }

  /** Pulls the kill switch; returns how many commands were queued before it. */
  kill(): number {
    const before = this.queued.length;
    this.core.kill(SYMBOL, 'test kill');
    return before;
  }

  /** One market step: timers, commands sent one step ago reach the gateway, the market moves, reports arrive. */
  step(): void {
    const t = this.clock.nowUs() + 10_000 + this.rng.int(90_000);
    for (let next = this.core.nextTimerUs(); next <= t; next = this.core.nextTimerUs()) {
      this.clock.advanceTo(Math.max(next, this.clock.nowUs()));
      this.core.onTimer(next);
    }
    this.clock.advanceTo(t);
    for (const c of this.inflight) this.sendToGateway(c);
    this.inflight = [];
    for (const e of this.market.step(t)) {
      if (e.type === 'depth') this.gateway.onBook(this.market.bid, this.market.ask);
      this.core.onMarketEvent(e);
    }
    this.deliverReports(false);
    this.flushCommands();
  }

  /** Sends everything in flight and delivers every report until the core has nothing left to say. */
  settle(): void {
    for (let round = 0; round < 100; round++) {
      this.flushCommands();
      for (const c of this.inflight) this.sendToGateway(c);
      this.inflight = [];
      this.deliverReports(true);
      this.flushCommands();
      if (this.pending.length === 0 && this.gateway.outbox.length === 0 && this.inflight.length === 0) return;
    }
    throw new Error('harness did not settle in 100 rounds');
  }

  private sendToGateway(c: VenueCommand): void {
    this.sent.push({ tsUs: this.clock.nowUs(), cmd: c });
    this.gateway.onCommand(c);
  }

  private deliverReports(all: boolean): void {
    const reports = [...this.pending, ...this.gateway.outbox];
    this.gateway.outbox = [];
    this.pending = [];
    const now: VenueEvent[] = [];
    for (const r of reports) {
      if (!all && this.rng.next() < this.chaos.delay) {
        this.pending.push(r);
        continue;
      }
      now.push(r);
      if (this.rng.next() < this.chaos.duplicate) now.push(r);
    }
    for (let i = 0; i + 1 < now.length; i++) {
      if (this.rng.next() < this.chaos.swap) [now[i], now[i + 1]] = [now[i + 1], now[i]];
    }
    for (const r of now) this.core.onVenueEvent(r);
    this.flushCommands();
  }

  private flushCommands(): void {
    const cmds = this.core.drainCommands();
    this.inflight.push(...cmds);
    this.queued.push(...cmds);
  }
}

/** A run; `queuedBeforeKill` is the number of commands queued before the kill (Infinity without one). */
export function run(opts: RunOptions): Harness & { queuedBeforeKill: number } {
  const h = new Harness(opts.seed, opts.chaos, opts.config) as Harness & { queuedBeforeKill: number };
  h.queuedBeforeKill = Number.POSITIVE_INFINITY;
  h.start();
  for (let i = 0; i < opts.steps; i++) {
    if (opts.killAtStep === i) h.queuedBeforeKill = h.kill();
    h.step();
    opts.onStep?.(h, i);
  }
  return h;
}
