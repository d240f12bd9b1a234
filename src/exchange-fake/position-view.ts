/**
 * An account's positions as Binance shows them (`positionRisk`, `account` positions,
 * `ACCOUNT_UPDATE` `P`): one row per symbol and position side (BOTH in one-way mode, LONG and
 * SHORT in hedge mode), from the ledger (amount, entry, PnL, margins at the replayed mid) and, for
 * an ISOLATED symbol, the simulated exchange's isolated wallet and liquidation price
 * (sim-exchange/margin.ts). `isolatedMargin` is the isolated wallet plus the row's unrealized PnL,
 * as Binance defines it. The cross wallet of an asset is its wallet less the isolated wallets.
 */
import type { Instrument } from '../model/instrument.ts';
import { addScaled, formatScaled, parseDecimal } from '../model/money.ts';
import type { PositionSnapshot } from '../portfolio/index.ts';
import { ledgerKey, type AccountState, type LocalExchange, type PositionSide } from './local-exchange.ts';

export interface PositionRow {
  readonly inst: Instrument;
  readonly side: PositionSide;
  /** The ledger's position under the row's key. */
  readonly p: PositionSnapshot;
  readonly isolated: boolean;
  /** Isolated wallet, exact decimal ("0" when cross). */
  readonly isolatedWallet: string;
  /** Isolated wallet + unrealized PnL, exact decimal ("0" when cross). */
  readonly isolatedMargin: string;
  /** Liquidation price, exact decimal; null when none. Isolated: the exchange's own margin; cross: the ledger's. */
  readonly liquidationPrice: string | null;
}

/** The rows of one symbol (the ledger must have been marked first: `ex.markToMid`). */
export function positionRows(ex: LocalExchange, a: AccountState, inst: Instrument): PositionRow[] {
  return ex.sides(a).map((side) => positionRow(ex, a, inst, side));
}

/** One row: a symbol's position on one side. */
export function positionRow(ex: LocalExchange, a: AccountState, inst: Instrument, side: PositionSide): PositionRow {
  const p = a.portfolio.positionSnapshot(ledgerKey(inst.symbol, side));
  const iso = ex.isolatedPosition(a, inst.symbol, side);
  if (iso === null) {
    const isolated = ex.marginType(a, inst.symbol) === 'ISOLATED';
    return { inst, side, p, isolated, isolatedWallet: '0', isolatedMargin: '0', liquidationPrice: isolated ? null : p.liquidationPrice };
  }
  const margin = addScaled(parseDecimal(iso.wallet), parseDecimal(p.unrealizedPnl));
  return { inst, side, p, isolated: true, isolatedWallet: iso.wallet, isolatedMargin: formatScaled(margin.units, margin.scale), liquidationPrice: p.positionLots === 0 ? null : iso.liquidationPrice };
}

/** Binance's cross wallet balance of an asset: the wallet less every isolated wallet, exact decimal. */
export function crossWalletBalance(ex: LocalExchange, a: AccountState, asset: string): string {
  const w = addScaled(parseDecimal(a.portfolio.accountSnapshot(asset).walletBalance), negate(parseDecimal(ex.isolatedWallets(a, asset))));
  return formatScaled(w.units, w.scale);
}

function negate(d: { units: bigint; scale: number }): { units: bigint; scale: number } {
  return { units: -d.units, scale: d.scale };
}
