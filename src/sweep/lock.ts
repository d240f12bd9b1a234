/**
 * The sweep directory's lock: `sweep.lock`, created exclusively (O_EXCL) when a sweep opens its
 * directory and removed when it closes it, so two `maker sweep` on one directory (local or queue
 * backend, on this machine or on two that share the directory) never append to one journal at once.
 * The file holds the owner's pid and host name. A lock left by a process that died (same host, pid
 * no longer running) is stale: it is taken over. One held by another host cannot be checked from
 * here, so it is refused with the host and pid, and the way out (remove the file) is named.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.ts';

export const LOCK_FILE = 'sweep.lock';

interface LockOwner {
  pid: number;
  host: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : null;
  } catch {
    return null; // removed meanwhile, or cut short by a crash between create and write
  }
}

export class SweepLock {
  private constructor(readonly file: string) {}

  /** Takes the lock of `dir` (which exists) or throws `ConfigError` naming the holder. */
  static acquire(dir: string): SweepLock {
    const file = join(dir, LOCK_FILE);
    const me: LockOwner = { pid: process.pid, host: hostname() };
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = openSync(file, 'wx');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const owner = readOwner(file);
        if (attempt === 0 && owner !== null && owner.host === me.host && !alive(owner.pid)) {
          unlinkSync(file); // stale: its process is gone
          continue;
        }
        const who = owner === null ? 'another process' : `pid ${owner.pid} on ${owner.host}`;
        throw new ConfigError(
          `${dir} is in use by another maker sweep (${who}); two sweeps must not write one directory. Wait for it to finish, use another --out, or remove ${file} if that process is gone`,
          { field: '--out' },
        );
      }
      try {
        writeSync(fd, `${JSON.stringify(me)}\n`);
      } finally {
        closeSync(fd);
      }
      return new SweepLock(file);
    }
    throw new ConfigError(`cannot take ${file}: it keeps coming back; is another sweep starting on ${dir}?`, { field: '--out' });
  }

  release(): void {
    try {
      unlinkSync(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}
