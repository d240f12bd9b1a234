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
 * ledger (the backtest's portfolio) for balances and positions.
 *
 * Margin type and position mode (Binance `marginType`, `dualSidePosition`). Each symbol is CROSSED
 * (default) or ISOLATED; the account is in one-way mode (default) or hedge mode. Both live in the
 * simulated exchange's account (sim-exchange/margin.ts: isolated wallets, per-position
 * liquidation, LONG and SHORT positions) and change only with no open order and no position
 * (Binance's refusals). The ledger keeps one position per symbol in one-way mode, and in hedge
 * mode one per symbol and side under the key `SYMBOL:LONG` / `SYMBOL:SHORT` (`ledgerKey`), each
 * with its own entry price, realized PnL and funding, all against the one wallet of the asset.
 *
 * Funding (execution `funding`, `data` mode): the simulated exchanges settle at the funding times
 * and rates the data's mark prices announce, mapped onto server time like every other data time,
 * and the ledger books each settlement as the backtest does. Data without mark prices (depth-only
 * recordings) has no funding.
 */
import { BookSync, L2Book, type BookView } from '../book/index.ts';
import type { MarketEvent } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import type { ExecutionReport, OrderRequest, VenueCommand, VenueEvent } from '../model/venue.ts';
import { DEFAULT_LEVERAGE_BRACKETS, FALLBACK_LEVERAGE_BRACKETS, SimExchange, type FeeRates, type LeverageBracket, type PositionSide, type SimExchangeOptions, type TransferOutcome } from '../sim-exchange/index.ts';
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
  /** Margin type of every symbol (default CROSSED). */
  readonly marginType?: MarginType;
  /** Margin type per symbol, over `marginType`. */
  readonly symbolMarginType?: Readonly<Record<string, MarginType>>;
  /** Hedge mode at the start (default false: one-way). */
  readonly dualSidePosition?: boolean;
}

export type MarginType = 'CROSSED' | 'ISOLATED';
export type { PositionSide } from '../sim-exchange/index.ts';

/** The ledger's key of a position: the symbol in one-way mode (BOTH), `SYMBOL:LONG` / `SYMBOL:SHORT` in hedge mode. */
export function ledgerKey(symbol: string, side: PositionSide): string {
  return side === 'BOTH' ? symbol : `${symbol}:${side}`;
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

/** The order a liquidation fill belongs to, as Binance lists it (LIMIT IOC at the fill price; reduce-only in one-way mode). */
function liquidationRequest(r: ExecutionReport): OrderRequest {
  const base = { symbol: r.symbol, clientOrderId: r.clientOrderId, side: r.side, type: 'LIMIT', timeInForce: 'IOC', priceTicks: r.priceTicks, qtyLots: r.origQtyLots, reduceOnly: r.reduceOnly, selfTradePrevention: 'NONE' } as const;
  return r.positionSide === undefined ? base : { ...base, positionSide: r.positionSide };
}

const SIDES: readonly PositionSide[] = ['BOTH', 'LONG', 'SHORT'];
const HEDGE_SIDES: readonly PositionSide[] = ['LONG', 'SHORT'];
const ONE_WAY_SIDES: readonly PositionSide[] = ['BOTH'];

export class LocalExchange {
  readonly instruments: ReadonlyMap<string, Instrument>;
  private readonly accounts = new Map<string, AccountState>();
  /** Instruments under the ledger keys of hedge-mode positions (`ledgerInstrument`). */
  private readonly sideInstruments = new Map<string, Instrument>();
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
      const isolated = o.instruments.filter((inst) => (account.symbolMarginType?.[inst.symbol] ?? account.marginType ?? 'CROSSED') === 'ISOLATED').map((inst) => inst.symbol);
      const sims = new Map<string, SimExchange>();
      const simBySymbol = new Map<string, SimExchange>();
      for (const [i, asset] of assets.entries()) {
        const instruments = byAsset.get(asset)!;
        const rng = o.execution.rng.fork(assets.length === 1 ? `account/${account.name}` : `account/${account.name}/${asset}`);
        const own = isolated.filter((sym) => instruments.some((inst) => inst.symbol === sym));
        const margin = o.margin === false ? undefined : { balance: balances[asset] ?? '0', leverage, isolated: own };
        const sim = new SimExchange({ ...o.execution, rng, instruments, firstOrderId: firstOrderId + i * 100_000_000, account: margin, dualSidePosition: account.dualSidePosition ?? false });
        // Without an exchange-side account the margin type is still kept (and shown).
        if (margin === undefined) for (const sym of own) sim.setMarginType(sym, true);
        sims.set(asset, sim);
        for (const inst of instruments) simBySymbol.set(inst.symbol, sim);
      }
      firstOrderId += 1_000_000_000;
      const portfolio = new Portfolio({ get: (key: string) => this.ledgerInstrument(key) }, { defaults: { leverage: o.leverage ?? 20 } });
      // The ledger's maintenance margin uses the brackets the exchange liquidates with.
      for (const inst of o.instruments) {
        const brackets = bracketsOf(inst.symbol).map((t) => ({ notionalCap: t.notionalCap, maintMarginRatio: t.maintMarginRatio, cum: t.cum }));
        const marginMode = isolated.includes(inst.symbol) ? 'isolated' : 'cross';
        for (const side of SIDES) portfolio.configureSymbol(ledgerKey(inst.symbol, side), { leverage: leverage[inst.symbol], brackets, marginMode });
      }
      for (const asset of Object.keys(balances).sort()) portfolio.deposit({ asset, amount: balances[asset], tsUs: 0 });
      this.accounts.set(account.apiKey, { account, sims, simBySymbol, orders: new OrderTable(this.instruments), pending: new Map(), portfolio });
    }
  }

  /**
   * The instrument of a ledger key: the symbol's own, or for `SYMBOL:LONG` / `SYMBOL:SHORT` a view
   * of it under that name (the ledger keys its positions by the instrument's symbol).
   */
  private ledgerInstrument(key: string): Instrument {
    const direct = this.instruments.get(key);
    if (direct !== undefined) return direct;
    let view = this.sideInstruments.get(key);
    if (view === undefined) {
      const inst = this.instruments.get(key.slice(0, key.lastIndexOf(':')));
      if (inst === undefined) throw new RangeError(`no instrument for ledger key ${key}`);
      view = Object.create(inst, { symbol: { value: key } }) as Instrument;
      this.sideInstruments.set(key, view);
    }
    return view;
  }

  /** Whether the account is in hedge mode (Binance `dualSidePosition`). */
  dualSidePosition(a: AccountState): boolean {
    return [...a.sims.values()][0]?.dualSidePosition ?? false;
  }

  /** The position sides the account has now: BOTH in one-way mode, LONG and SHORT in hedge mode. */
  sides(a: AccountState): readonly PositionSide[] {
    return this.dualSidePosition(a) ? HEDGE_SIDES : ONE_WAY_SIDES;
  }

  /** The margin type of a symbol of the account. */
  marginType(a: AccountState, symbol: string): MarginType {
    return this.simOf(a, symbol).isIsolated(symbol) ? 'ISOLATED' : 'CROSSED';
  }

  /**
   * Binance `POST /fapi/v1/positionSide/dual` on every margin asset's simulated exchange of the
   * account: refused while any order is open (-4067) or any position is open (-4068).
   */
  setDualSidePosition(a: AccountState, dual: boolean): 'ok' | 'same' | 'openOrders' | 'position' {
    this.pump();
    if (this.dualSidePosition(a) === dual) return 'same';
    for (const sim of a.sims.values()) {
      for (const sym of sim.tradedSymbols()) if (sim.openOrderCount(sym) > 0) return 'openOrders';
    }
    for (const sim of a.sims.values()) {
      for (const sym of sim.tradedSymbols()) if (sim.positionSides(sym).some(([, lots]) => lots !== 0)) return 'position';
    }
    for (const sim of a.sims.values()) sim.setDualSidePosition(dual);
    return 'ok';
  }

  /** Binance `POST /fapi/v1/marginType`: refused while the symbol has an open order (-4047) or a position (-4048). */
  setMarginType(a: AccountState, symbol: string, type: MarginType): 'ok' | 'same' | 'openOrders' | 'position' {
    this.pump();
    const out = this.simOf(a, symbol).setMarginType(symbol, type === 'ISOLATED');
    if (out === 'ok') for (const side of SIDES) a.portfolio.configureSymbol(ledgerKey(symbol, side), { marginMode: type === 'ISOLATED' ? 'isolated' : 'cross' });
    return out;
  }

  /** Binance `POST /fapi/v1/positionMargin`: margin added to or removed from an isolated position. */
  positionMargin(a: AccountState, symbol: string, side: PositionSide, amount: string, add: boolean): TransferOutcome | 'noAccount' {
    this.pump();
    return this.simOf(a, symbol).transferIsolatedMargin(symbol, side, amount, add, this.clockUs());
  }

  /** An isolated position's wallet, margin and liquidation price (null when the symbol is cross). */
  isolatedPosition(a: AccountState, symbol: string, side: PositionSide): { wallet: string; margin: string; liquidationPrice: string | null } | null {
    return this.simOf(a, symbol).isolatedPosition(symbol, side);
  }

  /** Σ isolated wallets of the account's positions in one margin asset, exact decimal string. */
  isolatedWallets(a: AccountState, asset: string): string {
    return a.sims.get(asset)?.isolatedWallets() ?? '0';
  }

  private simOf(a: AccountState, symbol: string): SimExchange {
    const sim = a.simBySymbol.get(symbol);
    if (sim === undefined) throw new RangeError(`no instrument ${symbol}`);
    return sim;
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
    for (const side of SIDES) a.portfolio.configureSymbol(ledgerKey(symbol, side), { leverage });
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

  /**
   * Marks every symbol of the account's ledger at the current mid of the replayed book (before a
   * snapshot of it), and tells it the isolated wallets the exchange holds (the cross positions'
   * liquidation prices see the cross wallet).
   */
  markToMid(a: AccountState): void {
    for (const [asset, sim] of a.sims) a.portfolio.setIsolatedWallets(asset, sim.isolatedWallets());
    for (const [symbol, sync] of this.books) {
      const bid = sync.book.bestBidTicks();
      const ask = sync.book.bestAskTicks();
      if (Number.isFinite(bid) && Number.isFinite(ask) && bid < ask) for (const side of SIDES) a.portfolio.mark({ symbol: ledgerKey(symbol, side), tsUs: this.clockUs(), priceTicks: (bid + ask) / 2 });
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
    // A print's match time too: the simulated exchange lets a print fill only the orders that
    // arrived (at server time) before it matched, so its `T` must be on the same clock.
    const forSim =
      e.type === 'markPrice'
        ? { ...e, tsExchangeUs: at, nextFundingTimeUs: e.nextFundingTimeUs === -1 ? -1 : this.mapUs(e.nextFundingTimeUs) }
        : e.type === 'trade' || e.type === 'aggTrade'
          ? { ...e, tsExchangeUs: at, tsTransactUs: this.mapUs(e.tsTransactUs) }
          : e;
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
        // A liquidation's `autoclose-` order was never requested: its record is made from its report.
        a.orders.apply(r, a.pending.get(r.clientOrderId) ?? (r.execType === 'CALCULATED' ? liquidationRequest(r) : undefined));
        const key = ledgerKey(r.symbol, r.positionSide ?? 'BOTH');
        if (r.execType === 'CALCULATED' && r.lastFillLots > 0) {
          // A liquidation fill: booked as the trading core books it (a taker fill, then the insurance clearance).
          a.portfolio.applyFill({ symbol: key, side: r.side, qtyLots: r.lastFillLots, priceTicks: r.lastFillPriceTicks, fee: r.commission === '' ? '0' : r.commission, liquidity: 'taker', tsUs: r.tsExchangeUs });
          const clearance = r.insuranceClearance ?? '0';
          if (clearance !== '0') a.portfolio.applyFee({ symbol: key, fee: clearance, liquidity: 'taker' });
        } else a.portfolio.applyExecutionReport(key === r.symbol ? r : { ...r, symbol: key });
      } else if (ev.kind === 'funding') {
        const f = ev.settlement;
        // Hedge mode: each side's ledger pays or receives −its position × mark × rate (together the settlement's payment, exactly).
        if (this.dualSidePosition(a)) for (const side of HEDGE_SIDES) a.portfolio.applyFunding({ ...f, symbol: ledgerKey(f.symbol, side) });
        else a.portfolio.applyFunding(f);
      }
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

