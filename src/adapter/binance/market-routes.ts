/**
 * Which Binance USDⓈ-M market streams live on which route (binance-usdm.md §0, since 2026-03), and
 * their wire names: depth and bookTicker are `/public` streams; trade, aggTrade, markPrice and
 * forceOrder are `/market` streams. Each route is one combined-stream connection
 * (`<ws>/<route>/stream?streams=a/b/...`). Shared by `maker record` and `maker live`'s market feed.
 *
 * Identity and order of a message within its stream (`messageHead`, `StreamMarks`): depth by `u`
 * (final update id), trade by `t`, aggTrade by `a`, bookTicker by (`u`, `E`), markPrice and
 * forceOrder by `E` (Binance sends at most one liquidation order per symbol per second; its symbol
 * is `o.s`). A
 * message is new when its (id, E) is greater than the last one taken on the stream; anything else is
 * a duplicate (the same message from the other connection during a handover) and is dropped.
 */

export type StreamName = 'depth' | 'trade' | 'aggTrade' | 'bookTicker' | 'markPrice' | 'forceOrder';
export type Route = 'public' | 'market';

export const ROUTE_OF: Readonly<Record<StreamName, Route>> = { depth: 'public', bookTicker: 'public', trade: 'market', aggTrade: 'market', markPrice: 'market', forceOrder: 'market' };

/**
 * Streams that may be silent for a long time in a healthy market (liquidations): a connection that
 * carries only such streams counts Binance's pings as signs of life and stalls only after 10 min
 * without any (the recorder), not after the stall timeout without a message.
 */
export const SPARSE_STREAMS: ReadonlySet<StreamName> = new Set(['forceOrder']);

export interface StreamSelection {
  /** Depth diff speed: `100ms` (default) or `0ms` (every diff); `250ms` is the plain `@depth`. */
  depthSpeed: '100ms' | '0ms' | '250ms' | '500ms';
  /** Subscribe the depth stream (default true; the recorder always does). */
  depth?: boolean;
  trade: boolean;
  aggTrade: boolean;
  bookTicker: boolean;
  markPrice: boolean;
  /** `<symbol>@forceOrder` (liquidation orders); off when absent. */
  forceOrder?: boolean;
}

/** The wire name of a stream of a symbol (`btcusdt@depth@100ms`). */
export function wireName(symbol: string, stream: StreamName, sel: StreamSelection): string {
  const s = symbol.toLowerCase();
  switch (stream) {
    case 'depth':
      return sel.depthSpeed === '250ms' ? `${s}@depth` : `${s}@depth@${sel.depthSpeed}`;
    case 'markPrice':
      return `${s}@markPrice@1s`;
    default:
      return `${s}@${stream}`;
  }
}

/** The streams of a selection, in a fixed order (depth, bookTicker, trade, aggTrade, markPrice, forceOrder). */
export function selectedStreams(sel: StreamSelection): StreamName[] {
  const out: StreamName[] = [];
  if (sel.depth !== false) out.push('depth');
  if (sel.bookTicker) out.push('bookTicker');
  if (sel.trade) out.push('trade');
  if (sel.aggTrade) out.push('aggTrade');
  if (sel.markPrice) out.push('markPrice');
  if (sel.forceOrder === true) out.push('forceOrder');
  return out;
}

/** Wire stream names per route for the symbols (routes with no stream are absent). */
export function routeStreams(symbols: readonly string[], sel: StreamSelection): Map<Route, string[]> {
  const out = new Map<Route, string[]>();
  for (const st of selectedStreams(sel)) {
    const route = ROUTE_OF[st];
    if (!out.has(route)) out.set(route, []);
    for (const sym of symbols) out.get(route)!.push(wireName(sym, st, sel));
  }
  return out;
}

/** What a consumer needs of one stream message (its identity within its stream), read from the parsed envelope. */
export interface MessageHead {
  symbol: string;
  stream: StreamName;
  /** The stream's id of the message (see the header); markPrice and forceOrder: E in ms. */
  id: number;
  eMs: number;
  /** depth only: U and pu. */
  first: number;
  prev: number;
}

const STREAM_BY_SUFFIX: Readonly<Record<string, StreamName>> = {
  depth: 'depth',
  'depth@0ms': 'depth',
  'depth@100ms': 'depth',
  'depth@250ms': 'depth',
  'depth@500ms': 'depth',
  trade: 'trade',
  aggTrade: 'aggTrade',
  bookTicker: 'bookTicker',
  markPrice: 'markPrice',
  'markPrice@1s': 'markPrice',
  forceOrder: 'forceOrder',
};

const int = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) ? v : NaN);

/**
 * The head of a combined-stream message, or a string saying why it is not one (malformed). A
 * subscription reply (`{"result":null,"id":1}`) gives null.
 */
export function messageHead(msg: unknown): MessageHead | null | string {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return 'not a JSON object';
  const m = msg as Record<string, unknown>;
  if (typeof m.stream !== 'string') return 'result' in m && 'id' in m ? null : 'no "stream" field';
  const at = m.stream.indexOf('@');
  const stream = at > 0 ? STREAM_BY_SUFFIX[m.stream.slice(at + 1)] : undefined;
  if (stream === undefined) return `stream "${m.stream}" is not a market stream we read`;
  const d = m.data;
  if (typeof d !== 'object' || d === null) return 'no "data" object';
  const data = d as Record<string, unknown>;
  // A liquidation order names its symbol in its order object `o`.
  const o = stream === 'forceOrder' && typeof data.o === 'object' && data.o !== null ? (data.o as Record<string, unknown>) : data;
  const symbol = typeof o.s === 'string' ? o.s : m.stream.slice(0, at).toUpperCase();
  const eMs = int(data.E ?? data.T);
  let id: number;
  let first = -1;
  let prev = -1;
  switch (stream) {
    case 'depth':
      id = int(data.u);
      first = int(data.U);
      prev = int(data.pu);
      break;
    case 'trade':
      id = int(data.t);
      break;
    case 'aggTrade':
      id = int(data.a);
      break;
    case 'bookTicker':
      id = int(data.u);
      break;
    case 'markPrice':
    case 'forceOrder':
      id = eMs;
      break;
  }
  if (Number.isNaN(id) || Number.isNaN(eMs) || Number.isNaN(first) || Number.isNaN(prev)) return `${stream} message without its integer ids/times`;
  return { symbol, stream, id, eMs, first, prev };
}

/** The last recorded message of one stream of one symbol. */
export interface StreamMark {
  id: number;
  eMs: number;
  tsReceiveUs: number;
}

/** Last recorded message per `SYMBOL/stream`; decides new vs duplicate. */
export class StreamMarks {
  private readonly last = new Map<string, StreamMark>();

  static key(symbol: string, stream: StreamName): string {
    return `${symbol}/${stream}`;
  }

  get(symbol: string, stream: StreamName): StreamMark | undefined {
    return this.last.get(StreamMarks.key(symbol, stream));
  }

  /** Whether the message is newer than the last one recorded on its stream. */
  isNew(h: MessageHead): boolean {
    const l = this.last.get(StreamMarks.key(h.symbol, h.stream));
    if (l === undefined) return true;
    return h.id > l.id || (h.id === l.id && h.stream === 'bookTicker' && h.eMs > l.eMs);
  }

  record(h: MessageHead, tsReceiveUs: number): void {
    this.last.set(StreamMarks.key(h.symbol, h.stream), { id: h.id, eMs: h.eMs, tsReceiveUs });
  }

  /** Sets a mark by key (`SYMBOL/stream`), e.g. from a worker's reply. */
  set(key: string, m: StreamMark): void {
    this.last.set(key, m);
  }

  entries(): IterableIterator<[string, StreamMark]> {
    return this.last.entries();
  }
}
