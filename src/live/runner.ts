/**
 * The live driver's loop (issue 12): the same shape as the backtest engine's, on the wall clock.
 * Every input (a market event, a venue event, a timer, an operator's pause / resume) is, in this order:
 *   1. stamped: the core's clock is moved to max(its time, the wall clock) (never backwards);
 *   2. journalled with that time;
 *   3. given to the trader (`TraderPort`);
 *   4. the trader's commands are journalled, the journal is written (a sent command is always in
 *      it), and each command is sent to the venue;
 *   5. one timer is re-armed at the trader's `nextTimerUs()`.
 * Inputs that arrive while one is being handled (a venue answering synchronously) are queued and
 * handled next, in arrival order, so the journal order is the order the trader saw.
 *
 * Because the trader reads time only from the clock given here and every input is journalled with
 * that clock, `replayJournal` (replay.ts) reproduces every decision and command bit for bit.
 *
 * Stopping has two steps. `drain(reason)` (the session's shutdown begins) journals an `S` record and
 * ends the decisions (`trader.stopDeciding()`; the replay calls it at the `S` record too): market
 * events, timers and operator inputs are dropped from then on, but venue events (fills racing the
 * shutdown's cancels, replies to requests in flight, the final trade read-back) are still
 * journalled and given to the trader, so its ledger and positions stay the venue's. A command the
 * trader still gives is not sent (counted in `stats.droppedAtStop`; the replay would show it as a
 * difference). `stop()` then drops everything.
 */
import type { SimClock } from '../core/clock.ts';
import type { MarketEvent } from '../model/events.ts';
import type { Venue, VenueCommand, VenueEvent } from '../model/venue.ts';
import type { TraderPort } from '../trader/index.ts';
import type { Timers } from '../adapter/binance/index.ts';
import { commandText, type LiveJournal, type OperatorInput } from './journal.ts';

export interface LiveRunnerOptions {
  readonly trader: RunnerTrader;
  /** The trader's clock (the runner moves it). */
  readonly clock: SimClock;
  /** The wall clock, µs. */
  readonly wallUs: () => number;
  readonly venue: Venue;
  readonly journal: LiveJournal;
  readonly timers: Timers;
  /** Journal fdatasync interval, ms (default 1000; records are written to the OS before every send regardless). */
  readonly syncMs?: number;
  /** Told of every command sent (dashboard, logs). */
  readonly onCommand?: (c: VenueCommand, tUs: number) => void;
  /** An error the loop cannot go on after (the journal cannot be written, a bug in the trader): the session stops. */
  readonly onFatal: (e: Error) => void;
  /** Monotonic time for latency figures, ms (default performance.now). */
  readonly monoMs?: () => number;
  /** Told of every latency sample (input handed to the runner → its last command sent), ms: the dashboard's histogram. */
  readonly onLatency?: (kind: 'tickToOrder' | 'reportToCommand', ms: number) => void;
}

/** The trader as the runner drives it: the port, plus the operator's pause (`TradingCore.setPaused`). */
export interface RunnerTrader extends TraderPort {
  setPaused?(symbol: string, paused: boolean, reason?: string): boolean;
  /** The shutdown began (`drain`): book venue events, decide nothing (`TradingCore.stopDeciding`). */
  stopDeciding?(): void;
}

type Input =
  | { readonly k: 'M'; readonly e: MarketEvent; readonly atMs: number }
  | { readonly k: 'V'; readonly e: VenueEvent; readonly atMs: number }
  | { readonly k: 'T'; readonly atMs: number }
  | { readonly k: 'O'; readonly e: OperatorInput; readonly atMs: number };

export interface RunnerStats {
  marketEvents: number;
  venueEvents: number;
  timers: number;
  /** Operator inputs (pause / resume). */
  operator: number;
  commands: number;
  /** Commands by kind. */
  sent: Record<VenueCommand['kind'], number>;
  /** Commands the trader gave after `drain()` (none from a `TradingCore`, which stops deciding): dropped, never sent. */
  droppedAtStop: number;
}

/** Bounded latency samples (the last `cap`), ms. */
export class LatencySamples {
  private readonly buf: Float64Array;
  private n = 0;
  count = 0;
  constructor(private readonly cap = 100_000) {
    this.buf = new Float64Array(cap);
  }
  add(ms: number): void {
    this.buf[this.n % this.cap] = ms;
    this.n++;
    this.count++;
  }
  /** p50, p99 and max of the samples kept, ms; null without samples. */
  summary(): { n: number; p50: number; p99: number; max: number } | null {
    const k = Math.min(this.n, this.cap);
    if (k === 0) return null;
    const s = Array.from(this.buf.subarray(0, k)).sort((a, b) => a - b);
    const q = (p: number): number => s[Math.min(k - 1, Math.floor(p * k))];
    return { n: this.count, p50: q(0.5), p99: q(0.99), max: s[k - 1] };
  }
}

export class LiveRunner {
  readonly stats: RunnerStats = { marketEvents: 0, venueEvents: 0, timers: 0, operator: 0, commands: 0, sent: { submit: 0, cancel: 0, modify: 0, query: 0 }, droppedAtStop: 0 };
  /** Input handed to the runner → last command of its answer handed to the venue, ms (market inputs and venue inputs apart). */
  readonly tickToOrder = new LatencySamples();
  readonly reportToCommand = new LatencySamples();
  private readonly o: LiveRunnerOptions;
  private readonly mono: () => number;
  private queue: Input[] = [];
  private busy = false;
  private running = false;
  /** After `drain()`: only venue events are taken, and no command is sent. */
  private draining = false;
  private timer: unknown;
  private timerAtUs = Infinity;
  private syncTimer: unknown;

  constructor(o: LiveRunnerOptions) {
    this.o = o;
    this.mono = o.monoMs ?? (() => performance.now());
  }

  /** Starts taking inputs (arms the trader's timer and the journal sync). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.armSync();
    this.rearm();
  }

  /**
   * The shutdown begins: no more decisions (`trader.stopDeciding()`). Journals `S` with `reason`;
   * from now on market events, timers and operator inputs are dropped, venue events are still
   * journalled and given to the trader, and any command it still gives is dropped, not sent
   * (counted in `stats.droppedAtStop`). Inputs already queued that are not venue events are
   * dropped too. Idempotent; no-op when not running.
   */
  drain(reason: string): void {
    if (!this.running || this.draining) return;
    this.draining = true;
    this.o.trader.stopDeciding?.();
    this.queue = this.queue.filter((i) => i.k === 'V');
    if (this.timer !== undefined) this.o.timers.cancel(this.timer);
    this.timer = undefined;
    this.timerAtUs = Infinity;
    const t = Math.max(this.o.clock.nowUs(), this.o.wallUs());
    this.o.clock.advanceTo(t);
    try {
      this.o.journal.stopping(t, reason);
      this.o.journal.write();
    } catch (e) {
      this.fatal(e);
    }
  }

  /** Stops taking inputs: later inputs are dropped (not journalled, not given to the trader); timers are cleared. */
  stop(): void {
    this.running = false;
    this.queue = [];
    if (this.timer !== undefined) this.o.timers.cancel(this.timer);
    if (this.syncTimer !== undefined) this.o.timers.cancel(this.syncTimer);
    this.timer = undefined;
    this.syncTimer = undefined;
    this.timerAtUs = Infinity;
  }

  /** Running and not draining: still deciding. */
  get isRunning(): boolean {
    return this.running && !this.draining;
  }

  market(e: MarketEvent): void {
    this.push({ k: 'M', e, atMs: this.mono() });
  }

  venueEvent(e: VenueEvent): void {
    this.push({ k: 'V', e, atMs: this.mono() });
  }

  /**
   * An operator's pause or resume of a symbol: journalled and given to the trader like any input
   * (in arrival order). Returns false when the runner is stopped or the trader cannot pause.
   */
  operator(e: OperatorInput): boolean {
    if (!this.running || this.o.trader.setPaused === undefined) return false;
    this.push({ k: 'O', e, atMs: this.mono() });
    return true;
  }

  private push(i: Input): void {
    if (!this.running || (this.draining && i.k !== 'V')) return;
    this.queue.push(i);
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length > 0 && this.running) this.handle(this.queue.shift()!);
      if (this.running && !this.draining) this.rearm();
    } catch (e) {
      this.fatal(e);
    } finally {
      this.busy = false;
    }
  }

  private handle(i: Input): void {
    const { trader, journal, clock } = this.o;
    const t = Math.max(clock.nowUs(), this.o.wallUs());
    clock.advanceTo(t);
    switch (i.k) {
      case 'M':
        this.stats.marketEvents++;
        journal.market(t, i.e);
        trader.onMarketEvent(i.e);
        break;
      case 'V':
        this.stats.venueEvents++;
        journal.venue(t, i.e);
        trader.onVenueEvent(i.e);
        break;
      case 'T':
        this.stats.timers++;
        journal.timer(t);
        trader.onTimer(t);
        break;
      case 'O':
        this.stats.operator++;
        journal.operator(t, i.e);
        trader.setPaused!(i.e.symbol, i.e.action === 'pause', i.e.reason);
        break;
    }
    const cmds = trader.drainCommands();
    if (cmds.length === 0) return;
    if (this.draining) {
      this.stats.droppedAtStop += cmds.length;
      return;
    }
    const texts = cmds.map(commandText);
    for (const text of texts) journal.command(t, text);
    journal.write();
    for (const c of cmds) {
      this.stats.commands++;
      this.stats.sent[c.kind]++;
      this.o.venue.send(c, t);
      this.o.onCommand?.(c, t);
    }
    const dt = this.mono() - i.atMs;
    if (i.k === 'M') {
      this.tickToOrder.add(dt);
      this.o.onLatency?.('tickToOrder', dt);
    } else if (i.k === 'V') {
      this.reportToCommand.add(dt);
      this.o.onLatency?.('reportToCommand', dt);
    }
  }

  /** One timer at the trader's next wanted time (re-armed after every input). */
  private rearm(): void {
    const next = this.o.trader.nextTimerUs();
    if (next === this.timerAtUs) return;
    if (this.timer !== undefined) this.o.timers.cancel(this.timer);
    this.timer = undefined;
    this.timerAtUs = next;
    if (!Number.isFinite(next)) return;
    const ms = Math.max(0, Math.ceil((next - this.o.wallUs()) / 1000));
    this.timer = this.o.timers.after(ms, () => {
      this.timer = undefined;
      this.timerAtUs = Infinity;
      this.push({ k: 'T', atMs: this.mono() });
    });
  }

  private armSync(): void {
    this.syncTimer = this.o.timers.after(this.o.syncMs ?? 1000, () => {
      if (!this.running) return;
      try {
        this.o.journal.sync();
      } catch (e) {
        this.fatal(e);
        return;
      }
      this.armSync();
    });
  }

  private fatal(e: unknown): void {
    this.stop();
    this.o.onFatal(e instanceof Error ? e : new Error(String(e)));
  }
}
