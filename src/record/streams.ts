/**
 * Which streams the recorder subscribes, on which route, and the per-stream bookkeeping that
 * de-duplicates messages arriving on two connections at once and finds where a stream broke: all in
 * src/adapter/binance/market-routes.ts (shared with `maker live`'s market feed), re-exported here.
 */
export { messageHead, ROUTE_OF, SPARSE_STREAMS, routeStreams, selectedStreams, StreamMarks, wireName, type MessageHead, type Route, type StreamMark, type StreamName, type StreamSelection } from '../adapter/binance/index.ts';
