/**
 * HTTP for `maker download`: Node's built-in fetch (undici, keep-alive), every request bounded by
 * an idle timeout (no headers or no body bytes for `timeoutMs` aborts it), bounded retries with
 * exponential backoff, and downloads that resume a partial file with a `Range` request.
 *
 * Outcomes: a 404 is `missing` (a value, not an error: the archive is not there); a network error,
 * a timeout, a connection dropped mid-body, 408, 429 and 5xx are retried: after the backoff, or
 * after `Retry-After` when the server asks for longer (honoured up to `maxRetryAfterMs`; a server
 * that asks for more is a `DownloadFailure`, never retried early); anything else, or retries used
 * up, is a `DownloadFailure` saying what happened. A host name that does not resolve is not
 * retried (ENOTFOUND) or once (EAI_AGAIN, the resolver not answering): with no network, five
 * retries took 16 s to say what one attempt knew; the failure names the host.
 *
 * Stopping: `signal` aborts the request under way and the wait before a retry, and the call throws
 * `DownloadStopped`; the bytes already appended to a file stay there (a later call resumes them).
 *
 * Sockets: the body of every reply not read to its end (a retried status, a refusal, a 404, an
 * error on the way) is cancelled before the next attempt, so its connection is closed or reused,
 * never left open behind a retry.
 */
import { open, rm, stat } from 'node:fs/promises';

export interface HttpOptions {
  /** Abort a request that receives no headers or no body bytes for this long. */
  timeoutMs: number;
  /** Retries after the first attempt (per request). */
  retries: number;
  /** First backoff; doubles per retry, capped at `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /**
   * The longest `Retry-After` honoured, ms: a server asking for longer fails the request (it is not
   * asked again sooner than it said). A `Retry-After` shorter than the backoff waits the backoff.
   */
  maxRetryAfterMs: number;
  /** Waits between retries (injected so tests need not wait); resolves early when `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  userAgent: string;
  /** Called before each retry: what failed and how long until the next attempt. */
  onRetry?: (url: string, attempt: number, reason: string, delayMs: number) => void;
  /** Stops the request and any wait for a retry: the call throws `DownloadStopped`. */
  signal?: AbortSignal;
}

/** The request was stopped by `HttpOptions.signal` (SIGINT): not a failure of the request. */
export class DownloadStopped extends Error {
  constructor(readonly url: string) {
    super(`stopped before ${url} was complete`);
    this.name = 'DownloadStopped';
  }
}

/** A request that cannot succeed (a status other than 404 that is not retried, or retries used up). */
export class DownloadFailure extends Error {
  constructor(
    readonly url: string,
    message: string,
    /** No connection could be made at all (DNS, refused, no route): other requests to it will fail too. */
    readonly unreachable = false,
  ) {
    super(message);
    this.name = 'DownloadFailure';
  }
}

/** A failure worth another attempt, with the server's `Retry-After` when it sent one. */
class Retryable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    readonly unreachable = false,
    /** At most this many retries, whatever `HttpOptions.retries` says. */
    readonly maxRetries?: number,
  ) {
    super(message);
  }
}

/**
 * getaddrinfo failures, and how often each is retried: ENOTFOUND is the resolver's answer (no such
 * name, or no network to ask over) and asking again gets the same; EAI_AGAIN is the resolver not
 * answering (no network, a DNS server down), worth one more try.
 */
const DNS_RETRIES: Readonly<Record<string, number>> = { ENOTFOUND: 0, EAI_AGAIN: 1 };

/** The Retryable for an error fetch() threw (no reply): a DNS failure names the host. */
function networkError(e: unknown, url: string): Retryable {
  const cause = (e as { cause?: { code?: unknown; hostname?: unknown } })?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : '';
  const dnsRetries = DNS_RETRIES[code];
  if (dnsRetries !== undefined) {
    const host = typeof cause?.hostname === 'string' ? cause.hostname : new URL(url).hostname;
    return new Retryable(`cannot resolve the host ${host} (${code}): the network or DNS is unreachable from here, or the host name is wrong`, undefined, true, dnsRetries);
  }
  return new Retryable(describeError(e), undefined, unreachable(e));
}

/** Error codes that mean no connection was made: the host is not there for any request. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function unreachable(e: unknown): boolean {
  const code = (e as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'string' && UNREACHABLE.has(code);
}

/** Waits `ms`, or until `signal` aborts (its timer cleared: a stopped run does not wait it out). */
export function sleepMs(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function retryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  const s = Number(value);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : undefined;
}

function describeError(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') return 'timed out';
  const cause = err?.cause;
  if (cause && (cause.code || cause.message)) return `${err.message}: ${cause.code ?? cause.message}`;
  return err?.message ?? String(e);
}

/** An abort controller whose deadline restarts on `touch()` (idle timeout). */
class IdleTimer {
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout;
  timedOut = false;
  constructor(private readonly ms: number) {
    this.timer = this.arm();
  }
  private arm(): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, this.ms);
    t.unref();
    return t;
  }
  touch(): void {
    clearTimeout(this.timer);
    this.timer = this.arm();
  }
  clear(): void {
    clearTimeout(this.timer);
  }
}

/** The signal a request runs under: its idle timer's, and the caller's `signal` when given. */
function requestSignal(idle: IdleTimer, opts: HttpOptions): AbortSignal {
  return opts.signal === undefined ? idle.controller.signal : AbortSignal.any([idle.controller.signal, opts.signal]);
}

function isStopped(opts: HttpOptions): boolean {
  return opts.signal?.aborted === true;
}

async function withRetries<T>(url: string, opts: HttpOptions, attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 0; ; n++) {
    if (isStopped(opts)) throw new DownloadStopped(url);
    try {
      return await attempt(n);
    } catch (e) {
      // Whatever the attempt failed with, a stop caused it (an aborted fetch or body).
      if (isStopped(opts)) throw new DownloadStopped(url);
      if (!(e instanceof Retryable)) throw e;
      if (n >= Math.min(opts.retries, e.maxRetries ?? Infinity)) throw new DownloadFailure(url, n === 0 && e.maxRetries === 0 ? e.message : `${e.message} (gave up after ${n + 1} attempts)`, e.unreachable);
      if (e.retryAfterMs !== undefined && e.retryAfterMs > opts.maxRetryAfterMs) {
        throw new DownloadFailure(url, `${e.message}: the server asks to wait ${e.retryAfterMs / 1000} s (Retry-After), more than the ${opts.maxRetryAfterMs / 1000} s we wait (gave up after ${n + 1} attempts)`);
      }
      const backoff = Math.min(opts.maxBackoffMs, opts.backoffMs * 2 ** n);
      const delay = Math.max(backoff, e.retryAfterMs ?? 0);
      opts.onRetry?.(url, n + 1, e.message, delay);
      await opts.sleep(delay, opts.signal);
    }
  }
}

function checkStatus(res: Response): void {
  if (res.status === 408 || res.status === 429 || res.status >= 500) {
    throw new Retryable(`HTTP ${res.status} ${res.statusText}`.trim(), retryAfterMs(res.headers.get('retry-after')));
  }
}

/** GETs a small text (a CHECKSUM file). `null` when the server says 404. */
export async function fetchText(url: string, opts: HttpOptions): Promise<string | null> {
  return withRetries(url, opts, async () => {
    const idle = new IdleTimer(opts.timeoutMs);
    let res: Response | undefined;
    try {
      res = await fetch(url, { signal: requestSignal(idle, opts), headers: { 'user-agent': opts.userAgent } });
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      checkStatus(res);
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new DownloadFailure(url, `HTTP ${res.status} ${res.statusText}`.trim());
      }
      // A CHECKSUM line is ~100 bytes; a big body is an error page or the wrong URL, not a checksum.
      const len = Number(res.headers.get('content-length') ?? '0');
      if (len > 65_536) {
        await res.body?.cancel();
        throw new DownloadFailure(url, `expected a small text file, the server sends ${len} bytes`);
      }
      idle.touch();
      return await res.text();
    } catch (e) {
      if (e instanceof DownloadFailure || e instanceof Retryable) throw e;
      throw idle.timedOut ? new Retryable(`no answer for ${opts.timeoutMs} ms`) : networkError(e, url);
    } finally {
      idle.clear();
      if (res !== undefined) await discardBody(res);
    }
  });
}

/** Cancels a reply's body that was not read to its end (a retried status, a refusal): its socket is closed, not left open behind the retry. */
async function discardBody(res: Response): Promise<void> {
  if (res.body === null || res.bodyUsed) return;
  try {
    await res.body.cancel();
  } catch {
    // already errored: nothing holds the socket
  }
}

export interface FileProgress {
  /** Total size of the remote file once known (from Content-Length or Content-Range). */
  onSize?: (bytes: number) => void;
  /** Bytes appended to the file (a restart from zero reports the bytes dropped as negative). */
  onBytes?: (delta: number) => void;
}

export interface FileResult {
  status: 'ok' | 'missing';
  /** Bytes the file had before this call and the server let us keep (resumed with Range). */
  resumedFromBytes: number;
  bytes: number;
  attempts: number;
}

function parseContentRange(value: string | null): { start: number; total: number } | null {
  const m = /^bytes (\d+)-\d+\/(\d+)$/.exec(value ?? '');
  return m ? { start: Number(m[1]), total: Number(m[2]) } : null;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * Downloads `url` into `path`, appending to what `path` already holds (a partial download) with a
 * `Range: bytes=<size>-` request; a server that answers 200 instead of 206 sends the whole file,
 * which then replaces it. A connection dropped mid-body is retried from the bytes on disk.
 */
export async function downloadFile(url: string, path: string, opts: HttpOptions, progress: FileProgress = {}): Promise<FileResult> {
  const initial = await sizeOf(path);
  let resumedFromBytes = -1;
  let attempts = 0;
  // Bytes of `path` reported through onBytes so far; each report brings it to the size on disk.
  let counted = 0;
  const report = (size: number): void => {
    if (size !== counted) progress.onBytes?.(size - counted);
    counted = size;
  };
  const status = await withRetries(url, opts, async () => {
    attempts++;
    let have = await sizeOf(path);
    const idle = new IdleTimer(opts.timeoutMs);
    const headers: Record<string, string> = { 'user-agent': opts.userAgent };
    if (have > 0) headers.range = `bytes=${have}-`;
    let res: Response;
    try {
      res = await fetch(url, { signal: requestSignal(idle, opts), headers });
    } catch (e) {
      idle.clear();
      throw idle.timedOut ? new Retryable(`no answer for ${opts.timeoutMs} ms`) : networkError(e, url);
    }
    try {
      if (res.status === 404) {
        await res.body?.cancel();
        return 'missing' as const;
      }
      checkStatus(res);
      let append = false;
      let total: number | undefined;
      if (res.status === 416 && have > 0) {
        // Nothing past our bytes: the file on disk is complete if the server's size says so.
        await res.body?.cancel();
        const m = /^bytes \*\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
        if (m && Number(m[1]) === have) {
          progress.onSize?.(have);
          report(have);
          if (resumedFromBytes < 0) resumedFromBytes = have;
          return 'ok' as const;
        }
        await rm(path, { force: true });
        report(0);
        throw new Retryable('the server refused the resume range (416); starting the file again');
      }
      if (res.status === 206 && have > 0) {
        const cr = parseContentRange(res.headers.get('content-range'));
        if (cr === null || cr.start !== have) {
          await res.body?.cancel();
          await rm(path, { force: true });
          report(0);
          throw new Retryable(`the server answered range ${res.headers.get('content-range') ?? '(none)'} to bytes=${have}-; starting the file again`);
        }
        append = true;
        total = cr.total;
      } else if (res.status === 200) {
        const len = res.headers.get('content-length');
        total = len !== null && /^\d+$/.test(len) ? Number(len) : undefined;
      } else {
        await res.body?.cancel();
        throw new DownloadFailure(url, `HTTP ${res.status} ${res.statusText}`.trim());
      }
      if (!append) have = 0;
      if (resumedFromBytes < 0) resumedFromBytes = have;
      if (total !== undefined) progress.onSize?.(total);
      report(have);
      const fh = await open(path, append ? 'a' : 'w');
      let written = have;
      try {
        if (res.body) {
          for await (const chunk of res.body) {
            idle.touch();
            await fh.write(chunk);
            written += chunk.byteLength;
            report(written);
          }
        }
      } catch (e) {
        if (e instanceof DownloadFailure) throw e;
        const sys = e as NodeJS.ErrnoException;
        if (typeof sys?.code === 'string' && typeof sys.syscall === 'string') throw e; // the disk, not the network
        throw new Retryable(`${idle.timedOut ? `no bytes for ${opts.timeoutMs} ms` : `connection lost (${describeError(e)})`} after ${written} of ${total ?? '?'} bytes`);
      } finally {
        await fh.close();
      }
      if (total !== undefined && written < total) throw new Retryable(`the body ended after ${written} of ${total} bytes`);
      return 'ok' as const;
    } finally {
      idle.clear();
      await discardBody(res);
    }
  });
  const bytes = await sizeOf(path);
  return { status, resumedFromBytes: status === 'ok' ? Math.max(0, Math.min(resumedFromBytes, initial)) : 0, bytes, attempts };
}
