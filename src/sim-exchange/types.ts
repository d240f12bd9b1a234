/**
 * Configuration and output types of the simulated exchange. Units: ticks, lots, µs; rates and
 * money are exact decimal strings.
 */
import type { Rng } from '../core/random.ts';
import type { BookSource } from '../marketdata/index.ts';
import type { Side } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import type { ExchangeOrderStatus, OrderType, TimeInForce } from '../model/venue.ts';
import type { QueueModel, QueueModelConfig } from './queue.ts';
import type { SimAccountConfig } from './margin.ts';

/** Commission rates as decimal fractions ("0.0002" = 2 bp); a negative maker rate is a rebate. */
export interface FeeRates {
  makerRate: string;
  takerRate: string;
}

export interface FeeSchedule {
  /** Rates of every symbol not listed in `symbols`. */
  default: FeeRates;
  symbols?: Record<string, FeeRates>;
}

/** Binance `selfTradePreventionMode`. */
export type StpMode = 'NONE' | 'EXPIRE_TAKER' | 'EXPIRE_MAKER' | 'EXPIRE_BOTH';

export type FundingConfig =
  /**
   * Settle at the funding times and rates found in the data (MarkPrice events), and at those of an
   * imported funding history per symbol (the store's side table, `maker data import`).
   */
  | { mode: 'data'; history?: Readonly<Record<string, readonly FundingRecord[]>> }
  /** Settle every `intervalUs` (default 8 h, aligned to 00:00 UTC plus `offsetUs`) at a fixed rate. */
  | { mode: 'rate'; rate: string; intervalUs?: number; offsetUs?: number }
  | { mode: 'off' };

/** One settlement of an imported funding history: its time (µs) and rate (exact decimal string). */
export interface FundingRecord {
  readonly tsUs: number;
  readonly rate: string;
}

export interface SimExchangeOptions {
  instruments: Instrument[];
  /** The run's generator (fork it for the exchange); handed to queue models that draw. */
  rng: Rng;
  queueModel: QueueModel | QueueModelConfig;
  fees: FeeSchedule;
  /** Whether the opposite best moving to or through a resting order's price fills it without a print (default false: optimistic). */
  crossingFills?: boolean;
  /**
   * Self-trade prevention of orders that do not carry their own (`OrderRequest.selfTradePrevention`):
   * what happens when one of our taker orders reaches one of our resting orders. Default
   * EXPIRE_MAKER (Binance's documented default for new orders).
   */
  selfTradePrevention?: StpMode;
  funding?: FundingConfig;
  /**
   * Where the exchange's book comes from. `depth`: diffs + snapshots only. `bookTicker`: top of book
   * only. `auto` (default): bookTicker until the first depth event of the symbol, then the fused
   * book (the depth book with the freshest bookTicker laid over its top; marketdata/market-book.ts).
   */
  bookSource?: BookSource;
  /**
   * Which prints drive the queues. `auto` (default): aggTrades until the first individual trade of
   * the symbol, then trades only (a recording with both streams must not count a print twice).
   */
  tradeSource?: 'auto' | 'trade' | 'aggTrade';
  /**
   * Whether a resting order may fill in part (default true). False: a print at its price (F3) fills
   * it only when what the print leaves after the queue ahead covers its whole remaining quantity —
   * all or nothing, as hftbacktest's NoPartialFillExchange; F4 and F5 fill completely anyway, and
   * the taker walk of F1 is unchanged (a taker order is not resting).
   */
  partialFills?: boolean;
  /** First exchange order id (ids increase by one per accepted order across symbols). Default 1. */
  firstOrderId?: number;
  /**
   * How many ended orders stay queryable by client id (`query` commands), the oldest forgotten
   * first; a query of a forgotten order is answered -2013 "does not exist". Default 10 000.
   */
  closedOrderRetention?: number;
  /**
   * The exchange-side account (margin.ts): wallet, leverage, brackets. Absent: the exchange keeps no
   * wallet, accepts every order margin-wise and never liquidates.
   */
  account?: SimAccountConfig;
  /**
   * Hedge mode at the start (Binance `dualSidePosition`; default false: one-way). Orders then carry
   * `positionSide` LONG or SHORT and each symbol keeps a LONG and a SHORT position (margin.ts).
   * The backtest runs one-way; the local exchange switches it with `setDualSidePosition`.
   */
  dualSidePosition?: boolean;
}

/** A resting order as the exchange sees it. */
export interface SimOrderView {
  symbol: string;
  clientOrderId: string;
  orderId: number;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  priceTicks: number;
  origQtyLots: number;
  filledLots: number;
  reduceOnly: boolean;
  status: ExchangeOrderStatus;
  /** Market quantity ahead of the order (queue model's estimate), lots. */
  queueAheadLots: number;
}

export interface SimExchangeCounters {
  marketEvents: number;
  /** Events of symbols the exchange has no instrument for. */
  ignoredEvents: number;
  commands: number;
  fills: number;
  rejects: number;
  fundingSettlements: number;
  /** Funding times skipped because neither a mark price nor a book mid was known. */
  fundingSkipped: number;
  /** Times one of our taker orders reached one of our resting orders and STP expired one or both. */
  selfTradesPrevented: number;
  /** Times the account reached maintenance margin and was liquidated (margin.ts). */
  liquidations: number;
  /** New orders rejected -2019 (initial margin not covered). */
  marginRejects: number;
}
