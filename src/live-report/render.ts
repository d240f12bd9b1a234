/**
 * The "live vs simulated" section of a live session's report.html (trusted HTML: every value
 * escaped here). Deterministic: fixed number formats, symbols sorted, no generation time.
 */
import { esc } from '../backtest/index.ts';
import type { RunMetrics } from '../backtest/index.ts';
import type { Instrument } from '../model/instrument.ts';
import type { Scenario } from '../scenario/index.ts';
import { fillStats, matchByOrder, matchByTime, type OrderMatch, type TimeMatch } from './compare.ts';
import type { SideRecord } from './record.ts';

/** The comparison as data (also returned by `liveSessionReport`, e.g. for `--json`). */
export interface LiveVsSimulated {
  readonly symbols: {
    symbol: string;
    live: ReturnType<typeof fillStats>;
    simulated: ReturnType<typeof fillStats>;
    byOrder: OrderMatch;
    byTime: TimeMatch;
    markoutsBps: { horizonSeconds: number; live: number | null; simulated: number | null; liveFills: number; simulatedFills: number }[];
  }[];
  readonly pnl: { component: string; live: string; simulated: string }[];
  readonly asset: string;
}

export function compareSides(instruments: readonly Instrument[], live: SideRecord, sim: SideRecord): LiveVsSimulated {
  const symbols = [...instruments].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)).map((inst) => {
    const sym = inst.symbol;
    const lm = live.metrics.symbols.find((x) => x.symbol === sym);
    const sm = sim.metrics.symbols.find((x) => x.symbol === sym);
    const horizons = (lm ?? sm)?.markouts ?? [];
    return {
      symbol: sym,
      live: fillStats(live.fills.filter((f) => f.symbol === sym), inst),
      simulated: fillStats(sim.fills.filter((f) => f.symbol === sym), inst),
      byOrder: matchByOrder(sym, live.orders, sim.orders, live.fills, sim.fills),
      byTime: matchByTime(sym, live.fills, sim.fills),
      markoutsBps: horizons.map((h, k) => ({ horizonSeconds: h.horizonSeconds, live: lm?.markouts[k]?.bps ?? null, simulated: sm?.markouts[k]?.bps ?? null, liveFills: lm?.markouts[k]?.fills ?? 0, simulatedFills: sm?.markouts[k]?.fills ?? 0 })),
    };
  });
  const lp = live.metrics.pnl;
  const sp = sim.metrics.pnl;
  const pnl = (['spreadCapture', 'inventory', 'fees', 'funding', 'total'] as const).map((k) => ({ component: k, live: lp[k], simulated: sp[k] }));
  return { symbols, pnl, asset: lp.asset };
}

const num = (v: number | null, digits = 6): string => (v === null || !Number.isFinite(v) ? '–' : Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(digits))));
const pct = (v: number | null): string => (v === null ? '–' : `${num(100 * v, 4)} %`);
const ms = (us: number | null): string => (us === null ? '–' : `${num(us / 1000, 4)} ms`);

const rejects = (m: RunMetrics): string => {
  const e = Object.entries(m.rejectsByReason);
  return e.length === 0 ? 'none' : e.map(([k, v]) => `${esc(k)}: ${v}`).join(', ');
};

function table(head: string[], rows: string[][]): string {
  return `<table><tr>${head.map((h, i) => `<th${i === 0 ? ' class="k"' : ''}>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c, i) => `<td${i === 0 ? ' class="k"' : ''}>${c}</td>`).join('')}</tr>`).join('')}</table>`;
}

/** What the simulator models differently from the session, in words, from the scenario. */
export function differencesCaption(s: Scenario, paper: boolean, venue: string): string[] {
  const l = s.execution.orderLatency;
  const f = s.execution.feedLatency;
  const q = s.execution.queue;
  const latency =
    l.model === 'constant'
      ? `a constant ${num(l.entryUs / 1000)} ms to reach the exchange and ${num(l.responseUs / 1000)} ms back`
      : l.model === 'random'
        ? `random (${l.distribution}, means ${num(l.entryMeanUs / 1000)} / ${num(l.responseMeanUs / 1000)} ms above ${num(l.minUs / 1000)} ms)`
        : l.model === 'feed'
          ? `derived from the feed's latency (× ${l.entryMultiplier} + ${num(l.entryOffsetUs / 1000)} ms out, × ${l.responseMultiplier} + ${num(l.responseOffsetUs / 1000)} ms back)`
          : `replayed from ${l.file ?? 'a file'}`;
  const queue = q.model === 'risk-averse' ? 'risk-averse (our place in the queue advances only on trades at our price)' : `${q.model} (variant ${q.variant}${q.model === 'prob-power' ? `, power ${q.power}` : ''})`;
  const where = paper ? 'the in-process local exchange of --paper (the same simulated matching engine and queue model, but at wall-clock time, on its own replay of the market, with real loopback round trips)' : `the venue at ${venue} (its real matching engine and queue; the real network)`;
  return [
    `The live fills happened on ${where}. The simulated fills are a backtest of the same scenario (strategy, signals, risk, OMS, fees: execution section) on the market the session received, as a store.`,
    `Latency: the simulator's orders take ${latency}; its market events reach the exchange side ${f.model === 'constant' ? `${num(f.latencyUs / 1000)} ms` : 'with the recorded feed latency'} before the trader sees them. Live, every round trip took what the network and the venue took (tick-to-order latency in summary.json).${
      paper
        ? ' On --paper the local exchange runs in the session\'s process, so a stall of the process (a loaded machine, a long garbage collection) stalls its replay too and shows in the recorded feed latency; the simulation instead gives its exchange each event at its exchange time and fires the trader\'s timers during the stall, which makes -5022 rejections, and fills, more frequent than on paper.'
        : ''
    }`,
    `Queue: the simulator places our orders by the ${queue} model${s.execution.partialFills ? '' : ', without partial fills'}${s.execution.crossingFills ? ', and fills on a book move through our price' : ''}; ${paper ? 'the local exchange uses the same model on its own view of the market' : 'the venue fills by its real queue, which nothing in the recorded data shows'}.`,
    'Market: the store holds only what the session received (nothing during a stream gap; receive times are the session\'s clock; no other participant reacts to our simulated orders). Account: the simulation starts from the scenario\'s balances, flat and with no order; the live core took the venue\'s account snapshot (and any adopted position or orders).',
    'Divergence: the two cores decide identically only while they saw the same fills; after the first fill that differs, positions, quotes and therefore order numbers differ, so "same orders" counts how long the decisions agreed, and the time match pairs fills regardless of which decision made them.',
  ];
}

export function renderLiveVsSimulated(c: LiveVsSimulated, live: RunMetrics, sim: RunMetrics, caption: readonly string[], simInfo: { marketEvents: number; determinismHash: string; meanFeedLatencyUs: number }): string {
  const parts: string[] = [];
  parts.push(`<p>${caption.map(esc).join('</p><p>')}</p>`);
  const overall: string[][] = [
    ['orders placed', num(live.trading.ordersPlaced), num(sim.trading.ordersPlaced)],
    ['fills', num(live.trading.fills), num(sim.trading.fills)],
    [`traded notional (${esc(c.asset)})`, num(live.trading.filledNotional), num(sim.trading.filledNotional)],
    ['maker share % (notional)', num(live.trading.makerShareNotionalPct, 4), num(sim.trading.makerShareNotionalPct, 4)],
    ['quote uptime % (two-sided)', num(live.trading.quoteUptimePct, 4), num(sim.trading.quoteUptimePct, 4)],
    ['risk: halts / reducing trips', `${live.risk.haltTrips} / ${live.risk.reduceTrips}`, `${sim.risk.haltTrips} / ${sim.risk.reduceTrips}`],
    ['rejects by code', rejects(live), rejects(sim)],
  ];
  parts.push(`<h3>Overall</h3>${table(['', 'live', 'simulated'], overall)}`);
  for (const s of c.symbols) {
    const sym = esc(s.symbol);
    const rows: string[][] = [
      ['fills (buy / sell)', `${s.live.fills} (${s.live.buyFills} / ${s.live.sellFills})`, `${s.simulated.fills} (${s.simulated.buyFills} / ${s.simulated.sellFills})`],
      ['filled quantity (lots)', num(s.live.qtyLots), num(s.simulated.qtyLots)],
      [`filled notional (${esc(c.asset)})`, num(s.live.notional), num(s.simulated.notional)],
      ['maker share % (quantity)', num(s.live.makerQtyPct, 4), num(s.simulated.makerQtyPct, 4)],
      ['volume-weighted buy price', num(s.live.vwapBuy, 10), num(s.simulated.vwapBuy, 10)],
      ['volume-weighted sell price', num(s.live.vwapSell, 10), num(s.simulated.vwapSell, 10)],
      [`commissions (${esc(c.asset)})`, num(s.live.commission), num(s.simulated.commission)],
      ...s.markoutsBps.map((m) => [`markout ${m.horizonSeconds} s (bps; fills)`, `${num(m.live, 4)} (${m.liveFills})`, `${num(m.simulated, 4)} (${m.simulatedFills})`]),
    ];
    const o = s.byOrder;
    const t = s.byTime;
    const match: string[][] = [
      ['orders: live / simulated / the same order on both', `${o.liveOrders} / ${o.simOrders} / ${o.sameOrders}${o.firstDifferentOrder === null ? '' : ` (first different: order ${esc(o.firstDifferentOrder)})`}`],
      ['same orders filled on both / live only / simulated only', `${o.filledBoth} / ${o.filledLiveOnly} / ${o.filledSimOnly}`],
      ['match rate by order (filled on both / filled on either, same orders)', pct(o.matchRate)],
      [`fills paired by time (same side and price within ±${num(t.windowUs / 1000)} ms)`, `${t.paired} of ${t.liveFills} live, of ${t.simFills} simulated`],
      ['match rate by time: live fills paired / simulated fills paired', `${pct(t.liveMatchedRate)} / ${pct(t.simMatchedRate)}`],
      ['paired fills: mean |simulated − live| time, largest, mean simulated − live', `${ms(t.meanAbsOffsetUs)}, ${ms(t.maxAbsOffsetUs)}, ${ms(t.meanOffsetUs)}`],
    ];
    parts.push(`<h3>${sym}: fills and markouts</h3>${table(['', 'live', 'simulated'], rows)}<h3>${sym}: matching</h3>${table(['', ''], match)}`);
  }
  parts.push(`<h3>PnL decomposition (${esc(c.asset)}, exact)</h3>${table(['component', 'live', 'simulated'], c.pnl.map((p) => [esc(p.component), esc(p.live), esc(p.simulated)]))}`);
  parts.push(`<p class="note">The simulation replayed ${simInfo.marketEvents} market events (mean feed latency it applied, receive − exchange time: ${ms(simInfo.meanFeedLatencyUs)}: the simulated exchange sees each event that much before the trader, which makes post-only rejections (-5022) and fills of resting quotes more likely than live); its determinism hash (event log) is <span class="mono">${esc(simInfo.determinismHash)}</span>. Markouts: docs/METRICS.md (live: the mid of the core's own book on the same sample grid). Definitions of the matching: docs/LIVE.md "Session report".</p>`);
  return `<section id="live-vs-simulated"><h2>Live vs simulated</h2>${parts.join('')}</section>`;
}

export function unavailableSection(why: string): string {
  return `<section id="live-vs-simulated"><h2>Live vs simulated</h2><div class="warn">The simulated side could not be built: ${esc(why)}</div></section>`;
}
