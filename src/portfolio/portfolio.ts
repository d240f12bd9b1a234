/**
 * The portfolio: one-way positions per symbol, one cash account per margin asset (USDT, USDC).
 *
 * Units: money is exact (bigint 10^-moneyDecimals units, decimal strings at the edges); positions
 * are integer lots; fill prices integer ticks; marks and rates exact decimal strings.
 * Ordering: events are booked in the order the caller applies them (the engine's event order);
 * snapshots list accounts by asset name and positions by symbol, both sorted.
 * Semantics: wallet = deposits + realized − fees + funding; equity = wallet + unrealized at the
 * mark; funding at each settlement = −position × mark × rate (longs pay shorts when rate > 0).
 * See docs/PORTFOLIO.md for every formula.
 */
import type { EventBus } from '../core/bus.ts';
import { ConfigError, InputError } from '../core/errors.ts';
import type { Instrument } from '../model/instrument.ts';
import type { ExecutionReport } from '../model/venue.ts';
import { bracketFor, DEFAULT_LEVERAGE, DEFAULT_MAINTENANCE_BRACKETS, initialMargin, liquidationPrice8, maintenanceMargin, marginRatio8, parseBrackets, RATIO_DECIMALS, validateMarginConfig, type ParsedBracket } from './margin.ts';
import { divRoundHalfEven, formatScaled, parseDecimal, parseScaled, pow10n } from '../model/money.ts';
import { PositionLedger } from './position.ts';
import { PortfolioSnapshot, type PnlFloats } from './snapshot.ts';
import type { AccountSnapshot, FillInput, FundingInput, MarkInput, PnlDecomposition, PortfolioEventMap, PortfolioOptions, PositionSnapshot, SymbolMarginConfig, TransferInput } from './types.ts';

/** Where the portfolio finds instruments (a `SpecRegistry` fits). */
export interface InstrumentLookup {
  get(symbol: string): Instrument;
}

export const DEFAULT_MONEY_DECIMALS = 24;

interface Account {
  asset: string;
  deposits: bigint;
  wallet: bigint;
  ledgers: PositionLedger[];
  /** Part of the wallet held in isolated positions' own wallets by the exchange (`setIsolatedWallets`; 0 unless told). */
  isolatedWallets: bigint;
}

interface SymbolState {
  ledger: PositionLedger;
  config: SymbolMarginConfig;
  brackets: ParsedBracket[];
}

/** An account's figures as floats (`Portfolio.accountFloats`). */
export interface AccountFloats extends PnlFloats {
  equity: number;
  wallet: number;
  unrealized: number;
}

export class Portfolio {
  readonly moneyDecimals: number;
  private readonly instruments: InstrumentLookup;
  private readonly bus: EventBus<PortfolioEventMap> | undefined;
  private readonly defaults: SymbolMarginConfig;
  private readonly symbols = new Map<string, SymbolState>();
  private readonly accounts = new Map<string, Account>();
  private readonly seenTrades = new Set<string>();

  constructor(instruments: InstrumentLookup, options: PortfolioOptions = {}, bus?: EventBus<PortfolioEventMap>) {
    const md = options.moneyDecimals ?? DEFAULT_MONEY_DECIMALS;
    if (!Number.isInteger(md) || md < 8 || md > 60) throw new ConfigError(`moneyDecimals must be an integer in 8..60, got ${md}`, { field: 'moneyDecimals' });
    this.moneyDecimals = md;
    this.instruments = instruments;
    this.bus = bus;
    this.defaults = {
      leverage: options.defaults?.leverage ?? DEFAULT_LEVERAGE,
      marginMode: options.defaults?.marginMode ?? 'cross',
      brackets: options.defaults?.brackets ?? DEFAULT_MAINTENANCE_BRACKETS,
    };
    validateMarginConfig(this.defaults, 'defaults');
    parseBrackets(this.defaults.brackets, md, 'defaults');
  }

  /** Sets leverage, margin mode or maintenance brackets of one symbol (the rest keep their values). */
  configureSymbol(symbol: string, config: Partial<SymbolMarginConfig>): void {
    const s = this.state(symbol);
    const next: SymbolMarginConfig = { ...s.config, ...config };
    validateMarginConfig(next, s.ledger.symbol);
    s.brackets = parseBrackets(next.brackets, this.moneyDecimals, s.ledger.symbol);
    s.config = next;
  }

  /** Deposit (amount > 0) or withdrawal (amount < 0) of a margin asset. */
  deposit(t: TransferInput): void {
    const amount = parseScaled(t.amount, this.moneyDecimals, 'amount');
    const acct = this.account(t.asset);
    acct.deposits += amount;
    acct.wallet += amount;
    if (this.bus?.hasListeners('portfolio.transferBooked')) {
      this.bus.emit('portfolio.transferBooked', { asset: acct.asset, tsUs: t.tsUs, amount: formatScaled(amount, this.moneyDecimals), walletBalance: formatScaled(acct.wallet, this.moneyDecimals) });
    }
  }

  /**
   * The part of an asset's wallet the exchange holds in isolated positions' own wallets (the local
   * exchange's isolated margin): the cross positions' liquidation prices see the wallet less it
   * (Binance's cross wallet balance). Default 0 (the backtest: every position cross).
   */
  setIsolatedWallets(asset: string, amount: string): void {
    this.account(asset).isolatedWallets = parseScaled(amount, this.moneyDecimals, `${asset}.isolatedWallets`);
  }

  /** Books one fill. */
  applyFill(f: FillInput): void {
    const s = this.state(f.symbol);
    const fee = parseScaled(f.fee, this.moneyDecimals, `${s.ledger.symbol}.fee`);
    const realized = s.ledger.applyFill(f.side, f.qtyLots, f.priceTicks, fee, f.liquidity, f.midTicks);
    const acct = this.account(s.ledger.marginAsset);
    acct.wallet += realized - fee;
    if (this.bus?.hasListeners('portfolio.fillBooked')) {
      this.bus.emit('portfolio.fillBooked', {
        symbol: s.ledger.symbol,
        tsUs: f.tsUs,
        side: f.side,
        qtyLots: f.qtyLots,
        priceTicks: f.priceTicks,
        liquidity: f.liquidity,
        fee: formatScaled(fee, this.moneyDecimals),
        realizedPnl: formatScaled(realized, this.moneyDecimals),
        positionLots: s.ledger.lots,
      });
    }
  }

  /**
   * Books a TRADE report (other execution types are ignored). Duplicates, by (symbol, orderId,
   * tradeId), are ignored too. Returns whether the report was booked.
   */
  applyExecutionReport(r: ExecutionReport, midTicks?: number): boolean {
    if (r.execType !== 'TRADE' || r.lastFillLots <= 0) return false;
    const key = `${r.symbol}|${r.orderId}|${r.tradeId}`;
    if (this.seenTrades.has(key)) return false;
    if (r.liquidity === null) throw new InputError(`${r.symbol}: TRADE report of order ${r.orderId} has no liquidity`, { field: 'liquidity' });
    this.applyFill({
      symbol: r.symbol,
      side: r.side,
      qtyLots: r.lastFillLots,
      priceTicks: r.lastFillPriceTicks,
      fee: r.commission === '' ? '0' : r.commission,
      liquidity: r.liquidity,
      tsUs: r.tsExchangeUs,
      midTicks,
    });
    this.seenTrades.add(key);
    return true;
  }

  /**
   * Books a commission with no quantity: a trade report whose quantity was already booked from an
   * earlier status report (the OMS counts each lot once; the trade's fee still reaches the ledger).
   */
  applyFee(f: { symbol: string; fee: string; liquidity: 'maker' | 'taker' }): void {
    const s = this.state(f.symbol);
    const fee = parseScaled(f.fee, this.moneyDecimals, `${s.ledger.symbol}.fee`);
    s.ledger.fees += fee;
    if (f.liquidity === 'maker') s.ledger.makerFees += fee;
    else s.ledger.takerFees += fee;
    this.account(s.ledger.marginAsset).wallet -= fee;
  }

  /** A new mark price: revalues the position (unrealized PnL, inventory PnL, margins). */
  mark(m: MarkInput): void {
    const l = this.state(m.symbol).ledger;
    const units = 'markPrice' in m ? l.priceToUnits(parseDecimal(m.markPrice, `${l.symbol}.markPrice`), 'markPrice', m.markPrice) : l.ticksToPriceUnits(m.priceTicks, 'priceTicks');
    l.applyMark(units);
  }

  /** Books a funding settlement; returns the payment (received > 0, paid < 0) as a decimal string. */
  applyFunding(f: FundingInput): string {
    const l = this.state(f.symbol).ledger;
    const markUnits = l.priceToUnits(parseDecimal(f.markPrice, `${l.symbol}.markPrice`), 'markPrice', f.markPrice);
    const rate = parseDecimal(f.rate, `${l.symbol}.rate`);
    l.applyMark(markUnits);
    const payment = f.amount === undefined ? l.fundingPayment(markUnits, rate) : parseScaled(f.amount, this.moneyDecimals, `${l.symbol}.amount`);
    l.bookFunding(payment);
    this.account(l.marginAsset).wallet += payment;
    const paymentString = formatScaled(payment, this.moneyDecimals);
    if (this.bus?.hasListeners('portfolio.fundingBooked')) {
      this.bus.emit('portfolio.fundingBooked', { symbol: l.symbol, tsUs: f.tsUs, markPrice: f.markPrice, rate: f.rate, positionLots: l.lots, payment: paymentString });
    }
    return paymentString;
  }

  /** Signed position in lots (0 for a symbol never traded). */
  positionLots(symbol: string): number {
    return this.symbols.get(symbol.toUpperCase())?.ledger.lots ?? 0;
  }

  /** The exact average entry price as a reduced fraction, null when flat. */
  avgEntryFraction(symbol: string): { numerator: bigint; denominator: bigint } | null {
    const s = this.symbols.get(symbol.toUpperCase());
    if (!s || s.ledger.lots === 0) return null;
    const l = s.ledger;
    const q = l.qtyUnits();
    let numerator = q < 0n ? -l.cost : l.cost;
    let denominator = (q < 0n ? -q : q) * pow10n(l.priceScale);
    const g = gcd(numerator < 0n ? -numerator : numerator, denominator);
    if (g > 1n) {
      numerator /= g;
      denominator /= g;
    }
    return { numerator, denominator };
  }

  positionSnapshot(symbol: string): PositionSnapshot {
    const s = this.state(symbol);
    return this.describePosition(s, this.crossWalletFor(s));
  }

  accountSnapshot(asset: string): AccountSnapshot {
    return this.describeAccount(this.account(asset));
  }

  /** Every account (sorted by asset) and every symbol ever touched (sorted by symbol). */
  snapshot(tsUs: number): PortfolioSnapshot {
    const accounts = [...this.accounts.keys()].sort().map((a) => this.describeAccount(this.accounts.get(a)!));
    const positions = [...this.symbols.keys()].sort().map((k) => {
      const s = this.symbols.get(k)!;
      return this.describePosition(s, this.crossWalletFor(s));
    });
    return new PortfolioSnapshot(tsUs, accounts, positions);
  }

  /**
   * Equity (as units of 10^-moneyDecimals and as the decimal string `accountSnapshot` gives) and
   * initial margin of one account: the two figures the trading core re-reads after every mark and
   * fill, without formatting the other dozen of a full account snapshot.
   */
  equityAndInitialMargin(asset: string): { equityUnits: bigint; equity: string; initialMargin: string } {
    const a = this.account(asset);
    let unrealized = 0n;
    let im = 0n;
    for (const l of a.ledgers) {
      unrealized += l.unrealized();
      im += initialMargin(l.notional(), this.stateOf(l).config.leverage);
    }
    const equityUnits = a.wallet + unrealized;
    return { equityUnits, equity: formatScaled(equityUnits, this.moneyDecimals), initialMargin: formatScaled(im, this.moneyDecimals) };
  }

  /**
   * One account's equity, wallet, unrealized PnL and PnL decomposition as floats, for the report's
   * per-second sample: the numbers a snapshot's float getters give (`equityFloat`,
   * `walletFloat`, `unrealizedFloat`, `pnlFloats`: each the float of its decimal string), without the
   * rest of the snapshot (margins, ratio, six more strings). Null when the asset has no account.
   */
  accountFloats(asset: string): AccountFloats | null {
    const a = this.accounts.get(asset.toUpperCase());
    if (a === undefined) return null;
    const md = this.moneyDecimals;
    const { unrealized, fees, funding, spread, inventory } = pnlSums(a);
    return {
      equity: floatOf(a.wallet + unrealized, md),
      wallet: floatOf(a.wallet, md),
      unrealized: floatOf(unrealized, md),
      spreadCapture: floatOf(spread, md),
      inventory: floatOf(inventory, md),
      fees: floatOf(fees, md),
      funding: floatOf(funding, md),
      total: floatOf(spread + inventory - fees + funding, md),
    };
  }

  private state(symbol: string): SymbolState {
    const key = symbol.toUpperCase();
    let s = this.symbols.get(key);
    if (s === undefined) {
      const ledger = new PositionLedger(this.instruments.get(symbol), this.moneyDecimals);
      if (ledger.marginAsset === '') throw new ConfigError(`${ledger.symbol}: instrument spec has no marginAsset`, { field: `${ledger.symbol}.marginAsset` });
      s = { ledger, config: { ...this.defaults }, brackets: parseBrackets(this.defaults.brackets, this.moneyDecimals, 'defaults') };
      this.symbols.set(key, s);
      this.account(ledger.marginAsset).ledgers.push(ledger);
    }
    return s;
  }

  private account(asset: string): Account {
    const key = asset.toUpperCase();
    let a = this.accounts.get(key);
    if (a === undefined) {
      a = { asset: key, deposits: 0n, wallet: 0n, ledgers: [], isolatedWallets: 0n };
      this.accounts.set(key, a);
    }
    return a;
  }

  private stateOf(l: PositionLedger): SymbolState {
    return this.symbols.get(l.symbol.toUpperCase())!;
  }

  /** Binance's cross wallet for one position: WB − TMM1 + UPNL1 (the other cross positions of the asset). */
  private crossWalletFor(s: SymbolState): bigint {
    const acct = this.account(s.ledger.marginAsset);
    let w = acct.wallet - acct.isolatedWallets;
    for (const other of acct.ledgers) {
      if (other === s.ledger) continue;
      const os = this.stateOf(other);
      if (os.config.marginMode !== 'cross') continue;
      w += other.unrealized() - maintenanceMargin(other.notional(), bracketFor(other.notional(), os.brackets));
    }
    return w;
  }

  private describePosition(s: SymbolState, crossWallet: bigint): PositionSnapshot {
    const l = s.ledger;
    const md = this.moneyDecimals;
    const notional = l.notional();
    const bracket = bracketFor(notional, s.brackets);
    const q = l.qtyUnits();
    const absCost = l.cost < 0n ? -l.cost : l.cost;
    const walletForPosition = s.config.marginMode === 'isolated' ? initialMargin(absCost, s.config.leverage) : crossWallet;
    const liq = liquidationPrice8(q, l.instrument.qtyDecimals, l.cost, walletForPosition, bracket, md);
    const avg = l.lots === 0 ? null : formatScaled(roundedAvg(l), l.priceScale);
    const v = l.valuationPrice();
    return {
      symbol: l.symbol,
      marginAsset: l.marginAsset,
      positionLots: l.lots,
      positionQty: formatScaled(q, l.instrument.qtyDecimals),
      avgEntryPrice: avg,
      markPrice: v === null ? null : formatScaled(v, l.priceScale),
      notional: formatScaled(notional, md),
      unrealizedPnl: formatScaled(l.unrealized(), md),
      realizedPnl: formatScaled(l.realized, md),
      fees: formatScaled(l.fees, md),
      makerFees: formatScaled(l.makerFees, md),
      takerFees: formatScaled(l.takerFees, md),
      funding: formatScaled(l.funding, md),
      leverage: s.config.leverage,
      marginMode: s.config.marginMode,
      initialMargin: formatScaled(initialMargin(notional, s.config.leverage), md),
      maintenanceMargin: formatScaled(maintenanceMargin(notional, bracket), md),
      liquidationPrice: liq === null ? null : formatScaled(liq, RATIO_DECIMALS),
      pnl: decomposition(l.spreadCapture, l.inventoryToNow(), l.fees, l.funding, md),
      fillCount: l.fillCount,
      boughtLots: l.boughtLots,
      soldLots: l.soldLots,
    };
  }

  private describeAccount(a: Account): AccountSnapshot {
    const md = this.moneyDecimals;
    const { unrealized, realized, fees, funding, spread, inventory } = pnlSums(a);
    let im = 0n;
    let mm = 0n;
    for (const l of a.ledgers) {
      const s = this.stateOf(l);
      const notional = l.notional();
      im += initialMargin(notional, s.config.leverage);
      mm += maintenanceMargin(notional, bracketFor(notional, s.brackets));
    }
    const equity = a.wallet + unrealized;
    const ratio = marginRatio8(mm, equity);
    return {
      asset: a.asset,
      deposits: formatScaled(a.deposits, md),
      walletBalance: formatScaled(a.wallet, md),
      unrealizedPnl: formatScaled(unrealized, md),
      equity: formatScaled(equity, md),
      initialMargin: formatScaled(im, md),
      maintenanceMargin: formatScaled(mm, md),
      availableBalance: formatScaled(equity - im, md),
      marginRatio: ratio === null ? null : formatScaled(ratio, RATIO_DECIMALS),
      realizedPnl: formatScaled(realized, md),
      fees: formatScaled(fees, md),
      funding: formatScaled(funding, md),
      pnl: decomposition(spread, inventory, fees, funding, md),
    };
  }
}

/** An account's PnL figures summed over its positions (exact units), for the snapshot and the floats. */
function pnlSums(a: Account): { unrealized: bigint; realized: bigint; fees: bigint; funding: bigint; spread: bigint; inventory: bigint } {
  let unrealized = 0n;
  let realized = 0n;
  let fees = 0n;
  let funding = 0n;
  let spread = 0n;
  let inventory = 0n;
  for (const l of a.ledgers) {
    unrealized += l.unrealized();
    realized += l.realized;
    fees += l.fees;
    funding += l.funding;
    spread += l.spreadCapture;
    inventory += l.inventoryToNow();
  }
  return { unrealized, realized, fees, funding, spread, inventory };
}

/** `units × 10^-scale` as the float of its decimal string (charts and statistics only). */
function floatOf(units: bigint, scale: number): number {
  return Number(formatScaled(units, scale));
}

/** cost / position at the ledger's price scale, rounded half-even (display only). */
function roundedAvg(l: PositionLedger): bigint {
  // price units (10^-(S-qd)) = cost (10^-S) / qty (10^-qd): one integer division.
  const q = l.qtyUnits();
  return divRoundHalfEven(q < 0n ? -l.cost : l.cost, q < 0n ? -q : q);
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function decomposition(spread: bigint, inventory: bigint, fees: bigint, funding: bigint, md: number): PnlDecomposition {
  return {
    spreadCapture: formatScaled(spread, md),
    inventory: formatScaled(inventory, md),
    fees: formatScaled(fees, md),
    funding: formatScaled(funding, md),
    total: formatScaled(spread + inventory - fees + funding, md),
  };
}
