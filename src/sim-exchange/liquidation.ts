/**
 * Liquidation, a layer of the `SimExchange` chain (exchange.ts; the account itself is margin.ts):
 * after each event or command `checkMargin` decides whether the exact maintenance-margin check is
 * due, and a liquidation cancels the open orders concerned and closes the positions at their
 * reference price (mark, else book mid) with CALCULATED `autoclose-` fills and the insurance
 * clearance fee. One cross wallet (`liquidate`); with isolated symbols or hedge mode each isolated
 * position alone, then the cross positions together (`checkMarginSided`, `liquidateSided`).
 */
import { formatScaled, parseDecimal } from '../model/money.ts';
import { ExchangeState } from './exchange-state.ts';
import type { PositionSide } from './margin.ts';
import { bandEdgeTicks, commission } from './money.ts';
import { SimOrder } from './order.ts';
import type { SymbolState } from './symbol-state.ts';

/** The margin check after each event or command, and the liquidations it starts. */
export abstract class Liquidation extends ExchangeState {
  /**
   * After an event or command: the exact liquidation check when something it depends on changed
   * (a fill, a funding settlement, a mark price) or when `s`'s reference price reached its trigger;
   * the triggers are refreshed then, and at least every second of exchange time.
   */
  protected checkMargin(s: SymbolState | undefined, tsUs: number): void {
    const a = this.account!;
    if (!a.plain) return this.checkMarginSided(s, tsUs);
    if (!this.marginDirty) {
      if (s === undefined || s.positionLots === 0) return;
      const refTicks = s.mark !== null ? s.markTicks : (s.book.bestBidTicks() + s.book.bestAskTicks()) / 2;
      if (!a.triggered(s, refTicks) && tsUs - a.lastRefreshUs < 1_000_000) return;
    }
    this.marginDirty = false;
    if (a.liquidatable(this.ordered)) this.liquidate(tsUs);
    a.refresh(this.ordered, tsUs);
  }

  /**
   * Liquidation (cross margin): every open order is cancelled, then every position is closed at its
   * reference price (ticks rounded against us) by an `autoclose-` order reported as Binance does
   * (CALCULATED, FILLED, taker commission), with the insurance clearance fee.
   */
  protected liquidate(tsUs: number): void {
    const a = this.account!;
    this.counters.liquidations++;
    for (const s of this.ordered) {
      for (const o of s.resting) if (o.isOpen) this.close(s, o, 'CANCELED', tsUs);
      if (s.needsCompact) this.compact(s);
    }
    const closes: { s: SymbolState; o: SimOrder; fee: string }[] = [];
    for (const s of this.ordered) {
      const ref = s.mark ?? s.midExact();
      if (s.positionLots === 0 || ref === null) continue;
      const isBuy = s.positionLots < 0;
      const lots = Math.abs(s.positionLots);
      const priceTicks = bandEdgeTicks(s.inst, ref, isBuy);
      const orderId = this.nextOrderId++;
      const o = new SimOrder({ symbol: s.inst.symbol, clientOrderId: `autoclose-${orderId}`, side: isBuy ? 'buy' : 'sell', type: 'LIMIT', timeInForce: 'IOC', priceTicks, qtyLots: lots, reduceOnly: true }, orderId, tsUs, 'NONE');
      o.filledLots = lots;
      o.status = 'FILLED';
      s.positionLots = 0;
      const fee = commission(s.inst, priceTicks, lots, s.takerRate);
      a.onFill(s.inst.symbol, isBuy ? lots : -lots, priceTicks, fee);
      closes.push({ s, o, fee });
    }
    for (const { s, o, fee } of closes) {
      const clearance = a.clearanceFee(s.inst, o.origQtyLots, o.priceTicks, a.equityM(this.ordered));
      a.debit(clearance);
      const trade = o.tradeReport(o.origQtyLots, o.priceTicks, this.nextTradeId++, 'taker', fee, tsUs);
      this.report({ ...trade, execType: 'CALCULATED', insuranceClearance: formatScaled(clearance.units, clearance.scale) });
      this.retain(o);
    }
  }

  /**
   * `checkMargin` with isolated symbols or hedge mode (margin.ts): the exact check on every event of
   * a symbol with a position and after every change; each isolated position that reached its own
   * maintenance margin is liquidated alone, then the cross positions together if the cross equity
   * reached theirs.
   */
  protected checkMarginSided(s: SymbolState | undefined, tsUs: number): void {
    const a = this.account!;
    if (!this.marginDirty && (s === undefined || (s.positionLots === 0 && s.longLots === 0 && s.shortLots === 0))) return;
    this.marginDirty = false;
    for (const x of this.ordered) {
      if (!this.isolatedSymbols.has(x.inst.symbol)) continue;
      for (const [side, lots] of a.sides(x)) if (lots !== 0 && a.isolatedLiquidatable(x, side, lots)) this.liquidateSided(tsUs, [[x, side]], true);
    }
    if (a.crossLiquidatable(this.ordered)) {
      const targets: [SymbolState, PositionSide][] = [];
      for (const x of this.ordered) if (!this.isolatedSymbols.has(x.inst.symbol)) for (const [side] of a.sides(x)) targets.push([x, side]);
      this.liquidateSided(tsUs, targets, false);
    }
    a.refresh(this.ordered, tsUs);
  }

  /**
   * `liquidate` of some positions (isolated: one position; cross: every position of the cross
   * symbols): their open orders are cancelled (an isolated position's: the orders of its side), each
   * position is closed at its reference price (an isolated one no worse than its bankruptcy price)
   * by an `autoclose-` order (with its `positionSide` in hedge mode), and the insurance clearance
   * fee is taken, at most what is left of the margin that backed it (the isolated position's own,
   * or the cross equity).
   */
  protected liquidateSided(tsUs: number, targets: readonly [SymbolState, PositionSide][], isolated: boolean): void {
    const a = this.account!;
    this.counters.liquidations++;
    for (const s of this.ordered) {
      if (this.isolatedSymbols.has(s.inst.symbol) !== isolated) continue;
      if (isolated && s !== targets[0][0]) continue;
      for (const o of s.resting) if (o.isOpen && (!isolated || targets[0][1] === 'BOTH' || o.positionSide === targets[0][1])) this.close(s, o, 'CANCELED', tsUs);
      if (s.needsCompact) this.compact(s);
    }
    const closes: { s: SymbolState; o: SimOrder; fee: string; leftM: bigint }[] = [];
    for (const [s, side] of targets) {
      const lots = side === 'BOTH' ? s.positionLots : side === 'LONG' ? s.longLots : -s.shortLots;
      const ref = s.mark ?? s.midExact();
      if (lots === 0 || ref === null) continue;
      const isBuy = lots < 0;
      const abs = Math.abs(lots);
      let priceTicks = bandEdgeTicks(s.inst, ref, isBuy);
      if (isolated) {
        const bankrupt = a.bankruptcyTicks(s, side, lots, s.takerRate);
        if (bankrupt !== null && (lots > 0 ? priceTicks < bankrupt : priceTicks > bankrupt)) priceTicks = bankrupt;
      }
      const leftM = isolated ? a.isolatedEquityAtM(s, side, lots, priceTicks) : 0n;
      const orderId = this.nextOrderId++;
      const o = new SimOrder({ symbol: s.inst.symbol, clientOrderId: `autoclose-${orderId}`, side: isBuy ? 'buy' : 'sell', type: 'LIMIT', timeInForce: 'IOC', priceTicks, qtyLots: abs, reduceOnly: side === 'BOTH', positionSide: side === 'BOTH' ? undefined : side }, orderId, tsUs, 'NONE');
      o.filledLots = abs;
      o.status = 'FILLED';
      s.positionLots -= lots;
      if (side === 'LONG') s.longLots = 0;
      else if (side === 'SHORT') s.shortLots = 0;
      const fee = commission(s.inst, priceTicks, abs, s.takerRate);
      a.onFill(s.inst.symbol, isBuy ? abs : -abs, priceTicks, fee, s.inst, side);
      closes.push({ s, o, fee, leftM: leftM - parseFeeM(fee) });
    }
    for (const { s, o, fee, leftM } of closes) {
      const clearance = a.clearanceFee(s.inst, o.origQtyLots, o.priceTicks, isolated ? leftM : a.crossEquityM(this.ordered));
      a.debit(clearance);
      const trade = o.tradeReport(o.origQtyLots, o.priceTicks, this.nextTradeId++, 'taker', fee, tsUs);
      this.report({ ...trade, execType: 'CALCULATED', insuranceClearance: formatScaled(clearance.units, clearance.scale) });
      this.retain(o);
    }
  }
}

/** A commission string at 10^-24 (rounded toward zero). */
function parseFeeM(fee: string): bigint {
  const d = parseDecimal(fee, 'commission');
  return d.scale <= 24 ? d.units * 10n ** BigInt(24 - d.scale) : d.units / 10n ** BigInt(d.scale - 24);
}
