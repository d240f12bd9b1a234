// runDownloads against a local archive server on loopback: verified downloads, a rerun that
// fetches nothing, a 404 day, a bad checksum (re-downloaded once, then a loud failure), a
// connection dropped mid-file and a stalled body (both resumed with Range), a partial file left by
// an interrupted run, a monthly archive not published (its days used), 503s retried and bounded.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dayNumber, planArchives, type PlanItem, type VisionType } from '../../src/cli/download/layout.ts';
import { runDownloads, type DownloadEvent, type DownloadRunOptions } from '../../src/cli/download/run.ts';
import { fillerTradesCsv, sha256, startArchiveServer, zipCsv, type ArchiveServer } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'download-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let server: ArchiveServer;
let out: string;
let n = 0;
beforeEach(async () => {
  server = await startArchiveServer();
  out = join(tmp, `out-${n++}`);
});
afterEach(async () => {
  await server.close();
});

function plan(types: VisionType[], from: string, to: string, symbols = ['BTCUSDT']): PlanItem[] {
  return planArchives({ symbols, types, fromDay: dayNumber(from), toDay: dayNumber(to), interval: '1m' });
}

/** Serves a trades zip of `rows` filler rows at the archive's path; returns its bytes. */
function serve(path: string, rows = 200, how = {}): Uint8Array {
  const zip = zipCsv(path.split('/').pop()!, fillerTradesCsv(rows, path.length));
  server.put(path, zip, how);
  return zip;
}

const sleeps: number[] = [];
function run(items: PlanItem[], over: Partial<DownloadRunOptions> = {}, events: DownloadEvent[] = []) {
  return runDownloads({
    baseUrl: server.baseUrl,
    outDir: out,
    items,
    concurrency: 3,
    http: { timeoutMs: 5000, retries: 3, backoffMs: 100, maxBackoffMs: 1000, maxRetryAfterMs: 600_000, sleep: async (ms) => void sleeps.push(ms), userAgent: 'test' },
    onEvent: (e) => events.push(e),
    ...over,
  });
}

const zipRequests = (s: ArchiveServer) => s.requests.filter((r) => r.path.endsWith('.zip'));

describe('maker download: runDownloads', () => {
  it('downloads and verifies daily archives, writes each CHECKSUM next to its zip, and a rerun fetches nothing', async () => {
    const items = plan(['trades', 'bookTicker'], '2024-01-01', '2024-01-03');
    const zips = new Map(items.map((it) => [it.archive.path, serve(it.archive.path)]));
    const first = await run(items);
    expect(first.outcomes.map((o) => o.status)).toEqual(Array(6).fill('downloaded'));
    for (const o of first.outcomes) {
      expect(o.file).toBe(join(out, ...o.archive.path.split('/')));
      expect(sha256(readFileSync(o.file))).toBe(sha256(zips.get(o.archive.path)!));
      expect(readFileSync(`${o.file}.CHECKSUM`, 'utf8')).toBe(`${sha256(zips.get(o.archive.path)!)}  ${o.archive.name}\n`);
      expect(existsSync(`${o.file}.part`)).toBe(false);
    }
    expect(first.bytesDownloaded).toBe([...zips.values()].reduce((s, z) => s + z.length, 0));
    const before = server.requests.length;
    const again = await run(items);
    expect(again.outcomes.map((o) => o.status)).toEqual(Array(6).fill('present'));
    expect(server.requests.length).toBe(before); // not even a CHECKSUM request
    expect(again.bytesDownloaded).toBe(0);
  });

  it('reports a 404 day as missing and downloads the other days', async () => {
    const items = plan(['trades'], '2024-01-01', '2024-01-03');
    serve(items[0].archive.path);
    serve(items[2].archive.path);
    const r = await run(items);
    expect(r.outcomes.map((o) => `${o.archive.period} ${o.status}`)).toEqual(['2024-01-01 downloaded', '2024-01-02 missing', '2024-01-03 downloaded']);
    expect(r.outcomes[1].message).toMatch(/not on the server \(404\).*BTCUSDT-trades-2024-01-02\.zip\.CHECKSUM/);
    expect(existsSync(r.outcomes[1].file)).toBe(false);
  });

  it('a bad checksum deletes the file and downloads it again once; a second mismatch fails naming the file', async () => {
    const [once, twice] = plan(['trades'], '2024-01-01', '2024-01-02');
    const good = serve(once.archive.path, 300, { corruptTimes: 1 });
    serve(twice.archive.path, 300, { corruptTimes: 2 });
    const events: DownloadEvent[] = [];
    const r = await run([once, twice], { concurrency: 1 }, events);
    expect(r.outcomes[0].status).toBe('downloaded');
    expect(sha256(readFileSync(r.outcomes[0].file))).toBe(sha256(good));
    expect(r.outcomes[1].status).toBe('failed');
    expect(r.outcomes[1].message).toContain(r.outcomes[1].file);
    expect(r.outcomes[1].message).toMatch(/checksum mismatch .*\(also after a fresh download\)/);
    expect(existsSync(r.outcomes[1].file)).toBe(false);
    expect(existsSync(`${r.outcomes[1].file}.part`)).toBe(false);
    const mismatches = events.filter((e) => e.event === 'checksum-mismatch');
    expect(mismatches.map((e) => (e as { again: boolean }).again)).toEqual([true, true, false]);
    // The fresh download starts from zero (no Range).
    expect(zipRequests(server).filter((q) => q.path === twice.archive.path).map((q) => q.range)).toEqual([undefined, undefined]);
  });

  it('a connection dropped mid-file is resumed with a Range request and the result verifies', async () => {
    const [item] = plan(['trades'], '2024-01-01', '2024-01-01');
    const zip = serve(item.archive.path, 20_000, { dropAfterBytes: 50_000, dropTimes: 2 });
    expect(zip.length).toBeGreaterThan(120_000);
    const events: DownloadEvent[] = [];
    const r = await run([item], {}, events);
    expect(r.outcomes[0].status).toBe('downloaded');
    expect(sha256(readFileSync(r.outcomes[0].file))).toBe(sha256(zip));
    expect(zipRequests(server).map((q) => q.range)).toEqual([undefined, 'bytes=50000-', 'bytes=100000-']);
    const retries = events.filter((e) => e.event === 'retry');
    expect(retries).toHaveLength(2);
    expect((retries[0] as { reason: string }).reason).toMatch(/connection lost .* after 50000 of \d+ bytes/);
    expect(r.bytesDownloaded).toBe(zip.length);
  });

  it('a body that stalls is aborted after the timeout and resumed', async () => {
    const [item] = plan(['trades'], '2024-01-01', '2024-01-01');
    const zip = serve(item.archive.path, 5000, { stallAfterBytes: 10_000 });
    const t0 = Date.now();
    const r = await run([item], { http: { timeoutMs: 300, retries: 2, backoffMs: 10, maxBackoffMs: 10, maxRetryAfterMs: 600_000, sleep: async () => {}, userAgent: 't' } });
    expect(r.outcomes[0].status).toBe('downloaded');
    expect(sha256(readFileSync(r.outcomes[0].file))).toBe(sha256(zip));
    expect(zipRequests(server).map((q) => q.range)).toEqual([undefined, 'bytes=10000-']);
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('resumes the .part an interrupted run left, with Range, and says how much it kept', async () => {
    const [item] = plan(['trades'], '2024-01-01', '2024-01-01');
    const zip = serve(item.archive.path, 3000);
    const file = join(out, ...item.archive.path.split('/'));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.part`, zip.subarray(0, 12_345));
    const r = await run([item]);
    expect(r.outcomes[0]).toMatchObject({ status: 'downloaded', resumedFromBytes: 12_345, bytes: zip.length });
    expect(zipRequests(server).map((q) => q.range)).toEqual(['bytes=12345-']);
    expect(sha256(readFileSync(file))).toBe(sha256(zip));
    expect(r.bytesDownloaded).toBe(zip.length - 12_345);
  });

  it('a .part that is already whole (416) or holds wrong bytes ends verified all the same', async () => {
    const [a, b] = plan(['trades'], '2024-01-01', '2024-01-02');
    const za = serve(a.archive.path, 1000);
    const zb = serve(b.archive.path, 1000);
    const fa = join(out, ...a.archive.path.split('/'));
    const fb = join(out, ...b.archive.path.split('/'));
    mkdirSync(dirname(fa), { recursive: true });
    writeFileSync(`${fa}.part`, za);
    writeFileSync(`${fb}.part`, Buffer.alloc(500, 7)); // a prefix that is not the file's
    const r = await run([a, b]);
    expect(r.outcomes.map((o) => o.status)).toEqual(['downloaded', 'downloaded']);
    expect(sha256(readFileSync(fa))).toBe(sha256(za));
    expect(sha256(readFileSync(fb))).toBe(sha256(zb));
    expect(zipRequests(server).filter((q) => q.path === b.archive.path).map((q) => q.range)).toEqual(['bytes=500-', undefined]);
  });

  it('a local zip that no longer verifies is fetched again; one whose CHECKSUM file is lost is kept after checking', async () => {
    const [a, b] = plan(['trades'], '2024-01-01', '2024-01-02');
    const za = serve(a.archive.path);
    serve(b.archive.path);
    await run([a, b]);
    const fa = join(out, ...a.archive.path.split('/'));
    const fb = join(out, ...b.archive.path.split('/'));
    writeFileSync(fa, Buffer.from('damaged'));
    rmSync(`${fb}.CHECKSUM`);
    server.requests.length = 0;
    const r = await run([a, b]);
    expect(r.outcomes.map((o) => o.status)).toEqual(['downloaded', 'present']);
    expect(sha256(readFileSync(fa))).toBe(sha256(za));
    expect(existsSync(`${fb}.CHECKSUM`)).toBe(true);
    expect(zipRequests(server).map((q) => q.path)).toEqual([a.archive.path]);
  });

  it('uses the daily archives of a month whose monthly archive is not on the server', async () => {
    const items = plan(['trades'], '2024-02-01', '2024-03-31');
    expect(items.map((i) => i.archive.period)).toEqual(['2024-02', '2024-03']);
    serve(items[0].archive.path);
    for (const d of items[1].fallback) serve(d.path, 20);
    const events: DownloadEvent[] = [];
    const r = await run(items, {}, events);
    expect(r.outcomes.map((o) => o.archive.period)).toEqual(['2024-02', ...items[1].fallback.map((d) => d.period)]);
    expect(r.outcomes.every((o) => o.status === 'downloaded')).toBe(true);
    expect(r.fellBack.map((a) => a.period)).toEqual(['2024-03']);
    expect(events.filter((e) => e.event === 'fallback')).toHaveLength(1);
    const last = events.filter((e) => e.event === 'bytes').pop() as { filesDone: number; filesTotal: number };
    expect(last).toMatchObject({ filesDone: 32, filesTotal: 32 });
  });

  it('retries 503 with backoff, and gives up after the retries with the reason', async () => {
    const [a, b] = plan(['trades'], '2024-01-01', '2024-01-02');
    serve(a.archive.path, 100, { unavailableTimes: 2 });
    serve(b.archive.path, 100, { unavailableTimes: 10 });
    sleeps.length = 0;
    const r = await run([a, b], { concurrency: 1 });
    expect(r.outcomes[0].status).toBe('downloaded');
    expect(r.outcomes[1].status).toBe('failed');
    expect(r.outcomes[1].message).toMatch(/HTTP 503.*gave up after 4 attempts/);
    expect(sleeps).toEqual([100, 200, 100, 200, 400]);
  });

  it('a server that cannot be reached fails the first archive after its retries and the rest without trying', async () => {
    const items = plan(['trades'], '2024-01-01', '2024-01-05');
    const dead = await startArchiveServer();
    const deadUrl = dead.baseUrl;
    await dead.close(); // nothing listens on that port any more
    sleeps.length = 0;
    const r = await run(items, { baseUrl: deadUrl, concurrency: 1 });
    expect(r.outcomes.map((o) => o.status)).toEqual(Array(5).fill('failed'));
    expect(r.outcomes[0].message).toMatch(/ECONNREFUSED.*gave up after 4 attempts/);
    for (const o of r.outcomes.slice(1)) expect(o.message).toMatch(/not tried, the server could not be reached/);
    expect(sleeps).toEqual([100, 200, 400]); // one archive's retries, not five
  });

  it('a file-system error is not one archive\'s failure: the run stops and throws it', async () => {
    const items = plan(['trades', 'aggTrades'], '2024-01-01', '2024-01-03');
    for (const it of items) serve(it.archive.path);
    // A file where the trades folder must be created: mkdir fails.
    mkdirSync(join(out, 'data/futures/um/daily/trades'), { recursive: true });
    writeFileSync(join(out, 'data/futures/um/daily/trades/BTCUSDT'), 'in the way');
    await expect(run(items, { concurrency: 1 })).rejects.toMatchObject({ code: expect.stringMatching(/^(EEXIST|ENOTDIR)$/), syscall: 'mkdir' });
    // Nothing after the failing archive was started.
    expect(zipRequests(server)).toEqual([]);
    expect(server.requests.map((q) => q.path)).toEqual([`${items[0].archive.path}.CHECKSUM`]);
  });

  it('a CHECKSUM file that is not one fails the archive and says what it held', async () => {
    const [a] = plan(['trades'], '2024-01-01', '2024-01-01');
    serve(a.archive.path);
    server.putChecksum(`${a.archive.path}.CHECKSUM`, '<html>maintenance</html>');
    const r = await run([a]);
    expect(r.outcomes[0].status).toBe('failed');
    expect(r.outcomes[0].message).toMatch(/CHECKSUM is not "<sha256>  BTCUSDT-trades-2024-01-01\.zip".*maintenance/);
  });

  it('keeps at most `concurrency` archives in flight', async () => {
    const items = plan(['trades'], '2024-01-01', '2024-01-08');
    for (const it of items) serve(it.archive.path, 200, { delayMs: 40 });
    const r = await run(items, { concurrency: 3 });
    expect(r.outcomes.every((o) => o.status === 'downloaded')).toBe(true);
    expect(server.peakConcurrent()).toBe(3);
  });
});
