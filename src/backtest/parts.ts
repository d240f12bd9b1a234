/**
 * The real parts of a run: `SimExchange` (the venue), `TradingCore` (the trader) and the
 * `RunRecorder` fed through the engine's observer hooks (`backtest()` in backtest.ts runs them).
 *
 * What the recorder gets and when:
 * - orders sent (submit / cancel / modify) at their send time on the strategy side;
 * - fills, rejects, cancels and expiries at the exchange time they happened (read from the
 *   exchange's reports as they are produced, with the exchange's replayed mid at that moment);
 * - risk-state changes from the core's bus; funding settlements when they reach the strategy side;
 * - samples on the fixed grid `startUs + k·sampleIntervalUs`: the core's portfolio, the exchange's
 *   replayed best bid/ask/mid (the market, not the core's view) and our best live quotes.
 *
 * The `DataQualityTracker` hears the core's bus: book validity changes and market-stream drops for
 * the whole run, decisions (intent + risk verdict) only until every symbol has quoted once.
 */
import type { ExecutionReport } from '../model/venue.ts';
import { bookSourceOf, type Scenario } from '../scenario/index.ts';
import { TradingCore, type PositionLiquidated } from '../trader/index.ts';
import type { EngineObserver } from './engine.ts';
import { DataQualityTracker, RunRecorder } from './report/index.ts';
import type { BookMode, PartsContext, RunParts } from './run.ts';
import { SimExchange, type FeeRates, type FeeSchedule, type FundingConfig, type LeverageBracket, type SimAccountConfig } from '../sim-exchange/index.ts';

/** The sample of an asset with no account yet: every figure unknown. */
const NO_ACCOUNT = { equity: NaN, wallet: NaN, unrealized: NaN, spreadCapture: NaN, inventory: NaN, fees: NaN, funding: NaN, total: NaN };

export interface RealParts extends RunParts {
  core: TradingCore;
  sim: SimExchange;
  recorder: RunRecorder;
  quality: DataQualityTracker;
  /** Liquidations the trader booked (from the core's `position.liquidated`), in order. */
  liquidations: PositionLiquidated[];
}

/**
 * The scenario's `execution` section in the simulated exchange's terms. The words are the same
 * (queue models, fee rates, funding modes); only units and defaults are translated here:
 *   funding.intervalH (hours)    → FundingConfig.intervalUs (µs)
 *   funding.mode data            → FundingConfig.history: the store's imported funding histories
 *   fees.<symbol> (any case)     → FeeSchedule.symbols[SYMBOL]; fees.default → FeeSchedule.default
 *   data.book: top-of-book       → bookSource 'bookTicker' (auto → auto, depth → depth); the same
 *                                  for the trading core unless decision.bookSource is set (load.ts)
 */
function fundingConfig(s: Scenario, history: Record<string, { tsUs: number; rate: string }[]> | undefined): FundingConfig {
  const f = s.execution.funding;
  if (f.mode === 'rate') return { mode: 'rate', rate: f.ratePerInterval, intervalUs: f.intervalH * 3_600_000_000 };
  if (f.mode === 'data' && history !== undefined) return { mode: 'data', history };
  return { mode: f.mode };
}

export function feeSchedule(s: Scenario): FeeSchedule {
  const fees = s.execution.fees;
  const symbols: Record<string, FeeRates> = {};
  for (const k of Object.keys(fees).sort()) if (k !== 'default') symbols[k.toUpperCase()] = fees[k];
  return { default: fees.default ?? { makerRate: '0.0002', takerRate: '0.0005' }, symbols };
}

/**
 * The exchange-side account: the wallet is the scenario's balance of the margin asset (any case),
 * `account.brackets.<symbol>` (any case) replace the built-in brackets. Undefined when
 * `account.margin` is false.
 */
export function exchangeAccount(s: Scenario, marginAsset: string): SimAccountConfig | undefined {
  const a = s.account;
  if (!a.margin) return undefined;
  const asset = marginAsset.toUpperCase();
  const key = Object.keys(a.balances).find((k) => k.toUpperCase() === asset);
  const brackets: Record<string, LeverageBracket[]> = {};
  for (const k of Object.keys(a.brackets).sort()) {
    brackets[k.toUpperCase()] = a.brackets[k].map((t) => ({ notionalCap: t.notionalCap ?? '', initialLeverage: t.initialLeverage, maintMarginRatio: t.maintMarginRatio, cum: t.cum }));
  }
  return { balance: key === undefined ? '0' : a.balances[key], leverage: a.leverage, brackets, liquidationFeeRate: a.liquidationFeeRate };
}

/** `fused`: the book is the fused book (data.book auto, depth data, the bookTicker stream replayed). */
export function dataKind(mode: BookMode, fused = false): string {
  if (mode !== 'depth') return 'top of book only (bookTicker + trades)';
  return fused ? 'full depth (diffs + snapshots) fused with the real-time bookTicker top' : 'full depth (diffs + snapshots)';
}

/** Builds the real exchange, trading core and recorder of a scenario. */
export function realParts(ctx: PartsContext): RealParts {
  const { scenario: s, data, clock, rng } = ctx;
  const instruments = data.instruments;
  const sim = new SimExchange({
    instruments,
    rng: rng.fork('exchange'),
    queueModel: s.execution.queue,
    fees: feeSchedule(s),
    crossingFills: s.execution.crossingFills,
    selfTradePrevention: s.execution.selfTradePrevention,
    partialFills: s.execution.partialFills,
    funding: fundingConfig(s, data.fundingHistory),
    bookSource: bookSourceOf(s.data.book),
    account: exchangeAccount(s, instruments[0].spec.marginAsset),
  });
  const balances = Object.keys(s.account.balances)
    .sort()
    .map((asset) => ({ asset: asset.toUpperCase(), amount: s.account.balances[asset] }));
  const core = new TradingCore({ clock, instruments, config: s.trader, initialBalance: balances, portfolio: { defaults: { leverage: s.account.leverage } } });
  const limits: Record<string, number> = {};
  for (const i of instruments) limits[i.symbol] = Math.min(s.trader.risk.maxPositionLots, s.trader.strategy.maxPositionLots);
  const recorder = new RunRecorder({ instruments, startUs: data.startUs, sampleIntervalUs: s.report.sampleIntervalUs, positionLimitLots: limits, encodeThread: ctx.encodeThread });
  const liquidations: PositionLiquidated[] = [];
  core.bus.on('position.liquidated', (e) => liquidations.push(e));
  core.bus.on('risk.stateChanged', (e) => recorder.onRiskEvent({ tsUs: e.tsUs, symbol: e.symbol, from: e.from, to: e.to, reason: e.code ?? e.trigger }));
  const quality = new DataQualityTracker(instruments.map((i) => i.symbol), data.startUs);
  core.bus.on('trader.bookValidityChanged', (e) => quality.onBookValidity(e));
  core.bus.on('venue.streamChanged', (e) => quality.onStreamChanged(e));
  const offIntent = core.bus.on('trader.intentDecided', (e) => quality.onIntent(e));
  const offRisk = core.bus.on('trader.riskDecided', (e) => {
    if (!quality.onRiskDecided(e)) return;
    offIntent();
    offRisk();
  });

  const asset = instruments[0].spec.marginAsset.toUpperCase();
  const observer: EngineObserver = {
    onCommandSent: (t, cmd) => {
      if (cmd.kind === 'submit') {
        const o = cmd.order;
        recorder.onOrder({ tsUs: t, symbol: o.symbol, kind: 'submit', clientOrderId: o.clientOrderId, side: o.side, orderType: o.type, timeInForce: o.timeInForce, priceTicks: o.priceTicks, qtyLots: o.qtyLots, reduceOnly: o.reduceOnly });
      } else if (cmd.kind === 'cancel') recorder.onOrder({ tsUs: t, symbol: cmd.symbol, kind: 'cancel', clientOrderId: cmd.clientOrderId });
      else if (cmd.kind === 'modify') recorder.onOrder({ tsUs: t, symbol: cmd.symbol, kind: 'modify', clientOrderId: cmd.clientOrderId, side: cmd.side, priceTicks: cmd.priceTicks, qtyLots: cmd.qtyLots });
    },
    // Fills, rejects, cancels and expiries at the exchange time they happened, with the venue's mid then.
    onVenueEventEmitted: (_t, e) => {
      if (e.kind === 'report') recordReport(recorder, sim, e.report);
    },
    onVenueEventDelivered: (_t, e) => {
      if (e.kind !== 'funding') return;
      recorder.onFunding(e.settlement);
    },
    nextSampleUs: (after) => recorder.nextSampleUs(after),
    onSample: (t) => {
      // Every second of the run: the one account's figures as floats, the best of our resting quotes
      // without a view per order (a full portfolio snapshot and openOrders() cost ~3 % of a day's run).
      const floats = core.portfolio.accountFloats(asset) ?? NO_ACCOUNT;
      recorder.sample(
        t,
        floats,
        instruments.map((i) => {
          const book = sim.book(i.symbol);
          const bid = book.bestBidTicks();
          const ask = book.bestAskTicks();
          const bidQuote = sim.bestOpenPriceTicks(i.symbol, 'buy');
          const askQuote = sim.bestOpenPriceTicks(i.symbol, 'sell');
          return { symbol: i.symbol, positionLots: core.portfolio.positionLots(i.symbol), bestBidTicks: bid, bestAskTicks: ask, midTicks: bid > 0 && ask > 0 ? (bid + ask) / 2 : NaN, bidQuoteTicks: bidQuote, askQuoteTicks: askQuote };
        }),
      );
    },
  };
  return { core, sim, recorder, quality, liquidations, trader: core, venue: sim, observer };
}

function recordReport(recorder: RunRecorder, sim: SimExchange, r: ExecutionReport): void {
  const t = r.tsExchangeUs;
  switch (r.execType) {
    case 'TRADE':
    case 'CALCULATED': {
      const book = sim.book(r.symbol);
      const bid = book.bestBidTicks();
      const ask = book.bestAskTicks();
      recorder.onFill({ tsUs: t, symbol: r.symbol, side: r.side, priceTicks: r.lastFillPriceTicks, qtyLots: r.lastFillLots, liquidity: r.liquidity ?? 'taker', commission: r.commission, midTicks: bid > 0 && ask > 0 ? (bid + ask) / 2 : NaN, orderId: r.orderId, clientOrderId: r.clientOrderId });
      return;
    }
    case 'REJECTED':
    case 'CANCEL_REJECTED':
    case 'MODIFY_REJECTED':
      recorder.onOrder({ tsUs: t, symbol: r.symbol, kind: 'reject', clientOrderId: r.clientOrderId, orderId: r.orderId, side: r.side, priceTicks: r.priceTicks, qtyLots: r.origQtyLots, reason: String(r.errorCode) });
      return;
    case 'CANCELED':
      recorder.onOrder({ tsUs: t, symbol: r.symbol, kind: 'canceled', clientOrderId: r.clientOrderId, orderId: r.orderId });
      return;
    case 'EXPIRED':
      recorder.onOrder({ tsUs: t, symbol: r.symbol, kind: 'expired', clientOrderId: r.clientOrderId, orderId: r.orderId });
      return;
    default:
  }
}
