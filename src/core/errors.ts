/**
 * Error classes with stable codes.
 *
 * Every error `maker` raises on purpose is a `MakerError` with a `code` that never changes between
 * versions (scripts may match on it), a flag saying whether retrying can help, and an exit status
 * for the CLI. Expected outcomes (a risk denial, a venue reject) are values or events, not errors.
 */

export type ErrorCode =
  | 'E_INPUT' // a file or message from outside is malformed
  | 'E_INPUT_EMPTY' // an input file holds no data
  | 'E_INPUT_INCOMPLETE' // a line stops short (cut JSON, missing columns): what a writer killed mid-line leaves
  | 'E_INPUT_FORMAT' // the format of an input cannot be recognised
  | 'E_CONFIG' // a scenario / CLI option is wrong
  | 'E_NO_SPEC' // a symbol has no instrument spec
  | 'E_OFF_GRID' // a price or quantity is not a multiple of the tick / step
  | 'E_NUMBER' // a decimal string cannot be parsed exactly
  | 'E_STORE' // the market-data store is corrupt or missing
  | 'E_IO' // a file-system error
  | 'E_QUEUE' // the sweep queue (Redis) is unreachable, refused a command or lost the connection
  | 'E_STATE' // an internal invariant broke (a bug)
  | 'E_LOCKED' // another process holds a lock this one needs (maker live --lock)
  | 'E_INTERRUPTED' // SIGINT or SIGTERM stopped the command before it finished (exit 130 / 143)
  | 'E_NOT_IMPLEMENTED';

export interface ErrorLocation {
  file?: string;
  line?: number;
  row?: number;
  field?: string;
  /** The command-line option the value came from when no file did (`--set strategy.x=1`, `--grid strategy.x=1..3`). */
  option?: string;
}

export class MakerError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly exitCode: number;
  readonly location: ErrorLocation;

  constructor(code: ErrorCode, message: string, opts: { retryable?: boolean; exitCode?: number; location?: ErrorLocation; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.exitCode = opts.exitCode ?? 2;
    this.location = opts.location ?? {};
  }

  /** `file:line: field: message`, the form the CLI prints. */
  describe(): string {
    const { file, line, row, field, option } = this.location;
    let where = file ?? option ?? '';
    if (line !== undefined) where += `${where ? ':' : 'line '}${line}`;
    else if (row !== undefined) where += `${where ? ':' : ''}row ${row}`;
    const parts = [where, field ? `field "${field}"` : '', this.message].filter((p) => p.length > 0);
    return parts.join(': ');
  }
}

/** Malformed input: names the file and line (or row) and the field. */
export class InputError extends MakerError {
  constructor(message: string, location: ErrorLocation = {}, code: ErrorCode = 'E_INPUT', cause?: unknown) {
    super(code, message, { location, exitCode: 2, cause });
  }
}

/** A wrong scenario key or CLI option. `field` holds the key path. */
export class ConfigError extends MakerError {
  constructor(message: string, location: ErrorLocation = {}) {
    super('E_CONFIG', message, { location, exitCode: 2 });
  }
}

/** A symbol with no instrument spec. */
export class MissingSpecError extends MakerError {
  constructor(symbol: string, hint = '') {
    super('E_NO_SPEC', `no instrument spec for symbol ${symbol}${hint ? `; ${hint}` : ''}`, { exitCode: 2 });
  }
}

/** A decimal string that cannot be represented exactly in ticks/lots. */
export class NumberFormatError extends MakerError {
  constructor(message: string, code: ErrorCode = 'E_NUMBER', location: ErrorLocation = {}) {
    super(code, message, { location, exitCode: 2 });
  }
}

export class StoreError extends MakerError {
  constructor(message: string, location: ErrorLocation = {}, cause?: unknown) {
    super('E_STORE', message, { location, exitCode: 2, cause });
  }
}

/** An internal invariant broke: a bug in maker, never the user's fault. */
export class InvariantError extends MakerError {
  constructor(message: string) {
    super('E_STATE', message, { exitCode: 70 });
  }
}

export class NotImplementedError extends MakerError {
  constructor(what: string) {
    super('E_NOT_IMPLEMENTED', `not implemented: ${what}`, { exitCode: 2 });
  }
}

/** A file-system operation failed (disk full, read-only, no permission, ...): names the path. */
export class IoError extends MakerError {
  constructor(message: string, location: ErrorLocation = {}, cause?: unknown) {
    super('E_IO', message, { location, exitCode: 2, cause });
  }
}

/** The words for the file-system error codes a user can meet (Node's `err.code`). */
const IO_REASONS: Readonly<Record<string, string>> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  ENOENT: 'no such file or directory',
  ENOTEMPTY: 'directory not empty',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EBUSY: 'resource busy',
  EXDEV: 'cross-device link',
  EIO: 'input/output error',
};

/**
 * Maps a file-system error to an `IoError` saying what failed, the real cause in words and its code,
 * e.g. `cannot write report.html: read-only file system (EROFS)`, at `location` (the path the user
 * knows, not a temporary one). A `MakerError` passes unchanged; anything without an `E…` code (a
 * bug) too, so that it still surfaces as an internal error. `hint` (what to do) ends the message.
 */
export function ioError(e: unknown, action: string, location: ErrorLocation, hint?: string): unknown {
  if (e instanceof MakerError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) return e;
  const reason = IO_REASONS[code] ?? String((e as Error).message ?? code).replace(/^E[A-Z0-9]+: /, '').replace(/,.*$/, '');
  return new IoError(`cannot ${action}: ${reason} (${code})${hint ? `; ${hint}` : ''}`, location, e);
}

/** Adds a location to an error raised deeper down that did not know it (e.g. a field parser). */
export function withLocation(err: unknown, location: ErrorLocation): unknown {
  if (err instanceof MakerError) {
    const merged = { ...location, ...err.location, file: location.file ?? err.location.file, line: location.line ?? err.location.line };
    (err as { location: ErrorLocation }).location = merged;
  }
  return err;
}
