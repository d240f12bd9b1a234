// The event log's binary encoding (src/backtest/event-log.ts), checked against an independent
// encoder written from the documented format; chunking independence; the text rendering.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EventLog, RECORD_FIELDS } from '../../src/backtest/event-log.ts';
import type { ExecutionReport, VenueCommand } from '../../src/model/venue.ts';

type F = { n: number } | { s: string | null } | { b: boolean };
const KINDS = { submit: 1, cancel: 2, modify: 3, report: 4, funding: 5, end: 6, query: 7, requestUnknown: 8, queryAnswer: 9, accountSync: 10, streamState: 11 } as const;

/** The documented format, byte by byte. */
function encode(kind: keyof typeof KINDS, fields: F[]): Buffer {
  const parts: Buffer[] = [Buffer.from([KINDS[kind]])];
  for (const f of fields) {
    if ('n' in f) {
      const b = Buffer.alloc(9);
      b[0] = 1;
      const v = Object.is(f.n, -0) ? 0 : Number.isNaN(f.n) ? NaN : f.n;
      if (Number.isNaN(v)) Buffer.from([0, 0, 0, 0, 0, 0, 0xf8, 0x7f]).copy(b, 1);
      else b.writeDoubleLE(v, 1);
      parts.push(b);
    } else if ('s' in f) {
      if (f.s === null) parts.push(Buffer.from([5]));
      else {
        const utf8 = Buffer.from(f.s, 'utf8');
        const h = Buffer.alloc(5);
        h[0] = 2;
        h.writeUInt32LE(utf8.length, 1);
        parts.push(h, utf8);
      }
    } else parts.push(Buffer.from([f.b ? 3 : 4]));
  }
  return Buffer.concat(parts);
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const report: ExecutionReport = {
  symbol: 'BTCUSDT', clientOrderId: 'q-1', orderId: 7, execType: 'TRADE', status: 'PARTIALLY_FILLED', side: 'buy', priceTicks: 601234, origQtyLots: 5,
  cumFilledLots: 2, lastFillLots: 2, lastFillPriceTicks: 601234, tradeId: 99, liquidity: 'maker', commission: '-0.0012', errorCode: 0, errorMessage: 'ignored', reduceOnly: false, tsExchangeUs: 1_723_075_200_000_001,
};
const submit: VenueCommand = { kind: 'submit', order: { symbol: 'ETHUSDT', clientOrderId: 'é-2', side: 'sell', type: 'LIMIT', timeInForce: 'GTX', priceTicks: 25_001, qtyLots: 3, reduceOnly: true } } as VenueCommand;

describe('EventLog binary encoding', () => {
  it('hashes exactly the documented bytes', () => {
    const log = new EventLog();
    log.command(10, 2010, submit);
    log.command(11, 2011, { kind: 'cancel', symbol: 'ETHUSDT', clientOrderId: 'é-2' });
    log.venueEvent(-0, { kind: 'report', report: { ...report, liquidity: null } });
    log.venueEvent(12, { kind: 'funding', settlement: { symbol: 'BTCUSDT', tsUs: 12, markPrice: '60000.1', rate: '0.0001', positionLots: -3, payment: '1.8' } });
    log.end({ marketEvents: 5, commandsSent: 2, reportsDelivered: 1, fundingDelivered: 1, lastUs: NaN });
    const want = Buffer.concat([
      encode('submit', [{ n: 10 }, { n: 2010 }, { s: 'ETHUSDT' }, { s: 'é-2' }, { s: 'sell' }, { s: 'LIMIT' }, { s: 'GTX' }, { n: 25_001 }, { n: 3 }, { b: true }]),
      encode('cancel', [{ n: 11 }, { n: 2011 }, { s: 'ETHUSDT' }, { s: 'é-2' }]),
      encode('report', [{ n: 0 }, { n: 1_723_075_200_000_001 }, { s: 'BTCUSDT' }, { s: 'q-1' }, { n: 7 }, { s: 'TRADE' }, { s: 'PARTIALLY_FILLED' }, { s: 'buy' }, { n: 601234 }, { n: 5 }, { n: 2 }, { n: 2 }, { n: 601234 }, { n: 99 }, { s: null }, { s: '-0.0012' }, { n: 0 }, { b: false }]),
      encode('funding', [{ n: 12 }, { n: 12 }, { s: 'BTCUSDT' }, { s: '60000.1' }, { s: '0.0001' }, { n: -3 }, { s: '1.8' }]),
      encode('end', [{ n: 5 }, { n: 2 }, { n: 1 }, { n: 1 }, { n: NaN }]),
    ]);
    expect(log.digest()).toBe(sha(want));
    expect(log.records).toBe(5);
    expect(RECORD_FIELDS.report).toHaveLength(18);
  });

  it('encodes strings as UTF-8 whether they are ASCII or not, wherever the first other character sits', () => {
    const ids = ['', 'a', 'q-1', 'é', 'ab€c', 'abc\u{1F600}', 'x\uD800y', 'z'.repeat(40_000) + 'é'];
    const log = new EventLog();
    for (const id of ids) log.command(1, 2, { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: id });
    const want = Buffer.concat(ids.map((id) => encode('cancel', [{ n: 1 }, { n: 2 }, { s: 'BTCUSDT' }, { s: id }])));
    expect(log.digest()).toBe(sha(want));
  });

  it('encodes the venue-contract kinds (query, unknown outcome, query answer, account snapshot, stream state) as documented', () => {
    const log = new EventLog();
    log.command(1, 2, { kind: 'query', symbol: 'BTCUSDT', clientOrderId: 'q-1', orderId: -1 });
    log.venueEvent(3, { kind: 'requestUnknown', symbol: 'BTCUSDT', clientOrderId: 'q-1', request: 'submit', cause: 'timeout' });
    log.venueEvent(4, { kind: 'queryAnswer', symbol: 'BTCUSDT', result: { clientOrderId: 'q-1', found: false } });
    log.venueEvent(5, { kind: 'queryAnswer', symbol: 'BTCUSDT', result: { clientOrderId: 'q-1', found: true, orderId: 7, status: 'NEW', priceTicks: 10, origQtyLots: 2, cumFilledLots: 1 } });
    const sync = { tsUs: 6, symbols: ['BTCUSDT'], positions: [{ symbol: 'BTCUSDT', lots: -2, entryPrice: '60000' }], balances: [{ asset: 'USDT', walletBalance: '1000' }], openOrders: [] };
    log.venueEvent(7, { kind: 'accountSync', sync });
    log.venueEvent(8, { kind: 'streamState', stream: 'market', up: false, tsUs: 8, symbols: ['BTCUSDT', 'ETHUSDT'], reason: 'no close frame' });
    log.venueEvent(9, { kind: 'streamState', stream: 'user', up: true, tsUs: 9, reason: 'reconnected' });
    const json = '{"balances":[{"asset":"USDT","walletBalance":"1000"}],"openOrders":[],"positions":[{"entryPrice":"60000","lots":-2,"symbol":"BTCUSDT"}],"symbols":["BTCUSDT"]}';
    const want = Buffer.concat([
      encode('query', [{ n: 1 }, { n: 2 }, { s: 'BTCUSDT' }, { s: 'q-1' }, { n: -1 }]),
      encode('requestUnknown', [{ n: 3 }, { s: 'BTCUSDT' }, { s: 'q-1' }, { s: 'submit' }, { s: 'timeout' }]),
      encode('queryAnswer', [{ n: 4 }, { s: 'BTCUSDT' }, { s: 'q-1' }, { b: false }]),
      encode('queryAnswer', [{ n: 5 }, { s: 'BTCUSDT' }, { s: 'q-1' }, { b: true }, { n: 7 }, { s: 'NEW' }, { n: 10 }, { n: 2 }, { n: 1 }, { n: NaN }]),
      encode('accountSync', [{ n: 7 }, { n: 6 }, { s: json }]),
      encode('streamState', [{ n: 8 }, { n: 8 }, { s: 'market' }, { b: false }, { s: 'BTCUSDT,ETHUSDT' }, { s: 'no close frame' }]),
      encode('streamState', [{ n: 9 }, { n: 9 }, { s: 'user' }, { b: true }, { s: null }, { s: 'reconnected' }]),
    ]);
    expect(log.digest()).toBe(sha(want));
  });

  it('does not depend on where the buffer is cut (many records, a string larger than the buffer)', () => {
    const log = new EventLog();
    const parts: Buffer[] = [];
    for (let i = 0; i < 20_000; i++) {
      const id = i % 997 === 0 ? 'x'.repeat(100_000 + i) : `c-${i}`;
      log.command(i, i + 5, { kind: 'cancel', symbol: 'BTCUSDT', clientOrderId: id });
      parts.push(encode('cancel', [{ n: i }, { n: i + 5 }, { s: 'BTCUSDT' }, { s: id }]));
    }
    expect(log.digest()).toBe(sha(Buffer.concat(parts)));
  });

  it('tells apart values that text could confuse, and refuses records after the digest', () => {
    const h = (clientOrderId: string | null, priceTicks: number) => {
      const log = new EventLog();
      log.venueEvent(1, { kind: 'report', report: { ...report, liquidity: clientOrderId as never, priceTicks } });
      return log.digest();
    };
    expect(h(null, 1)).not.toBe(h('', 1));
    expect(h('maker', 0)).toBe(h('maker', -0));
    expect(h('maker', 1)).not.toBe(h('maker', 1.0000000000000002));
    const log = new EventLog();
    log.digest();
    expect(() => log.end({ marketEvents: 0, commandsSent: 0, reportsDelivered: 0, fundingDelivered: 0, lastUs: 0 })).toThrow(/after digest/);
  });

  it('renders the same records as text lines for events.log', () => {
    const chunks: string[] = [];
    const log = new EventLog((c) => chunks.push(c));
    log.command(10, 2010, submit);
    log.venueEvent(20, { kind: 'report', report });
    log.end({ marketEvents: 5, commandsSent: 1, reportsDelivered: 1, fundingDelivered: 0, lastUs: 30 });
    const binaryOnly = new EventLog();
    binaryOnly.command(10, 2010, submit);
    binaryOnly.venueEvent(20, { kind: 'report', report });
    binaryOnly.end({ marketEvents: 5, commandsSent: 1, reportsDelivered: 1, fundingDelivered: 0, lastUs: 30 });
    expect(log.digest()).toBe(binaryOnly.digest());
    expect(chunks.join('').split('\n')).toEqual([
      'submit\t10\t2010\tETHUSDT\té-2\tsell\tLIMIT\tGTX\t25001\t3\ttrue',
      'report\t20\t1723075200000001\tBTCUSDT\tq-1\t7\tTRADE\tPARTIALLY_FILLED\tbuy\t601234\t5\t2\t2\t601234\t99\tmaker\t-0.0012\t0\tfalse',
      'end\t5\t1\t1\t0\t30',
      '',
    ]);
  });
});
