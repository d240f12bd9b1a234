/**
 * EventLogHasher: the determinism hash of a run — SHA-256 over a canonical serialization of every
 * event the engine processes or emits, in processing order.
 *
 * Canonical form: one line per event, `kind` then each field, separated by `\t`, ended by `\n`.
 * Numbers are written by `String(n)` (integers exactly, floats as the shortest round-trip form;
 * NaN and ±Infinity by name, -0 as 0); booleans `true`/`false`; null/undefined `~`; strings with
 * `\`, tab and newline escaped. `addObject` writes an object's own keys in sorted order as
 * `key=value` fields (nested objects and arrays as canonical JSON with sorted keys).
 *
 * The hash depends only on the sequence of events, never on how the engine batched them: text is
 * buffered and fed to the streaming hash in pieces whose boundaries do not affect a SHA-256
 * digest. Optionally the same bytes go to a `sink` (an event log file).
 */
import { createHash, type Hash } from 'node:crypto';
import { InvariantError } from '../../core/errors.ts';

export type EventField = string | number | boolean | null | undefined;

const FLUSH_CHARS = 1 << 16;

function escape(s: string): string {
  return /[\\\t\n\r]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s;
}

function fieldText(v: EventField): string {
  switch (typeof v) {
    case 'string':
      return escape(v);
    case 'number':
      return Object.is(v, -0) ? '0' : String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return '~';
  }
}

/** JSON with object keys sorted at every level (arrays keep their order). */
export function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? (Object.is(v, -0) ? '0' : String(v)) : JSON.stringify(String(v));
  if (typeof v === 'bigint') return v.toString();
  if (typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v instanceof Map) return canonicalJson(Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), x])));
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

export class EventLogHasher {
  /** Events added so far. */
  events = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly sink: ((chunk: string) => void) | undefined;
  private pending = '';
  private digestHex: string | null = null;

  /** `sink` receives the canonical log text in order (e.g. to append to an events file). */
  constructor(sink?: (chunk: string) => void) {
    this.sink = sink;
  }

  /** One event: `kind` and its fields in a fixed order chosen by the caller. */
  add(kind: string, f0?: EventField, f1?: EventField, f2?: EventField, f3?: EventField, f4?: EventField, f5?: EventField, f6?: EventField, f7?: EventField): void {
    // Fixed arity avoids a rest-array allocation per event; `arguments.length` keeps trailing
    // explicit undefineds distinct from absent fields.
    let line = escape(kind);
    const n = arguments.length - 1;
    if (n > 0) line += `\t${fieldText(f0)}`;
    if (n > 1) line += `\t${fieldText(f1)}`;
    if (n > 2) line += `\t${fieldText(f2)}`;
    if (n > 3) line += `\t${fieldText(f3)}`;
    if (n > 4) line += `\t${fieldText(f4)}`;
    if (n > 5) line += `\t${fieldText(f5)}`;
    if (n > 6) line += `\t${fieldText(f6)}`;
    if (n > 7) line += `\t${fieldText(f7)}`;
    this.append(line);
  }

  /** One event with any number of fields. */
  addFields(kind: string, fields: readonly EventField[]): void {
    let line = escape(kind);
    for (let i = 0; i < fields.length; i++) line += `\t${fieldText(fields[i])}`;
    this.append(line);
  }

  /** One event given as an object: own keys sorted, `key=value`; nested values as canonical JSON. */
  addObject(kind: string, obj: object): void {
    const o = obj as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    let line = escape(kind);
    for (const k of keys) {
      const v = o[k];
      if (v === undefined) continue;
      line += `\t${escape(k)}=${v !== null && typeof v === 'object' ? escape(canonicalJson(v)) : fieldText(v as EventField)}`;
    }
    this.append(line);
  }

  /** `sha256:<hex>`; no events may be added afterwards. */
  digest(): string {
    if (this.digestHex === null) {
      this.flush();
      this.digestHex = this.hash.digest('hex');
    }
    return `sha256:${this.digestHex}`;
  }

  private append(line: string): void {
    if (this.digestHex !== null) throw new InvariantError('EventLogHasher: event added after digest()');
    this.pending += `${line}\n`;
    this.events++;
    if (this.pending.length >= FLUSH_CHARS) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.hash.update(this.pending, 'utf8');
    this.sink?.(this.pending);
    this.pending = '';
  }
}
