/**
 * Parameter sets of a sweep: a grid (`--grid key=spec`, the cartesian product of every axis) or a
 * seeded random search over a space file (`--random N --space file.yaml --seed S`), crossed with the
 * run seeds (`--seeds`). A parameter set is a list of `key=value` assignments applied exactly like
 * `--set` by the scenario loader, so keys, typing and errors are the loader's.
 *
 * Grid specs: `a,b,c` (a list of values, passed to the loader as text) or `lo..hi:step` (numbers,
 * inclusive, `step` > 0; `lo..hi` means step 1). A value with `..` whose ends are not both numbers
 * (a time range for `data.range`) is a plain value. Values never contain `,` (a list-valued key is
 * swept with the space file instead).
 *
 * Order (the table's row order, whatever the number of workers): grid axes in command-line order,
 * the last axis varying fastest, then seeds; random samples in draw order, then seeds. Sampling uses
 * `Rng("sweep/<seed>")` and the space file's key order, so the same file and seed give the same sets.
 */
import { readFileSync } from 'node:fs';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../core/errors.ts';
import { Rng } from '../core/random.ts';
import { yamlErrorMessage } from '../core/yaml-keys.ts';

/** One swept key and its values (as the text `--set` would receive). */
export interface Axis {
  key: string;
  values: string[];
}

/** A parameter set: `key=value` assignments in axis order. */
export type ParamSet = readonly (readonly [key: string, value: string])[];

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function decimals(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** Why `seed` cannot be swept like a scenario key (its own option is --seeds). */
const SEED_NOT_A_PARAMETER = 'the seed is not a parameter: run each set under several seeds with --seeds (e.g. --seeds 1,2,3)';

/** Parses one `--grid key=spec`. Errors (E_CONFIG, exit 2) name the option and the key. */
export function parseGridOption(option: string): Axis {
  const eq = option.indexOf('=');
  if (eq <= 0) throw new ConfigError(`expects key.path=values (a,b,c or lo..hi:step), got "${option}"`, { field: '--grid' });
  const key = option.slice(0, eq).trim();
  const spec = option.slice(eq + 1).trim();
  const bad = (why: string): never => {
    throw new ConfigError(`--grid ${key}: ${why}, got "${spec}"`, { field: key });
  };
  if (key === 'seed') return bad(SEED_NOT_A_PARAMETER);
  if (spec === '') return bad('no values (an empty grid)');
  const range = /^(.*?)\.\.([^:]*)(?::(.*))?$/.exec(spec);
  if (range !== null && !spec.includes(',')) {
    const [, lo, hi, step = '1'] = range;
    const numeric = [lo, hi].map((s) => NUMBER.test(s.trim()));
    if (numeric[0] && numeric[1]) {
      if (!NUMBER.test(step.trim()) || !(Number(step) > 0)) return bad('a range step must be a number > 0 (lo..hi:step)');
      const a = Number(lo);
      const b = Number(hi);
      if (b < a) return bad('a range must go up (lo ≤ hi)');
      const d = Math.max(decimals(lo.trim()), decimals(hi.trim()), decimals(step.trim()));
      const s = Number(step);
      const n = Math.floor((b - a) / s + 1e-9) + 1;
      if (n > 100_000) return bad(`a range of ${n} values is too many`);
      const values: string[] = [];
      for (let i = 0; i < n; i++) values.push(String(Number((a + i * s).toFixed(d))));
      return { key, values };
    }
    if (numeric[0] || numeric[1]) return bad('bad range syntax: expected lo..hi:step with numbers, such as 2..10:2');
  }
  const values = spec.split(',').map((v) => v.trim());
  if (values.some((v) => v === '')) return bad('an empty value in the list (a,b,c)');
  return { key, values };
}

/** Checks that no key is swept twice. */
export function checkAxes(axes: readonly Axis[]): void {
  const seen = new Set<string>();
  for (const a of axes) {
    if (seen.has(a.key)) throw new ConfigError(`key "${a.key}" is swept twice`, { field: a.key });
    seen.add(a.key);
  }
}

/** The cartesian product of the axes, the last axis varying fastest. */
export function expandGrid(axes: readonly Axis[]): ParamSet[] {
  checkAxes(axes);
  let out: [string, string][][] = [[]];
  for (const a of axes) {
    if (a.values.length === 0) throw new ConfigError(`--grid ${a.key}: no values (an empty grid)`, { field: a.key });
    const next: [string, string][][] = [];
    for (const prefix of out) for (const v of a.values) next.push([...prefix, [a.key, v]]);
    out = next;
  }
  return axes.length === 0 ? [] : out;
}

/** One dimension of a random space: a list of values, or a numeric interval. */
export type SpaceDim = (
  | { key: string; kind: 'choice'; values: string[] }
  | { key: string; kind: 'interval'; min: number; max: number; log: boolean; integer: boolean }
) & {
  /** The line of the key in the space file (errors in its values name it). */
  line?: number;
};

/** Parses a space file (YAML: `key: [a, b]` or `key: {min, max, log?, integer?}`); errors name file, line and key. */
export function parseSpace(text: string, file: string): SpaceDim[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) throw new ConfigError(yamlErrorMessage(doc.errors[0]), { file, line: lc.linePos(doc.errors[0].pos[0]).line });
  if (!isMap(doc.contents)) throw new ConfigError('a space file is a mapping of scenario keys to [values] or {min, max, log?, integer?}', { file, line: 1 });
  const out: SpaceDim[] = [];
  for (const item of doc.contents.items) {
    const key = String((item.key as { value?: unknown })?.value ?? item.key);
    const line = lc.linePos((item.key as unknown as { range?: number[] }).range?.[0] ?? 0).line;
    const v = (item.value as { toJSON?: () => unknown })?.toJSON?.() ?? (item.value as { value?: unknown })?.value;
    const bad = (why: string): never => {
      throw new ConfigError(why, { file, line, field: key });
    };
    if (key === 'seed') bad(SEED_NOT_A_PARAMETER);
    if (Array.isArray(v)) {
      if (v.length === 0) bad('an empty list of values');
      const values = v.map((x) => (x !== null && typeof x === 'object' ? bad('list values must be scalars') : String(x)));
      out.push({ key, kind: 'choice', values, line });
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) if (!['min', 'max', 'log', 'integer'].includes(k)) bad(`unknown property "${k}" (min, max, log, integer)`);
      const min = o.min;
      const max = o.max;
      if (typeof min !== 'number' || typeof max !== 'number' || !Number.isFinite(min) || !Number.isFinite(max)) bad('min and max must be numbers');
      if ((max as number) < (min as number)) bad('max must be ≥ min');
      const log = o.log ?? false;
      const integer = o.integer ?? false;
      if (typeof log !== 'boolean' || typeof integer !== 'boolean') bad('log and integer are true or false');
      if (log && !((min as number) > 0)) bad('a log interval needs min > 0');
      if (integer && Math.floor(max as number) < Math.ceil(min as number)) bad(`no integer between ${min as number} and ${max as number}`);
      out.push({ key, kind: 'interval', min: min as number, max: max as number, log: log as boolean, integer: integer as boolean, line });
    } else bad('expected a list of values or {min, max, log?, integer?}');
  }
  if (out.length === 0) throw new ConfigError('the space file names no keys', { file, line: 1 });
  return out;
}

export function loadSpaceFile(file: string): SpaceDim[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read the space file: ${(e as Error).message}`, { file, field: '--space' });
  }
  return parseSpace(text, file);
}

/** Six significant digits: a sampled float prints the same everywhere and reads well in a table. */
function shortNumber(x: number): string {
  return String(Number(x.toPrecision(6)));
}

/** `n` parameter sets drawn from the space with `Rng("sweep/<seed>")`, in draw order. */
export function sampleSpace(dims: readonly SpaceDim[], n: number, seed: number): ParamSet[] {
  const rng = new Rng(`sweep/${seed}`);
  const out: ParamSet[] = [];
  for (let i = 0; i < n; i++) {
    const set: [string, string][] = [];
    for (const d of dims) {
      if (d.kind === 'choice') {
        set.push([d.key, d.values[rng.int(d.values.length)]]);
        continue;
      }
      const u = rng.next();
      if (d.integer) {
        const lo = Math.ceil(d.min);
        const hi = Math.floor(d.max);
        if (hi < lo) throw new ConfigError(`no integer between ${d.min} and ${d.max}`, { field: d.key });
        const x = d.log ? Math.round(Math.exp(Math.log(Math.max(lo, 1e-300)) + u * (Math.log(hi) - Math.log(Math.max(lo, 1e-300))))) : lo + Math.floor(u * (hi - lo + 1));
        set.push([d.key, String(Math.min(hi, Math.max(lo, x)))]);
      } else {
        const x = d.log ? Math.exp(Math.log(d.min) + u * (Math.log(d.max) - Math.log(d.min))) : d.min + u * (d.max - d.min);
        set.push([d.key, shortNumber(x)]);
      }
    }
    out.push(set);
  }
  return out;
}

/** `--seeds`: `N` (the scenario's seed and the N − 1 after it) or a list `1,2,3`. */
export function parseSeeds(text: string | undefined, scenarioSeed: number): number[] {
  if (text === undefined) return [scenarioSeed];
  const t = text.trim();
  const bad = (): never => {
    throw new ConfigError(`expects a count (3) or a list of seeds (1,2,3) of non-negative integers, got "${text}"`, { field: '--seeds' });
  };
  if (t.includes(',')) {
    const seeds = t.split(',').map((s) => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : bad()));
    if (new Set(seeds).size !== seeds.length) throw new ConfigError(`a seed is listed twice in "${text}"`, { field: '--seeds' });
    return seeds;
  }
  if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > 10_000) return bad();
  return Array.from({ length: Number(t) }, (_, i) => scenarioSeed + i);
}
