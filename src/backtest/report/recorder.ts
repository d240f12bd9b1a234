/**
 * RunRecorder: what the backtest engine tells the report during a run.
 *
 * Calls (all synchronous, allocation-light, in the engine's event order):
 * - `onOrder` for every order event (submit / modify / cancel sent, reject with a reason code,
 *   canceled / expired confirmed);
 * - `onFill` for every fill of ours (exchange time, ticks, lots, exact commission string, the mid
 *   at the fill in ticks — half-ticks allowed, NaN when there was no two-sided book);
 * - `onRiskEvent` for every trading-state change; `onFunding` for every funding settlement;
 * - `sample` on the fixed grid `startUs + k·sampleIntervalUs`: the state after every event with
 *   time ≤ the grid time. Grid times must increase; skipped grid points are allowed (metrics
 *   forward-fill), off-grid times are an error.
 * - `finish(endUs)` once at the end, then `await settled()` before the tables are read (with an
 *   encode thread their last row groups and footers are written there; without one it resolves at
 *   once).
 *
 * Memory: fills and orders go through fixed-size columnar chunks that are encoded to Parquet row
 * groups as they fill (in this thread, or in the encode thread of encode-thread.ts; kept
 * compressed in memory, or streamed into `spillDir`); samples (one row per grid point and symbol)
 * are growable Float64Arrays; markouts are resolved online from a FIFO
 * of fills younger than the longest horizon; chart fill markers are decimated to a fixed cap.
 * So memory is bounded by the sample grid, not by the number of orders or fills.
 *
 * Units: time µs since the Unix epoch; prices integer ticks (mids may be x.5); quantities lots;
 * account values (equity, PnL components) floats in the margin asset, for charts and statistics
 * only — the exact PnL decomposition is passed to `computeMetrics` from the portfolio.
 */
import { ConfigError, InvariantError } from '../../core/errors.ts';
import type { Side } from '../../model/events.ts';
import type { Instrument } from '../../model/instrument.ts';
import type { TradingState } from '../../model/trading.ts';
import type { FundingSettlement, Liquidity, OrderType, TimeInForce } from '../../model/venue.ts';
import { join } from 'node:path';
import { EncodeThread } from './encode-thread.ts';
import { FillsTable, ORDER_EVENT_KINDS, ORDER_TYPES, OrdersTable, TIME_IN_FORCES, UNKNOWN } from './tables.ts';

export type OrderEventKind = (typeof ORDER_EVENT_KINDS)[number];

export interface OrderEventInput {
  tsUs: number;
  symbol: string;
  kind: OrderEventKind;
  clientOrderId: string;
  /** Exchange order id; omit or -1 when none (a request rejected before an order existed). */
  orderId?: number;
  side?: Side;
  orderType?: OrderType;
  timeInForce?: TimeInForce;
  /** Limit price (submit, modify, reject of either). */
  priceTicks?: number;
  /** Order quantity (submit: original; modify: new). */
  qtyLots?: number;
  reduceOnly?: boolean;
  /** For `reject`: a stable code (Binance error code such as "-5022", or a risk code); "" otherwise. */
  reason?: string;
}

export interface FillEventInput {
  tsUs: number;
  symbol: string;
  side: Side;
  priceTicks: number;
  qtyLots: number;
  liquidity: Liquidity;
  /** Exact decimal string in the margin asset; negative = rebate. */
  commission: string;
  /** Mid at the fill, ticks (x.5 allowed); NaN when unknown. */
  midTicks: number;
  orderId: number;
  clientOrderId: string;
}

export interface RiskEventInput {
  tsUs: number;
  symbol: string;
  from: TradingState;
  to: TradingState;
  reason: string;
}

/** Account values at a grid time, floats in the margin asset (PortfolioSnapshot float getters). */
export interface AccountSample {
  equity: number;
  wallet: number;
  unrealized: number;
  /** Cumulative PnL components so far (the portfolio's decomposition as floats). */
  spreadCapture: number;
  inventory: number;
  fees: number;
  funding: number;
  total: number;
}

/** One symbol at a grid time. Ticks ≤ 0 or NaN mean "none" (no book side, no live quote). */
export interface SymbolSample {
  symbol: string;
  positionLots: number;
  bestBidTicks: number;
  bestAskTicks: number;
  midTicks: number;
  /** Best live bid / ask quote of ours, ticks; ≤ 0 or NaN when none is live. */
  bidQuoteTicks: number;
  askQuoteTicks: number;
}

export interface RunRecorderOptions {
  instruments: readonly Instrument[];
  /** First grid time, µs (usually the run start). */
  startUs: number;
  /** Sampling grid step, µs. Default 1 s. */
  sampleIntervalUs?: number;
  /** Rows per fills/orders chunk (= Parquet row group). Default 16,384. */
  chunkRows?: number;
  /** Markout horizons, µs, increasing. Default 1, 5, 30, 60 s. */
  markoutHorizonsUs?: readonly number[];
  /** |position| limit per symbol, lots (for "% time at limit" and the position chart's bands). */
  positionLimitLots?: Readonly<Record<string, number>>;
  /** Stream fills.parquet / orders.parquet into this directory during the run instead of memory. */
  spillDir?: string;
  /** Fill markers kept per symbol for the charts (decimated deterministically). Default 2,000. */
  maxChartFills?: number;
  /**
   * Encode fills.parquet / orders.parquet in a worker thread (encode-thread.ts; from a table's first
   * full chunk), given the worker module's bundle (`encodeWorkerBundle`; null: through tsx). Then
   * `settled()` must be awaited after `finish()` before the tables are read. Default: this thread.
   */
  encodeThread?: { bundle: string | null } | null;
}

export const DEFAULT_SAMPLE_INTERVAL_US = 1_000_000;
export const DEFAULT_MARKOUT_HORIZONS_US: readonly number[] = [1_000_000, 5_000_000, 30_000_000, 60_000_000];

/** A growable Float64 column. */
export class F64Column {
  data: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** Per-horizon markout accumulators (index 0 = at the fill, then each horizon). */
export interface MarkoutSums {
  /** Σ s·x·(m − p), tick·lots. */
  ticksLots: number;
  /** Σ x over resolved fills, lots. */
  lots: number;
  /** Σ s·x·(m − p) in the quote currency. */
  quote: number;
  /** Σ x·p in the quote currency. */
  notional: number;
  fills: number;
}

export interface SymbolRecord {
  readonly instrument: Instrument;
  readonly positionLimitLots: number | null;
  // orders
  submits: number;
  modifies: number;
  cancels: number;
  canceledConfirms: number;
  expired: number;
  rejects: number;
  readonly rejectsByReason: Map<string, number>;
  quotedLots: number;
  quotedNotional: number;
  // fills
  fills: number;
  filledLots: number;
  filledNotional: number;
  makerFills: number;
  makerLots: number;
  makerNotional: number;
  positionLots: number;
  maxAbsPositionLots: number;
  readonly markouts: MarkoutSums[];
  // risk
  state: TradingState;
  stateSinceUs: number;
  haltedUs: number;
  reducingUs: number;
  haltTrips: number;
  reduceTrips: number;
  readonly tripsByReason: Map<string, number>;
  // samples (aligned with the account columns)
  readonly position: F64Column;
  readonly bestBid: F64Column;
  readonly bestAsk: F64Column;
  readonly mid: F64Column;
  readonly bidQuote: F64Column;
  readonly askQuote: F64Column;
  // chart markers (decimated): time, price ticks, side (0 buy / 1 sell), liquidity (0 maker / 1 taker)
  readonly chartFills: { ts: number[]; price: number[]; side: number[]; taker: number[]; stride: number; seen: number };
  // markout FIFO
  readonly pending: { ts: F64Column; sign: F64Column; price: F64Column; qty: F64Column; heads: number[] };
}

export class RunRecorder {
  readonly startUs: number;
  readonly sampleIntervalUs: number;
  readonly markoutHorizonsUs: readonly number[];
  readonly instruments: readonly Instrument[];
  readonly fills: FillsTable;
  readonly orders: OrdersTable;
  readonly spillDir: string | null;
  private readonly thread: EncodeThread | null;
  /** Account columns, one row per grid sample. */
  readonly sampleTs = new F64Column();
  readonly equity = new F64Column();
  readonly wallet = new F64Column();
  readonly unrealized = new F64Column();
  readonly spreadCapture = new F64Column();
  readonly inventory = new F64Column();
  readonly fees = new F64Column();
  readonly funding = new F64Column();
  readonly total = new F64Column();
  readonly fundingEvents: FundingSettlement[] = [];
  readonly riskEvents: RiskEventInput[] = [];
  endUs: number | null = null;
  private readonly bySymbol = new Map<string, number>();
  private readonly records: SymbolRecord[] = [];
  private readonly maxChartFills: number;

  constructor(o: RunRecorderOptions) {
    this.startUs = o.startUs;
    this.sampleIntervalUs = o.sampleIntervalUs ?? DEFAULT_SAMPLE_INTERVAL_US;
    if (!Number.isInteger(this.sampleIntervalUs) || this.sampleIntervalUs <= 0) throw new ConfigError(`sample interval must be a positive integer of µs, got ${this.sampleIntervalUs}`, { field: 'report.sampleIntervalUs' });
    this.markoutHorizonsUs = o.markoutHorizonsUs ?? DEFAULT_MARKOUT_HORIZONS_US;
    for (let i = 0; i < this.markoutHorizonsUs.length; i++) {
      const h = this.markoutHorizonsUs[i];
      if (!(h > 0) || (i > 0 && h <= this.markoutHorizonsUs[i - 1])) throw new ConfigError('markout horizons must be positive and increasing', { field: 'report.markoutHorizonsUs' });
    }
    this.maxChartFills = o.maxChartFills ?? 2000;
    this.instruments = [...o.instruments].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    const chunkRows = o.chunkRows ?? 16_384;
    this.spillDir = o.spillDir ?? null;
    const kv = { 'maker.table': '', 'maker.time_unit': 'microseconds since the Unix epoch (UTC)' };
    this.thread = o.encodeThread ? new EncodeThread(this.instruments, { bundle: o.encodeThread.bundle }) : null;
    this.fills = new FillsTable({ ...kv, 'maker.table': 'fills' }, this.spillDir === null ? null : join(this.spillDir, 'fills.parquet'), chunkRows, this.instruments, this.thread);
    this.orders = new OrdersTable({ ...kv, 'maker.table': 'orders' }, this.spillDir === null ? null : join(this.spillDir, 'orders.parquet'), chunkRows, this.instruments, this.thread);
    this.instruments.forEach((ins, i) => {
      this.bySymbol.set(ins.symbol.toUpperCase(), i);
      const F = (): F64Column => new F64Column();
      this.records.push({
        instrument: ins,
        positionLimitLots: o.positionLimitLots?.[ins.symbol] ?? null,
        submits: 0, modifies: 0, cancels: 0, canceledConfirms: 0, expired: 0, rejects: 0,
        rejectsByReason: new Map(), quotedLots: 0, quotedNotional: 0,
        fills: 0, filledLots: 0, filledNotional: 0, makerFills: 0, makerLots: 0, makerNotional: 0,
        positionLots: 0, maxAbsPositionLots: 0,
        markouts: Array.from({ length: this.markoutHorizonsUs.length + 1 }, () => ({ ticksLots: 0, lots: 0, quote: 0, notional: 0, fills: 0 })),
        state: 'ACTIVE', stateSinceUs: o.startUs, haltedUs: 0, reducingUs: 0, haltTrips: 0, reduceTrips: 0, tripsByReason: new Map(),
        position: F(), bestBid: F(), bestAsk: F(), mid: F(), bidQuote: F(), askQuote: F(),
        chartFills: { ts: [], price: [], side: [], taker: [], stride: 1, seen: 0 },
        pending: { ts: F(), sign: F(), price: F(), qty: F(), heads: this.markoutHorizonsUs.map(() => 0) },
      });
    });
  }

  /** Per-symbol records, sorted by symbol. */
  symbols(): readonly SymbolRecord[] {
    return this.records;
  }

  symbol(symbol: string): SymbolRecord {
    return this.records[this.indexOf(symbol)];
  }

  /** The next grid time strictly after `tsUs` (for the engine's sampling timer). */
  nextSampleUs(afterUs: number): number {
    const k = Math.floor((afterUs - this.startUs) / this.sampleIntervalUs) + 1;
    return this.startUs + Math.max(k, 0) * this.sampleIntervalUs;
  }

  onOrder(e: OrderEventInput): void {
    this.assertOpen();
    const idx = this.indexOf(e.symbol);
    const r = this.records[idx];
    const kind = ORDER_EVENT_KINDS.indexOf(e.kind);
    if (kind < 0) throw new ConfigError(`unknown order event kind "${e.kind}"`, { field: 'kind' });
    const qty = e.qtyLots ?? Number.NaN;
    const price = e.priceTicks ?? Number.NaN;
    switch (e.kind) {
      case 'submit':
      case 'modify':
        if (e.kind === 'submit') r.submits++;
        else r.modifies++;
        if (qty > 0) {
          r.quotedLots += qty;
          if (price > 0) r.quotedNotional += r.instrument.ticksToFloat(price) * r.instrument.lotsToFloat(qty);
        }
        break;
      case 'cancel':
        r.cancels++;
        break;
      case 'reject': {
        r.rejects++;
        const reason = e.reason === undefined || e.reason === '' ? 'UNKNOWN' : e.reason;
        r.rejectsByReason.set(reason, (r.rejectsByReason.get(reason) ?? 0) + 1);
        break;
      }
      case 'canceled':
        r.canceledConfirms++;
        break;
      case 'expired':
        r.expired++;
        break;
    }
    const side = e.side === undefined ? UNKNOWN : e.side === 'buy' ? 0 : 1;
    const type = e.orderType === undefined ? UNKNOWN : ORDER_TYPES.indexOf(e.orderType);
    const tif = e.timeInForce === undefined ? UNKNOWN : TIME_IN_FORCES.indexOf(e.timeInForce);
    const ro = e.reduceOnly === undefined ? UNKNOWN : e.reduceOnly ? 1 : 0;
    const orderId = e.orderId === undefined || e.orderId < 0 ? Number.NaN : e.orderId;
    this.orders.push(e.tsUs, idx, kind, e.clientOrderId, orderId, side, type, tif, price, qty, ro, e.reason ?? '');
  }

  onFill(f: FillEventInput): void {
    this.assertOpen();
    const idx = this.indexOf(f.symbol);
    const r = this.records[idx];
    const ins = r.instrument;
    const sign = f.side === 'buy' ? 1 : -1;
    const notional = ins.ticksToFloat(f.priceTicks) * ins.lotsToFloat(f.qtyLots);
    r.fills++;
    r.filledLots += f.qtyLots;
    r.filledNotional += notional;
    if (f.liquidity === 'maker') {
      r.makerFills++;
      r.makerLots += f.qtyLots;
      r.makerNotional += notional;
    }
    r.positionLots += sign * f.qtyLots;
    const abs = Math.abs(r.positionLots);
    if (abs > r.maxAbsPositionLots) r.maxAbsPositionLots = abs;
    if (Number.isFinite(f.midTicks)) this.addMarkout(r, 0, sign, f.priceTicks, f.qtyLots, f.midTicks);
    const p = r.pending;
    p.ts.push(f.tsUs);
    p.sign.push(sign);
    p.price.push(f.priceTicks);
    p.qty.push(f.qtyLots);
    this.keepChartFill(r, f.tsUs, f.priceTicks, sign > 0 ? 0 : 1, f.liquidity === 'taker' ? 1 : 0);
    this.fills.push(f.tsUs, idx, sign < 0, f.priceTicks, f.qtyLots, f.liquidity === 'taker', f.commission, f.midTicks, f.orderId, f.clientOrderId);
  }

  onRiskEvent(e: RiskEventInput): void {
    this.assertOpen();
    const r = this.records[this.indexOf(e.symbol)];
    this.closeStateInterval(r, e.tsUs);
    r.state = e.to;
    r.stateSinceUs = e.tsUs;
    if (e.from !== e.to) {
      if (e.to === 'HALTED') r.haltTrips++;
      if (e.to === 'REDUCING') r.reduceTrips++;
      if (e.to !== 'ACTIVE') {
        const key = `${e.to}:${e.reason === '' ? 'UNKNOWN' : e.reason}`;
        r.tripsByReason.set(key, (r.tripsByReason.get(key) ?? 0) + 1);
      }
    }
    this.riskEvents.push({ tsUs: e.tsUs, symbol: r.instrument.symbol, from: e.from, to: e.to, reason: e.reason });
  }

  onFunding(e: FundingSettlement): void {
    this.assertOpen();
    const r = this.records[this.indexOf(e.symbol)];
    this.fundingEvents.push({ ...e, symbol: r.instrument.symbol });
  }

  /** One grid sample: the account and every symbol (any order; each symbol at most once). */
  sample(tsUs: number, account: AccountSample, symbols: readonly SymbolSample[]): void {
    this.assertOpen();
    const n = this.sampleTs.length;
    if ((tsUs - this.startUs) % this.sampleIntervalUs !== 0 || tsUs < this.startUs) {
      throw new InvariantError(`sample at ${tsUs} µs is off the grid ${this.startUs} + k·${this.sampleIntervalUs}`);
    }
    if (n > 0 && tsUs <= this.sampleTs.data[n - 1]) throw new InvariantError(`sample at ${tsUs} µs does not follow the previous one at ${this.sampleTs.data[n - 1]} µs`);
    this.sampleTs.push(tsUs);
    this.equity.push(account.equity);
    this.wallet.push(account.wallet);
    this.unrealized.push(account.unrealized);
    this.spreadCapture.push(account.spreadCapture);
    this.inventory.push(account.inventory);
    this.fees.push(account.fees);
    this.funding.push(account.funding);
    this.total.push(account.total);
    for (let i = 0; i < symbols.length; i++) {
      const s = symbols[i];
      const r = this.records[this.indexOf(s.symbol)];
      if (r.position.length !== n) throw new InvariantError(`symbol ${s.symbol} sampled twice at ${tsUs} µs`);
      r.position.push(s.positionLots);
      r.bestBid.push(s.bestBidTicks > 0 ? s.bestBidTicks : Number.NaN);
      r.bestAsk.push(s.bestAskTicks > 0 ? s.bestAskTicks : Number.NaN);
      r.mid.push(s.midTicks > 0 ? s.midTicks : Number.NaN);
      r.bidQuote.push(s.bidQuoteTicks > 0 ? s.bidQuoteTicks : Number.NaN);
      r.askQuote.push(s.askQuoteTicks > 0 ? s.askQuoteTicks : Number.NaN);
      if (s.midTicks > 0) this.resolveMarkouts(r, tsUs, s.midTicks);
    }
    // A symbol the engine did not mention keeps its last values (forward fill).
    for (const r of this.records) {
      if (r.position.length === n + 1) continue;
      const last = n - 1;
      r.position.push(last >= 0 ? r.position.data[last] : 0);
      r.bestBid.push(last >= 0 ? r.bestBid.data[last] : Number.NaN);
      r.bestAsk.push(last >= 0 ? r.bestAsk.data[last] : Number.NaN);
      r.mid.push(last >= 0 ? r.mid.data[last] : Number.NaN);
      r.bidQuote.push(last >= 0 ? r.bidQuote.data[last] : Number.NaN);
      r.askQuote.push(last >= 0 ? r.askQuote.data[last] : Number.NaN);
    }
  }

  /** Ends the run: closes risk-state intervals and the fills/orders tables. */
  finish(endUs: number): void {
    this.assertOpen();
    this.endUs = endUs;
    for (const r of this.records) this.closeStateInterval(r, endUs);
    this.fills.finish();
    this.orders.finish();
  }

  /**
   * After `finish`: resolves once fills.parquet and orders.parquet are complete (at once without an
   * encode thread; with one, when the worker has written them, and then ends the worker); rejects
   * with the first error writing them.
   */
  async settled(): Promise<void> {
    try {
      await Promise.all([this.fills.settled(), this.orders.settled()]);
    } finally {
      await this.thread?.terminate();
    }
  }

  /** Whether the encode thread was started (tests and the bench read it to see which path ran). */
  get encodeThreadStarted(): boolean {
    return this.thread?.started ?? false;
  }

  /** Closes spilled files without footers (after an error) and ends the encode thread. */
  abort(): void {
    this.fills.abort();
    this.orders.abort();
    this.thread?.close();
  }

  /** Fills still waiting for a later mid at horizon k (unresolved at the end of the run). */
  unresolvedMarkouts(symbol: string, k: number): number {
    const r = this.symbol(symbol);
    return r.pending.ts.length - r.pending.heads[k];
  }

  private indexOf(symbol: string): number {
    const i = this.bySymbol.get(symbol) ?? this.bySymbol.get(symbol.toUpperCase());
    if (i === undefined) throw new ConfigError(`report: symbol ${symbol} is not one of the run's instruments`, { field: 'symbol' });
    return i;
  }

  private assertOpen(): void {
    if (this.endUs !== null) throw new InvariantError('RunRecorder used after finish()');
  }

  private closeStateInterval(r: SymbolRecord, tsUs: number): void {
    const d = Math.max(0, tsUs - r.stateSinceUs);
    if (r.state === 'HALTED') r.haltedUs += d;
    else if (r.state === 'REDUCING') r.reducingUs += d;
    r.stateSinceUs = tsUs;
  }

  private addMarkout(r: SymbolRecord, k: number, sign: number, priceTicks: number, qtyLots: number, midTicks: number): void {
    const ins = r.instrument;
    const m = r.markouts[k];
    const edgeTicks = sign * (midTicks - priceTicks);
    const qty = ins.lotsToFloat(qtyLots);
    m.ticksLots += edgeTicks * qtyLots;
    m.lots += qtyLots;
    m.quote += ins.ticksToFloat(edgeTicks) * qty;
    m.notional += ins.ticksToFloat(priceTicks) * qty;
    m.fills++;
  }

  /** Every pending fill whose time + h ≤ tsUs gets this sample's mid as its m_{t+h}. */
  private resolveMarkouts(r: SymbolRecord, tsUs: number, midTicks: number): void {
    const p = r.pending;
    const hs = this.markoutHorizonsUs;
    const ts = p.ts.data;
    let minHead = Infinity;
    for (let k = 0; k < hs.length; k++) {
      let h = p.heads[k];
      while (h < p.ts.length && ts[h] + hs[k] <= tsUs) {
        this.addMarkout(r, k + 1, p.sign.data[h], p.price.data[h], p.qty.data[h], midTicks);
        h++;
      }
      p.heads[k] = h;
      if (h < minHead) minHead = h;
    }
    // Compact the FIFO once its resolved prefix dominates, so it holds ~the last longest-horizon of fills.
    if (minHead > 1024 && minHead * 2 > p.ts.length) {
      for (const col of [p.ts, p.sign, p.price, p.qty]) {
        col.data.copyWithin(0, minHead, col.length);
        col.length -= minHead;
      }
      for (let k = 0; k < hs.length; k++) p.heads[k] -= minHead;
    }
  }

  /** Keeps every `stride`-th fill; when the cap is reached, drops every other kept one and doubles the stride. */
  private keepChartFill(r: SymbolRecord, ts: number, price: number, side: number, taker: number): void {
    const c = r.chartFills;
    const k = c.seen++;
    if (k % c.stride !== 0) return;
    c.ts.push(ts);
    c.price.push(price);
    c.side.push(side);
    c.taker.push(taker);
    if (c.ts.length >= this.maxChartFills) {
      for (const arr of [c.ts, c.price, c.side, c.taker]) {
        let w = 0;
        for (let i = 0; i < arr.length; i += 2) arr[w++] = arr[i];
        arr.length = w;
      }
      c.stride *= 2;
    }
  }
}
