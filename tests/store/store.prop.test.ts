// Property: any recording (all event kinds, ties in receive time, id-less events, a midnight
// crossing), imported in one or two overlapping pieces with any spill/row-group sizes, replays to
// exactly the recorded events in recording order, for any batch size.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/model/events.ts';
import { StoreWriter, readMarketEvents } from '../../src/store/index.ts';
import { DAY_US, INSTRUMENT, T0, collect, tempRoot, removeTempRoots } from './helpers.ts';

afterAll(removeTempRoots);

const levels = fc.array(fc.tuple(fc.integer({ min: 1, max: 2_000_000 }), fc.integer({ min: 0, max: 5_000_000 })), { maxLength: 4 });
const decimal = fc.oneof(fc.constant(''), fc.tuple(fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 99999999 })).map(([a, b]) => `${a}.${String(b).padStart(8, '0')}`));

const step = fc.record({
  kind: fc.constantFrom('depth', 'snapshot', 'trade', 'aggTrade', 'bookTicker', 'markPrice'),
  dtUs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40_000_000 })),
  latencyUs: fc.integer({ min: 0, max: 5000 }),
  unknownIds: fc.boolean(),
  bids: levels,
  asks: levels,
  price: fc.integer({ min: 1, max: 2_000_000 }),
  qty: fc.integer({ min: 0, max: 5_000_000 }),
  flag: fc.boolean(),
  mark: decimal,
  index: decimal,
  funding: decimal,
});

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

function build(steps: Step[]): MarketEvent[] {
  let rx = T0 + DAY_US - 60_000_000; // start a minute before midnight
  let id = 1000;
  const out: MarketEvent[] = [];
  steps.forEach((s, n) => {
    rx += s.dtUs;
    id += 3;
    const base = { symbol: 'BTCUSDT', tsReceiveUs: rx, tsExchangeUs: rx - s.latencyUs - (n % 7) };
    const lv = { bidTicks: s.bids.map((b) => b[0]), bidLots: s.bids.map((b) => b[1]), askTicks: s.asks.map((a) => a[0]), askLots: s.asks.map((a) => a[1]) };
    switch (s.kind) {
      case 'depth':
        out.push({ type: 'depth', ...base, tsTransactUs: base.tsExchangeUs - 1, firstUpdateId: s.unknownIds ? -1 : id - 2, finalUpdateId: s.unknownIds ? -1 : id, prevFinalUpdateId: s.unknownIds ? -1 : id - 3, ...lv });
        break;
      case 'snapshot':
        out.push({ type: 'snapshot', ...base, tsTransactUs: base.tsExchangeUs, lastUpdateId: s.unknownIds ? -1 : id, ...lv });
        break;
      case 'trade':
        out.push({ type: 'trade', ...base, tsTransactUs: base.tsExchangeUs - 3, tradeId: id, priceTicks: s.price, qtyLots: s.qty, buyerIsMaker: s.flag });
        break;
      case 'aggTrade':
        out.push({ type: 'aggTrade', ...base, tsTransactUs: base.tsExchangeUs - 4, aggTradeId: id, firstTradeId: id - 2, lastTradeId: id, priceTicks: s.price, qtyLots: s.qty, buyerIsMaker: s.flag });
        break;
      case 'bookTicker':
        out.push({ type: 'bookTicker', ...base, tsTransactUs: base.tsExchangeUs - 5, updateId: s.unknownIds ? -1 : id, bidTicks: s.price, bidLots: s.qty, askTicks: s.price + 1, askLots: s.qty + 1 });
        break;
      case 'markPrice':
        // identity of a mark price is (ts_receive_us, ts_exchange_us): keep those unique
        if (out.some((e) => e.type === 'markPrice' && e.tsReceiveUs === base.tsReceiveUs && e.tsExchangeUs === base.tsExchangeUs)) return;
        out.push({ type: 'markPrice', ...base, markPrice: s.mark, indexPrice: s.index, fundingRate: s.funding, nextFundingTimeUs: s.flag ? -1 : T0 + 8 * 3_600_000_000 });
        break;
    }
  });
  return out;
}

/** Indexes where the receive time changes (a recording file may only end at such a point). */
function boundaries(events: MarketEvent[]): number[] {
  const out = [0];
  for (let i = 1; i < events.length; i++) if (events[i].tsReceiveUs !== events[i - 1].tsReceiveUs) out.push(i);
  out.push(events.length);
  return out;
}

describe('store round trip (property)', () => {
  it('events → store → events, with overlapping imports, spills and any batch size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 60 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 3, max: 100 }),
        fc.integer({ min: 2, max: 50 }),
        fc.integer({ min: 1, max: 40 }),
        async (steps, cutA, cutB, spillRows, rowGroupRows, batchRows) => {
          const events = build(steps);
          const b = boundaries(events);
          const c1 = b[cutA % b.length];
          const c2 = Math.max(c1, b[cutB % b.length]);
          const root = tempRoot();
          for (const part of [events.slice(c1), events.slice(0, c2)]) {
            const w = new StoreWriter({ root, venue: 'binance-usdm', spillRows, rowGroupRows });
            w.addInstrument(INSTRUMENT);
            await w.write(part);
            await w.commit({ importer: 'prop', inputs: [{ path: 'p' }] });
          }
          const got = await collect(readMarketEvents(root, { venue: 'binance-usdm', symbol: 'BTCUSDT', batchRows }));
          expect(got).toEqual(events);
        },
      ),
      { numRuns: 40 },
    );
  });
});
