/**
 * The data.binance.vision archive layout for USDⓈ-M futures, and the plan of which archives a
 * date range needs. Pure: no I/O, no clock.
 *
 * Layout (`<base>/` then the path below; the local mirror under `--out` uses the same path):
 *   data/futures/um/daily/<type>/<SYMBOL>/<SYMBOL>-<type>-<YYYY-MM-DD>.zip
 *   data/futures/um/monthly/<type>/<SYMBOL>/<SYMBOL>-<type>-<YYYY-MM>.zip
 *   kline types: data/futures/um/<daily|monthly>/<type>/<SYMBOL>/<interval>/<SYMBOL>-<interval>-<date>.zip
 * and next to each zip its `<name>.zip.CHECKSUM` (`<sha256 hex>  <name>.zip`).
 *
 * Which granularities exist per type: trades, aggTrades, bookTicker and the kline types have both;
 * bookDepth and metrics are daily only; fundingRate is monthly only.
 *
 * Plan: per symbol and type, a whole calendar month inside the range is one monthly archive when the
 * type has monthly archives (with its days as the fallback when the monthly archive is not there,
 * e.g. a month not yet published), every other day a daily archive; a monthly-only type takes the
 * month of every day in the range. Order: symbols, then types, as given; then time.
 */
import { ConfigError } from '../../core/errors.ts';

export const VISION_TYPES = ['trades', 'aggTrades', 'bookTicker', 'bookDepth', 'metrics', 'fundingRate', 'klines', 'markPriceKlines', 'indexPriceKlines', 'premiumIndexKlines'] as const;
export type VisionType = (typeof VISION_TYPES)[number];

interface TypeInfo {
  daily: boolean;
  monthly: boolean;
  kline: boolean;
  /** `maker import` reads it (fundingRate into the store's side table). */
  importable: boolean;
}

export const TYPE_INFO: Readonly<Record<VisionType, TypeInfo>> = {
  trades: { daily: true, monthly: true, kline: false, importable: true },
  aggTrades: { daily: true, monthly: true, kline: false, importable: true },
  bookTicker: { daily: true, monthly: true, kline: false, importable: true },
  bookDepth: { daily: true, monthly: false, kline: false, importable: false },
  metrics: { daily: true, monthly: false, kline: false, importable: false },
  fundingRate: { daily: false, monthly: true, kline: false, importable: true },
  klines: { daily: true, monthly: true, kline: true, importable: true },
  markPriceKlines: { daily: true, monthly: true, kline: true, importable: true },
  indexPriceKlines: { daily: true, monthly: true, kline: true, importable: true },
  premiumIndexKlines: { daily: true, monthly: true, kline: true, importable: false },
};

/** What a top-of-book backtest reads: quotes, prints and the funding history. */
export const DEFAULT_TYPES: readonly VisionType[] = ['bookTicker', 'trades', 'fundingRate'];

export const KLINE_INTERVALS = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1mo'] as const;

/** One archive file: its path relative to the base URL (and to the local mirror). */
export interface Archive {
  symbol: string;
  type: VisionType;
  granularity: 'daily' | 'monthly';
  /** `YYYY-MM-DD` (daily) or `YYYY-MM` (monthly). */
  period: string;
  /** `data/futures/um/...zip`, always with forward slashes. */
  path: string;
  /** File name, `BTCUSDT-trades-2024-01-01.zip`. */
  name: string;
}

/** A unit of the plan: an archive, and for a monthly one the daily archives to use if it is not there. */
export interface PlanItem {
  archive: Archive;
  fallback: Archive[];
}

export function archiveOf(symbol: string, type: VisionType, granularity: 'daily' | 'monthly', period: string, interval: string): Archive {
  const info = TYPE_INFO[type];
  const tag = info.kline ? interval : type;
  const name = `${symbol}-${tag}-${period}.zip`;
  const dir = `data/futures/um/${granularity}/${type}/${symbol}${info.kline ? `/${interval}` : ''}`;
  return { symbol, type, granularity, period, path: `${dir}/${name}`, name };
}

/** Days since the epoch of a `YYYY-MM-DD` (UTC), or NaN when it is not a real calendar day. */
export function dayNumber(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return Number.NaN;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const back = new Date(ms).toISOString().slice(0, 10);
  return back === text ? ms / 86_400_000 : Number.NaN;
}

export function dayText(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

function monthOf(day: number): string {
  return dayText(day).slice(0, 7);
}

/** Parses `--from`/`--to` (inclusive UTC days). */
export function parseDayOption(text: string, option: string): number {
  const d = dayNumber(text);
  if (!Number.isFinite(d)) throw new ConfigError(`must be a calendar day written YYYY-MM-DD, got "${text}"`, { field: option });
  return d;
}

export interface PlanOptions {
  symbols: readonly string[];
  types: readonly VisionType[];
  fromDay: number;
  toDay: number;
  interval: string;
  /** Use daily archives only (never monthly, except for monthly-only types). */
  dailyOnly?: boolean;
}

export function planArchives(o: PlanOptions): PlanItem[] {
  const out: PlanItem[] = [];
  for (const symbol of o.symbols) {
    for (const type of o.types) {
      const info = TYPE_INFO[type];
      const daily = (d: number): Archive => archiveOf(symbol, type, 'daily', dayText(d), o.interval);
      if (!info.daily) {
        // Monthly only: the month of every day in the range.
        const months: string[] = [];
        for (let d = o.fromDay; d <= o.toDay; d++) if (months[months.length - 1] !== monthOf(d)) months.push(monthOf(d));
        for (const m of months) out.push({ archive: archiveOf(symbol, type, 'monthly', m, o.interval), fallback: [] });
        continue;
      }
      let d = o.fromDay;
      while (d <= o.toDay) {
        const month = monthOf(d);
        const first = dayText(d).endsWith('-01');
        let last = d;
        while (last + 1 <= o.toDay && monthOf(last + 1) === month) last++;
        const wholeMonth = first && monthOf(last + 1) !== month;
        if (wholeMonth && info.monthly && !o.dailyOnly) {
          const days: Archive[] = [];
          for (let x = d; x <= last; x++) days.push(daily(x));
          out.push({ archive: archiveOf(symbol, type, 'monthly', month, o.interval), fallback: days });
        } else {
          for (let x = d; x <= last; x++) out.push({ archive: daily(x), fallback: [] });
        }
        d = last + 1;
      }
    }
  }
  return out;
}

/** Parses a `--types` list (comma separated, names as data.binance.vision spells them). */
export function parseTypes(text: string): VisionType[] {
  const out: VisionType[] = [];
  for (const raw of text.split(',')) {
    const t = raw.trim();
    if (t === '') continue;
    const found = VISION_TYPES.find((v) => v === t) ?? VISION_TYPES.find((v) => v.toLowerCase() === t.toLowerCase());
    if (!found) throw new ConfigError(`unknown data type "${t}"; one of: ${VISION_TYPES.join(', ')}`, { field: '--types' });
    if (!out.includes(found)) out.push(found);
  }
  if (out.length === 0) throw new ConfigError('names no data type', { field: '--types' });
  return out;
}

/** Parses a `--symbols` list: comma separated, upper-cased, Binance symbol characters only. */
export function parseSymbols(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const s = raw.trim().toUpperCase();
    if (s === '') continue;
    if (!/^[A-Z0-9]{2,30}$/.test(s)) throw new ConfigError(`"${raw.trim()}" is not a Binance symbol (letters and digits, like BTCUSDT)`, { field: '--symbols' });
    if (!out.includes(s)) out.push(s);
  }
  if (out.length === 0) throw new ConfigError('names no symbol', { field: '--symbols' });
  return out;
}

/** The `<name>.zip.CHECKSUM` line: `<64 hex>  <name>` (sha256sum's format; one space or `*` accepted). */
export function parseChecksum(text: string, name: string): string | null {
  const m = /^([0-9a-fA-F]{64})[ \t]+\*?(\S+)\s*$/.exec(text.trim());
  if (!m) return null;
  if (m[2] !== name && !m[2].endsWith(`/${name}`)) return null;
  return m[1].toLowerCase();
}
