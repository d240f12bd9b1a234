/**
 * The risk engine: every intent passes `check` before the OMS acts on it.
 *
 * Units: prices integer ticks, quantities integer lots, times integer µs (from `ctx.tsUs`, never
 * ambient), money exact decimal strings in the margin asset (compared exactly as scaled bigints,
 * model/money.ts; never through floats).
 *
 * Semantics, in the order the checks run (see docs/RISK_RULES.md for every rule and key):
 * 1. `update(ctx)`: volatility breaker (σ, mid jump) and equity stops (drawdown, daily loss) move
 *    the trading state; each change is published as `risk.stateChanged`.
 * 2. Whole-intent gates → a denial (`risk.denied`): HALTED (only pure cancels pass), a malformed
 *    cancel-all, and when there are quotes: an account out of sync with the venue (user-data stream
 *    down or not yet reconciled), an invalid or stale book.
 * 3. Per-quote rules → trims (`risk.trimmed`), quotes taken nearest-first (`level`, then input
 *    order): filters, price band, PERCENT_PRICE, open-order count, reduce-only (REDUCING state or
 *    capital usage), per-order notional, worst-case position in lots and notional, exchange minimums,
 *    order-rate budget. A quote may be shrunk by several rules; each shrink is one `RiskTrim`.
 *
 * Worst-case position: for each side, position + every open order of that side (as if filled, even
 * one whose cancel is in flight) + every approved quote of that side must stay within the limit.
 * Approved intents may share untouched `Quote` objects with the input.
 */
import { InputError, InvariantError } from '../core/errors.ts';
import type { Instrument } from '../model/instrument.ts';
import { compareScaled, formatScaled, mulScaled, parseDecimal, subScaled, type ScaledDecimal } from '../model/money.ts';
import { plainIntent, type Intent, type Quote, type RiskDecision, type RiskReason, type RiskReasonCode, type RiskTrim, type TradingState } from '../model/trading.ts';
import { DEFAULT_RISK_CONFIG, type RiskConfig } from './config.ts';
import type { RiskContext } from './context.ts';
import type { RiskEventSink } from './events.ts';
import { instrumentLimits, type InstrumentLimits } from './limits.ts';
import { OrderRateLimiter, type RateWindowUsage } from './rate-limiter.ts';
import { TradingStateMachine, type Hold, type StateTransition } from './state-machine.ts';
import { MidRangeWindow } from './volatility.ts';

export interface RiskEngineOptions {
  /** The symbol this engine guards (one engine per symbol; its trading state is that symbol's). */
  symbol: string;
  /** Limits; defaults to DEFAULT_RISK_CONFIG. Validate user input with `parseRiskConfig` first. */
  config?: RiskConfig;
  /** Where state changes, denials and trims are published. */
  bus?: RiskEventSink;
  /** A limiter shared with other symbols' engines (the exchange counts orders per account). */
  rateLimiter?: OrderRateLimiter;
  /** Time the engine starts ACTIVE, µs. */
  startUs?: number;
}

export interface RiskStatus {
  state: TradingState;
  sinceUs: number;
  /** The hold behind the current state; undefined when ACTIVE. */
  cause: Hold | undefined;
  holds: Hold[];
}

interface EquityStrings {
  equity: string;
  peakEquity: string;
  dayStartEquity: string;
}

/** The config's money limits as exact decimals, read once (fractions as their shortest decimal: 0.1 is 1/10). */
interface MoneyLimits {
  maxCapitalUsage: ScaledDecimal | null;
  maxDrawdownFraction: ScaledDecimal | null;
  maxDailyLoss: ScaledDecimal | null;
  maxDailyLossFraction: ScaledDecimal | null;
}

export class RiskEngine {
  readonly symbol: string;
  readonly config: RiskConfig;
  private readonly machine: TradingStateMachine;
  private readonly rate: OrderRateLimiter;
  private readonly mids: MidRangeWindow;
  private readonly bus: RiskEventSink | undefined;
  private readonly money: MoneyLimits;
  private lastUs = Number.NEGATIVE_INFINITY;
  private cachedInstrument: Instrument | null = null;
  private cachedLimits: InstrumentLimits | null = null;
  private lastEquity: EquityStrings | null = null;
  /** capitalUsageExceeded's last inputs (null: not parsed yet) and what they gave; `cap` = equity × maxCapitalUsage. */
  private readonly lastCapital: { equity: string | null; positive: boolean; cap: ScaledDecimal; marginUsed: string | null; exceeded: boolean } = { equity: null, positive: false, cap: { units: 0n, scale: 0 }, marginUsed: null, exceeded: false };
  // Scratch of sizeQuotes, reused across checks (it calls nothing that could re-enter it).
  private keptLots = new Float64Array(16);
  private claimed = new Uint8Array(16);
  private readonly scratchTrims: RiskTrim[] = [];

  constructor(options: RiskEngineOptions) {
    const config = options.config ?? DEFAULT_RISK_CONFIG;
    this.symbol = options.symbol;
    this.config = config;
    this.machine = new TradingStateMachine(options.startUs ?? 0);
    this.rate = options.rateLimiter ?? new OrderRateLimiter(config.orderRate);
    this.mids = new MidRangeWindow(config.volatility.jumpWindowUs);
    this.bus = options.bus;
    const fraction = (x: number | null, key: string) => (x === null ? null : parseDecimal(String(x), `risk.${key}`));
    this.money = {
      maxCapitalUsage: fraction(config.maxCapitalUsage, 'maxCapitalUsage'),
      maxDrawdownFraction: fraction(config.maxDrawdownFraction, 'maxDrawdownFraction'),
      maxDailyLoss: config.maxDailyLoss === null ? null : parseDecimal(config.maxDailyLoss, 'risk.maxDailyLoss'),
      maxDailyLossFraction: fraction(config.maxDailyLossFraction, 'maxDailyLossFraction'),
    };
  }

  get state(): TradingState {
    return this.machine.state;
  }

  status(): RiskStatus {
    return { state: this.machine.state, sinceUs: this.machine.stateSinceUs, cause: this.machine.cause(), holds: this.machine.holds() };
  }

  /** Manual kill switch: HALTED until `reset`. */
  kill(tsUs: number, message = 'manual kill switch'): void {
    this.advanceTime(tsUs);
    this.publish(this.machine.kill(tsUs, message));
  }

  /** Operator reset: lifts the kill switch and latched equity stops; a volatility halt runs on. */
  reset(tsUs: number, message = 'manual reset'): void {
    this.advanceTime(tsUs);
    this.lastEquity = null; // re-evaluate the equity stops at the next update
    this.publish(this.machine.reset(tsUs, message));
  }

  /**
   * The venue throttled us until `banUntilUs` (HTTP 429/418): REDUCING from now until the ban's end
   * plus `throttleCooldownUs` (a later throttle extends it); the hold lifts at the first `update`
   * at or after that time.
   */
  throttle(tsUs: number, banUntilUs: number, message: string): void {
    this.advanceTime(tsUs);
    this.publish(this.machine.tripThrottle(tsUs, Math.max(tsUs, banUntilUs) + this.config.throttleCooldownUs, message));
  }

  /** When the throttle hold lifts, µs; Infinity without one. */
  throttleHoldUntilUs(): number {
    return this.machine.hold('throttle')?.untilUs ?? Number.POSITIVE_INFINITY;
  }

  /** The OMS calls this for each order it sends (new or modify; a batch as 5 / 1). */
  recordOrderSent(tsUs: number, weight10s = 1, weight1m = weight10s): void {
    this.rate.recordOrderSent(tsUs, weight10s, weight1m);
  }

  rateUsage(tsUs: number): RateWindowUsage[] {
    return this.rate.usage(tsUs);
  }

  /** Evaluates the volatility breaker and the equity stops at `ctx.tsUs`; returns the state. */
  update(ctx: RiskContext): TradingState {
    if (ctx.instrument.symbol !== this.symbol) throw new InvariantError(`risk engine for ${this.symbol} given a context of ${ctx.instrument.symbol}`);
    this.advanceTime(ctx.tsUs);
    this.updateVolatility(ctx);
    this.updateEquityStops(ctx);
    const th = this.machine.hold('throttle');
    if (th && ctx.tsUs >= (th.untilUs ?? ctx.tsUs)) this.publish(this.machine.clearThrottle(ctx.tsUs));
    return this.machine.state;
  }

  check(intent: Intent, ctx: RiskContext): RiskDecision {
    if (intent.symbol !== this.symbol) throw new InvariantError(`risk engine for ${this.symbol} given an intent for ${intent.symbol}`);
    const state = this.update(ctx);

    if (intent.cancelAll && intent.quotes.length > 0) {
      return this.deny(ctx, 'FILTER', `cancelAll intent carries ${intent.quotes.length} quotes (must be empty)`, true);
    }
    if (state === 'HALTED') {
      if (intent.quotes.length === 0 && !intent.flatten) return this.approve(ctx, intent, intent.quotes, []);
      const cause = this.machine.cause();
      const why = cause ? `${cause.code}: ${cause.message}` : 'halted';
      return this.deny(ctx, cause?.code ?? 'HALTED', `trading is HALTED (${why}); only cancels pass`, true);
    }
    if (intent.quotes.length === 0) return this.approve(ctx, intent, intent.quotes, []);

    const bid = ctx.bestBidTicks;
    const ask = ctx.bestAskTicks;
    if (ctx.accountInSync === false) return this.deny(ctx, 'ACCOUNT_UNSYNCED', 'the venue user-data stream is down or not yet reconciled (fills would go unseen); no quoting', true);
    if (!ctx.bookValid) return this.deny(ctx, 'BOOK_INVALID', 'book is out of sync with the exchange; no quoting', true);
    if (!(bid > 0 && ask > 0 && bid < ask)) return this.deny(ctx, 'BOOK_INVALID', `book has no usable touch (bid ${bid}, ask ${ask}); no quoting`, true);
    const maxAge = this.config.maxBookAgeUs;
    if (maxAge !== null && ctx.tsUs - ctx.lastBookUpdateUs > maxAge) {
      return this.deny(ctx, 'STALE_DATA', `last book update is ${ctx.tsUs - ctx.lastBookUpdateUs} µs old (max ${maxAge} µs); no quoting`, true);
    }
    const trims: RiskTrim[] = [];
    const kept = this.sizeQuotes(intent.quotes, ctx, state, trims);
    return this.approve(ctx, intent, kept, trims);
  }

  // ---- per-quote rules ------------------------------------------------------------------------

  private sizeQuotes(quotes: readonly Quote[], ctx: RiskContext, state: TradingState, trims: RiskTrim[]): Quote[] {
    const inst = ctx.instrument;
    const limits = this.limitsFor(inst);
    const cfg = this.config;
    const pos = ctx.positionLots;
    const mid2 = ctx.bestBidTicks + ctx.bestAskTicks;
    const refTicks = ctx.markPriceTicks > 0 ? ctx.markPriceTicks : Math.ceil(mid2 / 2);
    const reduceOnly: RiskReasonCode | null = state === 'REDUCING' ? 'REDUCING_ONLY' : this.capitalUsageExceeded(ctx) ? 'CAPITAL_USAGE' : null;
    const posLotsByNotional = Math.floor(limits.maxPositionTickLots / refTicks);
    let maxBuyTicks = Number.POSITIVE_INFINITY;
    let minSellTicks = 0;
    if (limits.percentPrice) {
      const { upUnits, downUnits, unit } = limits.percentPrice;
      maxBuyTicks = Math.floor((refTicks * upUnits) / unit);
      minSellTicks = Math.ceil((refTicks * downUnits) / unit);
    }
    let openBuy = 0;
    let openSell = 0;
    if (!Number.isSafeInteger(pos)) throw new InvariantError(`risk check: positionLots must be an integer, got ${pos}`);
    for (const o of ctx.openOrders) {
      if (!(Number.isSafeInteger(o.remainingLots) && o.remainingLots >= 0)) throw new InvariantError(`risk check: open order remainingLots must be a non-negative integer, got ${o.remainingLots}`);
      if (o.side === 'buy') openBuy += o.remainingLots;
      else openSell += o.remainingLots;
    }
    let approvedBuy = 0;
    let approvedSell = 0;
    let keptCount = 0;
    let budget = this.rate.remaining(ctx.tsUs);

    // Keepable open orders (see OpenOrderView.keepable) that a quote keeps unchanged are one resting
    // order with that quote: counted once, as an approved quote, not also as open.
    let claimed: Uint8Array | null = null;
    // Quotes are taken nearest-first: by level, ties in input order. Strategies emit them in that
    // order already; only an out-of-order input pays for the sort.
    const n = quotes.length;
    let order: number[] | null = null;
    for (let i = 1; i < n; i++) {
      if (quotes[i - 1].level > quotes[i].level) {
        order = quotes.map((_, j) => j).sort((a, b) => quotes[a].level - quotes[b].level || a - b);
        break;
      }
    }
    if (this.keptLots.length < n) this.keptLots = new Float64Array(2 * n);
    const keptLots = this.keptLots; // lots are safe integers: exact in a Float64Array
    for (let i = 0; i < n; i++) keptLots[i] = 0; // a loop, not fill(): a runtime call per decision for a handful of slots
    for (let k = 0; k < n; k++) {
      const i = order === null ? k : order[k];
      const q = quotes[i];
      const p = q.priceTicks;
      const isBuy = q.side === 'buy';
      if (!(Number.isSafeInteger(p) && p > 0 && Number.isSafeInteger(q.qtyLots) && q.qtyLots > 0 && (isBuy || q.side === 'sell'))) {
        trims.push({ quote: q, keptLots: 0, reason: { code: 'FILTER', message: `malformed quote (${q.side} ${q.qtyLots} lots @ ${p} ticks)` } });
        continue;
      }
      const sameOpen = isBuy ? openBuy : openSell;
      const sameApproved = isBuy ? approvedBuy : approvedSell;
      const keeper = keepableMatch(ctx, q, claimed);
      let lots: number;
      if (keeper >= 0) {
        const asKept = this.scratchTrims; // discarded: a quote kept whole had no trim
        if (asKept.length !== 0) asKept.length = 0;
        lots = this.sizeOne(q, sameOpen - q.qtyLots, sameApproved, keptCount, reduceOnly, limits, refTicks, mid2, maxBuyTicks, minSellTicks, pos, posLotsByNotional, asKept);
        if (lots === q.qtyLots) {
          claimed ??= this.claimedScratch(ctx.openOrders.length);
          claimed[keeper] = 1;
          if (isBuy) openBuy -= lots;
          else openSell -= lots;
        } else {
          lots = this.sizeOne(q, sameOpen, sameApproved, keptCount, reduceOnly, limits, refTicks, mid2, maxBuyTicks, minSellTicks, pos, posLotsByNotional, trims);
        }
      } else {
        lots = this.sizeOne(q, sameOpen, sameApproved, keptCount, reduceOnly, limits, refTicks, mid2, maxBuyTicks, minSellTicks, pos, posLotsByNotional, trims);
      }
      if (lots > 0 && !matchesOpenOrder(ctx, q.side, p, lots)) {
        if (budget <= 0) {
          trims.push({ quote: q, keptLots: 0, reason: { code: 'ORDER_RATE', message: 'order-rate budget exhausted (sliding 1 s / 10 s / 1 min windows)' } });
          lots = 0;
        } else budget--;
      }
      if (lots > 0) {
        keptLots[i] = lots;
        keptCount++;
        if (isBuy) approvedBuy += lots;
        else approvedSell += lots;
      }
    }
    const out: Quote[] = [];
    for (let i = 0; i < n; i++) {
      const q = quotes[i];
      const lots = keptLots[i];
      if (lots > 0) out.push(lots === q.qtyLots ? q : { ...q, qtyLots: lots });
    }
    return out;
  }

  /**
   * The per-quote rules of one well-formed quote, given the same-side open lots counted against it
   * and the lots approved so far; returns the lots kept and appends a trim per shrink.
   */
  private sizeOne(
    q: Quote,
    sameOpen: number,
    sameApproved: number,
    keptCount: number,
    reduceOnly: RiskReasonCode | null,
    limits: InstrumentLimits,
    refTicks: number,
    mid2: number,
    maxBuyTicks: number,
    minSellTicks: number,
    pos: number,
    posLotsByNotional: number,
    trims: RiskTrim[],
  ): number {
    const inst = this.cachedInstrument as Instrument;
    const cfg = this.config;
    const p = q.priceTicks;
    const isBuy = q.side === 'buy';
    let lots = q.qtyLots;
    // Each rule cuts `lots` to its room through `cut`, which records the trim; messages are built
    // only when the rule actually cuts (this runs for every quote of every decision).
    if (p < inst.minPriceTicks || (inst.maxPriceTicks > 0 && p > inst.maxPriceTicks)) {
      lots = cut(trims, q, lots, 0, 'FILTER', `price ${p} ticks outside PRICE_FILTER [${inst.minPriceTicks}, ${inst.maxPriceTicks}]`);
    }
    const bps = cfg.maxDistanceFromMidBps;
    if (lots > 0 && bps !== null && Math.abs(2 * p - mid2) * 10_000 > bps * mid2) {
      lots = cut(trims, q, lots, 0, 'PRICE_BAND', `price ${p} ticks is more than ${bps} bps from mid ${mid2 / 2}`);
    }
    if (lots > 0 && (isBuy ? p > maxBuyTicks : p < minSellTicks)) {
      lots = cut(trims, q, lots, 0, 'PERCENT_PRICE', `${q.side} at ${p} ticks is outside PERCENT_PRICE vs mark ${refTicks} (${isBuy ? `max ${maxBuyTicks}` : `min ${minSellTicks}`})`);
    }
    if (lots > 0 && keptCount >= limits.maxOpenOrders) lots = cut(trims, q, lots, 0, 'MAX_OPEN_ORDERS', `already ${keptCount} quotes (max ${limits.maxOpenOrders})`);
    if (lots > 0 && reduceOnly !== null) {
      const reducesPosition = isBuy ? pos < 0 : pos > 0;
      const room = reducesPosition ? Math.abs(pos) - sameOpen - sameApproved : 0;
      if (cuts(lots, room)) {
        const why = reduceOnly === 'REDUCING_ONLY' ? 'state is REDUCING' : 'capital usage limit reached';
        lots = cut(trims, q, lots, room, reduceOnly, `${why}: ${q.side} may only reduce position ${pos} (open ${sameOpen}, approved ${sameApproved})`);
      }
    }
    if (lots > 0 && lots * p > limits.maxOrderTickLots) {
      lots = cut(trims, q, lots, Math.floor(limits.maxOrderTickLots / p), 'MAX_ORDER_NOTIONAL', `order notional over ${cfg.maxOrderNotional}`);
    }
    if (lots > 0 && inst.maxQtyLots > 0 && lots > inst.maxQtyLots) lots = cut(trims, q, lots, inst.maxQtyLots, 'FILTER', `quantity over LOT_SIZE maxQty (${inst.maxQtyLots} lots)`);
    const signedPos = isBuy ? pos : -pos;
    if (lots > 0) {
      const room = cfg.maxPositionLots - signedPos - sameOpen - sameApproved;
      if (cuts(lots, room)) {
        lots = cut(trims, q, lots, room, 'MAX_POSITION', `worst-case ${q.side} position ${signedPos} + open ${sameOpen} + approved ${sameApproved} + ${lots} over ${cfg.maxPositionLots} lots`);
      }
    }
    if (lots > 0 && posLotsByNotional !== Number.POSITIVE_INFINITY) {
      const room = posLotsByNotional - signedPos - sameOpen - sameApproved;
      if (cuts(lots, room)) {
        lots = cut(trims, q, lots, room, 'MAX_POSITION_NOTIONAL', `worst-case ${q.side} position over ${cfg.maxPositionNotional} at ${refTicks} ticks (${posLotsByNotional} lots)`);
      }
    }
    if (lots > 0 && (lots < inst.minQtyLots || lots * p < inst.minNotionalTickLots)) {
      lots = cut(trims, q, lots, 0, 'FILTER', `${lots} lots @ ${p} ticks is below LOT_SIZE minQty or MIN_NOTIONAL`);
    }
    return lots;
  }

  /** Zeroed "claimed" flags for `n` open orders (scratch reused across checks). */
  private claimedScratch(n: number): Uint8Array {
    if (this.claimed.length < n) this.claimed = new Uint8Array(2 * n);
    const c = this.claimed;
    for (let i = 0; i < n; i++) c[i] = 0;
    return c;
  }

  private capitalUsageExceeded(ctx: RiskContext): boolean {
    const max = this.money.maxCapitalUsage;
    if (max === null) return false;
    // Equity moves on fills and marks, the margin in use when our orders move: each string is
    // parsed only when it changed, the other's parse kept.
    const memo = this.lastCapital;
    if (memo.equity !== ctx.equity) {
      const equity = parseMoney(ctx.equity, 'ctx.equity');
      memo.equity = ctx.equity;
      memo.positive = equity.units > 0n;
      memo.cap = mulScaled(equity, max);
      memo.marginUsed = null;
    }
    if (memo.marginUsed !== ctx.marginUsed) {
      memo.exceeded = !memo.positive || compareScaled(parseMoney(ctx.marginUsed, 'ctx.marginUsed'), memo.cap) >= 0;
      memo.marginUsed = ctx.marginUsed;
    }
    return memo.exceeded;
  }

  // ---- state updates --------------------------------------------------------------------------

  private updateVolatility(ctx: RiskContext): void {
    const v = this.config.volatility;
    const ts = ctx.tsUs;
    const bid = ctx.bestBidTicks;
    const ask = ctx.bestAskTicks;
    if (ctx.bookValid && bid > 0 && ask > 0 && bid < ask) this.mids.observe(ts, bid, ask);
    let breach: string | null = null;
    let jump = false;
    const sigma = ctx.sigmaTicksPerSqrtS;
    if (v.maxSigmaTicksPerSqrtS !== null && sigma > v.maxSigmaTicksPerSqrtS) {
      breach = `σ ${sigma} ticks/√s over ${v.maxSigmaTicksPerSqrtS}`;
    } else if (v.maxMidJumpTicks !== null || v.maxMidJumpBps !== null) {
      const r = this.mids.range(ts);
      if (r && v.maxMidJumpTicks !== null && r.rangeTicks > v.maxMidJumpTicks) breach = `mid moved ${r.rangeTicks} ticks within ${v.jumpWindowUs} µs (max ${v.maxMidJumpTicks})`;
      else if (r && v.maxMidJumpBps !== null && r.rangeBps > v.maxMidJumpBps) breach = `mid moved ${r.rangeBps.toFixed(2)} bps within ${v.jumpWindowUs} µs (max ${v.maxMidJumpBps})`;
      jump = breach !== null;
    }
    if (breach !== null) {
      // A jump stays in the window after it tripped the breaker; forget it so the cooldown counts
      // from the breach and only a new jump extends it.
      if (jump) this.mids.clear();
      this.publish(this.machine.tripVolatility(ts, ts + v.cooldownUs, breach));
      return;
    }
    const hold = this.machine.hold('volatility');
    if (hold && ts >= (hold.untilUs ?? ts)) this.publish(this.machine.clearVolatility(ts));
  }

  private updateEquityStops(ctx: RiskContext): void {
    const cfg = this.config;
    const lim = this.money;
    const needDrawdown = lim.maxDrawdownFraction !== null && !this.machine.hasHold('drawdown');
    const needDaily = (lim.maxDailyLoss !== null || lim.maxDailyLossFraction !== null) && !this.machine.hasHold('dailyLoss');
    if (!needDrawdown && !needDaily) return;
    const last = this.lastEquity;
    if (last && last.equity === ctx.equity && last.peakEquity === ctx.peakEquity && last.dayStartEquity === ctx.dayStartEquity) return;
    this.lastEquity = { equity: ctx.equity, peakEquity: ctx.peakEquity, dayStartEquity: ctx.dayStartEquity };
    const equity = parseMoney(ctx.equity, 'ctx.equity');
    if (needDrawdown) {
      const peak = parseMoney(ctx.peakEquity, 'ctx.peakEquity');
      const frac = lim.maxDrawdownFraction as ScaledDecimal;
      const drop = subScaled(peak, equity);
      if (peak.units <= 0n || compareScaled(drop, mulScaled(peak, frac)) >= 0) {
        const msg = peak.units <= 0n ? `peak equity ${ctx.peakEquity} is not positive` : `drawdown ${formatScaled(drop.units, drop.scale)} from peak ${ctx.peakEquity} reached ${cfg.maxDrawdownFraction} of peak`;
        this.publish(this.machine.tripStop('drawdown', cfg.stopState, ctx.tsUs, msg));
      }
    }
    if (needDaily) {
      const dayStart = parseMoney(ctx.dayStartEquity, 'ctx.dayStartEquity');
      const loss = subScaled(dayStart, equity);
      let msg: string | null = null;
      if (lim.maxDailyLoss !== null && compareScaled(loss, lim.maxDailyLoss) >= 0) msg = `daily loss ${formatScaled(loss.units, loss.scale)} reached ${cfg.maxDailyLoss}`;
      else if (lim.maxDailyLossFraction !== null && (dayStart.units <= 0n || compareScaled(loss, mulScaled(dayStart, lim.maxDailyLossFraction)) >= 0)) {
        msg = `daily loss ${formatScaled(loss.units, loss.scale)} reached ${cfg.maxDailyLossFraction} of day-start equity ${ctx.dayStartEquity}`;
      }
      if (msg !== null) this.publish(this.machine.tripStop('dailyLoss', cfg.stopState, ctx.tsUs, msg));
    }
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private limitsFor(inst: Instrument): InstrumentLimits {
    if (this.cachedInstrument !== inst || this.cachedLimits === null) {
      this.cachedLimits = instrumentLimits(this.config, inst);
      this.cachedInstrument = inst;
    }
    return this.cachedLimits;
  }

  private advanceTime(tsUs: number): void {
    if (!(Number.isSafeInteger(tsUs) && tsUs >= this.lastUs)) this.badTime(tsUs);
    this.lastUs = tsUs;
  }

  /** Off the per-decision path: the messages (and their template code) stay out of `advanceTime`. */
  private badTime(tsUs: number): never {
    if (!Number.isSafeInteger(tsUs)) throw new InvariantError(`risk engine: time must be integer µs, got ${tsUs}`);
    throw new InvariantError(`risk engine: time went backwards (${tsUs} < ${this.lastUs})`);
  }

  private approve(ctx: RiskContext, intent: Intent, quotes: readonly Quote[], trims: RiskTrim[]): RiskDecision {
    const state = this.machine.state;
    if (trims.length > 0 && this.bus?.hasListeners('risk.trimmed')) {
      this.bus.emit('risk.trimmed', { symbol: this.symbol, tsUs: ctx.tsUs, trims, state });
    }
    const approved: Intent = trims.length === 0 ? intent : plainIntent(intent, quotes);
    return { approved: true, intent: approved, trims, state };
  }

  private deny(ctx: RiskContext, code: RiskReasonCode, message: string, cancelAll: boolean): RiskDecision {
    const reason: RiskReason = { code, message };
    const state = this.machine.state;
    if (this.bus?.hasListeners('risk.denied')) this.bus.emit('risk.denied', { symbol: this.symbol, tsUs: ctx.tsUs, reason, state, cancelAll });
    return { approved: false, reason, state, cancelAll };
  }

  private publish(t: StateTransition | null): void {
    if (t !== null && this.bus) this.bus.emit('risk.stateChanged', { symbol: this.symbol, ...t });
  }
}

/** A rule with room `to` lots would shrink a quote of `lots` (room below 0 counts as 0): `cut` would record a trim. */
function cuts(lots: number, to: number): boolean {
  return !(Math.max(0, to) >= lots);
}

/** Shrinks a quote of `lots` to its room `to` (at least 0), recording the trim; returns the lots kept. */
function cut(trims: RiskTrim[], q: Quote, lots: number, to: number, code: RiskReasonCode, message: string): number {
  const next = Math.max(0, to);
  if (next >= lots) return lots;
  trims.push({ quote: q, keptLots: next, reason: { code, message } });
  return next;
}

/** Index of an unclaimed keepable open order with exactly the quote's side, price and lots; -1 if none. */
function keepableMatch(ctx: RiskContext, q: Quote, claimed: Uint8Array | null): number {
  const orders = ctx.openOrders;
  for (let j = 0; j < orders.length; j++) {
    const o = orders[j];
    if (o.keepable === true && o.side === q.side && o.priceTicks === q.priceTicks && o.remainingLots === q.qtyLots && (claimed === null || claimed[j] === 0)) return j;
  }
  return -1;
}

function matchesOpenOrder(ctx: RiskContext, side: string, priceTicks: number, lots: number): boolean {
  for (const o of ctx.openOrders) if (o.side === side && o.priceTicks === priceTicks && o.remainingLots === lots) return true;
  return false;
}

/** A money string of the context, exactly; a malformed one is the caller's input error, named by its field. */
function parseMoney(s: string, field: string): ScaledDecimal {
  try {
    return parseDecimal(s, field);
  } catch (e) {
    throw new InputError(`expected a decimal string, got ${JSON.stringify(s)}`, { field }, 'E_INPUT', e);
  }
}
