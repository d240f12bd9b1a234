/**
 * Margin formulas of Binance USDⓈ-M in one-way mode, on exact bigints (money at 10^-S units).
 *
 * - initial margin = notional / leverage (notional = |position| × mark)
 * - maintenance margin = notional × mmr − cum, with (mmr, cum) from the leverage bracket whose
 *   `notionalCap` covers the notional (default: one tier, mmr 0.4 %, cum 0 — BTCUSDT's first tier)
 * - liquidation price, solving margin balance = maintenance margin for the mark P:
 *     W + q·(P − E) = |q|·P·mmr − cum   ⇒   P = (q·E − W − cum) / (q − |q|·mmr)
 *   q signed quantity, q·E the signed cost basis. Cross: W = wallet − Σ MM_others + Σ uPnL_others
 *   (Binance's WB − TMM1 + UPNL1). Isolated: W = the isolated margin |q·E| / leverage.
 *   The bracket is the one of the current notional (Binance documents the same formula per tier).
 */
import { ConfigError } from '../core/errors.ts';
import { divRoundHalfEven, parseDecimal, parseScaled, pow10n, type ScaledDecimal } from '../model/money.ts';
import type { MaintenanceBracket, SymbolMarginConfig } from './types.ts';

/** Binance BTCUSDT first tier: 0.4 % maintenance, no maintenance amount. */
export const DEFAULT_MAINTENANCE_BRACKETS: MaintenanceBracket[] = [{ notionalCap: '', maintMarginRatio: '0.004', cum: '0' }];
export const DEFAULT_LEVERAGE = 20;

export interface ParsedBracket {
  /** null = unbounded. */
  capUnits: bigint | null;
  rate: ScaledDecimal;
  cumUnits: bigint;
}

/** Liquidation price and ratio decimals (Binance reports 8). */
export const RATIO_DECIMALS = 8;

export function parseBrackets(brackets: MaintenanceBracket[], moneyDecimals: number, where: string): ParsedBracket[] {
  if (brackets.length === 0) throw new ConfigError(`${where}: at least one maintenance bracket is needed`, { field: `${where}.brackets` });
  let prevCap = -1n;
  return brackets.map((b, i) => {
    const field = `${where}.brackets[${i}]`;
    const capUnits = b.notionalCap === '' ? null : parseScaled(b.notionalCap, moneyDecimals, `${field}.notionalCap`);
    if (capUnits !== null && capUnits <= prevCap) throw new ConfigError(`${field}: notionalCap must increase`, { field: `${field}.notionalCap` });
    if (capUnits === null && i !== brackets.length - 1) throw new ConfigError(`${field}: only the last bracket may be unbounded`, { field: `${field}.notionalCap` });
    prevCap = capUnits ?? prevCap;
    const rate = parseDecimal(b.maintMarginRatio, `${field}.maintMarginRatio`);
    if (rate.units < 0n || rate.units >= pow10n(rate.scale)) throw new ConfigError(`${field}: maintMarginRatio must be in [0, 1)`, { field: `${field}.maintMarginRatio` });
    return { capUnits, rate, cumUnits: parseScaled(b.cum, moneyDecimals, `${field}.cum`) };
  });
}

export function validateMarginConfig(c: SymbolMarginConfig, where: string): void {
  if (!Number.isInteger(c.leverage) || c.leverage < 1 || c.leverage > 125) throw new ConfigError(`${where}: leverage must be an integer in 1..125, got ${c.leverage}`, { field: `${where}.leverage` });
  if (c.marginMode !== 'cross' && c.marginMode !== 'isolated') throw new ConfigError(`${where}: marginMode must be cross or isolated`, { field: `${where}.marginMode` });
}

/** The tier whose cap is ≥ notional (the last tier beyond every cap). */
export function bracketFor(notional: bigint, brackets: ParsedBracket[]): ParsedBracket {
  for (const b of brackets) if (b.capUnits === null || notional <= b.capUnits) return b;
  return brackets[brackets.length - 1];
}

export function initialMargin(notional: bigint, leverage: number): bigint {
  return divRoundHalfEven(notional, BigInt(leverage));
}

/** notional × mmr − cum, never below 0. */
export function maintenanceMargin(notional: bigint, b: ParsedBracket): bigint {
  const mm = divRoundHalfEven(notional * b.rate.units, pow10n(b.rate.scale)) - b.cumUnits;
  return mm > 0n ? mm : 0n;
}

/**
 * P = (cost − W − cum) / (q − |q|·mmr) as price units at `RATIO_DECIMALS` decimals, or null when the
 * position is flat or the solution is ≤ 0 (the position cannot be liquidated).
 * `qtyUnits` is at `qtyDecimals`, money (cost, W, cum) at `moneyDecimals`.
 */
export function liquidationPrice8(qtyUnits: bigint, qtyDecimals: number, cost: bigint, walletForPosition: bigint, b: ParsedBracket, moneyDecimals: number): bigint | null {
  if (qtyUnits === 0n) return null;
  const absQ = qtyUnits < 0n ? -qtyUnits : qtyUnits;
  const rateScale = pow10n(b.rate.scale);
  const numerator = cost - walletForPosition - b.cumUnits; // money, 10^-S
  const denominator = qtyUnits * rateScale - absQ * b.rate.units; // qty × 10^-R, 10^-(qd+R)
  if (denominator === 0n) return null;
  // P = numerator/10^S ÷ (denominator/10^(qd+R)); scaled by 10^8.
  const p = divRoundHalfEven(numerator * pow10n(qtyDecimals + RATIO_DECIMALS) * rateScale, denominator * pow10n(moneyDecimals));
  return p > 0n ? p : null;
}

/** maintenance / equity at 8 decimals; null when equity ≤ 0. */
export function marginRatio8(maintenance: bigint, equity: bigint): bigint | null {
  if (equity <= 0n) return null;
  return divRoundHalfEven(maintenance * pow10n(RATIO_DECIMALS), equity);
}
