/**
 * The local exchange's core, without the wire: a market replayed against the wall clock and, per
 * API account, the backtest's simulated exchange (`SimExchange`) fed with that market and with the
 * account's orders at the moment they arrive.
 *
 * Time. Server time is the wall clock (clients sign requests with it). The replayed data is mapped
 * onto it: an event at data time E happens at `start + (E − firstE) / speed`, so the market moves
 * at the recorded spacing, `speed` times faster. The simulated exchanges run on that mapped time.
 *
 * The market is delivered in steps (`pump`): the events due by now, in data order, then a timer
 * for the next one. A request first brings the market up to now, then reaches the simulated
 * exchange at now: it sees exactly the book a client could have seen.
 *
 * Fairness. A step delivers at most `sliceEvents` events and spends at most `sliceMs` of CPU; when
 * more are due (the replay is faster than this machine can deliver, e.g. a high `speed`), the next
 * step runs on `setImmediate`, after the pending I/O: REST, ws-fapi and streams keep being served
 * while the replay catches up. Events are never dropped or reordered and keep their mapped times;
 * they are only late. `lagUs` says by how much (listeners of `onLag` hear it after each late step).
 *
 * Accounts. Each account has one simulated exchange per margin asset (Binance's single-asset mode:
 * a USDT wallet backs the USDT-margined symbols, a USDC wallet the USDC ones), each with the
 * exchange-side margin account (sim-exchange/margin.ts: -2019 when an order's initial margin is
 * not covered, liquidation at maintenance margin) at the account's leverage per symbol, and one
 * ledger (the backtest's portfolio) for balances and positions. Cross margin, one-way mode.
 *
 * Funding (execution `funding`, `data` mode): the simulated exchanges settle at the funding times
 * and rates the data's mark prices announce, mapped onto server time like every other data time,
 * and the ledger books each settlement as the backtest does. Data without mark prices (depth-only
 * recordings) has no funding.
 */
import { BookSync, L2Book, type BookView } from '../book/index.ts';
import type { MarketEvent } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import type { OrderRequest, VenueCommand, VenueEvent } from '../model/venue.ts';
import { DEFAULT_LEVERAGE_BRACKETS, FALLBACK_LEVERAGE_BRACKETS, SimExchange, type FeeRates, type LeverageBracket, type SimExchangeOptions } from '../sim-exchange/index.ts';
import { Portfolio } from '../portfolio/index.ts';
import type { ApiAccount } from './auth.ts';
import { OrderTable } from './orders.ts';

/** What an account starts with (an accounts file's entry; every field optional). */
export interface AccountSetup {
  /** Wallet per margin asset, exact decimals (default: the exchange's `balances`). */
  readonly balances?: Readonly<Record<string, string>>;
  /** Leverage of every symbol (default: the exchange's `leverage`). */
  readonly leverage?: number;
  /** Leverage per symbol, over `leverage`. */
  readonly symbolLeverage?: Readonly<Record<string, number>>;
}

export type ExchangeAccount = ApiAccount & AccountSetup;

/** Binance's leverage brackets of a symbol as the local exchange applies them (`GET /fapi/v1/leverageBracket`). */
export function bracketsOf(symbol: string): readonly LeverageBracket[] {
  return DEFAULT_LEVERAGE_BRACKETS[symbol] ?? FALLBACK_LEVERAGE_BRACKETS;
}

export interface LocalExchangeOptions {
  instruments: Instrument[];
  /** Market data in data-time order. */
  source: AsyncIterable<MarketEvent[]> | Iterable<MarketEvent[]>;
  /** Replay speed (1 = real time). */
  speed: number;
  accounts: ExchangeAccount[];
  /** The simulated exchange of each account, as a scenario's `execution` section makes it (instruments are set here). */
  execution: Omit<SimExchangeOptions, 'instruments'>;
  /** Wall clock, µs (default Date.now). */
  clockUs?: () => number;
  /** Events read ahead of the replay (default 20,000). */
  readAhead?: number;
  /** Starting wallet of every account per margin asset (default 10,000 of each instruments' margin asset). */
  balances?: Readonly<Record<string, string>>;
  /** Leverage of every account and symbol (default 20). */
  leverage?: number;
  /**
   * Exchange-side margin (default true): an order whose initial margin the account's equity cannot
   * cover is rejected -2019, and an account at maintenance margin is liquidated, as in `maker backtest`.
   */
  margin?: boolean;
  /**
   * Data time the replay starts at (mapped to the moment `start()` is called): events before it are
   * delivered at once (the book is built up to it), then the market runs on the clock from there.
   * Default: the first event's time.
   */
  startDataUs?: number;
  /** At most this many events per step of the replay (default 2,000). */
  sliceEvents?: number;
  /** At most this much CPU per step of the replay, ms (default 10). */
  sliceMs?: number;
}

export interface AccountState {
  readonly account: ExchangeAccount;
  /** The account's simulated exchange of each margin asset. */
  readonly sims: ReadonlyMap<string, SimExchange>;
  /** The simulated exchange a symbol trades on. */
  readonly simBySymbol: ReadonlyMap<string, SimExchange>;
  readonly orders: OrderTable;
  /** Submitted requests by client order id until their first report. */
  readonly pending: Map<string, OrderRequest>;
  /** The account's ledger (the backtest's exact portfolio): balances and positions from fills, fees and funding. */
  readonly portfolio: Portfolio;
}

export type MarketListener = (e: MarketEvent, atUs: number) => void;
export type AccountListener = (account: AccountState, e: VenueEvent) => void;

export class LocalExchange {
  readonly instruments: ReadonlyMap<string, Instrument>;
  private readonly accounts = new Map<string, AccountState>();
  private readonly clockUs: () => number;
  private readonly speed: number;
  /** Depth books as the REST `depth` endpoint serves them (diffs + snapshots; `lastUpdateId` bridges the diff stream). */
  private readonly books = new Map<string, BookSync>();
  private buffer: MarketEvent[] = [];
  private bufferPos = 0;
  private iterator: AsyncIterator<MarketEvent[]> | Iterator<MarketEvent[]> | undefined;
  private sourceDone = false;
  private reading = false;
  private startUs = NaN;
  private firstDataUs = NaN;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private readonly sliceEvents: number;
  private readonly sliceMs: number;
  private readonly lagListeners: ((lagUs: number) => void)[] = [];
  private stopped = false;
  private readonly readAhead: number;
  private readonly marketListeners: MarketListener[] = [];
  private readonly accountListeners: AccountListener[] = [];
  private readonly tickListeners: ((nowUs: number) => void)[] = [];
  private readonly errorListeners: ((e: Error) => void)[] = [];
  /** Events delivered so far. */
  eventsDelivered = 0;
  /**
   * How far the replay is behind the clock, µs: the server time now minus the mapped time of the
   * next due event not yet delivered (0 when it is up to date). Measured at each step.
   */
  lagUs = 0;
  /** The largest `lagUs` seen so far. */
  maxLagUs = 0;
  /** Last error of the data source (the replay stops there), if any. */
  sourceError: Error | undefined;

  constructor(private readonly o: LocalExchangeOptions) {
    if (!(o.speed > 0)) throw new RangeError(`speed must be > 0, got ${o.speed}`);
    this.speed = o.speed;
    this.clockUs = o.clockUs ?? (() => Date.now() * 1000);
    this.readAhead = o.readAhead ?? 20_000;
    this.sliceEvents = o.sliceEvents ?? 2_000;
    this.sliceMs = o.sliceMs ?? 10;
    if (!(this.sliceEvents >= 1) || !(this.sliceMs > 0)) throw new RangeError('sliceEvents must be >= 1 and sliceMs > 0');
    this.instruments = new Map(o.instruments.map((i) => [i.symbol, i]));
    for (const inst of o.instruments) this.books.set(inst.symbol, new BookSync(new L2Book(inst.symbol)));
    const byAsset = new Map<string, Instrument[]>();
    for (const inst of o.instruments) {
      const list = byAsset.get(inst.spec.marginAsset) ?? [];
      list.push(inst);
      byAsset.set(inst.spec.marginAsset, list);
    }
    const assets = [...byAsset.keys()].sort();
    let firstOrderId = 1;
    for (const account of o.accounts) {
      const balances = account.balances ?? o.balances ?? Object.fromEntries(assets.map((asset) => [asset, '10000']));
      const leverage: Record<string, number> = {};
      for (const inst of o.instruments) leverage[inst.symbol] = account.symbolLeverage?.[inst.symbol] ?? account.leverage ?? o.leverage ?? 20;
      const sims = new Map<string, SimExchange>();
      const simBySymbol = new Map<string, SimExchange>();
      for (const [i, asset] of assets.entries()) {
        const instruments = byAsset.get(asset)!;
        const rng = o.execution.rng.fork(assets.length === 1 ? `account/${account.name}` : `account/${account.name}/${asset}`);
        const margin = o.margin === false ? undefined : { balance: balances[asset] ?? '0', leverage };
        const sim = new SimExchange({ ...o.execution, rng, instruments, firstOrderId: firstOrderId + i * 100_000_000, account: margin });
        sims.set(asset, sim);
        for (const inst of instruments) simBySymbol.set(inst.symbol, sim);
      }
      firstOrderId += 1_000_000_000;
      const portfolio = new Portfolio({ get: (sym: string) => this.instruments.get(sym)! }, { defaults: { leverage: o.leverage ?? 20 } });
      // The ledger's maintenance margin uses the brackets the exchange liquidates with.
      for (const inst of o.instruments) {
        const brackets = bracketsOf(inst.symbol).map((t) => ({ notionalCap: t.notionalCap, maintMarginRatio: t.maintMarginRatio, cum: t.cum }));
        portfolio.configureSymbol(inst.symbol, { leverage: leverage[inst.symbol], brackets });
      }
      for (const asset of Object.keys(balances).sort()) portfolio.deposit({ asset, amount: balances[asset], tsUs: 0 });
      this.accounts.set(account.apiKey, { account, sims, simBySymbol, orders: new OrderTable(this.instruments), pending: new Map(), portfolio });
    }
  }

  /** The commission rates of a symbol (the simulated exchange's fee schedule). */
  feeRates(symbol: string): FeeRates {
    return this.o.execution.fees.symbols?.[symbol] ?? this.o.execution.fees.default;
  }

  /**
   * Binance `POST /fapi/v1/leverage`: the account's new leverage of a symbol (1..the symbol's highest,
   * checked by the caller), for the exchange-side initial-margin check and the ledger's margins.
   * False (nothing changed) when lowering it would leave open positions and orders uncovered (-2028).
   */
  changeLeverage(a: AccountState, symbol: string, leverage: number): boolean {
    this.pump();
    const sim = a.simBySymbol.get(symbol);
    if (sim === undefined) throw new RangeError(`no instrument ${symbol}`);
    if (!sim.changeLeverage(symbol, leverage)) return false;
    a.portfolio.configureSymbol(symbol, { leverage });
    return true;
  }

  /** Server time, µs. */
  nowUs(): number {
    return this.clockUs();
  }

  /** Starts the replay now. */
  async start(): Promise<void> {
    const src = this.o.source;
    this.iterator = Symbol.asyncIterator in src ? (src as AsyncIterable<MarketEvent[]>)[Symbol.asyncIterator]() : (src as Iterable<MarketEvent[]>)[Symbol.iterator]();
    await this.read();
    this.startUs = this.clockUs();
    // The warm-up: the events before `startDataUs` build the book at once, before start() returns
    // (not sliced: nobody has seen this exchange yet); the replay's clock starts after it.
    for (;;) {
      while (this.bufferPos < this.buffer.length && this.buffer[this.bufferPos].tsExchangeUs < this.firstDataUs) {
        const e = this.buffer[this.bufferPos++];
        this.deliver(e, this.mapUs(e.tsExchangeUs));
      }
      if (this.bufferPos < this.buffer.length || this.sourceDone || this.stopped) break;
      await this.read();
    }
    this.startUs = Math.max(this.startUs, this.clockUs());
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  /** Called after each step that ends with due events left (the replay is late), with `lagUs`. */
  onLag(l: (lagUs: number) => void): void {
    this.lagListeners.push(l);
  }

  onMarket(l: MarketListener): void {
    this.marketListeners.push(l);
  }

  /** Called once if reading the market data fails (the replay stops at what it had; `sourceError` keeps it). */
  onSourceError(l: (e: Error) => void): void {
    this.errorListeners.push(l);
  }

  /** Called after each step of the replay with the time it reached (conflated streams close their windows). */
  onTick(l: (nowUs: number) => void): void {
    this.tickListeners.push(l);
  }

  onAccountEvent(l: AccountListener): void {
    this.accountListeners.push(l);
  }

  account(apiKey: string): AccountState | undefined {
    return this.accounts.get(apiKey);
  }

  book(symbol: string): BookView | undefined {
    return this.books.get(symbol)?.book;
  }

  /** Marks every symbol of the account's ledger at the current mid of the replayed book (before a snapshot of it). */
  markToMid(a: AccountState): void {
    for (const [symbol, sync] of this.books) {
      const bid = sync.book.bestBidTicks();
      const ask = sync.book.bestAskTicks();
      if (Number.isFinite(bid) && Number.isFinite(ask) && bid < ask) a.portfolio.mark({ symbol, tsUs: this.clockUs(), priceTicks: (bid + ask) / 2 });
    }
  }

  /** The mapped (server) time of a data time. */
  mapUs(dataUs: number): number {
    return Math.round(this.startUs + (dataUs - this.firstDataUs) / this.speed);
  }

  /** Whether the replay has delivered everything it had. */
  get ended(): boolean {
    return this.sourceDone && this.bufferPos >= this.buffer.length;
  }

  /**
   * A request reaching the account's simulated exchange now: the market is first brought up to now.
   * Returns the events it caused at once (its NEW or refusal, immediate fills).
   */
  command(a: AccountState, cmd: VenueCommand): VenueEvent[] {
    this.pump();
    const symbol = cmd.kind === 'submit' ? cmd.order.symbol : cmd.symbol;
    const sim = a.simBySymbol.get(symbol);
    if (sim === undefined) throw new RangeError(`no instrument ${symbol}`);
    if (cmd.kind === 'submit') a.pending.set(cmd.order.clientOrderId, cmd.order);
    sim.send(cmd, this.clockUs());
    const events = sim.drainEvents();
    this.absorb(a, events);
    if (cmd.kind === 'submit') a.pending.delete(cmd.order.clientOrderId);
    return events;
  }

  /** Fills the rest of an open order now at its own price (the "fill racing a cancel" fault); false when it is not open. */
  fillRestingNow(a: AccountState, symbol: string, clientOrderId: string): boolean {
    this.pump();
    const sim = a.simBySymbol.get(symbol);
    if (sim === undefined) return false;
    const done = sim.fillRestingNow(symbol, clientOrderId, this.clockUs());
    this.absorb(a, sim.drainEvents());
    return done;
  }

  /**
   * Delivers the events due by now, in data order, at most `sliceEvents` of them and `sliceMs` of
   * CPU; then arms the timer for the next event, or, when due events are left, the next step on
   * `setImmediate` (after pending I/O).
   */
  pump(): void {
    if (this.stopped || Number.isNaN(this.startUs)) return;
    const now = this.clockUs();
    const t0 = performance.now();
    let n = 0;
    let reached = now;
    let late = false;
    while (this.bufferPos < this.buffer.length) {
      const e = this.buffer[this.bufferPos];
      const at = this.mapUs(e.tsExchangeUs);
      if (at > now) break;
      if (n >= this.sliceEvents || ((n & 127) === 127 && performance.now() - t0 >= this.sliceMs)) {
        late = true;
        // The streams' windows close at the time the replay reached, not at the clock's.
        reached = Math.max(this.startUs, at - 1);
        this.lagUs = now - Math.max(this.startUs, at);
        break;
      }
      this.bufferPos++;
      this.deliver(e, at);
      n++;
    }
    if (this.bufferPos >= this.buffer.length) {
      this.buffer = [];
      this.bufferPos = 0;
      // Still reading the next batch: the lag stays what it was until that batch is seen.
      if (this.sourceDone) this.lagUs = 0;
    } else if (!late) this.lagUs = 0;
    if (this.lagUs > this.maxLagUs) this.maxLagUs = this.lagUs;
    for (const l of this.tickListeners) l(reached);
    if (this.buffer.length - this.bufferPos < this.readAhead && !this.sourceDone && !this.reading) void this.read().then(() => this.pump());
    if (late) {
      for (const l of this.lagListeners) l(this.lagUs);
      if (this.immediate === undefined) {
        this.immediate = setImmediate(() => {
          this.immediate = undefined;
          this.pump();
        });
        this.immediate.unref();
      }
    }
    this.arm();
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped || this.immediate !== undefined || this.bufferPos >= this.buffer.length) return;
    const dueMs = (this.mapUs(this.buffer[this.bufferPos].tsExchangeUs) - this.clockUs()) / 1000;
    this.timer = setTimeout(() => this.pump(), Math.min(250, Math.max(1, Math.ceil(dueMs))));
    this.timer.unref();
  }

  private deliver(e: MarketEvent, at: number): void {
    this.eventsDelivered++;
    const sync = this.books.get(e.symbol);
    if (sync !== undefined) {
      if (e.type === 'depth') sync.applyDiff(e);
      else if (e.type === 'snapshot') sync.applySnapshot(e);
    }
    // The simulated exchanges run on server time: a mark price's funding times are mapped onto it
    // too, so funding is settled at the data's funding times as the replay reaches them.
    const forSim = e.type === 'markPrice' ? { ...e, tsExchangeUs: at, nextFundingTimeUs: e.nextFundingTimeUs === -1 ? -1 : this.mapUs(e.nextFundingTimeUs) } : e;
    for (const a of this.accounts.values()) {
      const sim = a.simBySymbol.get(e.symbol);
      if (sim === undefined) continue;
      sim.onMarketEvent(forSim, at);
      const events = sim.drainEvents();
      if (events.length > 0) this.absorb(a, events);
    }
    for (const l of this.marketListeners) l(e, at);
  }

  private absorb(a: AccountState, events: VenueEvent[]): void {
    for (const ev of events) {
      if (ev.kind === 'report') {
        const r = ev.report;
        a.orders.apply(r, a.pending.get(r.clientOrderId));
        if (r.execType === 'CALCULATED' && r.lastFillLots > 0) {
          // A liquidation fill: booked as the trading core books it (a taker fill, then the insurance clearance).
          a.portfolio.applyFill({ symbol: r.symbol, side: r.side, qtyLots: r.lastFillLots, priceTicks: r.lastFillPriceTicks, fee: r.commission === '' ? '0' : r.commission, liquidity: 'taker', tsUs: r.tsExchangeUs });
          const clearance = r.insuranceClearance ?? '0';
          if (clearance !== '0') a.portfolio.applyFee({ symbol: r.symbol, fee: clearance, liquidity: 'taker' });
        } else a.portfolio.applyExecutionReport(r);
      } else if (ev.kind === 'funding') a.portfolio.applyFunding(ev.settlement);
      for (const l of this.accountListeners) l(a, ev);
    }
  }

  /** Reads the next batches until `readAhead` events are buffered or the source ends. */
  private async read(): Promise<void> {
    if (this.reading || this.sourceDone || this.iterator === undefined) return;
    this.reading = true;
    let t0 = performance.now();
    try {
      while (!this.sourceDone && this.buffer.length - this.bufferPos < this.readAhead) {
        // A source that computes its events (the synthetic market) yields to I/O too.
        if (performance.now() - t0 >= this.sliceMs) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (this.stopped) break;
          t0 = performance.now();
        }
        const r = await this.iterator.next();
        if (r.done === true) {
          this.sourceDone = true;
          break;
        }
        if (r.value.length === 0) continue;
        if (Number.isNaN(this.firstDataUs)) this.firstDataUs = Math.max(r.value[0].tsExchangeUs, this.o.startDataUs ?? -Infinity);
        if (this.bufferPos > 0) {
          this.buffer = this.buffer.slice(this.bufferPos);
          this.bufferPos = 0;
        }
        for (const e of r.value) this.buffer.push(e);
      }
    } catch (err) {
      this.sourceError = err instanceof Error ? err : new Error(String(err));
      this.sourceDone = true;
      for (const l of this.errorListeners) l(this.sourceError);
    } finally {
      this.reading = false;
    }
  }
}

