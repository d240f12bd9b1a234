/**
 * The pages of `maker ui`, rendered on the server as whole HTML documents: no build step, no CDN,
 * no external resource (fonts, scripts and images are inline or absent), so they work offline. Every
 * value from a summary goes through `esc`. The only script is the run list's column sort
 * (`LIST_SCRIPT`), allowed by its hash in the Content-Security-Policy the server sends.
 *
 * Units: money in the run's margin asset, as the summary writes it (exact decimals as given);
 * percentages as %, Sharpe/Sortino annualised as the summary says; times UTC. Charts of the
 * comparison: x is UTC time when every run starts at the same instant, else seconds since each run's
 * start (so runs over different periods overlay).
 */
import { createHash } from 'node:crypto';
import { downsampleMinMax, esc, fmtNum, renderChart, REPORT_CSS, type LineSeries } from '../backtest/index.ts';
import type { RunEntry, RunMetrics } from './runs.ts';
import type { RunSeries } from './series.ts';

export const MAX_COMPARE = 8;
const CHART_POINTS = 1500;
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const UI_CSS = `${REPORT_CSS}
nav{margin:0 0 10px;color:#666}nav a{margin-right:12px}
th[data-col]{cursor:pointer;user-select:none}th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td.s-ok{color:#2ca02c}td.s-partial,td.s-in-progress{color:#b8860b}td.s-broken,td.s-link{color:#d62728}
td.why{text-align:left;min-width:260px;max-width:520px;white-space:normal;font-size:12px;color:#8b0000}
td.q-bad{color:#d62728}td.q-ok{color:#2ca02c}.neg{color:#d62728}.pos{color:#2ca02c}
.bar{display:flex;gap:12px;align-items:center;margin:6px 0}`;

/** Sorts the run table by a click on a header: numbers as numbers, empty cells last, stable. */
export const LIST_SCRIPT = `'use strict';
for (const th of document.querySelectorAll('#runs th[data-col]')) th.addEventListener('click', () => {
  const table = th.closest('table'), head = th.parentNode, i = Array.prototype.indexOf.call(head.children, th);
  const dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
  for (const o of head.children) o.removeAttribute('aria-sort');
  th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
  const num = th.dataset.type === 'num', body = table.tBodies[0], rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = a.cells[i].dataset.v, y = b.cells[i].dataset.v;
    if (x === '' || y === '') return x === y ? 0 : x === '' ? 1 : -1;
    return dir * (num ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0);
  });
  body.append(...rows);
});
const boxes = document.querySelectorAll('input[name=run]'), go = document.getElementById('compare-go');
const count = () => { const n = Array.from(boxes).filter((b) => b.checked).length; go.disabled = n < 2; go.textContent = 'Compare ' + (n ? n + ' runs' : 'selected runs'); };
for (const b of boxes) b.addEventListener('change', count);
count();
`;

/** The CSP source of `LIST_SCRIPT`. */
export const LIST_SCRIPT_HASH = `'sha256-${createHash('sha256').update(LIST_SCRIPT).digest('base64')}'`;

export function utc(us: number | null): string {
  if (us === null || !Number.isFinite(us)) return '–';
  return new Date(Math.floor(us / 1000)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function duration(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

/** A run's URL (each path segment encoded). */
export function runHref(key: string, file = ''): string {
  return `/run/${key.split('/').map(encodeURIComponent).join('/')}/${file}`;
}

function num(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(digits)));
}

function signCls(v: number | string | null): string {
  const x = typeof v === 'string' ? Number(v) : v;
  return x === null || !Number.isFinite(x) || x === 0 ? '' : x > 0 ? 'pos' : 'neg';
}

function doc(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${UI_CSS}</style></head><body>\n${body}\n</body></html>\n`;
}

interface Column {
  id: string;
  label: string;
  type: 'num' | 'str';
  title?: string;
  cell: (e: RunEntry) => { v: string | number | null; html: string; cls?: string };
}

const m = (e: RunEntry): RunMetrics | null => e.metrics;
const plain = (v: number | null, digits = 4): { v: number | null; html: string } => ({ v, html: num(v, digits) });

const COLUMNS: Column[] = [
  { id: 'run', label: 'run', type: 'str', cell: (e) => ({ v: e.key, html: e.hasReport ? `<a href="${esc(runHref(e.key))}" data-testid="open-run">${esc(e.key)}</a>` : esc(e.key), cls: 'k mono' }) },
  {
    id: 'status',
    label: 'status',
    type: 'str',
    cell: (e) => ({ v: e.status, html: esc(e.kind === 'sweep' || e.kind === 'live' ? `${e.kind}${e.status === 'ok' ? '' : ` (${e.status})`}` : e.status), cls: `k s-${e.status}` }),
  },
  { id: 'scenario', label: 'scenario', type: 'str', cell: (e) => ({ v: e.scenario, html: esc(e.scenario ?? '–'), cls: 'k' }) },
  { id: 'seed', label: 'seed', type: 'num', cell: (e) => plain(e.seed) },
  { id: 'start', label: 'period (UTC)', type: 'num', cell: (e) => ({ v: e.period?.fromUs ?? null, html: e.period === null ? (e.kind === 'model' ? 'model world' : '–') : esc(utc(e.period.fromUs)), cls: 'k' }) },
  { id: 'duration', label: 'length', type: 'num', cell: (e) => ({ v: e.period?.seconds ?? null, html: e.period === null ? '–' : duration(e.period.seconds) }) },
  { id: 'symbols', label: 'symbols', type: 'str', cell: (e) => ({ v: e.symbols.join(','), html: esc(e.symbols.join(', ') || '–'), cls: 'k' }) },
  {
    id: 'pnl',
    label: 'PnL',
    type: 'num',
    title: 'total PnL in the margin asset (model runs: mean profit over paths, price units)',
    cell: (e) => {
      const x = m(e);
      if (x === null) return { v: null, html: '–' };
      if (e.kind === 'model') return { v: x.modelProfitMean, html: `${num(x.modelProfitMean)} <span class="note">mean</span>`, cls: signCls(x.modelProfitMean) };
      return { v: x.pnlTotal === null ? null : Number(x.pnlTotal), html: x.pnlTotal === null ? '–' : `${esc(x.pnlTotal)} <span class="note">${esc(x.asset ?? '')}</span>`, cls: signCls(x.pnlTotal) };
    },
  },
  { id: 'return', label: 'return %', type: 'num', cell: (e) => plain(m(e)?.returnPct ?? null) },
  { id: 'sharpe', label: 'Sharpe', type: 'num', title: 'annualised (see the report for its basis and sample)', cell: (e) => plain(m(e)?.sharpe ?? null) },
  { id: 'maxdd', label: 'max DD %', type: 'num', cell: (e) => plain(m(e)?.maxDrawdownPct ?? null) },
  { id: 'fills', label: 'fills', type: 'num', cell: (e) => plain(m(e)?.fills ?? null) },
  { id: 'orders', label: 'orders', type: 'num', cell: (e) => plain(m(e)?.ordersPlaced ?? null) },
  { id: 'fillratio', label: 'fill ratio', type: 'num', title: 'filled notional / quoted notional', cell: (e) => plain(m(e)?.fillRatio ?? null, 3) },
  { id: 'uptime', label: 'uptime %', type: 'num', title: 'share of time quoting', cell: (e) => plain(m(e)?.quoteUptimePct ?? null, 3) },
  { id: 'maker', label: 'maker %', type: 'num', cell: (e) => plain(m(e)?.makerSharePct ?? null, 3) },
  {
    id: 'markout',
    label: 'markout bps',
    type: 'num',
    title: 'mean markout of fills at the first horizon over 0 s',
    cell: (e) => ({ v: m(e)?.markoutBps ?? null, html: m(e)?.markoutBps == null ? '–' : `${num(m(e)!.markoutBps, 3)} <span class="note">@${num(m(e)!.markoutHorizonS)}s</span>` }),
  },
  {
    id: 'quality',
    label: 'data quality',
    type: 'num',
    title: 'data-quality warnings (codes), book gaps and resyncs, lowest stream coverage',
    cell: (e) => {
      const q = e.quality;
      if (q === null) return { v: null, html: '–' };
      const flags = [...q.warnings];
      if (q.gaps > 0) flags.push(`${q.gaps} gaps`);
      if (q.resyncs > 0) flags.push(`${q.resyncs} resyncs`);
      const cov = q.minCoveragePct === null ? '' : ` <span class="note">cov ≥ ${num(q.minCoveragePct, 4)}%</span>`;
      return { v: q.warnings.length * 1e6 + q.gaps + q.resyncs, html: `${flags.length === 0 ? 'clean' : esc(flags.join(', '))}${cov}`, cls: `k ${q.warnings.length > 0 ? 'q-bad' : 'q-ok'}` };
    },
  },
  { id: 'why', label: 'problems', type: 'str', cell: (e) => ({ v: e.problems.join(' '), html: e.problems.map(esc).join('<br>'), cls: 'why' }) },
];

/** The run list: sortable table, a checkbox per comparable run and a GET form to /compare. */
export function listPage(root: string, entries: readonly RunEntry[], truncated: boolean): string {
  const head = `<tr><th></th>${COLUMNS.map((c) => `<th data-col="${c.id}" data-type="${c.type}" class="${c.type === 'str' ? 'k' : ''}"${c.title ? ` title="${esc(c.title)}"` : ''}>${esc(c.label)}</th>`).join('')}</tr>`;
  const rows = entries.map((e) => {
    const comparable = e.kind === 'backtest' && (e.status === 'ok' || e.status === 'partial');
    const box = comparable ? `<input type="checkbox" name="run" value="${esc(e.key)}" aria-label="compare ${esc(e.key)}">` : '';
    const cells = COLUMNS.map((c) => {
      const x = c.cell(e);
      const v = x.v === null || x.v === undefined || (typeof x.v === 'number' && !Number.isFinite(x.v)) ? '' : String(x.v);
      return `<td data-v="${esc(v)}"${x.cls ? ` class="${x.cls}"` : ''}>${x.html}</td>`;
    });
    return `<tr data-testid="run-row" data-key="${esc(e.key)}" data-status="${e.status}"><td>${box}</td>${cells.join('')}</tr>`;
  });
  const counts = ['ok', 'partial', 'broken', 'in-progress', 'link'].map((s) => [s, entries.filter((e) => e.status === s).length] as const).filter(([, n]) => n > 0);
  const body =
    `<h1>maker runs</h1><p class="note">${esc(root)}: ${entries.length} entries${counts.length ? ` (${counts.map(([s, n]) => `${n} ${s}`).join(', ')})` : ''}. Click a column to sort; tick two or more runs to compare them.${truncated ? ' <b>The directory holds more than this server scans; some are not listed.</b>' : ''}</p>` +
    `<form method="get" action="/compare"><div class="bar"><button type="submit" id="compare-go" data-testid="compare">Compare selected runs</button></div>` +
    `<table id="runs"><thead>${head}</thead><tbody>${rows.join('\n')}</tbody></table></form>` +
    (entries.length === 0 ? `<p>No runs here yet. <code>maker backtest --scenario scenarios/quickstart.yaml --out ${esc(root)}</code> writes one.</p>` : '') +
    `<script>${LIST_SCRIPT}</script>`;
  return doc('maker runs', body);
}

/** One row of the comparison's metrics table. */
const COMPARE_ROWS: [string, (x: RunMetrics) => string][] = [
  ['total PnL', (x) => (x.pnlTotal === null ? '–' : `${esc(x.pnlTotal)} ${esc(x.asset ?? '')}`)],
  ['  spread capture', (x) => esc(x.pnlSpreadCapture ?? '–')],
  ['  inventory', (x) => esc(x.pnlInventory ?? '–')],
  ['  fees paid', (x) => esc(x.pnlFees ?? '–')],
  ['  funding', (x) => esc(x.pnlFunding ?? '–')],
  ['return %', (x) => num(x.returnPct)],
  ['Sharpe (annualised)', (x) => num(x.sharpe)],
  ['Sortino (annualised)', (x) => num(x.sortino)],
  ['max drawdown %', (x) => num(x.maxDrawdownPct)],
  ['max drawdown', (x) => num(x.maxDrawdownAbs)],
  ['orders placed', (x) => num(x.ordersPlaced)],
  ['fills', (x) => num(x.fills)],
  ['filled notional', (x) => num(x.filledNotional, 6)],
  ['fill ratio (notional)', (x) => num(x.fillRatio)],
  ['orders per fill', (x) => num(x.orderToTrade)],
  ['quote uptime %', (x) => num(x.quoteUptimePct)],
  ['maker share %', (x) => num(x.makerSharePct)],
  ['markout bps', (x) => (x.markoutBps === null ? '–' : `${num(x.markoutBps)} @${num(x.markoutHorizonS)}s`)],
  ['risk halts / reduces', (x) => `${num(x.haltTrips)} / ${num(x.reduceTrips)}`],
];

export interface CompareRun {
  entry: RunEntry;
  summary: Record<string, unknown> | null;
  series: RunSeries | null;
  /** Why there is no series (no timeseries.parquet, or it could not be read). */
  seriesProblem: string | null;
}

/** Scenario keys whose values differ between the runs (flattened dotted paths, sorted), at most `limit`. */
export function scenarioDiff(summaries: readonly (Record<string, unknown> | null)[], limit = 200): { key: string; values: string[] }[] {
  const flat = summaries.map((s) => {
    const out = new Map<string, string>();
    const walk = (v: unknown, path: string): void => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const k of Object.keys(v as object).sort()) walk((v as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`);
      else out.set(path, JSON.stringify(v) ?? 'undefined');
    };
    walk(s?.scenario ?? {}, '');
    return out;
  });
  const keys = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort();
  const diff: { key: string; values: string[] }[] = [];
  for (const k of keys) {
    const values = flat.map((f) => f.get(k) ?? '(absent)');
    if (values.some((v) => v !== values[0])) diff.push({ key: k, values });
    if (diff.length >= limit) break;
  }
  return diff;
}

function ds(xs: ArrayLike<number>, ys: ArrayLike<number>): { xs: number[]; ys: number[] } {
  const idx = downsampleMinMax(ys, CHART_POINTS);
  return { xs: idx.map((i) => xs[i]), ys: idx.map((i) => ys[i]) };
}

/** The comparison page: the runs, their metrics side by side, the scenario keys that differ, and overlaid equity, drawdown and position. */
export function comparePage(runs: readonly CompareRun[]): string {
  const names = runs.map((r, i) => `${String.fromCharCode(65 + i)}`);
  const headRuns = `<tr><th class="k">metric</th>${runs.map((r, i) => `<th style="color:${COLOURS[i % COLOURS.length]}">${names[i]}</th>`).join('')}</tr>`;
  const who = runs
    .map((r, i) => {
      const e = r.entry;
      return `<tr data-testid="compare-run"><td class="k" style="color:${COLOURS[i % COLOURS.length]}"><b>${names[i]}</b></td><td class="k mono">${e.hasReport ? `<a href="${esc(runHref(e.key))}">${esc(e.key)}</a>` : esc(e.key)}</td><td class="k">${esc(e.scenario ?? '–')}</td><td>${num(e.seed)}</td><td class="k">${e.period === null ? '–' : `${esc(utc(e.period.fromUs))} + ${duration(e.period.seconds)}`}</td><td class="k">${esc(e.symbols.join(', '))}</td><td class="k mono">${esc((e.eventLogHash ?? '–').slice(0, 19))}</td><td class="k why">${e.problems.map(esc).join('<br>')}${r.seriesProblem ? `${e.problems.length ? '<br>' : ''}${esc(r.seriesProblem)}` : ''}</td></tr>`;
    })
    .join('');
  const metricsRows = COMPARE_ROWS.map(([label, f]) => `<tr><td class="k">${esc(label).replace(/^ {2}/, '&nbsp;&nbsp;')}</td>${runs.map((r) => `<td data-testid="metric">${r.entry.metrics === null ? '–' : f(r.entry.metrics)}</td>`).join('')}</tr>`).join('');
  const warnRow = `<tr><td class="k">data-quality warnings</td>${runs.map((r) => `<td>${esc(r.entry.quality === null ? '–' : r.entry.quality.warnings.join(', ') || 'none')}</td>`).join('')}</tr>`;
  const diff = scenarioDiff(runs.map((r) => r.summary));
  const seeds = runs.map((r) => num(r.entry.seed));
  const diffRows = diff.map((d) => `<tr><td class="k mono">${esc(d.key)}</td>${d.values.map((v) => `<td class="k mono">${esc(v.length > 80 ? `${v.slice(0, 77)}…` : v)}</td>`).join('')}</tr>`).join('');

  const withSeries = runs.map((r, i) => ({ r, i })).filter((x) => x.r.series !== null && x.r.series.ts.length > 0);
  const starts = withSeries.map((x) => x.r.series!.ts[0]);
  const sameStart = starts.every((s) => s === starts[0]);
  const xOf = (s: RunSeries): Float64Array => (sameStart ? s.ts : s.ts.map((t) => (t - s.ts[0]) / 1e6));
  const xLabel = sameStart ? undefined : 'seconds since the run start';
  const line = (i: number, name: string, xs: ArrayLike<number>, ys: ArrayLike<number>, step = false): LineSeries => ({ name, color: COLOURS[i % COLOURS.length], ...ds(xs, ys), step, width: 1.4 });
  const equity = withSeries.map(({ r, i }) => line(i, `${names[i]} ${r.entry.key}`, xOf(r.series!), r.series!.equity));
  const dd = withSeries.map(({ r, i }) => line(i, `${names[i]}`, xOf(r.series!), r.series!.drawdownPct));
  const dashes = ['', '5 3', '2 2', '8 3 2 3'];
  const pos = withSeries.flatMap(({ r, i }) => [...r.series!.positions].map(([sym, ys], j) => ({ ...line(i, `${names[i]} ${sym}`, xOf(r.series!), ys, true), dash: dashes[j % dashes.length] || undefined })));
  const asset = runs.find((r) => r.entry.metrics?.asset)?.entry.metrics?.asset ?? '';
  const charts =
    withSeries.length === 0
      ? '<p class="note">No run here has a readable timeseries.parquet: no charts.</p>'
      : [
          renderChart({ title: 'Equity', yLabel: asset, xLabel, lines: equity }),
          renderChart({ title: 'Drawdown from the running peak', yLabel: '%', xLabel, lines: dd, hlines: [{ y: 0, color: '#999', label: '0' }] }),
          renderChart({ title: 'Position', yLabel: 'base asset', xLabel, lines: pos, hlines: [{ y: 0, color: '#999', label: '0' }] }),
        ].join('\n');
  const body =
    `<nav><a href="/">← all runs</a></nav><h1>Comparing ${runs.length} runs</h1>` +
    `<table class="info"><tr><th></th><th class="k">run</th><th class="k">scenario</th><th>seed</th><th class="k">period (UTC)</th><th class="k">symbols</th><th class="k">event-log hash</th><th class="k">problems</th></tr>${who}</table>` +
    `<h2>Metrics</h2><table id="metrics">${headRuns}${metricsRows}${warnRow}</table>` +
    `<h2>Scenario differences</h2>${diff.length === 0 ? `<p class="note">The resolved scenarios are the same${new Set(seeds).size > 1 ? ` but for the seed (${seeds.join(', ')})` : ''}.</p>` : `<table id="diff">${headRuns.replace('metric', 'scenario key')}${diffRows}</table>${diff.length >= 200 ? '<p class="note">First 200 keys that differ.</p>' : ''}`}` +
    `<h2>Charts</h2><p class="note">${sameStart ? 'The runs start at the same instant: x is UTC time.' : 'The runs start at different instants: x is seconds since each run\u2019s start.'} Series of ${CHART_POINTS} points at most per run (min/max kept).</p><div data-testid="charts">${charts}</div>`;
  return doc(`maker compare — ${runs.map((r) => r.entry.key).join(' vs ')}`, body);
}

/** A small error page (the server's 4xx/5xx for a browser). */
export function errorPage(status: number, message: string): string {
  return doc(`maker ui — ${status}`, `<nav><a href="/">← all runs</a></nav><h1>${status}</h1><p data-testid="error">${esc(message)}</p>`);
}
