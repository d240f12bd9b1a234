/**
 * The market-data store: Parquet files laid out as
 * `<root>/<venue>/<symbol>/<YYYY-MM-DD UTC of ts_exchange_us>/<table>.parquet` plus a `meta.json`
 * per partition holding the instrument spec and the import provenance (docs/DATA_FORMAT.md).
 *
 * Units: times are integer µs since the epoch, prices integer ticks and quantities integer lots of
 * the partition's instrument. Order: within a partition and in replay, rows are sorted by
 * ts_receive_us, then `seq` (recording order among equal receive times), then table rank
 * (`TABLES`), then the table's identity columns. One row per event (depth levels are list columns).
 * Writes are atomic (temp file + fsync + rename) and idempotent (de-duplicated merge).
 * Replay yields `ReplayBatch`es of row indexes into decoded row groups; `ColumnarBatch` (batch.ts)
 * is the one decoder of those rows into `MarketEvent`s and flat depth views, read in place.
 */
export { StoreWriter, importEvents, type StoreWriterOptions, type CommitSummary, type PartitionSummary } from './writer.ts';
export { openStore, readEvents, type Store, type ReadOptions, type ReplayBatch } from './reader.ts';
export { ArrayBatch, ColumnarBatch, MergedBatch, asEventBatch, eventsFromBatch, mergeSources, readMarketEvents, type EventBatch, type EventBatches } from './batch.ts';
export { utcDateOfUs, META_FILE, STORE_FORMAT, type PartitionMeta, type TableMeta, type ImportProvenance, type ImportInput, type ImportRecord } from './layout.ts';
export { TABLES, TABLE_COLUMNS, IDENTITY, tableOf, isListColumn, type TableName, type RowBlock, type ColumnArray, type ColumnDef, type ListColumn } from './schema.ts';
export { COMPRESSION, DEFAULT_ROW_GROUP_ROWS, MAX_GROUP_LIST_VALUES, fsyncDir, type Compression } from './parquet-io.ts';
