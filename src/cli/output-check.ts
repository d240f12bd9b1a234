/**
 * Pre-flight checks of output locations (`backtest --out`, `import --out`, `data synth --out`),
 * run before any work so that a bad output location fails at once, not after a long run, and with
 * the real cause: a path under a regular file (ENOTDIR), a read-only file system (EROFS), no
 * permission (EACCES/EPERM), a full disk (ENOSPC) — each an `E_IO` error (exit 2) naming the path
 * and the option.
 *
 * Writability is proven by creating and removing an empty probe file
 * (`.maker-write-probe-<pid>-<n>`, created exclusively, so never one that was there before) in the
 * output directory, or, when it does not exist yet, in its nearest existing ancestor (where the
 * command will create it). Nothing else is created, and nothing that exists is touched.
 */
import { closeSync, lstatSync, openSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, IoError, ioError, type ErrorLocation } from '../core/errors.ts';

const ABSENT = new Set(['ENOENT', 'ENOTDIR']);

function statOrNull(p: string, where: ErrorLocation): Stats | null {
  try {
    return statSync(p);
  } catch (e) {
    if (ABSENT.has((e as NodeJS.ErrnoException).code ?? '')) return null;
    throw ioError(e, `look at ${p}`, where);
  }
}

/**
 * Checks that `dir` can be used as an output directory (created if missing): it is a directory, or
 * its nearest existing ancestor is a directory, and files can be created there.
 */
export function assertOutputDir(dir: string, option: string): void {
  if (dir === '') throw new ConfigError('must name a directory, got ""', { field: option });
  const where = { file: dir, field: option };
  const abs = resolve(dir);
  let p = abs;
  let st = statOrNull(p, where);
  while (st === null && dirname(p) !== p) {
    p = dirname(p);
    st = statOrNull(p, where);
  }
  if (st === null) throw new IoError('no part of the path exists', where);
  if (!st.isDirectory()) {
    throw new IoError(p === abs ? 'exists and is not a directory' : `cannot create the directory: ${p} is not a directory (ENOTDIR)`, where);
  }
  probeWritable(p, where, `choose another ${option}`);
}

/**
 * Checks that `file` can be created as a new output file: nothing exists at that path (an output
 * file never replaces one), and its directory can be created and written.
 */
export function assertNewOutputFile(file: string, option: string): void {
  if (file === '') throw new ConfigError('must name a file, got ""', { field: option });
  const where = { file, field: option };
  let st: Stats | null = null;
  try {
    st = lstatSync(file);
  } catch (e) {
    if (!ABSENT.has((e as NodeJS.ErrnoException).code ?? '')) throw ioError(e, `look at ${file}`, where);
  }
  if (st !== null) {
    throw new IoError(`already exists (${st.isDirectory() ? 'a directory' : 'a file'}); maker never replaces it: remove it yourself or choose another ${option}`, where);
  }
  if (/[/\\]$/.test(file)) throw new IoError('names a directory (ends in a slash), not a file', where);
  const abs = resolve(file);
  let p = dirname(abs);
  let dst = statOrNull(p, where);
  while (dst === null && dirname(p) !== p) {
    p = dirname(p);
    dst = statOrNull(p, where);
  }
  if (dst === null) throw new IoError('no part of the path exists', where);
  if (!dst.isDirectory()) throw new IoError(`cannot create the file: ${p} is not a directory (ENOTDIR)`, where);
  probeWritable(p, where, `choose another ${option}`);
}

/** Creates and removes an empty file in `dir`; a failure is an E_IO error naming `where`. */
export function probeWritable(dir: string, where: ErrorLocation, hint?: string): void {
  for (let i = 0; ; i++) {
    const probe = join(dir, `.maker-write-probe-${process.pid}-${i}`);
    let fd: number;
    try {
      fd = openSync(probe, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && i < 100) continue; // not ours: never touched
      throw ioError(e, `create files in ${dir}`, where, hint);
    }
    try {
      closeSync(fd);
    } finally {
      unlinkSync(probe);
    }
    return;
  }
}
