/**
 * Fault plans of `maker exchange` (docs/FAULTS.md): what goes wrong, when, and to whom. A plan is
 * a YAML file (`--faults plan.yaml`: `faults:` then a list) or the same objects as JSON through the
 * admin API (`POST /admin/faults`). This file validates them into `FaultSpec`s; faults.ts runs them.
 *
 * Trigger. A fault is armed at `at` (UTC wall time), at `afterMs` after the server started, or at
 * once. Armed, it either fires at that moment (connection faults and periods without `nth`) or
 * counts the events it matches (`match`: requests by REST method + path or ws-fapi method, stream
 * messages by stream name, both by symbol and account) and fires on the `nth` one and on each
 * following one until it has fired `times` times. Period faults last `durationMs` from their firing.
 *
 * Errors name the key path (`faults.2.durationMs`) and, for a file, the file and line.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { TIMER_MAX_MS } from '../core/clock.ts';
import { ConfigError } from '../core/errors.ts';
import { unresolvedAlias, yamlErrorMessage } from '../core/yaml-keys.ts';

export const FAULT_KINDS = [
  'disconnect',
  'depth-gap',
  'stall',
  'listen-key-expired',
  'unknown-error-503',
  'timeout-1007',
  'rate-limit',
  'clock-skew',
  'post-only-reject',
  'latency',
  'fill-before-cancel',
  'maintenance',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const FAULT_TARGETS = ['streams', 'user-stream', 'ws-api', 'rest'] as const;
export type FaultTarget = (typeof FAULT_TARGETS)[number];

/** What a fault counts and affects; every key given must match. */
export interface FaultMatch {
  /** REST method (GET, POST, PUT, DELETE). */
  method?: string;
  /** REST path, e.g. /fapi/v1/order. */
  path?: string;
  /** ws-fapi method, e.g. order.place. */
  wsMethod?: string;
  /** Market stream name, e.g. btcusdt@depth@100ms. */
  stream?: string;
  /** The request's `symbol` parameter, or the stream's symbol. */
  symbol?: string;
  /** Account name or API key of the request, or of the user data stream. */
  account?: string;
}

export interface FaultSpec {
  /** Label in the log (default `<kind>#<position>`). */
  name: string;
  kind: FaultKind;
  /** Armed this long after the server started, ms. */
  afterMs?: number;
  /** Armed at this wall time, ms since the epoch. */
  atMs?: number;
  /** Fires on the nth matching event once armed (absent: at arming, or on the first event for per-event kinds). */
  nth?: number;
  /** How many times it fires (request-triggered faults only). */
  times: number;
  match: FaultMatch;
  /** Period faults: how long the period lasts, ms. */
  durationMs?: number;
  /** disconnect, stall: which connections. */
  target?: FaultTarget;
  /** latency: which replies and frames are delayed. */
  targets?: FaultTarget[];
  /** disconnect (WebSocket): close with a close frame (true) or drop the TCP connection (false). */
  closeFrame?: boolean;
  /** disconnect with a close frame: its code. */
  closeCode?: number;
  /** 503 / 1007 / disconnect on a request: whether the request is carried out before the failure. */
  applied?: boolean;
  /** latency: added delay, ms. */
  delayMs?: number;
  /** clock-skew: server time shift, ms (positive: the server is ahead). */
  skewMs?: number;
  /** listen-key-expired: push `listenKeyExpired` (true) or invalidate the key silently. */
  event?: boolean;
  /** rate-limit: 429 replies a client gets before the 418 ban. */
  banAfter?: number;
  /** rate-limit: ban length, ms. */
  banMs?: number;
  /** post-only-reject: only GTX orders within this many ticks of the opposite best (absent: every GTX order). */
  withinTicks?: number;
  /** maintenance: the reply. */
  status?: number;
  code?: number;
  msg?: string;
}

type Param = { type: 'int' | 'bool' | 'string' | 'target' | 'targets'; min?: number; max?: number; required?: boolean; default?: unknown };

const COMMON = ['name', 'kind', 'afterMs', 'at', 'nth', 'times', 'match'] as const;
const MATCH_KEYS = ['method', 'path', 'wsMethod', 'stream', 'symbol', 'account'] as const;
/** Waits run on Node timers, which fire after 1 ms when asked to wait longer than TIMER_MAX_MS. */
const duration: Param = { type: 'int', min: 1, max: TIMER_MAX_MS, required: true };

/** The parameters of each kind besides the common trigger keys. */
export const KIND_PARAMS: Readonly<Record<FaultKind, Readonly<Record<string, Param>>>> = {
  disconnect: { target: { type: 'target', required: true }, closeFrame: { type: 'bool', default: true }, closeCode: { type: 'int', min: 1000, max: 4999, default: 1001 }, applied: { type: 'bool', default: false } },
  'depth-gap': {},
  stall: { target: { type: 'target', default: 'streams' }, durationMs: duration },
  'listen-key-expired': { event: { type: 'bool', default: true } },
  'unknown-error-503': { applied: { type: 'bool', required: true } },
  'timeout-1007': { applied: { type: 'bool', required: true } },
  // banMs is not a timer (the ban's end is compared with the clock) but has the same bound: a
  // longer ban is no test of anything, and beyond 2^53 µs the ban's end lost precision.
  'rate-limit': { durationMs: duration, banAfter: { type: 'int', min: 0, default: 3 }, banMs: { type: 'int', min: 1, max: TIMER_MAX_MS, default: 120_000 } },
  'clock-skew': { skewMs: { type: 'int', required: true }, durationMs: duration },
  'post-only-reject': { durationMs: duration, withinTicks: { type: 'int', min: 0 } },
  latency: { delayMs: { type: 'int', min: 1, max: TIMER_MAX_MS, required: true }, durationMs: duration, targets: { type: 'targets', default: [...FAULT_TARGETS] } },
  'fill-before-cancel': {},
  maintenance: { durationMs: duration, status: { type: 'int', min: 400, max: 599, default: 503 }, code: { type: 'int', default: -1001 }, msg: { type: 'string', default: 'Internal error; unable to process your request. Please try again.' } },
};

/** Kinds that act on single events (a request, a stream message): they count events even without `nth`. */
const PER_EVENT: ReadonlySet<FaultKind> = new Set(['depth-gap', 'unknown-error-503', 'timeout-1007', 'fill-before-cancel']);
/** Kinds whose events are stream messages (the others count requests). */
export const STREAM_KINDS: ReadonlySet<FaultKind> = new Set(['depth-gap', 'stall']);

/** Whether a fault counts events (true) or fires at the moment it is armed. */
export function countsEvents(f: FaultSpec): boolean {
  if (f.nth !== undefined || PER_EVENT.has(f.kind)) return true;
  return f.kind === 'disconnect' && f.target === 'rest';
}

/** Whether the events a fault counts are stream messages (else requests). */
export function countsStreamMessages(f: FaultSpec): boolean {
  return STREAM_KINDS.has(f.kind) || (f.kind === 'disconnect' && (f.target === 'streams' || f.target === 'user-stream'));
}

const describe = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/** Validates one fault object; `path` prefixes the key paths of errors (`faults.0`). */
export function parseFault(raw: unknown, path: string, index: number): FaultSpec {
  const err = (key: string, message: string) => new ConfigError(message, { field: key === '' ? path : `${path}.${key}` });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw err('', `expected a mapping with a kind, got ${describe(raw)}`);
  const r = raw as Record<string, unknown>;
  const kind = r.kind;
  if (!(FAULT_KINDS as readonly unknown[]).includes(kind)) throw err('kind', `expected one of ${FAULT_KINDS.join(', ')}, got ${describe(kind)}`);
  const k = kind as FaultKind;
  const params = KIND_PARAMS[k];
  for (const key of Object.keys(r)) {
    if (!(COMMON as readonly string[]).includes(key) && !(key in params)) throw err(key, `unknown key for kind ${k} (expected one of ${[...COMMON, ...Object.keys(params)].join(', ')})`);
  }
  const int = (key: string, p: { min?: number; max?: number }): number | undefined => {
    const v = r[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw err(key, `expected an integer, got ${describe(v)}`);
    if (p.min !== undefined && v < p.min) throw err(key, `must be ≥ ${p.min}, got ${v}`);
    if (p.max !== undefined && v > p.max) throw err(key, `must be ≤ ${p.max}${p.max === TIMER_MAX_MS ? ' (24.8 days, the longest timer Node keeps)' : ''}, got ${v}`);
    return v;
  };
  const spec: FaultSpec = { name: `${k}#${index}`, kind: k, times: 1, match: {} };
  if (r.name !== undefined) {
    if (typeof r.name !== 'string' || r.name === '') throw err('name', `expected a non-empty string, got ${describe(r.name)}`);
    spec.name = r.name;
  }
  spec.afterMs = int('afterMs', { min: 0, max: TIMER_MAX_MS });
  if (r.at !== undefined) {
    const t = typeof r.at === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z$/.test(r.at) ? Date.parse(r.at) : NaN;
    if (!Number.isFinite(t)) throw err('at', `expected a UTC time such as 2026-01-02T03:04:05Z, got ${describe(r.at)}`);
    if (spec.afterMs !== undefined) throw err('at', 'give either at or afterMs, not both');
    spec.atMs = t;
  }
  spec.nth = int('nth', { min: 1 });
  spec.times = int('times', { min: 1 }) ?? 1;
  if (r.match !== undefined) {
    const m = r.match;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw err('match', `expected a mapping (${MATCH_KEYS.join(', ')}), got ${describe(m)}`);
    for (const [key, v] of Object.entries(m)) {
      if (!(MATCH_KEYS as readonly string[]).includes(key)) throw err(`match.${key}`, `unknown key (expected one of ${MATCH_KEYS.join(', ')})`);
      if (typeof v !== 'string' || v === '') throw err(`match.${key}`, `expected a non-empty string, got ${describe(v)}`);
      (spec.match as Record<string, string>)[key] = key === 'method' || key === 'symbol' ? v.toUpperCase() : v;
    }
  }
  for (const [key, p] of Object.entries(params)) {
    const v = r[key];
    if (v === undefined || v === null) {
      if (p.required === true) throw err(key, `is required for kind ${k}`);
      if (p.default !== undefined) (spec as unknown as Record<string, unknown>)[key] = structuredClone(p.default);
      continue;
    }
    let out: unknown;
    switch (p.type) {
      case 'int':
        out = int(key, p);
        break;
      case 'bool':
        if (typeof v !== 'boolean') throw err(key, `expected true or false, got ${describe(v)}`);
        out = v;
        break;
      case 'string':
        if (typeof v !== 'string') throw err(key, `expected a string, got ${describe(v)}`);
        out = v;
        break;
      case 'target':
        if (!(FAULT_TARGETS as readonly unknown[]).includes(v)) throw err(key, `expected one of ${FAULT_TARGETS.join(', ')}, got ${describe(v)}`);
        out = v;
        break;
      case 'targets':
        if (!Array.isArray(v) || v.length === 0 || v.some((t) => !(FAULT_TARGETS as readonly unknown[]).includes(t))) throw err(key, `expected a list of ${FAULT_TARGETS.join(', ')}, got ${describe(v)}`);
        out = [...new Set(v as FaultTarget[])];
        break;
    }
    (spec as unknown as Record<string, unknown>)[key] = out;
  }
  checkCombination(spec, r, err);
  return spec;
}

/** Rules across keys: what a kind can be triggered by and what it can match. */
function checkCombination(f: FaultSpec, r: Record<string, unknown>, err: (key: string, message: string) => ConfigError): void {
  const m = f.match;
  const requestKeys = (['method', 'path', 'wsMethod'] as const).filter((key) => m[key] !== undefined);
  if (countsStreamMessages(f)) {
    if (requestKeys.length > 0) throw err(`match.${requestKeys[0]}`, `kind ${f.kind}${f.target ? ` (target ${f.target})` : ''} counts stream messages: match them by stream, symbol or account`);
  } else if (m.stream !== undefined) throw err('match.stream', `kind ${f.kind}${f.target ? ` (target ${f.target})` : ''} counts requests: match them by method and path, wsMethod, symbol or account`);
  if (m.wsMethod !== undefined && (m.method !== undefined || m.path !== undefined)) throw err('match.wsMethod', 'a request is either REST (method, path) or ws-fapi (wsMethod), not both');
  if (f.kind === 'depth-gap' && m.stream === undefined && m.symbol === undefined) throw err('match', 'depth-gap needs match.symbol or match.stream (the depth streams whose next message is skipped)');
  if (f.kind === 'depth-gap' && m.stream !== undefined && !/@depth(@\d+ms)?$/.test(m.stream)) throw err('match.stream', `expected a depth stream such as btcusdt@depth@100ms, got ${describe(m.stream)}`);
  if ((f.kind === 'stall' || f.kind === 'disconnect') && f.target === 'user-stream' && (m.stream !== undefined || m.symbol !== undefined)) throw err('match', `target user-stream matches by account only`);
  if (f.kind === 'stall' && f.target !== 'streams' && f.target !== 'user-stream') throw err('target', `a stall targets streams or user-stream, got ${describe(f.target)}`);
  if (f.kind === 'disconnect' && f.target === 'ws-api' && m.method !== undefined) throw err('match.method', 'target ws-api matches ws-fapi requests (wsMethod), not REST ones');
  if (f.kind === 'disconnect' && f.target === 'rest' && m.wsMethod !== undefined) throw err('match.wsMethod', 'target rest matches REST requests (method, path), not ws-fapi ones');
  if (f.kind === 'disconnect' && f.target === 'rest' && (r.closeFrame !== undefined || r.closeCode !== undefined)) throw err(r.closeFrame !== undefined ? 'closeFrame' : 'closeCode', 'a REST disconnect destroys the socket; closeFrame and closeCode are for WebSocket targets');
  if (f.kind === 'disconnect' && r.applied !== undefined && f.target !== 'rest' && f.target !== 'ws-api') throw err('applied', 'applied is for request targets (rest, ws-api)');
  if (f.kind === 'disconnect' && f.target === 'ws-api' && f.nth === undefined && Object.keys(m).length > 0) throw err('match', 'a ws-api disconnect without nth drops every ws-fapi connection at once; add nth to drop the connection of a matching request');
  if (f.kind === 'disconnect' && f.target === 'ws-api' && r.applied !== undefined && f.nth === undefined) throw err('applied', 'applied needs nth (the request the connection drops on); without nth every ws-fapi connection is dropped at once');
  if (!countsEvents(f) && f.times !== 1) throw err('times', `a ${f.kind} fault without nth fires once when armed; add nth to count events, or list the fault again with another afterMs`);
}

/** What the server serves: a fault matching another symbol or account would never fire. */
export interface FaultPlanContext {
  symbols?: readonly string[];
  /** Account names and API keys. */
  accounts?: readonly string[];
}

/** Validates a list of fault objects (the value of `faults:`); `path` names the list in errors. */
export function parseFaults(raw: unknown, path = 'faults', known: FaultPlanContext = {}): FaultSpec[] {
  if (!Array.isArray(raw)) throw new ConfigError(`expected a list of faults, got ${describe(raw)}`, { field: path });
  const out = raw.map((f, i) => parseFault(f, `${path}.${i}`, i));
  out.forEach((f, i) => {
    const m = f.match;
    const streamSymbol = m.stream === undefined || !m.stream.includes('@') ? undefined : m.stream.slice(0, m.stream.indexOf('@')).toUpperCase();
    for (const [key, symbol] of [['symbol', m.symbol], ['stream', streamSymbol]] as const) {
      if (symbol !== undefined && known.symbols !== undefined && !known.symbols.includes(symbol)) throw new ConfigError(`symbol ${symbol} is not served (served: ${known.symbols.join(', ')})`, { field: `${path}.${i}.match.${key}` });
    }
    if (m.account !== undefined && known.accounts !== undefined && !known.accounts.includes(m.account)) throw new ConfigError(`no account named ${JSON.stringify(m.account)}`, { field: `${path}.${i}.match.account` });
  });
  const names = new Set<string>();
  out.forEach((f, i) => {
    if (names.has(f.name)) throw new ConfigError(`name ${JSON.stringify(f.name)} is used twice`, { field: `${path}.${i}.name` });
    names.add(f.name);
  });
  return out;
}

/** A fault plan's YAML text: `faults:` then a list. Errors carry the file, the line and the key path. */
export function parseFaultPlan(text: string, file = '', known: FaultPlanContext = {}): FaultSpec[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const where = { file: file || undefined };
  if (doc.errors.length > 0) throw new ConfigError(yamlErrorMessage(doc.errors[0]), { ...where, line: lines.linePos(doc.errors[0].pos[0]).line });
  const alias = unresolvedAlias(doc, lines);
  if (alias !== undefined) throw new ConfigError(alias.message, { ...where, line: alias.line });
  const raw = doc.toJS() as unknown;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('a fault plan is a mapping with one key, faults: (a list of faults)', { ...where, line: 1 });
  for (const k of Object.keys(raw)) if (k !== 'faults') throw new ConfigError('unknown key (a fault plan has one key, faults)', { ...where, line: lineOf(doc, lines, [k]), field: k });
  try {
    return parseFaults((raw as Record<string, unknown>).faults, 'faults', known);
  } catch (e) {
    if (!(e instanceof ConfigError) || e.location.field === undefined) throw e;
    const path = e.location.field.split('.');
    throw new ConfigError(e.message, { ...where, line: lineOf(doc, lines, path), field: e.location.field });
  }
}

export function loadFaultPlanFile(file: string, known: FaultPlanContext = {}): FaultSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read the fault plan: ${(e as Error).message}`, { file });
  }
  return parseFaultPlan(text, file, known);
}

/** The line of the key at `path` (list items by index), or of its nearest existing parent. */
function lineOf(doc: Document, lines: LineCounter, path: readonly string[]): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const parent = doc.getIn(path.slice(0, n - 1), true) as YamlNode | undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === path[n - 1]);
      const node = pair?.key as YamlNode | undefined;
      if (node?.range) return lines.linePos(node.range[0]).line;
    } else {
      const node = doc.getIn(path.slice(0, n), true) as YamlNode | undefined;
      if (node?.range) return lines.linePos(node.range[0]).line;
    }
  }
  const root = doc.contents as YamlNode | null;
  return root?.range ? lines.linePos(root.range[0]).line : undefined;
}
