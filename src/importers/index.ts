/**
 * Importers: recorded and downloaded market data → normalised `MarketEvent` batches.
 *
 * Inputs: raw Binance WebSocket recordings (hftbacktest collector, gzip or plain), cryptofeed raw
 * recordings, Tardis.dev CSV, data.binance.vision CSV (plain or zip) and Binance's historical
 * order-book CSV. Output: `AsyncIterable<MarketEvent[]>`, streamed line by line with bounded memory.
 *
 * Units: prices in integer ticks and quantities in integer lots of the symbol's `Instrument`; times
 * in integer µs since the Unix epoch (`tsExchangeUs` from the exchange's stamp, `tsReceiveUs` from
 * the recorder, or equal to tsExchangeUs when the source has no receive time). Ordering: input
 * order, then line order. Bad input fails with an `InputError` naming file, line and field.
 * Nothing here logs, reads the clock or draws random numbers; warnings are returned in the stats.
 *
 * Speed: the common lines of raw Binance recordings (bookTicker, trade, aggTrade, depthUpdate
 * envelopes in Binance's key order) go through a byte-level scanner (adapter/binance/market-fast.ts) that gives
 * exactly the events of the JSON.parse path and leaves every other line, and every error, to it
 * (`ImportOptions.fastPaths: false` turns it off).
 */
export { importSources, type ImportSession } from './import.ts';
export { detectFormat, listInputFiles } from './detect.ts';
export { symbolFromFileName } from './detect.ts';
export { FORMAT_IDS } from './types.ts';
export { FUNDING_FILE, fundingFilePath, readFundingHistory, readVisionFundingRate, writeFundingHistory, type FundingRecord } from './funding-history.ts';
export type { Compression, DetectedInput, EventCounts, FileImportStats, FormatId, ImportOptions, ImportStats, ImportWarning } from './types.ts';
