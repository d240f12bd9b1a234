// Builders for simulated-exchange tests: a BTCUSDT-like instrument (tick 0.1, step 0.001) and
// market events in ticks/lots. Depth events carry no update ids (-1), so a snapshot resets the
// book and diffs apply in order — enough for matching tests that are not about sync.
import { Rng } from '../../src/core/random.ts';
import { Instrument, type InstrumentSpec } from '../../src/model/instrument.ts';
import type { AggTrade, BookTicker, DepthDiff, DepthSnapshot, MarkPrice, Side, Trade } from '../../src/model/events.ts';
import type { ExecutionReport, FundingSettlement, OrderRequest, VenueCommand, VenueEvent } from '../../src/model/venue.ts';
import { SimExchange, type SimExchangeOptions } from '../../src/sim-exchange/index.ts';

export const SYMBOL = 'BTCUSDT';

export function instrument(over: Partial<InstrumentSpec> = {}): Instrument {
  return new Instrument({
    symbol: SYMBOL, baseAsset: 'BTC', quoteAsset: 'USDT', marginAsset: 'USDT', contractType: 'PERPETUAL',
    tickSize: '0.1', minPrice: '0.1', maxPrice: '1000000', stepSize: '0.001', minQty: '0.001', maxQty: '1000',
    marketMinQty: '0.001', marketMaxQty: '120', minNotional: '5', source: { kind: 'manual', asOf: '2024-08-08T00:00:00.000Z' },
    ...over,
  });
}

/**
 * The simulated exchange with views of its one event queue by kind, for tests that look at reports,
 * funding settlements and other events (query answers) apart. Each view takes only its own kind;
 * the others stay for their views.
 */
export class TestExchange extends SimExchange {
  private reports: ExecutionReport[] = [];
  private settlements: FundingSettlement[] = [];
  private other: VenueEvent[] = [];

  /** `send`, under the name the tests were written with. */
  onCommand(cmd: VenueCommand, tsUs: number): void {
    this.send(cmd, tsUs);
  }

  drainReports(): ExecutionReport[] {
    this.pull();
    const out = this.reports;
    this.reports = [];
    return out;
  }

  drainFunding(): FundingSettlement[] {
    this.pull();
    const out = this.settlements;
    this.settlements = [];
    return out;
  }

  drainOther(): VenueEvent[] {
    this.pull();
    const out = this.other;
    this.other = [];
    return out;
  }

  private pull(): void {
    for (const e of this.drainEvents()) {
      if (e.kind === 'report') this.reports.push(e.report);
      else if (e.kind === 'funding') this.settlements.push(e.settlement);
      else this.other.push(e);
    }
  }
}

export function exchange(opts: Partial<SimExchangeOptions> = {}, spec: Partial<InstrumentSpec> = {}): TestExchange {
  return new TestExchange({
    instruments: [instrument(spec)],
    rng: new Rng(1),
    queueModel: { model: 'risk-averse' },
    fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } },
    ...opts,
  });
}

type Levels = [number, number][];

export function snapshot(ts: number, bids: Levels, asks: Levels): DepthSnapshot {
  return {
    type: 'snapshot', symbol: SYMBOL, tsExchangeUs: ts, tsReceiveUs: ts, tsTransactUs: ts, lastUpdateId: -1,
    bidTicks: bids.map((l) => l[0]), bidLots: bids.map((l) => l[1]), askTicks: asks.map((l) => l[0]), askLots: asks.map((l) => l[1]),
  };
}

export function diff(ts: number, bids: Levels, asks: Levels): DepthDiff {
  return {
    type: 'depth', symbol: SYMBOL, tsExchangeUs: ts, tsReceiveUs: ts, tsTransactUs: ts, firstUpdateId: -1, finalUpdateId: -1, prevFinalUpdateId: -1,
    bidTicks: bids.map((l) => l[0]), bidLots: bids.map((l) => l[1]), askTicks: asks.map((l) => l[0]), askLots: asks.map((l) => l[1]),
  };
}

let tradeIds = 1;
/** A print; `taker` is the aggressor's side ('sell' hits bids). */
export function trade(ts: number, priceTicks: number, qtyLots: number, taker: Side): Trade {
  return { type: 'trade', symbol: SYMBOL, tsExchangeUs: ts, tsReceiveUs: ts, tsTransactUs: ts, tradeId: tradeIds++, priceTicks, qtyLots, buyerIsMaker: taker === 'sell' };
}

export function aggTrade(ts: number, priceTicks: number, qtyLots: number, taker: Side): AggTrade {
  return { type: 'aggTrade', symbol: SYMBOL, tsExchangeUs: ts, tsReceiveUs: ts, tsTransactUs: ts, aggTradeId: tradeIds, firstTradeId: tradeIds, lastTradeId: tradeIds++, priceTicks, qtyLots, buyerIsMaker: taker === 'sell' };
}

export function ticker(ts: number, bid: number, bidLots: number, ask: number, askLots: number): BookTicker {
  return { type: 'bookTicker', symbol: SYMBOL, tsExchangeUs: ts, tsReceiveUs: ts, tsTransactUs: ts, updateId: -1, bidTicks: bid, bidLots, askTicks: ask, askLots };
}

export function mark(ts: number, markPrice: string, fundingRate = '', nextFundingTimeUs = -1): MarkPrice {
  return { type: 'markPrice', symbol: SYMBOL, tsExchangeUs: ts, tsReceiveUs: ts, markPrice, indexPrice: '', fundingRate, nextFundingTimeUs };
}

export function order(clientOrderId: string, side: Side, priceTicks: number, qtyLots: number, over: Partial<OrderRequest> = {}): VenueCommand {
  return { kind: 'submit', order: { symbol: SYMBOL, clientOrderId, side, type: 'LIMIT', timeInForce: 'GTC', priceTicks, qtyLots, reduceOnly: false, ...over } };
}

export function cancel(clientOrderId: string): VenueCommand {
  return { kind: 'cancel', symbol: SYMBOL, clientOrderId };
}

export function modify(clientOrderId: string, side: Side, priceTicks: number, qtyLots: number): VenueCommand {
  return { kind: 'modify', symbol: SYMBOL, clientOrderId, side, priceTicks, qtyLots };
}

/** A book around 60000.0: bids 599990..599986 (10 lots each), asks 600000..600004 (10 lots each). */
export const BID = 599_990;
export const ASK = 600_000;
export function standardBook(ts = 1): DepthSnapshot {
  const bids: Levels = [];
  const asks: Levels = [];
  for (let i = 0; i < 5; i++) {
    bids.push([BID - i, 10]);
    asks.push([ASK + i, 10]);
  }
  return snapshot(ts, bids, asks);
}

export function trades(rs: ExecutionReport[]): ExecutionReport[] {
  return rs.filter((r) => r.execType === 'TRADE');
}
