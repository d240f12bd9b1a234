/**
 * One `maker live` session, from keys to exit code (issue 12):
 *
 *   1. keys from the environment or a 0600 file (never logged; errors name the variable, not the value);
 *   2. the venue's instruments (`GET /fapi/v1/exchangeInfo`) and server time;
 *   3. start-up reconciliation (scenario `live.reconcile`): the venue's open orders and positions of
 *      the traded symbols are read; open orders are adopted, cancelled (and the cancel confirmed by
 *      query) or refused (exit 4); a position is adopted or refused (exit 4);
 *   4. the run directory (`<out>/<run id>/`: scenario.yaml, journal.log, summary.json) and the
 *      journal header;
 *   5. the trading core, the runner, the REST gateway and the user-data stream; the first account
 *      snapshot is given to the core BEFORE the market feed starts, so nothing is quoted before the
 *      core knows the account;
 *   6. the market feed; the core quotes once its books are valid;
 *   7. shutdown (a signal, the kill file, `--duration`, or a fatal error): order entry stops (the
 *      gateway writes nothing more, not even a re-send after -1021: such a command is "not sent");
 *      no more decisions; requests in flight settle (bounded); every open order of the traded symbols is cancelled with
 *      `DELETE /fapi/v1/allOpenOrders` (works with every stream down), positions are optionally
 *      flattened with reduce-only MARKET orders, and both are confirmed by query, retried until
 *      `live.shutdown.confirmTimeoutS`. Until the journal closes, venue events are still journalled
 *      and booked (runner `drain`: fills racing the cancels are not lost), and once the cancels are
 *      confirmed the trades since the last one seen are read back from userTrades, so every fill of
 *      the session is in the journal. The exit code says whether everything was confirmed.
 *
 * Exit codes: 0 stopped and confirmed (no open order left; flat when flattening; every fill read
 * back); 3 stopped but NOT confirmed (orders may still rest on the venue, or the final userTrades
 * read-back failed so the journal may miss the last fills: check them); 4 refused to start (start-up
 * reconciliation policy `halt`); 1 a fatal error during the session (the shutdown still ran; its
 * confirmation is in summary.json; e.g. the ws-fapi order entry gave up reconnecting, `WS_API_MAX_ATTEMPTS`);
 * 2 bad configuration (keys, scenario, venue unreachable at start, the ws-fapi connection not open
 * within `WS_API_START_TIMEOUT_MS`).
 *
 * The session is the sequence; beside it: credentials.ts (step 1), venue-orders.ts (the venue's open
 * orders and positions and the confirmed cancel-all of steps 3 and 7), ws-order-entry.ts (the ws-fapi
 * gateway of step 5) and stream-health.ts (the streams' health the dashboard reads).
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BinanceGateway, BinanceRest, BinanceWsGateway, Signer, specsFromExchangeInfo, UserStream, type Credentials, type Throttle, type Timers } from '../adapter/binance/index.ts';
import { SimClock } from '../core/clock.ts';
import { ConfigError, MakerError } from '../core/errors.ts';
import type { MarketEvent } from '../model/events.ts';
import { Instrument } from '../model/instrument.ts';
import type { VenueEvent } from '../model/venue.ts';
import type { Scenario } from '../scenario/index.ts';
import type { TradingCore } from '../trader/index.ts';
import { JOURNAL_FILE, JOURNAL_VERSION, LiveJournal, type JournalHeader } from './journal.ts';
import { LiveRunner } from './runner.ts';
import { liveTrader, runTagOf, scenarioBalances } from './trader.ts';
import { LEASE_HELD_EXIT } from './lease.ts';
import { sleep } from './clock.ts';
import { StreamHealth, type SessionHealth } from './stream-health.ts';
import { cancelAllConfirmed, expectOk, venueOpenOrders, venuePositions, type CancelAllResult, type VenueAccount } from './venue-orders.ts';
import { openWsOrderEntry, wsOrderEntry } from './ws-order-entry.ts';

export const EXIT = { ok: 0, fatal: 1, config: 2, unconfirmed: 3, refused: 4, locked: LEASE_HELD_EXIT } as const;

/** The market feed as the session uses it (src/live/market-feed.ts). */
export interface FeedLike {
  start(): void;
  stop(): Promise<void>;
  readonly stats?: unknown;
}
export interface FeedFactoryOptions {
  readonly rest: string;
  readonly ws: string;
  readonly instruments: ReadonlyMap<string, Instrument>;
  readonly streams: { depth: 'depth' | 'depth@100ms' | 'depth@0ms' | 'none'; bookTicker: boolean; trade: boolean; aggTrade: boolean; markPrice: boolean };
  readonly clockUs: () => number;
  readonly onMarket: (e: MarketEvent) => void;
  readonly onStreamState: (e: Extract<VenueEvent, { kind: 'streamState' }>) => void;
  readonly log?: (line: string) => void;
  readonly stallMs?: number;
  readonly rotateAfterMs?: number;
}
export type FeedFactory = (o: FeedFactoryOptions) => FeedLike;

export interface SessionOptions {
  readonly scenario: Scenario;
  /** The scenario file's text and the overrides (journalled for the replay). */
  readonly scenarioText: string;
  readonly overrides: readonly string[];
  /** REST and stream bases (the scenario's, or `--venue`/`--paper`'s). */
  readonly rest: string;
  readonly ws: string;
  /** The WebSocket API URL (`live.orderEntry: ws`). */
  readonly wsApi: string;
  readonly credentials: Credentials;
  /** Parent of the run directory. */
  readonly out: string;
  readonly paper: boolean;
  readonly feed: FeedFactory;
  readonly wallUs: () => number;
  readonly timers: Timers;
  /** Progress lines (never a secret). */
  readonly log: (line: string) => void;
  /** Called with the trading core as soon as it exists, before any input (to subscribe to its bus: dashboards, tests). */
  readonly onTrader?: (core: TradingCore) => void;
  /** A known server-time offset (ms), e.g. 0 for an in-process exchange. */
  readonly serverOffsetMs?: number;
  /** The ws-fapi start timeout and give-up count (default `WS_API_START_TIMEOUT_MS`, `WS_API_MAX_ATTEMPTS`; tests shorten them). */
  readonly wsApiStartTimeoutMs?: number;
  readonly wsApiMaxAttempts?: number;
  /** Told of every tick-to-order / report-to-command latency sample, ms (the dashboard's histogram). */
  readonly onLatency?: (kind: 'tickToOrder' | 'reportToCommand', ms: number) => void;
}

/** What a dashboard reads of a running session (live objects: read, never write). */
export interface SessionView {
  readonly core: TradingCore;
  readonly runner: LiveRunner;
  readonly symbols: readonly string[];
  readonly instruments: ReadonlyMap<string, Instrument>;
  readonly health: Readonly<SessionHealth>;
  /** The REST client's counters and the shared rate budget's counts (used weight, order counts). */
  readonly rest: Readonly<Record<string, number>> | null;
  readonly userStream: unknown;
  readonly feed: unknown;
  readonly throttles: number;
  readonly runId: string;
  readonly startedUs: number;
  readonly stopping: boolean;
}

/** The shutdown's cancel-all (confirmed, open orders and positions left, requests, detail), why it ran, and the trades read back. */
export interface ShutdownResult extends CancelAllResult {
  readonly reason: string;
  /**
   * The final trade reconciliation (userTrades read back after the cancels were confirmed, so a
   * fill whose stream message had not arrived is still booked and journalled); null when no user
   * stream was started. Not ok: the journal may miss the session's last fills (exit 3).
   */
  readonly tradesReconciled: { readonly ok: boolean; readonly reports: number; readonly detail: string } | null;
}

export interface SessionSummary {
  readonly runId: string;
  readonly runDir: string;
  readonly venue: string;
  readonly paper: boolean;
  readonly startedUs: number;
  readonly endedUs: number;
  readonly exitCode: number;
  readonly shutdown: ShutdownResult;
  readonly runner: LiveRunner['stats'];
  readonly latencyMs: { tickToOrder: unknown; reportToCommand: unknown };
  readonly core: TradingCore['counters'];
  readonly positions: Record<string, number>;
  readonly throttles: number;
  /** The last 100 risk state changes of the session (core clock, µs), e.g. REDUCING after a 429/418 (`VENUE_THROTTLED`). */
  readonly riskChanges: { tsUs: number; symbol: string; from: string; to: string; code: string | null; message: string }[];
  /** `rest` or `ws`, and the ws-fapi connection's counters (connects, drops, requests, replies, timeouts) with `ws`. */
  readonly orderEntry: { kind: 'rest' | 'ws'; ws: unknown };
  /** The REST client's counters (requests, re-signed after -1021, time syncs, throttled). */
  readonly rest: unknown;
  readonly userStream: unknown;
  readonly feed: unknown;
  readonly journal: { file: string; records: number; bytes: number };
  readonly fatal: string | null;
}

/** A run id: UTC start time and the scenario name, safe as a directory name. */
export function runIdOf(startUs: number, name: string): string {
  const iso = new Date(Math.floor(startUs / 1000)).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const safe = name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'live';
  return `${iso}-live-${safe}`;
}

export class LiveSession {
  private readonly o: SessionOptions;
  private rest!: BinanceRest;
  private gateway!: BinanceGateway | BinanceWsGateway;
  private userStream!: UserStream;
  private feed: FeedLike | undefined;
  private runner!: LiveRunner;
  private core!: TradingCore;
  private journal!: LiveJournal;
  private instruments = new Map<string, Instrument>();
  private symbols: string[] = [];
  private runTag = '';
  private throttles = 0;
  /** The last 100 risk state changes (a throttle's REDUCING among them), for summary.json. */
  private readonly riskChanges: SessionSummary['riskChanges'][number][] = [];
  private stopping: Promise<SessionSummary> | undefined;
  private fatalError: Error | null = null;
  private killTimer: unknown;
  private startedUs = 0;
  /** The streams' health (stream-health.ts); `health` is its record. */
  private readonly streams: StreamHealth;
  readonly health: SessionHealth;
  private resolveDone!: (s: SessionSummary) => void;
  /** Resolves with the summary once the session has stopped (for any reason). */
  readonly done: Promise<SessionSummary>;
  runId = '';
  runDir = '';

  constructor(o: SessionOptions) {
    this.o = o;
    this.streams = new StreamHealth(o.wallUs, o.log);
    this.health = this.streams.health;
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  /**
   * Steps 1-6. Throws a `MakerError` (exit 2, or 4 for a refusal) when the session cannot start; the
   * venue is left as it was, except for orders the `cancel` policy cancelled.
   */
  async start(): Promise<void> {
    const { scenario: s, log } = this.o;
    const live = s.live;
    const wallClock = { nowUs: this.o.wallUs };
    this.startedUs = this.o.wallUs();
    const signer = new Signer(this.o.credentials);
    this.rest = new BinanceRest({
      baseUrl: this.o.rest,
      signer,
      clock: wallClock,
      timers: this.o.timers,
      serverOffsetMs: this.o.serverOffsetMs,
      onThrottle: (t: Throttle) => {
        this.throttles++;
        log(`throttled: ${t.reason} (HTTP ${t.httpStatus}, code ${t.code}); no request before ${new Date(Math.floor(t.untilUs / 1000)).toISOString()}`);
        // The core holds (no order, cancel or query) until the venue takes requests again. A
        // throttle during start-up or shutdown (no runner yet, or stopped) is the REST client's alone.
        if (t.untilUs > t.tsUs) this.runner?.venueEvent({ kind: 'throttled', tsUs: t.tsUs, untilUs: t.untilUs, httpStatus: t.httpStatus, reason: t.reason });
      },
    });
    const info = expectOk(await this.rest.request({ method: 'GET', path: '/fapi/v1/exchangeInfo', weight: 1 }), `GET ${this.o.rest}/fapi/v1/exchangeInfo`);
    const specs = specsFromExchangeInfo(info, `${this.o.rest}/fapi/v1/exchangeInfo`);
    for (const sym of s.data.symbols) {
      const spec = specs.find((x) => x.symbol === sym);
      if (spec === undefined) throw new ConfigError(`symbol ${sym} (data.symbols) is not traded on ${this.o.rest}`, { field: 'data.symbols' });
      this.instruments.set(sym, new Instrument(spec));
    }
    this.symbols = [...s.data.symbols];
    if (this.o.serverOffsetMs === undefined) expectOk(await this.rest.syncTime(), 'server time (GET /fapi/v1/time)');

    await this.reconcileAtStart();

    const baseId = runIdOf(this.startedUs, s.name || 'session');
    this.runId = baseId;
    for (let k = 2; existsSync(join(this.o.out, this.runId)); k++) this.runId = `${baseId}-${k}`;
    this.runDir = join(this.o.out, this.runId);
    try {
      mkdirSync(this.runDir, { recursive: true });
      writeFileSync(join(this.runDir, 'scenario.yaml'), this.o.scenarioText);
      if (s.file !== '' && existsSync(s.file)) copyFileSync(s.file, join(this.runDir, 'scenario.source.yaml'));
    } catch (e) {
      throw new MakerError('E_IO', `cannot create the run directory ${this.runDir}: ${(e as Error).message}`, { exitCode: 2 });
    }
    this.runTag = runTagOf(Math.floor(this.startedUs / 1000));
    const initialBalance = scenarioBalances(s);
    const header: JournalHeader = {
      version: JOURNAL_VERSION,
      runId: this.runId,
      scenarioText: this.o.scenarioText,
      scenarioFile: s.file,
      overrides: this.o.overrides,
      instruments: this.symbols.map((sym) => this.instruments.get(sym)!.spec),
      initialBalance,
      runTag: this.runTag,
      venue: this.o.rest,
      paper: this.o.paper,
    };
    this.journal = new LiveJournal(join(this.runDir, JOURNAL_FILE));
    const clock = new SimClock(this.startedUs);
    this.journal.header(this.startedUs, header);
    this.core = liveTrader(s, this.symbols.map((sym) => this.instruments.get(sym)!), clock, this.runTag, initialBalance);
    this.core.bus.on('risk.stateChanged', (e) => {
      const line = `risk ${e.symbol}: ${e.from} → ${e.to}${e.code !== null ? ` (${e.code})` : ''}: ${e.message}`;
      log(line);
      if (this.riskChanges.length >= 100) this.riskChanges.shift();
      this.riskChanges.push({ tsUs: e.tsUs, symbol: e.symbol, from: e.from, to: e.to, code: e.code, message: e.message });
    });
    this.o.onTrader?.(this.core);

    const onEvents = (): void => {
      for (const e of this.gateway.drainEvents()) {
        if (e.kind === 'streamState' && e.stream === 'orderEntry') this.streams.orderEntryChanged(e.up, e.reason);
        this.runner.venueEvent(e);
      }
    };
    if (live.orderEntry === 'ws') {
      const ws = wsOrderEntry({
        url: this.o.wsApi,
        signer,
        rest: this.rest,
        clock: wallClock,
        timers: this.o.timers,
        instruments: this.instruments,
        onEvents,
        rotateAfterMs: live.rotateAfterMs,
        maxAttempts: this.o.wsApiMaxAttempts,
        log,
        takeNote: () => this.streams.takeOrderEntryNote(),
        // Order entry gave up reconnecting. Once running, that is fatal (the shutdown cancels over
        // REST); during start() `openWsOrderEntry` says it.
        onFailed: (reason) => {
          if (this.runner !== undefined) this.fail(new Error(`order entry lost: the WebSocket API ${this.o.wsApi} ${reason}`));
        },
      });
      this.gateway = ws;
      await openWsOrderEntry(ws, this.o.wsApi, this.o.timers, this.o.wsApiStartTimeoutMs);
      this.streams.orderEntryOpened();
    } else this.gateway = new BinanceGateway({ rest: this.rest, instruments: this.instruments, onEvents });
    this.runner = new LiveRunner({
      trader: this.core,
      clock,
      wallUs: this.o.wallUs,
      venue: this.gateway,
      journal: this.journal,
      timers: this.o.timers,
      syncMs: live.syncMs,
      onLatency: this.o.onLatency,
      onFatal: (e) => this.fail(e),
    });
    this.runner.start();

    let firstSync!: () => void;
    const synced = new Promise<void>((r) => (firstSync = r));
    this.userStream = new UserStream({
      rest: this.rest,
      wsBase: this.o.ws,
      instruments: this.instruments,
      clock: wallClock,
      timers: this.o.timers,
      emit: (e) => {
        this.streams.userEvent(e);
        this.runner.venueEvent(e);
        if (e.kind === 'accountSync') firstSync();
      },
    });
    this.userStream.start();
    const syncTimeoutMs = 30_000;
    let syncTimer: unknown;
    const timedOut = await Promise.race([synced.then(() => false), new Promise<boolean>((r) => (syncTimer = this.o.timers.after(syncTimeoutMs, () => r(true))))]);
    this.o.timers.cancel(syncTimer);
    if (timedOut) {
      await this.stop('no account snapshot from the user-data stream within 30 s');
      throw new MakerError('E_CONFIG', `the user-data stream gave no account snapshot within 30 s (${this.o.ws}); see ${this.runDir}/summary.json`, { exitCode: 2 });
    }
    log(`account synced; starting the market feed for ${this.symbols.join(', ')}`);

    this.feed = this.o.feed({
      rest: this.o.rest,
      ws: this.o.ws,
      instruments: this.instruments,
      streams: { depth: live.depthStream, bookTicker: live.bookTicker, trade: live.trades, aggTrade: false, markPrice: live.markPrice },
      clockUs: this.o.wallUs,
      stallMs: live.stallTimeoutMs,
      rotateAfterMs: live.rotateAfterMs,
      onMarket: (e) => {
        this.streams.marketEvent(e);
        this.runner.market(e);
      },
      onStreamState: (e) => {
        this.streams.marketState(e);
        this.runner.venueEvent(e);
      },
      log,
    });
    this.feed.start();
    if (live.killFile !== null) this.watchKillFile(live.killFile);
  }

  /** The core's position in `symbol`, lots (tests compare it with the venue's). */
  positionLots(symbol: string): number {
    return this.core.portfolio.positionLots(symbol);
  }

  /** Core counters (for progress lines). */
  get counters(): TradingCore['counters'] {
    return this.core.counters;
  }

  get runnerStats(): LiveRunner['stats'] {
    return this.runner.stats;
  }

  /** What a dashboard reads (undefined before the trading core exists). */
  view(): SessionView | undefined {
    if (this.core === undefined || this.runner === undefined) return undefined;
    return {
      core: this.core,
      runner: this.runner,
      symbols: this.symbols,
      instruments: this.instruments,
      health: this.health,
      rest: (this.rest?.stats as unknown as Record<string, number>) ?? null,
      userStream: this.userStream?.stats ?? null,
      feed: this.feed?.stats ?? null,
      throttles: this.throttles,
      runId: this.runId,
      startedUs: this.startedUs,
      stopping: this.stopping !== undefined,
    };
  }

  /**
   * Pauses or resumes quoting `symbol` (the dashboard's control): an operator input the runner
   * journals and gives the core (`TradingCore.setPaused`), so `maker replay` matches. Logged.
   * Throws a `ConfigError` for a symbol the session does not trade; false when the session is not
   * running (not started yet, or stopping).
   */
  pause(symbol: string, paused: boolean, who: string): boolean {
    if (!this.symbols.includes(symbol)) throw new ConfigError(`symbol ${symbol} is not traded by this session (${this.symbols.join(', ')})`, { field: 'symbol' });
    if (this.runner === undefined || this.stopping !== undefined || !this.runner.isRunning) return false;
    this.o.log(`${paused ? 'pausing' : 'resuming'} ${symbol} (${who})`);
    return this.runner.operator({ action: paused ? 'pause' : 'resume', symbol, reason: `${paused ? 'paused' : 'resumed'} by ${who}` });
  }

  private watchKillFile(file: string): void {
    const check = (): void => {
      if (this.stopping !== undefined) return;
      if (existsSync(file)) {
        this.o.log(`kill file ${file} found: stopping`);
        void this.stop(`kill file ${file}`);
        return;
      }
      this.killTimer = this.o.timers.after(1000, check);
    };
    this.killTimer = this.o.timers.after(1000, check);
  }

  /** Step 3. */
  private async reconcileAtStart(): Promise<void> {
    const { reconcile } = this.o.scenario.live;
    const venue = this.account();
    const open = await venueOpenOrders(venue);
    const positions = await venuePositions(venue);
    const heldPositions = Object.entries(positions).filter(([, l]) => l !== 0);
    const openCount = Object.values(open).reduce((a, b) => a + b, 0);
    if (openCount > 0) {
      const list = Object.entries(open).filter(([, n]) => n > 0).map(([sym, n]) => `${sym} ${n}`).join(', ');
      if (reconcile.openOrders === 'halt') throw new MakerError('E_CONFIG', `the venue has open orders (${list}) and live.reconcile.openOrders is halt: cancel them or choose adopt/cancel`, { exitCode: EXIT.refused });
      if (reconcile.openOrders === 'cancel') {
        this.o.log(`start-up: cancelling ${openCount} open order(s) found on the venue (${list})`);
        const r = await cancelAllConfirmed(venue, Math.min(30_000, this.o.scenario.live.shutdown.confirmTimeoutS * 1000));
        if (!r.confirmed) throw new MakerError('E_CONFIG', `start-up: could not confirm that the venue's open orders were cancelled (${r.detail})`, { exitCode: EXIT.refused });
      } else this.o.log(`start-up: adopting ${openCount} open order(s) found on the venue (${list})`);
    }
    if (heldPositions.length > 0) {
      const list = heldPositions.map(([sym, l]) => `${sym} ${l} lots`).join(', ');
      if (reconcile.position === 'halt') throw new MakerError('E_CONFIG', `the venue holds a position (${list}) and live.reconcile.position is halt: close it or choose adopt`, { exitCode: EXIT.refused });
      this.o.log(`start-up: adopting the venue's position (${list})`);
    }
  }

  /** The venue as venue-orders.ts asks it (REST; the run tag as it is now). */
  private account(): VenueAccount {
    return { rest: this.rest, symbols: this.symbols, instruments: this.instruments, timers: this.o.timers, wallUs: this.o.wallUs, runTag: this.runTag };
  }

  /** A fatal error from outside the loop (the --lock lease lost): the session stops, exit 1. */
  fail(e: Error): void {
    if (this.fatalError === null) this.fatalError = e;
    this.o.log(`fatal: ${e.message}`);
    void this.stop('fatal error');
  }

  /** Step 7 (idempotent: a second call returns the first's promise). */
  stop(reason: string): Promise<SessionSummary> {
    if (this.stopping === undefined) this.stopping = this.shutdown(reason).then((s) => {
      this.resolveDone(s);
      return s;
    });
    return this.stopping;
  }

  private async shutdown(reason: string): Promise<SessionSummary> {
    const { log } = this.o;
    log(`stopping (${reason}): no more decisions; cancelling every open order`);
    if (this.killTimer !== undefined) this.o.timers.cancel(this.killTimer);
    // Order entry stops first: nothing of the gateway's reaches the venue from now on (not even a
    // submit in flight that a -1021 would re-sign after the final open-orders check); each such
    // command is refused "not sent", so the OMS knows it was not applied. The cancels below are REST's own.
    this.gateway?.stopSending(reason);
    // No more decisions; venue events (replies in flight, fills racing the cancels) are still journalled and booked.
    this.runner?.drain(reason);
    const feedStopped = this.feed?.stop() ?? Promise.resolve();
    // Requests in flight settle first (each is bounded by its timeout and none is written again), so none lands after the cancel.
    if (this.gateway !== undefined) await Promise.race([this.gateway.idle(), sleep(this.o.timers, 10_000)]);
    const live = this.o.scenario.live;
    let result: CancelAllResult;
    if (this.rest === undefined || this.symbols.length === 0) result = { confirmed: true, openOrdersLeft: {}, positionsLeft: {}, cancelRequests: 0, flattenOrders: 0, detail: 'nothing was started' };
    else result = await cancelAllConfirmed(this.account(), live.shutdown.confirmTimeoutS * 1000, live.shutdown.flatten);
    log(result.confirmed ? `shutdown confirmed: no open order left${live.shutdown.flatten ? ', flat' : ''}` : `shutdown NOT confirmed: ${result.detail}`);
    // Every fill of the session is booked before the journal closes: the stream's messages may still
    // be on their way, so the trades since the last one seen are read back (duplicates are dropped).
    let tradesReconciled: ShutdownResult['tradesReconciled'] = null;
    if (this.userStream !== undefined && this.runner !== undefined) {
      const r = await this.userStream.reconcileTrades();
      tradesReconciled = typeof r === 'number' ? { ok: true, reports: r, detail: `${r} trade report(s) read back from userTrades` } : { ok: false, reports: 0, detail: r };
      if (typeof r === 'string') log(`shutdown: the final trade reconciliation failed (${r}); fills after the last stream report may be missing from the journal`);
    }
    this.runner?.stop();
    this.userStream?.stop();
    await feedStopped;
    if (this.gateway !== undefined) await this.gateway.close();
    this.rest?.close();
    const exitCode = this.fatalError !== null ? EXIT.fatal : result.confirmed && tradesReconciled?.ok !== false ? EXIT.ok : EXIT.unconfirmed;
    const endedUs = Math.max(this.o.wallUs(), this.startedUs);
    const shutdown: ShutdownResult = { reason, ...result, tradesReconciled };
    if (this.journal !== undefined) {
      this.journal.end(endedUs, reason, exitCode);
      this.journal.close();
    }
    const positions: Record<string, number> = {};
    for (const sym of this.symbols) positions[sym] = this.core?.portfolio.positionLots(sym) ?? 0;
    const summary: SessionSummary = {
      runId: this.runId,
      runDir: this.runDir,
      venue: this.o.rest,
      paper: this.o.paper,
      startedUs: this.startedUs,
      endedUs,
      exitCode,
      shutdown,
      runner: this.runner?.stats ?? { marketEvents: 0, venueEvents: 0, timers: 0, operator: 0, commands: 0, sent: { submit: 0, cancel: 0, modify: 0, query: 0 }, droppedAtStop: 0 },
      latencyMs: { tickToOrder: this.runner?.tickToOrder.summary() ?? null, reportToCommand: this.runner?.reportToCommand.summary() ?? null },
      core: this.core?.counters ?? ({} as TradingCore['counters']),
      positions,
      throttles: this.throttles,
      riskChanges: [...this.riskChanges],
      orderEntry: { kind: this.o.scenario.live.orderEntry, ws: this.gateway instanceof BinanceWsGateway ? { ...this.gateway.client.stats } : null },
      rest: this.rest?.stats ?? null,
      userStream: this.userStream?.stats ?? null,
      feed: this.feed?.stats ?? null,
      journal: { file: this.journal?.file ?? '', records: this.journal?.records ?? 0, bytes: this.journal?.bytesWritten ?? 0 },
      fatal: this.fatalError?.message ?? null,
    };
    if (this.runDir !== '') writeFileSync(join(this.runDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  }
}
