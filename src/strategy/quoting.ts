/**
 * The rules every strategy shares, turning two float level-0 prices into an `Intent`:
 *
 *  1. guards: flatten threshold, book valid / both sides present / not crossed, fair price ready;
 *  2. tick grid: bids round down, asks round up (a 1e-9 tick slack absorbs float noise such as
 *     99.99999999997 meaning 100);
 *  3. minimum spread: a level-0 pair closer than `minSpreadTicks` is widened around its centre;
 *  4. post-only: bid ≤ best ask − 1 and ask ≥ best bid + 1 on the book the decision was computed from
 *     (clamping only widens, so the spread stays ≥ the minimum); skipped, here and in 8, with
 *     `quoteThroughMid` (model markets, where no book forbids a quote through the mid);
 *  5. levels: level i sits i·levelSpacingTicks behind level 0;
 *  6. max position: the bids of a side may add at most `maxPositionLots − position` lots, the asks
 *     at most `maxPositionLots + position`; a level is trimmed to what is left, a side with nothing
 *     left is not quoted;
 *  7. exchange filters: price in [max(1, minPrice), maxPrice], qty clipped to maxQty, qty ≥ minQty,
 *     price × qty ≥ MIN_NOTIONAL (exact); a quote failing one is dropped, the reason names it;
 *  8. refresh: level i of a side is matched with the i-th best live order of that side; the live
 *     order is kept exactly (price and qty) while it is within `requoteToleranceTicks` of the
 *     desired price, younger than `maxOrderAgeUs`, still passes 4, 6 and 7, keeps the levels
 *     strictly ordered and keeps our bid ≥ `minSpreadTicks` below our ask.
 *
 * Every quote in the returned intent therefore satisfies the post-only, filter, position and
 * spread rules, whether new or kept. PERCENT_PRICE is left to the risk module (it needs the mark).
 */
import type { Side } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import { plainIntent, type Intent, type Quote } from '../model/trading.ts';
import { InvariantError } from '../core/errors.ts';
import type { CommonConfig } from './config.ts';
import { computeFairPrice } from './fair-price.ts';
import type { LiveQuote, StrategyContext } from './types.ts';

/** Float slack when snapping a float tick price onto the grid. */
const GRID_EPSILON = 1e-9;

/** Level-0 prices a model wants, float ticks, plus a short description for the reason. */
export interface ModelQuotes {
  bidTicks: number;
  askTicks: number;
  /**
   * What the model computed, for the intent's reason: labels and numbers alternating
   * (`['half', 3.2, 'q', -1]` reads "half 3.2000 q -1.0000"), formatted only if the reason is read (a
   * backtest reads few of them; formatting every decision's numbers was ~1 % of a day's run). Plain
   * data, not a closure: under tsx (esbuild `keepNames`) every closure created per decision also
   * costs an `Object.defineProperty` of its name, ~2.5 % of a day's run.
   */
  detail: readonly (string | number)[];
}

/** x.toFixed(4); an integer's is its digits + ".0000" (exactly, −0 included), without toFixed's cost. */
function fmt4(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return `${x === 0 ? 0 : x}.0000`;
  return x.toFixed(4);
}

/** A model's detail as text: "label value" pairs, numbers to 4 decimals, separated by spaces. */
export function formatDetail(detail: readonly (string | number)[]): string {
  let out = '';
  for (let i = 0; i < detail.length; i++) {
    const x = detail[i];
    if (i > 0) out += ' ';
    out += typeof x === 'number' ? fmt4(x) : x;
  }
  return out;
}

/** Given the fair price (float ticks), a model returns its level-0 prices or why it cannot quote. */
export type PriceModel = (fairTicks: number, ctx: StrategyContext) => ModelQuotes | { notReady: string };

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(4);
}

function noQuotes(ctx: StrategyContext, label: string, why: string, flatten = false): Intent {
  return { symbol: ctx.instrument.symbol, tsUs: ctx.tsUs, quotes: [], cancelAll: true, flatten, reason: `${label}: no quotes: ${why}` };
}

/** Why a quote would be rejected by the exchange filters, or null when it passes. */
export function filterViolation(inst: Instrument, priceTicks: number, qtyLots: number): string | null {
  if (priceTicks < Math.max(1, inst.minPriceTicks)) return `price ${priceTicks} below min price ${inst.minPriceTicks}`;
  if (priceTicks > inst.maxPriceTicks) return `price ${priceTicks} above max price ${inst.maxPriceTicks}`;
  if (qtyLots < Math.max(1, inst.minQtyLots)) return `qty ${qtyLots} below min qty ${inst.minQtyLots}`;
  if (qtyLots > inst.maxQtyLots) return `qty ${qtyLots} above max qty ${inst.maxQtyLots}`;
  if (!inst.meetsMinNotional(priceTicks, qtyLots)) return `notional below min notional ${inst.spec.minNotional}`;
  return null;
}

/** Lots per level at a price: `sizeLots`, or the notional converted at that price, rounded down. */
export function levelSizeLots(config: CommonConfig, inst: Instrument, priceTicks: number): number {
  if (config.sizeLots !== null) return config.sizeLots;
  const lotNotional = inst.ticksToFloat(priceTicks) * inst.lotsToFloat(1);
  if (!(lotNotional > 0)) return 0;
  return Math.floor((config.sizeNotionalQuote as number) / lotNotional + GRID_EPSILON);
}

/**
 * Live orders of one side from the best price outwards; ties by age, then size, for determinism.
 * A stable insertion sort into `out[0 … n)`; returns n (a handful of orders; no closure or copy per
 * decision; `out` never shrinks, since `out.length = 0` would free its storage every decision).
 */
function liveBestFirst(live: readonly LiveQuote[], side: Side, out: LiveQuote[]): number {
  const dir = side === 'buy' ? -1 : 1;
  let n = 0;
  for (let i = 0; i < live.length; i++) {
    const l = live[i];
    if (l.side !== side) continue;
    let j = n;
    while (j > 0) {
      const a = out[j - 1];
      const c = dir * (a.priceTicks - l.priceTicks) || a.placedAtUs - l.placedAtUs || a.qtyLots - l.qtyLots;
      if (!(c > 0)) break;
      out[j] = a;
      j--;
    }
    out[j] = l;
    n++;
  }
  return n;
}

/** Scratch for liveBestFirst (buildSide calls nothing that re-enters it). */
const liveScratch: LiveQuote[] = [];

interface SidePlan {
  side: Side;
  /** Desired price of level 0, integer ticks; level i sits i·`spacing` behind it. */
  level0: number;
  spacing: number;
  levels: number;
  /** Lots this side may add without taking |position| beyond the limit. */
  capacityLots: number;
  /**
   * +1 for bids, −1 for asks. `p` is strictly on the book side of `q` (a higher bid, a lower ask)
   * when dir·(p − q) > 0. (Plain numbers instead of per-decision closures: this runs on every decision.)
   */
  dir: 1 | -1;
  /** Post-only: a bid must stay < this (the best ask), an ask > it (the best bid). */
  passiveLimit: number;
  /** Our own opposite quote bound (min spread): bids ≤ it, asks ≥ it; NaN = no bound. */
  spreadLimit: number;
}

function moreAggressive(plan: SidePlan, p: number, q: number): boolean {
  return plan.dir * (p - q) > 0;
}

function isPassive(plan: SidePlan, p: number): boolean {
  return plan.dir === 1 ? p < plan.passiveLimit : p > plan.passiveLimit;
}

function withinSpreadBound(plan: SidePlan, p: number): boolean {
  if (Number.isNaN(plan.spreadLimit)) return true;
  return plan.dir === 1 ? p <= plan.spreadLimit : p >= plan.spreadLimit;
}

/** Appends the side's quotes to `quotes`; returns how many of them keep a live order. */
function buildSide(plan: SidePlan, ctx: StrategyContext, config: CommonConfig, notes: string[], quotes: Quote[]): number {
  const inst = ctx.instrument;
  const tag = plan.side === 'buy' ? 'bid' : 'ask';
  let kept = 0;
  let remaining = plan.capacityLots;
  if (remaining <= 0) {
    notes.push(`${tag}s off: position ${ctx.positionLots} at max ${config.maxPositionLots}`);
    return kept;
  }
  const live = liveScratch;
  const nLive = liveBestFirst(ctx.liveQuotes, plan.side, live);
  let prevPrice = NaN;
  for (let level = 0; level < plan.levels && remaining > 0; level++) {
    const desired = plan.dir === 1 ? plan.level0 - level * plan.spacing : plan.level0 + level * plan.spacing;
    const l = level < nLive ? live[level] : undefined;
    if (
      l !== undefined &&
      Math.abs(l.priceTicks - desired) <= config.requoteToleranceTicks &&
      ctx.tsUs - l.placedAtUs < config.maxOrderAgeUs &&
      l.qtyLots <= remaining &&
      (Number.isNaN(prevPrice) || moreAggressive(plan, prevPrice, l.priceTicks)) &&
      isPassive(plan, l.priceTicks) &&
      withinSpreadBound(plan, l.priceTicks) &&
      filterViolation(inst, l.priceTicks, l.qtyLots) === null
    ) {
      quotes.push({ side: plan.side, priceTicks: l.priceTicks, qtyLots: l.qtyLots, level });
      remaining -= l.qtyLots;
      prevPrice = l.priceTicks;
      kept++;
      continue;
    }
    if (!(Number.isNaN(prevPrice) || moreAggressive(plan, prevPrice, desired))) {
      notes.push(`${tag} L${level} dropped: not behind the kept quote at ${prevPrice}`);
      continue;
    }
    let qty = Math.min(levelSizeLots(config, inst, desired), inst.maxQtyLots);
    if (qty > remaining) {
      notes.push(`${tag} L${level} trimmed to ${remaining} lots by max position`);
      qty = remaining;
    }
    const violation = filterViolation(inst, desired, qty);
    if (violation !== null) {
      notes.push(`${tag} L${level} dropped: ${violation}`);
      continue;
    }
    quotes.push({ side: plan.side, priceTicks: desired, qtyLots: qty, level });
    remaining -= qty;
    prevPrice = desired;
  }
  return kept;
}

/**
 * Runs the shared rules around a price model. `label` starts the reason (e.g. "glft").
 */
export function decideQuotes(ctx: StrategyContext, config: CommonConfig, label: string, model: PriceModel): Intent {
  const bookSymbol = ctx.book.symbol;
  if (bookSymbol !== ctx.instrument.symbol && bookSymbol.toUpperCase() !== ctx.instrument.symbol.toUpperCase()) {
    throw new InvariantError(`strategy got book ${ctx.book.symbol} with instrument ${ctx.instrument.symbol}`);
  }
  const position = ctx.positionLots;
  if (config.flattenAtPositionLots !== null && Math.abs(position) >= config.flattenAtPositionLots) {
    return noQuotes(ctx, label, `|position| ${Math.abs(position)} ≥ flattenAtPositionLots ${config.flattenAtPositionLots}; flatten`, true);
  }
  const book = ctx.book;
  if (!book.isValid()) return noQuotes(ctx, label, 'book invalid (out of sync)');
  const bestBid = book.bestBidTicks();
  const bestAsk = book.bestAskTicks();
  if (Number.isNaN(bestBid)) return noQuotes(ctx, label, 'bid side of the book empty');
  if (Number.isNaN(bestAsk)) return noQuotes(ctx, label, 'ask side of the book empty');
  if (bestBid >= bestAsk) return noQuotes(ctx, label, `book crossed or locked (bid ${bestBid} ≥ ask ${bestAsk})`);
  const midTicks = (bestBid + bestAsk) / 2;

  const fair = computeFairPrice(config.fairPriceSource, config.tilt, ctx.signals, midTicks);
  if (!fair.ok) return noQuotes(ctx, label, fair.reason);
  const m = model(fair.fairTicks, ctx);
  if ('notReady' in m) return noQuotes(ctx, label, m.notReady);
  if (!Number.isFinite(m.bidTicks) || !Number.isFinite(m.askTicks)) {
    return noQuotes(ctx, label, `model gave non-finite prices (bid ${m.bidTicks}, ask ${m.askTicks})`);
  }

  const notes: string[] = [];
  let bid0 = Math.floor(m.bidTicks + GRID_EPSILON);
  let ask0 = Math.ceil(m.askTicks - GRID_EPSILON);
  if (ask0 - bid0 < config.minSpreadTicks) {
    const centre = (m.bidTicks + m.askTicks) / 2;
    bid0 = Math.min(bid0, Math.floor(centre - config.minSpreadTicks / 2 + GRID_EPSILON));
    ask0 = Math.max(ask0, bid0 + config.minSpreadTicks);
    notes.push(`widened to min spread ${config.minSpreadTicks}`);
  }
  if (!config.quoteThroughMid && bid0 >= bestAsk) {
    notes.push(`bid ${bid0} clamped to ${bestAsk - 1} (post-only)`);
    bid0 = bestAsk - 1;
  }
  if (!config.quoteThroughMid && ask0 <= bestBid) {
    notes.push(`ask ${ask0} clamped to ${bestBid + 1} (post-only)`);
    ask0 = bestBid + 1;
  }
  const spacing = config.levelSpacingTicks;
  const minSpread = config.minSpreadTicks;
  const quotes: Quote[] = [];
  const keptBids = buildSide(
    {
      side: 'buy',
      level0: bid0,
      spacing,
      levels: config.levels,
      capacityLots: config.maxPositionLots - position,
      dir: 1,
      passiveLimit: config.quoteThroughMid ? Infinity : bestAsk,
      spreadLimit: ask0 - minSpread,
    },
    ctx,
    config,
    notes,
    quotes,
  );
  const topBid = quotes.length > 0 ? quotes[0].priceTicks : NaN;
  const keptAsks = buildSide(
    {
      side: 'sell',
      level0: ask0,
      spacing,
      levels: config.levels,
      capacityLots: config.maxPositionLots + position,
      dir: -1,
      passiveLimit: config.quoteThroughMid ? -Infinity : bestBid,
      spreadLimit: Number.isNaN(topBid) ? NaN : topBid + minSpread,
    },
    ctx,
    config,
    notes,
    quotes,
  );
  return new QuoteIntent(ctx.instrument.symbol, ctx.tsUs, quotes, label, fair.fairTicks, fair.tiltTicks, m.detail, bid0, ask0, quotes.length, keptBids + keptAsks, notes);
}

/**
 * A decided set of quotes whose reason is formatted when first read, from the decision's own values
 * (a backtest reads few reasons). A class with the getter on its prototype: an object literal with
 * its own getter took ~0.7 µs to create (V8's slow path for accessor literals: 2.6 % of a day's
 * run), this ~25 ns. Serialises (`toJSON`) and copies (`plainIntent`, model/trading.ts) as the plain `Intent` it stands
 * for, reason included: a spread would drop a prototype getter.
 */
class QuoteIntent implements Intent {
  readonly cancelAll = false;
  readonly flatten = false;
  private formatted: string | undefined = undefined;

  constructor(
    readonly symbol: string,
    readonly tsUs: number,
    readonly quotes: readonly Quote[],
    private readonly label: string,
    private readonly fairTicks: number,
    private readonly tiltTicks: number,
    private readonly detail: readonly (string | number)[],
    private readonly bid0: number,
    private readonly ask0: number,
    private readonly count: number,
    private readonly kept: number,
    private readonly notes: readonly string[],
  ) {}

  get reason(): string {
    if (this.formatted === undefined) {
      const tilt = this.tiltTicks !== 0 ? ` (tilt ${fmt(this.tiltTicks)})` : '';
      const head = `${this.label}: fair ${fmt(this.fairTicks)}${tilt} ${formatDetail(this.detail)}; bid ${this.bid0} ask ${this.ask0}; ${this.count} quotes (${this.kept} kept)`;
      this.formatted = this.notes.length > 0 ? `${head}; ${this.notes.join('; ')}` : head;
    }
    return this.formatted;
  }

  toJSON(): Intent {
    return plainIntent(this, this.quotes);
  }
}

