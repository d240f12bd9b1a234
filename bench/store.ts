/**
 * Store read throughput: replays a synthetic store of >= 2M rows (depth level rows, trades,
 * book tickers over one UTC day) through `readEvents` and reports merged rows per second.
 * The store is generated deterministically (Rng seed "bench-store") into a temp dir, outside the
 * timed region. Run standalone: `node --import tsx bench/store.ts [runs]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Rng } from '../src/core/random.ts';
import type { MarketEvent } from '../src/model/events.ts';
import { Instrument } from '../src/model/instrument.ts';
import { StoreWriter, readEvents, type ListColumn } from '../src/store/index.ts';

const SYMBOL = 'BTCUSDT';
const VENUE = 'binance-usdm';
const T0 = 1_723_075_200_000_000; // 2024-08-08T00:00:00Z
const TARGET_ROWS = 2_100_000;

const INSTRUMENT = new Instrument({
  symbol: SYMBOL, baseAsset: 'BTC', quoteAsset: 'USDT', marginAsset: 'USDT', contractType: 'PERPETUAL',
  tickSize: '0.1', minPrice: '0.1', maxPrice: '1000000', stepSize: '0.001', minQty: '0.001', maxQty: '1000',
  marketMinQty: '0.001', marketMaxQty: '120', minNotional: '100', source: { kind: 'manual', asOf: '2024-08-08T00:00:00.000Z' },
});

/** Yields batches of synthetic events in receive order; about 10 depth rows per diff. */
function* syntheticEvents(rng: Rng, targetRows: number): Generator<MarketEvent[]> {
  let rows = 0;
  let rx = T0 + 1_000;
  let u = 5_000_000_000_000;
  let mid = 600_000;
  let tradeId = 1;
  let batch: MarketEvent[] = [];
  while (rows < targetRows) {
    rx += rng.int(3) === 0 ? 0 : 1 + rng.int(40_000);
    const ex = rx - 2_000 - rng.int(1_000);
    const r = rng.next();
    if (r < 0.75) {
      const n = 1 + rng.int(19);
      const bidTicks: number[] = [], bidLots: number[] = [], askTicks: number[] = [], askLots: number[] = [];
      for (let k = 0; k < n; k++) {
        if (rng.next() < 0.5) bidTicks.push(mid - 1 - rng.int(200)), bidLots.push(rng.int(5000));
        else askTicks.push(mid + 1 + rng.int(200)), askLots.push(rng.int(5000));
      }
      const U = u + 1;
      u += 1 + rng.int(30);
      batch.push({ type: 'depth', symbol: SYMBOL, tsExchangeUs: ex, tsReceiveUs: rx, tsTransactUs: ex - 500, firstUpdateId: U, finalUpdateId: u, prevFinalUpdateId: U - 1, bidTicks, bidLots, askTicks, askLots });
      rows += n;
    } else if (r < 0.9) {
      mid += rng.int(5) - 2;
      batch.push({ type: 'trade', symbol: SYMBOL, tsExchangeUs: ex, tsReceiveUs: rx, tsTransactUs: ex - 300, tradeId: tradeId++, priceTicks: mid, qtyLots: 1 + rng.int(2000), buyerIsMaker: rng.next() < 0.5 });
      rows++;
    } else {
      batch.push({ type: 'bookTicker', symbol: SYMBOL, tsExchangeUs: ex, tsReceiveUs: rx, tsTransactUs: ex - 200, updateId: u, bidTicks: mid - 1, bidLots: rng.int(9000), askTicks: mid + 1, askLots: rng.int(9000) });
      rows++;
    }
    if (batch.length >= 10_000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

export async function benchStore(opts: { runs: number }): Promise<{ rowsPerSec: { min: number; median: number; max: number }; rows: number; peakRssMB: number }> {
  const root = mkdtempSync(join(tmpdir(), 'maker-bench-store-'));
  try {
    const w = new StoreWriter({ root, venue: VENUE });
    w.addInstrument(INSTRUMENT);
    for (const batch of syntheticEvents(new Rng('bench-store'), TARGET_ROWS)) await w.write(batch);
    await w.commit({ importer: 'bench-synthetic', inputs: [] });
    const rates: number[] = [];
    let rows = 0;
    let peakRss = 0;
    for (let run = 0; run < Math.max(1, opts.runs); run++) {
      rows = 0;
      let checksum = 0;
      const t0 = performance.now();
      for await (const b of readEvents(root, { venue: VENUE, symbol: SYMBOL })) {
        // Rows as in format 1 (one per depth level, one per other event), so the figure stays comparable.
        const d = b.blocks.depth;
        const bo = d ? (d.columns.bid_ticks as ListColumn).offsets : undefined;
        const ao = d ? (d.columns.ask_ticks as ListColumn).offsets : undefined;
        for (let k = 0; k < b.length; k++) {
          if (b.table[k] !== 0) rows++;
          else {
            const i = b.row[k];
            rows += Math.max(1, bo![i + 1] - bo![i] + ao![i + 1] - ao![i]);
          }
        }
        // Touch a column so the work cannot be skipped.
        if (d) checksum += (d.columns.bid_ticks as ListColumn).values[0] ?? 1;
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
      const s = (performance.now() - t0) / 1000;
      if (!(checksum > 0)) throw new Error('bench read nothing');
      rates.push(rows / s);
    }
    rates.sort((a, b) => a - b);
    return { rowsPerSec: { min: rates[0], median: rates[Math.floor(rates.length / 2)], max: rates[rates.length - 1] }, rows, peakRssMB: Math.round(peakRss / 1e6) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 3);
  const t0 = performance.now();
  const r = await benchStore({ runs });
  console.log(JSON.stringify({ ...r, totalSeconds: Math.round((performance.now() - t0) / 100) / 10 }));
}
