// Funding schedule edges a mutation test found unpinned (../shared/design/mutation-report-2026-12-02.md,
// M20–M22): a fixed schedule with an offset, reached first by a command or a flat depth diff, and
// the data-mode guards (no rate, no announcement yet, never twice).
import { describe, expect, it } from 'vitest';
import type { FlatDepthDiff } from '../../src/model/events.ts';
import { exchange, mark, order, standardBook } from './helpers.ts';

const H = 3600 * 1_000_000;
const H8 = 8 * H;

function flatDiff(ts: number): FlatDepthDiff {
  return { tsExchangeUs: ts, firstUpdateId: -1, finalUpdateId: -1, prevFinalUpdateId: -1, bidTicks: [], bidLots: [], bidStart: 0, bidEnd: 0, askTicks: [], askLots: [], askStart: 0, askEnd: 0 };
}

describe('fixed-rate funding schedule', () => {
  it('an offset moves every funding time: 01:00, 09:00 from a start at 00:30', () => {
    const ex = exchange({ funding: { mode: 'rate', rate: '0.0001', offsetUs: H } });
    ex.onMarketEvent(standardBook(H / 2));
    ex.onCommand(order('m', 'buy', 0, 1, { type: 'MARKET' }), H / 2 + 1);
    ex.onMarketEvent(standardBook(H - 1));
    expect(ex.drainFunding()).toEqual([]);
    ex.onMarketEvent(standardBook(H));
    ex.onMarketEvent(standardBook(H8 + H - 1));
    expect(ex.drainFunding().map((f) => f.tsUs)).toEqual([H]);
    ex.onMarketEvent(standardBook(H8 + H));
    expect(ex.drainFunding().map((f) => [f.tsUs, f.positionLots, f.payment])).toEqual([[H8 + H, 1, '-0.00599995']]);
  });

  it('a command reaching the exchange after a funding time settles it first, with the position before the command', () => {
    const ex = exchange({ funding: { mode: 'rate', rate: '0.0001' } });
    ex.onMarketEvent(standardBook(H8 - 10));
    ex.onCommand(order('m', 'buy', 0, 1, { type: 'MARKET' }), H8 - 5);
    ex.onCommand(order('m2', 'buy', 0, 2, { type: 'MARKET' }), H8 + 5);
    expect(ex.drainFunding().map((f) => [f.tsUs, f.positionLots])).toEqual([[H8, 1]]);
    expect(ex.positionLots('BTCUSDT')).toBe(3);
  });

  it('a flat depth diff (the replay fast path) reaching a funding time settles it', () => {
    const ex = exchange({ funding: { mode: 'rate', rate: '0.0001' } });
    ex.onMarketEvent(standardBook(H8 - 10));
    ex.onCommand(order('m', 'sell', 0, 1, { type: 'MARKET' }), H8 - 5);
    ex.onFlatDepthDiff('BTCUSDT', flatDiff(H8 - 1));
    expect(ex.drainFunding()).toEqual([]);
    ex.onFlatDepthDiff('BTCUSDT', flatDiff(H8 + 1));
    expect(ex.drainFunding().map((f) => [f.tsUs, f.positionLots, f.payment])).toEqual([[H8, -1, '0.00599995']]);
  });
});

describe('fixed-rate funding: whichever entry point comes first starts the schedule', () => {
  // A settlement is reported even for a flat position (payment 0), so no order is needed.
  it('market events only', () => {
    const ex = exchange({ funding: { mode: 'rate', rate: '0.0001' } });
    ex.onMarketEvent(standardBook(H8 - 10));
    ex.onMarketEvent(standardBook(H8 + 10));
    expect(ex.drainFunding().map((f) => [f.tsUs, f.positionLots, f.payment])).toEqual([[H8, 0, '0']]);
  });

  // The schedule starts at the first call of any entry point. Here the next event is after the
  // funding time and brings the first book: the settlement comes before it, finds no price and is
  // skipped, but counted; had the schedule started at that event, the funding time would be 2·H8.
  it('a flat depth diff first', () => {
    const ex = exchange({ funding: { mode: 'rate', rate: '0.0001' } });
    ex.onFlatDepthDiff('BTCUSDT', flatDiff(H8 - 10));
    ex.onMarketEvent(standardBook(H8 + 10));
    expect([ex.counters.fundingSettlements, ex.counters.fundingSkipped]).toEqual([0, 1]);
  });

  it('a command first', () => {
    const ex = exchange({ funding: { mode: 'rate', rate: '0.0001' } });
    ex.onCommand(order('early', 'buy', 599_990, 1), H8 - 10);
    ex.onMarketEvent(standardBook(H8 + 10));
    expect([ex.counters.fundingSettlements, ex.counters.fundingSkipped]).toEqual([0, 1]);
  });
});

describe('funding from markPrice data: guards', () => {
  it('a funding time announced without a rate is not settled', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('m', 'buy', 0, 1, { type: 'MARKET' }), 2);
    ex.onMarketEvent(mark(H8 - 1_000_000, '60000', '', H8));
    ex.onMarketEvent(mark(H8 + 1_000_000, '60000', '', 2 * H8));
    expect(ex.drainFunding()).toEqual([]);
  });

  it('the first announcement settles nothing (no funding time was pending)', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('m', 'buy', 0, 1, { type: 'MARKET' }), 2);
    ex.onMarketEvent(mark(H8 + 1_000_000, '60000', '0.0001', 2 * H8));
    expect(ex.drainFunding()).toEqual([]);
    ex.onMarketEvent(mark(2 * H8 + 1_000_000, '60000', '0.0002', 3 * H8));
    expect(ex.drainFunding().map((f) => [f.tsUs, f.rate])).toEqual([[2 * H8, '0.0001']]);
  });

  it('a funding time settled by a settlement record is not settled again when the stream moves past it', () => {
    const ex = exchange();
    ex.onMarketEvent(standardBook());
    ex.onCommand(order('m', 'buy', 0, 1, { type: 'MARKET' }), 2);
    ex.onMarketEvent(mark(H8 - 1_000_000, '60000', '0.0001', H8));
    ex.onMarketEvent(mark(H8, '', '0.0001', H8)); // the data.binance.vision record of that funding
    ex.onMarketEvent(mark(H8 + 1_000_000, '60000', '0.0002', 2 * H8));
    expect(ex.drainFunding().map((f) => [f.tsUs, f.rate, f.payment])).toEqual([[H8, '0.0001', '-0.006']]);
  });
});
