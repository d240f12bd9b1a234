/**
 * portfolio: positions (one-way), exact PnL, fees, funding, margin and liquidation estimates per
 * symbol and per margin asset.
 *
 * Units: money is exact — bigint counts of 10^-24 of the margin asset inside, decimal strings
 * outside; positions integer lots; fill prices integer ticks; marks and rates decimal strings.
 * Ordering: booked in the order applied; snapshots sorted by asset and symbol.
 * Semantics and formulas: docs/PORTFOLIO.md.
 */
export { Portfolio, DEFAULT_MONEY_DECIMALS, type InstrumentLookup } from './portfolio.ts';
export { PortfolioSnapshot, type PnlFloats } from './snapshot.ts';
export { PositionLedger } from './position.ts';
export { DEFAULT_LEVERAGE, DEFAULT_MAINTENANCE_BRACKETS, RATIO_DECIMALS, bracketFor, initialMargin, liquidationPrice8, maintenanceMargin, parseBrackets, type ParsedBracket } from './margin.ts';
export type * from './types.ts';
