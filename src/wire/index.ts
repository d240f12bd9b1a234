/**
 * wire: the field parsers every decoder of outside data shares (recorded files, Binance stream
 * messages, REST payloads). Each conversion fails with an `InputError` naming the file, line and
 * field of its `ParseContext`. Units out: integer µs since the Unix epoch, integer ticks and lots
 * of the symbol's scale, decimal strings kept exact. No I/O, no clock.
 */
export type { ParseContext, PriceQtyScale } from './context.ts';
export {
  csvBool,
  csvInt,
  decimalSecondsToUs,
  decimalText,
  epochInUnitToUs,
  epochToUs,
  epochUnitOf,
  epochUnitOfLength,
  fieldError,
  fieldName,
  jsonBool,
  jsonInt,
  jsonIntOr,
  jsonLevels,
  jsonMsToUs,
  jsonString,
  locate,
  priceTicks,
  qtyLots,
  type EpochUnit,
} from './fields.ts';
