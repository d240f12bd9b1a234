/**
 * Runs a download plan: each archive fetched once, verified against its `.CHECKSUM`, kept under
 * `outDir` at the same path as on the server, with a bounded number of archives in flight.
 *
 * Per archive (the local files are `<name>.zip`, `<name>.zip.CHECKSUM` and, while it downloads,
 * `<name>.zip.part`):
 * 1. a `.zip` with its `.CHECKSUM` next to it that verifies is `present`: no request at all;
 * 2. the `.CHECKSUM` is fetched (404: the archive is `missing`; a monthly archive then falls back
 *    to the daily archives of its month);
 * 3. the zip is downloaded into `.part`, resuming what a previous run left with a Range request;
 * 4. the `.part` is hashed: a mismatch deletes it and downloads it again from zero, once; a second
 *    mismatch fails the archive, naming the file and both hashes;
 * 5. `.part` is renamed to `.zip`, then the `.CHECKSUM` written (temp file and rename), so a `.zip`
 *    with a `.CHECKSUM` always holds verified bytes.
 * A failed archive does not stop the others; the result lists what was missing and what failed.
 *
 * Stopping (`signal`, the CLI's SIGINT / SIGTERM): no archive is started after it, the requests
 * under way are aborted, and an archive being published (rename, CHECKSUM write) finishes first.
 * A `.part` holding bytes is kept (the next run resumes it with Range), an empty one removed; the
 * result says `stopped`, with the outcomes of the archives that finished.
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { type Archive, type PlanItem, parseChecksum } from './layout.ts';
import { DownloadFailure, DownloadStopped, downloadFile, fetchText, type HttpOptions } from './http.ts';

export type ArchiveStatus = 'downloaded' | 'present' | 'missing' | 'failed';

export interface ArchiveOutcome {
  archive: Archive;
  status: ArchiveStatus;
  /** Local path of the zip (for missing and failed: where it would be). */
  file: string;
  bytes: number;
  /** Bytes a previous run had left in `.part` that this run kept (Range resume). */
  resumedFromBytes: number;
  /** Why it failed, or for a monthly archive that was missing: that its days were used instead. */
  message?: string;
}

export type DownloadEvent =
  | { event: 'file'; outcome: ArchiveOutcome }
  | { event: 'fallback'; archive: Archive; days: number }
  | { event: 'retry'; url: string; attempt: number; reason: string; delayMs: number }
  | { event: 'checksum-mismatch'; file: string; expected: string; actual: string; again: boolean }
  | {
      event: 'bytes';
      doneBytes: number;
      /** Sum of the sizes known so far (archives present, or whose download answered). */
      knownBytes: number;
      filesDone: number;
      filesTotal: number;
      /** Archives not finished whose size is not known yet. */
      filesUnsized: number;
      /** Archives whose size is known (the ones `knownBytes` sums). */
      filesSized: number;
    };

export interface DownloadRunOptions {
  baseUrl: string;
  outDir: string;
  items: readonly PlanItem[];
  concurrency: number;
  http: Omit<HttpOptions, 'onRetry' | 'signal'>;
  onEvent?: (e: DownloadEvent) => void;
  /** Stops the run (see the header). */
  signal?: AbortSignal;
}

export interface DownloadResult {
  outcomes: ArchiveOutcome[];
  /** Monthly archives that were not there and were replaced by their days. */
  fellBack: Archive[];
  /** Bytes fetched by this run into archives it completed (resumed prefixes not counted). */
  bytesDownloaded: number;
  /** Set when `signal` stopped the run before every archive was done. */
  stopped: boolean;
  /** Archives of the plan (fallback days included) with no outcome: stopped, or not started. */
  unfinished: number;
  /** `.part` files a stopped download left with bytes in them (resumed by the next run). */
  partsKept: string[];
}

export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, signal === undefined ? {} : { signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path}`;
}

async function localChecksum(file: string, name: string): Promise<string | null> {
  try {
    return parseChecksum(await readFile(`${file}.CHECKSUM`, 'utf8'), name);
  } catch {
    return null;
  }
}

export async function runDownloads(o: DownloadRunOptions): Promise<DownloadResult> {
  const emit = o.onEvent ?? (() => {});
  const http: HttpOptions = { ...o.http, onRetry: (url, attempt, reason, delayMs) => emit({ event: 'retry', url, attempt, reason, delayMs }), ...(o.signal === undefined ? {} : { signal: o.signal }) };
  const partsKept: string[] = [];
  const queue: PlanItem[] = [...o.items];
  const outcomes: ArchiveOutcome[] = [];
  const fellBack: Archive[] = [];
  let filesTotal = queue.length;
  let filesDone = 0;
  let doneBytes = 0;
  let knownBytes = 0;
  let filesSized = 0;
  let filesEndedUnsized = 0;
  const tick = () => emit({ event: 'bytes', doneBytes, knownBytes, filesDone, filesTotal, filesSized, filesUnsized: filesTotal - filesSized - filesEndedUnsized });

  /** `sizeCounted`: the archive's size is in `knownBytes` and `filesSized` already (its download answered). */
  const finish = (outcome: ArchiveOutcome, sizeCounted: boolean): void => {
    outcomes.push(outcome);
    if (!sizeCounted) {
      if (outcome.status === 'present') filesSized++; // its bytes were added to knownBytes on the spot
      else filesEndedUnsized++;
    }
    filesDone++;
    emit({ event: 'file', outcome });
    tick();
  };

  // Set when a request could not connect at all even after its retries: the archives not started
  // yet are failed at once instead of each spending its retries on a server that is not there.
  let unreachable: string | undefined;

  async function fetchArchive(item: PlanItem): Promise<void> {
    const a = item.archive;
    const file = join(o.outDir, ...a.path.split('/'));
    const url = joinUrl(o.baseUrl, a.path);
    const base = { archive: a, file };
    // 1. Verified already?
    const kept = await localChecksum(file, a.name);
    if (kept !== null && existsSync(file)) {
      if ((await sha256File(file, o.signal)) === kept) {
        const bytes = (await stat(file)).size;
        knownBytes += bytes;
        doneBytes += bytes;
        finish({ ...base, status: 'present', bytes, resumedFromBytes: 0 }, false);
        return;
      }
      await rm(file, { force: true });
    }
    // 2. The checksum; not when the server proved unreachable (a local copy was all there was to check).
    if (unreachable !== undefined) {
      finish({ ...base, status: 'failed', bytes: 0, resumedFromBytes: 0, message: `${a.name}: not tried, the server could not be reached (${unreachable})` }, false);
      return;
    }
    let text: string | null;
    try {
      text = await fetchText(`${url}.CHECKSUM`, http);
    } catch (e) {
      if (!(e instanceof DownloadFailure)) throw e;
      if (e.unreachable) unreachable ??= e.message;
      finish({ ...base, status: 'failed', bytes: 0, resumedFromBytes: 0, message: `${a.name}.CHECKSUM: ${e.message}` }, false);
      return;
    }
    if (text === null) {
      if (item.fallback.length > 0) {
        fellBack.push(a);
        emit({ event: 'fallback', archive: a, days: item.fallback.length });
        filesTotal += item.fallback.length - 1; // the month's place taken by its days
        queue.push(...item.fallback.map((d) => ({ archive: d, fallback: [] })));
        wake();
        return;
      }
      finish({ ...base, status: 'missing', bytes: 0, resumedFromBytes: 0, message: `not on the server (404): ${url}.CHECKSUM` }, false);
      return;
    }
    const expected = parseChecksum(text, a.name);
    if (expected === null) {
      finish({ ...base, status: 'failed', bytes: 0, resumedFromBytes: 0, message: `${url}.CHECKSUM is not "<sha256>  ${a.name}": ${JSON.stringify(text.slice(0, 120))}` }, false);
      return;
    }
    await mkdir(dirname(file), { recursive: true });
    // A zip without its CHECKSUM file: a run stopped between the rename and the write.
    if (existsSync(file)) {
      if ((await sha256File(file, o.signal)) === expected) {
        await writeChecksum(file, text);
        const bytes = (await stat(file)).size;
        knownBytes += bytes;
        doneBytes += bytes;
        finish({ ...base, status: 'present', bytes, resumedFromBytes: 0 }, false);
        return;
      }
      await rm(file, { force: true });
    }
    // 3-4. Download (resuming), verify, and once more from zero on a mismatch.
    const part = `${file}.part`;
    let resumedFromBytes = 0;
    let size = -1;
    for (let round = 0; ; round++) {
      try {
        const r = await downloadFile(url, part, http, {
          onSize: (n) => {
            if (size < 0) {
              knownBytes += n;
              filesSized++;
            } else knownBytes += n - size;
            size = n;
          },
          onBytes: (d) => {
            doneBytes += d;
            tick();
          },
        });
        if (round === 0) resumedFromBytes = r.resumedFromBytes;
        if (r.status === 'missing') {
          finish({ ...base, status: 'missing', bytes: 0, resumedFromBytes: 0, message: `not on the server (404) although its CHECKSUM is: ${url}` }, size >= 0);
          return;
        }
      } catch (e) {
        if (e instanceof DownloadStopped) {
          // Bytes on disk are kept for the next run's Range request; an empty .part is only litter.
          if (existsSync(part) && (await stat(part)).size > 0) partsKept.push(part);
          else await rm(part, { force: true });
          throw e;
        }
        if (!(e instanceof DownloadFailure)) throw e;
        if (e.unreachable) unreachable ??= e.message;
        // Keep the .part: the next run resumes it.
        finish({ ...base, status: 'failed', bytes: 0, resumedFromBytes, message: `${a.name}: ${e.message}` }, size >= 0);
        return;
      }
      const actual = await sha256File(part);
      if (actual === expected) break;
      const again = round === 0;
      emit({ event: 'checksum-mismatch', file, expected, actual, again });
      doneBytes -= (await stat(part)).size;
      await rm(part, { force: true });
      if (!again) {
        finish({ ...base, status: 'failed', bytes: 0, resumedFromBytes, message: `checksum mismatch for ${file}: the CHECKSUM file says sha256 ${expected}, the downloaded file has ${actual} (also after a fresh download); the bad file was deleted` }, size >= 0);
        return;
      }
      if (size >= 0) {
        knownBytes -= size;
        filesSized--;
        size = -1;
      }
    }
    // 5. Publish.
    await rename(part, file);
    await writeChecksum(file, text);
    finish({ ...base, status: 'downloaded', bytes: (await stat(file)).size, resumedFromBytes }, size >= 0);
  }

  // A pool of `concurrency` workers over a queue that fallbacks may extend while it runs.
  let active = 0;
  let waiters: (() => void)[] = [];
  function wake(): void {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  }
  // An error that is not one archive's (the disk is full, the directory unwritable) stops the run:
  // no archive is started after it, the ones in flight finish, then it is thrown.
  let fatal: { error: unknown } | undefined;
  const stopped = (): boolean => o.signal?.aborted === true;
  o.signal?.addEventListener('abort', wake, { once: true }); // workers waiting for fallbacks return
  async function worker(): Promise<void> {
    for (;;) {
      if (fatal !== undefined || stopped()) return;
      const item = queue.shift();
      if (item === undefined) {
        if (active === 0) return;
        await new Promise<void>((resolve) => waiters.push(resolve));
        continue;
      }
      active++;
      try {
        await fetchArchive(item);
      } catch (e) {
        // A stop aborts what the archive was doing (a request, a hash of a local file): not the run's error.
        if (!(e instanceof DownloadStopped) && !stopped()) fatal ??= { error: e };
      } finally {
        active--;
        wake();
      }
    }
  }
  tick();
  const workers = Array.from({ length: Math.max(1, o.concurrency) }, () => worker());
  await Promise.all(workers);
  o.signal?.removeEventListener('abort', wake);
  if (fatal !== undefined) throw fatal.error;
  // Plan order (symbol, type, time), not completion order.
  const order = new Map<string, number>();
  let i = 0;
  for (const it of o.items) {
    order.set(it.archive.path, i++);
    for (const d of it.fallback) order.set(d.path, i++);
  }
  outcomes.sort((x, y) => (order.get(x.archive.path) ?? 0) - (order.get(y.archive.path) ?? 0));
  const bytesDownloaded = outcomes.reduce((n, x) => n + (x.status === 'downloaded' ? x.bytes - x.resumedFromBytes : 0), 0);
  const unfinished = filesTotal - filesDone;
  return { outcomes, fellBack, bytesDownloaded, stopped: stopped() && unfinished > 0, unfinished, partsKept };
}

async function writeChecksum(file: string, text: string): Promise<void> {
  const tmp = `${file}.CHECKSUM.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, `${file}.CHECKSUM`);
}
