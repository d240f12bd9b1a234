/**
 * Inputs, configuration, snapshots and bus events of the portfolio. Money is an exact decimal
 * string in the symbol's margin asset (USDT or USDC); quantities are integer lots, prices integer
 * ticks (fill mids may be half-ticks) or exact decimal strings (mark prices, rates).
 */
import type { Side } from '../model/events.ts';
import type { FundingSettlement, Liquidity } from '../model/venue.ts';

/** One fill of one of our orders. */
export interface FillInput {
  symbol: string;
  side: Side;
  /** Filled quantity, integer lots > 0. */
  qtyLots: number;
  /** Fill price, integer ticks > 0. */
  priceTicks: number;
  /** Commission in the margin asset, exact decimal string; negative = rebate. */
  fee: string;
  liquidity: Liquidity;
  /** Fill time, µs. */
  tsUs: number;
  /**
   * Mid price at the fill in ticks (an integer or a half-tick, e.g. `(bid + ask) / 2`), the `m_i` of
   * the PnL decomposition. Absent: the fill price is used (spread capture 0 for this fill).
   */
  midTicks?: number;
}

/** A funding settlement of one symbol. */
export interface FundingInput {
  symbol: string;
  tsUs: number;
  /** Mark price at the funding time, exact decimal string. It is also booked as a mark. */
  markPrice: string;
  /** Funding rate per interval, exact decimal fraction ("0.0001" = 0.01 %). */
  rate: string;
  /**
   * The amount the exchange actually booked (ACCOUNT_UPDATE `FUNDING_FEE`), if known: it replaces
   * the computed `−position × mark × rate` (Binance rounds it to 8 decimals).
   */
  amount?: string;
}

/** A new mark (valuation) price of one symbol: an exact decimal string, or ticks (half-ticks allowed). */
export type MarkInput =
  | { symbol: string; tsUs?: number; markPrice: string }
  | { symbol: string; tsUs?: number; priceTicks: number };

/** A deposit (positive) or withdrawal (negative) of the margin asset. */
export interface TransferInput {
  asset: string;
  amount: string;
  tsUs: number;
}

/** One tier of Binance's leverage brackets (`GET /fapi/v1/leverageBracket`). */
export interface MaintenanceBracket {
  /** Upper bound of the position notional for this tier (exclusive of the next); "" = unbounded. */
  notionalCap: string;
  /** Maintenance margin rate, decimal fraction ("0.004" = 0.4 %). */
  maintMarginRatio: string;
  /** Maintenance amount `cum` subtracted from notional × rate in this tier. */
  cum: string;
}

export type MarginMode = 'cross' | 'isolated';

/** Per-symbol risk parameters. */
export interface SymbolMarginConfig {
  /** Leverage used for initial margin, integer 1..125. */
  leverage: number;
  marginMode: MarginMode;
  /** Tiers in increasing `notionalCap`; the last may be unbounded. */
  brackets: MaintenanceBracket[];
}

export interface PortfolioOptions {
  /** Ledger resolution: money is counted in 10^-moneyDecimals of the margin asset. Default 24. */
  moneyDecimals?: number;
  /** Defaults for every symbol, overridable per symbol with `configureSymbol`. */
  defaults?: Partial<SymbolMarginConfig>;
}

/** The four parts of the trading PnL (market-making.md §3.3) and their exact sum. */
export interface PnlDecomposition {
  /** Σ s_i·x_i·(m_i − p_i). */
  spreadCapture: string;
  /** Σ q_{t−1}·(m_t − m_{t−1}) over marks and fill mids, up to the current mark. */
  inventory: string;
  /** Σ fee_i (rebates negative). */
  fees: string;
  /** Σ funding payments (received positive). */
  funding: string;
  /** spread + inventory − fees + funding. */
  total: string;
}

export interface PositionSnapshot {
  symbol: string;
  marginAsset: string;
  /** Signed position, lots (long > 0). */
  positionLots: number;
  /** Signed position as an exact quantity string. */
  positionQty: string;
  /** Average entry price (cost basis / |position|) rounded half-even to moneyDecimals; null when flat. */
  avgEntryPrice: string | null;
  /** Last mark price (or last fill mid if no mark was ever given); null before any. */
  markPrice: string | null;
  /** |position| × mark. */
  notional: string;
  unrealizedPnl: string;
  realizedPnl: string;
  fees: string;
  makerFees: string;
  takerFees: string;
  funding: string;
  leverage: number;
  marginMode: MarginMode;
  initialMargin: string;
  maintenanceMargin: string;
  /** Estimated liquidation price (8 decimals); null when flat or the position cannot be liquidated. */
  liquidationPrice: string | null;
  pnl: PnlDecomposition;
  fillCount: number;
  boughtLots: number;
  soldLots: number;
}

export interface AccountSnapshot {
  asset: string;
  /** Net deposits minus withdrawals. */
  deposits: string;
  /** deposits + realized − fees + funding. */
  walletBalance: string;
  unrealizedPnl: string;
  /** Margin balance: wallet + unrealized. */
  equity: string;
  initialMargin: string;
  maintenanceMargin: string;
  /** equity − initial margin. */
  availableBalance: string;
  /** maintenance margin / equity (8 decimals); null when equity ≤ 0. Liquidation at ≥ 1. */
  marginRatio: string | null;
  realizedPnl: string;
  fees: string;
  funding: string;
  pnl: PnlDecomposition;
}

/** Past-tense ledger events, published on the bus when someone listens. */
export interface FillBooked {
  symbol: string;
  tsUs: number;
  side: Side;
  qtyLots: number;
  priceTicks: number;
  liquidity: 'maker' | 'taker';
  fee: string;
  realizedPnl: string;
  positionLots: number;
}

export interface TransferBooked {
  asset: string;
  tsUs: number;
  amount: string;
  walletBalance: string;
}

export type PortfolioEventMap = {
  'portfolio.fillBooked': FillBooked;
  'portfolio.fundingBooked': FundingSettlement;
  'portfolio.transferBooked': TransferBooked;
};
