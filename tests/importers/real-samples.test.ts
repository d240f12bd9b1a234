// The importers on the real recordings in ../shared/data/real (counts from its SOURCES.md).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AggTrade, BookTicker, DepthDiff, DepthSnapshot, Trade } from '../../src/model/events.ts';
import { detectFormat } from '../../src/importers/index.ts';
import { SpecRegistry } from '../../src/model/instrument.ts';
import { collect, EXCHANGE_INFO, exchangeInfoRegistry, haveShared, manualSpec, REAL } from './helpers.ts';

const BTC = join(REAL, 'hftbacktest', 'usdm', 'btcusdt_20240808.gz');
const ETH = join(REAL, 'hftbacktest', 'usdm', 'ethusdt_20240808.gz');
const CRYPTOFEED = join(REAL, 'cryptofeed', 'BINANCE_FUTURES-1125a2.0');
const TARDIS = join(REAL, 'nautilus_trader', 'tardis');
const DEPTH_CSV = join(REAL, 'nautilus_trader', 'binance');

describe('hftbacktest raw recording (btcusdt_20240808.gz)', () => {
  it.skipIf(!haveShared(BTC) || !haveShared(EXCHANGE_INFO))('imports every message with exact values, in line order', async () => {
    const { events, stats } = await collect([BTC], { specs: exchangeInfoRegistry() });
    expect(stats.symbols).toEqual({ BTCUSDT: { depth: 6551, snapshot: 1, trade: 21313, aggTrade: 0, bookTicker: 66089, markPrice: 0, forceOrder: 0 } });
    expect(events).toHaveLength(93954);
    expect(stats.files[0]).toMatchObject({ format: 'binance-ws-recording', compression: 'gzip', lines: 93954, receiveTimeUnit: 'ns', bytes: 3637062 });
    expect(stats.bytesRead).toBe(3637062);
    // The collector's clock is about 1.27 s behind Binance's: reported, not corrected.
    expect(stats.files[0].medianReceiveOffsetUs).toBeGreaterThan(-1_300_000);
    expect(stats.files[0].medianReceiveOffsetUs).toBeLessThan(-1_240_000);
    expect(events[0].tsReceiveUs - events[0].tsExchangeUs).toBe(1723161255030314 - 1723161256299000);

    const d = events[0] as DepthDiff;
    expect(d).toMatchObject({ type: 'depth', symbol: 'BTCUSDT', tsExchangeUs: 1723161256299000, tsTransactUs: 1723161256298000, tsReceiveUs: 1723161255030314 });
    expect([d.firstUpdateId, d.finalUpdateId, d.prevFinalUpdateId]).toEqual([5123107832006, 5123107837557, 5123107831937]);
    expect([d.bidTicks[0], d.bidLots[0], d.bidTicks[1], d.bidLots[1], d.bidLots[2]]).toEqual([587102, 14, 614965, 10, 0]);
    const bt = events[1] as BookTicker;
    expect(bt).toEqual({ type: 'bookTicker', symbol: 'BTCUSDT', tsExchangeUs: 1723161256313000, tsReceiveUs: 1723161255088169, tsTransactUs: 1723161256313000, updateId: 5123107839020, bidTicks: 618002, bidLots: 2507, askTicks: 618003, askLots: 2510 });
    const tr = events[2] as Trade;
    expect(tr).toEqual({ type: 'trade', symbol: 'BTCUSDT', tsExchangeUs: 1723161256322000, tsReceiveUs: 1723161255088176, tsTransactUs: 1723161256322000, tradeId: 5266583935, priceTicks: 618003, qtyLots: 6, buyerIsMaker: false });

    const snap = events[54] as DepthSnapshot; // line 55
    expect(snap.type).toBe('snapshot');
    expect(snap).toMatchObject({ symbol: 'BTCUSDT', lastUpdateId: 5123107852948, tsExchangeUs: 1723161256501000, tsTransactUs: 1723161256493000, tsReceiveUs: 1723161255319702 });
    expect([snap.bidTicks[0], snap.bidLots[0]]).toEqual([618002, 2909]);
    expect(snap.bidTicks.length).toBe(1000);
    expect(snap.askTicks.length).toBe(1000);

    // Oracles of the source: the pu chain is unbroken, trade ids consecutive, receive times monotone.
    const depth = events.filter((e): e is DepthDiff => e.type === 'depth');
    let breaks = 0;
    for (let i = 1; i < depth.length; i++) if (depth[i].prevFinalUpdateId !== depth[i - 1].finalUpdateId) breaks++;
    expect(breaks).toBe(0);
    expect(depth.some((e) => e.firstUpdateId <= snap.lastUpdateId && snap.lastUpdateId <= e.finalUpdateId && e.firstUpdateId === 5123107850310)).toBe(true);
    const trades = events.filter((e): e is Trade => e.type === 'trade');
    expect(trades.every((t, i) => i === 0 || t.tradeId === trades[i - 1].tradeId + 1)).toBe(true);
    expect(events.every((e, i) => i === 0 || e.tsReceiveUs >= events[i - 1].tsReceiveUs)).toBe(true);

    // Match time T: never after the push time E, and before it on many events of every stream
    // (counted on the file's JSON: depth 5,642, trade 8,456, bookTicker 27,980).
    const earlier = { depth: 0, trade: 0, bookTicker: 0 } as Record<string, number>;
    for (const e of events) {
      if (e.type === 'markPrice') continue;
      expect(e.tsTransactUs).toBeLessThanOrEqual(e.tsExchangeUs);
      if (e.tsTransactUs < e.tsExchangeUs && e.type in earlier) earlier[e.type]++;
    }
    expect(earlier).toEqual({ depth: 5642, trade: 8456, bookTicker: 27980 });
    expect(events[18]).toMatchObject({ type: 'bookTicker', updateId: 5123107846444, tsTransactUs: 1723161256399000, tsExchangeUs: 1723161256400000 });
  });

  it.skipIf(!haveShared(BTC) || !haveShared(ETH) || !haveShared(EXCHANGE_INFO))('a directory with both symbols imports file by file and says it mixes symbols', async () => {
    const { stats } = await collect([join(REAL, 'hftbacktest', 'usdm')], { specs: exchangeInfoRegistry() });
    expect(stats.files.map((f) => f.symbols)).toEqual([['BTCUSDT'], ['ETHUSDT']]);
    expect(stats.symbols.ETHUSDT).toEqual({ depth: 6586, snapshot: 1, trade: 14076, aggTrade: 0, bookTicker: 53992, markPrice: 0, forceOrder: 0 });
    expect(stats.warnings.map((w) => w.code)).toEqual(['W_MIXED_SYMBOLS']);
    expect(stats.warnings[0].message).toContain('BTCUSDT, ETHUSDT');
  });
});

describe('cryptofeed recording (five symbols on one connection)', () => {
  it.skipIf(!haveShared(CRYPTOFEED))('imports 4,423 depth, 3,424 bookTicker, 574 aggTrade and 5 snapshots with inferred specs', async () => {
    const warnings: string[] = [];
    const { events, stats } = await collect([CRYPTOFEED], { specs: new SpecRegistry(), inferSpecs: true, onWarning: (w) => warnings.push(w.code) });
    expect(await detectFormat(CRYPTOFEED)).toMatchObject({ format: 'cryptofeed', compression: 'none' });
    const total = { depth: 0, snapshot: 0, trade: 0, aggTrade: 0, bookTicker: 0, markPrice: 0 };
    for (const c of Object.values(stats.symbols)) for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += c[k];
    expect(total).toEqual({ depth: 4423, snapshot: 5, trade: 0, aggTrade: 574, bookTicker: 3424, markPrice: 0 });
    expect(Object.keys(stats.symbols)).toEqual(['BATUSDT', 'CHRUSDT', 'CTKUSDT', 'NEOUSDT', 'SANDUSDT']);
    expect(warnings).toEqual(Array(5).fill('W_SPEC_INFERRED'));
    const bat = stats.inferredSpecs.find((s) => s.symbol === 'BATUSDT');
    expect([bat?.tickSize, bat?.stepSize, bat?.source.kind]).toEqual(['0.0001', '0.1', 'inferred']);
    expect(bat?.source.asOf).toBe('2021-04-05T18:36:37.599Z');

    const d = events[0] as DepthDiff;
    // "1617647797.5963788" s → µs from the digits, truncating below 1 µs.
    expect(d).toMatchObject({ type: 'depth', symbol: 'BATUSDT', tsReceiveUs: 1617647797596378, tsExchangeUs: 1617647797599000, tsTransactUs: 1617647797571000 });
    expect([d.firstUpdateId, d.finalUpdateId, d.prevFinalUpdateId, d.bidTicks[0], d.bidLots[0]]).toEqual([303212647354, 303212648743, 303212646994, 12187, 4259]);
    const snaps = events.filter((e): e is DepthSnapshot => e.type === 'snapshot');
    expect(snaps.map((s) => s.symbol)).toEqual(['BATUSDT', 'CTKUSDT', 'NEOUSDT', 'SANDUSDT', 'CHRUSDT']);
    expect(snaps[0]).toMatchObject({ lastUpdateId: 303212654508, tsReceiveUs: 1617647797907256, tsExchangeUs: 1617647797886000 });
    const agg = events.find((e): e is AggTrade => e.type === 'aggTrade' && e.symbol === 'SANDUSDT' && e.aggTradeId === 9445517);
    expect(agg).toMatchObject({ firstTradeId: 12821738, lastTradeId: 12821738, priceTicks: 69067, qtyLots: 369, buyerIsMaker: true, tsExchangeUs: 1617647797640000 });
  });
});

describe('Tardis.dev CSV samples', () => {
  // In 2020 BTCUSDT traded on a 0.01 tick; the 2022 exchangeInfo says 0.1, so give the spec of the time.
  const reg2020 = () => {
    const r = new SpecRegistry();
    r.add(manualSpec('BTCUSDT', '0.01', '0.001'));
    return r;
  };

  it.skipIf(!haveShared(TARDIS))('trades: 9,999 rows with consecutive ids and exact first values', async () => {
    const { events } = await collect([join(TARDIS, 'trades.csv')], { specs: reg2020() });
    expect(events).toHaveLength(9999);
    const trades = events as Trade[];
    expect(trades[0]).toEqual({ type: 'trade', symbol: 'BTCUSDT', tsExchangeUs: 1582329602111000, tsReceiveUs: 1582329602418379, tsTransactUs: 1582329602111000, tradeId: 42377944, priceTicks: 968200, qtyLots: 132, buyerIsMaker: false });
    expect(trades.every((t, i) => i === 0 || t.tradeId === trades[i - 1].tradeId + 1)).toBe(true);
    expect(trades[trades.length - 1].tradeId).toBe(42387942);
  });

  it.skipIf(!haveShared(TARDIS))('trades with the 2022 spec fail on the first off-grid price, naming file, line and field', async () => {
    await expect(collect([join(TARDIS, 'trades.csv')], { specs: exchangeInfoRegistryOrLocal() })).rejects.toMatchObject({ code: 'E_OFF_GRID', location: { line: 5, field: 'price' } });
  });

  it.skipIf(!haveShared(TARDIS))('quotes → bookTicker with updateId -1', async () => {
    const { events } = await collect([join(TARDIS, 'quotes.csv')], { specs: reg2020() });
    expect(events).toHaveLength(9999);
    expect(events[0]).toEqual({ type: 'bookTicker', symbol: 'BTCUSDT', tsExchangeUs: 1582329601096000, tsReceiveUs: 1582329603502092, tsTransactUs: 1582329601096000, updateId: -1, bidTicks: 968192, bidLots: 670, askTicks: 968200, askLots: 840 });
  });

  it.skipIf(!haveShared(TARDIS))('book_snapshot_25 and _5 → top-N snapshots', async () => {
    const s25 = await collect([join(TARDIS, 'binance-futures_book_snapshot_25_BTCUSDT.csv')], { specs: reg2020() });
    const s5 = await collect([join(TARDIS, 'binance-futures_book_snapshot_5_BTCUSDT.csv')], { specs: reg2020() });
    expect(s25.events).toHaveLength(10);
    expect(s5.events).toHaveLength(10);
    const a = s25.events[0] as DepthSnapshot;
    const b = s5.events[0] as DepthSnapshot;
    expect([a.bidTicks.length, a.askTicks.length, b.bidTicks.length, b.askTicks.length]).toEqual([25, 25, 5, 5]);
    expect(a).toMatchObject({ lastUpdateId: -1, tsExchangeUs: 1598918403696000, tsReceiveUs: 1598918403810979 });
    expect([a.askTicks[0], a.askLots[0], a.bidTicks[0], a.bidLots[0], a.askTicks[1], a.askLots[1]]).toEqual([1165708, 1714, 1165707, 10896, 1165754, 5400]);
    expect(b.bidTicks).toEqual(a.bidTicks.slice(0, 5));
  });
});

function exchangeInfoRegistryOrLocal(): SpecRegistry {
  return haveShared(EXCHANGE_INFO) ? exchangeInfoRegistry() : (() => {
    const r = new SpecRegistry();
    r.add(manualSpec('BTCUSDT', '0.1', '0.001'));
    return r;
  })();
}

describe('Binance historical order-book CSV samples', () => {
  it.skipIf(!haveShared(DEPTH_CSV))('depth-update rows form one diff; depth-snap rows one (bid-only) snapshot', async () => {
    const reg = new SpecRegistry();
    reg.add(manualSpec('BTCUSDT', '0.1', '0.001'));
    const upd = await collect([join(DEPTH_CSV, 'btcusdt-depth-update.csv')], { specs: reg });
    expect(upd.events).toHaveLength(1);
    const d = upd.events[0] as DepthDiff;
    expect([d.firstUpdateId, d.finalUpdateId, d.prevFinalUpdateId, d.bidTicks.length, d.askTicks.length]).toEqual([2098041693435, 2098041696700, 2098041693400, 23, 77]);
    expect([d.askTicks[0], d.askLots[0], d.tsExchangeUs, d.tsReceiveUs]).toEqual([204728, 0, 1667347199939000, 1667347199939000]);
    const snap = await collect([join(DEPTH_CSV, 'btcusdt-depth-snap.csv')], { specs: reg });
    const s = snap.events[0] as DepthSnapshot;
    expect(snap.events).toHaveLength(1);
    expect([s.type, s.lastUpdateId, s.bidTicks.length, s.askTicks.length, s.bidTicks[0], s.bidLots[0]]).toEqual(['snapshot', 2098021528332, 100, 0, 203770, 1770]);
  });
});
