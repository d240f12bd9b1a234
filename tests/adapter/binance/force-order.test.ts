// Liquidation orders (`forceOrder`) on the wire: the recorded payload (../shared fixture) parses to
// the exact event (ticks, lots, Binance's words, the average price as exact text, o.T and E as µs),
// the local exchange's encoder writes it back with the fixture's keys in the fixture's order and
// the same values, and bad payloads fail naming the field.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBinanceMessage, parseStreamData, streamKind } from '../../../src/adapter/binance/index.ts';
import { forceOrderPayload } from '../../../src/exchange-fake/streams.ts';
import type { Instrument } from '../../../src/model/instrument.ts';
import { recordingLine } from '../../../src/synthetic/index.ts';
import type { ForceOrder, MarketEvent } from '../../../src/model/events.ts';
import { InputError } from '../../../src/core/errors.ts';
import { locate } from '../../../src/wire/index.ts';
import { BINANCE_FIXTURES } from '../../support/shared-data.ts';
import { TestContext } from '../../importers/fast-path-harness.ts';
import { localRegistry } from '../../importers/helpers.ts';

const FIXTURE_FILE = join(BINANCE_FIXTURES, 'market_data_json', 'liquidation_stream.json');
const FIXTURE = existsSync(FIXTURE_FILE) ? (JSON.parse(readFileSync(FIXTURE_FILE, 'utf8')) as Record<string, unknown>) : undefined;

// The fixture's own payload (NautilusTrader's copy of Binance's documented example), inline so the
// parser is tested without ../shared too; the fixture test below checks the two are the same.
const PAYLOAD = {
  e: 'forceOrder',
  E: 1568014460893,
  o: { s: 'BTCUSDT', S: 'SELL', o: 'LIMIT', f: 'IOC', q: '0.014', p: '9910.00000000', ap: '9910.12345678', X: 'FILLED', l: '0.014', z: '0.014', T: 1568014460893 },
};
const EVENT: ForceOrder = {
  type: 'forceOrder', symbol: 'BTCUSDT', tsExchangeUs: 1568014460893000, tsReceiveUs: 7, tsTransactUs: 1568014460893000, side: 'sell', orderType: 'LIMIT', timeInForce: 'IOC',
  origQtyLots: 14, priceTicks: 99100, avgPrice: '9910.12345678', status: 'FILLED', lastFilledQtyLots: 14, filledQtyLots: 14,
};

const ctx = () => new TestContext('rec.txt', localRegistry());
const parse = (stream: string, data: unknown): MarketEvent[] => {
  const out: MarketEvent[] = [];
  parseBinanceMessage({ stream, data }, 7, ctx(), () => 'BTCUSDT', out);
  return out;
};

describe('forceOrder parsing', () => {
  it('maps <symbol>@forceOrder; a recording\'s all-market !forceOrder@arr is skipped and counted', () => {
    expect(streamKind('btcusdt@forceOrder')).toBe('forceOrder');
    expect(streamKind('!forceOrder@arr')).toBeNull();
    const c = ctx();
    const out: MarketEvent[] = [];
    parseBinanceMessage({ stream: '!forceOrder@arr', data: PAYLOAD }, 7, c, () => 'BTCUSDT', out);
    expect(out).toEqual([]);
    expect(c.skipped).toEqual(['!forceOrder@arr']);
    expect(streamKind('!forceOrder')).toBeNull();
    expect(streamKind('!bookTicker')).toBeNull();
    expect(streamKind('btcusdt@forceOrder@arr')).toBeNull();
  });

  it('parses the payload exactly, of either stream (the symbol comes from o.s)', () => {
    expect(parse('btcusdt@forceOrder', PAYLOAD)).toEqual([EVENT]);
    expect(parseStreamData('forceOrder', '!forceOrder@arr', PAYLOAD, 7, ctx())).toEqual(EVENT);
    const eth = { ...PAYLOAD, o: { ...PAYLOAD.o, s: 'ETHUSDT', S: 'BUY', p: '2410.37', q: '1.500', ap: '2410.5', X: 'PARTIALLY_FILLED', l: '0.200', z: '0.700', T: 1568014460890 } };
    expect([parseStreamData('forceOrder', '!forceOrder@arr', eth, 7, ctx())]).toEqual([
      { ...EVENT, symbol: 'ETHUSDT', side: 'buy', priceTicks: 241037, origQtyLots: 1500, avgPrice: '2410.5', status: 'PARTIALLY_FILLED', lastFilledQtyLots: 200, filledQtyLots: 700, tsTransactUs: 1568014460890000 },
    ]);
  });

  it('encodes back to the payload: same keys in the same order, same values (prices at the tick\'s decimals)', () => {
    const back = forceOrderPayload(EVENT, localRegistry().get('BTCUSDT'), (us) => us) as typeof PAYLOAD;
    expect(Object.keys(back)).toEqual(Object.keys(PAYLOAD));
    expect(Object.keys(back.o)).toEqual(Object.keys(PAYLOAD.o));
    expect(back).toEqual({ ...PAYLOAD, o: { ...PAYLOAD.o, p: '9910.0' } });
    expect(parse('btcusdt@forceOrder', back)).toEqual([EVENT]);
  });

  it('the synthetic recording writer writes the same payload (maker data synth)', () => {
    const line = recordingLine({ ...EVENT, tsReceiveUs: 1568014460900123 }, localRegistry().get('BTCUSDT') as Instrument);
    const sp = line.indexOf(' ');
    expect(line.slice(0, sp)).toBe('1568014460900123000');
    const out: MarketEvent[] = [];
    parseBinanceMessage(JSON.parse(line.slice(sp + 1)), 1568014460900123, ctx(), () => 'BTCUSDT', out);
    expect(out).toEqual([{ ...EVENT, tsReceiveUs: 1568014460900123 }]);
  });

  it.skipIf(FIXTURE === undefined)('the recorded fixture is that payload (../shared/data/binance-fixtures)', () => {
    expect(FIXTURE).toEqual(PAYLOAD);
    expect(Object.keys(FIXTURE!.o as object)).toEqual(Object.keys(PAYLOAD.o));
    expect(parse('btcusdt@forceOrder', FIXTURE)).toEqual([EVENT]);
  });

  it('bad payloads fail with the field named', () => {
    const bad = (o: Record<string, unknown>, field: string) => {
      const c = ctx();
      let err: unknown;
      try {
        parseStreamData('forceOrder', 'btcusdt@forceOrder', { ...PAYLOAD, o: { ...PAYLOAD.o, ...o } }, 7, c);
      } catch (e) {
        err = locate(e, c); // as every line parser does: a malformed number gets file, line and field
      }
      expect(err, field).toBeInstanceOf(InputError);
      expect((err as InputError).location.field, JSON.stringify(o)).toBe(field);
    };
    bad({ S: 'SHORT' }, 'data.o.S');
    bad({ p: '9910.05' }, 'data.o.p'); // off the 0.1 grid
    bad({ q: '-1' }, 'data.o.q');
    bad({ ap: 'abc' }, 'data.o.ap');
    bad({ X: 'filled' }, 'data.o.X');
    bad({ T: '1568014460893' }, 'data.o.T');
    bad({ s: '' }, 'data.o.s');
    expect(() => parseStreamData('forceOrder', 'btcusdt@forceOrder', { e: 'forceOrder', E: 1, o: [] }, 7, ctx())).toThrow(/liquidation order object/);
  });
});
