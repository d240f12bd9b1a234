/**
 * The market-data store: Parquet files laid out as
 * `<root>/<venue>/<symbol>/<YYYY-MM-DD UTC of ts_exchange_us>/<table>.<hash>.parquet` plus a
 * `meta.json` per partition listing its files (name, SHA-256, size, rows, time range), the
 * instrument spec and the import provenance (docs/DATA_FORMAT.md).
 *
 * Units: times are integer µs since the epoch, prices integer ticks and quantities integer lots of
 * the partition's instrument. Order: within a partition and in replay, rows are sorted by
 * ts_receive_us, then `seq` (recording order among equal receive times), then table rank
 * (`TABLES`), then the table's identity columns. One row per event (depth levels are list columns).
 * A partition changes as one unit: meta.json's atomic replacement is its commit (layout.ts);
 * writes are idempotent (de-duplicated merge, content-derived names); verify.ts checks the files
 * against their recorded hashes.
 * Replay yields `ReplayBatch`es of row indexes into decoded row groups; `ColumnarBatch` (batch.ts)
 * is the one decoder of those rows into `MarketEvent`s and flat depth views, read in place.
 */
export { StoreWriter, DEFAULT_SPILL_ROWS, importEvents, COMMIT_STEPS, type CommitStep, type StoreWriterOptions, type CommitSummary, type PartitionSummary } from './writer.ts';
export { checkPartition, compareWithMeta, hashFile, hashFiles, inspectStore, type FileCheck, type FileDigest, type FileProblem, type InspectOptions, type StoreIntegrity } from './verify.ts';
export { openStore, readEvents, type Store, type ReadOptions, type ReplayBatch } from './reader.ts';
export { DecodeThread, DECODE_THREAD_ENV, DECODE_WORKER_NICE, AUTO_WORKER_MIN_ROWS, decodeThreadFromEnv, useDecodeWorker, type DecodeThreadMode } from './decode-thread.ts';
export { ArrayBatch, ColumnarBatch, MergedBatch, asEventBatch, eventsFromBatch, mergeSources, readMarketEvents, type EventBatch, type EventBatches, type WritableBookTicker, type WritableTrade } from './batch.ts';
export { utcDateOfUs, META_FILE, STORE_FORMAT, READABLE_FORMATS, REIMPORT_FOR_MATCH_TIME, tableLacksMatchTime, leftoversIn, partitionDir, readMeta, type PartitionLeftovers, type PartitionMeta, type TableMeta, type ImportProvenance, type ImportInput, type ImportRecord, type GapEdge, type GapRecord, type SessionRecord, type RecordingNotes, mergeRecordingNotes } from './layout.ts';
export { TABLES, TABLE_COLUMNS, IDENTITY, tableOf, isListColumn, type TableName, type RowBlock, type ColumnArray, type ColumnDef, type ListColumn } from './schema.ts';
export { COMPRESSION, DEFAULT_ROW_GROUP_ROWS, MAX_GROUP_LIST_VALUES, fsyncDir, type Compression } from './parquet-io.ts';
