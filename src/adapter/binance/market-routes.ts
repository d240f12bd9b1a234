/**
 * Which Binance USDⓈ-M market streams live on which route (binance-usdm.md §0, since 2026-03), and
 * their wire names: depth and bookTicker are `/public` streams; trade, aggTrade and markPrice are
 * `/market` streams. Each route is one combined-stream connection
 * (`<ws>/<route>/stream?streams=a/b/...`). Shared by `maker record` and `maker live`'s market feed.
 */

export type StreamName = 'depth' | 'trade' | 'aggTrade' | 'bookTicker' | 'markPrice';
export type Route = 'public' | 'market';

export const ROUTE_OF: Readonly<Record<StreamName, Route>> = { depth: 'public', bookTicker: 'public', trade: 'market', aggTrade: 'market', markPrice: 'market' };

export interface StreamSelection {
  /** Depth diff speed: `100ms` (default) or `0ms` (every diff); `250ms` is the plain `@depth`. */
  depthSpeed: '100ms' | '0ms' | '250ms' | '500ms';
  /** Subscribe the depth stream (default true; the recorder always does). */
  depth?: boolean;
  trade: boolean;
  aggTrade: boolean;
  bookTicker: boolean;
  markPrice: boolean;
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

/** The streams of a selection, in a fixed order (depth, bookTicker, trade, aggTrade, markPrice). */
export function selectedStreams(sel: StreamSelection): StreamName[] {
  const out: StreamName[] = [];
  if (sel.depth !== false) out.push('depth');
  if (sel.bookTicker) out.push('bookTicker');
  if (sel.trade) out.push('trade');
  if (sel.aggTrade) out.push('aggTrade');
  if (sel.markPrice) out.push('markPrice');
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
