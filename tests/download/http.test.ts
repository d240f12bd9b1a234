// maker download's HTTP (src/cli/download/http.ts) on loopback: the body of a reply that is retried
// is cancelled, so its socket closes before the next attempt (it stayed open behind the retry), and
// Retry-After is honoured beyond maxBackoffMs up to maxRetryAfterMs (it was cut to maxBackoffMs);
// a server asking for longer than that fails the request instead of being asked again early.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DownloadFailure, downloadFile, fetchText, type HttpOptions } from '../../src/cli/download/http.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Seen {
  socket: Socket;
  closed: boolean;
}

/** A server answering the n-th request (0-based) with `answer(n, res)`; every request's socket is tracked. */
async function server(answer: (n: number, req: IncomingMessage, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const srv: Server = createServer((req, res) => {
    const s: Seen = { socket: req.socket, closed: req.socket.destroyed };
    req.socket.once('close', () => (s.closed = true));
    seen.push(s);
    answer(seen.length - 1, req, res);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  cleanups.push(async () => {
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/x.zip`, seen };
}

/** 503 with a 1 MB body of which 16 KB are sent, the rest never (the response stays open). */
function unavailableWithOpenBody(res: ServerResponse): void {
  res.writeHead(503, { 'content-length': String(1_000_000), 'content-type': 'text/html' });
  res.write(Buffer.alloc(16_384, 0x41));
}

function options(o: Partial<HttpOptions> = {}): HttpOptions & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    timeoutMs: 5_000,
    retries: 3,
    backoffMs: 100,
    maxBackoffMs: 30_000,
    maxRetryAfterMs: 600_000,
    userAgent: 'test',
    // A short real wait: the server sees the first socket close before the retry (when it does close).
    sleep: async (ms) => {
      sleeps.push(ms);
      await new Promise((r) => setTimeout(r, 100));
    },
    ...o,
    sleeps,
  };
}

describe('the body of a retried reply is cancelled: its socket does not stay open behind the retry', () => {
  it('fetchText (a CHECKSUM): 503 with a body still coming, then 200', async () => {
    const s = await server((n, _req, res) => (n === 0 ? unavailableWithOpenBody(res) : res.end('abc  x.zip\n')));
    const opts = options();
    expect(await fetchText(s.url, opts)).toBe('abc  x.zip\n');
    expect(s.seen).toHaveLength(2);
    expect(s.seen[0].closed, 'the 503 reply\'s socket was still open at the retry').toBe(true);
    expect(s.seen[1].socket).not.toBe(s.seen[0].socket);
  });

  it('downloadFile: 503 with a body still coming, then the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'download-http-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    let closedAtRetry: boolean | undefined;
    const s = await server((n, _req, res) => {
      if (n === 0) return unavailableWithOpenBody(res);
      closedAtRetry = s.seen[0].closed;
      res.end('zipbytes');
    });
    const r = await downloadFile(s.url, join(dir, 'x.zip'), options());
    expect(r).toMatchObject({ status: 'ok', attempts: 2, bytes: 8 });
    expect(readFileSync(join(dir, 'x.zip'), 'utf8')).toBe('zipbytes');
    expect(closedAtRetry, 'the 503 reply\'s socket was still open at the retry').toBe(true);
  });
});

describe('Retry-After', () => {
  it('honoured beyond maxBackoffMs (45 s with a 30 s backoff cap)', async () => {
    const s = await server((n, _req, res) => (n === 0 ? res.writeHead(429, { 'retry-after': '45' }).end() : res.end('abc  x.zip\n')));
    const opts = options();
    expect(await fetchText(s.url, opts)).toBe('abc  x.zip\n');
    expect(opts.sleeps).toEqual([45_000]);
  });

  it('shorter than the backoff: the backoff', async () => {
    const s = await server((n, _req, res) => (n === 0 ? res.writeHead(503, { 'retry-after': '0' }).end() : res.end('ok')));
    const opts = options();
    await fetchText(s.url, opts);
    expect(opts.sleeps).toEqual([100]);
  });

  it('longer than maxRetryAfterMs: the request fails at once, saying so, and is not sent again', async () => {
    const s = await server((n, _req, res) => (n === 0 ? res.writeHead(429, { 'retry-after': '3600' }).end() : res.end('ok')));
    const opts = options();
    const err = await fetchText(s.url, opts).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadFailure);
    expect((err as Error).message).toBe('HTTP 429 Too Many Requests: the server asks to wait 3600 s (Retry-After), more than the 600 s we wait (gave up after 1 attempts)');
    expect(opts.sleeps).toEqual([]);
    expect(s.seen).toHaveLength(1);
  });
});

describe('a failure to resolve the host is not retried like a transient error', () => {
  /** fetch() failing as undici does when getaddrinfo (or the connection) fails with `code`. */
  function failingFetch(code: string): { calls: () => number } {
    let calls = 0;
    vi.stubGlobal('fetch', async (url: string) => {
      calls++;
      throw new TypeError('fetch failed', { cause: Object.assign(new Error(`getaddrinfo ${code} ${new URL(url).hostname}`), { code, hostname: new URL(url).hostname, syscall: 'getaddrinfo' }) });
    });
    cleanups.push(() => void vi.unstubAllGlobals());
    return { calls: () => calls };
  }

  function tmp(): string {
    const dir = mkdtempSync(join(tmpdir(), 'download-http-dns-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it('ENOTFOUND: one attempt, no wait; EAI_AGAIN: one retry; ECONNRESET: every retry. The DNS failures name the host', async () => {
    const cases: [string, number, RegExp][] = [
      ['ENOTFOUND', 1, /^cannot resolve the host data\.example\.invalid \(ENOTFOUND\): the network or DNS is unreachable from here, or the host name is wrong$/],
      ['EAI_AGAIN', 2, /^cannot resolve the host data\.example\.invalid \(EAI_AGAIN\): the network or DNS is unreachable from here, or the host name is wrong \(gave up after 2 attempts\)$/],
      ['ECONNRESET', 4, /^fetch failed: ECONNRESET \(gave up after 4 attempts\)$/],
    ];
    for (const [code, attempts, message] of cases) {
      const f = failingFetch(code);
      for (const call of [(o: HttpOptions) => fetchText('https://data.example.invalid/x.CHECKSUM', o), (o: HttpOptions) => downloadFile('https://data.example.invalid/x.zip', join(tmp(), 'x.zip.part'), o)]) {
        const before = f.calls();
        const o = options({ sleep: async (ms) => void o.sleeps.push(ms) });
        const err = await call(o).then(() => null, (e: unknown) => e);
        expect(err, code).toBeInstanceOf(DownloadFailure);
        expect((err as Error).message).toMatch(message);
        expect(f.calls() - before, code).toBe(attempts);
        expect(o.sleeps, code).toHaveLength(attempts - 1);
      }
    }
  });
});
