/**
 * The parse context every wire parser (recorded files, stream messages, REST payloads) reports
 * through: where it is (file, line, field) so that a bad value fails with a message naming them,
 * and the price/quantity scale of a symbol to turn decimal strings into integer ticks and lots.
 */
/** The part of `Instrument` a parser needs; a recording stand-in implements it during spec inference. */
export interface PriceQtyScale {
  priceToTicks(price: string): number;
  qtyToLots(qty: string): number;
}

/**
 * Mutable state of the line being parsed. Parsers set `field` (and `index` inside level arrays)
 * before each conversion that can fail, so an error raised deep inside (e.g. an off-grid price)
 * can be reported with its field without building strings on the happy path.
 */
export interface ParseContext {
  readonly file: string;
  line: number;
  field: string;
  index: number;
  instrument(symbol: string): PriceQtyScale;
  /** Counts one message of a stream that is not mapped. */
  skipStream(stream: string): void;
  skipRow(): void;
  warn(code: string, message: string, symbol?: string): void;
  /** Checks that receive times do not step back (beyond the tolerance) within the file. */
  receiveTime(tsUs: number, field: string): void;
}
