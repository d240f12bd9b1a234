// The replay cursor and the two Parquet decode paths (direct typed-array pages vs hyparquet's parquetRead).
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/model/events.ts';
import { EventKind, ReplayCursor, StoreWriter, readEvents, readMarketEvents } from '../../src/store/index.ts';
import { TableFileReader } from '../../src/store/parquet-io.ts';
import { INSTRUMENT, T0, collect, diff, removeTempRoots, tempRoot, trade } from './helpers.ts';

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

describe('ReplayCursor and decoding', () => {
  it('the cursor walks the same events as eventsFromBatch, with FlatDepthDiff views of the levels', async () => {
    const root = tempRoot();
    const w = new StoreWriter({ root, venue: 'v', rowGroupRows: 50 });
    w.addInstrument(INSTRUMENT);
    const evs = events();
    await w.write(evs);
    await w.commit({ importer: 'test', inputs: [] });
    expect(await collect(readMarketEvents(root, { venue: 'v', symbol: 'BTCUSDT', batchRows: 37 }))).toEqual(evs);
    const c = new ReplayCursor();
    const seen: MarketEvent[] = [];
    for await (const batch of readEvents(root, { venue: 'v', symbol: 'BTCUSDT', batchRows: 64 })) {
      for (c.reset(batch); c.next(); ) {
        const e = c.event();
        seen.push(e);
        expect(c.tsReceiveUs).toBe(e.tsReceiveUs);
        if (e.type === 'depth' || e.type === 'snapshot') {
          expect(c.kind).toBe(e.type === 'depth' ? EventKind.depth : EventKind.snapshot);
          const d = c.depth;
          expect(Array.from(d.bidTicks).slice(d.bidStart, d.bidEnd)).toEqual(e.bidTicks);
          expect(Array.from(d.askLots).slice(d.askStart, d.askEnd)).toEqual(e.askLots);
          expect(d.finalUpdateId).toBe(e.type === 'depth' ? e.finalUpdateId : e.lastUpdateId);
        } else expect(c.kind).toBe(EventKind.trade);
      }
    }
    expect(seen).toEqual(evs);
  });

  it('the direct page decoder and hyparquet parquetRead give the same blocks', async () => {
    const root = tempRoot();
    const w = new StoreWriter({ root, venue: 'v', rowGroupRows: 64 });
    w.addInstrument(INSTRUMENT);
    await w.write(events());
    await w.commit({ importer: 'test', inputs: [] });
    for (const table of ['depth', 'trades'] as const) {
      const r = new TableFileReader(join(root, 'v', 'BTCUSDT', '2024-08-08', `${table}.parquet`), table);
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
});
