/**
 * What one side of the comparison did, as the report needs it: the backtest's `RunRecorder` (so
 * the live session gets the backtest's report, charts and metrics) plus the plain lists the
 * comparison matches (orders as the core created them, fills as the core booked them).
 *
 * Both sides are heard from the same place, the trading core's bus (`order.created`,
 * `order.filled`), so a live fill and a simulated fill are counted the same way: once per lot the
 * core booked, at the exchange time of its report, duplicates and reordering already removed by
 * the OMS.
 *
 * The live side (`recordLiveSession`) is the session's core rebuilt by `replayJournal` over the
 * journal (the replay proves it is the session's core: same commands, bit for bit). It is sampled
 * on the scenario's grid from the journal's first record: at grid time g, the state after every
 * input journalled at or before g; the market is the core's own book (what the session saw).
 *
 * Units: µs, ticks, lots; money exact decimal strings (PnL) and floats (charts, statistics).
 */
import type { TradingCore } from '../trader/index.ts';
import type { OrderState } from '../oms/index.ts';
import type { Instrument } from '../model/instrument.ts';
import type { Side } from '../model/events.ts';
import type { Liquidity } from '../model/venue.ts';
import { formatScaled, parseDecimal, subScaled } from '../model/money.ts';
import { computeMetrics, RunRecorder, type RunMetrics } from '../backtest/index.ts';
import { replayJournal, type JournalHeader, type ReplayResult } from '../live/index.ts';
import type { Scenario } from '../scenario/index.ts';

/** An order as the core created it (its first price and quantity). */
export interface CreatedOrder {
  readonly symbol: string;
  readonly clientOrderId: string;
  /** The counter at the end of the client order id (`mk-<tag>-<n>`, base 36): the n-th order either core made. */
  readonly seq: string;
  readonly side: Side;
  readonly priceTicks: number;
  readonly qtyLots: number;
  readonly tsUs: number;
}

/** A fill as the core booked it. */
export interface BookedFill {
  readonly symbol: string;
  readonly clientOrderId: string;
  readonly seq: string;
  readonly side: Side;
  readonly priceTicks: number;
  readonly qtyLots: number;
  readonly liquidity: Liquidity;
  readonly commission: string;
  /** Exchange time of the fill's report, µs. */
  readonly tsUs: number;
}

export interface SideRecord {
  readonly recorder: RunRecorder;
  readonly metrics: RunMetrics;
  readonly orders: readonly CreatedOrder[];
  readonly fills: readonly BookedFill[];
}

/** The order counter of a client order id (`<prefix>-<run tag>-<n>`: the text after the last `-`). */
export function orderSeq(clientOrderId: string): string {
  return clientOrderId.slice(clientOrderId.lastIndexOf('-') + 1);
}

/**
 * Whether an order of the core rests at the venue as far as the core knows: acknowledged and not
 * yet confirmed gone. A pending modify or cancel still rests at its acknowledged price until the
 * venue says otherwise (the backtest's side samples the simulated exchange's open orders: the
 * same); an order whose outcome is unknown is not counted.
 */
export function restsAtVenue(o: { readonly state: OrderState; readonly unknown: boolean }): boolean {
  if (o.unknown) return false;
  return o.state === 'open' || o.state === 'partially-filled' || o.state === 'pending-modify' || o.state === 'pending-cancel';
}

/** Listens to a core's orders and fills (both sides call this on their core before its first input). */
export function collectOrdersAndFills(core: TradingCore, orders: CreatedOrder[], fills: BookedFill[], onFill?: (f: BookedFill, midTicks: number) => void): void {
  core.bus.on('order.created', (e) => {
    const o = e.order;
    orders.push({ symbol: o.symbol, clientOrderId: o.clientOrderId, seq: orderSeq(o.clientOrderId), side: o.side, priceTicks: o.priceTicks, qtyLots: o.qtyLots, tsUs: e.tsUs });
  });
  core.bus.on('order.filled', (f) => {
    if (f.fillLots <= 0) return; // a late trade whose lots a status report already counted: its commission only
    const order = core.oms.order(f.clientOrderId);
    // As the core books it: an inferred fill of a resting limit order was a maker fill.
    const liquidity: Liquidity = f.liquidity ?? (order !== undefined && order.type === 'LIMIT' && (order.timeInForce === 'GTX' || order.timeInForce === 'GTC') ? 'maker' : 'taker');
    const fill: BookedFill = { symbol: f.symbol, clientOrderId: f.clientOrderId, seq: orderSeq(f.clientOrderId), side: f.side, priceTicks: f.priceTicks, qtyLots: f.fillLots, liquidity, commission: f.commission === '' ? '0' : f.commission, tsUs: f.tsExchangeUs };
    fills.push(fill);
    if (onFill !== undefined) {
      const book = core.book(f.symbol);
      const bid = book.bestBidTicks();
      const ask = book.bestAskTicks();
      onFill(fill, book.isValid() && bid > 0 && ask > bid ? (bid + ask) / 2 : Number.NaN);
    }
  });
}

export interface LiveSideRecord extends SideRecord {
  readonly replay: ReplayResult;
  readonly scenario: Scenario;
  readonly instruments: readonly Instrument[];
  readonly startUs: number;
  readonly endUs: number;
  readonly header: JournalHeader;
  /** Positions of the core at the end, lots. */
  readonly positions: Record<string, number>;
}

/** The live session, recorded from its journal (see the header). */
export function recordLiveSession(runDir: string): LiveSideRecord {
  let rec: RunRecorder | undefined;
  let core!: TradingCore;
  let scenario!: Scenario;
  let instruments: readonly Instrument[] = [];
  let startUs = 0;
  let endUs = 0;
  let header!: JournalHeader;
  let asset = '';
  const orders: CreatedOrder[] = [];
  const fills: BookedFill[] = [];
  const sample = (t: number): void => {
    const snap = core.portfolio.snapshot(t);
    rec!.sample(
      t,
      { equity: snap.equityFloat(asset), wallet: snap.walletFloat(asset), unrealized: snap.unrealizedFloat(asset), ...snap.pnlFloats(asset) },
      instruments.map((i) => {
        const book = core.book(i.symbol);
        const valid = book.isValid();
        const bid = valid ? book.bestBidTicks() : Number.NaN;
        const ask = valid ? book.bestAskTicks() : Number.NaN;
        let bidQuote = Number.NaN;
        let askQuote = Number.NaN;
        for (const o of core.oms.liveOrders(i.symbol)) {
          if (!restsAtVenue(o)) continue;
          if (o.side === 'buy' && !(o.priceTicks <= bidQuote)) bidQuote = o.priceTicks;
          if (o.side === 'sell' && !(o.priceTicks >= askQuote)) askQuote = o.priceTicks;
        }
        return { symbol: i.symbol, positionLots: core.portfolio.positionLots(i.symbol), bestBidTicks: bid, bestAskTicks: ask, midTicks: bid > 0 && ask > bid ? (bid + ask) / 2 : Number.NaN, bidQuoteTicks: bidQuote, askQuoteTicks: askQuote };
      }),
    );
  };
  let nextSampleUs = Number.POSITIVE_INFINITY;
  let positionLimits: Record<string, number> = {};
  const sampleBefore = (tUs: number): void => {
    while (nextSampleUs < tUs) {
      sample(nextSampleUs);
      nextSampleUs += rec!.sampleIntervalUs;
    }
  };
  const replay = replayJournal(runDir, {
    onCore(c, s, ins, h) {
      header = h;
      core = c;
      scenario = s;
      instruments = ins;
      asset = ins[0].spec.marginAsset.toUpperCase();
      const limits: Record<string, number> = {};
      for (const i of ins) limits[i.symbol] = Math.min(s.trader.risk.maxPositionLots, s.trader.strategy.maxPositionLots);
      const r = (): RunRecorder => rec!;
      collectOrdersAndFills(c, orders, fills, (f, mid) =>
        r().onFill({ tsUs: f.tsUs, symbol: f.symbol, side: f.side, priceTicks: f.priceTicks, qtyLots: f.qtyLots, liquidity: f.liquidity, commission: f.commission, midTicks: mid, orderId: c.oms.order(f.clientOrderId)?.orderId ?? -1, clientOrderId: f.clientOrderId }),
      );
      c.bus.on('risk.stateChanged', (e) => r().onRiskEvent({ tsUs: e.tsUs, symbol: e.symbol, from: e.from, to: e.to, reason: e.code ?? e.trigger }));
      c.bus.on('order.rejected', (e) => r().onOrder({ tsUs: e.tsUs, symbol: e.order.symbol, kind: 'reject', clientOrderId: e.order.clientOrderId, orderId: e.order.orderId, side: e.order.side, priceTicks: e.order.priceTicks, qtyLots: e.order.qtyLots, reason: String(e.errorCode) }));
      c.bus.on('order.canceled', (e) => r().onOrder({ tsUs: e.tsUs, symbol: e.order.symbol, kind: 'canceled', clientOrderId: e.order.clientOrderId, orderId: e.order.orderId }));
      c.bus.on('order.expired', (e) => r().onOrder({ tsUs: e.tsUs, symbol: e.order.symbol, kind: 'expired', clientOrderId: e.order.clientOrderId, orderId: e.order.orderId }));
      positionLimits = limits;
    },
    beforeInput(r) {
      // The recorder's grid starts at the first input (the session's start, after its account snapshot was asked for).
      if (rec === undefined) {
        startUs = r.tUs;
        rec = new RunRecorder({ instruments, startUs, sampleIntervalUs: scenario.report.sampleIntervalUs, positionLimitLots: positionLimits });
        nextSampleUs = startUs;
      }
      sampleBefore(r.tUs);
      if (r.tag === 'V' && r.event.kind === 'funding') rec.onFunding(r.event.settlement);
    },
    afterInput(tUs, cmds) {
      for (const cmd of cmds) {
        if (cmd.kind === 'submit') {
          const o = cmd.order;
          rec!.onOrder({ tsUs: tUs, symbol: o.symbol, kind: 'submit', clientOrderId: o.clientOrderId, side: o.side, orderType: o.type, timeInForce: o.timeInForce, priceTicks: o.priceTicks, qtyLots: o.qtyLots, reduceOnly: o.reduceOnly });
        } else if (cmd.kind === 'cancel') rec!.onOrder({ tsUs: tUs, symbol: cmd.symbol, kind: 'cancel', clientOrderId: cmd.clientOrderId });
        else if (cmd.kind === 'modify') rec!.onOrder({ tsUs: tUs, symbol: cmd.symbol, kind: 'modify', clientOrderId: cmd.clientOrderId, side: cmd.side, priceTicks: cmd.priceTicks, qtyLots: cmd.qtyLots });
      }
    },
    onEnd(t) {
      endUs = t;
    },
  });
  if (rec === undefined) {
    // A journal with a header only: an empty recorder over no time.
    startUs = endUs;
    rec = new RunRecorder({ instruments, startUs, sampleIntervalUs: scenario.report.sampleIntervalUs, positionLimitLots: positionLimits });
    nextSampleUs = startUs;
  }
  sampleBefore(endUs + 1);
  rec.finish(endUs);
  const account = core.portfolio.accountSnapshot(asset);
  // The capital the core started from: its equity less what it earned (the venue's wallet when the
  // first account snapshot replaced the scenario's balance).
  const initialCapital = (() => {
    const d = subScaled(parseDecimal(account.equity, 'equity'), parseDecimal(account.pnl.total, 'pnl.total'));
    return formatScaled(d.units, d.scale);
  })();
  const metrics = computeMetrics(rec, { initialCapital, pnl: account.pnl, returnIntervalUs: scenario.report.returnIntervalUs });
  const positions: Record<string, number> = {};
  for (const i of instruments) positions[i.symbol] = core.portfolio.positionLots(i.symbol);
  return { recorder: rec, metrics, orders, fills, replay, scenario, instruments, startUs, endUs, header, positions };
}
