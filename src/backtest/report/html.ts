/**
 * report.html: one self-contained page (inline CSS and SVG; no script, no fonts, no external
 * resource) that opens offline. The bytes depend only on the run: no generation time, sorted
 * iteration everywhere, fixed number formatting. Sections (each an element with a stable id):
 * run-info (with the data-quality warnings and notes), configuration (the resolved scenario),
 * data-quality, metrics, equity, drawdown, position-<SYMBOL>, quotes-<SYMBOL> (+ a zoomed window),
 * pnl-components, markouts.
 */
import { configRows } from './config-view.ts';
import { drawdownSeries, type RunMetrics } from './metrics.ts';
import { fmtDuration, fmtPct, type DataQuality } from './quality.ts';
import { describeReject } from './reasons.ts';
import type { RunRecorder, SymbolRecord } from './recorder.ts';
import { downsampleMinMax, esc, fmtNum, pick, renderChart, type LineSeries, type MarkerSeries } from './svg.ts';
import { REIMPORT_FOR_MATCH_TIME } from '../../store/index.ts';

export interface RunInfo {
  runId: string;
  scenarioName: string;
  /** Scenario file the run came from, as given. */
  scenarioSource?: string;
  seed: number | string;
  dataFingerprint: string;
  codeVersion: string;
  /** e.g. "full depth (diffs + snapshots)" or "top of book only (bookTicker + trades)". */
  dataKind?: string;
  determinismHash: string;
}

/** What the page shows besides the recorder and the metrics (all optional). */
export interface ReportExtras {
  /** The resolved scenario (summary.json's `scenario`). */
  scenario?: unknown;
  dataQuality?: DataQuality | null;
  notes?: readonly string[];
  /** The page's heading before the scenario name (default `maker backtest`; a live session's report says `maker live`). */
  title?: string;
  /** Whole sections (trusted HTML, escaped by their maker) appended after the markouts, e.g. the live report's "live vs simulated". */
  sections?: readonly string[];
}

export const MAX_CHART_POINTS = 2000;
/** Width of the zoomed quotes window, µs. */
export const ZOOM_WINDOW_US = 120_000_000;

const COLORS = { net: '#1f77b4', gross: '#9467bd', dd: '#d62728', pos: '#2c3e50', limit: '#d62728', bid: '#2ca02c', ask: '#d62728', qbid: '#17becf', qask: '#ff7f0e', spread: '#2ca02c', inventory: '#1f77b4', fees: '#d62728', funding: '#bcbd22', total: '#111111' };

export const REPORT_CSS = `body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:16px 24px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 8px}h2{font-size:15px;margin:22px 0 6px;border-bottom:1px solid #ddd;padding-bottom:3px}
table{border-collapse:collapse;margin:4px 0}td,th{border:1px solid #ddd;padding:2px 8px;text-align:right;font-variant-numeric:tabular-nums}
th{background:#f4f4f4}td.k,th.k{text-align:left}.info td{text-align:left}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
svg{display:block;margin:4px 0}svg .t{font-size:13px;font-weight:600;fill:#222}svg .a{font-size:11px;fill:#555}svg .m{font-size:12px;fill:#888}
svg .g{stroke:#eee;stroke-width:1}svg .f{fill:none;stroke:#bbb}.grid{display:flex;flex-wrap:wrap;gap:0 32px}.note{color:#666;font-size:12px}
.warn{background:#fff3f3;border:1px solid #d62728;color:#8b0000;padding:6px 10px;margin:8px 0}.warn li,.notes li{margin:2px 0}
.notes{background:#fffbe6;border:1px solid #e0c050;padding:6px 10px;margin:8px 0}.cfg td:last-child{text-align:left;max-width:1100px}`;

/** A number for tables: fixed significant digits, "–" for null. */
function cell(v: number | string | null | undefined, digits = 6): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') return esc(v);
  if (!Number.isFinite(v)) return '–';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(digits)));
}

function utc(us: number | null): string {
  if (us === null) return '–';
  return new Date(Math.floor(us / 1000)).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

function kvTable(rows: [string, string][], cls = ''): string {
  return `<table class="${cls}">${rows.map(([k, v]) => `<tr><td class="k">${esc(k)}</td><td>${v}</td></tr>`).join('')}</table>`;
}

/** Downsamples one (x, y) series to at most MAX_CHART_POINTS. */
function ds(xs: Float64Array, ys: ArrayLike<number>): { xs: number[]; ys: number[] } {
  const idx = downsampleMinMax(ys, MAX_CHART_POINTS);
  return { xs: pick(xs, idx), ys: pick(ys, idx) };
}

function line(name: string, color: string, xs: Float64Array, ys: ArrayLike<number>, extra: Partial<LineSeries> = {}): LineSeries {
  return { name, color, ...ds(xs, ys), ...extra };
}

function mapTicks(r: SymbolRecord, col: Float64Array): Float64Array {
  const out = new Float64Array(col.length);
  for (let i = 0; i < col.length; i++) out[i] = Number.isFinite(col[i]) ? r.instrument.ticksToFloat(col[i]) : Number.NaN;
  return out;
}

function fillMarkers(r: SymbolRecord, fromUs: number, toUs: number): MarkerSeries[] {
  const c = r.chartFills;
  const groups: [string, string, 'up' | 'down', boolean, number, number][] = [
    ['buy maker', COLORS.bid, 'up', true, 0, 0],
    ['buy taker', COLORS.bid, 'up', false, 0, 1],
    ['sell maker', COLORS.ask, 'down', true, 1, 0],
    ['sell taker', COLORS.ask, 'down', false, 1, 1],
  ];
  return groups.map(([name, color, shape, filled, side, taker]) => {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < c.ts.length; i++) {
      if (c.side[i] !== side || c.taker[i] !== taker || c.ts[i] < fromUs || c.ts[i] > toUs) continue;
      xs.push(c.ts[i]);
      ys.push(r.instrument.ticksToFloat(c.price[i]));
    }
    return { name, color, shape, filled, xs, ys };
  });
}

function quotesChart(r: SymbolRecord, ts: Float64Array, fromIdx: number, toIdx: number, title: string): string {
  const sub = (a: Float64Array): Float64Array => a.subarray(fromIdx, toIdx);
  const t = sub(ts);
  const bid = sub(mapTicks(r, r.bestBid.view()));
  const ask = sub(mapTicks(r, r.bestAsk.view()));
  const qb = sub(mapTicks(r, r.bidQuote.view()));
  const qa = sub(mapTicks(r, r.askQuote.view()));
  const fromUs = t.length > 0 ? t[0] : 0;
  const toUs = t.length > 0 ? t[t.length - 1] : 0;
  return renderChart({
    title,
    yLabel: `price (${r.instrument.spec.quoteAsset || 'quote'})`,
    lines: [
      line('best bid', COLORS.bid, t, bid, { step: true, width: 1 }),
      line('best ask', COLORS.ask, t, ask, { step: true, width: 1 }),
      line('our bid quote', COLORS.qbid, t, qb, { step: true, dash: '4 2' }),
      line('our ask quote', COLORS.qask, t, qa, { step: true, dash: '4 2' }),
    ],
    markers: fillMarkers(r, fromUs, toUs),
    height: 320,
  });
}

/** Cumulative PnL components stacked: positive parts above 0, negative parts below, plus the total. */
function pnlChart(rec: RunRecorder, ts: Float64Array, unit: string): string {
  const comps: [string, string, Float64Array][] = [
    ['spread capture', COLORS.spread, rec.spreadCapture.view()],
    ['inventory', COLORS.inventory, rec.inventory.view()],
    ['− fees', COLORS.fees, rec.fees.view().map((v) => -v)],
    ['funding', COLORS.funding, rec.funding.view()],
  ];
  const idx = downsampleMinMax(rec.total.view(), MAX_CHART_POINTS);
  const xs = pick(ts, idx);
  const posBase = new Float64Array(idx.length);
  const negBase = new Float64Array(idx.length);
  const areas = comps.map(([name, color, v]) => {
    const lo: number[] = [];
    const hi: number[] = [];
    idx.forEach((i, j) => {
      const x = v[i];
      if (x >= 0) {
        lo.push(posBase[j]);
        hi.push((posBase[j] += x));
      } else {
        hi.push(negBase[j]);
        lo.push((negBase[j] += x));
      }
    });
    return { name, color, xs, lo, hi };
  });
  return renderChart({
    title: 'Cumulative PnL components (stacked; positive above zero, negative below)',
    yLabel: `PnL (${unit})`,
    areas,
    lines: [{ name: 'total', color: COLORS.total, xs, ys: pick(rec.total.view(), idx), width: 1.6 }],
  });
}

function markoutChart(m: RunMetrics): string {
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b'];
  const lines: LineSeries[] = [];
  const markers: MarkerSeries[] = [];
  // Horizons are evenly spaced (0, 1, 5, 30, 60 s would crowd the short ones on a linear axis).
  const horizons = m.markoutsBps.map((x) => x.horizonSeconds);
  const add = (name: string, color: string, pts: { h: number; v: number | null }[]): void => {
    const xs = pts.filter((p) => p.v !== null).map((p) => horizons.indexOf(p.h));
    const ys = pts.filter((p) => p.v !== null).map((p) => p.v as number);
    lines.push({ name, color, xs, ys });
    markers.push({ name: '', color, shape: 'circle', filled: true, xs, ys });
  };
  add('all symbols', '#111111', m.markoutsBps.map((x) => ({ h: x.horizonSeconds, v: x.bps })));
  if (m.symbols.length > 1) m.symbols.forEach((s, i) => add(s.symbol, palette[i % palette.length], s.markouts.map((x) => ({ h: x.horizonSeconds, v: x.bps }))));
  return renderChart({ title: 'Markout curve: mean s·(m(t+h) − p), notional-weighted', yLabel: 'markout (bps)', xLabel: 'horizon h (s)', xTicks: horizons.map((_, i) => i), xTickLabels: horizons.map((h) => `${h} s`), lines, markers, hlines: [{ y: 0, color: '#888', label: '0' }], height: 280 });
}

function metricsTables(m: RunMetrics): string {
  const u = m.pnl.asset === '' ? '' : ` (${m.pnl.asset})`;
  const overall: [string, string][] = [
    [`total PnL${u}`, cell(m.pnl.total)],
    [`spread capture${u}`, cell(m.pnl.spreadCapture)],
    [`inventory PnL${u}`, cell(m.pnl.inventory)],
    [`fees (paid +, rebates −)${u}`, cell(m.pnl.fees)],
    [`funding (received +)${u}`, cell(m.pnl.funding)],
    [`initial capital${u}`, cell(m.pnl.initialCapital)],
    [`final equity${u}`, cell(m.pnl.finalEquity)],
    ['return %', cell(m.pnl.returnPct)],
    [`Sharpe (${m.ratios.returnIntervalSeconds} s returns, annualised × √${cell(m.ratios.annualisationFactor ** 2)})`, `${cell(m.ratios.sharpe, 4)} <span class="note">(${esc(m.ratios.note)})</span>`],
    ['Sortino (same basis)', `${cell(m.ratios.sortino, 4)} <span class="note">(${m.ratios.returns} returns; minimum ${m.ratios.minReturns})</span>`],
    [`max drawdown${u} (samples + start and end)`, cell(m.drawdown.maxAbs)],
    ['max drawdown %', cell(m.drawdown.maxPct, 4)],
    ['longest time under water (s)', cell(m.drawdown.maxDurationSeconds)],
    ['max-drawdown peak → trough → recovery', `${utc(m.drawdown.peakUs)} → ${utc(m.drawdown.troughUs)} → ${m.drawdown.recoveryUs === null ? 'not recovered' : utc(m.drawdown.recoveryUs)}`],
    ['orders placed', cell(m.trading.ordersPlaced)],
    ['fills', cell(m.trading.fills)],
    ['fill ratio (filled / quoted notional)', cell(m.trading.fillRatioNotional, 4)],
    ['fills per order placed', cell(m.trading.fillsPerOrder, 4)],
    ['order-to-trade ratio', cell(m.trading.orderToTradeRatio, 4)],
    ['quote uptime % (two-sided)', cell(m.trading.quoteUptimePct, 4)],
    ['maker share % (notional)', cell(m.trading.makerShareNotionalPct, 4)],
    [`traded notional${u}`, cell(m.trading.filledNotional)],
    ['turnover (notional / capital / day)', cell(m.trading.turnoverPerDay, 4)],
    ['risk: halts / reducing trips', `${m.risk.haltTrips} / ${m.risk.reduceTrips}`],
    ['risk: time halted / reducing (s)', `${cell(m.risk.haltedSeconds)} / ${cell(m.risk.reducingSeconds)}`],
    ['funding settlements', cell(m.fundingPayments)],
    ['rejects by reason', Object.keys(m.rejectsByReason).length === 0 ? 'none' : Object.entries(m.rejectsByReason).map(([k, v]) => `${esc(k)} ${esc(m.rejectReasons?.[k] ?? describeReject(k))}: ${v}`).join('<br>')],
  ];
  const cols: [string, (s: RunMetrics['symbols'][number]) => string][] = [
    ['symbol', (s) => esc(s.symbol)],
    ['orders', (s) => cell(s.ordersPlaced)],
    ['fills', (s) => cell(s.fills)],
    ['fill ratio (qty)', (s) => cell(s.fillRatioQty, 4)],
    ['OTR', (s) => cell(s.orderToTradeRatio, 4)],
    ['uptime %', (s) => cell(s.quoteUptimePct, 4)],
    ['maker % qty', (s) => cell(s.makerShareQtyPct, 4)],
    ['mean q', (s) => cell(s.inventory.meanQty, 4)],
    ['mean |q|', (s) => cell(s.inventory.meanAbsQty, 4)],
    ['max |q|', (s) => cell(s.inventory.maxAbsQty)],
    ['% at limit', (s) => cell(s.inventory.pctTimeAtLimit, 4)],
    ...(m.symbols[0]?.markouts ?? []).map((mk, k): [string, (s: RunMetrics['symbols'][number]) => string] => [`markout ${mk.horizonSeconds}s ticks / bps`, (s) => `${cell(s.markouts[k].ticks, 4)} / ${cell(s.markouts[k].bps, 4)}`]),
    ['halts', (s) => cell(s.risk.haltTrips)],
  ];
  const symTable = `<table><tr>${cols.map(([h], i) => `<th${i === 0 ? ' class="k"' : ''}>${esc(h)}</th>`).join('')}</tr>${m.symbols.map((s) => `<tr>${cols.map(([, f], i) => `<td${i === 0 ? ' class="k"' : ''}>${f(s)}</td>`).join('')}</tr>`).join('')}</table>`;
  return `${kvTable(overall)}<h3>Per symbol</h3>${symTable}`;
}

function configSection(scenario: unknown): string {
  const rows = configRows(scenario, true).map(([k, v]): [string, string] => [k, esc(v)]);
  return `<section id="configuration"><h2>Configuration (resolved: every default filled in)</h2>${kvTable(rows, 'info cfg')}<p class="note">The whole resolved scenario is summary.json's <span class="mono">scenario</span>; keys: docs/SCENARIO.md.</p></section>`;
}

/** The store files the run read, against their recorded SHA-256, and damaged imports. */
function storeHtml(q: DataQuality): string {
  const st = q.store;
  if (st === undefined) return '';
  const items = [`${st.verified} file(s) read matched their recorded SHA-256`];
  if (st.unverified.length > 0) items.push(`${st.unverified.length} file(s) have no recorded hash (written before maker-store/3; re-import to verify): ${st.unverified.map(esc).join(', ')}`);
  for (const d of st.damaged) items.push(`<strong>damaged, read anyway (data.verify: false)</strong>: ${esc(d.path)}: ${esc(d.message)}`);
  for (const d of st.inputDamage) items.push(`<strong>${esc(d.symbol)} ${esc(d.date)}</strong> imported from damaged input (${d.count} place(s)): ${d.first.map((f) => `${esc(f.file)}:${f.line} ${esc(f.kind)}`).join('; ')}`);
  for (const d of st.noMatchTime) items.push(`<strong>${esc(d.symbol)} ${esc(d.date)}</strong> has no match time T in ${d.tables.map(esc).join(', ')} (stored before maker-store/4: T = E); to fix: ${esc(REIMPORT_FOR_MATCH_TIME)}`);
  return `<h3>Store files</h3><ul>${items.map((t) => `<li>${t}</li>`).join('')}</ul>`;
}

function dataQualitySection(q: DataQuality): string {
  const streamCols = ['symbol', 'stream', 'events', 'first (receive time)', 'last', 'covered', 'coverage', 'longest silence'];
  const streamRows = q.symbols.flatMap((s) =>
    s.streams.map((x) => [
      esc(s.symbol),
      esc(x.stream) + (x.requested ? ' (asked for)' : ''),
      x.events === 0 ? 'none' : String(x.events),
      utc(x.firstUs),
      utc(x.lastUs),
      x.events === 0 ? '–' : esc(fmtDuration(x.coveredSeconds)),
      x.events === 0 ? 'no events' : esc(fmtPct(x.coveragePct)),
      x.longestSilenceSeconds === null ? '–' : `${esc(fmtDuration(x.longestSilenceSeconds))} from ${utc(x.longestSilenceFromUs)}`,
    ]),
  );
  const table = (cols: string[], rows: string[][]): string =>
    `<table><tr>${cols.map((h, i) => `<th${i < 2 ? ' class="k"' : ''}>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c, i) => `<td${i < 2 ? ' class="k"' : ''}>${c}</td>`).join('')}</tr>`).join('')}</table>`;
  const bookCols = ['symbol', 'book', 'first book event', 'first valid book', 'valid', 'out of sync', 'of which initial sync', 'gaps', 'resyncs', 'crossed', 'stream drops'];
  const bookRows = q.symbols.map((s) => {
    const b = s.book;
    return [esc(s.symbol), esc(b.mode), utc(b.firstBookEventUs), utc(b.firstValidUs), `${esc(fmtDuration(b.validSeconds))} (${esc(fmtPct(b.validPct))})`, `${esc(fmtDuration(b.outOfSyncSeconds))} (${esc(fmtPct(b.outOfSyncPct))})`, esc(fmtDuration(b.initialSyncSeconds)), String(b.gaps), String(b.resyncs), String(b.crossed), String(b.streamDowns)];
  });
  const episodes = q.symbols
    .filter((s) => s.book.episodes.length > 0)
    .map((s) => `<p class="note">${esc(s.symbol)} out-of-sync episodes (${s.book.episodesTotal}${s.book.episodesTotal > s.book.episodes.length ? `, first ${s.book.episodes.length} shown` : ''}): ${s.book.episodes.map((e) => `${utc(e.fromUs)} → ${e.toUs === null ? 'end of run' : utc(e.toUs)} (${esc(fmtDuration(e.seconds))}, ${esc(e.cause)})`).join('; ')}</p>`)
    .join('');
  const quoteCols = ['symbol', 'first quote', 'time to first quote', 'decisions before', 'why not before (time each reason held)'];
  const quoteRows = q.symbols.map((s) => {
    const x = s.quoting;
    return [esc(s.symbol), x.firstQuoteUs === null ? 'never' : utc(x.firstQuoteUs), x.secondsToFirstQuote === null ? 'never' : esc(fmtDuration(x.secondsToFirstQuote)), String(x.decisionsBefore), x.reasons.length === 0 ? '–' : x.reasons.map((r) => `${esc(r.reason)}: ${esc(fmtDuration(r.seconds))} (${r.decisions} decision${r.decisions === 1 ? "" : "s"})`).join('<br>')];
  });
  return (
    `<section id="data-quality"><h2>Data quality</h2>` +
    `<p>Requested: ${esc(q.requested.text)} (${esc(fmtDuration(q.requested.seconds))}); run ${utc(q.run.startUs)} → ${utc(q.run.endUs)} (${esc(fmtDuration(q.run.seconds))}). Warnings below ${q.thresholds.minCoveragePct} % coverage and above ${q.thresholds.maxOutOfSyncPct} % out of sync.</p>` +
    `<h3>Coverage (receive time)</h3>${table(streamCols, streamRows)}` +
    `<h3>The trader's book</h3>${table(bookCols, bookRows)}${episodes}` +
    `<h3>First quote</h3>${table(quoteCols, quoteRows)}` +
    storeHtml(q) +
    `<p class="note">Definitions: docs/METRICS.md, "Data quality".</p></section>`
  );
}

function warningsBox(q: DataQuality | null | undefined, notes: readonly string[]): string {
  let out = '';
  if (q && q.warnings.length > 0) out += `<div class="warn" id="warnings"><strong>Data-quality warnings (${q.warnings.length}):</strong><ul>${q.warnings.map((w) => `<li>[${esc(w.code)}] ${esc(w.message)}</li>`).join('')}</ul></div>`;
  if (notes.length > 0) out += `<div class="notes" id="notes"><strong>Notes:</strong><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></div>`;
  return out;
}

/** The whole page. */
export function renderReportHtml(info: RunInfo, m: RunMetrics, rec: RunRecorder, extra: ReportExtras = {}): string {
  const ts = rec.sampleTs.view();
  const eq = rec.equity.view();
  const fees = rec.fees.view();
  const gross = eq.map((v, i) => v + fees[i]);
  // The underwater chart is drawn on the series the drawdown metric uses: start, samples, end.
  const dd = drawdownSeries(ts, eq, { us: m.period.startUs, equity: m.equity.initial ?? Number.NaN }, { us: m.period.endUs, equity: m.equity.final ?? Number.NaN });
  const underwater = new Float64Array(dd.equity.length);
  let peak = -Infinity;
  for (let i = 0; i < dd.equity.length; i++) {
    if (dd.equity[i] > peak) peak = dd.equity[i];
    underwater[i] = dd.equity[i] - peak;
  }
  const uw = ds(dd.ts, underwater);
  const unit = m.pnl.asset || 'margin asset';
  const sections: string[] = [];
  const specRows = rec.instruments.map((ins) => `${esc(ins.symbol)}: ${esc(ins.spec.source.kind)}${ins.spec.source.file ? ` (${esc(ins.spec.source.file)})` : ''} as of ${esc(ins.spec.source.asOf)}; tick ${esc(ins.spec.tickSize)}, step ${esc(ins.spec.stepSize)}`).join('<br>');
  sections.push(
    `<section id="run-info"><h1>${esc(extra.title ?? 'maker backtest')} — ${esc(info.scenarioName)}</h1>${kvTable(
      [
        ['run id', `<span class="mono">${esc(info.runId)}</span>`],
        ['scenario', esc(info.scenarioName) + (info.scenarioSource ? ` (<span class="mono">${esc(info.scenarioSource)}</span>)` : '')],
        ['seed', esc(String(info.seed))],
        ['period', `${utc(m.period.startUs)} → ${utc(m.period.endUs)} (${cell(m.period.durationSeconds)} s; ${m.period.samples} samples every ${cell(m.period.sampleIntervalSeconds)} s)`],
        ['market data', esc(info.dataKind ?? 'not stated')],
        ['data fingerprint', `<span class="mono">${esc(info.dataFingerprint)}</span>`],
        ['code version', `<span class="mono">${esc(info.codeVersion)}</span>`],
        ['instrument specs', specRows],
        ['determinism hash', `<span class="mono">${esc(info.determinismHash)}</span>`],
        ['money', `exact decimals in ${esc(unit)} (the margin asset); charts in floats`],
      ],
      'info',
    )}${warningsBox(extra.dataQuality, extra.notes ?? [])}</section>`,
  );
  if (extra.scenario !== undefined) sections.push(configSection(extra.scenario));
  if (extra.dataQuality) sections.push(dataQualitySection(extra.dataQuality));
  sections.push(`<section id="metrics"><h2>Metrics</h2>${metricsTables(m)}<p class="note">Definitions: docs/METRICS.md. Charts are downsampled to ≤ ${MAX_CHART_POINTS} points per series, keeping each bucket's minimum and maximum.</p></section>`);
  sections.push(`<section id="equity"><h2>Equity</h2>${renderChart({ title: 'Equity, net and gross of fees', yLabel: `equity (${unit})`, lines: [line('net of fees', COLORS.net, ts, eq, { width: 1.6 }), line('gross of fees', COLORS.gross, ts, gross, { dash: '5 3' })] })}</section>`);
  sections.push(`<section id="drawdown"><h2>Drawdown</h2>${renderChart({ title: 'Underwater: equity − running peak (from the initial capital at the start to the final equity at the end)', yLabel: `drawdown (${unit})`, areas: [{ name: 'drawdown', color: COLORS.dd, xs: uw.xs, lo: uw.ys, hi: uw.ys.map(() => 0), opacity: 0.35 }], lines: [{ name: 'equity − peak', color: COLORS.dd, xs: uw.xs, ys: uw.ys }] })}</section>`);
  for (const r of rec.symbols()) {
    const sym = esc(r.instrument.symbol);
    const q = r.position.view().map((v) => r.instrument.lotsToFloat(v));
    const lim = r.positionLimitLots === null ? null : r.instrument.lotsToFloat(r.positionLimitLots);
    sections.push(
      `<section id="position-${sym}"><h2>Position — ${sym}</h2>${renderChart({
        title: `Position ${sym}${lim === null ? ' (no limit known)' : ` with ±${fmtNum(lim)} limit bands`}`,
        yLabel: `position (${r.instrument.spec.baseAsset || 'base'})`,
        lines: [line('position', COLORS.pos, ts, q, { step: true, width: 1.4 })],
        hlines: lim === null ? [] : [{ y: lim, color: COLORS.limit, label: `+limit ${fmtNum(lim)}` }, { y: -lim, color: COLORS.limit, label: `−limit ${fmtNum(lim)}` }, { y: 0, color: '#999', label: '', dash: '2 3' }],
      })}</section>`,
    );
    // Zoom: the ZOOM_WINDOW_US of samples ending at the last kept fill marker (or the run's end).
    const c = r.chartFills;
    const endUs = c.ts.length > 0 ? c.ts[c.ts.length - 1] : ts.length > 0 ? ts[ts.length - 1] : 0;
    let zTo = 0;
    while (zTo < ts.length && ts[zTo] <= endUs + rec.sampleIntervalUs) zTo++;
    let zFrom = zTo;
    while (zFrom > 0 && ts[zFrom - 1] >= endUs - ZOOM_WINDOW_US) zFrom--;
    sections.push(
      `<section id="quotes-${sym}"><h2>Quotes vs best bid/ask — ${sym}</h2>${quotesChart(r, ts, 0, ts.length, `Our quotes vs BBO, whole run (fills: ▲ buy, ▼ sell; filled = maker, hollow = taker${c.stride > 1 ? `; every ${c.stride}th fill shown` : ''})`)}${quotesChart(r, ts, zFrom, zTo, `Zoom: the ${ZOOM_WINDOW_US / 1e6} s up to the last fill shown`)}</section>`,
    );
  }
  sections.push(`<section id="pnl-components"><h2>PnL decomposition</h2>${pnlChart(rec, ts, unit)}<p class="note">total = spread capture + inventory − fees + funding (exactly, from the ledger, in ${esc(unit)}: ${esc(m.pnl.spreadCapture)} + ${esc(m.pnl.inventory)} − ${esc(m.pnl.fees)} + ${esc(m.pnl.funding)} = ${esc(m.pnl.total)}).</p></section>`);
  sections.push(`<section id="markouts"><h2>Markouts</h2>${markoutChart(m)}<p class="note">m(t+h) is the mid of the first sample at or after t+h (grid ${cell(m.period.sampleIntervalSeconds)} s), so the effective horizon lies in [h, h + grid); h = 0 uses the mid at the fill.</p></section>`);
  sections.push(...(extra.sections ?? []));
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>maker report — ${esc(info.scenarioName)} — ${esc(info.runId)}</title><style>${REPORT_CSS}</style></head><body>\n${sections.join('\n')}\n</body></html>\n`;
}
