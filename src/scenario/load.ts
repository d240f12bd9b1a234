/**
 * Loading a scenario: YAML text → validated, defaulted `Scenario`.
 *
 * Every error is a `ScenarioError` naming the file, the line and the key path
 * (`scenarios/x.yaml:12: key "strategy.gammaPerTick": expected a finite number, got "a"`): unknown
 * keys, wrong types, values out of range, missing required keys. `--set key.path=value` overrides
 * are applied to the YAML document before validation, typed by the schema (a number key parses the
 * value as a number, a list key takes `a,b` or `[a, b]`, a delegated section parses YAML scalars).
 * Sections owned by other modules are checked by their parsers (strategy, risk) or against their
 * defaults (signals, oms); a `ConfigError` they raise is re-raised with the file and line of its key.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, isMap, parse as parseYamlValue, parseDocument, type Document } from 'yaml';
import { unresolvedAlias, yamlErrorMessage, yamlKeyLine } from '../core/yaml-keys.ts';
import { ConfigError, MakerError } from '../core/errors.ts';
import { normalizeDecimal } from '../model/decimal.ts';
import type { FeeRates } from '../sim-exchange/index.ts';
import { parseSyntheticConfig, type SyntheticConfig } from '../synthetic/index.ts';
import { parseTraderConfig, type BookSource, type TraderConfig } from '../trader/index.ts';
import { SCENARIO_SCHEMA, fieldAt, type Field, type StreamName } from './schema.ts';
import { parseTimeRange, type TimeRange } from './time-range.ts';

/** A scenario key error: `file:line: key "a.b": message`. */
export class ScenarioError extends ConfigError {
  override describe(): string {
    const { file, line, field, option } = this.location;
    const where = file ? `${file}${line !== undefined ? `:${line}` : ''}` : option !== undefined ? option : line !== undefined ? `line ${line}` : '';
    return [where, field ? `key "${field}"` : '', this.message].filter((p) => p.length > 0).join(': ');
  }
}

export type { FeeRates };

export interface LiveSection {
  rest: string;
  ws: string;
  wsApi: string;
  apiKeyEnv: string;
  secretEnv: string;
  secretFile: string | null;
  keyType: 'HMAC' | 'Ed25519';
  orderEntry: 'rest' | 'ws';
  depthStream: 'depth' | 'depth@100ms' | 'depth@0ms';
  bookTicker: boolean;
  trades: boolean;
  markPrice: boolean;
  reconcile: { openOrders: 'adopt' | 'cancel' | 'halt'; position: 'adopt' | 'halt' };
  shutdown: { flatten: boolean; confirmTimeoutS: number };
  stallTimeoutMs: number;
  rotateAfterMs: number;
  killFile: string | null;
  syncMs: number;
  dashboard: { tokenEnv: string | null };
}

export interface Scenario {
  /** File the scenario came from ('' when built from text). */
  file: string;
  name: string;
  seed: number;
  data: {
    source: 'store' | 'synthetic' | 'model';
    store: string | null;
    venue: string;
    symbols: string[];
    range: TimeRange | null;
    streams: StreamName[] | null;
    book: 'auto' | 'depth' | 'top-of-book';
    spec: string | null;
    verify: boolean;
    missingHint: string | null;
    synthetic: Record<string, unknown>;
    /** The model world of `source: model` (defaults filled in whatever the source). */
    model: { paths: number; s0: number; horizonS: number; dtS: number; sigma: number; aPerS: number; k: number; q0: number; tickSize: string; fillAfterMove: boolean };
    /** The resolved generator config (symbol, seed, start and duration are set per run). */
    syntheticConfig: SyntheticConfig | null;
  };
  execution: {
    feedLatency: { model: 'recorded' | 'constant'; latencyUs: number; clockOffsetUs: number | 'auto'; offsetSampleEvents: number; minLatencyUs: number };
    orderLatency: {
      model: 'constant' | 'feed' | 'random' | 'recorded';
      entryUs: number;
      responseUs: number;
      entryMultiplier: number;
      entryOffsetUs: number;
      responseMultiplier: number;
      responseOffsetUs: number;
      distribution: 'exponential' | 'lognormal' | 'uniform';
      entryMeanUs: number;
      responseMeanUs: number;
      sigma: number;
      minUs: number;
      file: string | null;
    };
    queue: { model: 'risk-averse' | 'prob-power' | 'prob-log'; variant: 1 | 2 | 3; power: number };
    partialFills: boolean;
    crossingFills: boolean;
    matchWindowUs: number;
    selfTradePrevention: 'EXPIRE_MAKER' | 'EXPIRE_TAKER' | 'EXPIRE_BOTH' | 'NONE';
    fees: Record<string, FeeRates>;
    funding: { mode: 'data' | 'rate' | 'off'; ratePerInterval: string; intervalH: number };
  };
  account: {
    balances: Record<string, string>;
    leverage: number;
    margin: boolean;
    brackets: Record<string, { notionalCap: string | null; initialLeverage: number; maintMarginRatio: string; cum: string }[]>;
    liquidationFeeRate: string;
  };
  /** strategy, signals, risk, oms and decision sections, resolved by the trading core's parser. */
  trader: TraderConfig;
  report: { sampleIntervalUs: number; returnIntervalUs: number; eventLog: boolean; html: boolean };
  /** `maker live` only. */
  live: LiveSection;
  /** The sections as written (after overrides), for the report's "resolved scenario". */
  raw: Record<string, unknown>;
}

/**
 * Where an override came from, for its errors: a command-line option with its value
 * (`--set strategy.x=1`, `--grid strategy.x=1..3`) or a file and line (a sweep's space file).
 */
export type OverrideOrigin = { option: string } | { file: string; line?: number };

/** An override with where it came from (a plain `key=value` string comes from `--set`). */
export interface Override {
  assignment: string;
  origin: OverrideOrigin;
}

export interface LoadOptions {
  /**
   * `key.path=value` overrides (CLI `--set`), applied in order. An error in a value, or in a key an
   * override wrote, names the override's origin instead of a line of the scenario file.
   */
  set?: readonly (string | Override)[];
  /** Replaces `seed` (CLI `--seed`). */
  seed?: number;
}

export function loadScenarioFile(file: string, opts: LoadOptions = {}): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(`cannot read scenario file: ${(e as Error).message}`, { file });
  }
  return parseScenario(text, file, opts);
}

/** `data.book` in the book keeper's words (`MarketBook`'s `BookSource`). */
export function bookSourceOf(book: Scenario['data']['book']): BookSource {
  return book === 'top-of-book' ? 'bookTicker' : book;
}

/**
 * The `decision` section with the strategy's book source: `decision.bookSource` when written, else
 * the one `data.book` gives the exchange, so both sides read the same kind of book by default.
 * Anything but a mapping is passed on unchanged for the trader's parser to reject.
 */
function decisionWithBook(decision: unknown, book: Scenario['data']['book']): unknown {
  if (decision === undefined || decision === null) return { bookSource: bookSourceOf(book) };
  if (typeof decision !== 'object' || Array.isArray(decision) || 'bookSource' in decision) return decision;
  return { ...decision, bookSource: bookSourceOf(book) };
}

/** Parses and validates scenario text. `file` is only used in messages. */
export function parseScenario(text: string, file = '', opts: LoadOptions = {}): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = lineCounter.linePos(e.pos[0]).line;
    throw new ScenarioError(yamlErrorMessage(e), { file: file || undefined, line });
  }
  if (!isMap(doc.contents)) throw new ScenarioError('a scenario must be a YAML mapping of sections (data, execution, strategy, …)', { file: file || undefined, line: 1 });
  const alias = unresolvedAlias(doc, lineCounter);
  if (alias !== undefined) throw new ScenarioError(alias.message, { file: file || undefined, line: alias.line });
  const ctx = new Ctx(doc, lineCounter, file);
  for (const o of opts.set ?? []) ctx.overrides.push(applyOverride(doc, typeof o === 'string' ? o : o.assignment, typeof o === 'string' ? undefined : o.origin));
  if (opts.seed !== undefined) doc.setIn(['seed'], opts.seed);
  const raw = doc.toJS() as Record<string, unknown>;
  const v = validate(SCENARIO_SCHEMA, raw, [], ctx) as Record<string, any>;

  let trader: TraderConfig;
  try {
    trader = parseTraderConfig({ signal: raw.signals ?? undefined, strategy: raw.strategy, risk: raw.risk ?? undefined, oms: raw.oms ?? undefined, decision: decisionWithBook(raw.decision, v.data.book) }, 'trader');
  } catch (e) {
    if (e instanceof ConfigError) {
      // The trader names keys `trader.<section>.…`; the scenario's sections are top-level (`signals` for its `signal`).
      const field = (e.location.field ?? 'trader.strategy').replace(/^trader\.signal\b/, 'trader.signals').replace(/^trader\./, '');
      const original = e.location.field ?? '';
      let message = e.message.startsWith(`${original}: `) ? e.message.slice(original.length + 2) : e.message;
      const inner = /^(?:signal|strategy|risk|oms)\.[\w.]+: /.exec(message);
      if (inner) message = message.slice(inner[0].length);
      throw ctx.error(field.split('.'), message);
    }
    throw e;
  }

  const data = v.data;
  if (data.source === 'store' && data.store === null) throw ctx.error(['data', 'store'], 'is required when data.source is "store"');
  if (data.source === 'synthetic' && data.range === null) throw ctx.error(['data', 'range'], 'is required when data.source is "synthetic" (it sets the session start and length)');
  data.symbols = (data.symbols as string[]).map((s) => s.toUpperCase());
  if (new Set(data.symbols).size !== data.symbols.length) throw ctx.error(['data', 'symbols'], 'lists a symbol twice');
  if (data.source === 'synthetic') {
    for (const k of ['symbol', 'seed', 'startUs', 'durationS']) {
      if (k in data.synthetic) throw ctx.error(['data', 'synthetic', k], `is set by ${k === 'symbol' ? 'data.symbols' : k === 'seed' ? 'seed' : 'data.range'}, not here`);
    }
    try {
      data.syntheticConfig = parseSyntheticConfig(data.synthetic, 'data.synthetic');
    } catch (e) {
      if (e instanceof ConfigError) {
        const field = e.location.field ?? 'data.synthetic';
        const message = e.message.startsWith(`${field}: `) ? e.message.slice(field.length + 2) : e.message;
        throw ctx.error(field.split('.'), message);
      }
      throw e;
    }
  } else data.syntheticConfig = null;
  if (data.source === 'model') checkModelScenario(raw, v.data.model, ctx);
  const ol = v.execution.orderLatency;
  if (ol.model === 'recorded' && ol.file === null) throw ctx.error(['execution', 'orderLatency', 'file'], 'is required when orderLatency.model is "recorded"');
  if (v.account.balances && Object.keys(v.account.balances).length === 0) throw ctx.error(['account', 'balances'], 'needs at least one asset');
  // A negative or all-zero account would run to the end quoting nothing (risk halts at once) and
  // exit 0 with an empty report: reject it here instead.
  const isZero = (d: string): boolean => !/[1-9]/.test(d);
  for (const [asset, amount] of Object.entries((v.account.balances ?? {}) as Record<string, string>)) {
    if (amount.trim().startsWith('-') && !isZero(amount)) throw ctx.error(['account', 'balances', asset], `must be ≥ 0, got ${amount}`);
  }
  if (v.account.balances && Object.values(v.account.balances as Record<string, string>).every(isZero)) throw ctx.error(['account', 'balances'], 'needs a positive balance in at least one asset');
  return { ...(v as Omit<Scenario, 'file' | 'trader' | 'raw'>), file, trader, raw } as Scenario;
}

/** Sections and data keys a model run does not use (docs/MODEL_MARKETS.md): present, they are an error, not silently ignored. */
const MODEL_UNUSED_SECTIONS = ['execution', 'account', 'signals', 'risk', 'oms', 'decision', 'report'] as const;
const MODEL_UNUSED_DATA = ['store', 'range', 'streams', 'spec', 'synthetic'] as const;

function checkModelScenario(raw: Record<string, unknown>, model: Scenario['data']['model'], ctx: Ctx): void {
  for (const k of MODEL_UNUSED_SECTIONS) if (raw[k] !== undefined) throw ctx.error([k], 'is not used by a model market (data.source: model); remove it');
  const data = raw.data as Record<string, unknown>;
  for (const k of MODEL_UNUSED_DATA) if (data[k] !== undefined && data[k] !== null) throw ctx.error(['data', k], 'is not used by a model market (data.source: model); remove it');
  const dtUs = model.dtS * 1e6;
  const horizonUs = model.horizonS * 1e6;
  if (!Number.isSafeInteger(Math.round(dtUs)) || Math.abs(dtUs - Math.round(dtUs)) > 1e-6 || Math.round(dtUs) < 1) throw ctx.error(['data', 'model', 'dtS'], `must be a whole number of microseconds ≥ 1, got ${model.dtS}`);
  const steps = horizonUs / Math.round(dtUs);
  if (Math.abs(steps - Math.round(steps)) > 1e-6) throw ctx.error(['data', 'model', 'horizonS'], `must be a whole number of steps of dtS = ${model.dtS}, got ${model.horizonS}`);
  if (!/[1-9]/.test(model.tickSize) || model.tickSize.startsWith('-')) throw ctx.error(['data', 'model', 'tickSize'], `must be > 0, got ${model.tickSize}`);
}

class Ctx {
  /** The overrides applied, in order: a key at or under one of their paths came from there. */
  readonly overrides: { path: readonly string[]; origin: OverrideOrigin }[] = [];

  constructor(
    readonly doc: Document,
    readonly lines: LineCounter,
    readonly file: string,
  ) {}

  /** The line of the key at `path`, or of its nearest existing parent. */
  lineOf(path: readonly (string | number)[]): number | undefined {
    return yamlKeyLine(this.doc, this.lines, path);
  }

  error(path: readonly (string | number)[], message: string): ScenarioError {
    const field = path.join('.');
    // The last override that wrote this key or a parent of it is where the value came from.
    const from = this.overrides.findLast((o) => o.path.length <= path.length && o.path.every((k, i) => k === String(path[i])));
    if (from !== undefined) return new ScenarioError(message, { ...originLocation(from.origin), field });
    return new ScenarioError(message, { file: this.file || undefined, line: this.lineOf(path), field });
  }
}

function originLocation(origin: OverrideOrigin): { file?: string; line?: number; option?: string } {
  return 'option' in origin ? { option: origin.option } : { file: origin.file, line: origin.line };
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  // JSON would say null for these (.inf, .nan, 1e999), and null means absent here.
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return JSON.stringify(v);
}

function validate(f: Field, value: unknown, path: string[], ctx: Ctx): unknown {
  const fail = (message: string): never => {
    throw ctx.error(path, message);
  };
  if (value === undefined || (value === null && f.kind !== 'delegate' && 'nullable' in f && f.nullable)) {
    if (value === null) return null;
    if (f.kind === 'object') return validate(f, {}, path, ctx);
    if ('default' in f && f.default !== undefined) return f.kind === 'map' || f.kind === 'list' ? structuredClone(f.default) : f.default;
    if (f.kind === 'delegate') return undefined;
    return fail('is required');
  }
  switch (f.kind) {
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`expected a number, got ${describeValue(value)}`);
      if (f.kind === 'integer' && !Number.isSafeInteger(value)) return fail(`expected an integer, got ${value}`);
      if (f.min !== undefined && value < f.min) return fail(`must be ≥ ${f.min}, got ${value}`);
      if (f.kind === 'number' && f.above !== undefined && value <= f.above) return fail(`must be > ${f.above}, got ${value}`);
      if (f.max !== undefined && value > f.max) return fail(`must be ≤ ${f.max}, got ${value}`);
      return value;
    }
    case 'integerOrAuto':
      if (value === 'auto') return value;
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return fail(`expected an integer or "auto", got ${describeValue(value)}`);
      return value;
    case 'string':
      if (typeof value !== 'string') return fail(`expected a string, got ${describeValue(value)}`);
      return value;
    case 'decimal': {
      if (typeof value !== 'string' && typeof value !== 'number') return fail(`expected a decimal number, got ${describeValue(value)}`);
      const text = typeof value === 'number' ? numberToDecimal(value) : value.trim();
      try {
        return normalizeDecimal(text);
      } catch {
        return fail(`expected a decimal number, got ${describeValue(value)}`);
      }
    }
    case 'boolean':
      if (typeof value !== 'boolean') return fail(`expected true or false, got ${describeValue(value)}`);
      return value;
    case 'enum':
      if (!f.values.includes(value as string | number)) return fail(`expected one of ${f.values.map((x) => JSON.stringify(x)).join(', ')}, got ${describeValue(value)}`);
      return value;
    case 'timeRange':
      if (typeof value !== 'string') return fail(`expected a time range "start..end", got ${describeValue(value)}`);
      try {
        return parseTimeRange(value);
      } catch (e) {
        return fail((e as Error).message);
      }
    case 'list': {
      if (!Array.isArray(value)) return fail(`expected a list, got ${describeValue(value)}`);
      if (f.minItems !== undefined && value.length < f.minItems) return fail(`needs at least ${f.minItems} item(s)`);
      return value.map((item, i) => validate(f.of, item, [...path, String(i)], ctx));
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`expected a mapping, got ${describeValue(value)}`);
      const rec = value as Record<string, unknown>;
      for (const k of Object.keys(rec)) {
        if (!(k in f.fields)) throw ctx.error([...path, k], `unknown key (expected one of ${Object.keys(f.fields).join(', ')})`);
      }
      for (const k of f.required ?? []) if (rec[k] === undefined || rec[k] === null) throw ctx.error([...path, k], 'is required');
      const out: Record<string, unknown> = {};
      for (const [k, sub] of Object.entries(f.fields)) out[k] = validate(sub, rec[k], [...path, k], ctx);
      return out;
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`expected a mapping, got ${describeValue(value)}`);
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(value as Record<string, unknown>)) out[k] = validate(f.of, item, [...path, k], ctx);
      return out;
    }
    case 'delegate':
      return value;
  }
}

/** Shortest exact decimal text of a YAML number (rejects exponents that are not exact). */
function numberToDecimal(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * Applies one `key.path=value` to the document, typed by the schema field at that path. Errors name
 * `origin` (default: the option `--set <assignment>`). Returns the key path and origin it wrote.
 */
export function applyOverride(doc: Document, assignment: string, origin: OverrideOrigin = { option: `--set ${assignment}` }): { path: string[]; origin: OverrideOrigin } {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ScenarioError(`expects key.path=value, got "${assignment}"`, { ...originLocation(origin), field: '--set' });
  const key = assignment.slice(0, eq).trim();
  const text = assignment.slice(eq + 1).trim();
  const path = key.split('.');
  const where = { ...originLocation(origin), field: key };
  const field = fieldAt(path);
  if (field === undefined) throw new ScenarioError('unknown key', where);
  const value = typedValue(field, text, where);
  try {
    doc.setIn(path, value);
  } catch (e) {
    // A parent in the scenario that is not a mapping (e.g. strategy.sizeLots.x when sizeLots is a number).
    throw new ScenarioError(`cannot be set in this scenario (${(e as Error).message})`, where);
  }
  return { path, origin };
}

function typedValue(f: Field, text: string, where: { field: string }): unknown {
  const bad = (what: string): never => {
    throw new ScenarioError(`expected ${what}, got "${text}"`, where);
  };
  const yamlValue = (): unknown => {
    try {
      return parseYamlValue(text);
    } catch (e) {
      return bad(`a YAML value (${(e as Error).message.split('\n')[0].replace(/:$/, '')})`);
    }
  };
  switch (f.kind) {
    case 'number':
    case 'integer': {
      if (text === 'null' && f.nullable) return null;
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) return bad('a number');
      return n;
    }
    case 'integerOrAuto':
      return text === 'auto' ? 'auto' : Number.isSafeInteger(Number(text)) && text !== '' ? Number(text) : bad('an integer or "auto"');
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : bad('true or false');
    case 'enum':
      return typeof f.values[0] === 'number' ? Number(text) : text;
    case 'list':
      return text.startsWith('[') ? yamlValue() : text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    case 'object':
    case 'map':
    case 'delegate':
      return yamlValue();
    default:
      return text === 'null' ? null : text;
  }
}
