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
 *
 * (Written with plain loops and index flags instead of filter/sort/Set chains: this runs on every
 * decision. Sorts are skipped when the input is already in order, which it is from the manager;
 * the result is the same either way because the sorts are stable. The working lists are module
 * scratch `List`s that never shrink — only the plan's own arrays are new per call — since a fresh
 * array per list was most of what a decision allocated; an `arr.length = 0` reset would free
 * their storage each time.)
 */
export function planReconcile(orders: readonly TrackedOrder[], quotes: readonly Quote[], cancelAll: boolean, nowUs: number, cfg: ReconcileConfig): ReconcilePlan {
  const plan: ReconcilePlan = { cancels: [], modifies: [], replaces: [], news: [], kept: [], occupied: [] };
  const live = LIVE;
  live.n = 0;
  let liveSorted = true;
  for (let i = 0; i < orders.length; i++) {
    const o = orders[i];
    if (isTerminal(o.state)) continue;
    if (live.n > 0 && live.items[live.n - 1].seq > o.seq) liveSorted = false;
    add(live, o);
  }
  if (!liveSorted) sortBySeq(live);
  if (cancelAll) {
    for (let i = 0; i < live.n; i++) {
      const o = live.items[i];
      if (isActionable(o)) plan.cancels.push({ order: o, reason: 'cancel-all' });
    }
    clear(live);
    return plan;
  }
  const buyOrders = BUY_ORDERS;
  const sellOrders = SELL_ORDERS;
  buyOrders.n = 0;
  sellOrders.n = 0;
  for (let i = 0; i < live.n; i++) {
    const o = live.items[i];
    if (o.reduceOnly || o.state === 'pending-cancel') continue;
    if (isActionable(o) && cfg.orderTtlUs > 0 && nowUs - o.placedUs >= cfg.orderTtlUs) {
      plan.cancels.push({ order: o, reason: 'ttl' });
      continue;
    }
    if (o.side === 'buy') add(buyOrders, o);
    else if (o.side === 'sell') add(sellOrders, o);
  }
  // Wanted quotes in level order, ties by input order (a stable sort by level).
  let wanted: readonly Quote[] = quotes;
  let wantedSorted = true;
  let lastLevel = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < quotes.length; i++) {
    const q = quotes[i];
    if (!(q.qtyLots > 0)) continue;
    if (lastLevel > q.level) wantedSorted = false;
    lastLevel = q.level;
  }
  if (!wantedSorted) wanted = sortByLevel(quotes.filter((q) => q.qtyLots > 0));
  const buyQuotes = BUY_QUOTES;
  const sellQuotes = SELL_QUOTES;
  buyQuotes.n = 0;
  sellQuotes.n = 0;
  for (let i = 0; i < wanted.length; i++) {
    const q = wanted[i];
    if (!(q.qtyLots > 0)) continue;
    if (q.side === 'buy') add(buyQuotes, q);
    else if (q.side === 'sell') add(sellQuotes, q);
  }
  const leftovers = LEFTOVERS;
  leftovers.n = 0;
  matchSide(buyOrders, buyQuotes, cfg, plan, leftovers);
  matchSide(sellOrders, sellQuotes, cfg, plan, leftovers);
  for (let i = 0; i < leftovers.n; i++) plan.cancels.push({ order: leftovers.items[i], reason: 'unwanted' });
  const news = plan.news;
  for (let i = 1; i < news.length; i++) {
    if (compareNews(news[i - 1], news[i]) > 0) {
      news.sort(compareNews);
      break;
    }
  }
  // Drop the scratch lists' references, so they keep no order or quote alive past the call.
  clear(live);
  clear(buyOrders);
  clear(sellOrders);
  clear(buyQuotes);
  clear(sellQuotes);
  clear(leftovers);
  return plan;
}

/** A list in a reused array: `items[0 … n)` are its entries (entries beyond are stale or undefined). */
interface List<T> {
  items: T[];
  n: number;
}

function list<T>(): List<T> {
  return { items: [], n: 0 };
}

function add<T>(l: List<T>, x: T): void {
  if (l.n < l.items.length) l.items[l.n] = x;
  else l.items.push(x);
  l.n++;
}

/** Forgets the entries (without shrinking the array). */
function clear<T>(l: List<T>): void {
  const items = l.items;
  for (let i = 0; i < l.n; i++) items[i] = undefined as unknown as T;
  l.n = 0;
}

// Scratch lists of planReconcile; it calls nothing that re-enters it.
const LIVE = list<TrackedOrder>();
const BUY_ORDERS = list<TrackedOrder>();
const SELL_ORDERS = list<TrackedOrder>();
const BUY_QUOTES = list<Quote>();
const SELL_QUOTES = list<Quote>();
const LEFTOVERS = list<TrackedOrder>();

/** Stable sort of the list's entries by creation sequence (rare: the manager's lists are in order). */
function sortBySeq(l: List<TrackedOrder>): void {
  const sorted = l.items.slice(0, l.n).sort((a, b) => a.seq - b.seq);
  for (let i = 0; i < l.n; i++) l.items[i] = sorted[i];
}

function sortByLevel(quotes: Quote[]): Quote[] {
  return quotes
    .map((q, i) => ({ q, i }))
    .sort((a, b) => a.q.level - b.q.level || a.i - b.i)
    .map(({ q }) => q);
}

/** New orders: nearest level first, the bid before the ask of a level. */
function compareNews(a: Quote, b: Quote): number {
  return a.level - b.level || (a.side === b.side ? 0 : a.side === 'buy' ? -1 : 1);
}

/** Price of the order once its outstanding modify lands (targetOf without the allocation). */
function targetPriceTicks(o: TrackedOrder): number {
  return o.state === 'pending-modify' && o.modifyTarget ? o.modifyTarget.priceTicks : o.priceTicks;
}

function targetRemainingLots(o: TrackedOrder): number {
  return (o.state === 'pending-modify' && o.modifyTarget ? o.modifyTarget.qtyLots : o.qtyLots) - o.filledLots;
}

// "Used" flags of matchSide, by index. Shared scratch: matchSide calls nothing that re-enters it.
let usedOrder = new Uint8Array(16);
let usedQuote = new Uint8Array(16);

/** Marks index `i` and every other entry holding the same object (a used object is used everywhere). */
function markUsed<T>(flags: Uint8Array, items: readonly T[], n: number, i: number): void {
  const item = items[i];
  for (let j = 0; j < n; j++) if (items[j] === item) flags[j] = 1;
}

function matchSide(orderList: List<TrackedOrder>, quoteList: List<Quote>, cfg: ReconcileConfig, plan: ReconcilePlan, leftovers: List<TrackedOrder>): void {
  const orders = orderList.items;
  const quotes = quoteList.items;
  const nO = orderList.n;
  const nQ = quoteList.n;
  if (usedOrder.length < nO) usedOrder = new Uint8Array(nO * 2);
  if (usedQuote.length < nQ) usedQuote = new Uint8Array(nQ * 2);
  for (let i = 0; i < nO; i++) usedOrder[i] = 0; // (a loop: fill() costs more than a few stores)
  for (let i = 0; i < nQ; i++) usedQuote[i] = 0;

  // 1. Keep exact matches.
  for (let qi = 0; qi < nQ; qi++) {
    const q = quotes[qi];
    for (let oi = 0; oi < nO; oi++) {
      if (usedOrder[oi] === 1) continue;
      const c = orders[oi];
      if (targetPriceTicks(c) === q.priceTicks && qtyWithinTolerance(targetRemainingLots(c), q.qtyLots, cfg.qtyTolerance)) {
        markUsed(usedOrder, orders, nO, oi);
        markUsed(usedQuote, quotes, nQ, qi);
        plan.kept.push({ order: c, quote: q });
        break;
      }
    }
  }

  // 2. In-flight orders occupy the nearest free quote.
  for (let oi = 0; oi < nO; oi++) {
    const o = orders[oi];
    if (usedOrder[oi] === 1 || !isInFlight(o)) continue;
    markUsed(usedOrder, orders, nO, oi);
    const price = targetPriceTicks(o);
    let best = -1;
    for (let qi = 0; qi < nQ; qi++) {
      if (usedQuote[qi] === 1) continue;
      if (best < 0 || Math.abs(quotes[qi].priceTicks - price) < Math.abs(quotes[best].priceTicks - price)) best = qi;
    }
    if (best >= 0) markUsed(usedQuote, quotes, nQ, best);
    plan.occupied.push({ order: o, quote: best >= 0 ? quotes[best] : null });
  }

  // 3. Move the nearest actionable order to each remaining quote.
  for (let qi = 0; qi < nQ; qi++) {
    if (usedQuote[qi] === 1) continue;
    const q = quotes[qi];
    let best = -1;
    for (let oi = 0; oi < nO; oi++) {
      if (usedOrder[oi] === 1) continue;
      if (best < 0 || Math.abs(orders[oi].priceTicks - q.priceTicks) < Math.abs(orders[best].priceTicks - q.priceTicks)) best = oi;
    }
    markUsed(usedQuote, quotes, nQ, qi);
    if (best < 0) {
      plan.news.push(q);
      continue;
    }
    markUsed(usedOrder, orders, nO, best);
    if (cfg.modifyMode === 'amend') plan.modifies.push({ order: orders[best], quote: q });
    else plan.replaces.push({ order: orders[best], quote: q });
  }

  // 4. What is left of the orders is unwanted.
  for (let oi = 0; oi < nO; oi++) if (usedOrder[oi] === 0) add(leftovers, orders[oi]);
}
