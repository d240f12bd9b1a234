/**
 * What a sweep leaves behind, next to its journal:
 * - `results.parquet`: one row per run (phase, each swept key, seed, every headline metric, the
 *   exact PnL, data-quality warning codes, determinism hash, data fingerprint, run id, error), in
 *   plan order, written with the report module's Parquet writer (hyparquet-writer, SNAPPY);
 * - `leaderboard.html`: self-contained (inline CSS, SVG and a few lines of script to sort the
 *   tables by a click on a header): parameter sets ranked by the mean of the rank metric over seeds
 *   with its spread, the out-of-sample runs beside their in-sample score, a metric-vs-parameter chart
 *   per swept key, a heat map for two-key sweeps, and every run.
 * Both are written atomically and hold nothing that depends on time or on the number of workers.
 */
import { join } from 'node:path';
import { ParquetTableStream, REPORT_CSS, esc, renderChart, type OutColumn, type OutColumnData } from '../backtest/index.ts';
import { writeFileAtomic } from './journal.ts';
import { METRIC_NAMES, type MetricName, type RunRow } from './run-one.ts';
import { RANK_METRICS, rankSets, scoreSets, type SweepSpec } from './rank.ts';

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function numericKey(spec: SweepSpec, key: string): boolean {
  return spec.paramSets.every((p) => p.every(([k, v]) => k !== key || NUMERIC.test(v)));
}

function paramOf(r: RunRow, key: string): string {
  return r.params.find(([k]) => k === key)?.[1] ?? '';
}

/** The table's bytes (exported for tests: 1 vs 2 workers must give the same bytes). */
export function resultsParquet(spec: SweepSpec, rows: readonly RunRow[]): Uint8Array {
  const cols: OutColumn[] = [
    { name: 'phase', type: 'STRING' },
    ...spec.keys.map((k): OutColumn => ({ name: k, type: numericKey(spec, k) ? 'DOUBLE' : 'STRING' })),
    { name: 'seed', type: 'INT64' },
    ...METRIC_NAMES.map((m): OutColumn => ({ name: m, type: 'DOUBLE', nullable: true })),
    { name: 'pnl_exact', type: 'STRING', nullable: true },
    { name: 'warnings', type: 'STRING' },
    { name: 'warning_count', type: 'INT64' },
    { name: 'hash', type: 'STRING', nullable: true },
    { name: 'data_fingerprint', type: 'STRING', nullable: true },
    { name: 'run_id', type: 'STRING', nullable: true },
    { name: 'error', type: 'STRING', nullable: true },
  ];
  const data: Record<string, OutColumnData> = {
    phase: rows.map((r) => r.phase),
    seed: rows.map((r) => r.seed),
    pnl_exact: rows.map((r) => r.pnlExact),
    warnings: rows.map((r) => r.warnings.join(',')),
    warning_count: rows.map((r) => r.warnings.length),
    hash: rows.map((r) => r.hash),
    data_fingerprint: rows.map((r) => r.dataFingerprint),
    run_id: rows.map((r) => r.runId),
    error: rows.map((r) => r.error),
  };
  for (const k of spec.keys) data[k] = numericKey(spec, k) ? rows.map((r) => Number(paramOf(r, k))) : rows.map((r) => paramOf(r, k));
  for (const m of METRIC_NAMES) data[m] = rows.map((r) => r.metrics?.[m] ?? null);
  const t = new ParquetTableStream(cols, { 'maker.sweep.rankBy': spec.rankBy, 'maker.sweep.scenario': spec.scenarioFile });
  t.appendRowGroup(data, rows.length);
  t.finish();
  return t.bytes();
}

function cell(v: number | string | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') return esc(v);
  if (!Number.isFinite(v)) return '–';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/** `data-v` carries the sort value: numbers sort numerically, text as text, blanks last. */
function td(v: number | string | null | undefined, cls = ''): string {
  const sort = typeof v === 'number' && Number.isFinite(v) ? ` data-v="${v}"` : '';
  return `<td${cls ? ` class="${cls}"` : ''}${sort}>${cell(v)}</td>`;
}

function stats(xs: number[]): { mean: number | null; std: number | null; min: number | null; max: number | null } {
  if (xs.length === 0) return { mean: null, std: null, min: null, max: null };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : null;
  return { mean, std, min: Math.min(...xs), max: Math.max(...xs) };
}

function valuesOf(rows: readonly RunRow[], params: string, m: MetricName): number[] {
  return rows.filter((r) => JSON.stringify(r.params) === params && Number.isFinite(r.metrics?.[m] ?? NaN)).map((r) => r.metrics![m] as number);
}

const SORT_JS = `document.querySelectorAll('table.sort th').forEach(function(th,i){th.style.cursor='pointer';th.title='sort';th.addEventListener('click',function(){var tb=th.closest('table').tBodies[0],rs=Array.prototype.slice.call(tb.rows),d=th.dataset.d==='1'?-1:1;th.dataset.d=d===1?'1':'0';rs.sort(function(a,b){var x=a.cells[i],y=b.cells[i],u=x.dataset.v,v=y.dataset.v;if(u!==undefined&&v!==undefined)return d*(Number(u)-Number(v));if(u!==undefined)return -1;if(v!==undefined)return 1;return d*x.textContent.localeCompare(y.textContent)});rs.forEach(function(r){tb.appendChild(r)})})});`;

/** Red (worst) → white → green (best) for a score between lo and hi. */
function heat(v: number | null, lo: number, hi: number, higherBetter: boolean): string {
  if (v === null) return '#f4f4f4';
  let t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
  if (!higherBetter) t = 1 - t;
  const mix = (a: number, b: number, u: number): number => Math.round(a + (b - a) * u);
  const [r, g, b] = t < 0.5 ? [mix(214, 255, t * 2), mix(96, 255, t * 2), mix(77, 255, t * 2)] : [mix(255, 44, (t - 0.5) * 2), mix(255, 160, (t - 0.5) * 2), mix(255, 44, (t - 0.5) * 2)];
  return `rgb(${r},${g},${b})`;
}

function heatMap(spec: SweepSpec, scores: readonly (number | null)[]): string {
  const [kx, ky] = spec.keys;
  const xs = [...new Set(spec.paramSets.map((p) => p.find(([k]) => k === kx)![1]))];
  const ys = [...new Set(spec.paramSets.map((p) => p.find(([k]) => k === ky)![1]))];
  const at = new Map(spec.paramSets.map((p, i) => [`${p.find(([k]) => k === kx)![1]}\u0000${p.find(([k]) => k === ky)![1]}`, scores[i]]));
  const finite = scores.filter((s): s is number => s !== null);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const cw = 76;
  const ch = 28;
  const left = 120;
  const top = 50;
  const title = `mean ${spec.rankBy} over seeds: ${ky} (rows) × ${kx} (columns)`;
  const W = Math.max(left + xs.length * cw + 20, left + Math.ceil(title.length * 7.5));
  const H = top + ys.length * ch + 40;
  const parts = [`<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">`, `<text x="${left}" y="18" class="t">${esc(title)}</text>`];
  xs.forEach((x, i) => parts.push(`<text x="${left + i * cw + cw / 2}" y="${top - 6}" class="a" text-anchor="middle">${esc(x)}</text>`));
  ys.forEach((y, j) => {
    parts.push(`<text x="${left - 6}" y="${top + j * ch + ch / 2}" class="a" text-anchor="end" dominant-baseline="middle">${esc(y)}</text>`);
    xs.forEach((x, i) => {
      const v = at.get(`${x}\u0000${y}`) ?? null;
      parts.push(`<rect x="${left + i * cw}" y="${top + j * ch}" width="${cw}" height="${ch}" fill="${heat(v, lo, hi, RANK_METRICS[spec.rankBy] !== 'lower')}" stroke="#fff"/><text x="${left + i * cw + cw / 2}" y="${top + j * ch + ch / 2}" class="a" text-anchor="middle" dominant-baseline="middle">${cell(v)}</text>`);
    });
  });
  parts.push(`<text x="${left + (xs.length * cw) / 2}" y="${H - 10}" class="a" text-anchor="middle">${esc(kx)}</text></svg>`);
  return parts.join('');
}

function paramChart(spec: SweepSpec, key: string, rows: readonly RunRow[]): string {
  const numeric = numericKey(spec, key);
  const labels = [...new Set(spec.paramSets.map((p) => p.find(([k]) => k === key)![1]))];
  if (numeric) labels.sort((a, b) => Number(a) - Number(b));
  const xOf = (v: string): number => (numeric ? Number(v) : labels.indexOf(v));
  const pts = rows.filter((r) => r.phase === 'main' && Number.isFinite(r.metrics?.[spec.rankBy] ?? NaN));
  const means = labels.map((l) => stats(pts.filter((r) => paramOf(r, key) === l).map((r) => r.metrics![spec.rankBy] as number)).mean ?? NaN);
  return renderChart({
    title: `${spec.rankBy} vs ${key} (each run; line: mean per value)`,
    yLabel: spec.rankBy,
    xLabel: key,
    width: 720,
    height: 260,
    markers: [{ name: 'run', color: '#1f77b4', shape: 'circle', filled: false, xs: pts.map((r) => xOf(paramOf(r, key))), ys: pts.map((r) => r.metrics![spec.rankBy] as number) }],
    lines: [{ name: 'mean', color: '#d62728', xs: labels.map(xOf), ys: means }],
    ...(numeric ? {} : { xTicks: labels.map((_, i) => i), xTickLabels: labels }),
  });
}

export function leaderboardHtml(spec: SweepSpec, rows: readonly RunRow[], chosen: readonly number[]): string {
  const main = rows.filter((r) => r.phase === 'main');
  const oos = rows.filter((r) => r.phase === 'oos');
  const scores = scoreSets(spec, main);
  const order = rankSets(spec, scores);
  const m = spec.rankBy;
  const failed = rows.filter((r) => r.error !== null);
  const s: string[] = [];
  s.push(`<h1>Sweep leaderboard — ${esc(spec.scenarioFile)}</h1>`);
  s.push(
    `<table class="info">${[
      ['sweep', spec.description],
      ['base --set', spec.baseSet.join(' ') || '(none)'],
      ['runs', `${main.length} in-sample (${spec.paramSets.length} parameter sets × ${spec.seeds.length} seed${spec.seeds.length === 1 ? '' : 's'}: ${spec.seeds.join(', ')})${oos.length > 0 ? `, ${oos.length} out-of-sample` : ''}${failed.length > 0 ? `, ${failed.length} failed` : ''}`],
      ['ranked by', `mean ${m} over seeds (${RANK_METRICS[m]} is better)`],
      ...(spec.oos ? [['out of sample', `top ${spec.oos.topK} re-run on data.range=${spec.oos.range}`]] : []),
    ]
      .map(([k, v]) => `<tr><td class="k">${esc(k)}</td><td>${esc(v)}</td></tr>`)
      .join('')}</table>`,
  );
  s.push(
    `<p class="notes">The best of many parameter sets on one period is biased upwards: with enough sets, one looks good by chance. Read the spread over seeds, prefer a plateau of good neighbours to a single peak, and judge the choice on a period it was not chosen on (--oos).</p>`,
  );
  if (failed.length > 0) s.push(`<div class="warn"><b>${failed.length} run(s) failed</b> (a rerun of the same command tries them again):<ul>${failed.slice(0, 20).map((r) => `<li>${esc(r.params.map(([k, v]) => `${k}=${v}`).join(' '))} seed ${r.seed}: ${esc(r.error ?? '')}</li>`).join('')}</ul></div>`);
  if (spec.oos && chosen.length > 0) {
    s.push(`<h2>Out of sample: the top ${chosen.length} on ${esc(spec.oos.range)}</h2>`);
    const oosScores = scoreSets(spec, oos);
    s.push(
      `<table class="sort"><thead><tr><th>rank</th>${spec.keys.map((k) => `<th class="k">${esc(k)}</th>`).join('')}<th>in-sample mean ${esc(m)}</th><th>out-of-sample mean ${esc(m)}</th><th>out-of-sample std</th></tr></thead><tbody>${chosen
        .map((i, r) => {
          const key = JSON.stringify(spec.paramSets[i]);
          return `<tr>${td(r + 1)}${spec.paramSets[i].map(([, v]) => td(v, 'k')).join('')}${td(scores[i])}${td(oosScores[i])}${td(stats(valuesOf(oos, key, m)).std)}</tr>`;
        })
        .join('')}</tbody></table>`,
    );
  }
  s.push(`<h2>Parameter sets (in sample)</h2>`);
  const extra = (['pnl', 'sharpe', 'maxDrawdown', 'fills'] as MetricName[]).filter((x) => x !== m);
  s.push(
    `<table class="sort"><thead><tr><th>rank</th>${spec.keys.map((k) => `<th class="k">${esc(k)}</th>`).join('')}<th>mean ${esc(m)}</th><th>std</th><th>min</th><th>max</th><th>runs</th>${extra.map((x) => `<th>mean ${x}</th>`).join('')}<th>warnings</th></tr></thead><tbody>${order
      .map((i, r) => {
        const key = JSON.stringify(spec.paramSets[i]);
        const st = stats(valuesOf(main, key, m));
        const runs = main.filter((x) => JSON.stringify(x.params) === key);
        const warn = [...new Set(runs.flatMap((x) => x.warnings))].sort().join(',');
        return `<tr>${td(r + 1)}${spec.paramSets[i].map(([, v]) => td(v, 'k')).join('')}${td(st.mean)}${td(st.std)}${td(st.min)}${td(st.max)}${td(runs.filter((x) => x.error === null).length)}${extra.map((x) => td(stats(valuesOf(main, key, x)).mean)).join('')}${td(warn, 'k')}</tr>`;
      })
      .join('')}</tbody></table>`,
  );
  if (spec.keys.length === 2 && scores.some((x) => x !== null)) s.push(`<h2>Heat map</h2>${heatMap(spec, scores)}`);
  s.push(`<h2>${esc(m)} by parameter</h2><div class="grid">${spec.keys.map((k) => paramChart(spec, k, rows)).join('')}</div>`);
  const shown: MetricName[] = ['pnl', 'returnPct', 'sharpe', 'maxDrawdown', 'fills', 'edgeBps', 'quoteUptimePct'];
  s.push(`<h2>Every run</h2>`);
  s.push(
    `<table class="sort mono"><thead><tr><th class="k">phase</th>${spec.keys.map((k) => `<th class="k">${esc(k)}</th>`).join('')}<th>seed</th>${shown.map((x) => `<th>${x}</th>`).join('')}<th class="k">warnings</th><th class="k">hash</th><th class="k">run id / error</th></tr></thead><tbody>${rows
      .map((r) => `<tr>${td(r.phase, 'k')}${spec.keys.map((k) => td(paramOf(r, k), 'k')).join('')}${td(r.seed)}${shown.map((x) => td(r.metrics?.[x] ?? null)).join('')}${td(r.warnings.join(','), 'k')}${td(r.hash?.slice(0, 19) ?? null, 'k')}${td(r.error ?? r.runId, 'k')}</tr>`)
      .join('')}</tbody></table>`,
  );
  s.push(`<p class="note">Click a column header to sort. Full numbers: results.parquet; per-run reports (with --reports): runs/&lt;run id&gt;/report.html.</p>`);
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>maker sweep — ${esc(spec.scenarioFile)}</title><style>${REPORT_CSS}</style></head><body>\n${s.join('\n')}\n<script>${SORT_JS}</script>\n</body></html>\n`;
}

export function writeSweepOutputs(dir: string, spec: SweepSpec, rows: readonly RunRow[], chosen: readonly number[]): void {
  writeFileAtomic(join(dir, 'results.parquet'), resultsParquet(spec, rows));
  writeFileAtomic(join(dir, 'leaderboard.html'), leaderboardHtml(spec, rows, chosen));
}
