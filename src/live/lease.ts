/**
 * A file lease: at most one `maker live` per lock file (`maker live --lock <file>`), so two
 * sessions configured for the same account never trade it at once (issue 14, deployment).
 *
 * Node has no flock, and an O_EXCL lock file alone is left behind by a `kill -9`, so the lock is a
 * lease that its holder keeps renewing:
 *   - the file holds one JSON record {token, holder, since, renewals}; the holder rewrites it (a
 *     temporary file renamed over it, so a reader never sees half a record) every `renewMs`, with
 *     `renewals` one higher;
 *   - a newcomer that finds the file watches its text for `staleMs`. If the text changes, a holder is
 *     alive: the newcomer refuses to start (`E_LOCKED`, exit 5, naming the holder), within about one
 *     renewal. If the text stays the same for `staleMs`, the holder is dead (killed, or its machine
 *     gone): the newcomer takes the lease over, waits one renewal period and checks the file is
 *     still its own before going on. Deciding on "unchanged for staleMs by my own clock" (what a
 *     Kubernetes Lease client does) needs no clock agreement between machines sharing the file.
 *   - every renewal first reads the file back: another token there (a newcomer took over while this
 *     process was stalled for more than staleMs) or a failed write means the lease is lost; the
 *     session is told (`onLost`) and stops, because the other holder may already trade;
 *   - `release()` removes the file if it is still ours, so a clean restart does not wait.
 * A restart after a crash waits `staleMs` (15 s by default) before it can trade.
 *
 * What it covers: processes that see the same file (one machine, or a volume only one pod mounts:
 * deploy/README.md). It cannot see a session on another machine with the same API key and another
 * lock file: one key per deployment.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { MakerError } from '../core/errors.ts';
import type { Timers } from '../adapter/binance/index.ts';
import { sleep } from './clock.ts';

/** Exit status of `maker live` when another session holds the lock. */
export const LEASE_HELD_EXIT = 5;

export interface FileLeaseOptions {
  /** The lock file (its directory must exist and be writable). */
  readonly path: string;
  readonly timers: Timers;
  /** Renewal interval, ms (default 2000). */
  readonly renewMs?: number;
  /** A lease not renewed for this long is taken over, ms (default 15000; more than 2 renewals). */
  readonly staleMs?: number;
  /** Who holds it, for the other side's error message (default `maker live pid <pid> on <host>`). */
  readonly holder?: string;
  /** Wall clock, ms (only for the `since` field people read). */
  readonly wallMs?: () => number;
  readonly log?: (line: string) => void;
}

interface LeaseRecord {
  readonly token: string;
  readonly holder: string;
  readonly since: string;
  readonly renewals: number;
}


/** The file's text, or null when there is none. */
function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new MakerError('E_IO', `--lock: cannot read ${path}: ${(e as Error).message}`, { location: { field: '--lock' } });
  }
}

function parse(text: string): Partial<LeaseRecord> {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' ? (v as Partial<LeaseRecord>) : {};
  } catch {
    return {};
  }
}

function describeHolder(text: string): string {
  const r = parse(text);
  return typeof r.holder === 'string' ? `${r.holder} (since ${String(r.since)})` : 'an unreadable lock record';
}

function writeDurably(path: string, text: string, flags: 'wx' | 'w'): void {
  const fd = openSync(path, flags, 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class FileLease {
  private renewals = 0;
  private timer: unknown;
  private lost: string | null = null;
  private released = false;
  private readonly lostListeners: ((reason: string) => void)[] = [];

  /** Use `acquireFileLease`. */
  constructor(
    readonly path: string,
    readonly token: string,
    private readonly holder: string,
    private readonly since: string,
    private readonly o: FileLeaseOptions & { renewMs: number },
  ) {}

  /** The record text this holder writes next. */
  text(): string {
    const r: LeaseRecord = { token: this.token, holder: this.holder, since: this.since, renewals: this.renewals };
    return `${JSON.stringify(r)}\n`;
  }

  /** Writes the record (temporary file, then rename: readers see the old or the new record, whole). */
  write(): void {
    const tmp = `${this.path}.${this.token}.tmp`;
    writeDurably(tmp, this.text(), 'w');
    renameSync(tmp, this.path);
  }

  /** Called once if the lease is lost (another holder, or the file cannot be renewed). */
  onLost(f: (reason: string) => void): void {
    if (this.lost !== null) f(this.lost);
    else this.lostListeners.push(f);
  }

  /** Whether the lease is still held (not lost, not released). */
  get held(): boolean {
    return this.lost === null && !this.released;
  }

  /** Starts the renewals. */
  start(): void {
    this.timer = this.o.timers.after(this.o.renewMs, () => this.renew());
  }

  private renew(): void {
    this.timer = undefined;
    if (!this.held) return;
    let reason: string | null = null;
    try {
      const text = readText(this.path);
      if (text === null) reason = `the lock file ${this.path} was removed`;
      else if (parse(text).token !== this.token) reason = `the lock file ${this.path} is now held by ${describeHolder(text)}`;
      else {
        this.renewals++;
        this.write();
      }
    } catch (e) {
      reason = `cannot renew the lock file ${this.path}: ${(e as Error).message}`;
    }
    if (reason !== null) {
      this.lost = reason;
      for (const f of this.lostListeners.splice(0)) f(reason);
      return;
    }
    this.timer = this.o.timers.after(this.o.renewMs, () => this.renew());
  }

  /** Stops renewing and removes the file if it is still ours (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.timer !== undefined) this.o.timers.cancel(this.timer);
    this.timer = undefined;
    try {
      const text = readText(this.path);
      if (text !== null && parse(text).token === this.token) unlinkSync(this.path);
    } catch {
      // Left behind, it goes stale and the next session takes it over after staleMs.
    }
  }
}

/**
 * Takes the lease on `o.path`, waiting up to `staleMs` to learn whether a lock file found there is
 * still renewed. Throws `E_LOCKED` (exit 5) naming the holder when it is.
 */
export async function acquireFileLease(o: FileLeaseOptions): Promise<FileLease> {
  const renewMs = o.renewMs ?? 2000;
  const staleMs = o.staleMs ?? 15_000;
  if (!(renewMs > 0) || !(staleMs > 2 * renewMs)) throw new MakerError('E_CONFIG', `lease: staleMs (${staleMs}) must be more than twice renewMs (${renewMs})`, { location: { field: '--lock' } });
  const token = randomBytes(12).toString('hex');
  const holder = o.holder ?? `maker live pid ${process.pid} on ${hostname()}`;
  const since = new Date((o.wallMs ?? Date.now)()).toISOString();
  const lease = new FileLease(o.path, token, holder, since, { ...o, renewMs });
  const held = (text: string, how: string): MakerError =>
    new MakerError('E_LOCKED', `${o.path} is held by ${describeHolder(text)}, ${how}: another maker live session trades this account. Stop it first (or, if it is dead, wait ${Math.ceil(staleMs / 1000)} s and start again)`, { location: { field: '--lock' }, exitCode: LEASE_HELD_EXIT, retryable: true });
  // Bounded: each round either creates the file, finds a live holder (throws) or sees the file vanish.
  for (let round = 0; round < 5; round++) {
    try {
      writeDurably(o.path, lease.text(), 'wx');
      lease.start();
      return lease;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new MakerError('E_IO', `--lock: cannot create ${o.path}: ${(e as Error).message}`, { location: { field: '--lock' } });
    }
    const first = readText(o.path);
    if (first === null) continue;
    o.log?.(`lock ${o.path} exists (${describeHolder(first)}): watching it for up to ${staleMs / 1000} s to see whether it is renewed`);
    const pollMs = Math.max(1, Math.floor(renewMs / 4));
    let waited = 0;
    let vanished = false;
    while (waited < staleMs) {
      await sleep(o.timers, pollMs);
      waited += pollMs;
      const now = readText(o.path);
      if (now === null) {
        vanished = true;
        break;
      }
      if (now !== first) throw held(now, 'and it is being renewed');
    }
    if (vanished) continue;
    // Unchanged for staleMs: the holder is gone. Take it over, then make sure no other newcomer did too.
    if (readText(o.path) !== first) continue;
    o.log?.(`lock ${o.path}: not renewed for ${staleMs / 1000} s (${describeHolder(first)}): taking it over`);
    lease.write();
    await sleep(o.timers, renewMs);
    const after = readText(o.path);
    if (after === null || parse(after).token !== token) throw held(after ?? first, 'which took it over at the same time');
    lease.start();
    return lease;
  }
  throw new MakerError('E_LOCKED', `${o.path}: the lock file kept appearing and vanishing; another session is starting and stopping`, { location: { field: '--lock' }, exitCode: LEASE_HELD_EXIT, retryable: true });
}
