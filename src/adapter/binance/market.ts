/**
 * Binance USDⓈ-M WebSocket payloads (combined-stream envelopes) and REST depth snapshots → events.
 * Shared by the raw-recording readers (hftbacktest collector, cryptofeed).
 *
 * Mapping: `E` (ms) → tsExchangeUs, `T` → tsTransactUs (depth, trade, aggTrade, bookTicker; the
 * match time, = E when a payload has no T), `U`/`u`/`pu` → update ids; `bookTicker.u` → updateId;
 * `markPriceUpdate` p/i/r stay decimal strings, `T` → nextFundingTimeUs; `forceOrder` (one
 * liquidation order per message) reads its order object `o`: `o.s` → symbol, `o.T` →
 * tsTransactUs, `o.p` → ticks, `o.q`/`o.l`/`o.z` → lots, `o.ap` stays a decimal string,
 * `o.S`/`o.o`/`o.f`/`o.X` Binance's words (side as `Side`).
 * Streams other than depth, trade, aggTrade, bookTicker, markPrice and `<symbol>@forceOrder` are
 * reported as skipped, the all-market `!forceOrder@arr` included: its messages carry every symbol
 * of the market (most without a spec here, and they would confuse which symbol a recording is
 * of); `parseStreamData('forceOrder', …)` reads its payloads all the same, for a client that
 * subscribes it.
 * `trade` prints whose `X` (execution type) is not MARKET (INSURANCE_FUND, ADL, NA: liquidation
 * and deleveraging fills, off the market price) are not market prints: they are skipped and counted
 * as the stream `<stream> X=<type>` (`ParseContext.skipStream`), so they never drive queues or fills.
 */
import type { AggTrade, BookTicker, DepthDiff, DepthSnapshot, ForceOrder, MarketEvent, MarkPrice, Trade } from '../../model/events.ts';
import { decimalText, fieldError, jsonBool, jsonInt, jsonIntOr, jsonLevels, jsonMsToUs, jsonString, priceTicks, qtyLots } from '../../wire/index.ts';
import { InvariantError } from '../../core/errors.ts';
import type { ParseContext, PriceQtyScale } from '../../wire/index.ts';

export type StreamKind = 'depth' | 'trade' | 'aggTrade' | 'bookTicker' | 'markPrice' | 'forceOrder';

const KIND_BY_SUFFIX = new Map<string, StreamKind>([
  ['depth', 'depth'],
  ['depth@0ms', 'depth'],
  ['depth@100ms', 'depth'],
  ['depth@250ms', 'depth'],
  ['depth@500ms', 'depth'],
  ['trade', 'trade'],
  ['aggTrade', 'aggTrade'],
  ['bookTicker', 'bookTicker'],
  ['markPrice', 'markPrice'],
  ['markPrice@1s', 'markPrice'],
  ['forceOrder', 'forceOrder'],
]);

/** Stream name → kind (null: not mapped), memoised because a recording repeats a handful of names. */
const kindCache = new Map<string, StreamKind | null>();

export function streamKind(stream: string): StreamKind | null {
  let k = kindCache.get(stream);
  if (k === undefined) {
    const at = stream.indexOf('@');
    k = at > 0 && stream[0] !== '!' ? (KIND_BY_SUFFIX.get(stream.slice(at + 1)) ?? null) : null;
    if (kindCache.size < 10_000) kindCache.set(stream, k);
  }
  return k;
}

type Json = Record<string, unknown>;

const NO_SCALE: PriceQtyScale = {
  priceToTicks: () => {
    throw new InvariantError('mark price events have no ticks');
  },
  qtyToLots: () => {
    throw new InvariantError('mark price events have no lots');
  },
};

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * One parsed message of a recording: a combined-stream envelope, a REST snapshot (no envelope; its
 * symbol is `snapshotSymbol()`, asked only when needed), or a subscription reply (ignored).
 */
export function parseBinanceMessage(msg: unknown, tsReceiveUs: number, ctx: ParseContext, snapshotSymbol: () => string, out: MarketEvent[]): void {
  if (!isObject(msg)) throw fieldError(ctx, 'json', 'expected a JSON object');
  const stream = msg.stream;
  if (typeof stream === 'string') {
    const kind = streamKind(stream);
    if (kind === null) {
      ctx.skipStream(stream);
      return;
    }
    const data = msg.data;
    if (!isObject(data)) throw fieldError(ctx, 'data', 'expected the stream payload object');
    const ev = parseStreamData(kind, stream, data, tsReceiveUs, ctx);
    if (ev !== null) out.push(ev);
    return;
  }
  if (msg.lastUpdateId !== undefined) {
    out.push(parseDepthSnapshot(msg, snapshotSymbol(), tsReceiveUs, ctx, ''));
    return;
  }
  // `{"result":null,"id":1}` answers a SUBSCRIBE; it carries no market data.
  if (msg.id !== undefined && 'result' in msg) return;
  throw fieldError(ctx, 'stream', 'neither a combined-stream envelope ("stream") nor a depth snapshot ("lastUpdateId")');
}

function symbolOf(data: Json, stream: string, ctx: ParseContext): string {
  const s = data.s;
  if (typeof s === 'string' && s.length > 0) return s;
  if (s !== undefined) throw fieldError(ctx, 'data.s', `expected a symbol string, got ${JSON.stringify(s)}`);
  return stream.slice(0, stream.indexOf('@')).toUpperCase();
}

/** The event of one stream payload; null for a `trade` whose `X` is not MARKET (skipped and counted, see the header). */
export function parseStreamData(kind: StreamKind, stream: string, d: Json, tsReceiveUs: number, ctx: ParseContext): MarketEvent | null {
  if (kind === 'forceOrder') return parseForceOrder(d, tsReceiveUs, ctx);
  const symbol = symbolOf(d, stream, ctx);
  // Mark price events are decimal strings only, so they need no spec; the others do.
  const inst = kind === 'markPrice' ? NO_SCALE : ctx.instrument(symbol);
  switch (kind) {
    case 'depth': {
      const tsExchangeUs = jsonMsToUs(d, 'E', ctx, 'data.E');
      const T = d.T === undefined ? tsExchangeUs : jsonMsToUs(d, 'T', ctx, 'data.T');
      const ev: DepthDiff = {
        type: 'depth',
        symbol,
        tsExchangeUs,
        tsReceiveUs,
        tsTransactUs: T,
        firstUpdateId: jsonInt(d, 'U', ctx, 'data.U'),
        finalUpdateId: jsonInt(d, 'u', ctx, 'data.u'),
        prevFinalUpdateId: jsonIntOr(d, 'pu', -1, ctx, 'data.pu'),
        bidTicks: [],
        bidLots: [],
        askTicks: [],
        askLots: [],
      };
      jsonLevels(d.b, inst, ctx, 'data.b', ev.bidTicks, ev.bidLots);
      jsonLevels(d.a, inst, ctx, 'data.a', ev.askTicks, ev.askLots);
      return ev;
    }
    case 'trade': {
      const x = d.X;
      if (x !== undefined && x !== 'MARKET') {
        if (typeof x !== 'string') throw fieldError(ctx, 'data.X', `expected an execution type string, got ${JSON.stringify(x)}`);
        ctx.skipStream(`${stream} X=${x}`);
        return null;
      }
      const tsExchangeUs = jsonMsToUs(d, 'E', ctx, 'data.E');
      const tsTransactUs = d.T === undefined ? tsExchangeUs : jsonMsToUs(d, 'T', ctx, 'data.T');
      const tradeId = jsonInt(d, 't', ctx, 'data.t');
      ctx.field = 'data.p';
      const priceT = priceTicks(inst, d.p, ctx);
      ctx.field = 'data.q';
      const qtyL = qtyLots(inst, d.q, ctx);
      const ev: Trade = { type: 'trade', symbol, tsExchangeUs, tsReceiveUs, tsTransactUs, tradeId, priceTicks: priceT, qtyLots: qtyL, buyerIsMaker: jsonBool(d, 'm', ctx, 'data.m') };
      return ev;
    }
    case 'aggTrade': {
      const tsExchangeUs = jsonMsToUs(d, 'E', ctx, 'data.E');
      const tsTransactUs = d.T === undefined ? tsExchangeUs : jsonMsToUs(d, 'T', ctx, 'data.T');
      ctx.field = 'data.p';
      const priceT = priceTicks(inst, d.p, ctx);
      ctx.field = 'data.q';
      const qtyL = qtyLots(inst, d.q, ctx);
      const ev: AggTrade = {
        type: 'aggTrade',
        symbol,
        tsExchangeUs,
        tsReceiveUs,
        tsTransactUs,
        aggTradeId: jsonInt(d, 'a', ctx, 'data.a'),
        firstTradeId: jsonInt(d, 'f', ctx, 'data.f'),
        lastTradeId: jsonInt(d, 'l', ctx, 'data.l'),
        priceTicks: priceT,
        qtyLots: qtyL,
        buyerIsMaker: jsonBool(d, 'm', ctx, 'data.m'),
      };
      return ev;
    }
    case 'bookTicker': {
      // Old bookTicker payloads had no E; T (transaction time) is then the only exchange stamp.
      const tsExchangeUs = d.E === undefined ? jsonMsToUs(d, 'T', ctx, 'data.T') : jsonMsToUs(d, 'E', ctx, 'data.E');
      const tsTransactUs = d.T === undefined ? tsExchangeUs : d.E === undefined ? tsExchangeUs : jsonMsToUs(d, 'T', ctx, 'data.T');
      const updateId = jsonInt(d, 'u', ctx, 'data.u');
      ctx.field = 'data.b';
      const bidTicks = priceTicks(inst, d.b, ctx);
      ctx.field = 'data.B';
      const bidLots = qtyLots(inst, d.B, ctx);
      ctx.field = 'data.a';
      const askTicks = priceTicks(inst, d.a, ctx);
      ctx.field = 'data.A';
      const askLots = qtyLots(inst, d.A, ctx);
      const ev: BookTicker = { type: 'bookTicker', symbol, tsExchangeUs, tsReceiveUs, tsTransactUs, updateId, bidTicks, bidLots, askTicks, askLots };
      return ev;
    }
    case 'markPrice': {
      const tsExchangeUs = jsonMsToUs(d, 'E', ctx, 'data.E');
      const T = jsonIntOr(d, 'T', 0, ctx, 'data.T');
      const ev: MarkPrice = {
        type: 'markPrice',
        symbol,
        tsExchangeUs,
        tsReceiveUs,
        markPrice: decimalText(jsonString(d, 'p', ctx, 'data.p'), ctx, 'data.p'),
        indexPrice: decimalText(d.i, ctx, 'data.i'),
        fundingRate: decimalText(d.r, ctx, 'data.r'),
        // Delivery contracts send T = 0 (no funding).
        nextFundingTimeUs: T > 0 ? T * 1000 : -1,
      };
      return ev;
    }
  }
}

/** `{e:"forceOrder", E, o:{s, S, o, f, q, p, ap, X, l, z, T}}` → a `ForceOrder` (the symbol is `o.s`). */
function parseForceOrder(d: Json, tsReceiveUs: number, ctx: ParseContext): ForceOrder {
  const o = d.o;
  if (!isObject(o)) throw fieldError(ctx, 'data.o', `expected the liquidation order object, got ${JSON.stringify(o) ?? 'nothing'}`);
  // Binance names the symbol only here (a !forceOrder@arr stream name has none).
  const symbol = jsonString(o, 's', ctx, 'data.o.s');
  if (symbol === '') throw fieldError(ctx, 'data.o.s', 'expected a symbol, got ""');
  const inst = ctx.instrument(symbol);
  const tsExchangeUs = jsonMsToUs(d, 'E', ctx, 'data.E');
  const tsTransactUs = jsonMsToUs(o, 'T', ctx, 'data.o.T');
  const S = jsonString(o, 'S', ctx, 'data.o.S');
  if (S !== 'BUY' && S !== 'SELL') throw fieldError(ctx, 'data.o.S', `expected BUY or SELL, got ${JSON.stringify(S)}`);
  const word = (key: string): string => {
    const v = jsonString(o, key, ctx, `data.o.${key}`);
    if (!/^[A-Z_]+$/.test(v)) throw fieldError(ctx, `data.o.${key}`, `expected an upper-case word, got ${JSON.stringify(v)}`);
    return v;
  };
  const orderType = word('o');
  const timeInForce = word('f');
  const status = word('X');
  ctx.field = 'data.o.q';
  const origQtyLots = qtyLots(inst, o.q, ctx);
  ctx.field = 'data.o.p';
  const priceT = priceTicks(inst, o.p, ctx);
  const avgPrice = decimalText(jsonString(o, 'ap', ctx, 'data.o.ap'), ctx, 'data.o.ap');
  ctx.field = 'data.o.l';
  const lastFilledQtyLots = qtyLots(inst, o.l, ctx);
  ctx.field = 'data.o.z';
  const filledQtyLots = qtyLots(inst, o.z, ctx);
  return {
    type: 'forceOrder',
    symbol,
    tsExchangeUs,
    tsReceiveUs,
    tsTransactUs,
    side: S === 'BUY' ? 'buy' : 'sell',
    orderType,
    timeInForce,
    origQtyLots,
    priceTicks: priceT,
    avgPrice,
    status,
    lastFilledQtyLots,
    filledQtyLots,
  };
}

/**
 * A REST `/fapi/v1/depth` reply `{lastUpdateId, E, T, bids, asks}`. `E` falls back to the receive
 * time only for replies without it (very old API versions); Binance futures replies carry it.
 */
export function parseDepthSnapshot(d: Json, symbol: string, tsReceiveUs: number, ctx: ParseContext, prefix: string): DepthSnapshot {
  const inst = ctx.instrument(symbol);
  const tsExchangeUs = d.E === undefined ? tsReceiveUs : jsonMsToUs(d, 'E', ctx, `${prefix}E`);
  const ev: DepthSnapshot = {
    type: 'snapshot',
    symbol,
    tsExchangeUs,
    tsReceiveUs,
    tsTransactUs: d.T === undefined ? tsExchangeUs : jsonMsToUs(d, 'T', ctx, `${prefix}T`),
    lastUpdateId: jsonInt(d, 'lastUpdateId', ctx, `${prefix}lastUpdateId`),
    bidTicks: [],
    bidLots: [],
    askTicks: [],
    askLots: [],
  };
  jsonLevels(d.bids, inst, ctx, `${prefix}bids`, ev.bidTicks, ev.bidLots);
  jsonLevels(d.asks, inst, ctx, `${prefix}asks`, ev.askTicks, ev.askLots);
  return ev;
}
