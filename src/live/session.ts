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
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BinanceGateway, BinanceRest, BinanceWsGateway, Signer, specsFromExchangeInfo, UserStream, parseOpenOrders, parsePositions, type Credentials, type RestOutcome, type Throttle, type Timers } from '../adapter/binance/index.ts';
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

/** Binance's replies to a key it does not accept (-2015 invalid key, IP or permissions; -2014 bad key format; -1022 bad signature). */
const KEY_REFUSED = new Set([-2015, -2014, -1022]);

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

/** Stream health as the session saw it (the dashboard and `/readyz` read it; wall-clock µs). */
export interface SessionHealth {
  marketUp: boolean;
  userUp: boolean;
  /** The user-data stream's account snapshot was taken in since it last came up. */
  accountSynced: boolean;
  /** Wall clock of the last market event / user-data stream event, µs (0: none yet). */
  marketLastUs: number;
  userLastUs: number;
  /** Times the market / user-data stream went down. */
  marketDowns: number;
  userDowns: number;
  /** Market events delivered, by type (depth, snapshot, bookTicker, trade, markPrice, ...). */
  marketByType: Record<string, number>;
  lastMarketDown: string;
  lastUserDown: string;
  /**
   * Order entry over the WebSocket API (`live.orderEntry: ws`): true from its first open, false from
   * a drop until a connection is open again (the core holds meanwhile: nothing is placed, amended,
   * cancelled or queried); null with REST order entry (a request per command: no connection to lose).
   */
  orderEntryUp: boolean | null;
  /** Wall clock of order entry's last change (its first open, then each down and up), µs; 0 with REST. */
  orderEntrySinceUs: number;
  /** Times order entry went down, and why last (`ws-fapi reconnecting: dropped (1006)`). */
  orderEntryDowns: number;
  lastOrderEntryDown: string;
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

export interface ShutdownResult {
  readonly reason: string;
  readonly confirmed: boolean;
  readonly openOrdersLeft: Record<string, number>;
  /** The venue's positions at the confirmation, lots (flat when flattening confirmed). */
  readonly positionsLeft: Record<string, number>;
  readonly cancelRequests: number;
  readonly flattenOrders: number;
  readonly detail: string;
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

/** Reads the API key and secret the scenario names; never puts a value in an error. */
export function credentialsFrom(live: Scenario['live'], env: NodeJS.ProcessEnv): Credentials {
  const apiKey = env[live.apiKeyEnv];
  if (apiKey === undefined || apiKey === '') throw new ConfigError(`the API key variable ${live.apiKeyEnv} is not set (live.apiKeyEnv); use --paper to trade without keys`, { field: 'live.apiKeyEnv' });
  let secret: string | undefined;
  if (live.secretFile !== null) {
    let st;
    try {
      st = statSync(live.secretFile);
    } catch {
      throw new ConfigError(`the secret file ${live.secretFile} cannot be read (live.secretFile)`, { field: 'live.secretFile' });
    }
    if ((st.mode & 0o077) !== 0) throw new ConfigError(`the secret file ${live.secretFile} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`, { field: 'live.secretFile' });
    secret = readFileSync(live.secretFile, 'utf8').trim();
  } else secret = env[live.secretEnv];
  if (secret === undefined || secret === '') throw new ConfigError(`the secret variable ${live.secretEnv} is not set (live.secretEnv), and no live.secretFile`, { field: 'live.secretEnv' });
  const credentials: Credentials = { apiKey, secret: live.keyType === 'Ed25519' ? secret.replace(/\\n/g, '\n') : secret, keyType: live.keyType };
  try {
    new Signer(credentials);
  } catch (e) {
    // The signer's message says what is wrong without quoting the key.
    const field = live.secretFile !== null ? 'live.secretFile' : 'live.secretEnv';
    throw new ConfigError(`the secret ${live.secretFile !== null ? `file ${live.secretFile}` : `variable ${live.secretEnv}`} does not hold a usable ${live.keyType} key (live.keyType): ${(e as Error).message}`, { field });
  }
  return credentials;
}

/** A run id: UTC start time and the scenario name, safe as a directory name. */
export function runIdOf(startUs: number, name: string): string {
  const iso = new Date(Math.floor(startUs / 1000)).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const safe = name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'live';
  return `${iso}-live-${safe}`;
}

function expectOk(o: RestOutcome, what: string): unknown {
  if (o.kind === 'ok') return o.body;
  if (o.kind === 'rejected') {
    const hint = KEY_REFUSED.has(o.code) ? ' (the venue refuses the API key or its signature: check the key and secret variables, live.apiKeyEnv and live.secretEnv, or live.secretFile)' : '';
    throw new MakerError('E_CONFIG', `${what}: Binance error ${o.code} ${o.msg}${hint}`, { exitCode: 2 });
  }
  if (o.kind === 'throttled') throw new MakerError('E_CONFIG', `${what}: rate limited (${o.cause})`, { exitCode: 2 });
  throw new MakerError('E_CONFIG', `${what}: ${o.cause}`, { exitCode: 2 });
}

/** How long `start()` waits for the ws-fapi connection (`live.orderEntry: ws`) to open, ms. */
export const WS_API_START_TIMEOUT_MS = 30_000;
/**
 * Failed ws-fapi connects in a row after which the client gives up (`failed`) and the session stops:
 * order entry is gone, so the open orders are cancelled over REST and the exit is 1. About 3 min of
 * backoff (250 ms doubling to 30 s) plus each attempt's handshake (at most 10 s): the client's own
 * default (100, about an hour) would leave the session's orders unmanaged that long.
 */
export const WS_API_MAX_ATTEMPTS = 12;

const sleep = (timers: Timers, ms: number): Promise<void> => new Promise((r) => timers.after(ms, r));

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
  readonly health: SessionHealth = {
    marketUp: false,
    userUp: false,
    accountSynced: false,
    marketLastUs: 0,
    userLastUs: 0,
    marketDowns: 0,
    userDowns: 0,
    marketByType: {},
    lastMarketDown: '',
    lastUserDown: '',
    orderEntryUp: null,
    orderEntrySinceUs: 0,
    orderEntryDowns: 0,
    lastOrderEntryDown: '',
  };
  /** What an order entry change means for the trader, added to the ws-fapi line that caused it (`orderEntryChanged`). */
  private orderEntryNote = '';
  private resolveDone!: (s: SessionSummary) => void;
  /** Resolves with the summary once the session has stopped (for any reason). */
  readonly done: Promise<SessionSummary>;
  runId = '';
  runDir = '';

  constructor(o: SessionOptions) {
    this.o = o;
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
        if (e.kind === 'streamState' && e.stream === 'orderEntry') this.orderEntryChanged(e.up, e.reason);
        this.runner.venueEvent(e);
      }
    };
    if (live.orderEntry === 'ws') {
      const ws = new BinanceWsGateway({
        url: this.o.wsApi,
        signer,
        time: this.rest,
        clock: wallClock,
        timers: this.o.timers,
        budget: this.rest.budget,
        instruments: this.instruments,
        onEvents,
        // Replaced before the venue's 24 h cut like the market streams (in-flight requests answered on the old one).
        rotateAfterMs: live.rotateAfterMs,
        maxAttempts: this.o.wsApiMaxAttempts ?? WS_API_MAX_ATTEMPTS,
        onState: (state, reason) => {
          // The gateway tells an order entry change (drained above) just before the state that caused it: one line says both.
          const note = this.orderEntryNote;
          this.orderEntryNote = '';
          log(`ws-fapi ${state}${reason ? `: ${reason}` : ''}${note}`);
          // Gave up reconnecting: no order can be placed, changed or cancelled over it any more. Once
          // running, that is fatal (the shutdown cancels over REST); during start() the check below says it.
          if (state === 'failed' && this.runner !== undefined) this.fail(new Error(`order entry lost: the WebSocket API ${this.o.wsApi} ${reason}`));
        },
      });
      this.gateway = ws;
      const startTimeoutMs = this.o.wsApiStartTimeoutMs ?? WS_API_START_TIMEOUT_MS;
      let startTimer: unknown;
      let timedOut = false;
      const deadline = new Promise<void>((r) => {
        startTimer = this.o.timers.after(startTimeoutMs, () => {
          timedOut = true;
          r();
        });
      });
      try {
        await Promise.race([ws.start(), deadline]);
      } catch (e) {
        throw new MakerError('E_CONFIG', `cannot connect to the WebSocket API ${this.o.wsApi} (live.wsApi): ${(e as Error).message}`, { exitCode: 2 });
      } finally {
        this.o.timers.cancel(startTimer);
      }
      if (ws.client.state !== 'open') {
        const why = timedOut ? `not open within ${startTimeoutMs / 1000} s (${ws.client.state})` : ws.client.state;
        const last = ws.client.stats.lastError;
        await ws.close();
        throw new MakerError('E_CONFIG', `cannot connect to the WebSocket API ${this.o.wsApi} (live.wsApi): ${why}${last ? `; last error: ${last}` : ''}`, { exitCode: 2 });
      }
      this.health.orderEntryUp = true;
      this.health.orderEntrySinceUs = this.o.wallUs();
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
        const h = this.health;
        h.userLastUs = this.o.wallUs();
        if (e.kind === 'streamState') {
          log(`user stream ${e.up ? 'up' : 'down'}${e.reason ? `: ${e.reason}` : ''}`);
          if (h.userUp && !e.up) {
            h.userDowns++;
            h.lastUserDown = e.reason;
          }
          h.userUp = e.up;
          h.accountSynced = false; // down, or back up until the next account snapshot
        } else if (e.kind === 'accountSync') {
          h.userUp = true;
          h.accountSynced = true;
        }
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
        const h = this.health;
        h.marketLastUs = this.o.wallUs();
        h.marketByType[e.type] = (h.marketByType[e.type] ?? 0) + 1;
        this.runner.market(e);
      },
      onStreamState: (e) => {
        log(`market stream ${e.up ? 'up' : 'down'}${e.symbols ? ` (${e.symbols.join(', ')})` : ''}${e.reason ? `: ${e.reason}` : ''}`);
        if (this.health.marketUp && !e.up) {
          this.health.marketDowns++;
          this.health.lastMarketDown = e.reason;
        }
        this.health.marketUp = e.up;
        this.runner.venueEvent(e);
      },
      log,
    });
    this.feed.start();
    if (live.killFile !== null) this.watchKillFile(live.killFile);
  }

  /** Order entry (ws-fapi) went down or came back: the health the dashboard reads, and the log line's note. */
  private orderEntryChanged(up: boolean, reason: string): void {
    const h = this.health;
    const nowUs = this.o.wallUs();
    if (up) {
      const downS = h.orderEntrySinceUs > 0 ? ` after ${((nowUs - h.orderEntrySinceUs) / 1e6).toFixed(1)} s` : '';
      this.orderEntryNote = `; order entry up${downS}: every symbol decides afresh`;
    } else {
      h.orderEntryDowns++;
      h.lastOrderEntryDown = reason;
      this.orderEntryNote = '; order entry down: the trader holds (no order, amendment, cancel or query; what rests stays) until it is open again';
    }
    h.orderEntryUp = up;
    h.orderEntrySinceUs = nowUs;
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
    const open = await this.openOrders();
    const positions = await this.positions();
    const heldPositions = Object.entries(positions).filter(([, l]) => l !== 0);
    const openCount = Object.values(open).reduce((a, b) => a + b, 0);
    if (openCount > 0) {
      const list = Object.entries(open).filter(([, n]) => n > 0).map(([sym, n]) => `${sym} ${n}`).join(', ');
      if (reconcile.openOrders === 'halt') throw new MakerError('E_CONFIG', `the venue has open orders (${list}) and live.reconcile.openOrders is halt: cancel them or choose adopt/cancel`, { exitCode: EXIT.refused });
      if (reconcile.openOrders === 'cancel') {
        this.o.log(`start-up: cancelling ${openCount} open order(s) found on the venue (${list})`);
        const r = await this.cancelAllConfirmed(Math.min(30_000, this.o.scenario.live.shutdown.confirmTimeoutS * 1000));
        if (!r.confirmed) throw new MakerError('E_CONFIG', `start-up: could not confirm that the venue's open orders were cancelled (${r.detail})`, { exitCode: EXIT.refused });
      } else this.o.log(`start-up: adopting ${openCount} open order(s) found on the venue (${list})`);
    }
    if (heldPositions.length > 0) {
      const list = heldPositions.map(([sym, l]) => `${sym} ${l} lots`).join(', ');
      if (reconcile.position === 'halt') throw new MakerError('E_CONFIG', `the venue holds a position (${list}) and live.reconcile.position is halt: close it or choose adopt`, { exitCode: EXIT.refused });
      this.o.log(`start-up: adopting the venue's position (${list})`);
    }
  }

  /** Open orders per traded symbol (throws when the venue cannot be asked). */
  private async openOrders(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const symbol of this.symbols) {
      const body = expectOk(await this.rest.request({ method: 'GET', path: '/fapi/v1/openOrders', params: { symbol }, signed: true, weight: 1 }), `GET /fapi/v1/openOrders ${symbol}`);
      out[symbol] = parseOpenOrders(body, this.instruments).length;
    }
    return out;
  }

  private async positions(): Promise<Record<string, number>> {
    const body = expectOk(await this.rest.request({ method: 'GET', path: '/fapi/v3/positionRisk', signed: true, weight: 5 }), 'GET /fapi/v3/positionRisk');
    const out: Record<string, number> = {};
    for (const sym of this.symbols) out[sym] = 0;
    for (const p of parsePositions(body, this.instruments)) if (p.symbol in out) out[p.symbol] += p.lots;
    return out;
  }

  /**
   * Cancels every open order of the traded symbols and confirms it by query, retrying (backoff
   * 250 ms doubling to 2 s) until `budgetMs`; with `flatten`, also closes the positions with
   * reduce-only MARKET orders and confirms them flat.
   */
  private async cancelAllConfirmed(budgetMs: number, flatten = false): Promise<Omit<ShutdownResult, 'reason' | 'tradesReconciled'>> {
    const deadline = this.o.wallUs() + budgetMs * 1000;
    let cancelRequests = 0;
    let flattenOrders = 0;
    let backoff = 250;
    let open: Record<string, number> = {};
    let held: Record<string, number> = {};
    let detail = '';
    for (let attempt = 1; ; attempt++) {
      try {
        for (const symbol of this.symbols) {
          cancelRequests++;
          const r = await this.rest.request({ method: 'DELETE', path: '/fapi/v1/allOpenOrders', params: { symbol }, signed: true, weight: 1 });
          if (r.kind !== 'ok') detail = `cancel ${symbol}: ${r.kind === 'rejected' ? `${r.code} ${r.msg}` : r.cause}`;
          // The venue refuses the keys themselves: trying again until the deadline cannot help.
          if (r.kind === 'rejected' && KEY_REFUSED.has(r.code)) return { confirmed: false, openOrdersLeft: open, positionsLeft: held, cancelRequests, flattenOrders, detail: `${detail} (the API key is refused: nothing can be cancelled with it)` };
        }
        if (flatten) {
          held = await this.positions();
          for (const [symbol, lots] of Object.entries(held)) {
            if (lots === 0) continue;
            const inst = this.instruments.get(symbol)!;
            flattenOrders++;
            const r = await this.rest.request({
              method: 'POST',
              path: '/fapi/v1/order',
              params: { symbol, side: lots > 0 ? 'SELL' : 'BUY', type: 'MARKET', quantity: inst.lotsToQty(Math.abs(lots)), reduceOnly: 'true', newClientOrderId: `mk-${this.runTag || 'x'}-flat${attempt}${symbol.slice(0, 4).toLowerCase()}` },
              signed: true,
              weight: 1,
              order: true,
            });
            if (r.kind !== 'ok') detail = `flatten ${symbol}: ${r.kind === 'rejected' ? `${r.code} ${r.msg}` : r.cause}`;
          }
        }
        open = await this.openOrders();
        held = await this.positions();
        const clean = Object.values(open).every((n) => n === 0) && (!flatten || Object.values(held).every((l) => l === 0));
        if (clean) return { confirmed: true, openOrdersLeft: open, positionsLeft: held, cancelRequests, flattenOrders, detail: `confirmed after ${attempt} attempt(s)` };
        detail = `open orders ${JSON.stringify(open)}${flatten ? `, positions ${JSON.stringify(held)}` : ''}`;
      } catch (e) {
        detail = (e as Error).message;
      }
      if (this.o.wallUs() + backoff * 1000 > deadline) return { confirmed: false, openOrdersLeft: open, positionsLeft: held, cancelRequests, flattenOrders, detail: `not confirmed within ${budgetMs} ms: ${detail}` };
      await sleep(this.o.timers, backoff);
      backoff = Math.min(2000, backoff * 2);
    }
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
    let result: Omit<ShutdownResult, 'reason' | 'tradesReconciled'>;
    if (this.rest === undefined || this.symbols.length === 0) result = { confirmed: true, openOrdersLeft: {}, positionsLeft: {}, cancelRequests: 0, flattenOrders: 0, detail: 'nothing was started' };
    else result = await this.cancelAllConfirmed(live.shutdown.confirmTimeoutS * 1000, live.shutdown.flatten);
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
