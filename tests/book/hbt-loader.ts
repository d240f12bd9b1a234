/**
 * A small, test-only loader for the hftbacktest Binance recordings (gzip lines
 * `<recv_ns> <json>`, combined-stream envelopes, the REST snapshot as a line without `stream`).
 * It keeps depth diffs, the snapshot and bookTickers, in file order. The production importers in
 * src/importers/ will replace it; it exists so the book can be tested against real data now.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Instrument, type InstrumentSpec } from '../../src/model/index.ts';
import type { BookTicker, DepthDiff, DepthSnapshot } from '../../src/model/index.ts';

export const HBT_DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'real', 'hftbacktest', 'usdm');
export const BTC_FILE = join(HBT_DIR, 'btcusdt_20240808.gz');
export const ETH_FILE = join(HBT_DIR, 'ethusdt_20240808.gz');

export function usdmInstrument(symbol: string, tickSize: string, stepSize: string): Instrument {
  const spec: InstrumentSpec = {
    symbol, baseAsset: symbol.replace(/USDT$/, ''), quoteAsset: 'USDT', marginAsset: 'USDT', contractType: 'PERPETUAL',
    tickSize, minPrice: tickSize, maxPrice: '10000000', stepSize, minQty: stepSize, maxQty: '100000',
    marketMinQty: stepSize, marketMaxQty: '100000', minNotional: '5', source: { kind: 'manual', asOf: '2024-08-08T00:00:00.000Z' },
  };
  return new Instrument(spec);
}

export type HbtEvent = DepthDiff | DepthSnapshot | BookTicker;

interface RawLevels {
  b?: [string, string][];
  a?: [string, string][];
  bids?: [string, string][];
  asks?: [string, string][];
}

function levels(inst: Instrument, raw: [string, string][] | undefined): { ticks: number[]; lots: number[] } {
  const ticks: number[] = [];
  const lots: number[] = [];
  for (const [p, q] of raw ?? []) {
    ticks.push(inst.priceToTicks(p));
    lots.push(inst.qtyToLots(q));
  }
  return { ticks, lots };
}

export function loadHbt(file: string, inst: Instrument): HbtEvent[] {
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  const out: HbtEvent[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line.length === 0) continue;
    const sp = line.indexOf(' ');
    const recv = Number(line.slice(0, sp));
    // ns or µs, told apart by magnitude (see SOURCES.md).
    const tsReceiveUs = recv > 1e17 ? Math.floor(recv / 1000) : recv;
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line.slice(sp + 1)) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${file}:${lineNo}: not JSON: ${(e as Error).message}`);
    }
    if (msg.stream === undefined) {
      const s = msg as unknown as RawLevels & { lastUpdateId: number; E: number; T: number };
      const b = levels(inst, s.bids);
      const a = levels(inst, s.asks);
      out.push({
        type: 'snapshot', symbol: inst.symbol, tsExchangeUs: s.E * 1000, tsReceiveUs, tsTransactUs: s.T * 1000,
        lastUpdateId: s.lastUpdateId, bidTicks: b.ticks, bidLots: b.lots, askTicks: a.ticks, askLots: a.lots,
      });
      continue;
    }
    const stream = msg.stream as string;
    const d = msg.data as Record<string, unknown>;
    if (stream.includes('@depth')) {
      const r = d as unknown as RawLevels & { E: number; T: number; U: number; u: number; pu: number };
      const b = levels(inst, r.b);
      const a = levels(inst, r.a);
      out.push({
        type: 'depth', symbol: inst.symbol, tsExchangeUs: r.E * 1000, tsReceiveUs, tsTransactUs: r.T * 1000,
        firstUpdateId: r.U, finalUpdateId: r.u, prevFinalUpdateId: r.pu,
        bidTicks: b.ticks, bidLots: b.lots, askTicks: a.ticks, askLots: a.lots,
      });
    } else if (stream.endsWith('@bookTicker')) {
      const t = d as { u: number; E: number; b: string; B: string; a: string; A: string };
      out.push({
        type: 'bookTicker', symbol: inst.symbol, tsExchangeUs: t.E * 1000, tsReceiveUs, updateId: t.u,
        bidTicks: inst.priceToTicks(t.b), bidLots: inst.qtyToLots(t.B), askTicks: inst.priceToTicks(t.a), askLots: inst.qtyToLots(t.A),
      });
    }
  }
  return out;
}
