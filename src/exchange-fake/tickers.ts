/**
 * The 24-hour tickers and the all-market mark price streams (binance-usdm.md §6), from the replayed
 * data: `GET /fapi/v1/ticker/24hr` and these streams, sent through the stream hub:
 *
 * - `<s>@ticker` (`24hrTicker`, every 2 s), `!ticker@arr` (1 s), `<s>@miniTicker` (`24hrMiniTicker`,
 *   2 s), `!miniTicker@arr` (1 s): rolling 24-hour statistics of the trades the market has delivered
 *   (its aggregate trades for data without trades), taken from the 1-minute klines the REST
 *   `klines` endpoint serves (market-rest.ts), so they agree with it: the window is the last 24 h of
 *   server time at minute granularity (the minute the window starts in counts whole). `o` is the
 *   first price of the window, `c` and `Q` the last trade's price and quantity, `h`/`l` the extremes,
 *   `v`/`q` base and quote volume (exact), `w` = q / v, `p` = c − o, `P` = 100 · p / o (3 decimals),
 *   `F`/`L`/`n` the first and last trade id and the trade count, `O` = `C` − 24 h, `C` = `E` = the
 *   push time. Prices at 8 decimals, as Binance sends them.
 * - `!markPrice@arr` (3 s), `!markPrice@arr@1s` (1 s): the latest `markPriceUpdate` of each symbol
 *   (the `@markPrice` payload), in an array.
 *
 * `GET /fapi/v1/ticker/24hr` (one `symbol`, or all in an array) answers with the same statistics
 * at the request's time, in REST's names (`priceChange`, `lastPrice`, `volume`, `firstId`, …); a symbol
 * without trades in the window has zero prices and volumes, `firstId`/`lastId` −1 and `count` 0.
 *
 * Timing and order. Windows are aligned to the epoch in server time; a window's message goes out at
 * the first replay step after it ends. A symbol is sent only when it changed during the window (a
 * trade, a mark price), as Binance sends "only changed tickers"; a new subscription gets the current
 * state of every symbol with data at its first window end. The arrays list symbols in the order the
 * exchange serves them (exchangeInfo's). Data without trades (or mark prices) sends nothing.
 */
import type { MarketEvent, MarkPrice } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import { divRoundHalfEven, parseDecimal, pow10n } from '../model/money.ts';
import type { LocalExchange } from './local-exchange.ts';
import type { Kline, MarketHistory } from './market-rest.ts';
import type { ExchangeServer } from './server.ts';
import type { StreamHub } from './stream-hub.ts';
import { markPricePayload } from './streams.ts';

const ms = (us: number): number => Math.floor(us / 1000);
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const SYMBOL_STREAM = /^([a-z0-9]+)@(ticker|miniTicker)$/;

type Kind = 'ticker' | 'miniTicker' | 'markPrice';

interface StreamState {
  kind: Kind;
  speedMs: number;
  /** The symbols it carries: one, or all (the `!…@arr` streams). */
  symbols: readonly string[];
  window: number;
  /** Symbols changed since the last message. */
  dirty: Set<string>;
}

/** Rolling 24-hour statistics of one symbol, in ticks and lots. */
export interface TickerStats {
  open: number;
  high: number;
  low: number;
  close: number;
  volLots: number;
  /** Σ ticks × lots. */
  quote: bigint;
  count: number;
  firstId: number;
  lastId: number;
}

/** The statistics of the 1-minute klines opened at or after the minute of `fromMs` (null: no trade since). */
export function tickerStats(klines: readonly Kline[], fromMs: number): TickerStats | null {
  const start = Math.floor(fromMs / MINUTE_MS) * MINUTE_MS;
  let i = klines.length;
  while (i > 0 && klines[i - 1].openMs >= start) i--;
  if (i >= klines.length) return null;
  const first = klines[i];
  const s: TickerStats = { open: first.open, high: first.high, low: first.low, close: first.close, volLots: 0, quote: 0n, count: 0, firstId: first.firstId, lastId: first.lastId };
  for (; i < klines.length; i++) {
    const k = klines[i];
    if (k.high > s.high) s.high = k.high;
    if (k.low < s.low) s.low = k.low;
    s.close = k.close;
    s.lastId = k.lastId;
    s.volLots += k.volLots;
    s.quote += k.quote;
    s.count += k.count;
  }
  return s;
}

/** `units × 10^-decimals` with exactly `decimals` (> 0) decimals: "-131.40000000", "0.000". */
function fixed(units: bigint, decimals: number): string {
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(decimals + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

/** `units × 10^-scale` at 8 decimals (half-even beyond). */
function fixed8(units: bigint, scale: number): string {
  return fixed(scale <= 8 ? units * pow10n(8 - scale) : divRoundHalfEven(units, pow10n(scale - 8)), 8);
}

/** Formats a `TickerStats` as Binance's `24hrTicker` / `24hrMiniTicker` payloads. */
export class TickerFormat {
  private readonly tick;
  private readonly step;

  constructor(private readonly inst: Instrument) {
    this.tick = parseDecimal(inst.spec.tickSize);
    this.step = parseDecimal(inst.spec.stepSize);
  }

  price(ticks: number | bigint): string {
    return fixed8(BigInt(ticks) * this.tick.units, this.tick.scale);
  }

  private quote(s: TickerStats): string {
    return fixed8(s.quote * this.tick.units * this.step.units, this.tick.scale + this.step.scale);
  }

  mini(s: TickerStats, eMs: number): object {
    return { e: '24hrMiniTicker', E: eMs, s: this.inst.symbol, c: this.price(s.close), o: this.price(s.open), h: this.price(s.high), l: this.price(s.low), v: this.inst.lotsToQty(s.volLots), q: this.quote(s) };
  }

  /** `GET /fapi/v1/ticker/24hr`'s object: the `24hrTicker` fields under REST's names (zeros without trades). */
  rest(s: TickerStats | null, lastQtyLots: number, nowMs: number): object {
    const t = s === null ? undefined : (this.full(s, lastQtyLots, nowMs) as Record<string, string | number>);
    const zero = this.price(0);
    return {
      symbol: this.inst.symbol, priceChange: t?.p ?? zero, priceChangePercent: t?.P ?? '0.000', weightedAvgPrice: t?.w ?? zero, lastPrice: t?.c ?? zero, lastQty: t?.Q ?? this.inst.lotsToQty(0),
      openPrice: t?.o ?? zero, highPrice: t?.h ?? zero, lowPrice: t?.l ?? zero, volume: t?.v ?? this.inst.lotsToQty(0), quoteVolume: t?.q ?? zero, openTime: nowMs - DAY_MS, closeTime: nowMs,
      firstId: t?.F ?? -1, lastId: t?.L ?? -1, count: t?.n ?? 0,
    };
  }

  full(s: TickerStats, lastQtyLots: number, eMs: number): object {
    const change = BigInt(s.close - s.open);
    const percent = s.open === 0 ? 0n : divRoundHalfEven(change * 100_000n, BigInt(s.open));
    const avgUnits = s.volLots === 0 ? 0n : divRoundHalfEven(s.quote * this.tick.units * pow10n(8), BigInt(s.volLots) * pow10n(this.tick.scale));
    return {
      e: '24hrTicker', E: eMs, s: this.inst.symbol, p: this.price(change), P: fixed(percent, 3), w: fixed(avgUnits, 8), c: this.price(s.close), Q: this.inst.lotsToQty(lastQtyLots),
      o: this.price(s.open), h: this.price(s.high), l: this.price(s.low), v: this.inst.lotsToQty(s.volLots), q: this.quote(s), O: eMs - DAY_MS, C: eMs, F: s.firstId, L: s.lastId, n: s.count,
    };
  }
}

export class Tickers {
  private readonly states = new Map<string, StreamState>();
  private readonly symbols: string[];
  private readonly formats = new Map<string, TickerFormat>();
  /** The last counted trade's quantity per symbol (`Q`), and whether the data has trades (else its aggTrades count). */
  private readonly lastQty = new Map<string, number>();
  private readonly hasTrades = new Set<string>();
  private readonly marks = new Map<string, MarkPrice>();

  constructor(
    private readonly ex: LocalExchange,
    private readonly hub: StreamHub,
    private readonly history: MarketHistory,
  ) {
    this.symbols = [...ex.instruments.keys()];
    for (const inst of ex.instruments.values()) this.formats.set(inst.symbol, new TickerFormat(inst));
    hub.addProvider({ valid: (n) => this.stateOf(n) !== undefined, subscribed: (n) => this.subscribed(n) });
    ex.onMarket((e, at) => this.onMarket(e, at));
    ex.onTick((now) => this.flush(now));
  }

  /** Registers `GET /fapi/v1/ticker/24hr` on the server. */
  register(srv: ExchangeServer): void {
    srv.route('GET /fapi/v1/ticker/24hr', ({ params }) => {
      this.ex.pump();
      const now = srv.nowMs();
      const one = (symbol: string) => this.formats.get(symbol)!.rest(tickerStats(this.history.klinesOf(symbol, '1m'), now - DAY_MS), this.lastQty.get(symbol) ?? 0, now);
      return { status: 200, body: params.get('symbol') === undefined ? this.symbols.map(one) : one(srv.instrument(params).symbol) };
    });
  }

  /** The state of a stream we serve (created on first use), or undefined. */
  private stateOf(name: string): StreamState | undefined {
    const known = this.states.get(name);
    if (known !== undefined) return known;
    let s: Omit<StreamState, 'window' | 'dirty'> | undefined;
    if (name === '!ticker@arr') s = { kind: 'ticker', speedMs: 1000, symbols: this.symbols };
    else if (name === '!miniTicker@arr') s = { kind: 'miniTicker', speedMs: 1000, symbols: this.symbols };
    else if (name === '!markPrice@arr') s = { kind: 'markPrice', speedMs: 3000, symbols: this.symbols };
    else if (name === '!markPrice@arr@1s') s = { kind: 'markPrice', speedMs: 1000, symbols: this.symbols };
    else {
      const m = SYMBOL_STREAM.exec(name);
      const symbol = m?.[1].toUpperCase();
      if (m === null || symbol === undefined || !this.ex.instruments.has(symbol)) return undefined;
      s = { kind: m[2] as Kind, speedMs: 2000, symbols: [symbol] };
    }
    const state: StreamState = { ...s, window: -1, dirty: new Set() };
    this.states.set(name, state);
    return state;
  }

  /** A new subscriber gets every symbol's current state at the next window end. */
  private subscribed(name: string): void {
    const s = this.stateOf(name);
    if (s !== undefined) for (const sym of s.symbols) s.dirty.add(sym);
  }

  private onMarket(e: MarketEvent, at: number): void {
    if (e.type === 'trade' || (e.type === 'aggTrade' && !this.hasTrades.has(e.symbol))) {
      if (e.type === 'trade') this.hasTrades.add(e.symbol);
      this.lastQty.set(e.symbol, e.qtyLots);
      this.touch(e.symbol, 'ticker', 'miniTicker');
    } else if (e.type === 'markPrice') {
      this.marks.set(e.symbol, e);
      this.touch(e.symbol, 'markPrice');
    } else return;
    this.flush(at);
  }

  private touch(symbol: string, ...kinds: Kind[]): void {
    for (const s of this.states.values()) if (kinds.includes(s.kind) && s.symbols.includes(symbol)) s.dirty.add(symbol);
  }

  /** Closes the windows that ended by `nowUs`: one message per stream with changed symbols. */
  private flush(nowUs: number): void {
    const nowMs = ms(nowUs);
    for (const [name, s] of this.states) {
      const w = Math.floor(nowMs / s.speedMs);
      if (w === s.window) continue;
      // The window that just ended is the one of the changes; the first window of a stream only opens it.
      const ended = s.window >= 0;
      s.window = w;
      if (!ended || s.dirty.size === 0) continue;
      const changed = s.symbols.filter((sym) => s.dirty.has(sym));
      s.dirty.clear();
      if (this.hub.subscribers(name) === 0) continue;
      const payloads = changed.map((sym) => this.payload(s.kind, sym, nowMs)).filter((p): p is object => p !== null);
      if (payloads.length === 0) continue;
      this.hub.publishStream(name, name.startsWith('!') ? payloads : payloads[0]);
    }
  }

  private payload(kind: Kind, symbol: string, nowMs: number): object | null {
    if (kind === 'markPrice') {
      const m = this.marks.get(symbol);
      return m === undefined ? null : markPricePayload(m, (us) => this.ex.mapUs(us));
    }
    const stats = tickerStats(this.history.klinesOf(symbol, '1m'), nowMs - DAY_MS);
    if (stats === null) return null;
    const f = this.formats.get(symbol)!;
    return kind === 'miniTicker' ? f.mini(stats, nowMs) : f.full(stats, this.lastQty.get(symbol) ?? 0, nowMs);
  }
}
