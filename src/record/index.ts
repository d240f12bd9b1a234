/**
 * record: `maker record`, the recorder of Binance USDⓈ-M market data (depth diffs, trades,
 * aggTrades, bookTickers, mark prices, book snapshots) into an append-only journal, compacted into
 * the Parquet store with its atomic partition commit. A live shell: it reads the wall clock and
 * owns sockets and timers (recorder.ts); the journal format (journal.ts), stream bookkeeping
 * (streams.ts) and compaction (compact.ts) are plain code around it. Times are integer µs.
 */
export { Recorder, describeError, type RecorderOptions, type RecorderStatus, type StreamStats } from './recorder.ts';
export { compactSegment, compactInWorker, CompactionError, type CompactResult, type CompactOptions } from './compact.ts';
export { JournalWriter, listSegments, readSegment, formatRecord, type JournalRecord, type ParsedSegment } from './journal.ts';
export { ROUTE_OF, routeStreams, wireName, messageHead, StreamMarks, type StreamSelection, type StreamName, type Route } from './streams.ts';
export { RestClient, RestError } from './rest.ts';
export { ReceiveClock, wallTimers } from './clock.ts';
