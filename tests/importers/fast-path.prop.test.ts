// Generated recording lines, canonical and mutated (reordered, extra and missing keys, escaped
// strings, exponent and signed numbers, whitespace, odd decimals, trailing bytes): the byte fast
// path (with its fallback) gives exactly the events or the error of the JSON.parse path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparable, PathPair } from './fast-path-harness.ts';
import { localRegistry } from './helpers.ts';

/** A JSON value written as raw text, so numbers and strings can take forms JSON.stringify never emits. */
type Field = [key: string, raw: string];

const q = (s: string) => `"${s}"`;

// BTCUSDT in localRegistry: tick 0.1, step 0.001.
const priceText = fc.oneof(
  { weight: 60, arbitrary: fc.tuple(fc.integer({ min: 1, max: 999_999 }), fc.integer({ min: 0, max: 9 }), fc.constantFrom('', '0', '00')).map(([i, d, z]) => `${i}.${d}${z}`) },
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 99_999 }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom('61800.25', '0.0', '0', '-61800.2', '+61800.2', '6.18002e4', '061800.2', '.5', '5.', '', ' 61800.2', '61800.2 ', '1234567890123456789.0', '61,800.2', '61800.20000000000000001') },
);
const qtyText = fc.oneof(
  { weight: 60, arbitrary: fc.tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 999 })).map(([i, d]) => `${i}.${String(d).padStart(3, '0')}`) },
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 999 }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom('0.0005', '-1.000', '1e-3', '0.0010', '00.001', '9007199254740.993', '1.', 'NaN') },
);
const idText = fc.oneof(
  { weight: 50, arbitrary: fc.integer({ min: 0, max: 999_999_999_999_999 }).map(String) },
  { weight: 5, arbitrary: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom('0', '-1', '01', '1.0', '1e3', '1E3', '123456789012345', '1234567890123456', '9007199254740993', '12345678901234567890', '"5"', 'null', 'true', '-0') },
);
const msText = fc.oneof(
  { weight: 50, arbitrary: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('0', '-1723161256299', '1.723161256299e12', '1723161256299.0', '"1723161256299"', '17231612562990000') },
);
const symbolText = fc.oneof(
  { weight: 50, arbitrary: fc.constant(q('BTCUSDT')) },
  { weight: 1, arbitrary: fc.constantFrom(q('ETHUSDT'), q('XRPUSDT'), q(''), q('BTC\\u0055SDT'), q('BTC\\"USDT'), q('BTCUSDT\u00e9'), '7', 'null') },
);
const boolText = fc.oneof({ weight: 40, arbitrary: fc.constantFrom('true', 'false') }, { weight: 1, arbitrary: fc.constantFrom('"true"', '1', 'null', 'tru') });
const levels = fc.array(
  fc.oneof(
    { weight: 40, arbitrary: fc.tuple(priceText, qtyText).map(([p, l]) => `[${q(p)},${q(l)}]`) },
    { weight: 1, arbitrary: fc.constantFrom('[]', '["61800.2"]', '["61800.2","1.000","x"]', '[61800.2,1]', '{"p":"1"}', 'null') },
  ),
  { maxLength: 5 },
).map((ls) => `[${ls.join(',')}]`);

const depthFields = fc.tuple(msText, msText, symbolText, idText, idText, idText, levels, levels).map(([E, T, s, U, u, pu, b, a]): Field[] => [
  ['e', q('depthUpdate')], ['E', E], ['T', T], ['s', s], ['U', U], ['u', u], ['pu', pu], ['b', b], ['a', a],
]);
const bookTickerFields = fc.tuple(idText, symbolText, priceText, qtyText, priceText, qtyText, msText, msText).map(([u, s, b, B, a, A, T, E]): Field[] => [
  ['e', q('bookTicker')], ['u', u], ['s', s], ['b', q(b)], ['B', q(B)], ['a', q(a)], ['A', q(A)], ['T', T], ['E', E],
]);
const tradeFields = fc.tuple(msText, msText, symbolText, idText, priceText, qtyText, fc.constantFrom(q('MARKET'), q('MARKET'), q('MARKET'), q('LIQUIDATION'), q('NA\\u004d')), boolText).map(([E, T, s, t, p, qq, X, m]): Field[] => [
  ['e', q('trade')], ['E', E], ['T', T], ['s', s], ['t', t], ['p', q(p)], ['q', q(qq)], ['X', X], ['m', m],
]);
const aggTradeFields = fc.tuple(msText, idText, symbolText, priceText, qtyText, idText, idText, msText, boolText).map(([E, a, s, p, qq, f, l, T, m]): Field[] => [
  ['e', q('aggTrade')], ['E', E], ['a', a], ['s', s], ['p', q(p)], ['q', q(qq)], ['f', f], ['l', l], ['T', T], ['m', m],
]);

const sideText = fc.oneof({ weight: 20, arbitrary: fc.constantFrom(q('BUY'), q('SELL')) }, { weight: 1, arbitrary: fc.constantFrom(q('buy'), q(''), '1', 'null') });
// The order object `o` of a liquidation order, written as one raw value (its keys in Binance's order).
const forceOrderFields = fc.tuple(msText, symbolText, sideText, qtyText, priceText, priceText, qtyText, qtyText, msText).map(([E, s, S, qq, p, ap, l, z, T]): Field[] => [
  ['e', q('forceOrder')], ['E', E],
  ['o', `{"s":${s},"S":${S},"o":"LIMIT","f":"IOC","q":${q(qq)},"p":${q(p)},"ap":${q(`${ap}345`)},"X":"FILLED","l":${q(l)},"z":${q(z)},"T":${T}}`],
]);

const payload = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('btcusdt@depth@0ms', 'btcusdt@depth', 'btcusdt@depth@100ms'), depthFields) },
  { weight: 4, arbitrary: fc.tuple(fc.constant('btcusdt@bookTicker'), bookTickerFields) },
  { weight: 4, arbitrary: fc.tuple(fc.constant('btcusdt@trade'), tradeFields) },
  { weight: 4, arbitrary: fc.tuple(fc.constant('btcusdt@aggTrade'), aggTradeFields) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('btcusdt@forceOrder', '!forceOrder@arr'), forceOrderFields) },
  // A payload under another stream's name, and a stream that is not mapped.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('btcusdt@trade', 'btcusdt@kline_1m', 'btcusdt@markPrice@1s'), fc.oneof(bookTickerFields, aggTradeFields)) },
);

interface Mutations {
  swap: number | null;
  drop: number | null;
  extra: [number, string] | null;
  space: number | null;
  dataFirst: boolean;
  tail: string;
}

/** Usually absent: a line gets a structural mutation now and then, so both paths see plenty of good lines too. */
const rarely = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: a });

const mutations: fc.Arbitrary<Mutations> = fc.record({
  swap: rarely(fc.nat(9)),
  drop: rarely(fc.nat(9)),
  extra: rarely(fc.tuple(fc.nat(10), fc.constantFrom('"x":1', '"E":1723161256299', '"z":"a\\nb"', '"o":{"k":[1,2]}'))),
  space: rarely(fc.nat(400)),
  dataFirst: fc.integer({ min: 0, max: 29 }).map((n) => n === 0),
  tail: fc.oneof({ weight: 20, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom(' ', '\t', 'x', '}') }),
});

function render(stream: string, fields: Field[], m: Mutations): string {
  const f = fields.slice();
  if (m.swap !== null && m.swap + 1 < f.length) [f[m.swap], f[m.swap + 1]] = [f[m.swap + 1], f[m.swap]];
  if (m.drop !== null && m.drop < f.length) f.splice(m.drop, 1);
  const parts = f.map(([k, v]) => `"${k}":${v}`);
  if (m.extra !== null) parts.splice(Math.min(m.extra[0], parts.length), 0, m.extra[1]);
  let json = m.dataFirst ? `{"data":{${parts.join(',')}},"stream":"${stream}"}` : `{"stream":"${stream}","data":{${parts.join(',')}}}`;
  if (m.space !== null) {
    // Whitespace after one of the structural characters (always valid JSON there).
    const at = [...json.matchAll(/[:,{[]/g)].map((x) => x.index!);
    if (at.length > 0) {
      const i = at[m.space % at.length] + 1;
      json = `${json.slice(0, i)} ${json.slice(i)}`;
    }
  }
  return json + m.tail;
}

const HEADS = ['1723161255030314667 ', '1723161255030314 '];

describe('fast path vs JSON.parse on generated lines', () => {
  it('identical events or identical errors, for canonical and mutated lines', () => {
    fc.assert(
      fc.property(payload, mutations, fc.constantFrom(...HEADS), ([stream, fields], m, head) => {
        const line = head + render(stream, fields, m);
        const { fast, slow } = new PathPair('hftbacktest', localRegistry()).run(line, 3);
        expect(comparable(fast)).toEqual(comparable(slow));
      }),
      { numRuns: 1500 },
    );
  });

  it('the same for cryptofeed lines (`<unix s>: <json>`)', () => {
    fc.assert(
      fc.property(payload, mutations, fc.constantFrom('1617647797.5963788: ', '1617647797: ', '1617647797.5: ', '1617647797.: ', '01617647797.1234567: '), ([stream, fields], m, head) => {
        const line = head + render(stream, fields, m);
        const { fast, slow } = new PathPair('cryptofeed', localRegistry()).run(line, 3);
        expect(comparable(fast)).toEqual(comparable(slow));
      }),
      { numRuns: 500 },
    );
  });

  it('canonical lines with plain on-grid values are taken by the fast path (it is not declining everything)', () => {
    const plainPrice = fc.tuple(fc.integer({ min: 1, max: 999_999 }), fc.integer({ min: 0, max: 9 })).map(([i, d]) => `${i}.${d}0`);
    const plainQty = fc.tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 })).map(([i, d]) => `${i}.${String(d).padStart(3, '0')}`);
    const id = fc.integer({ min: 0, max: 999_999_999_999_999 }).map(String);
    const ms = fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }).map(String);
    const level = fc.tuple(plainPrice, plainQty).map(([p, l]) => `[${q(p)},${q(l)}]`);
    const lv = fc.array(level, { maxLength: 20 }).map((ls) => `[${ls.join(',')}]`);
    const line = fc.oneof(
      fc.tuple(ms, ms, id, id, id, lv, lv).map(([E, T, U, u, pu, b, a]) => `{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":${E},"T":${T},"s":"BTCUSDT","U":${U},"u":${u},"pu":${pu},"b":${b},"a":${a}}}`),
      fc.tuple(id, plainPrice, plainQty, plainPrice, plainQty, ms, ms).map(([u, b, B, a, A, T, E]) => `{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":${u},"s":"BTCUSDT","b":"${b}","B":"${B}","a":"${a}","A":"${A}","T":${T},"E":${E}}}`),
      fc.tuple(ms, ms, id, plainPrice, plainQty, fc.boolean()).map(([E, T, t, p, qq, m]) => `{"stream":"btcusdt@trade","data":{"e":"trade","E":${E},"T":${T},"s":"BTCUSDT","t":${t},"p":"${p}","q":"${qq}","X":"MARKET","m":${m}}}`),
      fc.tuple(ms, id, plainPrice, plainQty, id, id, ms, fc.boolean()).map(([E, a, p, qq, f, l, T, m]) => `{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":${E},"a":${a},"s":"BTCUSDT","p":"${p}","q":"${qq}","f":${f},"l":${l},"T":${T},"m":${m}}}`),
    );
    fc.assert(
      fc.property(line, (json) => {
        const { fast, slow } = new PathPair('hftbacktest', localRegistry()).run(`1723161255030314667 ${json}`, 1);
        expect(fast.fast).toBe(true);
        expect(comparable(fast)).toEqual(comparable(slow));
      }),
      { numRuns: 500 },
    );
  });
});
