/**
 * `/metrics` of the live dashboard: the session in Prometheus text format (prom-client, a registry
 * of its own, never the global one). Names and labels are listed in docs/METRICS.md ("Live
 * metrics"); `LIVE_METRIC_NAMES` is that list, and a test checks a scrape against it.
 *
 * Nothing is counted twice and nothing is counted on the trading loop: counters the session
 * already keeps (runner, feed, user stream, REST budget, the dashboard's bus listeners) are read
 * when Prometheus scrapes (`collect`), and the only per-event work is the latency histograms'
 * `observe` (one per input that gave commands). Money gauges are floats of the ledger's exact
 * strings (for charts; the ledger stays exact).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SessionView } from '../session.ts';
import { feedSymbols, type DashboardState } from './state.ts';

export const LIVE_METRIC_NAMES = [
  'maker_live_market_events_total',
  'maker_live_stream_messages_total',
  'maker_live_stream_gaps_total',
  'maker_live_stream_reconnects_total',
  'maker_live_stream_downs_total',
  'maker_live_book_resyncs_total',
  'maker_live_stream_up',
  'maker_live_stream_last_message_age_seconds',
  'maker_live_book_valid',
  'maker_live_market_symbol_up',
  'maker_live_market_symbol_last_message_age_seconds',
  'maker_live_book_gaps_total',
  'maker_live_book_symbol_resyncs_total',
  'maker_live_orders_sent_total',
  'maker_live_orders_rejected_total',
  'maker_live_fills_total',
  'maker_live_position_lots',
  'maker_live_position_limit_lots',
  'maker_live_pnl',
  'maker_live_equity',
  'maker_live_risk_state',
  'maker_live_risk_transitions_total',
  'maker_live_paused',
  'maker_live_tick_to_order_seconds',
  'maker_live_report_to_command_seconds',
  'maker_live_rate_limit_used_weight_1m',
  'maker_live_rate_limit_orders',
  'maker_live_throttled_total',
] as const;

const RISK_STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;
const LATENCY_BUCKETS_S = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export interface LiveMetrics {
  readonly registry: Registry;
  /** A latency sample from the runner (`SessionOptions.onLatency`), ms. */
  observe(kind: 'tickToOrder' | 'reportToCommand', ms: number): void;
}

/**
 * The registry. `view()` is read at every scrape (undefined before the session's core exists: the
 * session gauges are then absent); `wallUs` gives the last-message ages.
 */
export function liveMetrics(view: () => SessionView | undefined, state: DashboardState, wallUs: () => number, o: { processMetrics?: boolean } = {}): LiveMetrics {
  const registry = new Registry();
  if (o.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
  /** A counter mirrored from a cumulative count kept elsewhere. */
  const mirror = <L extends string>(name: string, help: string, labelNames: readonly L[], read: (v: SessionView) => [Partial<Record<L, string>>, number][]): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        const v = view();
        if (v === undefined) return;
        for (const [labels, n] of read(v)) this.inc(labels as never, Math.max(0, n));
      },
    });
  };
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], read: (v: SessionView) => [Partial<Record<L, string>>, number][]): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        const v = view();
        if (v === undefined) return;
        for (const [labels, n] of read(v)) this.set(labels as never, n);
      },
    });
  };
  const feed = (v: SessionView): Record<string, unknown> => (v.feed ?? {}) as Record<string, unknown>;
  const user = (v: SessionView): Record<string, unknown> => (v.userStream ?? {}) as Record<string, unknown>;

  mirror('maker_live_market_events_total', 'Market events given to the trading core, by type (depth, snapshot, bookTicker, trade, markPrice, ...).', ['type'], (v) =>
    Object.keys(v.health.marketByType)
      .sort()
      .map((type) => [{ type }, v.health.marketByType[type]]),
  );
  mirror('maker_live_stream_messages_total', 'Market stream messages received (duplicates of a rotation and malformed ones included).', ['stream'], (v) => [[{ stream: 'market' }, num(feed(v).messages)]]);
  mirror('maker_live_stream_gaps_total', 'Sequence gaps: market depth diffs whose pu was not the last u; user-data stream gaps (drops, listenKey expiries).', ['stream'], (v) => [
    [{ stream: 'market' }, num(feed(v).gaps)],
    [{ stream: 'user' }, num(user(v).gaps)],
  ]);
  mirror('maker_live_stream_reconnects_total', 'Stream connections that dropped and were reconnected (market), or user-data stream connections after the first.', ['stream'], (v) => [
    [{ stream: 'market' }, num(feed(v).reconnects)],
    [{ stream: 'user' }, Math.max(0, num(user(v).connects) - 1)],
  ]);
  mirror('maker_live_stream_downs_total', 'Times the stream went down (market, user; orderEntry: the ws-fapi connection lost, only with live.orderEntry: ws).', ['stream'], (v) => [
    [{ stream: 'market' }, v.health.marketDowns],
    [{ stream: 'user' }, v.health.userDowns],
    ...(v.health.orderEntryUp === null ? [] : [[{ stream: 'orderEntry' }, v.health.orderEntryDowns] as [Partial<Record<'stream', string>>, number]]),
  ]);
  mirror('maker_live_book_resyncs_total', 'Depth snapshots delivered after the first of their symbol (book re-syncs).', [], (v) => [[{}, num(feed(v).resyncs)]]);
  gauge('maker_live_stream_up', '1 when the stream is up (user: and its account snapshot taken in; orderEntry: the ws-fapi connection open, only with live.orderEntry: ws), else 0.', ['stream'], (v) => [
    [{ stream: 'market' }, v.health.marketUp ? 1 : 0],
    [{ stream: 'user' }, v.health.userUp && v.health.accountSynced ? 1 : 0],
    ...(v.health.orderEntryUp === null ? [] : [[{ stream: 'orderEntry' }, v.health.orderEntryUp ? 1 : 0] as [Partial<Record<'stream', string>>, number]]),
  ]);
  gauge('maker_live_stream_last_message_age_seconds', 'Time since the last event of the stream (absent before the first).', ['stream'], (v) => {
    const now = wallUs();
    const out: [Partial<Record<'stream', string>>, number][] = [];
    if (v.health.marketLastUs > 0) out.push([{ stream: 'market' }, Math.max(0, now - v.health.marketLastUs) / 1e6]);
    if (v.health.userLastUs > 0) out.push([{ stream: 'user' }, Math.max(0, now - v.health.userLastUs) / 1e6]);
    return out;
  });
  gauge('maker_live_market_symbol_up', "1 when the symbol's market data is up (every route of it flowing and its depth synced), else 0.", ['symbol'], (v) => feedSymbols(v.feed).map((x) => [{ symbol: x.symbol }, x.up === true ? 1 : 0]));
  gauge('maker_live_market_symbol_last_message_age_seconds', "Time since the symbol's last market stream message (absent before the first).", ['symbol'], (v) => {
    const now = wallUs();
    return feedSymbols(v.feed)
      .filter((x) => x.lastMessageUs > 0)
      .map((x) => [{ symbol: x.symbol }, Math.max(0, now - x.lastMessageUs) / 1e6]);
  });
  mirror('maker_live_book_gaps_total', "Depth diffs of the symbol whose pu was not the last u (a missing diff: the book re-syncs).", ['symbol'], (v) => feedSymbols(v.feed).map((x) => [{ symbol: x.symbol }, x.gaps]));
  mirror('maker_live_book_symbol_resyncs_total', 'Depth snapshots delivered after the first of the symbol (book re-syncs), per symbol.', ['symbol'], (v) => feedSymbols(v.feed).map((x) => [{ symbol: x.symbol }, x.resyncs]));
  gauge('maker_live_book_valid', '1 when the book the strategy reads is synced and uncrossed.', ['symbol'], (v) => v.symbols.map((symbol) => [{ symbol }, v.core.book(symbol).isValid() ? 1 : 0]));
  mirror('maker_live_orders_sent_total', 'Venue commands sent, by kind (submit, cancel, modify, query).', ['kind'], (v) => Object.entries(v.runner.stats.sent).map(([kind, n]) => [{ kind }, n]));
  mirror('maker_live_orders_rejected_total', 'Orders the venue refused, by Binance error code (0: none given).', ['code'], () => [...state.rejectsByCode].sort((a, b) => a[0] - b[0]).map(([code, n]) => [{ code: String(code) }, n]));
  mirror('maker_live_fills_total', 'Fills of ours booked (reports that added quantity).', [], () => [[{}, state.fillCount]]);
  gauge('maker_live_position_lots', 'Position of the trading core, lots (long > 0).', ['symbol'], (v) => v.symbols.map((symbol) => [{ symbol }, v.core.portfolio.positionLots(symbol)]));
  gauge('maker_live_position_limit_lots', 'Risk limit on |position| (risk.maxPositionLots), lots.', ['symbol'], (v) => v.symbols.map((symbol) => [{ symbol }, v.core.config.risk.maxPositionLots]));
  gauge('maker_live_pnl', 'PnL since the start, margin asset: realized, unrealized, fees (paid > 0), funding (received > 0), total.', ['asset', 'component'], (v) => {
    const out: [Partial<Record<'asset' | 'component', string>>, number][] = [];
    for (const asset of assetsOf(v)) {
      const a = v.core.portfolio.accountSnapshot(asset);
      out.push([{ asset, component: 'realized' }, Number(a.realizedPnl)], [{ asset, component: 'unrealized' }, Number(a.unrealizedPnl)], [{ asset, component: 'fees' }, Number(a.fees)], [{ asset, component: 'funding' }, Number(a.funding)], [{ asset, component: 'total' }, Number(a.pnl.total)]);
    }
    return out;
  });
  gauge('maker_live_equity', 'Equity (wallet + unrealized) of the margin asset.', ['asset'], (v) => assetsOf(v).map((asset) => [{ asset }, Number(v.core.portfolio.accountSnapshot(asset).equity)]));
  gauge('maker_live_risk_state', '1 for the trading state the symbol is in (ACTIVE, REDUCING, HALTED), 0 for the others.', ['symbol', 'state'], (v) =>
    v.symbols.flatMap((symbol) => {
      const s = v.core.risk(symbol).state;
      return RISK_STATES.map((state): [Partial<Record<'symbol' | 'state', string>>, number] => [{ symbol, state }, s === state ? 1 : 0]);
    }),
  );
  mirror('maker_live_risk_transitions_total', 'Trading-state changes, by the state entered.', ['to'], () => [...state.tripsByState].sort().map(([to, n]) => [{ to }, n]));
  gauge('maker_live_paused', '1 while quoting the symbol is paused from the dashboard.', ['symbol'], (v) => v.symbols.map((symbol) => [{ symbol }, v.core.isPaused(symbol) ? 1 : 0]));
  gauge('maker_live_rate_limit_used_weight_1m', 'Request weight used this minute, as last known (Binance\'s X-MBX-USED-WEIGHT-1M or the local count).', [], (v) => [[{}, num(v.rest?.usedWeight1m)]]);
  gauge('maker_live_rate_limit_orders', 'Orders counted in the window, as last known (X-MBX-ORDER-COUNT-10S / -1M or the local count).', ['window'], (v) => [
    [{ window: '10s' }, num(v.rest?.orderCount10s)],
    [{ window: '1m' }, num(v.rest?.orderCount1m)],
  ]);
  mirror('maker_live_throttled_total', 'Requests kept back by the local rate budget plus 429/418 replies.', [], (v) => [[{}, num(v.rest?.throttled)]]);

  const tick = new Histogram({ name: 'maker_live_tick_to_order_seconds', help: 'Market event handed to the runner to the last command of its answer handed to the venue.', buckets: LATENCY_BUCKETS_S, registers });
  const report = new Histogram({ name: 'maker_live_report_to_command_seconds', help: 'Venue event handed to the runner to the last command of its answer handed to the venue.', buckets: LATENCY_BUCKETS_S, registers });
  return {
    registry,
    observe(kind, ms) {
      (kind === 'tickToOrder' ? tick : report).observe(ms / 1000);
    },
  };
}

function assetsOf(v: SessionView): string[] {
  return [...new Set(v.symbols.map((s) => v.instruments.get(s)!.spec.marginAsset))].sort();
}
