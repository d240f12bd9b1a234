// The one decoder of store rows (ColumnarBatch) against a plain decode of every row, written here
// from the schema: each accessor, the built event (fields and their order) and the flat depth view,
// for all six event types, empty level lists and batches that cut across row groups. Then
// ArrayBatch against ColumnarBatch, and mergeSources against a plain stable sort.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlatDepthDiff, MarketEvent } from '../../src/model/events.ts';
import { ArrayBatch, ColumnarBatch, StoreWriter, TABLES, eventsFromBatch, mergeSources, readEvents, readMarketEvents, type EventBatch, type ListColumn, type ReplayBatch, type WritableTrade } from '../../src/store/index.ts';
import { INSTRUMENT, T0, collect, diff, removeTempRoots, tempRoot, trade } from './helpers.ts';

afterAll(removeTempRoots);

/** Every event type, in store order: ties of receive time across tables, empty sides, lots above 2^32. */
function events(): MarketEvent[] {
  const out: MarketEvent[] = [];
  const s = 'BTCUSDT';
  for (let k = 0; k < 240; k++) {
    const ts = T0 + k * 1000;
    const bids: [number, number][] = Array.from({ length: k % 7 }, (_, j) => [600_000 - j - k, j + 1]);
    const asks: [number, number][] = Array.from({ length: (k * 3) % 5 }, (_, j) => [600_100 + j + k, 2 ** 40 + j]);
    out.push(diff(ts, 10 * k + 1, 10 * k + 10, 10 * k, bids, asks));
    // Same receive time as the diff: the recording order (seq) must survive the merge of tables.
    if (k % 3 === 0) out.push(trade(ts, 5000 + k, 600_050, 7));
    if (k % 4 === 1) out.push({ type: 'bookTicker', symbol: s, tsExchangeUs: ts + 10, tsReceiveUs: ts + 3010, tsTransactUs: ts + 8, updateId: 10 * k + 10, bidTicks: 600_000 - k, bidLots: 3 + k, askTicks: 600_001 + k, askLots: 2 ** 33 + k });
    if (k % 5 === 2) out.push({ type: 'aggTrade', symbol: s, tsExchangeUs: ts + 20, tsReceiveUs: ts + 3020, tsTransactUs: ts + 15, aggTradeId: 700 + k, firstTradeId: 5000 + k, lastTradeId: 5002 + k, priceTicks: 600_040 + k, qtyLots: 11, buyerIsMaker: k % 2 === 1 });
    if (k % 60 === 7) out.push({ type: 'markPrice', symbol: s, tsExchangeUs: ts + 30, tsReceiveUs: ts + 3030, markPrice: `60004.${k}1234`, indexPrice: k === 7 ? '' : '60003.5', fundingRate: '0.0001', nextFundingTimeUs: k === 67 ? -1 : T0 + 8 * 3_600_000_000 });
    if (k % 70 === 9) {
      out.push({
        type: 'forceOrder', symbol: s, tsExchangeUs: ts + 50, tsReceiveUs: ts + 3050, tsTransactUs: ts + 49, side: k % 140 === 9 ? 'sell' : 'buy', orderType: 'LIMIT', timeInForce: 'IOC',
        origQtyLots: 14 + k, priceTicks: 599_000 + k, avgPrice: `59910.${k}2345678`, status: k === 9 ? 'PARTIALLY_FILLED' : 'FILLED', lastFilledQtyLots: 3, filledQtyLots: k === 9 ? 10 : 14 + k,
      });
    }
    if (k % 80 === 40) out.push({ type: 'snapshot', symbol: s, tsExchangeUs: ts + 40, tsReceiveUs: ts + 3040, tsTransactUs: ts + 39, lastUpdateId: 10 * k + 10, bidTicks: [600_000 - k, 599_999 - k], bidLots: [3, 4], askTicks: k === 120 ? [] : [600_001 + k], askLots: k === 120 ? [] : [6] });
  }
  return out;
}

/** Row k of a store batch decoded the plain way: column by column, levels sliced from the list columns. */
function plainEventOf(batch: ReplayBatch, k: number): MarketEvent {
  const table = TABLES[batch.table[k]];
  const cols = batch.blocks[table]!.columns;
  const i = batch.row[k];
  const n = (name: string) => (cols[name] as Float64Array)[i];
  const str = (name: string) => (cols[name] as string[])[i];
  const list = (name: string) => {
    const l = cols[name] as ListColumn;
    return Array.from(l.values.subarray(l.offsets[i], l.offsets[i + 1]));
  };
  const stamp = { symbol: batch.symbol, tsExchangeUs: n('ts_exchange_us'), tsReceiveUs: n('ts_receive_us') };
  switch (table) {
    case 'depth': {
      const levels = { bidTicks: list('bid_ticks'), bidLots: list('bid_lots'), askTicks: list('ask_ticks'), askLots: list('ask_lots') };
      if ((cols.is_snapshot as Uint8Array)[i] === 1) return { type: 'snapshot', ...stamp, tsTransactUs: n('ts_transact_us'), lastUpdateId: n('final_update_id'), ...levels };
      return { type: 'depth', ...stamp, tsTransactUs: n('ts_transact_us'), firstUpdateId: n('first_update_id'), finalUpdateId: n('final_update_id'), prevFinalUpdateId: n('prev_final_update_id'), ...levels };
    }
    case 'book_ticker':
      return { type: 'bookTicker', ...stamp, tsTransactUs: n('ts_transact_us'), updateId: n('update_id'), bidTicks: n('bid_price_ticks'), bidLots: n('bid_qty_lots'), askTicks: n('ask_price_ticks'), askLots: n('ask_qty_lots') };
    case 'trades':
      return { type: 'trade', ...stamp, tsTransactUs: n('ts_transact_us'), tradeId: n('trade_id'), priceTicks: n('price_ticks'), qtyLots: n('qty_lots'), buyerIsMaker: (cols.buyer_is_maker as Uint8Array)[i] === 1 };
    case 'agg_trades':
      return { type: 'aggTrade', ...stamp, tsTransactUs: n('ts_transact_us'), aggTradeId: n('agg_trade_id'), firstTradeId: n('first_trade_id'), lastTradeId: n('last_trade_id'), priceTicks: n('price_ticks'), qtyLots: n('qty_lots'), buyerIsMaker: (cols.buyer_is_maker as Uint8Array)[i] === 1 };
    case 'mark_price':
      return { type: 'markPrice', ...stamp, markPrice: str('mark_price'), indexPrice: str('index_price'), fundingRate: str('funding_rate'), nextFundingTimeUs: n('next_funding_time_us') };
    case 'force_orders':
      return {
        type: 'forceOrder', ...stamp, tsTransactUs: n('ts_transact_us'), side: str('side') === 'BUY' ? 'buy' : 'sell', orderType: str('order_type'), timeInForce: str('time_in_force'),
        origQtyLots: n('orig_qty_lots'), priceTicks: n('price_ticks'), avgPrice: str('avg_price'), status: str('status'), lastFilledQtyLots: n('last_filled_qty_lots'), filledQtyLots: n('filled_qty_lots'),
      };
  }
}

function flatOf(b: EventBatch, k: number): FlatDepthDiff {
  const f: FlatDepthDiff = { tsExchangeUs: 0, firstUpdateId: 0, finalUpdateId: 0, prevFinalUpdateId: 0, bidTicks: [], bidLots: [], bidStart: 0, bidEnd: 0, askTicks: [], askLots: [], askStart: 0, askEnd: 0 };
  b.flatDepthAt(k, f);
  return f;
}

/** `tradeAt` into one reused object (as the engine does), copied out; the object must be fully rewritten each time. */
const reusedTrade: WritableTrade = { type: 'trade', symbol: 'stale', tsExchangeUs: -1, tsReceiveUs: -1, tsTransactUs: -1, tradeId: -1, priceTicks: -1, qtyLots: -1, buyerIsMaker: true };
function tradeOf(b: EventBatch, k: number): WritableTrade {
  b.tradeAt(k, reusedTrade);
  return { ...reusedTrade };
}

/** The flat view as plain values: ids and the levels of its ranges. */
function flatValues(f: FlatDepthDiff) {
  const side = (v: ArrayLike<number>, from: number, to: number) => Array.from(v).slice(from, to);
  return {
    ids: [f.tsExchangeUs, f.firstUpdateId, f.finalUpdateId, f.prevFinalUpdateId],
    levels: [side(f.bidTicks, f.bidStart, f.bidEnd), side(f.bidLots, f.bidStart, f.bidEnd), side(f.askTicks, f.askStart, f.askEnd), side(f.askLots, f.askStart, f.askEnd)],
  };
}

/** What the flat view of a depth event or snapshot must hold (a snapshot's ids as its store row carries them). */
function expectedFlat(e: MarketEvent) {
  if (e.type !== 'depth' && e.type !== 'snapshot') throw new Error(`not a depth event: ${e.type}`);
  const ids = e.type === 'depth' ? [e.tsExchangeUs, e.firstUpdateId, e.finalUpdateId, e.prevFinalUpdateId] : [e.tsExchangeUs, -1, e.lastUpdateId, -1];
  return { ids, levels: [e.bidTicks, e.bidLots, e.askTicks, e.askLots] };
}

let root = '';
const written = events();

beforeAll(async () => {
  root = tempRoot();
  // Small row groups: batches end at row-group boundaries and rows of one batch span several groups.
  const w = new StoreWriter({ root, venue: 'v', rowGroupRows: 50 });
  w.addInstrument(INSTRUMENT);
  await w.write(written);
  await w.commit({ importer: 'test', inputs: [] });
});

describe('ColumnarBatch, the one decoder of store rows', () => {
  it('reads every row as the plain decode does: type, symbol, stamps, event (fields in interface order) and flat depth view', async () => {
    const types = new Set<string>();
    let rows = 0;
    for await (const batch of readEvents(root, { venue: 'v', symbol: 'BTCUSDT', batchRows: 37 })) {
      const b = new ColumnarBatch(batch);
      expect(b.length).toBe(batch.length);
      for (let k = 0; k < b.length; k++) {
        const want = plainEventOf(batch, k);
        types.add(want.type);
        expect(b.typeAt(k)).toBe(want.type);
        expect(b.symbolAt(k)).toBe(want.symbol);
        expect(b.tsExchangeUsAt(k)).toBe(want.tsExchangeUs);
        expect(b.tsReceiveUsAt(k)).toBe(want.tsReceiveUs);
        const got = b.eventAt(k);
        expect(got).toEqual(want);
        // One shape per type: the same fields in the same order as the plain decode.
        expect(Object.keys(got)).toEqual(Object.keys(want));
        expect(b.eventAt(k)).not.toBe(got);
        if (want.type === 'depth' || want.type === 'snapshot') expect(flatValues(flatOf(b, k))).toEqual(expectedFlat(want));
        if (want.type === 'trade') expect(tradeOf(b, k)).toEqual(want);
        rows++;
      }
    }
    expect(rows).toBe(written.length);
    expect([...types].sort()).toEqual(['aggTrade', 'bookTicker', 'depth', 'forceOrder', 'markPrice', 'snapshot', 'trade']);
  });

  it('gives back the written events, whatever the batch size (eventsFromBatch, readMarketEvents)', async () => {
    for (const batchRows of [1, 37, 65_536]) {
      expect(await collect(readMarketEvents(root, { venue: 'v', symbol: 'BTCUSDT', batchRows }))).toEqual(written);
      const viaBatches: MarketEvent[] = [];
      for await (const batch of readEvents(root, { venue: 'v', symbol: 'BTCUSDT', batchRows })) viaBatches.push(...eventsFromBatch(batch));
      expect(viaBatches).toEqual(written);
    }
  });
});

describe('ArrayBatch', () => {
  it('reads a MarketEvent[] as ColumnarBatch reads the same events from the store', async () => {
    const a = new ArrayBatch(written);
    expect(a.stable).toBe(true);
    let k = 0;
    for await (const batch of readEvents(root, { venue: 'v', symbol: 'BTCUSDT', batchRows: 100 })) {
      const c = new ColumnarBatch(batch);
      for (let j = 0; j < c.length; j++, k++) {
        expect(a.typeAt(k)).toBe(c.typeAt(j));
        expect(a.symbolAt(k)).toBe(c.symbolAt(j));
        expect(a.tsExchangeUsAt(k)).toBe(c.tsExchangeUsAt(j));
        expect(a.tsReceiveUsAt(k)).toBe(c.tsReceiveUsAt(j));
        expect(a.eventAt(k)).toBe(written[k]);
        const t = a.typeAt(k);
        if (t === 'depth' || t === 'snapshot') expect(flatValues(flatOf(a, k))).toEqual(flatValues(flatOf(c, j)));
        if (t === 'trade') expect(tradeOf(a, k)).toEqual(tradeOf(c, j));
      }
    }
    expect(k).toBe(written.length);
  });
});

describe('mergeSources', () => {
  /** A source of one symbol: trades at receive times with many ties within and across sources. */
  function source(symbol: string, n: number, step: number): MarketEvent[] {
    return Array.from({ length: n }, (_, i) => ({ ...trade(T0 + Math.floor(i / 2) * step, i, 600_000 + i, 1 + i), symbol }));
  }
  const sources = [source('A', 200, 3), source('B', 150, 4), source('C', 90, 6)];
  // Plain reference: the stable sort of all events by (tsReceiveUs, source index), each source in its own order.
  const want = sources.flatMap((evs, s) => evs.map((e, i) => ({ e, s, i }))).sort((x, y) => x.e.tsReceiveUs - y.e.tsReceiveUs || x.s - y.s || x.i - y.i).map((x) => x.e);

  function cut(evs: MarketEvent[], size: number): MarketEvent[][] {
    const out: MarketEvent[][] = [];
    for (let i = 0; i < evs.length; i += size) out.push(evs.slice(i, i + size));
    return out;
  }

  it('merges by (tsReceiveUs, source index) the same whatever the batch sizes in and out', async () => {
    for (const [inSize, outSize] of [[1000, 65_536], [1, 1], [7, 13], [64, 5]]) {
      const got: MarketEvent[] = [];
      const sizes = new Set<number>();
      for await (const b of mergeSources(sources.map((s) => cut(s, inSize)), outSize)) {
        sizes.add(b.length);
        for (let k = 0; k < b.length; k++) {
          const e = b.eventAt(k);
          expect([b.typeAt(k), b.symbolAt(k), b.tsExchangeUsAt(k), b.tsReceiveUsAt(k)]).toEqual([e.type, e.symbol, e.tsExchangeUs, e.tsReceiveUs]);
          got.push(e);
        }
      }
      expect(got).toEqual(want);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(outSize);
    }
  });

  it('merges store batches read in place with arrays, and passes one source through', async () => {
    const store = async function* () {
      for await (const batch of readEvents(root, { venue: 'v', symbol: 'BTCUSDT', batchRows: 50 })) yield new ColumnarBatch(batch);
    };
    const other = source('ETHUSDT', 300, 1500).map((e) => ({ ...e, tsReceiveUs: e.tsReceiveUs + 3000 }));
    const got: MarketEvent[] = [];
    for await (const b of mergeSources([store(), cut(other, 33)], 101)) {
      for (let k = 0; k < b.length; k++) {
        got.push(b.eventAt(k));
        if (b.typeAt(k) === 'depth') expect(flatValues(flatOf(b, k))).toEqual(expectedFlat(b.eventAt(k)));
        if (b.typeAt(k) === 'trade') expect(tradeOf(b, k)).toEqual(b.eventAt(k));
      }
    }
    const merged = [...written.map((e) => ({ e, s: 0 })), ...other.map((e) => ({ e, s: 1 }))].sort((x, y) => x.e.tsReceiveUs - y.e.tsReceiveUs || x.s - y.s).map((x) => x.e);
    expect(got).toEqual(merged);
    const single: MarketEvent[] = [];
    for await (const b of mergeSources([cut(other, 33)])) for (let k = 0; k < b.length; k++) single.push(b.eventAt(k));
    expect(single).toEqual(other);
  });
});
