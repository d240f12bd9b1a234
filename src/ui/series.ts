/**
 * A run's charts for the comparison page, read from its `timeseries.parquet` (the columns listed in
 * backtest/report/output.ts `TIMESERIES_COLUMNS`): per sample the account equity (the same on each
 * symbol's row: taken from the first symbol's) and each symbol's position in base-asset units.
 * Times are µs since the epoch, in file order (the recorder writes samples in time order; a file
 * whose times go back is refused with its row). Floats: the table is for charts (exact values are
 * in summary.json). A file over `MAX_SERIES_BYTES` is not read.
 */
import { readFileSync, statSync } from 'node:fs';
import { parquetReadObjects } from 'hyparquet';

export const MAX_SERIES_BYTES = 256 * 1024 * 1024;

export interface RunSeries {
  /** Sample times, µs since the epoch. */
  readonly ts: Float64Array;
  readonly equity: Float64Array;
  /** Drawdown from the running peak of equity, % (≤ 0). */
  readonly drawdownPct: Float64Array;
  /** Position per symbol, base-asset units, in the file's symbol order. */
  readonly positions: ReadonlyMap<string, Float64Array>;
}

export class SeriesError extends Error {
  readonly code = 'E_UI_SERIES';
}

/** Reads and checks `file`; throws `SeriesError` (naming the file and what is wrong) on a bad table. */
export async function readRunSeries(file: string): Promise<RunSeries> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new SeriesError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (size > MAX_SERIES_BYTES) throw new SeriesError(`${file}: ${size} bytes, over the ${MAX_SERIES_BYTES} this server reads for a chart`);
  const b = readFileSync(file);
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, columns: ['ts_us', 'symbol', 'equity', 'position_qty'] });
  } catch (e) {
    throw new SeriesError(`${file}: not a readable time-series table (${(e as Error).message})`);
  }
  const symbols: string[] = [];
  for (const r of rows) {
    if (typeof r.symbol !== 'string') break;
    if (symbols.includes(r.symbol)) break;
    symbols.push(r.symbol);
  }
  const k = symbols.length;
  if (k === 0) return { ts: new Float64Array(0), equity: new Float64Array(0), drawdownPct: new Float64Array(0), positions: new Map() };
  if (rows.length % k !== 0) throw new SeriesError(`${file}: ${rows.length} rows are not whole samples of ${k} symbols (${symbols.join(', ')})`);
  const n = rows.length / k;
  const ts = new Float64Array(n);
  const equity = new Float64Array(n);
  const positions = new Map(symbols.map((s) => [s, new Float64Array(n)]));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const row = i * k + j;
      const r = rows[row];
      if (r.symbol !== symbols[j]) throw new SeriesError(`${file}: row ${row}: symbol ${JSON.stringify(r.symbol)} where ${symbols[j]} was expected (rows are samples × symbols)`);
      const t = Number(r.ts_us as bigint | number);
      if (j === 0) {
        if (!Number.isFinite(t) || (i > 0 && t < ts[i - 1])) throw new SeriesError(`${file}: row ${row}: ts_us ${String(r.ts_us)} goes back in time`);
        ts[i] = t;
        equity[i] = typeof r.equity === 'number' ? r.equity : NaN;
      }
      positions.get(symbols[j])![i] = typeof r.position_qty === 'number' ? r.position_qty : NaN;
    }
  }
  const drawdownPct = new Float64Array(n);
  let peak = -Infinity;
  for (let i = 0; i < n; i++) {
    if (equity[i] > peak) peak = equity[i];
    drawdownPct[i] = peak > 0 && Number.isFinite(equity[i]) ? (equity[i] / peak - 1) * 100 : NaN;
  }
  return { ts, equity, drawdownPct, positions };
}
