/**
 * Margin type and position mode, a layer of the `SimExchange` chain (exchange.ts): Binance's
 * hedge mode (`dualSidePosition`) and ISOLATED margin per symbol, the transfers in and out of an
 * isolated position's wallet, and the views of those positions. Options of the local exchange's
 * accounts (exchange-fake/); the backtest never calls these (one-way mode, cross margin).
 * Amounts are exact decimal strings; the arithmetic is margin.ts's.
 */
import { formatScaled, parseDecimal } from '../model/money.ts';
import type { PositionSide, TransferOutcome } from './margin.ts';
import { fundingPayment } from './money.ts';
import { OrderEntry } from './order-entry.ts';

/** Hedge mode and isolated margin, as the local exchange's account endpoints set and read them. */
export abstract class PositionModes extends OrderEntry {
  /** Whether the exchange is in hedge mode (Binance `dualSidePosition`). */
  get dualSidePosition(): boolean {
    return this.hedge;
  }

  /**
   * Binance `POST /fapi/v1/positionSide/dual`: hedge mode on or off. Refused while any order is
   * open (`openOrders`, Binance -4067) or any position is open (`position`, -4068); `same` when
   * already so (-4059).
   */
  setDualSidePosition(dual: boolean): 'ok' | 'same' | 'openOrders' | 'position' {
    if (dual === this.hedge) return 'same';
    if (this.ordered.some((x) => x.open.size > 0)) return 'openOrders';
    if (this.ordered.some((x) => x.positionLots !== 0 || x.longLots !== 0 || x.shortLots !== 0)) return 'position';
    this.hedge = dual;
    if (this.account !== null) {
      this.account.hedge = dual;
      this.marginDirty = true;
    }
    return 'ok';
  }

  /** Whether a symbol is in ISOLATED margin. */
  isIsolated(symbol: string): boolean {
    this.mustState(symbol);
    return this.isolatedSymbols.has(symbol);
  }

  /**
   * Binance `POST /fapi/v1/marginType`: ISOLATED or CROSSED margin of a symbol. Refused while the
   * symbol has an open order (`openOrders`, Binance -4047) or a position (`position`, -4048);
   * `same` when already so (-4046).
   */
  setMarginType(symbol: string, isolated: boolean): 'ok' | 'same' | 'openOrders' | 'position' {
    const s = this.mustState(symbol);
    if (this.isolatedSymbols.has(symbol) === isolated) return 'same';
    if (s.open.size > 0) return 'openOrders';
    if (s.positionLots !== 0 || s.longLots !== 0 || s.shortLots !== 0) return 'position';
    if (isolated) this.isolatedSymbols.add(symbol);
    else this.isolatedSymbols.delete(symbol);
    if (this.account !== null) {
      this.account.setIsolated(symbol, isolated);
      this.marginDirty = true;
    }
    return 'ok';
  }

  /** The positions of a symbol by side: BOTH (one-way) or LONG and SHORT (hedge), signed lots. */
  positionSides(symbol: string): [PositionSide, number][] {
    const s = this.mustState(symbol);
    return this.hedge ? [['LONG', s.longLots], ['SHORT', s.shortLots === 0 ? 0 : -s.shortLots]] : [['BOTH', s.positionLots]];
  }

  /**
   * Binance `POST /fapi/v1/positionMargin`: `amount` (exact decimal, > 0) added to (`add`) or
   * removed from an isolated position's wallet (margin.ts `transferIsolated`). `noAccount` without
   * an exchange-side account.
   */
  transferIsolatedMargin(symbol: string, side: PositionSide, amount: string, add: boolean, tsUs: number): TransferOutcome | 'noAccount' {
    const s = this.mustState(symbol);
    if (this.account === null) return 'noAccount';
    this.advance(tsUs);
    const d = parseDecimal(amount, 'amount');
    const m = d.scale <= 24 ? d.units * 10n ** BigInt(24 - d.scale) : d.units / 10n ** BigInt(d.scale - 24);
    const out = this.account.transferIsolated(this.ordered, s, side, add ? m : -m);
    if (out === 'ok') this.marginDirty = true;
    return out;
  }

  /**
   * An isolated position's wallet, margin (wallet + unrealized PnL at the reference price) and
   * liquidation price, exact decimal strings; null when the symbol is cross or there is no account.
   */
  isolatedPosition(symbol: string, side: PositionSide): { wallet: string; margin: string; liquidationPrice: string | null } | null {
    const s = this.mustState(symbol);
    if (this.account === null) return null;
    const lots = this.positionSides(symbol).find(([ps]) => ps === side)?.[1] ?? 0;
    const v = this.account.isolatedView(s, side, lots);
    if (v === null) return null;
    return { wallet: formatScaled(v.iwM, 24), margin: formatScaled(v.marginM, 24), liquidationPrice: v.liquidationPrice8 === null ? null : formatScaled(v.liquidationPrice8, 8) };
  }

  /** Σ isolated wallets of the account (its wallet less them is the cross wallet), exact decimal string; "0" without an account. */
  isolatedWallets(): string {
    return this.account === null ? '0' : formatScaled(this.account.isolatedWalletsM(), 24);
  }

  /** A funding settlement of an isolated symbol split by position side (each side's payment goes into its isolated wallet). */
  protected override fundingPerSide(f: { symbol: string; markPrice: string; rate: string; payment: string }): [PositionSide, string][] {
    if (!this.hedge) return [['BOTH', f.payment]];
    const s = this.mustState(f.symbol);
    const mark = parseDecimal(f.markPrice, `${f.symbol}.markPrice`);
    const rate = parseDecimal(f.rate, `${f.symbol}.fundingRate`);
    return [['LONG', fundingPayment(s.inst, s.longLots, mark, rate)], ['SHORT', fundingPayment(s.inst, -s.shortLots, mark, rate)]];
  }
}
