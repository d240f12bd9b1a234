/**
 * Deterministic inline-SVG charts for report.html: line/step series (NaN breaks a line), filled
 * bands (stacked areas, limit bands), point markers, horizontal rules, nice axis ticks, a legend.
 * Coordinates are rounded to 0.1 px and numbers formatted by fixed rules, so the same data always
 * gives the same bytes. Long series are downsampled min/max-preserving (`downsampleMinMax`).
 */

export interface LineSeries {
  name: string;
  color: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  /** Step: hold each value until the next x (positions, quotes). Default line. */
  step?: boolean;
  dash?: string;
  width?: number;
}

export interface AreaSeries {
  name: string;
  color: string;
  xs: ArrayLike<number>;
  lo: ArrayLike<number>;
  hi: ArrayLike<number>;
  opacity?: number;
}

export type MarkerShape = 'up' | 'down' | 'circle';

export interface MarkerSeries {
  name: string;
  color: string;
  shape: MarkerShape;
  /** Filled (e.g. maker) or hollow (e.g. taker). */
  filled: boolean;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
}

export interface ChartSpec {
  title: string;
  yLabel: string;
  /** x values are µs since the epoch (time axis, UTC labels) unless `xLabel` is given. */
  xLabel?: string;
  lines?: LineSeries[];
  areas?: AreaSeries[];
  markers?: MarkerSeries[];
  hlines?: { y: number; color: string; label: string; dash?: string }[];
  width?: number;
  height?: number;
  /** Ticks at these x values (instead of automatic ones), labelled by `xTickLabels` when given. */
  xTicks?: number[];
  xTickLabels?: string[];
}

const PAD = { left: 78, right: 34, top: 44, bottom: 34 };

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const r1 = (v: number): string => {
  const x = Math.round(v * 10) / 10;
  return Object.is(x, -0) ? '0' : String(x);
};

/** A compact, deterministic number label. */
export function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e9) return `${(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  if (a >= 1) return String(Number(v.toPrecision(5)));
  return String(Number(v.toPrecision(3)));
}

/** A tick label with just enough decimals for the tick step. */
export function fmtTick(v: number, step: number): string {
  const exp = Math.floor(Math.log10(step) + 1e-9);
  const mantissa = Math.round((step / 10 ** exp) * 10) / 10;
  const decimals = Math.min(12, Math.max(0, -exp + (mantissa === 2.5 ? 1 : 0)));
  return v.toFixed(decimals);
}

const TIME_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

/** Time ticks on round UTC seconds/minutes/hours, about n of them. */
export function timeTicks(loUs: number, hiUs: number, n = 8): number[] {
  const spanS = (hiUs - loUs) / 1e6;
  const stepS = TIME_STEPS_S.find((s) => spanS / s <= n) ?? TIME_STEPS_S[TIME_STEPS_S.length - 1];
  const stepUs = stepS * 1e6;
  const out: number[] = [];
  for (let v = Math.ceil(loUs / stepUs) * stepUs; v <= hiUs; v += stepUs) out.push(v);
  return out;
}

/** ~n "nice" tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return out;
}

function timeLabel(us: number, spanUs: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString(); // 2024-08-08T12:34:56.789Z
  if (spanUs > 2 * 86_400e6) return iso.slice(5, 16).replace('T', ' ');
  if (spanUs > 600e6) return iso.slice(11, 16);
  return iso.slice(11, 19);
}

/**
 * Indices to keep so that at most ~`maxPoints` remain: the first and last point and, per bucket,
 * the minimum and maximum (in x order), so spikes survive. NaN points are kept where they open a gap.
 */
export function downsampleMinMax(ys: ArrayLike<number>, maxPoints: number): number[] {
  const n = ys.length;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  const out: number[] = [0];
  const size = (n - 2) / buckets;
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor(b * size);
    const to = Math.min(n - 1, 1 + Math.floor((b + 1) * size));
    let iMin = -1;
    let iMax = -1;
    let gap = -1;
    for (let i = from; i < to; i++) {
      const v = ys[i];
      if (!Number.isFinite(v)) {
        if (gap < 0) gap = i;
        continue;
      }
      if (iMin < 0 || v < ys[iMin]) iMin = i;
      if (iMax < 0 || v > ys[iMax]) iMax = i;
    }
    const picks = [iMin, iMax, gap].filter((i) => i >= 0).sort((a, b) => a - b);
    for (const i of picks) if (out[out.length - 1] !== i) out.push(i);
  }
  if (out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

/** Picks `xs`/`ys` at `idx`. */
export function pick(a: ArrayLike<number>, idx: number[]): number[] {
  return idx.map((i) => a[i]);
}

export function renderChart(c: ChartSpec): string {
  const W = c.width ?? 1180;
  const H = c.height ?? 260;
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  const seeX = (x: number): void => {
    if (Number.isFinite(x)) {
      if (x < xMin) xMin = x;
      if (x > xMax) xMax = x;
    }
  };
  const seeY = (y: number): void => {
    if (Number.isFinite(y)) {
      if (y < yMin) yMin = y;
      if (y > yMax) yMax = y;
    }
  };
  for (const s of c.lines ?? []) for (let i = 0; i < s.xs.length; i++) if (Number.isFinite(s.ys[i])) (seeX(s.xs[i]), seeY(s.ys[i]));
  for (const s of c.areas ?? []) for (let i = 0; i < s.xs.length; i++) (seeX(s.xs[i]), seeY(s.lo[i]), seeY(s.hi[i]));
  for (const s of c.markers ?? []) for (let i = 0; i < s.xs.length; i++) (seeX(s.xs[i]), seeY(s.ys[i]));
  for (const h of c.hlines ?? []) seeY(h.y);
  for (const x of c.xTicks ?? []) seeX(x);
  const empty = !(xMax >= xMin) || !(yMax >= yMin);
  if (empty) {
    return `<svg width="${W}" height="60" viewBox="0 0 ${W} 60" role="img"><text x="${PAD.left}" y="20" class="t">${esc(c.title)}</text><text x="${PAD.left}" y="44" class="m">no data</text></svg>`;
  }
  if (xMax === xMin) (xMin -= 1, xMax += 1);
  if (yMax === yMin) {
    const d = Math.abs(yMin) > 0 ? Math.abs(yMin) * 0.01 : 1;
    yMin -= d;
    yMax += d;
  }
  const yPad = (yMax - yMin) * 0.04;
  yMin -= yPad;
  yMax += yPad;
  const X = (x: number): number => PAD.left + ((x - xMin) / (xMax - xMin)) * pw;
  const Y = (y: number): number => PAD.top + (1 - (y - yMin) / (yMax - yMin)) * ph;
  const parts: string[] = [];
  parts.push(`<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">`);
  parts.push(`<text x="${PAD.left}" y="18" class="t">${esc(c.title)}</text>`);
  parts.push(`<text x="14" y="${r1(PAD.top + ph / 2)}" class="a" transform="rotate(-90 14 ${r1(PAD.top + ph / 2)})" text-anchor="middle">${esc(c.yLabel)}</text>`);
  // grid and axes
  const yt = niceTicks(yMin, yMax);
  const yStep = yt.length > 1 ? yt[1] - yt[0] : Math.abs(yt[0]) || 1;
  for (const v of yt) {
    const y = r1(Y(v));
    parts.push(`<line x1="${PAD.left}" x2="${PAD.left + pw}" y1="${y}" y2="${y}" class="g"/><text x="${PAD.left - 6}" y="${y}" class="a" text-anchor="end" dominant-baseline="middle">${fmtTick(v, yStep)}</text>`);
  }
  const xt = c.xTicks ?? (c.xLabel === undefined ? timeTicks(xMin, xMax) : niceTicks(xMin, xMax, 8));
  for (let k = 0; k < xt.length; k++) {
    const v = xt[k];
    if (v < xMin || v > xMax) continue;
    const x = r1(X(v));
    const label = c.xTickLabels?.[k] ?? (c.xLabel === undefined ? timeLabel(v, xMax - xMin) : fmtNum(v));
    parts.push(`<line x1="${x}" x2="${x}" y1="${PAD.top}" y2="${PAD.top + ph}" class="g"/><text x="${x}" y="${PAD.top + ph + 14}" class="a" text-anchor="middle">${esc(label)}</text>`);
  }
  parts.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${pw}" height="${ph}" class="f"/>`);
  if (c.xLabel !== undefined) parts.push(`<text x="${r1(PAD.left + pw / 2)}" y="${H - 4}" class="a" text-anchor="middle">${esc(c.xLabel)}</text>`);
  else parts.push(`<text x="${PAD.left + pw}" y="${H - 4}" class="a" text-anchor="end">time (UTC)</text>`);
  for (const a of c.areas ?? []) {
    const top: string[] = [];
    const bot: string[] = [];
    for (let i = 0; i < a.xs.length; i++) {
      if (!Number.isFinite(a.lo[i]) || !Number.isFinite(a.hi[i])) continue;
      top.push(`${r1(X(a.xs[i]))},${r1(Y(a.hi[i]))}`);
      bot.push(`${r1(X(a.xs[i]))},${r1(Y(a.lo[i]))}`);
    }
    if (top.length > 0) parts.push(`<polygon points="${top.join(' ')} ${bot.reverse().join(' ')}" fill="${a.color}" fill-opacity="${a.opacity ?? 0.55}" stroke="none"/>`);
  }
  for (const h of c.hlines ?? []) {
    const y = r1(Y(h.y));
    parts.push(`<line x1="${PAD.left}" x2="${PAD.left + pw}" y1="${y}" y2="${y}" stroke="${h.color}" stroke-dasharray="${h.dash ?? '6 4'}"/><text x="${PAD.left + pw - 4}" y="${y}" dy="-3" class="a" text-anchor="end" fill="${h.color}">${esc(h.label)}</text>`);
  }
  for (const s of c.lines ?? []) {
    let d = '';
    let open = false;
    for (let i = 0; i < s.xs.length; i++) {
      const yv = s.ys[i];
      if (!Number.isFinite(yv)) {
        open = false;
        continue;
      }
      const x = r1(X(s.xs[i]));
      const y = r1(Y(yv));
      if (!open) d += `M${x} ${y}`;
      else if (s.step) d += `H${x}V${y}`;
      else d += `L${x} ${y}`;
      open = true;
    }
    if (d !== '') parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.2}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
  }
  for (const m of c.markers ?? []) {
    const fill = m.filled ? m.color : 'none';
    const shapes: string[] = [];
    for (let i = 0; i < m.xs.length; i++) {
      if (!Number.isFinite(m.ys[i])) continue;
      const x = X(m.xs[i]);
      const y = Y(m.ys[i]);
      if (m.shape === 'circle') shapes.push(`<circle cx="${r1(x)}" cy="${r1(y)}" r="3"/>`);
      else {
        const s = m.shape === 'up' ? 1 : -1;
        shapes.push(`<path d="M${r1(x)} ${r1(y - 4 * s)}L${r1(x - 3.5)} ${r1(y + 3 * s)}L${r1(x + 3.5)} ${r1(y + 3 * s)}Z"/>`);
      }
    }
    if (shapes.length > 0) parts.push(`<g fill="${fill}" stroke="${m.color}" stroke-width="1.1">${shapes.join('')}</g>`);
  }
  // legend
  let lx = PAD.left;
  const legend = [
    ...(c.lines ?? []).map((s) => ({ name: s.name, sw: `<line x1="0" x2="14" y1="0" y2="0" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>` })),
    ...(c.areas ?? []).map((a) => ({ name: a.name, sw: `<rect x="0" y="-5" width="14" height="10" fill="${a.color}" fill-opacity="${a.opacity ?? 0.55}"/>` })),
    ...(c.markers ?? []).map((m) => ({ name: m.name, sw: m.shape === 'circle' ? `<circle cx="7" cy="0" r="3" fill="${m.filled ? m.color : 'none'}" stroke="${m.color}"/>` : `<path d="M7 ${m.shape === 'up' ? -4 : 4}L3.5 ${m.shape === 'up' ? 3 : -3}L10.5 ${m.shape === 'up' ? 3 : -3}Z" fill="${m.filled ? m.color : 'none'}" stroke="${m.color}"/>` })),
  ];
  for (const l of legend) {
    if (l.name === '') continue;
    parts.push(`<g transform="translate(${r1(lx)} 33)">${l.sw}<text x="18" y="0" class="a" dominant-baseline="middle">${esc(l.name)}</text></g>`);
    lx += 30 + l.name.length * 6.2;
  }
  parts.push('</svg>');
  return parts.join('');
}
