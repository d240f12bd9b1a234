/**
 * Funding-rate history as a side table of the store: data.binance.vision `fundingRate` files
 * (monthly CSV, `calc_time,funding_interval_hours,last_funding_rate`, .zip or plain) imported into
 * `<store>/<venue>/<SYMBOL>/funding-rate.csv`, one file per symbol, next to the date partitions.
 *
 * It is not market data: it changes neither the event schema nor the store format, store walkers
 * ignore it (they read date directories only), and it does not stretch the span of a run. The
 * backtest reads it for `execution.funding.mode: data` (sim-exchange/funding.ts): each record is a
 * settlement at its time and rate, at the mark price (or the book mid without one), unless the
 * markPrice data already settled that funding time.
 *
 * File: header `funding_time_us,interval_hours,rate`, rows sorted by time, one per time (a later
 * import of the same time replaces its rate), rates as written (exact decimal strings). Written to
 * a temporary file and renamed, so a reader never sees half a file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import { parseDecimal } from '../model/money.ts';
import { detectFormat, symbolFromFileName } from './detect.ts';
import { readLineChunks } from './source.ts';

/** One funding settlement of the history. */
export interface FundingRecord {
  /** Funding time, µs since the epoch (UTC). */
  readonly tsUs: number;
  readonly intervalHours: number;
  /** Rate charged, decimal fraction, exact string. */
  readonly rate: string;
}

export const FUNDING_FILE = 'funding-rate.csv';
const HEADER = 'funding_time_us,interval_hours,rate';

export function fundingFilePath(root: string, venue: string, symbol: string): string {
  return join(root, venue, symbol.toUpperCase(), FUNDING_FILE);
}

/** Reads one data.binance.vision fundingRate file: its symbol (from the file name) and records. */
export async function readVisionFundingRate(file: string, symbol?: string): Promise<{ symbol: string; records: FundingRecord[] }> {
  const d = await detectFormat(file);
  if (d.format !== 'vision-funding-rate') throw new InputError(`not a data.binance.vision fundingRate file (detected ${d.format})`, { file });
  const sym = (symbol ?? d.symbolFromName ?? symbolFromFileName(file))?.toUpperCase();
  if (!sym) throw new InputError('cannot tell the symbol from the file name (SYMBOL-fundingRate-YYYY-MM.csv); pass --symbol', { file });
  const records: FundingRecord[] = [];
  let line = 0;
  for await (const chunk of readLineChunks(file, d.compression)) {
    for (const raw of chunk) {
      line++;
      const text = raw.trim();
      if (text === '' || (line === 1 && d.hasHeader)) continue;
      const c = text.split(',');
      const where = { file, line };
      if (c.length < 3) throw new InputError(`expected 3 columns calc_time,funding_interval_hours,last_funding_rate, got ${c.length}`, where);
      const ms = Number(c[0]);
      if (!Number.isSafeInteger(ms) || ms <= 0) throw new InputError(`calc_time: expected epoch milliseconds, got "${c[0]}"`, { ...where, field: 'calc_time' });
      const hours = Number(c[1]);
      if (!Number.isInteger(hours) || hours <= 0) throw new InputError(`funding_interval_hours: expected a positive integer, got "${c[1]}"`, { ...where, field: 'funding_interval_hours' });
      const rate = c[2].trim();
      try {
        parseDecimal(rate, 'last_funding_rate');
      } catch {
        throw new InputError(`last_funding_rate: expected a decimal, got "${c[2]}"`, { ...where, field: 'last_funding_rate' });
      }
      records.push({ tsUs: ms * 1000, intervalHours: hours, rate });
    }
  }
  if (records.length === 0) throw new InputError('the file holds no funding records', { file }, 'E_INPUT_EMPTY');
  return { symbol: sym, records };
}

/** The funding history of a symbol in the store, sorted by time; [] when there is none. */
export function readFundingHistory(root: string, venue: string, symbol: string): FundingRecord[] {
  const path = fundingFilePath(root, venue, symbol);
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines[0] !== HEADER) throw new InputError(`not a funding-rate side table (header "${lines[0]}", expected "${HEADER}")`, { file: path });
  const out: FundingRecord[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const [t, h, rate] = lines[i].split(',');
    const tsUs = Number(t);
    const intervalHours = Number(h);
    if (!Number.isSafeInteger(tsUs) || !Number.isInteger(intervalHours) || rate === undefined || rate === '') throw new InputError(`bad funding record "${lines[i]}"`, { file: path, line: i + 1 });
    if (out.length > 0 && tsUs <= out[out.length - 1].tsUs) throw new InputError('funding records out of order', { file: path, line: i + 1 });
    out.push({ tsUs, intervalHours, rate });
  }
  return out;
}

/** Merges `records` into the symbol's side table (a time already there takes the new rate). Returns the rows in the table after. */
export function writeFundingHistory(root: string, venue: string, symbol: string, records: readonly FundingRecord[]): number {
  const byTime = new Map<number, FundingRecord>();
  for (const r of readFundingHistory(root, venue, symbol)) byTime.set(r.tsUs, r);
  for (const r of records) byTime.set(r.tsUs, r);
  const rows = [...byTime.values()].sort((a, b) => a.tsUs - b.tsUs);
  const path = fundingFilePath(root, venue, symbol);
  mkdirSync(join(root, venue, symbol.toUpperCase()), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${HEADER}\n${rows.map((r) => `${r.tsUs},${r.intervalHours},${r.rate}`).join('\n')}\n`);
  renameSync(tmp, path);
  return rows.length;
}
