/**
 * The order book module: an L2 book in integer ticks/lots (`L2Book`, a dense price ladder with a
 * sparse fallback) and the Binance USDⓈ-M local-book sync state machine (`BookSync`).
 * Units, ordering and semantics are described in each file's header.
 */
export type { BookLevel, BookView } from './types.ts';
export { L2Book, DEFAULT_WINDOW_TICKS, type L2BookOptions } from './l2-book.ts';
export { BookSync, type BookSyncCounters, type BookSyncEvent, type BookSyncOptions, type SyncState } from './sync.ts';
