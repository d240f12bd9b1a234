/**
 * The sweep directory: `sweep.json` (what the sweep is: its identity, written once, atomically) and
 * `runs.jsonl` (one line per finished run, appended and fsynced as each run finishes). A rerun of
 * the same command reads the journal and skips the runs it holds; a sweep whose identity differs
 * (another scenario text, base `--set` list, parameter sets or seeds) is refused, naming what
 * differs. A last line cut short by a kill is dropped (and truncated away) on open; a damaged line
 * elsewhere is an error naming the file and line. While open, the directory is locked
 * (`sweep.lock`, lock.ts): a second sweep on it is refused.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, InputError } from '../core/errors.ts';
import { SweepLock } from './lock.ts';
import type { RunRow } from './run-one.ts';

export const SWEEP_FORMAT = 'maker-sweep/1';

/** What identifies a sweep (compared field by field on a rerun). */
export interface SweepIdentity {
  format: string;
  scenarioFile: string;
  scenarioSha256: string;
  baseSet: string[];
  /** sha256 of the main plan (every parameter set and seed, in order). */
  planSha256: string;
  runs: number;
}

/** Writes `file` via a temporary file and a rename, so a reader never sees half of it. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export class SweepJournal {
  readonly file: string;
  private fd: number | null = null;
  private lock: SweepLock | null = null;
  /** Finished runs by key, as read and as appended. */
  readonly done = new Map<string, RunRow>();

  private constructor(readonly dir: string) {
    this.file = join(dir, 'runs.jsonl');
  }

  /** Opens (or creates) the sweep directory for `identity`; refuses a directory of another sweep. */
  static open(dir: string, identity: SweepIdentity): SweepJournal {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new ConfigError(`${dir} is not a directory`, { field: '--out' });
    mkdirSync(dir, { recursive: true });
    const lock = SweepLock.acquire(dir);
    try {
      const j = SweepJournal.openLocked(dir, identity);
      j.lock = lock;
      return j;
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  private static openLocked(dir: string, identity: SweepIdentity): SweepJournal {
    const meta = join(dir, 'sweep.json');
    if (existsSync(meta)) {
      let old: SweepIdentity;
      try {
        old = JSON.parse(readFileSync(meta, 'utf8')) as SweepIdentity;
      } catch (e) {
        throw new InputError(`not a sweep description (${(e as Error).message}); use another --out`, { file: meta });
      }
      const diffs = (Object.keys(identity) as (keyof SweepIdentity)[]).filter((k) => JSON.stringify(old[k]) !== JSON.stringify(identity[k]));
      if (diffs.length > 0) {
        const what = diffs.map((k) => (k === 'scenarioSha256' ? 'the scenario text' : k === 'planSha256' || k === 'runs' ? 'the parameter sets or seeds' : k === 'baseSet' ? 'the --set list' : k)).filter((v, i, a) => a.indexOf(v) === i);
        throw new ConfigError(
          `${dir} holds a different sweep (${what.join(', ')} changed since it started); a sweep directory resumes only the same sweep: use another --out, or remove ${dir} to start over`,
          { field: '--out' },
        );
      }
    } else if (existsSync(join(dir, 'runs.jsonl'))) {
      throw new ConfigError(`${dir} has runs.jsonl but no sweep.json; use another --out`, { field: '--out' });
    } else {
      writeFileAtomic(meta, `${JSON.stringify(identity, null, 2)}\n`);
    }
    const j = new SweepJournal(dir);
    j.read();
    j.fd = openSync(j.file, 'a');
    return j;
  }

  private read(): void {
    if (!existsSync(this.file)) return;
    const text = readFileSync(this.file, 'utf8');
    const lines = text.split('\n');
    let good = 0; // bytes of complete, parsed lines
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const last = i === lines.length - 1;
      if (line === '') {
        if (!last) good += 1;
        continue;
      }
      let row: RunRow;
      try {
        row = JSON.parse(line) as RunRow;
        if (typeof row.key !== 'string') throw new Error('no "key"');
      } catch (e) {
        // Only the last line can be cut by a kill; anything else is damage to stop at.
        if (last) break;
        throw new InputError(`damaged journal line (${(e as Error).message}); remove the line to rerun that run`, { file: this.file, line: i + 1 });
      }
      if (last) break; // no newline after it: not known to be complete
      this.done.set(row.key, row);
      good += Buffer.byteLength(line) + 1;
    }
    if (good < Buffer.byteLength(text)) truncateSync(this.file, good);
  }

  get isOpen(): boolean {
    return this.fd !== null;
  }

  /** Appends a finished run and fsyncs, so a kill right after loses nothing. */
  append(row: RunRow): void {
    if (this.fd === null) throw new ConfigError('the journal is closed');
    writeSync(this.fd, `${JSON.stringify(row)}\n`);
    fsyncSync(this.fd);
    this.done.set(row.key, row);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.lock?.release();
    this.lock = null;
  }
}
