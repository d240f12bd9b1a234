/**
 * The market-data store: Parquet files laid out as
 * `<root>/<venue>/<symbol>/<YYYY-MM-DD UTC of ts_exchange_us>/<table>.parquet` plus a `meta.json`
 * per partition holding the instrument spec and the import provenance (docs/DATA_FORMAT.md).
 *
 * Units: times are integer µs since the epoch, prices integer ticks and quantities integer lots of
 * the partition's instrument. Order: within a partition and in replay, rows are sorted by
 * ts_receive_us, then `seq` (recording order among equal receive times), then table rank
 * (`TABLES`), then the table's identity columns; a depth event's level rows stay together.
 * Writes are atomic (temp file + fsync + rename) and idempotent (de-duplicated merge).
 */
export { StoreWriter, importEvents, type StoreWriterOptions, type CommitSummary, type PartitionSummary } from './writer.ts';
export { openStore, readEvents, readMarketEvents, eventsFromBatch, type Store, type ReadOptions, type ReplayBatch } from './reader.ts';
export { utcDateOfUs, META_FILE, STORE_FORMAT, type PartitionMeta, type TableMeta, type ImportProvenance, type ImportInput, type ImportRecord } from './layout.ts';
export { TABLES, TABLE_COLUMNS, IDENTITY, SIDE_NONE, SIDE_BID, SIDE_ASK, SIDE_NAMES, tableOf, type TableName, type RowBlock, type ColumnArray, type ColumnDef } from './schema.ts';
export { COMPRESSION, DEFAULT_ROW_GROUP_ROWS } from './parquet-io.ts';
