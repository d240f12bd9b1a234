// Test doubles for the strategy tests: a minimal array-backed BookView and a context builder.
import type { BookLevel, BookView } from '../../src/book/types.ts';
import type { BookSide } from '../../src/model/events.ts';
import { Instrument } from '../../src/model/instrument.ts';
import type { InstrumentSpec } from '../../src/model/instrument.ts';
import type { StrategyContext } from '../../src/strategy/index.ts';

export class ArrayBook implements BookView {
  readonly symbol: string;
  /** Bids best (highest) first, asks best (lowest) first. */
  private readonly bids: BookLevel[];
  private readonly asks: BookLevel[];
  private readonly valid: boolean;

  constructor(symbol: string, bids: [number, number][], asks: [number, number][], valid = true) {
    this.symbol = symbol;
    this.bids = bids.map(([priceTicks, qtyLots]) => ({ priceTicks, qtyLots })).sort((a, b) => b.priceTicks - a.priceTicks);
    this.asks = asks.map(([priceTicks, qtyLots]) => ({ priceTicks, qtyLots })).sort((a, b) => a.priceTicks - b.priceTicks);
    this.valid = valid;
  }
  private levels(side: BookSide): BookLevel[] {
    return side === 'bid' ? this.bids : this.asks;
  }
  bestBidTicks(): number {
    return this.bids.length > 0 ? this.bids[0].priceTicks : NaN;
  }
  bestAskTicks(): number {
    return this.asks.length > 0 ? this.asks[0].priceTicks : NaN;
  }
  bestBidLots(): number {
    return this.bids.length > 0 ? this.bids[0].qtyLots : 0;
  }
  bestAskLots(): number {
    return this.asks.length > 0 ? this.asks[0].qtyLots : 0;
  }
  qtyAt(side: BookSide, priceTicks: number): number {
    return this.levels(side).find((l) => l.priceTicks === priceTicks)?.qtyLots ?? 0;
  }
  levelCount(side: BookSide): number {
    return this.levels(side).length;
  }
  topLevels(side: BookSide, n: number): BookLevel[] {
    return this.levels(side).slice(0, n);
  }
  depthWithin(side: BookSide, distanceTicks: number): number {
    const lv = this.levels(side);
    if (lv.length === 0) return 0;
    const best = lv[0].priceTicks;
    return lv.filter((l) => Math.abs(l.priceTicks - best) <= distanceTicks).reduce((s, l) => s + l.qtyLots, 0);
  }
  forEachLevel(side: BookSide, visit: (priceTicks: number, qtyLots: number) => boolean | void): void {
    for (const l of this.levels(side)) if (visit(l.priceTicks, l.qtyLots) === false) return;
  }
  isValid(): boolean {
    return this.valid;
  }
  lastUpdateId(): number {
    return -1;
  }
}

export const BTC_SPEC: InstrumentSpec = {
  symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT', marginAsset: 'USDT', contractType: 'PERPETUAL',
  tickSize: '0.1', minPrice: '556.8', maxPrice: '4529764', stepSize: '0.001', minQty: '0.001', maxQty: '1000',
  marketMinQty: '0.001', marketMaxQty: '120', minNotional: '5', source: { kind: 'manual', asOf: '2024-08-08T00:00:00.000Z' },
};

/** A permissive instrument: tick 1, step 1, no notional floor, so prices in ticks read as plain numbers. */
export const PLAIN_SPEC: InstrumentSpec = {
  symbol: 'TESTUSDT', baseAsset: 'TEST', quoteAsset: 'USDT', marginAsset: 'USDT', contractType: 'PERPETUAL',
  tickSize: '1', minPrice: '1', maxPrice: '1000000000', stepSize: '1', minQty: '1', maxQty: '1000000',
  marketMinQty: '1', marketMaxQty: '1000000', minNotional: '0', source: { kind: 'manual', asOf: '2024-01-01T00:00:00.000Z' },
};

export const plain = new Instrument(PLAIN_SPEC);

/** A context on the plain instrument: book 99 × 10 / 101 × 10 (mid 100), flat, no signals, no live orders. */
export function ctxWith(over: Partial<StrategyContext> = {}): StrategyContext {
  return {
    tsUs: 1_000_000,
    instrument: plain,
    book: new ArrayBook('TESTUSDT', [[99, 10], [98, 5]], [[101, 10], [102, 5]]),
    positionLots: 0,
    signals: {},
    liveQuotes: [],
    ...over,
  };
}

export const ready = (value: number) => ({ value, ready: true });
