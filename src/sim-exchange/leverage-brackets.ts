/**
 * Binance's leverage brackets as the simulated exchange's account (margin.ts) reads them: the tier
 * type of `GET /fapi/v1/leverageBracket`, the published tables of the symbols we ship, and the
 * table of a symbol without one. Data only; `account.brackets.<SYMBOL>` overrides a symbol's table
 * (docs/SIM_EXCHANGE.md §4, "Leverage brackets").
 */

/** One tier of Binance's leverage brackets (`GET /fapi/v1/leverageBracket`). */
export interface LeverageBracket {
  /** Upper bound of the position notional of this tier, quote asset; "" = unbounded. */
  notionalCap: string;
  /** Highest leverage allowed in this tier. */
  initialLeverage: number;
  /** Maintenance margin rate, decimal fraction. */
  maintMarginRatio: string;
  /** Maintenance amount subtracted from notional × rate. */
  cum: string;
}

const tiers = (rows: [string, number, string, string][]): LeverageBracket[] => rows.map(([notionalCap, initialLeverage, maintMarginRatio, cum]) => ({ notionalCap, initialLeverage, maintMarginRatio, cum }));

/**
 * Binance's published USDⓈ-M brackets of the symbols we ship (2024; `cum` of each tier is the
 * previous cum + floor × (rate − previous rate)). Check `GET /fapi/v1/leverageBracket` and
 * override with `account.brackets.<SYMBOL>` when they change.
 */
export const DEFAULT_LEVERAGE_BRACKETS: Readonly<Record<string, readonly LeverageBracket[]>> = {
  BTCUSDT: tiers([
    ['50000', 125, '0.004', '0'],
    ['600000', 100, '0.005', '50'],
    ['3000000', 75, '0.0065', '950'],
    ['12000000', 50, '0.01', '11450'],
    ['70000000', 25, '0.02', '131450'],
    ['100000000', 20, '0.025', '481450'],
    ['230000000', 10, '0.05', '2981450'],
    ['480000000', 5, '0.1', '14481450'],
    ['600000000', 4, '0.125', '26481450'],
    ['800000000', 3, '0.15', '41481450'],
    ['1200000000', 2, '0.25', '121481450'],
    ['', 1, '0.5', '421481450'],
  ]),
  ETHUSDT: tiers([
    ['50000', 100, '0.005', '0'],
    ['600000', 75, '0.0065', '75'],
    ['3000000', 50, '0.01', '2175'],
    ['12000000', 25, '0.02', '32175'],
    ['50000000', 20, '0.025', '92175'],
    ['65000000', 10, '0.05', '1342175'],
    ['150000000', 5, '0.1', '4592175'],
    ['320000000', 4, '0.125', '8342175'],
    ['400000000', 3, '0.15', '16342175'],
    ['530000000', 2, '0.25', '56342175'],
    ['', 1, '0.5', '188842175'],
  ]),
};

/** Brackets of a symbol without a table: one unbounded tier at 1 % maintenance (conservative for a small alt). */
export const FALLBACK_LEVERAGE_BRACKETS: readonly LeverageBracket[] = tiers([['', 50, '0.01', '0']]);
