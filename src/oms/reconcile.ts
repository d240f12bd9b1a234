/**
 * Reconcile: the fewest actions that turn our live orders of one symbol into the approved quotes.
 * Pure: it reads the orders and returns a plan; the manager turns the plan into commands under the
 * rate budget. Prices are ticks, quantities lots, times µs.
 *
 * Per side, in this order (all loops in quote level order, ties by order creation sequence):
 *  0. `cancelAll` → cancel every actionable order; nothing else.
 *     Orders past their time-to-live (`orderTtlUs` since placed or last modified) are cancelled and
 *     do not take part in matching. Orders being cancelled take part in nothing.
 *  1. Keep: an order whose (target) price equals a quote's price and whose remaining quantity is
 *     within tolerance of the quote's quantity covers that quote. No action.
 *  2. Occupy: an in-flight order (pending-new, pending-modify, outcome unknown) that matched
 *     nothing takes the nearest unmatched quote of its side. No action — it cannot be acted upon
 *     until settled, and placing a second order for the same quote would double the exposure.
 *  3. Move: each remaining quote takes the nearest actionable order of its side: one modify
 *     (`modifyMode: 'amend'`, loses queue priority) or a cancel plus a new order ('cancel-replace').
 *  4. Leftover actionable orders are cancelled; leftover quotes become new orders.
 * Reduce-only orders (flatten) never match quotes; only `cancelAll` touches them.
 */
import type { Side } from '../model/events.ts';
import type { Quote } from '../model/trading.ts';
import type { TrackedOrder } from './order.ts';
import { isPending, isTerminal } from './table.ts';

export type ModifyMode = 'amend' | 'cancel-replace';

export interface ReconcileConfig {
  modifyMode: ModifyMode;
  /** Keep an order whose remaining qty differs from the quote by at most floor(quote × tolerance) lots. */
  qtyTolerance: number;
  /** Cancel resting orders older than this since placed or last modified, µs; 0 = never. */
  orderTtlUs: number;
}

export type CancelReason = 'cancel-all' | 'ttl' | 'unwanted';

export interface ReconcilePlan {
  cancels: { order: TrackedOrder; reason: CancelReason }[];
  modifies: { order: TrackedOrder; quote: Quote }[];
  replaces: { order: TrackedOrder; quote: Quote }[];
  news: Quote[];
  kept: { order: TrackedOrder; quote: Quote }[];
  /** In-flight orders left alone, with the quote they occupy (null when none was left for them). */
  occupied: { order: TrackedOrder; quote: Quote | null }[];
}

/** Resting, settled, and therefore something the OMS may cancel or modify. */
export function isActionable(o: TrackedOrder): boolean {
  return (o.state === 'open' || o.state === 'partially-filled') && !o.unknown;
}

/** A request of ours is outstanding on it (or its outcome is unknown). */
export function isInFlight(o: TrackedOrder): boolean {
  return isPending(o.state) || o.unknown;
}

/** The price and remaining quantity the order has or will have once its outstanding modify lands. */
export function targetOf(o: TrackedOrder): { priceTicks: number; remainingLots: number } {
  if (o.state === 'pending-modify' && o.modifyTarget) {
    return { priceTicks: o.modifyTarget.priceTicks, remainingLots: o.modifyTarget.qtyLots - o.filledLots };
  }
  return { priceTicks: o.priceTicks, remainingLots: o.qtyLots - o.filledLots };
}

export function qtyWithinTolerance(remainingLots: number, quoteLots: number, tolerance: number): boolean {
  return Math.abs(remainingLots - quoteLots) <= Math.floor(quoteLots * tolerance);
}

/**
 * Plans the reconciliation of `orders` (the live orders of one symbol, any order) with `quotes`.
 * Quotes with a non-positive quantity are ignored (risk trimmed them to nothing).
 */
export function planReconcile(orders: readonly TrackedOrder[], quotes: readonly Quote[], cancelAll: boolean, nowUs: number, cfg: ReconcileConfig): ReconcilePlan {
  const plan: ReconcilePlan = { cancels: [], modifies: [], replaces: [], news: [], kept: [], occupied: [] };
  const live = orders.filter((o) => !isTerminal(o.state)).sort((a, b) => a.seq - b.seq);
  if (cancelAll) {
    for (const o of live) if (isActionable(o)) plan.cancels.push({ order: o, reason: 'cancel-all' });
    return plan;
  }
  const candidates: TrackedOrder[] = [];
  for (const o of live) {
    if (o.reduceOnly || o.state === 'pending-cancel') continue;
    if (isActionable(o) && cfg.orderTtlUs > 0 && nowUs - o.placedUs >= cfg.orderTtlUs) {
      plan.cancels.push({ order: o, reason: 'ttl' });
      continue;
    }
    candidates.push(o);
  }
  const wanted = quotes
    .map((q, i) => ({ q, i }))
    .filter(({ q }) => q.qtyLots > 0)
    .sort((a, b) => a.q.level - b.q.level || a.i - b.i)
    .map(({ q }) => q);
  const leftovers: TrackedOrder[] = [];
  for (const side of ['buy', 'sell'] as Side[]) {
    matchSide(
      candidates.filter((o) => o.side === side),
      wanted.filter((q) => q.side === side),
      cfg,
      plan,
      leftovers,
    );
  }
  for (const o of leftovers) plan.cancels.push({ order: o, reason: 'unwanted' });
  plan.news.sort((a, b) => a.level - b.level || (a.side === b.side ? 0 : a.side === 'buy' ? -1 : 1));
  return plan;
}

function matchSide(orders: TrackedOrder[], quotes: Quote[], cfg: ReconcileConfig, plan: ReconcilePlan, leftovers: TrackedOrder[]): void {
  const usedOrders = new Set<TrackedOrder>();
  const usedQuotes = new Set<Quote>();

  // 1. Keep exact matches.
  for (const q of quotes) {
    const o = orders.find((c) => {
      if (usedOrders.has(c)) return false;
      const t = targetOf(c);
      return t.priceTicks === q.priceTicks && qtyWithinTolerance(t.remainingLots, q.qtyLots, cfg.qtyTolerance);
    });
    if (o) {
      usedOrders.add(o);
      usedQuotes.add(q);
      plan.kept.push({ order: o, quote: q });
    }
  }

  // 2. In-flight orders occupy the nearest free quote.
  for (const o of orders) {
    if (usedOrders.has(o) || !isInFlight(o)) continue;
    usedOrders.add(o);
    const q = nearest(quotes, usedQuotes, targetOf(o).priceTicks);
    if (q) usedQuotes.add(q);
    plan.occupied.push({ order: o, quote: q });
  }

  // 3. Move the nearest actionable order to each remaining quote.
  for (const q of quotes) {
    if (usedQuotes.has(q)) continue;
    let best: TrackedOrder | null = null;
    for (const o of orders) {
      if (usedOrders.has(o)) continue;
      if (best === null || Math.abs(o.priceTicks - q.priceTicks) < Math.abs(best.priceTicks - q.priceTicks)) best = o;
    }
    usedQuotes.add(q);
    if (best === null) {
      plan.news.push(q);
      continue;
    }
    usedOrders.add(best);
    if (cfg.modifyMode === 'amend') plan.modifies.push({ order: best, quote: q });
    else plan.replaces.push({ order: best, quote: q });
  }

  // 4. What is left of the orders is unwanted.
  for (const o of orders) if (!usedOrders.has(o)) leftovers.push(o);
}

function nearest(quotes: Quote[], used: Set<Quote>, priceTicks: number): Quote | null {
  let best: Quote | null = null;
  for (const q of quotes) {
    if (used.has(q)) continue;
    if (best === null || Math.abs(q.priceTicks - priceTicks) < Math.abs(best.priceTicks - priceTicks)) best = q;
  }
  return best;
}
