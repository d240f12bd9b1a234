/**
 * Order entry, a layer of the `SimExchange` chain (exchange.ts): submit, cancel and modify, each
 * with its checks in Binance's order (the list and the reject codes are in index.ts's header), the
 * taker walk of a marketable order through the replayed book (fill rule F1, with our own orders
 * met by self-trade.ts), the FOK "can it fill completely" count, and placing the rest of an order
 * on the book (`rest`: its queue position from the queue model, F5's crossing arm, F11's unknown
 * queue on top-of-book data). A reject is a report (REJECTED, MODIFY_REJECTED, CANCEL_REJECTED).
 */
import { InvariantError } from '../core/errors.ts';
import type { OrderRequest, VenueCommand } from '../model/venue.ts';
import { REJECT, type Reject } from './filters.ts';
import { EPS } from './exchange-state.ts';
import { priceExact } from './money.ts';
import { requestReject, SimOrder } from './order.ts';
import { SelfTradePrevention } from './self-trade.ts';
import { availableLots, type SymbolState } from './symbol-state.ts';

/**
 * The fields of a refused modify of a known order (built only when refused; a plain literal: an
 * object spread followed by more keys costs microseconds in V8, and modifies are most commands).
 */
function modifyFields(cmd: Extract<VenueCommand, { kind: 'modify' }>, o: SimOrder): Parameters<typeof requestReject>[1] {
  return { symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, side: cmd.side, priceTicks: cmd.priceTicks, qtyLots: cmd.qtyLots, reduceOnly: o.reduceOnly, orderId: o.orderId, cumFilledLots: o.filledLots, status: o.status };
}

/** Submits, cancels and modifies from the command entry point (`send`). */
export abstract class OrderEntry extends SelfTradePrevention {
  protected submit(req: OrderRequest, tsUs: number): void {
    const s = this.symbols.get(req.symbol);
    if (s === undefined) return this.rejectSubmit(req, REJECT.badSymbol, tsUs);
    if (s.open.has(req.clientOrderId)) return this.rejectSubmit(req, REJECT.duplicateClientId, tsUs);
    if ((req.positionSide !== undefined) !== this.hedge) return this.rejectSubmit(req, REJECT.positionSideMismatch, tsUs);
    if (this.hedge && req.reduceOnly) return this.rejectSubmit(req, REJECT.reduceOnlyInHedge, tsUs);
    s.market.oppositeBestTicks = req.side === 'buy' ? s.book.bestAskTicks() : s.book.bestBidTicks();
    const bad = s.filters.check(req.type, req.side, req.priceTicks, req.qtyLots, req.reduceOnly, s.market);
    if (bad !== null) return this.rejectSubmit(req, bad, tsUs);
    const maxOrders = s.inst.spec.maxNumOrders;
    if (maxOrders !== undefined && s.resting.length >= maxOrders) return this.rejectSubmit(req, REJECT.maxOpenOrders, tsUs);
    const reducible = this.reducibleLots(s, req.side, req.positionSide);
    const closing = req.reduceOnly || (req.positionSide !== undefined && (req.positionSide === 'LONG') !== (req.side === 'buy'));
    if (closing && reducible === 0) return this.rejectSubmit(req, REJECT.reduceOnly, tsUs);
    if (this.account !== null && !closing && !this.account.entryAllowed(this.ordered, s, req.side === 'buy', req.qtyLots, req.type === 'LIMIT' ? priceExact(s.inst, req.priceTicks) : null, req.positionSide ?? 'BOTH')) {
      this.counters.marginRejects++;
      return this.rejectSubmit(req, REJECT.marginInsufficient, tsUs);
    }
    const marketable = req.type === 'MARKET' || this.crosses(s, req.side === 'buy', req.priceTicks) || this.crossesOwn(s, req.side === 'buy', req.priceTicks);
    if (req.type === 'LIMIT' && req.timeInForce === 'GTX' && marketable) return this.rejectSubmit(req, REJECT.postOnly, tsUs);
    if (req.type === 'LIMIT' && req.timeInForce === 'FOK') {
      const cap = closing ? Math.min(req.qtyLots, reducible) : req.qtyLots;
      if (cap < req.qtyLots || this.fillableLots(s, req.side === 'buy', req.priceTicks, req.qtyLots) < req.qtyLots) {
        return this.rejectSubmit(req, REJECT.fokUnfillable, tsUs);
      }
    }
    const o = new SimOrder(req, this.nextOrderId++, tsUs, req.selfTradePrevention ?? this.stpMode);
    this.report(o.report('NEW', tsUs));
    if (marketable) this.takeLiquidity(s, o, tsUs);
    if (!o.isOpen) return;
    if (o.type === 'MARKET' || o.timeInForce === 'IOC' || o.timeInForce === 'FOK') {
      o.status = 'EXPIRED';
      this.report(o.report('EXPIRED', tsUs));
      this.retain(o);
      return;
    }
    this.rest(s, o);
  }


  protected cancel(symbol: string, clientOrderId: string, tsUs: number): void {
    const o = this.symbols.get(symbol)?.open.get(clientOrderId);
    if (o === undefined) {
      this.counters.rejects++;
      this.report(requestReject('CANCEL_REJECTED', { symbol, clientOrderId, side: 'buy', priceTicks: 0, qtyLots: 0, reduceOnly: false }, REJECT.unknownOrder.code, REJECT.unknownOrder.message, tsUs));
      return;
    }
    this.close(this.mustState(symbol), o, 'CANCELED', tsUs);
  }

  protected modify(cmd: Extract<VenueCommand, { kind: 'modify' }>, tsUs: number): void {
    const s = this.symbols.get(cmd.symbol);
    const o = s?.open.get(cmd.clientOrderId);
    if (s === undefined || o === undefined) {
      return this.rejectModify({ symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, side: cmd.side, priceTicks: cmd.priceTicks, qtyLots: cmd.qtyLots, reduceOnly: false }, REJECT.unknownOrder, tsUs);
    }
    if (o.type !== 'LIMIT') return this.rejectModify(modifyFields(cmd, o), REJECT.modifyNotLimit, tsUs);
    if (cmd.priceTicks === o.priceTicks && cmd.qtyLots === o.origQtyLots) return this.rejectModify(modifyFields(cmd, o), REJECT.sameOrder, tsUs);
    s.market.oppositeBestTicks = o.isBuy ? s.book.bestAskTicks() : s.book.bestBidTicks();
    const bad = s.filters.check('LIMIT', o.side, cmd.priceTicks, cmd.qtyLots, o.reduceOnly, s.market);
    if (bad !== null) return this.rejectModify(modifyFields(cmd, o), bad, tsUs);
    const crosses = this.crosses(s, o.isBuy, cmd.priceTicks) || this.crossesOwn(s, o.isBuy, cmd.priceTicks, o);
    // Binance cancels (not rejects) a modify that leaves nothing to fill or makes a post-only take.
    if (cmd.qtyLots <= o.filledLots || (o.timeInForce === 'GTX' && crosses)) {
      this.close(s, o, 'CANCELED', tsUs);
      return;
    }
    o.priceTicks = cmd.priceTicks;
    o.origQtyLots = cmd.qtyLots;
    o.arrivalUs = tsUs;
    this.report(o.report('AMENDMENT', tsUs));
    // Loses queue priority: leaves the list and is placed again behind everyone at its new price.
    removeResting(s.resting, o);
    if (o.closing) s.reduceOnlyResting--;
    s.open.delete(o.clientOrderId);
    if (crosses) this.takeLiquidity(s, o, tsUs);
    if (o.isOpen) this.rest(s, o);
  }

  protected crosses(s: SymbolState, isBuy: boolean, priceTicks: number): boolean {
    return isBuy ? s.book.bestAskTicks() <= priceTicks : s.book.bestBidTicks() >= priceTicks;
  }

  /** Opposite-side quantity within the limit (net of our own earlier taker fills), counted up to `needLots`. */
  protected fillableLots(s: SymbolState, isBuy: boolean, limitTicks: number, needLots: number): number {
    let sum = 0;
    const depleted = isBuy ? s.depletedAsk : s.depletedBid;
    s.book.forEachLevel(isBuy ? 'ask' : 'bid', (p, q) => {
      if (isBuy ? p > limitTicks : p < limitTicks) return false;
      sum += depleted.size === 0 ? q : availableLots(depleted, p, q);
      return sum < needLots;
    });
    return sum;
  }

  /**
   * Walks the opposite side of the replayed book from the best price, level by level, filling as
   * taker at each level's price, until the order is filled or its limit is reached. What it takes
   * is remembered per level (`depleted*`) and subtracted from that level until the market next
   * updates it, so a second taker order does not take the same quantity again. Our own resting
   * orders on the other side are met in price-time priority (after the queue ahead of them) and
   * handled by self-trade prevention (`stpMode`).
   */
  protected takeLiquidity(s: SymbolState, o: SimOrder, tsUs: number): void {
    const isMarket = o.type === 'MARKET';
    const limit = o.priceTicks;
    const depleted = o.isBuy ? s.depletedAsk : s.depletedBid;
    const own = this.ownOpposite(s, o, isMarket);
    let k = 0;
    s.book.forEachLevel(o.isBuy ? 'ask' : 'bid', (p, q) => {
      if (!isMarket && (o.isBuy ? p > limit : p < limit)) return false;
      // Our own orders at better prices than this level (no market quantity there) come first.
      while (k < own.length && (o.isBuy ? own[k].priceTicks < p : own[k].priceTicks > p)) {
        if (!this.meetOwn(s, o, own[k++], tsUs)) return false;
      }
      let avail = depleted.size === 0 ? q : availableLots(depleted, p, q);
      let taken = 0;
      // Our own orders at this level: the taker takes the market quantity ahead of each first.
      while (k < own.length && own[k].priceTicks === p) {
        const m = own[k++];
        const ahead = Math.min(Math.max(Math.ceil(m.front - EPS), 0) - taken, avail);
        if (ahead > 0) {
          const got = this.fill(s, o, Math.min(ahead, o.remainingLots), p, 'taker', tsUs);
          taken += got;
          avail -= got;
          depleted.set(p, (depleted.get(p) ?? 0) + got);
          if (!o.isOpen) return false;
        }
        if (!this.meetOwn(s, o, m, tsUs)) return false;
      }
      if (avail > 0) {
        const got = this.fill(s, o, Math.min(avail, o.remainingLots), p, 'taker', tsUs);
        if (got > 0) depleted.set(p, (depleted.get(p) ?? 0) + got);
      }
      return o.isOpen;
    });
    // Our own orders beyond the book's last level, within the limit.
    while (o.isOpen && k < own.length) if (!this.meetOwn(s, o, own[k++], tsUs)) break;
    own.length = 0;
    if (s.needsCompact) this.compact(s);
  }

  protected rest(s: SymbolState, o: SimOrder): void {
    const level = s.book.qtyAt(o.isBuy ? 'bid' : 'ask', o.priceTicks);
    this.queueModel.onPlace(o, level);
    o.levelLots = level;
    // With top of book only, a price behind the best has an unknown queue (not an empty one).
    if (!s.marketBook.depthSeen) o.queueUnknown = o.isBuy ? o.priceTicks < s.book.bestBidTicks() : o.priceTicks > s.book.bestAskTicks();
    o.crossingArmed = !this.crosses(s, o.isBuy, o.priceTicks);
    s.resting.push(o);
    s.open.set(o.clientOrderId, o);
    if (o.closing) s.reduceOnlyResting++;
  }

  protected rejectSubmit(req: OrderRequest, why: Reject, tsUs: number): void {
    this.counters.rejects++;
    const fields = { symbol: req.symbol, clientOrderId: req.clientOrderId, side: req.side, priceTicks: req.type === 'MARKET' ? 0 : req.priceTicks, qtyLots: req.qtyLots, reduceOnly: req.reduceOnly };
    this.report(requestReject('REJECTED', fields, why.code, why.message, tsUs));
  }

  protected rejectModify(fields: Parameters<typeof requestReject>[1], why: Reject, tsUs: number): void {
    this.counters.rejects++;
    this.report(requestReject('MODIFY_REJECTED', fields, why.code, why.message, tsUs));
  }
}

/** Takes `o` out of the resting list, the others keeping their priority order (no `splice`: a runtime call per modify). */
function removeResting(list: SimOrder[], o: SimOrder): void {
  const i = list.indexOf(o);
  if (i < 0) throw new InvariantError(`order ${o.clientOrderId} is open but not resting`);
  for (let j = i + 1; j < list.length; j++) list[j - 1] = list[j];
  list.pop();
}
