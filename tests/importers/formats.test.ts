// Each input format on small generated files: detection, exact mapping, ns-vs-µs receive times.
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/importers/index.ts';
import type { DepthDiff, DepthSnapshot, ForceOrder, MarkPrice } from '../../src/model/events.ts';
import { collect, FIXTURES, localRegistry, tempDir, writeTemp } from './helpers.ts';

const DEPTH = (E: number, U: number, u: number, pu: number) =>
  `{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":${E},"T":${E - 1},"s":"BTCUSDT","U":${U},"u":${u},"pu":${pu},"b":[["61800.20","0.014"]],"a":[["61800.30","1.000"],["61801.00","0.000"]]}}`;
const SNAP = '{"lastUpdateId":105,"E":1723161256501,"T":1723161256493,"bids":[["61800.20","2.909"],["61800.10","0.696"]],"asks":[["61800.30","1.5"]]}';
const TRADE = '{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":true}}';
const MARK = '{"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1680652701000,"s":"BTCUSDT","p":"28147.27373413","P":"28142.15563565","i":"28159.75642857","r":"0.00002754","T":1680652800000}}';

describe('Binance WebSocket recordings', () => {
  it('tells ns from µs receive times by magnitude and converts both to the same µs', async () => {
    const dir = tempDir();
    const body = (scale: bigint) =>
      [
        `${1723161255030314n * scale + (scale > 1n ? 667n : 0n)} ${DEPTH(1723161256299, 100, 104, 99)}`,
        `${1723161255088176n * scale} ${TRADE}`,
        `${1723161255319702n * scale + (scale > 1n ? 566n : 0n)} ${SNAP}`,
      ].join('\n') + '\n';
    const ns = writeTemp(dir, 'btcusdt_20240808_ns.txt', body(1000n));
    const us = writeTemp(dir, 'btcusdt_20240808_us.gz', gzipSync(body(1n)));
    expect(await detectFormat(ns)).toMatchObject({ format: 'binance-ws-recording', compression: 'none', symbolFromName: 'BTCUSDT' });
    expect(await detectFormat(us)).toMatchObject({ format: 'binance-ws-recording', compression: 'gzip' });
    const a = await collect([ns], { specs: localRegistry() });
    const b = await collect([us], { specs: localRegistry() });
    expect(a.stats.files[0].receiveTimeUnit).toBe('ns');
    expect(b.stats.files[0].receiveTimeUnit).toBe('us');
    expect(a.events).toEqual(b.events);
    expect(a.events.map((e) => e.tsReceiveUs)).toEqual([1723161255030314, 1723161255088176, 1723161255319702]);
    const snap = a.events[2] as DepthSnapshot;
    expect(snap).toEqual({ type: 'snapshot', symbol: 'BTCUSDT', tsExchangeUs: 1723161256501000, tsReceiveUs: 1723161255319702, tsTransactUs: 1723161256493000, lastUpdateId: 105, bidTicks: [618002, 618001], bidLots: [2909, 696], askTicks: [618003], askLots: [1500] });
    expect(a.stats.files[0].medianReceiveOffsetUs).toBe(1723161255088176 - 1723161256322000);
  });

  it('maps markPrice and forceOrder streams, counts unknown streams per name and ignores subscription replies', async () => {
    const dir = tempDir();
    const kline = '{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1680652701000,"s":"BTCUSDT","k":{}}}';
    const force = '{"stream":"btcusdt@forceOrder","data":{"e":"forceOrder","E":1680652701000,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910.00000000","ap":"9910.12345678","X":"FILLED","l":"0.014","z":"0.014","T":1680652700999}}}';
    // The all-market stream carries every symbol (here one without a spec): skipped and counted.
    const allForce = '{"stream":"!forceOrder@arr","data":{"e":"forceOrder","E":1680652701000,"o":{"s":"XRPUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"10","p":"0.5","ap":"0.5","X":"FILLED","l":"10","z":"10","T":1680652700999}}}';
    const f = writeTemp(dir, 'btcusdt_20230405.txt', [`1680652701048293 {"result":null,"id":1}`, `1680652701048293 ${MARK}`, `1680652701048300 ${kline}`, `1680652701048400 ${kline}`, `1680652701048500 ${force}`, `1680652701048600 ${allForce}`].join('\n'));
    const { events, stats } = await collect([f], { specs: localRegistry() });
    expect(events).toEqual([
      { type: 'markPrice', symbol: 'BTCUSDT', tsExchangeUs: 1680652701000000, tsReceiveUs: 1680652701048293, markPrice: '28147.27373413', indexPrice: '28159.75642857', fundingRate: '0.00002754', nextFundingTimeUs: 1680652800000000 } satisfies MarkPrice,
      {
        type: 'forceOrder', symbol: 'BTCUSDT', tsExchangeUs: 1680652701000000, tsReceiveUs: 1680652701048500, tsTransactUs: 1680652700999000, side: 'sell', orderType: 'LIMIT', timeInForce: 'IOC',
        origQtyLots: 14, priceTicks: 99100, avgPrice: '9910.12345678', status: 'FILLED', lastFilledQtyLots: 14, filledQtyLots: 14,
      } satisfies ForceOrder,
    ]);
    expect(stats.skippedStreams).toEqual({ '!forceOrder@arr': 1, 'btcusdt@kline_1m': 2 });
  });

  it('reads several files as one session: a continuation file without a snapshot, and a snapshot attributed to the session symbol', async () => {
    const dir = tempDir();
    const day1 = writeTemp(dir, 'btcusdt_20240808.txt', `1723161255000000 ${DEPTH(1723161256000, 100, 104, 99)}\n1723161255100000 ${SNAP}\n`);
    // The next day's file has an anonymous name and opens with a (re-sync) snapshot: it belongs to the session's symbol.
    const day2 = writeTemp(dir, 'part-2.txt', `1723161300000000 ${SNAP}\n1723161300100000 ${DEPTH(1723161301000, 105, 110, 104)}\n`);
    const { events, stats } = await collect([day1, day2], { specs: localRegistry() });
    expect(events.map((e) => `${e.type}:${e.symbol}`)).toEqual(['depth:BTCUSDT', 'snapshot:BTCUSDT', 'snapshot:BTCUSDT', 'depth:BTCUSDT']);
    expect((events[3] as DepthDiff).prevFinalUpdateId).toBe(104);
    expect(stats.files.map((f) => f.path)).toEqual([day1, day2]);
  });

  it('a snapshot with no symbol anywhere is an error unless the symbol is given', async () => {
    const dir = tempDir();
    const f = writeTemp(dir, 'recording.txt', `1723161255100000 ${SNAP}\n1723161255200000 ${DEPTH(1723161256000, 100, 104, 99)}\n`);
    await expect(collect([f], { specs: localRegistry() })).rejects.toMatchObject({ code: 'E_INPUT', location: { file: f, line: 1, field: 'lastUpdateId' } });
    const { events } = await collect([f], { specs: localRegistry(), symbol: 'btcusdt' });
    expect(events[0]).toMatchObject({ type: 'snapshot', symbol: 'BTCUSDT' });
  });
});

describe('Tardis.dev CSV (hand-written fixtures)', () => {
  it('incremental_book_L2: skips rows before the first snapshot, groups rows of one message', async () => {
    const path = join(FIXTURES, 'tardis_incremental_book_L2_BTCUSDT.csv');
    expect(await detectFormat(path)).toMatchObject({ format: 'tardis-incremental-book-l2', hasHeader: true });
    const { events, stats } = await collect([path], { specs: localRegistry() });
    expect(stats.skippedRows).toBe(1);
    expect(events).toEqual([
      { type: 'snapshot', symbol: 'BTCUSDT', tsExchangeUs: 1598918400200000, tsReceiveUs: 1598918400250000, tsTransactUs: 1598918400200000, lastUpdateId: -1, bidTicks: [116505, 116500], bidLots: [1200, 3000], askTicks: [116510, 116515], askLots: [2500, 750] },
      { type: 'depth', symbol: 'BTCUSDT', tsExchangeUs: 1598918400300000, tsReceiveUs: 1598918400350000, tsTransactUs: 1598918400300000, firstUpdateId: -1, finalUpdateId: -1, prevFinalUpdateId: -1, bidTicks: [116505], bidLots: [0], askTicks: [116510], askLots: [2000] },
      { type: 'depth', symbol: 'BTCUSDT', tsExchangeUs: 1598918400400000, tsReceiveUs: 1598918400450000, tsTransactUs: 1598918400400000, firstUpdateId: -1, finalUpdateId: -1, prevFinalUpdateId: -1, bidTicks: [116508], bidLots: [400], askTicks: [], askLots: [] },
    ]);
  });

  it('derivative_ticker → MarkPrice with exact decimal strings', async () => {
    const path = join(FIXTURES, 'tardis_derivative_ticker_BTCUSDT.csv');
    const { events } = await collect([path], { specs: localRegistry() });
    expect(events[0]).toEqual({ type: 'markPrice', symbol: 'BTCUSDT', tsExchangeUs: 1598918401000000, tsReceiveUs: 1598918401120000, markPrice: '11655.98765432', indexPrice: '11656.12345678', fundingRate: '0.00010000', nextFundingTimeUs: 1598947200000000 });
    expect(events).toHaveLength(2);
  });
});

describe('data.binance.vision CSV', () => {
  const TRADES = 'id,price,qty,quote_qty,time,is_buyer_maker\n4380000001,42314.50,0.010,423.145,1704067200123,true\n4380000002,42314.60,1.000,42314.6,1704067200456,false\n';

  it('trades with and without header, plain and zipped, give the same events; tsReceiveUs = tsExchangeUs', async () => {
    const dir = tempDir();
    const plain = writeTemp(dir, 'BTCUSDT-trades-2024-01-01.csv', TRADES);
    const noHeader = writeTemp(dir, 'BTCUSDT-trades-2024-01-02.csv', TRADES.split('\n').slice(1).join('\n'));
    const zipped = writeTemp(dir, 'BTCUSDT-trades-2024-01-03.zip', zipSync({ 'BTCUSDT-trades-2024-01-03.csv': strToU8(TRADES) }));
    expect(await detectFormat(noHeader)).toMatchObject({ format: 'vision-trades', hasHeader: false, symbolFromName: 'BTCUSDT' });
    expect(await detectFormat(zipped)).toMatchObject({ format: 'vision-trades', hasHeader: true, compression: 'zip' });
    const a = await collect([plain], { specs: localRegistry() });
    expect(a.events[0]).toEqual({ type: 'trade', symbol: 'BTCUSDT', tsExchangeUs: 1704067200123000, tsReceiveUs: 1704067200123000, tsTransactUs: 1704067200123000, tradeId: 4380000001, priceTicks: 423145, qtyLots: 10, buyerIsMaker: true });
    expect((await collect([noHeader], { specs: localRegistry() })).events).toEqual(a.events);
    const z = await collect([zipped], { specs: localRegistry() });
    expect(z.events).toEqual(a.events);
    expect(z.stats.files[0]).toMatchObject({ receiveTimeUnit: null, medianReceiveOffsetUs: null });
  });

  it('aggTrades, bookTicker, fundingRate and mark/index klines', async () => {
    const dir = tempDir();
    const agg = writeTemp(dir, 'ETHUSDT-aggTrades-2024-01-01.csv', 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n1000,2281.53,0.500,2000,2003,1704067200001,false\n');
    const bt = writeTemp(dir, 'ETHUSDT-bookTicker-2024-01-01.csv', '1,2281.53,10.5,2281.54,3.25,1704067200001,1704067200003\n');
    const fr = writeTemp(dir, 'ETHUSDT-fundingRate-2024-01.csv', 'calc_time,funding_interval_hours,last_funding_rate\n1704067200000,8,0.00037409\n');
    mkdirSync(join(dir, 'markPriceKlines'));
    mkdirSync(join(dir, 'indexPriceKlines'));
    const row = '1704067200000,2281.1,2282.0,2280.5,2281.75431,0,1704067259999,0,60,0,0,0\n';
    const mk = writeTemp(dir, join('markPriceKlines', 'ETHUSDT-1m-2024-01-01.csv'), row);
    const ik = writeTemp(dir, join('indexPriceKlines', 'ETHUSDT-1m-2024-01-01.csv'), row);
    const reg = localRegistry();
    expect((await collect([agg], { specs: reg })).events[0]).toEqual({ type: 'aggTrade', symbol: 'ETHUSDT', tsExchangeUs: 1704067200001000, tsReceiveUs: 1704067200001000, tsTransactUs: 1704067200001000, aggTradeId: 1000, firstTradeId: 2000, lastTradeId: 2003, priceTicks: 228153, qtyLots: 500, buyerIsMaker: false });
    expect((await collect([bt], { specs: reg })).events[0]).toEqual({ type: 'bookTicker', symbol: 'ETHUSDT', tsExchangeUs: 1704067200003000, tsReceiveUs: 1704067200003000, tsTransactUs: 1704067200001000, updateId: 1, bidTicks: 228153, bidLots: 10500, askTicks: 228154, askLots: 3250 });
    expect((await collect([fr], { specs: reg })).events[0]).toMatchObject({ type: 'markPrice', fundingRate: '0.00037409', markPrice: '', nextFundingTimeUs: 1704067200000000 });
    expect(await detectFormat(mk)).toMatchObject({ format: 'vision-mark-price-klines', hasHeader: false });
    expect((await collect([mk], { specs: reg })).events[0]).toEqual({ type: 'markPrice', symbol: 'ETHUSDT', tsExchangeUs: 1704067259999000, tsReceiveUs: 1704067259999000, markPrice: '2281.75431', indexPrice: '', fundingRate: '', nextFundingTimeUs: -1 });
    expect((await collect([ik], { specs: reg })).events[0]).toMatchObject({ markPrice: '', indexPrice: '2281.75431' });
  });
});

describe('spec inference', () => {
  it('infers tick and step from the data (trailing zeros do not count) and warns', async () => {
    const dir = tempDir();
    const f = writeTemp(dir, 'SOLUSDT-trades-2024-01-01.csv', '1,101.2500,3,303.75,1704067200000,true\n2,101.2600,12,1215.12,1704067200001,false\n');
    await expect(collect([f], { specs: localRegistry() })).rejects.toMatchObject({ code: 'E_NO_SPEC', location: { file: f, line: 1 } });
    const { events, stats } = await collect([f], { specs: localRegistry(), inferSpecs: true });
    expect(stats.inferredSpecs.map((s) => [s.symbol, s.tickSize, s.stepSize, s.source.asOf])).toEqual([['SOLUSDT', '0.01', '1', '2024-01-01T00:00:00.000Z']]);
    expect(stats.warnings).toMatchObject([{ code: 'W_SPEC_INFERRED', symbol: 'SOLUSDT', file: f }]);
    expect(events.map((e) => (e.type === 'trade' ? [e.priceTicks, e.qtyLots] : null))).toEqual([[10125, 3], [10126, 12]]);
  });
});
