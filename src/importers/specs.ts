/**
 * Which `Instrument` converts a symbol's prices and quantities: the caller's `SpecRegistry` first,
 * then specs inferred during this import (only when the caller enabled inference). An unknown
 * symbol is a `MissingSpecError`, never a silent default.
 *
 * Inference runs the file's own parser over its first lines with a `SampleScale` standing in for
 * the instrument: it records the finest number of decimals seen in prices and quantities (trailing
 * zeros do not count: "61800.20" says 0.1), from which `inferSpec` builds tick and step.
 */
import { Instrument, inferSpec, type InstrumentSpec, type SpecRegistry } from '../model/instrument.ts';
import { significantDecimals } from '../model/decimal.ts';
import { NumberFormatError } from '../core/errors.ts';
import type { PriceQtyScale } from '../wire/index.ts';

export class SpecResolver {
  private readonly inferred = new Map<string, Instrument>();

  constructor(private readonly registry: SpecRegistry) {}

  has(symbol: string): boolean {
    return this.registry.has(symbol) || this.inferred.has(symbol.toUpperCase());
  }

  get(symbol: string): Instrument {
    if (this.registry.has(symbol)) return this.registry.get(symbol);
    const inst = this.inferred.get(symbol.toUpperCase());
    if (inst) return inst;
    return this.registry.get(symbol); // throws the MissingSpecError with its hint
  }

  addInferred(spec: InstrumentSpec): Instrument {
    const inst = new Instrument(spec);
    this.inferred.set(spec.symbol.toUpperCase(), inst);
    return inst;
  }
}

/** Decimals of a plain decimal string once trailing zeros are dropped; exponent forms go the slow way. */
function finestDecimals(s: string): number {
  const dot = s.indexOf('.');
  if (dot < 0 || s.indexOf('e') >= 0 || s.indexOf('E') >= 0) return significantDecimals(s);
  let end = s.length;
  while (end > dot + 1 && s.charCodeAt(end - 1) === 48) end--;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 46 || (i === 0 && (c === 45 || c === 43)))) throw new NumberFormatError(`"${s}" is not a decimal number`);
  }
  return end - dot - 1;
}

/** Stands in for an instrument during the inference pre-scan: records decimals, converts nothing. */
export class SampleScale implements PriceQtyScale {
  priceDecimals = -1;
  qtyDecimals = -1;
  finestPrice = '';
  finestQty = '';
  firstTsUs = -1;

  priceToTicks(price: string): number {
    const d = finestDecimals(price);
    if (d > this.priceDecimals) {
      this.priceDecimals = d;
      this.finestPrice = price;
    }
    return price.startsWith('-') ? -1 : 1;
  }

  qtyToLots(qty: string): number {
    const d = finestDecimals(qty);
    if (d > this.qtyDecimals) {
      this.qtyDecimals = d;
      this.finestQty = qty;
    }
    return qty.startsWith('-') ? -1 : 0;
  }

  /** The spec to use, or null when no price/quantity was seen (nothing to infer from). */
  toSpec(symbol: string, sampleSource: string): InstrumentSpec | null {
    if (this.priceDecimals < 0 || this.qtyDecimals < 0) return null;
    // An ISO date from a data timestamp (not the wall clock): when the sample was taken.
    const asOf = this.firstTsUs > 0 ? new Date(Math.floor(this.firstTsUs / 1000)).toISOString() : 'unknown';
    const spec = inferSpec(symbol, [this.finestPrice], [this.finestQty], asOf);
    return { ...spec, source: { ...spec.source, file: sampleSource } };
  }
}
