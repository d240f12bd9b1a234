/**
 * Fast path for the common lines of a raw Binance recording: a hand-written scanner over the line's
 * UTF-8 bytes for the combined-stream envelopes `{"stream":"…","data":{"e":…}}` of depthUpdate,
 * bookTicker, trade and aggTrade in exactly the key order Binance sends (≈ 99 % of the lines of a
 * recording). It produces the very event the JSON.parse path (`parseBinanceMessage`) produces,
 * without decoding the line to a string, building the JSON object tree or a string per number;
 * depth levels go straight into the tick/lot arrays.
 *
 * Contract: `parseStreamBytesFast` either pushes exactly one event, identical to what
 * `parseBinanceMessage(JSON.parse(text))` gives, and returns true; or it changes nothing and returns
 * false, and the caller takes the JSON.parse path. It declines anything it is not sure about, so
 * that every error (and its file:line + field) still comes from the JSON.parse path: another key
 * order, an extra or missing key, whitespace, an escape, control or non-ASCII character in a
 * string, a number with a sign, fraction, exponent or leading zero where an integer is expected,
 * more than 15 digits, a price or quantity that is not `digits[.digits]` or not on the grid, a
 * non-positive price or time, trailing bytes, an unmapped, mark-price or liquidation (forceOrder)
 * stream (rare lines: the JSON path maps them), or a scale that is
 * not an `Instrument` (spec inference samples the decimal strings through its own scale), or a
 * trade whose `X` is not MARKET (the JSON.parse path skips and counts it).
 *
 * Arithmetic is the same as `parseFixed` + `Instrument.priceToTicks/qtyToLots` (digit by digit,
 * then × 10^k, then ÷ tick units), so the integers are bit-identical. Units as in events.ts: µs
 * times (ms × 1000), integer ticks and lots.
 */
import type { AggTrade, BookTicker, DepthDiff, MarketEvent, Trade } from '../../model/events.ts';
import { Instrument } from '../../model/instrument.ts';
import { pow10 } from '../../model/decimal.ts';
import { streamKind, type StreamKind } from './market.ts';
import type { ParseContext } from '../../wire/index.ts';

const SPACE = 32;
const QUOTE = 34;
const COMMA = 44;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const COLON = 58;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const RBRACE = 125;

/**
 * Scanner position after the last `scan*` call. Module state rather than a returned pair, so the
 * hot loop allocates nothing; the scanner is synchronous, so no two scans interleave.
 */
let at = 0;

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Index after `key` if the bytes at `p` are exactly `key`, else -1 (also for p = -1). */
function expect(b: Uint8Array, p: number, key: Uint8Array): number {
  if (p < 0 || p + key.length > b.length) return -1;
  for (let i = 0; i < key.length; i++) if (b[p + i] !== key[i]) return -1;
  return p + key.length;
}

/**
 * A JSON integer at `p`: 1–15 digits, no sign, no leading zero (JSON forbids it), so the value is
 * exact and equals JSON.parse's. Returns -1 if the bytes are not such an integer or go on with
 * '.', 'e' or 'E' (a fraction or exponent); `at` is the index after the digits.
 */
function scanInt(b: Uint8Array, p: number): number {
  let c = b[p];
  if (!(c >= ZERO && c <= NINE)) return -1;
  let v = c - ZERO;
  const start = p++;
  while ((c = b[p]) >= ZERO && c <= NINE) {
    v = v * 10 + (c - ZERO);
    p++;
  }
  const n = p - start;
  if (n > 15 || (n > 1 && b[start] === ZERO) || c === DOT || c === 101 || c === 69) return -1;
  at = p;
  return v;
}

/**
 * The decimal inside a JSON string whose first byte is at `p` (after the opening quote),
 * `digits[.digits]` only, × 10^decimals exactly as `parseFixed(text, decimals)` computes it.
 * NaN if the text has another form, a non-zero digit beyond `decimals` (off the grid), or the
 * result is not a safe integer. `at` is the index after the closing quote.
 */
function scanQuotedFixed(b: Uint8Array, p: number, decimals: number): number {
  let v = 0;
  let intDigits = 0;
  let frac = -1; // decimals consumed after the dot, -1 before the dot
  let fracDigits = 0;
  for (;;) {
    const c = b[p++];
    if (c >= ZERO && c <= NINE) {
      if (frac >= 0) {
        fracDigits++;
        if (frac >= decimals) {
          if (c !== ZERO) return NaN;
          continue;
        }
        frac++;
      } else intDigits++;
      v = v * 10 + (c - ZERO);
    } else if (c === DOT && frac < 0 && intDigits > 0) {
      frac = 0;
    } else if (c === QUOTE) {
      break;
    } else return NaN; // also past the end (undefined)
  }
  if (intDigits === 0 || (frac >= 0 && fracDigits === 0)) return NaN;
  const scale = decimals - (frac < 0 ? 0 : frac);
  if (scale > 15) return NaN; // pow10 would throw: leave the error to the JSON path
  if (scale > 0) v *= pow10(scale);
  if (!Number.isSafeInteger(v)) return NaN;
  at = p;
  return v;
}

/**
 * Index of the closing quote of a JSON string starting at `p`, or -1 if it holds anything but
 * printable ASCII without escapes (so its bytes are its characters).
 */
function asciiStringEnd(b: Uint8Array, p: number): number {
  for (;;) {
    const c = b[p];
    if (c === QUOTE) return p;
    if (!(c >= SPACE && c < 127) || c === BACKSLASH) return -1;
    p++;
  }
}

/** Strings that repeat on every line (stream names, symbols), kept with their bytes so a line reuses them. */
class RecentStrings<T> {
  private readonly bytes: Uint8Array[] = [];
  private readonly strings: string[] = [];
  private readonly values: T[] = [];
  /** Value of the string last returned by `find`. */
  value!: T;

  constructor(private readonly valueOf: (s: string) => T) {}

  /** The (ASCII) string b[p, end), from the cache when it is there; its value in `value`. */
  find(b: Uint8Array, p: number, end: number): string {
    const len = end - p;
    const all = this.bytes;
    outer: for (let i = 0; i < all.length; i++) {
      const x = all[i];
      if (x.length !== len) continue;
      for (let k = 0; k < len; k++) if (x[k] !== b[p + k]) continue outer;
      this.value = this.values[i];
      return this.strings[i];
    }
    const s = String.fromCharCode(...b.subarray(p, end));
    const v = this.valueOf(s);
    if (all.length < 64) {
      all.push(b.slice(p, end));
      this.strings.push(s);
      this.values.push(v);
    }
    this.value = v;
    return s;
  }
}

const streams = new RecentStrings<StreamKind | null>(streamKind);
const symbols = new RecentStrings<null>(() => null);

const K_STREAM = ascii('{"stream":"');
const K_S = ascii(',"s":"');
const K_E = ascii(',"E":');
const K_T = ascii(',"T":');
const K_U = ascii(',"U":');
const K_u = ascii(',"u":');
const K_pu = ascii(',"pu":');
const K_b_levels = ascii(',"b":');
const K_a_levels = ascii(',"a":');
const K_b = ascii(',"b":"');
const K_B = ascii(',"B":"');
const K_a = ascii(',"a":"');
const K_A = ascii(',"A":"');
const K_t = ascii(',"t":');
const K_p = ascii(',"p":"');
const K_q = ascii(',"q":"');
const K_X = ascii(',"X":"');
const MARKET = ascii('MARKET');
const K_m = ascii(',"m":');
const K_agg = ascii(',"a":');
const K_f = ascii(',"f":');
const K_l = ascii(',"l":');
const TRUE = ascii('true');
const FALSE = ascii('false');

/** `"e":"<type>"` head of each payload, by stream kind. */
const HEAD_DEPTH = ascii('","data":{"e":"depthUpdate"');
const HEAD_BOOK_TICKER = ascii('","data":{"e":"bookTicker"');
const HEAD_TRADE = ascii('","data":{"e":"trade"');
const HEAD_AGG_TRADE = ascii('","data":{"e":"aggTrade"');

/** `<key><positive ms>` at p → µs (as jsonMsToUs), or -1; `at` after the number. */
function msField(b: Uint8Array, p: number, key: Uint8Array): number {
  p = expect(b, p, key);
  if (p < 0) return -1;
  const v = scanInt(b, p);
  return v > 0 ? v * 1000 : -1;
}

/** `<key><integer ≥ 0>` at p, or -1; `at` after the number. */
function intField(b: Uint8Array, p: number, key: Uint8Array): number {
  p = expect(b, p, key);
  return p < 0 ? -1 : scanInt(b, p);
}

/** `,"s":"SYMBOL"` at p → the symbol (non-empty), or undefined; `at` after the closing quote. */
function symbolField(b: Uint8Array, p: number): string | undefined {
  p = expect(b, p, K_S);
  if (p < 0) return undefined;
  const end = asciiStringEnd(b, p);
  if (end <= p) return undefined;
  at = end + 1;
  return symbols.find(b, p, end);
}

/** The symbol's instrument, or undefined when the lookup fails (the JSON path then reports it) or the scale is a sampler. */
function instrumentOf(ctx: ParseContext, symbol: string): Instrument | undefined {
  try {
    const scale = ctx.instrument(symbol);
    return scale instanceof Instrument ? scale : undefined;
  } catch {
    return undefined;
  }
}

/** `<key>"price"` → ticks (> 0), or -1; `at` after the closing quote. */
function priceField(b: Uint8Array, p: number, key: Uint8Array, inst: Instrument): number {
  p = expect(b, p, key);
  if (p < 0) return -1;
  const t = scanQuotedFixed(b, p, inst.priceDecimals) / inst.tickUnits;
  return Number.isInteger(t) && t > 0 ? t : -1;
}

/** `<key>"qty"` → lots (≥ 0), or -1; `at` after the closing quote. */
function qtyField(b: Uint8Array, p: number, key: Uint8Array, inst: Instrument): number {
  p = expect(b, p, key);
  if (p < 0) return -1;
  const l = scanQuotedFixed(b, p, inst.qtyDecimals) / inst.stepUnits;
  return Number.isInteger(l) ? l : -1;
}

/**
 * `[["p","q"],…]` at p straight into `ticks`/`lots`; returns the index after the closing bracket,
 * or -1 (the arrays may then hold a partial side: the caller drops them).
 */
function scanLevels(b: Uint8Array, p: number, inst: Instrument, ticks: number[], lots: number[]): number {
  if (p < 0 || b[p] !== LBRACKET) return -1;
  p++;
  if (b[p] === RBRACKET) return p + 1;
  const pd = inst.priceDecimals;
  const tu = inst.tickUnits;
  const qd = inst.qtyDecimals;
  const su = inst.stepUnits;
  for (;;) {
    if (b[p] !== LBRACKET || b[p + 1] !== QUOTE) return -1;
    const t = scanQuotedFixed(b, p + 2, pd) / tu;
    if (!(Number.isInteger(t) && t > 0)) return -1;
    p = at;
    if (b[p] !== COMMA || b[p + 1] !== QUOTE) return -1;
    const l = scanQuotedFixed(b, p + 2, qd) / su;
    if (!Number.isInteger(l)) return -1;
    p = at;
    if (b[p] !== RBRACKET) return -1;
    ticks.push(t);
    lots.push(l);
    const c = b[p + 1];
    if (c === COMMA) p += 2;
    else if (c === RBRACKET) return p + 2;
    else return -1;
  }
}

/** The payload must end the line: `}}` at p and nothing after. */
function endsLine(b: Uint8Array, p: number, end: number): boolean {
  return p >= 0 && p + 2 === end && b[p] === RBRACE && b[p + 1] === RBRACE;
}

/** `,"m":true|false}}` ending the line → 1/0, or -1. */
function makerFlagEndingLine(b: Uint8Array, p: number, end: number): number {
  p = expect(b, p, K_m);
  if (p < 0) return -1;
  let q = expect(b, p, TRUE);
  if (q >= 0) return endsLine(b, q, end) ? 1 : -1;
  q = expect(b, p, FALSE);
  return q >= 0 && endsLine(b, q, end) ? 0 : -1;
}

/**
 * Parses the JSON text b[p, end) of one recording line if it is a common stream message in the
 * standard key order; see the module header for the contract.
 */
export function parseStreamBytesFast(b: Uint8Array, p: number, end: number, tsReceiveUs: number, ctx: ParseContext, out: MarketEvent[]): boolean {
  p = expect(b, p, K_STREAM);
  if (p < 0) return false;
  const nameEnd = asciiStringEnd(b, p);
  if (nameEnd <= p) return false;
  streams.find(b, p, nameEnd);
  switch (streams.value) {
    case 'depth':
      return depth(b, expect(b, nameEnd, HEAD_DEPTH), end, tsReceiveUs, ctx, out);
    case 'bookTicker':
      return bookTicker(b, expect(b, nameEnd, HEAD_BOOK_TICKER), end, tsReceiveUs, ctx, out);
    case 'trade':
      return trade(b, expect(b, nameEnd, HEAD_TRADE), end, tsReceiveUs, ctx, out);
    case 'aggTrade':
      return aggTrade(b, expect(b, nameEnd, HEAD_AGG_TRADE), end, tsReceiveUs, ctx, out);
    default:
      return false;
  }
}

// e, E, T, s, U, u, pu, b, a
function depth(b: Uint8Array, p: number, end: number, tsReceiveUs: number, ctx: ParseContext, out: MarketEvent[]): boolean {
  const tsExchangeUs = msField(b, p, K_E);
  if (tsExchangeUs < 0) return false;
  const tsTransactUs = msField(b, at, K_T);
  if (tsTransactUs < 0) return false;
  const symbol = symbolField(b, at);
  if (symbol === undefined) return false;
  const firstUpdateId = intField(b, at, K_U);
  if (firstUpdateId < 0) return false;
  const finalUpdateId = intField(b, at, K_u);
  if (finalUpdateId < 0) return false;
  const prevFinalUpdateId = intField(b, at, K_pu);
  if (prevFinalUpdateId < 0) return false;
  p = expect(b, at, K_b_levels);
  if (p < 0) return false;
  const inst = instrumentOf(ctx, symbol);
  if (inst === undefined) return false;
  const bidTicks: number[] = [];
  const bidLots: number[] = [];
  const askTicks: number[] = [];
  const askLots: number[] = [];
  p = scanLevels(b, p, inst, bidTicks, bidLots);
  p = scanLevels(b, expect(b, p, K_a_levels), inst, askTicks, askLots);
  if (!endsLine(b, p, end)) return false;
  const ev: DepthDiff = { type: 'depth', symbol, tsExchangeUs, tsReceiveUs, tsTransactUs, firstUpdateId, finalUpdateId, prevFinalUpdateId, bidTicks, bidLots, askTicks, askLots };
  out.push(ev);
  return true;
}

// e, u, s, b, B, a, A, T, E
function bookTicker(b: Uint8Array, p: number, end: number, tsReceiveUs: number, ctx: ParseContext, out: MarketEvent[]): boolean {
  const updateId = intField(b, p, K_u);
  if (updateId < 0) return false;
  const symbol = symbolField(b, at);
  if (symbol === undefined) return false;
  const inst = instrumentOf(ctx, symbol);
  if (inst === undefined) return false;
  const bidTicks = priceField(b, at, K_b, inst);
  if (bidTicks < 0) return false;
  const bidLots = qtyField(b, at, K_B, inst);
  if (bidLots < 0) return false;
  const askTicks = priceField(b, at, K_a, inst);
  if (askTicks < 0) return false;
  const askLots = qtyField(b, at, K_A, inst);
  if (askLots < 0) return false;
  const tsTransactUs = msField(b, at, K_T);
  if (tsTransactUs < 0) return false;
  const tsExchangeUs = msField(b, at, K_E);
  if (tsExchangeUs < 0 || !endsLine(b, at, end)) return false;
  const ev: BookTicker = { type: 'bookTicker', symbol, tsExchangeUs, tsReceiveUs, tsTransactUs, updateId, bidTicks, bidLots, askTicks, askLots };
  out.push(ev);
  return true;
}

// e, E, T, s, t, p, q, X, m
function trade(b: Uint8Array, p: number, end: number, tsReceiveUs: number, ctx: ParseContext, out: MarketEvent[]): boolean {
  const tsExchangeUs = msField(b, p, K_E);
  if (tsExchangeUs < 0) return false;
  const tsTransactUs = msField(b, at, K_T);
  if (tsTransactUs < 0) return false;
  const symbol = symbolField(b, at);
  if (symbol === undefined) return false;
  const tradeId = intField(b, at, K_t);
  if (tradeId < 0) return false;
  const inst = instrumentOf(ctx, symbol);
  if (inst === undefined) return false;
  const priceTicks = priceField(b, at, K_p, inst);
  if (priceTicks < 0) return false;
  const qtyLots = qtyField(b, at, K_q, inst);
  if (qtyLots < 0) return false;
  p = expect(b, at, K_X);
  if (p < 0) return false;
  const xEnd = asciiStringEnd(b, p);
  if (xEnd < 0 || expect(b, p, MARKET) !== xEnd) return false;
  const m = makerFlagEndingLine(b, xEnd + 1, end);
  if (m < 0) return false;
  const ev: Trade = { type: 'trade', symbol, tsExchangeUs, tsReceiveUs, tsTransactUs, tradeId, priceTicks, qtyLots, buyerIsMaker: m === 1 };
  out.push(ev);
  return true;
}

// e, E, a, s, p, q, f, l, T, m
function aggTrade(b: Uint8Array, p: number, end: number, tsReceiveUs: number, ctx: ParseContext, out: MarketEvent[]): boolean {
  const tsExchangeUs = msField(b, p, K_E);
  if (tsExchangeUs < 0) return false;
  const aggTradeId = intField(b, at, K_agg);
  if (aggTradeId < 0) return false;
  const symbol = symbolField(b, at);
  if (symbol === undefined) return false;
  const inst = instrumentOf(ctx, symbol);
  if (inst === undefined) return false;
  const priceTicks = priceField(b, at, K_p, inst);
  if (priceTicks < 0) return false;
  const qtyLots = qtyField(b, at, K_q, inst);
  if (qtyLots < 0) return false;
  const firstTradeId = intField(b, at, K_f);
  if (firstTradeId < 0) return false;
  const lastTradeId = intField(b, at, K_l);
  if (lastTradeId < 0) return false;
  const tsTransactUs = msField(b, at, K_T);
  if (tsTransactUs < 0) return false;
  const m = makerFlagEndingLine(b, at, end);
  if (m < 0) return false;
  const ev: AggTrade = { type: 'aggTrade', symbol, tsExchangeUs, tsReceiveUs, tsTransactUs, aggTradeId, firstTradeId, lastTradeId, priceTicks, qtyLots, buyerIsMaker: m === 1 };
  out.push(ev);
  return true;
}

/**
 * hftbacktest line head `<16 or 19 digits> ` at b[start…] → receive µs, exactly as `epochToUs`
 * gives it (ns: the last three digits dropped), or -1 for any other form (the caller then takes
 * the string path, which also reports the errors). `at` is the index after the space.
 */
export function scanReceiveDigits(b: Uint8Array, start: number): number {
  let p = start;
  while (b[p] >= ZERO && b[p] <= NINE) p++;
  const n = p - start;
  if ((n !== 16 && n !== 19) || b[p] !== SPACE) return -1;
  let v = 0;
  for (let i = start; i < start + 16; i++) v = v * 10 + (b[i] - ZERO);
  if (!Number.isSafeInteger(v) || v <= 0) return -1;
  at = p + 1;
  return v;
}

/**
 * cryptofeed line head `<unix seconds>[.<fraction>]: ` at b[start…] → µs, exactly as
 * `decimalSecondsToUs` gives it (fraction truncated below 1 µs), or -1 for any other form. `at`
 * is the index after ": ".
 */
export function scanDecimalSecondsHead(b: Uint8Array, start: number): number {
  let p = start;
  let secs = 0;
  while (b[p] >= ZERO && b[p] <= NINE) secs = secs * 10 + (b[p++] - ZERO);
  if (p === start || p - start > 15) return -1;
  let frac = 0;
  if (b[p] === DOT) {
    const f0 = ++p;
    while (b[p] >= ZERO && b[p] <= NINE) {
      if (p - f0 < 6) frac = frac * 10 + (b[p] - ZERO);
      p++;
    }
    if (p === f0) return -1;
    for (let k = Math.min(p - f0, 6); k < 6; k++) frac *= 10;
  }
  if (b[p] !== COLON || b[p + 1] !== SPACE) return -1;
  const v = secs * 1_000_000 + frac;
  if (!Number.isSafeInteger(v) || v <= 0) return -1;
  at = p + 2;
  return v;
}

/** Index after the head scanned by the last `scanReceiveDigits` / `scanDecimalSecondsHead` call. */
export function scannedTo(): number {
  return at;
}
