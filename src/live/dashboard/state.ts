/**
 * What the live dashboard shows, gathered off the trading loop (issue 13, the live part).
 *
 * Two halves:
 *  - bus listeners on the trading core (fills, risk state changes, rejects, pauses): each pushes
 *    a small record into a bounded ring (the last `FILLS_KEPT` fills, `TRIPS_KEPT` risk changes) or
 *    bumps a counter, and returns. Nothing here touches a socket, so the trading loop never waits
 *    on a browser;
 *  - `snapshot(nowUs)`: the whole page state as one plain JSON object, built from the core's views
 *    when the server wants to send one (at most every 250 ms, and only with a client connected).
 *
 * Units in the snapshot: prices and quantities exact decimal strings (the instrument's), money
 * exact decimal strings in the margin asset, times wall-clock ms, ages and latencies ms. Symbols in
 * the session's order; fills and trips newest first. Stream health (`streams`) is the session's
 * (`SessionHealth`), read when the snapshot is built; order entry is `{transport: 'rest'}` or
 * `{transport: 'ws', up, sinceMs, downs, lastDown}` (while down the core holds).
 */
import type { TradingCore } from '../../trader/index.ts';
import type { RouteFeedStats, SymbolFeedStats } from '../market-feed.ts';
import type { ShutdownResult, SessionView } from '../session.ts';

export const FILLS_KEPT = 50;
export const TRIPS_KEPT = 20;
export const CONTROLS_KEPT = 20;
/** Chart points kept; when full, every other point is dropped and the sampling interval doubles (the chart spans the whole session, evenly). */
export const SERIES_MAX = 600;

export interface FillRow {
  t: number;
  symbol: string;
  side: string;
  priceTicks: number;
  qtyLots: number;
  liquidity: string;
  fee: string;
  clientOrderId: string;
}

export interface TripRow {
  t: number;
  symbol: string;
  from: string;
  to: string;
  code: string | null;
  message: string;
}

/** One use of a control, as logged and shown. */
export interface ControlRow {
  t: number;
  action: string;
  symbol: string | null;
  from: string;
  outcome: string;
}

/** The kill switch's progress: `stopping` until the session's confirmed shutdown returns. */
export interface KillState {
  state: 'stopping' | 'done';
  reason: string;
  result: ShutdownResult | null;
}

export class DashboardState {
  readonly fills: FillRow[] = [];
  readonly trips: TripRow[] = [];
  readonly controls: ControlRow[] = [];
  /** Fills booked (lots > 0) and rejects by Binance code, since the core was attached. */
  fillCount = 0;
  readonly rejectsByCode = new Map<number, number>();
  /** Risk state changes by the state entered. */
  readonly tripsByState = new Map<string, number>();
  kill: KillState | null = null;
  /** [wall ms, equity of the first margin asset, position lots per symbol...]. */
  readonly series: number[][] = [];
  private lastSampleMs = Number.NEGATIVE_INFINITY;
  private sampleMs: number;

  constructor(o: { sampleMs?: number } = {}) {
    this.sampleMs = o.sampleMs ?? 1000;
  }

  /** Subscribes to the core's bus (call once, from the session's `onTrader`). `wallMs` stamps the rows. */
  attach(core: TradingCore, wallMs: () => number): void {
    core.bus.on('order.filled', (f) => {
      if (f.fillLots <= 0) return;
      this.fillCount++;
      ring(this.fills, FILLS_KEPT, {
        t: wallMs(),
        symbol: f.symbol,
        side: f.side,
        priceTicks: f.priceTicks,
        qtyLots: f.fillLots,
        liquidity: f.liquidity ?? '',
        fee: f.commission,
        clientOrderId: f.clientOrderId,
      });
    });
    core.bus.on('order.rejected', (e) => this.rejectsByCode.set(e.errorCode, (this.rejectsByCode.get(e.errorCode) ?? 0) + 1));
    core.bus.on('risk.stateChanged', (e) => {
      this.tripsByState.set(e.to, (this.tripsByState.get(e.to) ?? 0) + 1);
      ring(this.trips, TRIPS_KEPT, { t: wallMs(), symbol: e.symbol, from: e.from, to: e.to, code: e.code, message: e.message });
    });
  }

  control(row: ControlRow): void {
    ring(this.controls, CONTROLS_KEPT, row);
  }

  /** Adds a chart point when `sampleMs` has passed since the last one. */
  sample(nowMs: number, view: SessionView): void {
    if (nowMs - this.lastSampleMs < this.sampleMs) return;
    this.lastSampleMs = nowMs;
    const asset = view.instruments.get(view.symbols[0])?.spec.marginAsset;
    const equity = asset === undefined ? NaN : Number(view.core.portfolio.accountSnapshot(asset).equity);
    this.series.push([nowMs, equity, ...view.symbols.map((s) => view.core.portfolio.positionLots(s))]);
    if (this.series.length >= SERIES_MAX) {
      let k = 0;
      for (let i = 0; i < this.series.length; i += 2) this.series[k++] = this.series[i];
      this.series.length = k;
      this.sampleMs *= 2;
    }
  }

  /** The page state (see the header for units). */
  /**
   * `shutdown`: the session's confirmed shutdown once it stopped. The core hears nothing after the
   * stop (no stream), so its open orders are then the venue's answer: none for a symbol whose
   * cancels were confirmed.
   */
  snapshot(nowMs: number, view: SessionView | undefined, status: string, shutdown?: ShutdownResult): Record<string, unknown> {
    if (view === undefined) return { t: nowMs, status, symbols: [], kill: this.kill, controls: this.controls };
    this.sample(nowMs, view);
    const { core, health } = view;
    const risk = core.config.risk;
    const assets = new Set<string>();
    const symbols = view.symbols.map((symbol) => {
      const inst = view.instruments.get(symbol)!;
      assets.add(inst.spec.marginAsset);
      const book = core.book(symbol);
      const valid = book.isValid();
      const bid = book.bestBidTicks();
      const ask = book.bestAskTicks();
      const pos = core.portfolio.positionSnapshot(symbol);
      const rs = core.risk(symbol).status();
      const confirmedEmpty = shutdown !== undefined && shutdown.openOrdersLeft[symbol] === 0;
      const quotes = (confirmedEmpty ? [] : [...core.oms.liveOrders(symbol)]).map((o) => ({
        side: o.side,
        price: inst.ticksToPrice(o.priceTicks),
        qty: inst.lotsToQty(o.qtyLots - o.filledLots),
        state: o.state,
        unknown: o.unknown,
        ageMs: o.placedUs > 0 ? Math.max(0, Math.round(nowMs - o.placedUs / 1000)) : null,
        clientOrderId: o.clientOrderId,
      }));
      quotes.sort((a, b) => (a.side === b.side ? Number(b.price) - Number(a.price) : a.side === 'sell' ? -1 : 1));
      return {
        symbol,
        bid: Number.isFinite(bid) ? inst.ticksToPrice(bid) : null,
        ask: Number.isFinite(ask) ? inst.ticksToPrice(ask) : null,
        bookValid: valid,
        paused: core.isPaused(symbol),
        risk: { state: rs.state, code: rs.cause?.code ?? null, message: rs.cause?.message ?? '' },
        position: pos.positionQty,
        positionLots: pos.positionLots,
        limit: inst.lotsToQty(risk.maxPositionLots),
        limitLots: risk.maxPositionLots,
        avgEntry: pos.avgEntryPrice,
        mark: pos.markPrice,
        realized: pos.realizedPnl,
        unrealized: pos.unrealizedPnl,
        fees: pos.fees,
        funding: pos.funding,
        quotes,
      };
    });
    const account = [...assets].sort().map((asset) => {
      const a = core.portfolio.accountSnapshot(asset);
      return { asset, equity: a.equity, wallet: a.walletBalance, unrealized: a.unrealizedPnl, realized: a.realizedPnl, fees: a.fees, funding: a.funding, total: a.pnl.total };
    });
    const feed = (view.feed ?? {}) as Record<string, number | string>;
    const user = (view.userStream ?? {}) as Record<string, number | string>;
    const rest = view.rest ?? {};
    const age = (us: number): number | null => (us > 0 ? Math.max(0, Math.round(nowMs - us / 1000)) : null);
    return {
      t: nowMs,
      status,
      runId: view.runId,
      startedMs: Math.floor(view.startedUs / 1000),
      symbols,
      account,
      fills: this.fills.map((f) => {
        const inst = view.instruments.get(f.symbol);
        return { t: f.t, symbol: f.symbol, side: f.side, price: inst?.ticksToPrice(f.priceTicks) ?? '', qty: inst?.lotsToQty(f.qtyLots) ?? '', liquidity: f.liquidity, fee: f.fee, clientOrderId: f.clientOrderId };
      }),
      fillCount: this.fillCount,
      trips: this.trips,
      controls: this.controls,
      kill: this.kill,
      streams: {
        market: { up: health.marketUp, lastAgeMs: age(health.marketLastUs), downs: health.marketDowns, lastDown: health.lastMarketDown, messages: feed.messages ?? 0, gaps: feed.gaps ?? 0, resyncs: feed.resyncs ?? 0, reconnects: feed.reconnects ?? 0 },
        user: { up: health.userUp, synced: health.accountSynced, lastAgeMs: age(health.userLastUs), downs: health.userDowns, lastDown: health.lastUserDown, gaps: user.gaps ?? 0, connects: user.connects ?? 0, rotations: user.rotations ?? 0 },
        // Per symbol and per connection route, from the live market feed (absent with a feed that keeps none).
        symbols: feedSymbols(view.feed).map((x) => ({ symbol: x.symbol, up: x.up, down: x.down, depth: x.depth, lastAgeMs: age(x.lastMessageUs), messages: x.messages, gaps: x.gaps, resyncs: x.resyncs, downs: x.downs })),
        routes: feedRoutes(view.feed),
        // REST order entry has no connection to lose: only its transport is shown.
        orderEntry:
          health.orderEntryUp === null
            ? { transport: 'rest' }
            : { transport: 'ws', up: health.orderEntryUp, sinceMs: Math.floor(health.orderEntrySinceUs / 1000), downs: health.orderEntryDowns, lastDown: health.lastOrderEntryDown },
      },
      rate: { usedWeight1m: rest.usedWeight1m ?? 0, orderCount10s: rest.orderCount10s ?? 0, orderCount1m: rest.orderCount1m ?? 0, throttled: rest.throttled ?? 0, throttles: view.throttles },
      latency: { tickToOrder: view.runner.tickToOrder.summary(), reportToCommand: view.runner.reportToCommand.summary() },
      orders: { ...view.runner.stats.sent, rejects: Object.fromEntries([...this.rejectsByCode].sort((a, b) => a[0] - b[0])) },
      series: { columns: ['t', 'equity', ...view.symbols], asset: account[0]?.asset ?? '', points: this.series },
    };
  }
}

/** The feed's per-symbol rows, when it keeps them (`LiveMarketFeed.stats.symbols`). */
export function feedSymbols(feed: unknown): SymbolFeedStats[] {
  const rows = (feed as { symbols?: unknown } | null)?.symbols;
  return Array.isArray(rows) ? (rows as SymbolFeedStats[]) : [];
}

function feedRoutes(feed: unknown): RouteFeedStats[] {
  const rows = (feed as { routes?: unknown } | null)?.routes;
  return Array.isArray(rows) ? (rows as RouteFeedStats[]) : [];
}

function ring<T>(list: T[], cap: number, row: T): void {
  list.unshift(row);
  if (list.length > cap) list.length = cap;
}
