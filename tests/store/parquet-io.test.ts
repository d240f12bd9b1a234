// TableFileReader (parquet-io.ts): the direct typed-array page decoder against hyparquet's
// parquetRead. Decoding rows into events is tested in batch.test.ts.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/model/events.ts';
import { StoreWriter, readMarketEvents } from '../../src/store/index.ts';
import { TableFileReader } from '../../src/store/parquet-io.ts';
import { INSTRUMENT, T0, collect, diff, removeTempRoots, tempRoot, trade, tablePath } from './helpers.ts';

afterAll(removeTempRoots);

function events(): MarketEvent[] {
  const out: MarketEvent[] = [];
  for (let k = 0; k < 300; k++) {
    const ts = T0 + k * 1000;
    const bids: [number, number][] = Array.from({ length: k % 7 }, (_, j) => [600_000 - j - k, j + 1]);
    const asks: [number, number][] = Array.from({ length: (k * 3) % 5 }, (_, j) => [600_100 + j + k, 2 ** 40 + j]);
    out.push(diff(ts, 10 * k + 1, 10 * k + 10, 10 * k, bids, asks));
    if (k % 3 === 0) out.push(trade(ts + 1, 5000 + k, 600_050, 7));
  }
  out.push({ type: 'snapshot', symbol: 'BTCUSDT', tsExchangeUs: T0 + 400_000, tsReceiveUs: T0 + 403_000, tsTransactUs: T0 + 399_000, lastUpdateId: 9999, bidTicks: [1, 2], bidLots: [3, 4], askTicks: [5], askLots: [6] });
  return out;
}

describe('Parquet decoding', () => {
  for (const compression of ['SNAPPY', 'UNCOMPRESSED'] as const) {
    it(`the direct page decoder and hyparquet parquetRead give the same blocks (${compression})`, async () => {
      const root = tempRoot();
      const w = new StoreWriter({ root, venue: 'v', rowGroupRows: 64, compression });
      w.addInstrument(INSTRUMENT);
      await w.write(events());
      await w.commit({ importer: 'test', inputs: [] });
      for (const table of ['depth', 'trades'] as const) {
        const r = new TableFileReader(tablePath(root, 'v', 'BTCUSDT', '2024-08-08', table), table);
        expect(r.rowGroupCount).toBeGreaterThan(1);
        for (let g = 0; g < r.rowGroupCount; g++) {
          const direct = r.readRowGroupDirect(g);
          expect(direct).toBeDefined();
          const general = await (r as unknown as { readRowGroupGeneral(g: number): Promise<unknown> }).readRowGroupGeneral(g);
          expect(direct).toEqual(general);
        }
        r.close();
      }
    });
  }

  it('list columns spanning several pages (1 MiB pages) decode the same both ways, empty lists included', async () => {
    const root = tempRoot();
    const w = new StoreWriter({ root, venue: 'v' });
    w.addInstrument(INSTRUMENT);
    const evs: MarketEvent[] = [];
    for (let k = 0; k < 3000; k++) {
      // 0..119 levels, long runs of empty sides now and then (RLE runs in the levels).
      const nb = k % 500 < 40 ? 0 : (k * 7) % 120;
      const na = (k * 13) % 97;
      const bids: [number, number][] = Array.from({ length: nb }, (_, j) => [600_000 - j, (k + j) % 5000]);
      const asks: [number, number][] = Array.from({ length: na }, (_, j) => [600_001 + j, 2 ** 45 + j]);
      evs.push(diff(T0 + k * 1000, k + 1, k + 1, k, bids, asks));
    }
    await w.write(evs);
    await w.commit({ importer: 'test', inputs: [] });
    const r = new TableFileReader(tablePath(root, 'v', 'BTCUSDT', '2024-08-08', 'depth'), 'depth');
    const chunk = r.metadata.row_groups[0].columns.find((c) => c.meta_data?.path_in_schema[0] === 'bid_ticks')!;
    // Several pages: the chunk is larger than one 1 MiB page.
    expect(Number(chunk.meta_data!.total_uncompressed_size)).toBeGreaterThan(1 << 20);
    for (let g = 0; g < r.rowGroupCount; g++) {
      const direct = r.readRowGroupDirect(g);
      expect(direct).toBeDefined();
      expect(direct).toEqual(await (r as unknown as { readRowGroupGeneral(g: number): Promise<unknown> }).readRowGroupGeneral(g));
    }
    r.close();
    expect(await collect(readMarketEvents(root, { venue: 'v', symbol: 'BTCUSDT' }))).toEqual(evs);
  });
});
