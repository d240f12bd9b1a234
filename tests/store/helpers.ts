// Shared fixtures for the store tests: an instrument and small hand-made events.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Instrument, type InstrumentSpec } from '../../src/model/instrument.ts';
import type { MarketEvent } from '../../src/model/events.ts';

export const SPEC: InstrumentSpec = {
  symbol: 'BTCUSDT',
  baseAsset: 'BTC',
  quoteAsset: 'USDT',
  marginAsset: 'USDT',
  contractType: 'PERPETUAL',
  tickSize: '0.1',
  minPrice: '0.1',
  maxPrice: '1000000',
  stepSize: '0.001',
  minQty: '0.001',
  maxQty: '1000',
  marketMinQty: '0.001',
  marketMaxQty: '120',
  minNotional: '100',
  source: { kind: 'manual', asOf: '2024-08-08T00:00:00.000Z' },
};
export const INSTRUMENT = new Instrument(SPEC);
export const DAY_US = 86_400_000_000;
/** 2024-08-08T00:00:00Z in µs. */
export const T0 = 1_723_075_200_000_000;

const roots: string[] = [];
export function tempRoot(): string {
  const r = mkdtempSync(join(tmpdir(), 'maker-store-'));
  roots.push(r);
  return r;
}

/** Removes every directory made by tempRoot (call from afterAll). */
export function removeTempRoots(): void {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
}

export function diff(tsUs: number, U: number, u: number, pu: number, bids: [number, number][], asks: [number, number][], rx = 3000): MarketEvent {
  return {
    type: 'depth',
    symbol: 'BTCUSDT',
    tsExchangeUs: tsUs,
    tsReceiveUs: tsUs + rx,
    tsTransactUs: tsUs - 1000,
    firstUpdateId: U,
    finalUpdateId: u,
    prevFinalUpdateId: pu,
    bidTicks: bids.map((b) => b[0]),
    bidLots: bids.map((b) => b[1]),
    askTicks: asks.map((a) => a[0]),
    askLots: asks.map((a) => a[1]),
  };
}

export function trade(tsUs: number, id: number, price: number, qty: number, rx = 3000): MarketEvent {
  return { type: 'trade', symbol: 'BTCUSDT', tsExchangeUs: tsUs, tsReceiveUs: tsUs + rx, tsTransactUs: tsUs - 2, tradeId: id, priceTicks: price, qtyLots: qty, buyerIsMaker: id % 2 === 0 };
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The file a partition's meta.json lists for a table (content-addressed names since maker-store/3). */
export function tablePath(root: string, venue: string, symbol: string, date: string, table: string): string {
  const dir = join(root, venue, symbol, date);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { tables: Record<string, { file: string } | undefined> };
  const t = meta.tables[table];
  if (!t) throw new Error(`no table ${table} in ${dir}`);
  return join(dir, t.file);
}

/** A chain of depth diffs (consistent U/u/pu) with a trade every other event, one per `stepUs`. */
export function chain(n: number, startTs: number, startU: number, stepUs = 1_000_000): MarketEvent[] {
  const out: MarketEvent[] = [];
  for (let k = 0; k < n; k++) {
    const u = startU + k * 3;
    out.push(diff(startTs + k * stepUs, u - 2, u, u - 3, [[600_000 - k, k + 1]], k % 3 === 0 ? [] : [[600_010 + k, 2], [600_011 + k, 0]]));
    if (k % 2 === 0) out.push(trade(startTs + k * stepUs + 500, 1000 + k, 600_000, 5));
  }
  return out;
}
