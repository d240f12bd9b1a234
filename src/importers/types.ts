/**
 * Types shared by the importers: input formats, options, statistics and the per-line parse context.
 *
 * Units: every time is integer microseconds since the Unix epoch; prices and quantities leave the
 * importers as integer ticks and lots of the symbol's `Instrument`.
 */
import type { InstrumentSpec, SpecRegistry } from '../model/instrument.ts';
import type { MarketEvent, MarketEventType } from '../model/events.ts';
import type { ParseContext } from '../wire/index.ts';

/** Every input layout the importers understand. */
export type FormatId =
  /** Raw Binance WebSocket recording (hftbacktest collector): `<receive ns|µs> <json>` per line. */
  | 'binance-ws-recording'
  /** cryptofeed raw recording of a Binance USDⓈ-M connection (`<unix s float>: <json>`). */
  | 'cryptofeed'
  | 'tardis-incremental-book-l2'
  | 'tardis-trades'
  | 'tardis-quotes'
  | 'tardis-book-snapshot'
  | 'tardis-derivative-ticker'
  | 'vision-trades'
  | 'vision-aggtrades'
  | 'vision-bookticker'
  | 'vision-funding-rate'
  | 'vision-klines'
  | 'vision-mark-price-klines'
  | 'vision-index-price-klines'
  /** Binance historical order-book CSV (`depth-snap` / `depth-update`, the T_DEPTH product). */
  | 'binance-depth-csv';

/** Every `FormatId`, for validating a forced format (`--format`) and listing the choices. */
export const FORMAT_IDS = [
  'binance-ws-recording',
  'cryptofeed',
  'tardis-incremental-book-l2',
  'tardis-trades',
  'tardis-quotes',
  'tardis-book-snapshot',
  'tardis-derivative-ticker',
  'vision-trades',
  'vision-aggtrades',
  'vision-bookticker',
  'vision-funding-rate',
  'vision-klines',
  'vision-mark-price-klines',
  'vision-index-price-klines',
  'binance-depth-csv',
] as const satisfies readonly FormatId[];
// Compile-time check that the list names every FormatId.
const _allFormatsListed: Exclude<FormatId, (typeof FORMAT_IDS)[number]> extends never ? true : never = true;
void _allFormatsListed;

export type Compression = 'gzip' | 'zip' | 'none';

/** What `detectFormat` found out about one file. */
export interface DetectedInput {
  path: string;
  format: FormatId;
  compression: Compression;
  /** Whether the first line is a CSV header row (CSV formats only). */
  hasHeader: boolean;
  /** CSV column names (from the header row, or the documented layout of a header-less file). */
  columns?: string[];
  /** Symbol named by the file name (`BTCUSDT-trades-2024-01-01.zip`, `btcusdt_20240808.gz`), if any. */
  symbolFromName?: string;
}

/**
 * Damage found in an input, kept going past: `cut-line` (the last line, without a newline, does
 * not parse: a writer died mid-line; dropped), `truncated` (the compressed stream ends early: the
 * lines before the cut are kept), `corrupt` (compressed data that does not decode, kept past only
 * with `skipBadLines`: the lines before it are kept, the rest of the file is lost), `bad-line` (a
 * line that does not parse, skipped only with `skipBadLines`).
 */
export interface DamageRecord {
  file: string;
  /** The line the damage is at (1-based; for a cut stream, the line after the last complete one). */
  line: number;
  kind: 'cut-line' | 'truncated' | 'corrupt' | 'bad-line';
  message: string;
  /** Bytes of input lost at this point, when known (the partial line at a cut). */
  bytesLost?: number;
}

export interface ImportWarning {
  /** Stable code: W_SPEC_INFERRED, W_MIXED_SYMBOLS, W_UNKNOWN_SIDE, W_SNAPSHOT_SYMBOL, W_DAMAGE. */
  code: string;
  message: string;
  file?: string;
  symbol?: string;
}

export interface ImportOptions {
  /** Tick and step sizes per symbol. A symbol missing here is a `MissingSpecError` unless `inferSpecs`. */
  specs: SpecRegistry;
  /** Infer tick/step of unknown symbols from the first `inferSampleLines` lines of each file (with a warning). */
  inferSpecs?: boolean;
  /** Lines (rows) pre-scanned per file when inferring specs. Default 20,000. */
  inferSampleLines?: number;
  /** Force the format of every input instead of sniffing it. */
  format?: FormatId;
  /** Symbol for inputs that do not name it (a snapshot-first recording with an anonymous file name, a renamed CSV). */
  symbol?: string;
  /** Events per delivered batch. Default 8,192. */
  batchSize?: number;
  /**
   * How far (µs) a receive time may step back within one file before it is an error. Default 0:
   * the recorders write lines in arrival order, so any step back means shuffled or spliced data.
   */
  receiveTimeToleranceUs?: number;
  /**
   * Byte-level fast paths for the common lines of raw recordings (default true). They give the
   * same events and errors as the general path; false parses every line the general way (the
   * tests compare both).
   */
  fastPaths?: boolean;
  /**
   * Skip lines that do not parse (and keep the lines before damage inside a compressed stream),
   * each one counted and reported with file:line (default false: the first one fails the import).
   * A truncated tail (a gzip stream that ends early, a last line cut mid-way) is always kept past.
   */
  skipBadLines?: boolean;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  onWarning?: (warning: ImportWarning) => void;
}

export type EventCounts = Record<MarketEventType, number>;

export interface FileImportStats {
  path: string;
  format: FormatId;
  compression: Compression;
  bytes: number;
  /** Lines (CSV: rows including the header) read. */
  lines: number;
  events: number;
  symbols: string[];
  /** Unit the file's receive times were written in; null when the format has none (tsReceiveUs = tsExchangeUs). */
  receiveTimeUnit: 'ns' | 'us' | 'ms' | 's' | null;
  /** Median of tsReceiveUs − tsExchangeUs over the file (sampled above 65,536 events); null without receive times. */
  medianReceiveOffsetUs: number | null;
}

export interface ImportStats {
  files: FileImportStats[];
  /** Event counts per symbol (keys in sorted order). */
  symbols: Record<string, EventCounts>;
  /** Messages of streams the importers do not map (e.g. `btcusdt@kline_1m`), by stream name; not fatal. */
  skippedStreams: Record<string, number>;
  /** CSV rows dropped on purpose (Tardis incremental rows before the first snapshot). */
  skippedRows: number;
  events: number;
  bytesRead: number;
  totalBytes: number;
  warnings: ImportWarning[];
  inferredSpecs: InstrumentSpec[];
  /** Damage kept going past, in input order (the first `MAX_DAMAGE_LISTED`; `damageCount` has them all). */
  damage: DamageRecord[];
  damageCount: number;
}

/** Damage records listed in full; beyond this only counted. */
export const MAX_DAMAGE_LISTED = 1000;

/** Turns the lines of one file into events. `finish` flushes rows still grouped at end of file. */
export interface LineParser {
  /** Set when the first line is a header to skip. */
  readonly skipFirstLine: boolean;
  parseLine(line: string, ctx: ParseContext, out: MarketEvent[]): void;
  /**
   * Optional fast path over the raw bytes of a line, bytes[start, end) (no `\n`, `\r` stripped,
   * first byte printable ASCII): parses the line and returns true, or returns false having changed
   * nothing observable, and the line is then decoded and given to `parseLine`. Errors are left
   * to `parseLine`.
   */
  parseLineBytes?(bytes: Uint8Array, start: number, end: number, ctx: ParseContext, out: MarketEvent[]): boolean;
  finish(ctx: ParseContext, out: MarketEvent[]): void;
  /** Unit of the receive times seen, for the stats. */
  receiveTimeUnit(): FileImportStats['receiveTimeUnit'];
  /** Data lines seen (excluding header/configuration lines); 0 at the end means an empty input. */
  dataLines(): number;
}
