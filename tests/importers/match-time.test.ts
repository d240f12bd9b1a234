// Match time T on every importer (tsTransactUs), and @trade prints that are not market prints
// (X ≠ MARKET: INSURANCE_FUND, ADL, NA) skipped at import and counted per kind.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecRegistry } from '../../src/model/instrument.ts';
import { PathPair } from './fast-path-harness.ts';
import { collect, manualSpec, SHARED, tempDir, writeTemp } from './helpers.ts';

const FIXTURES = join(SHARED, 'data', 'binance-fixtures', 'market_data_json');
const RX = '1723161255088176367';

function registry(): SpecRegistry {
  const reg = new SpecRegistry();
  reg.add(manualSpec('BTCUSDT', '0.0001', '0.001'));
  reg.add(manualSpec('BNBUSDT', '0.0001', '0.01'));
  return reg;
}

/** A hftbacktest-collector line: receive ns, then the combined-stream envelope. */
const line = (stream: string, data: unknown) => `${RX} ${JSON.stringify({ stream, data })}`;

// A real @trade line's shape (btcusdt_20240808.gz) with T ≠ E, and the same print as an insurance
// fund fill 570 USDT off the market (Binance's liquidation engine, published on @trade with X).
const MARKET = '{"e":"trade","E":1723161256322,"T":1723161256320,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}';
const INSURANCE = '{"e":"trade","E":1723161256400,"T":1723161256399,"s":"BTCUSDT","t":5266583936,"p":"61230.30","q":"1.250","X":"INSURANCE_FUND","m":true}';
const ADL = '{"e":"trade","E":1723161256401,"T":1723161256399,"s":"BTCUSDT","t":5266583937,"p":"61230.30","q":"0.100","X":"ADL","m":true}';

describe('match time T at import', () => {
  it.skipIf(!existsSync(FIXTURES))('Binance payload fixtures: T of trade, aggTrade, bookTicker and depthUpdate lands in tsTransactUs', async () => {
    const fx = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
    const dir = tempDir();
    const file = writeTemp(dir, 'fixtures_20240808.txt', [line('btcusdt@trade', fx('trade_stream.json')), line('btcusdt@aggTrade', fx('agg_trade_stream.json')), line('bnbusdt@bookTicker', fx('book_ticker_stream.json')), line('btcusdt@depth@0ms', fx('depth_update_stream.json'))].join('\n') + '\n');
    const { events } = await collect([file], { specs: registry() });
    expect(events.map((e) => [e.type, e.tsExchangeUs, (e as { tsTransactUs: number }).tsTransactUs])).toEqual([
      ['trade', 123456789000, 123456785000],
      ['aggTrade', 123456789000, 123456785000],
      ['bookTicker', 1568014460893000, 1568014460891000],
      ['depth', 123456789000, 123456788000],
    ]);
  });

  it('fast path and JSON path agree on T; a trade with X ≠ MARKET is skipped on both, counted per kind', () => {
    const pair = new PathPair('hftbacktest', registry());
    const m = pair.run(`${RX} {"stream":"btcusdt@trade","data":${MARKET}}`);
    expect(m.fast).toMatchObject({ fast: true });
    expect(m.fast).toEqual({ ...m.slow, fast: true });
    expect(JSON.parse((m.slow as { events: string[] }).events[0])).toMatchObject({ type: 'trade', tsExchangeUs: 1723161256322000, tsTransactUs: 1723161256320000 });
    const bt = pair.run(`${RX} {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107846444,"s":"BTCUSDT","b":"61800.20","B":"2.658","a":"61800.30","A":"2.209","T":1723161256399,"E":1723161256400}}`);
    expect(bt.fast).toEqual({ ...bt.slow, fast: true });
    expect(JSON.parse((bt.slow as { events: string[] }).events[0])).toMatchObject({ tsExchangeUs: 1723161256400000, tsTransactUs: 1723161256399000 });
    for (const data of [INSURANCE, ADL]) {
      const r = pair.run(`${RX} {"stream":"btcusdt@trade","data":${data}}`);
      expect(r.fast).toMatchObject({ fast: false, events: [] });
      expect(r.slow).toMatchObject({ events: [], skipped: [`btcusdt@trade X=${JSON.parse(data).X}`] });
    }
  });

  it('an import skips X ≠ MARKET prints and counts them per kind in its summary', async () => {
    const dir = tempDir();
    const file = writeTemp(dir, 'btcusdt_20240808.txt', [MARKET, INSURANCE, ADL, INSURANCE.replace('5266583936', '5266583938')].map((d) => `${RX} {"stream":"btcusdt@trade","data":${d}}`).join('\n') + '\n');
    const { events, stats } = await collect([file], { specs: registry() });
    expect(events.map((e) => (e.type === 'trade' ? e.tradeId : -1))).toEqual([5266583935]);
    expect(stats.skippedStreams).toEqual({ 'btcusdt@trade X=ADL': 1, 'btcusdt@trade X=INSURANCE_FUND': 2 });
  });

  it('data.binance.vision bookTicker: transaction_time is T, event_time E', async () => {
    const dir = tempDir();
    const bt = writeTemp(dir, 'BTCUSDT-bookTicker-2024-01-01.csv', 'update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time\n1,42314.5,1.5,42314.6,2.25,1704067200001,1704067200003\n');
    const { events } = await collect([bt], { specs: registry() });
    expect(events[0]).toMatchObject({ type: 'bookTicker', tsExchangeUs: 1704067200003000, tsTransactUs: 1704067200001000 });
  });
});
