/**
 * Binance `GET /fapi/v1/exchangeInfo` → `InstrumentSpec`s: PRICE_FILTER, LOT_SIZE,
 * MARKET_LOT_SIZE, MIN_NOTIONAL, PERCENT_PRICE and MAX_NUM_ORDERS, kept as exact decimal strings
 * with the payload's `serverTime` as the spec's date. A payload without a filter the trading core
 * needs fails with an `InputError` naming the symbol and the filter.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../../core/errors.ts';
import { normalizeDecimal } from '../../model/decimal.ts';
import type { InstrumentSpec } from '../../model/instrument.ts';

interface RawFilter {
  filterType: string;
  [k: string]: unknown;
}

function str(v: unknown, field: string, file?: string): string {
  if (typeof v === 'string' && v.length > 0) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new InputError(`expected a decimal string, got ${JSON.stringify(v)}`, { file, field });
}

/** Builds specs from a parsed `GET /fapi/v1/exchangeInfo` payload. */
export function specsFromExchangeInfo(info: unknown, file?: string): InstrumentSpec[] {
  if (typeof info !== 'object' || info === null || !Array.isArray((info as { symbols?: unknown }).symbols)) {
    throw new InputError('not a Binance exchangeInfo payload (no "symbols" array)', { file, field: 'symbols' });
  }
  const serverTime = (info as { serverTime?: unknown }).serverTime;
  const asOf = typeof serverTime === 'number' ? new Date(serverTime).toISOString() : 'unknown';
  const out: InstrumentSpec[] = [];
  (info as { symbols: unknown[] }).symbols.forEach((raw, i) => {
    const s = raw as Record<string, unknown>;
    const where = `symbols[${i}]`;
    const symbol = str(s.symbol, `${where}.symbol`, file);
    const filters = new Map<string, RawFilter>();
    for (const f of (Array.isArray(s.filters) ? s.filters : []) as RawFilter[]) filters.set(f.filterType, f);
    const pf = filters.get('PRICE_FILTER');
    const ls = filters.get('LOT_SIZE');
    if (!pf) throw new InputError(`${symbol} has no PRICE_FILTER`, { file, field: `${where}.filters` });
    if (!ls) throw new InputError(`${symbol} has no LOT_SIZE`, { file, field: `${where}.filters` });
    const mls = filters.get('MARKET_LOT_SIZE') ?? ls;
    const mn = filters.get('MIN_NOTIONAL');
    const pp = filters.get('PERCENT_PRICE');
    const mo = filters.get('MAX_NUM_ORDERS');
    out.push({
      symbol,
      baseAsset: String(s.baseAsset ?? ''),
      quoteAsset: String(s.quoteAsset ?? ''),
      marginAsset: String(s.marginAsset ?? s.quoteAsset ?? ''),
      contractType: String(s.contractType ?? ''),
      tickSize: normalizeDecimal(str(pf.tickSize, `${where}.PRICE_FILTER.tickSize`, file)),
      minPrice: normalizeDecimal(str(pf.minPrice, `${where}.PRICE_FILTER.minPrice`, file)),
      maxPrice: normalizeDecimal(str(pf.maxPrice, `${where}.PRICE_FILTER.maxPrice`, file)),
      stepSize: normalizeDecimal(str(ls.stepSize, `${where}.LOT_SIZE.stepSize`, file)),
      minQty: normalizeDecimal(str(ls.minQty, `${where}.LOT_SIZE.minQty`, file)),
      maxQty: normalizeDecimal(str(ls.maxQty, `${where}.LOT_SIZE.maxQty`, file)),
      marketMinQty: normalizeDecimal(str(mls.minQty, `${where}.MARKET_LOT_SIZE.minQty`, file)),
      marketMaxQty: normalizeDecimal(str(mls.maxQty, `${where}.MARKET_LOT_SIZE.maxQty`, file)),
      minNotional: mn ? normalizeDecimal(str(mn.notional, `${where}.MIN_NOTIONAL.notional`, file)) : '0',
      percentPrice: pp
        ? {
            multiplierUp: normalizeDecimal(str(pp.multiplierUp, `${where}.PERCENT_PRICE.multiplierUp`, file)),
            multiplierDown: normalizeDecimal(str(pp.multiplierDown, `${where}.PERCENT_PRICE.multiplierDown`, file)),
          }
        : undefined,
      maxNumOrders: mo && typeof mo.limit === 'number' ? mo.limit : undefined,
      source: { kind: 'exchangeInfo', file, asOf },
    });
  });
  return out;
}

export function loadExchangeInfoFile(file: string): InstrumentSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read exchangeInfo file: ${(e as Error).message}`, { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`exchangeInfo file is not valid JSON: ${(e as Error).message}`, { file });
  }
  return specsFromExchangeInfo(json, file);
}
