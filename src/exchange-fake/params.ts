/**
 * Request parameters as Binance reads them: from the query string, a form body, or both
 * (binance-live.md §3.2: ccxt sends a form body, the official connector the query with an empty
 * JSON content type). Duplicates are refused (-1101); values are checked where they are used.
 */
import { parseDecimal } from '../model/money.ts';
import type { Instrument } from '../model/instrument.ts';
import { BinanceError, ERR } from './errors.ts';

export function parseParams(query: string, body: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of [query, body]) {
    if (part === '') continue;
    for (const [k, v] of new URLSearchParams(part)) {
      if (out.has(k)) throw ERR.tooManyParams(k);
      out.set(k, v);
    }
  }
  return out;
}

export function required(p: Map<string, string>, name: string): string {
  const v = p.get(name);
  if (v === undefined || v === '') throw ERR.mandatory(name);
  return v;
}

export function optionalInt(p: Map<string, string>, name: string): number | undefined {
  const v = p.get(name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d{1,16}$/.test(v)) throw ERR.badParam(name, v);
  return Number(v);
}

export function oneOf<T extends string>(p: Map<string, string>, name: string, allowed: readonly T[], err: () => BinanceError, dflt?: T): T {
  const v = p.get(name);
  if (v === undefined || v === '') {
    if (dflt !== undefined) return dflt;
    throw ERR.mandatory(name);
  }
  if (!(allowed as readonly string[]).includes(v)) throw err();
  return v as T;
}

export function bool(p: Map<string, string>, name: string): boolean {
  const v = p.get(name);
  if (v === undefined || v === '') return false;
  if (v === 'true' || v === 'TRUE') return true;
  if (v === 'false' || v === 'FALSE') return false;
  throw ERR.badParam(name, v);
}

const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;

export function clientOrderId(p: Map<string, string>, name: string): string | undefined {
  const v = p.get(name);
  if (v === undefined || v === '') return undefined;
  if (!CLIENT_ID.test(v)) throw ERR.illegalChars(name);
  return v;
}

/**
 * A price or quantity string on the instrument's grid: more decimals than the asset's precision
 * is -1111; a value between grid points is `offGrid` (-4014 for prices, -4023 for quantities).
 * The errors are made only when thrown (an Error's stack trace is costly on the order path).
 */
export function gridValue(v: string, name: string, decimals: number, stepUnits: number, offGrid: BinanceError | (() => BinanceError), nonPositive: BinanceError | (() => BinanceError)): number {
  if (!/^\d*\.?\d*$/.test(v) || v === '' || v === '.') {
    if (/^-\d*\.?\d*$/.test(v)) throw make(nonPositive);
    throw ERR.badParam(name, v);
  }
  const d = parseDecimal(v, name);
  let units = d.units;
  let scale = d.scale;
  while (scale > decimals && units % 10n === 0n) {
    units /= 10n;
    scale--;
  }
  if (scale > decimals) throw ERR.badPrecision();
  units *= 10n ** BigInt(decimals - scale);
  if (units <= 0n) throw make(nonPositive);
  if (units % BigInt(stepUnits) !== 0n) throw make(offGrid);
  const n = units / BigInt(stepUnits);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw ERR.badParam(name, v);
  return Number(n);
}

const make = (e: BinanceError | (() => BinanceError)): BinanceError => (typeof e === 'function' ? e() : e);

export function priceTicks(inst: Instrument, v: string): number {
  return gridValue(v, 'price', inst.priceDecimals, inst.tickUnits, () => new BinanceError(-4014, 'Price not increased by tick size.'), () => new BinanceError(-4001, 'Price less than 0.'));
}

export function qtyLots(inst: Instrument, v: string): number {
  return gridValue(v, 'quantity', inst.qtyDecimals, inst.stepUnits, () => new BinanceError(-4023, 'Quantity not increased by step size.'), () => new BinanceError(-4003, 'Quantity less than or equal to zero.'));
}

/** `limit` in [1, max] (default `dflt`); outside it: -1130. */
export function limitParam(p: Map<string, string>, dflt: number, max: number): number {
  const v = optionalInt(p, 'limit');
  if (v === undefined) return dflt;
  if (v < 1 || v > max) throw ERR.badParam('limit', String(v));
  return v;
}

/** `startTime` / `endTime` (ms), each optional; start after end: -1023. */
export function timeRange(p: Map<string, string>): { start: number | undefined; end: number | undefined } {
  const start = optionalInt(p, 'startTime');
  const end = optionalInt(p, 'endTime');
  if (start !== undefined && end !== undefined && start > end) throw new BinanceError(-1023, 'Start time is greater than end time.');
  return { start, end };
}
