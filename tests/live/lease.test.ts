// The --lock file lease of `maker live` (src/live/lease.ts): one holder at a time, a live holder
// refuses a newcomer, a dead one is taken over after staleMs, a holder that finds another token on
// renewal (or cannot write) loses the lease. Time is a manual clock; the file is real.
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Timers } from '../../src/adapter/binance/index.ts';
import { acquireFileLease, LEASE_HELD_EXIT, type FileLease } from '../../src/live/index.ts';
import { MakerError } from '../../src/core/errors.ts';

/** Timers on a manual clock (ms); `advance` fires what is due in time order and lets promises settle between. */
class ManualTimers implements Timers {
  now = 0;
  private q: { at: number; f: () => void; id: number }[] = [];
  private id = 0;
  after(ms: number, f: () => void): unknown {
    const t = { at: this.now + ms, f, id: ++this.id };
    this.q.push(t);
    return t.id;
  }
  cancel(handle: unknown): void {
    this.q = this.q.filter((t) => t.id !== handle);
  }
  get pending(): number {
    return this.q.length;
  }
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await flush();
      this.q.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.q[0];
      if (next === undefined || next.at > end) break;
      this.q.shift();
      this.now = next.at;
      next.f();
    }
    this.now = end;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

const dirs: string[] = [];
const leases: FileLease[] = [];
afterEach(() => {
  for (const l of leases.splice(0)) l.release();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function lockPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'deploy-lease-'));
  dirs.push(d);
  return join(d, 'live.lock');
}

const OPTS = { renewMs: 100, staleMs: 1000 };

/** Runs `acquireFileLease` to its end on the manual clock. */
async function acquire(timers: ManualTimers, path: string, holder: string, budgetMs = 5000): Promise<FileLease | MakerError> {
  let out: FileLease | MakerError | undefined;
  acquireFileLease({ path, timers, holder, wallMs: () => 0, ...OPTS }).then(
    (l) => {
      leases.push(l);
      out = l;
    },
    (e: unknown) => {
      out = e as MakerError;
    },
  );
  await flush();
  for (let t = 0; t < budgetMs && out === undefined; t += 10) await timers.advance(10);
  if (out === undefined) throw new Error('acquireFileLease did not settle');
  return out;
}

const record = (path: string): { token: string; holder: string; renewals: number } => JSON.parse(readFileSync(path, 'utf8')) as { token: string; holder: string; renewals: number };

describe('file lease (maker live --lock)', () => {
  it('takes a free lock at once, renews it and removes it on release', async () => {
    const timers = new ManualTimers();
    const path = lockPath();
    const a = await acquire(timers, path, 'session A');
    expect(a).not.toBeInstanceOf(Error);
    const lease = a as FileLease;
    expect(timers.now).toBe(0);
    expect(record(path)).toMatchObject({ token: lease.token, holder: 'session A', renewals: 0 });
    await timers.advance(350);
    expect(record(path).renewals).toBe(3);
    lease.release();
    expect(existsSync(path)).toBe(false);
    expect(timers.pending).toBe(0);
    lease.release(); // idempotent
  });

  it('refuses a newcomer while the holder renews, naming the holder, with exit 5', async () => {
    const timers = new ManualTimers();
    const path = lockPath();
    const a = (await acquire(timers, path, 'session A on host-1')) as FileLease;
    const b = await acquire(timers, path, 'session B');
    expect(b).toBeInstanceOf(MakerError);
    const e = b as MakerError;
    expect(e.code).toBe('E_LOCKED');
    expect(e.exitCode).toBe(LEASE_HELD_EXIT);
    expect(e.message).toContain('session A on host-1');
    expect(e.message).toContain('being renewed');
    // Within about one renewal, not after staleMs.
    expect(timers.now).toBeLessThan(OPTS.staleMs);
    expect(a.held).toBe(true);
    expect(record(path).token).toBe(a.token);
  });

  it('takes over a lock nobody renews (a killed holder) after staleMs, and an unreadable one too', async () => {
    for (const text of [JSON.stringify({ token: 'dead', holder: 'maker live pid 7 on old-pod', since: 'x', renewals: 41 }), 'garbage\n']) {
      const timers = new ManualTimers();
      const path = lockPath();
      writeFileSync(path, text);
      const logs: string[] = [];
      let out: FileLease | MakerError | undefined;
      void acquireFileLease({ path, timers, holder: 'session B', log: (l) => logs.push(l), ...OPTS }).then((l) => {
        leases.push(l);
        out = l;
      }, (e: unknown) => (out = e as MakerError));
      await timers.advance(OPTS.staleMs - 50);
      expect(out).toBeUndefined();
      expect(readFileSync(path, 'utf8')).toBe(text);
      await timers.advance(OPTS.renewMs * 3);
      expect(out).not.toBeInstanceOf(Error);
      expect(record(path).token).toBe((out as FileLease).token);
      expect(logs.join('\n')).toContain('taking it over');
    }
  });

  it('of two newcomers racing for a stale lock, exactly one gets it', async () => {
    const timers = new ManualTimers();
    const path = lockPath();
    writeFileSync(path, JSON.stringify({ token: 'dead', holder: 'old', since: 'x', renewals: 0 }));
    const results: (FileLease | MakerError)[] = [];
    for (const who of ['B', 'C'])
      void acquireFileLease({ path, timers, holder: who, ...OPTS }).then((l) => {
        leases.push(l);
        results.push(l);
      }, (e: unknown) => results.push(e as MakerError));
    for (let t = 0; t < 5000 && results.length < 2; t += 10) await timers.advance(10);
    expect(results).toHaveLength(2);
    const winners = results.filter((r) => !(r instanceof Error)) as FileLease[];
    expect(winners).toHaveLength(1);
    expect((results.find((r) => r instanceof Error) as MakerError).code).toBe('E_LOCKED');
    expect(record(path).token).toBe(winners[0].token);
  });

  it('a holder whose file was taken over loses the lease on its next renewal and stops renewing', async () => {
    const timers = new ManualTimers();
    const path = lockPath();
    const a = (await acquire(timers, path, 'A')) as FileLease;
    const reasons: string[] = [];
    a.onLost((r) => reasons.push(r));
    // What a newcomer does after A stalled for more than staleMs.
    writeFileSync(path, JSON.stringify({ token: 'other', holder: 'session B on host-2', since: 'y', renewals: 0 }));
    await timers.advance(OPTS.renewMs);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain('session B on host-2');
    expect(a.held).toBe(false);
    expect(timers.pending).toBe(0);
    // Release leaves B's file alone.
    a.release();
    expect(record(path).token).toBe('other');
    // A listener added after the loss still hears it.
    let late = '';
    a.onLost((r) => (late = r));
    expect(late).toBe(reasons[0]);
  });

  it('a holder whose file was removed, or that cannot write it, loses the lease', async () => {
    const timers = new ManualTimers();
    const path = lockPath();
    const a = (await acquire(timers, path, 'A')) as FileLease;
    let reason = '';
    a.onLost((r) => (reason = r));
    rmSync(path);
    await timers.advance(OPTS.renewMs);
    expect(reason).toContain('was removed');

    if (process.getuid?.() === 0) return; // root writes through chmod: the permission case needs a user
    const path2 = lockPath();
    const b = (await acquire(timers, path2, 'B')) as FileLease;
    let reason2 = '';
    b.onLost((r) => (reason2 = r));
    chmodSync(join(path2, '..'), 0o500);
    try {
      await timers.advance(OPTS.renewMs);
    } finally {
      chmodSync(join(path2, '..'), 0o700);
    }
    expect(reason2).toContain('cannot renew');
  });

  it('a lock file in a directory that does not exist is a clear error, not a hang', async () => {
    const timers = new ManualTimers();
    const d = mkdtempSync(join(tmpdir(), 'deploy-lease-'));
    dirs.push(d);
    const e = await acquire(timers, join(d, 'missing', 'live.lock'), 'A');
    expect(e).toBeInstanceOf(MakerError);
    expect((e as MakerError).code).toBe('E_IO');
    expect((e as MakerError).message).toContain(join(d, 'missing', 'live.lock'));
    mkdirSync(join(d, 'missing'));
  });

  it('refuses timings where a healthy holder could look stale', async () => {
    await expect(acquireFileLease({ path: lockPath(), timers: new ManualTimers(), renewMs: 500, staleMs: 1000 })).rejects.toThrow(/more than twice/);
  });
});
