// The match time T (ts_transact_us) in the store (maker-store/4): every event type but mark prices
// keeps its own T through write and read, in `eventAt` and in `tsMatchUsAt`; a store written before
// (maker-store/3, no column in book_ticker/trades/agg_trades) reads with T = E and says so.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/model/events.ts';
import { ColumnarBatch, StoreWriter, inspectStore, openStore, readEvents, readMarketEvents, tableLacksMatchTime, type PartitionMeta } from '../../src/store/index.ts';
import { INSTRUMENT, T0, collect, removeTempRoots, tempRoot } from './helpers.ts';
import { downgradeToFormat3 } from './old-format.ts';

afterAll(removeTempRoots);

const VENUE = 'binance-usdm';
const PROV = { importer: 'test', inputs: [{ path: 'a.jsonl' }] };
const S = 'BTCUSDT';

/** One event of every type, each with T a different distance before E. */
function events(): MarketEvent[] {
  const out: MarketEvent[] = [];
  for (let k = 0; k < 50; k++) {
    const ts = T0 + k * 10_000;
    const rx = ts + 2_000;
    out.push({ type: 'depth', symbol: S, tsExchangeUs: ts, tsReceiveUs: rx, tsTransactUs: ts - 1_000, firstUpdateId: 10 * k + 1, finalUpdateId: 10 * k + 10, prevFinalUpdateId: 10 * k, bidTicks: [600_000 - k], bidLots: [k + 1], askTicks: [600_001 + k], askLots: [3] });
    out.push({ type: 'trade', symbol: S, tsExchangeUs: ts + 1, tsReceiveUs: rx + 1, tsTransactUs: ts - 1_440_000, tradeId: 500 + k, priceTicks: 600_000, qtyLots: 2, buyerIsMaker: k % 2 === 0 });
    out.push({ type: 'bookTicker', symbol: S, tsExchangeUs: ts + 2, tsReceiveUs: rx + 2, tsTransactUs: ts - 3, updateId: 10 * k + 10, bidTicks: 600_000 - k, bidLots: k + 1, askTicks: 600_001 + k, askLots: 3 });
    out.push({ type: 'aggTrade', symbol: S, tsExchangeUs: ts + 3, tsReceiveUs: rx + 3, tsTransactUs: ts - 4, aggTradeId: 900 + k, firstTradeId: 500 + k, lastTradeId: 500 + k, priceTicks: 600_000, qtyLots: 2, buyerIsMaker: true });
    if (k % 10 === 0) out.push({ type: 'markPrice', symbol: S, tsExchangeUs: ts + 4, tsReceiveUs: rx + 4, markPrice: '60000.1', indexPrice: '60000.2', fundingRate: '0.0001', nextFundingTimeUs: -1 });
  }
  return out;
}

async function write(root: string, evs: MarketEvent[]): Promise<void> {
  const w = new StoreWriter({ root, venue: VENUE });
  w.addInstrument(INSTRUMENT);
  await w.write(evs);
  await w.commit(PROV);
}

function metaOf(root: string): PartitionMeta {
  return JSON.parse(readFileSync(join(root, VENUE, S, '2024-08-08', 'meta.json'), 'utf8')) as PartitionMeta;
}

async function matchTimes(root: string): Promise<{ events: MarketEvent[]; match: number[] }> {
  const match: number[] = [];
  const evs: MarketEvent[] = [];
  for await (const rb of readEvents(root, { venue: VENUE, symbol: S })) {
    const b = new ColumnarBatch(rb);
    for (let k = 0; k < b.length; k++) {
      match.push(b.tsMatchUsAt(k));
      evs.push(b.eventAt(k));
    }
  }
  return { events: evs, match };
}

describe('match time in the store', () => {
  it('round trip: every event keeps its T; tsMatchUsAt is T (E for mark prices)', async () => {
    const root = tempRoot();
    const evs = events();
    await write(root, evs);
    expect(metaOf(root).format).toBe('maker-store/5');
    const { events: back, match } = await matchTimes(root);
    expect(back).toEqual(evs);
    expect(match).toEqual(evs.map((e) => (e.type === 'markPrice' ? e.tsExchangeUs : e.tsTransactUs)));
    expect(match.filter((t, k) => t < back[k].tsExchangeUs).length).toBe(200);
    const meta = metaOf(root);
    expect((['depth', 'book_ticker', 'trades', 'agg_trades', 'mark_price'] as const).map((t) => tableLacksMatchTime(meta, t))).toEqual([false, false, false, false, false]);
  });

  it('a maker-store/3 store reads with T = E where it had no column, keeps depth T, and says it lacks match time', async () => {
    const root = tempRoot();
    const evs = events();
    await write(root, evs);
    await downgradeToFormat3(root);
    const meta = metaOf(root);
    expect(meta.format).toBe('maker-store/3');
    expect((['depth', 'book_ticker', 'trades', 'agg_trades', 'mark_price'] as const).map((t) => tableLacksMatchTime(meta, t))).toEqual([false, true, true, true, false]);
    const { events: back, match } = await matchTimes(root);
    const want = evs.map((e) => (e.type === 'trade' || e.type === 'aggTrade' || e.type === 'bookTicker' ? { ...e, tsTransactUs: e.tsExchangeUs } : e));
    expect(back).toEqual(want);
    expect(match).toEqual(want.map((e) => (e.type === 'markPrice' ? e.tsExchangeUs : e.tsTransactUs)));
    expect(await collect(readMarketEvents(root, { venue: VENUE, symbol: S }))).toEqual(want);
    // data check lists it (not as damage).
    const integrity = await inspectStore(root);
    expect(integrity.damaged).toEqual([]);
    expect(integrity.noMatchTime).toEqual([`${join(root, VENUE, S, '2024-08-08')}: book_ticker, trades, agg_trades`]);

    // Importing more into it writes the current format (maker-store/5) but keeps saying which tables lack T (their old rows do).
    const more: MarketEvent[] = [{ type: 'trade', symbol: S, tsExchangeUs: T0 + 5_000_000, tsReceiveUs: T0 + 5_002_000, tsTransactUs: T0 + 4_999_000, tradeId: 10_000, priceTicks: 600_000, qtyLots: 1, buyerIsMaker: false }];
    await write(root, more);
    const after = metaOf(root);
    expect(after.format).toBe('maker-store/5');
    expect(after.tables.trades?.noMatchTime).toBe(true);
    expect(after.tables.book_ticker?.noMatchTime).toBe(true);
    expect(after.tables.depth?.noMatchTime).toBeUndefined();
    expect((['book_ticker', 'trades', 'agg_trades'] as const).every((t) => tableLacksMatchTime(after, t))).toBe(true);
    const store = await openStore(root);
    expect(store.tables(VENUE, S, '2024-08-08')).toEqual(['depth', 'book_ticker', 'trades', 'agg_trades', 'mark_price']);
    const last = (await collect(readMarketEvents(root, { venue: VENUE, symbol: S }))).find((e) => e.type === 'trade' && e.tradeId === 10_000);
    expect(last).toMatchObject({ tsTransactUs: T0 + 4_999_000 });
  });
});
