/**
 * Field conversions shared by the parsers, each failing with an `InputError` that names the file,
 * line and field of the parse context. Times come out as integer µs since the Unix epoch, prices
 * as positive integer ticks, quantities as non-negative integer lots.
 */
import { InputError, MakerError, NumberFormatError, withLocation } from '../core/errors.ts';
import type { ParseContext, PriceQtyScale } from './context.ts';

/** The field the context points at, e.g. `data.b[3]`. */
export function fieldName(ctx: ParseContext): string {
  return ctx.index >= 0 ? `${ctx.field}[${ctx.index}]` : ctx.field;
}

export function fieldError(ctx: ParseContext, field: string, message: string, code: 'E_INPUT' | 'E_INPUT_INCOMPLETE' = 'E_INPUT'): InputError {
  return new InputError(message, { file: ctx.file, line: ctx.line, field }, code);
}

/** Gives an error raised while parsing a line the file, line and field it lacks. */
export function locate(err: unknown, ctx: ParseContext): unknown {
  // A malformed or off-grid number is bad input like any other: an InputError keeping its code.
  if (err instanceof NumberFormatError) return new InputError(err.message, { file: ctx.file, line: ctx.line, field: fieldName(ctx) }, err.code, err);
  if (err instanceof MakerError) return withLocation(err, { file: ctx.file, line: ctx.line, field: err.location.field ?? fieldName(ctx) });
  return new InputError(`cannot parse: ${(err as Error)?.message ?? String(err)}`, { file: ctx.file, line: ctx.line, field: fieldName(ctx) }, 'E_INPUT', err);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** A JSON integer (ids, ms times). */
export function jsonInt(o: Record<string, unknown>, key: string, ctx: ParseContext, field: string): number {
  const v = o[key];
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw fieldError(ctx, field, `expected an integer, got ${show(v)}`);
}

/** A JSON integer that may be absent (then `fallback`). */
export function jsonIntOr(o: Record<string, unknown>, key: string, fallback: number, ctx: ParseContext, field: string): number {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw fieldError(ctx, field, `expected an integer, got ${show(v)}`);
}

/** A JSON epoch time in ms (Binance `E`, `T`) → µs. */
export function jsonMsToUs(o: Record<string, unknown>, key: string, ctx: ParseContext, field: string): number {
  const v = o[key];
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v * 1000;
  throw fieldError(ctx, field, `expected a positive epoch time in ms, got ${show(v)}`);
}

export function jsonBool(o: Record<string, unknown>, key: string, ctx: ParseContext, field: string): boolean {
  const v = o[key];
  if (typeof v === 'boolean') return v;
  throw fieldError(ctx, field, `expected true or false, got ${show(v)}`);
}

export function jsonString(o: Record<string, unknown>, key: string, ctx: ParseContext, field: string): string {
  const v = o[key];
  if (typeof v === 'string') return v;
  throw fieldError(ctx, field, `expected a string, got ${show(v)}`);
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** A decimal kept as a string (mark/index price, funding rate); absent or empty gives "". */
export function decimalText(v: unknown, ctx: ParseContext, field: string): string {
  if (v === undefined || v === '') return '';
  if (typeof v === 'string' && DECIMAL.test(v)) return v;
  throw fieldError(ctx, field, `expected a decimal string, got ${show(v)}`);
}

/** Decimal price string → ticks (> 0). Off-grid and malformed prices throw with the context's field. */
export function priceTicks(inst: PriceQtyScale, v: unknown, ctx: ParseContext): number {
  if (typeof v !== 'string') throw fieldError(ctx, fieldName(ctx), `expected a decimal price string, got ${show(v)}`);
  const t = inst.priceToTicks(v);
  if (t > 0) return t;
  throw fieldError(ctx, fieldName(ctx), `price must be positive, got "${v}"`);
}

/** Decimal quantity string → lots (≥ 0; 0 removes a level in a depth diff). */
export function qtyLots(inst: PriceQtyScale, v: unknown, ctx: ParseContext): number {
  if (typeof v !== 'string') throw fieldError(ctx, fieldName(ctx), `expected a decimal quantity string, got ${show(v)}`);
  const l = inst.qtyToLots(v);
  if (l >= 0) return l;
  throw fieldError(ctx, fieldName(ctx), `quantity must not be negative, got "${v}"`);
}

/**
 * Binance `[[price, qty], …]` levels into parallel tick/lot arrays (no object per level).
 * `field` names the array (`data.b`); errors name the level index.
 */
export function jsonLevels(v: unknown, inst: PriceQtyScale, ctx: ParseContext, field: string, ticks: number[], lots: number[]): void {
  if (!Array.isArray(v)) throw fieldError(ctx, field, `expected an array of [price, quantity] levels, got ${show(v)}`);
  ctx.field = field;
  for (let i = 0; i < v.length; i++) {
    ctx.index = i;
    const lv = v[i];
    if (!Array.isArray(lv) || lv.length < 2) throw fieldError(ctx, fieldName(ctx), `expected [price, quantity], got ${show(lv)}`);
    ticks.push(priceTicks(inst, lv[0], ctx));
    lots.push(qtyLots(inst, lv[1], ctx));
  }
  ctx.index = -1;
}

const DIGITS = /^\d+$/;

export type EpochUnit = 's' | 'ms' | 'us' | 'ns';

/** Unit of an integer epoch time by its number of digits (2001–2286 ranges: s 10, ms 13, µs 16, ns 19). */
export function epochUnitOf(digits: string): EpochUnit {
  return epochUnitOfLength(digits.length);
}

export function epochUnitOfLength(n: number): EpochUnit {
  return n >= 18 ? 'ns' : n >= 15 ? 'us' : n >= 12 ? 'ms' : 's';
}

/**
 * An integer epoch time string in s, ms, µs or ns (told by magnitude) → µs, exactly: ns are
 * divided by 1000 by dropping digits (integer division), so 19-digit values never pass through a
 * float.
 */
export function epochToUs(text: string, ctx: ParseContext, field: string): number {
  if (!DIGITS.test(text)) throw fieldError(ctx, field, `expected an integer epoch time, got ${show(text)}`);
  const unit = epochUnitOf(text);
  const v = unit === 'ns' ? Number(text.slice(0, -3)) : unit === 'us' ? Number(text) : unit === 'ms' ? Number(text) * 1000 : Number(text) * 1_000_000;
  if (!Number.isSafeInteger(v) || v <= 0) throw fieldError(ctx, field, `epoch time out of range: ${show(text)}`);
  return v;
}

/** An integer epoch time string that must be in the given unit → µs (CSV columns documented as ms or µs). */
export function epochInUnitToUs(text: string, unit: 'ms' | 'us', ctx: ParseContext, field: string): number {
  if (!DIGITS.test(text)) throw fieldError(ctx, field, `expected an integer epoch time in ${unit}, got ${show(text)}`);
  const v = unit === 'ms' ? Number(text) * 1000 : Number(text);
  if (!Number.isSafeInteger(v) || v <= 0) throw fieldError(ctx, field, `epoch time out of range: ${show(text)}`);
  return v;
}

const DECIMAL_SECONDS = /^(\d+)(?:\.(\d+))?$/;

/** "1617647797.5963788" (unix seconds) → 1617647797596378 µs, from the digits (truncating below 1 µs). */
export function decimalSecondsToUs(text: string, ctx: ParseContext, field: string): number {
  const m = DECIMAL_SECONDS.exec(text);
  if (!m) throw fieldError(ctx, field, `expected unix seconds like 1617647797.596, got ${show(text)}`);
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  const v = Number(m[1]) * 1_000_000 + Number(frac);
  if (!Number.isSafeInteger(v) || v <= 0) throw fieldError(ctx, field, `epoch time out of range: ${show(text)}`);
  return v;
}

/** A non-negative integer CSV cell (ids). `allowMinusOne` accepts -1 for "unknown". */
export function csvInt(text: string, ctx: ParseContext, field: string, allowMinusOne = false): number {
  if (DIGITS.test(text)) {
    const v = Number(text);
    if (Number.isSafeInteger(v)) return v;
  } else if (allowMinusOne && text === '-1') return -1;
  throw fieldError(ctx, field, `expected a non-negative integer, got ${show(text)}`);
}

/** CSV boolean as written by Binance (`true`/`false`, any case). */
export function csvBool(text: string, ctx: ParseContext, field: string): boolean {
  const t = text.toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw fieldError(ctx, field, `expected true or false, got ${show(text)}`);
}
