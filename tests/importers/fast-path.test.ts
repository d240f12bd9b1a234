// The byte fast path for raw recordings (src/adapter/binance/market-fast.ts) against the JSON.parse
// path: identical events on every line of the real recordings, identical errors on bad lines.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ImportOptions } from '../../src/importers/index.ts';
import { SpecRegistry } from '../../src/model/instrument.ts';
import { comparable, PathPair, sameOutcome } from './fast-path-harness.ts';
import { collect, EXCHANGE_INFO, exchangeInfoRegistry, haveShared, localRegistry, REAL, tempDir, writeTemp } from './helpers.ts';

const BTC = join(REAL, 'hftbacktest', 'usdm', 'btcusdt_20240808.gz');
const ETH = join(REAL, 'hftbacktest', 'usdm', 'ethusdt_20240808.gz');
const CRYPTOFEED = join(REAL, 'cryptofeed', 'BINANCE_FUTURES-1125a2.0');

function linesOf(file: string): string[] {
  const raw = readFileSync(file);
  const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  return text.split('\n').filter((l) => l.length > 0);
}

/**
 * Every line through both paths, compared line by line; then the whole import (byte blocks, line
 * splitting, batches) with the fast paths on, compared event by event with the JSON path's events.
 * Returns the share of lines the byte path parsed itself.
 */
async function compareFile(kind: 'hftbacktest' | 'cryptofeed', file: string, specs: SpecRegistry, importOpts: Omit<ImportOptions, 'specs'> & { specs?: SpecRegistry } = {}): Promise<number> {
  const pair = new PathPair(kind, specs, file);
  const lines = linesOf(file);
  const slowEvents: string[] = [];
  let mismatches = 0;
  for (let i = 0; i < lines.length; i++) {
    const { fast, slow } = pair.run(lines[i], i + 1);
    if (!sameOutcome(fast, slow)) {
      // Report the first difference in full.
      if (mismatches++ === 0) expect({ line: i + 1, ...(comparable(fast) as object) }).toEqual({ line: i + 1, ...(comparable(slow) as object) });
    }
    if ('events' in slow) slowEvents.push(...slow.events);
  }
  expect(mismatches).toBe(0);
  const { events } = await collect([file], { specs, ...importOpts });
  expect(events.length).toBe(slowEvents.length);
  for (let i = 0; i < events.length; i++) {
    const json = JSON.stringify(events[i]);
    if (json !== slowEvents[i]) expect({ i, ev: json }).toEqual({ i, ev: slowEvents[i] });
  }
  return pair.fastLines / lines.length;
}

describe('fast path on the real recordings: event-by-event identical to JSON.parse', () => {
  for (const [name, file] of [
    ['btcusdt_20240808.gz', BTC],
    ['ethusdt_20240808.gz', ETH],
  ] as const) {
    it.skipIf(!haveShared(file) || !haveShared(EXCHANGE_INFO))(`${name}: every line, and the whole import`, async () => {
      const share = await compareFile('hftbacktest', file, exchangeInfoRegistry());
      // All but the REST snapshot line take the fast path.
      expect(share).toBeGreaterThan(0.999);
    });
  }

  it.skipIf(!haveShared(CRYPTOFEED))('cryptofeed recording (5 symbols, aggTrade, depth@100ms, inferred specs): every line, and the whole import', async () => {
    const { stats } = await collect([CRYPTOFEED], { specs: new SpecRegistry(), inferSpecs: true, fastPaths: false });
    const specs = new SpecRegistry();
    for (const s of stats.inferredSpecs) specs.add(s);
    // With inference on, the pre-scan goes the JSON way (the sampler is not an Instrument) and the import the fast way.
    const share = await compareFile('cryptofeed', CRYPTOFEED, specs, { specs: new SpecRegistry(), inferSpecs: true });
    expect(share).toBeGreaterThan(0.99);
  });
});

describe('fast path declines, the JSON path decides: same events, same errors (file:line + field)', () => {
  const depth = (b: string, a = '[]', tail = '') =>
    `1723161255030314667 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":5,"u":7,"pu":4,"b":${b},"a":${a}${tail}}}`;
  const bookTicker = (b: string, extra = '') =>
    `1723161255088169167 {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":"${b}","B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256313${extra}}}`;
  const trade = (m: string) =>
    `1723161255088176367 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":${m}}}`;
  const force = (o: string, stream = 'btcusdt@forceOrder') =>
    `1723161255088176367 {"stream":"${stream}","data":{"e":"forceOrder","E":1723161256322,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"${o}","ap":"61800.12345678","X":"FILLED","l":"0.014","z":"0.014","T":1723161256320}}}`;
  const cases: [string, string, boolean][] = [
    ['canonical depth', depth('[["61800.20","0.014"],["61800.10","0.000"]]', '[["61800.30","1"]]'), true],
    ['canonical bookTicker', bookTicker('61800.20'), true],
    ['canonical trade', trade('true'), true],
    ['off-grid price in a level', depth('[["61800.20","0.014"],["61800.25","1.000"]]'), false],
    ['negative price in a level', depth('[["-61800.20","0.014"]]'), false],
    ['zero price', depth('[["0.0","0.014"]]'), false],
    ['level with three entries', depth('[["61800.20","0.014","x"]]'), false],
    ['level that is not an array', depth('[{"p":"61800.20"}]'), false],
    ['numeric level entries', depth('[[61800.2,0.014]]'), false],
    ['exponent quantity', depth('[["61800.20","1e-3"]]'), false],
    ['trailing key after the levels', depth('[]', '[]', ',"x":1'), false],
    ['off-grid bookTicker price', bookTicker('61800.25'), false],
    ['bookTicker with an extra key', bookTicker('61800.20', ',"z":null'), false],
    ['non-boolean m', trade('"yes"'), false],
    ['truncated line', trade('true').slice(0, -1), false],
    ['trailing whitespace', `${trade('true')} `, false],
    ['unknown symbol', depth('[]').replace('"s":"BTCUSDT"', '"s":"XRPUSDT"'), false],
    ['escaped symbol', depth('[]').replace('"s":"BTCUSDT"', '"s":"BTC\\u0055SDT"'), false],
    ['exponent time', trade('true').replace('"E":1723161256322', '"E":1.723161256322e12'), false],
    ['zero time', trade('true').replace('"E":1723161256322', '"E":0'), false],
    ['negative prev id', depth('[]').replace('"pu":4', '"pu":-1'), false],
    ['receive time in µs', depth('[]').replace('1723161255030314667', '1723161255030314'), true],
    ['receive time in ms', depth('[]').replace('1723161255030314667', '1723161255030'), false],
    // Liquidation orders are rare: the fast path leaves them to the JSON path, which maps them.
    ['forceOrder', force('61800.20'), false],
    ['!forceOrder@arr', force('61800.20', '!forceOrder@arr'), false],
    ['off-grid forceOrder price', force('61800.25'), false],
    ['forceOrder with a bad side', force('61800.20').replace('"S":"SELL"', '"S":"SHORT"'), false],
  ];
  for (const [name, line, fastExpected] of cases) {
    it(name, () => {
      const pair = new PathPair('hftbacktest', localRegistry());
      const { fast, slow } = pair.run(line, 7);
      expect(comparable(fast)).toEqual(comparable(slow));
      expect(fast.fast).toBe(fastExpected);
    });
  }

  it('through the importer: an off-grid level fails at file:line and data.b[1] with and without the fast path', async () => {
    const ok = depth('[["61800.20","0.014"]]');
    const f = writeTemp(tempDir(), 'btcusdt_bad.txt', `${ok}\n${ok.replace('1723161255030314667', '1723161255030314668')}\n${depth('[["61800.20","0.014"],["61800.25","1.000"]]').replace('1723161255030314667', '1723161255030314669')}\n`);
    const errors = [];
    for (const fastPaths of [true, false]) {
      try {
        await collect([f], { specs: localRegistry(), fastPaths });
      } catch (e) {
        errors.push(e);
      }
    }
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ code: 'E_OFF_GRID', location: { file: f, line: 3, field: 'data.b[1]' } });
    expect(errors[0]).toEqual(errors[1]);
    expect((errors[0] as Error).message).toBe((errors[1] as Error).message);
  });
});
