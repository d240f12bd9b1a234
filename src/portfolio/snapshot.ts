/**
 * An immutable view of the portfolio at one time: exact decimal strings for money (the record),
 * float getters for charts and statistics (never fed back into the ledger).
 */
import { toFloat } from '../model/money.ts';
import type { AccountSnapshot, PnlDecomposition, PositionSnapshot } from './types.ts';

export interface PnlFloats {
  spreadCapture: number;
  inventory: number;
  fees: number;
  funding: number;
  total: number;
}

export class PortfolioSnapshot {
  readonly tsUs: number;
  /** Sorted by asset. */
  readonly accounts: readonly AccountSnapshot[];
  /** Sorted by symbol. */
  readonly positions: readonly PositionSnapshot[];

  constructor(tsUs: number, accounts: AccountSnapshot[], positions: PositionSnapshot[]) {
    this.tsUs = tsUs;
    this.accounts = Object.freeze(accounts);
    this.positions = Object.freeze(positions);
  }

  account(asset: string): AccountSnapshot | undefined {
    const key = asset.toUpperCase();
    return this.accounts.find((a) => a.asset === key);
  }

  position(symbol: string): PositionSnapshot | undefined {
    const key = symbol.toUpperCase();
    return this.positions.find((p) => p.symbol.toUpperCase() === key);
  }

  /** Equity (wallet + unrealized) of an asset as a float; NaN for an unknown asset. */
  equityFloat(asset: string): number {
    return toFloat(this.account(asset)?.equity ?? null);
  }

  walletFloat(asset: string): number {
    return toFloat(this.account(asset)?.walletBalance ?? null);
  }

  unrealizedFloat(asset: string): number {
    return toFloat(this.account(asset)?.unrealizedPnl ?? null);
  }

  /** Margin ratio as a float; NaN when undefined (equity ≤ 0 or unknown asset). */
  marginRatioFloat(asset: string): number {
    return toFloat(this.account(asset)?.marginRatio ?? null);
  }

  /** Signed position as a float quantity of the base asset; 0 for a symbol never traded. */
  positionFloat(symbol: string): number {
    const p = this.position(symbol);
    return p === undefined ? 0 : toFloat(p.positionQty);
  }

  /** The PnL decomposition of an asset (or of one symbol with `symbol`) as floats. */
  pnlFloats(asset: string, symbol?: string): PnlFloats {
    const d: PnlDecomposition | undefined = symbol === undefined ? this.account(asset)?.pnl : this.position(symbol)?.pnl;
    if (d === undefined) return { spreadCapture: Number.NaN, inventory: Number.NaN, fees: Number.NaN, funding: Number.NaN, total: Number.NaN };
    return { spreadCapture: toFloat(d.spreadCapture), inventory: toFloat(d.inventory), fees: toFloat(d.fees), funding: toFloat(d.funding), total: toFloat(d.total) };
  }
}
