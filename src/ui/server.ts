/**
 * `maker ui`: a read-only HTTP server over a reports directory (issue 13, the backtest part).
 *
 *   GET /                        the run list (pages.ts): sortable, with data-quality flags and problems
 *   GET /api/runs                the same as JSON: {root, truncated, runs: RunEntry[]}
 *   GET /run/<key>/              the run's own report.html (a sweep's leaderboard.html), as written
 *   GET /run/<key>/<file>        summary.json, report.html, leaderboard.html, paths.csv, *.parquet of the run
 *   GET /compare?run=K&run=K...  2 to 8 runs side by side: metrics, scenario differences, overlaid charts
 *   GET /healthz                 200 {ok:true}
 *
 * Read-only: GET and HEAD only (405 otherwise); nothing is written. Paths: a URL names a run by its
 * key from the catalogue (runs.ts) and a file from a fixed list, never a path; a key that is not in
 * the catalogue is a 404, and the file resolved is checked once more to lie inside the reports
 * directory (real paths, no symbolic link), so `..`, encoded slashes, NUL and links lead nowhere.
 * Bound to 127.0.0.1 unless told otherwise; while bound to loopback it answers loopback `Host`
 * names only (DNS rebinding). Every response has its Content-Type and `nosniff`; HTML pages carry a
 * Content-Security-Policy that allows no network access at all (`default-src 'none'`), inline
 * styles, and only the inline scripts whose hashes it lists. No external resource: works offline.
 *
 * Errors never stop the server: a broken run is a row with its reason, an unreadable file a 404 or
 * 500 page naming it; `log` receives the 500s.
 */
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readFileSync, realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, sep } from 'node:path';
import { comparePage, errorPage, listPage, LIST_SCRIPT_HASH, MAX_COMPARE, type CompareRun } from './pages.ts';
import { RunCatalogue, type RunEntry } from './runs.ts';
import { readRunSeries, type RunSeries } from './series.ts';

export interface UiServerOptions {
  /** The reports directory (must exist). */
  readonly reports: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Server-side failures (500s). */
  readonly log?: (line: string) => void;
}

/** Files of a run directory the server hands out, with their content types. */
export const SERVED_FILES: ReadonlyMap<string, string> = new Map([
  ['report.html', 'text/html; charset=utf-8'],
  ['leaderboard.html', 'text/html; charset=utf-8'],
  ['summary.json', 'application/json; charset=utf-8'],
  ['paths.csv', 'text/csv; charset=utf-8'],
  ['fills.parquet', 'application/vnd.apache.parquet'],
  ['orders.parquet', 'application/vnd.apache.parquet'],
  ['timeseries.parquet', 'application/vnd.apache.parquet'],
  ['results.parquet', 'application/vnd.apache.parquet'],
]);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const SERIES_CACHED = 16;
const PAGE_CSP = `default-src 'none'; script-src ${LIST_SCRIPT_HASH}; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

export class UiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class UiServer {
  readonly catalogue: RunCatalogue;
  private readonly o: UiServerOptions;
  private readonly host: string;
  private readonly rootReal: string;
  private server: Server | undefined;
  private port = 0;
  private readonly series = new Map<string, { stamp: string; series: Promise<RunSeries> }>();

  constructor(o: UiServerOptions) {
    this.o = o;
    this.host = o.host ?? '127.0.0.1';
    this.rootReal = realpathSync(o.reports);
    this.catalogue = new RunCatalogue(this.rootReal);
  }

  get url(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${h}:${this.port}`;
  }

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => this.fail(res, e, req.url ?? ''));
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 60_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    return this.url;
  }

  /** Stops listening and cuts open connections (nothing to finish: every answer is a read). */
  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private fail(res: ServerResponse, e: unknown, what: string): void {
    if (e instanceof UiError) return page(res, e.status, errorPage(e.status, e.message));
    const msg = (e as Error)?.message ?? String(e);
    this.o.log?.(`maker ui: ${what}: ${msg}`);
    page(res, 500, errorPage(500, `the server could not answer ${what}: ${msg}`));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const hostName = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (LOOPBACK.has(this.host) && !LOOPBACK.has(hostName)) throw new UiError(403, `Host ${JSON.stringify(req.headers.host ?? '')} is not a loopback name (this server is bound to ${this.host})`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      req.resume();
      res.setHeader('Allow', 'GET, HEAD');
      throw new UiError(405, `method ${req.method} not allowed: this server is read-only`);
    }
    const raw = req.url ?? '/';
    if (!raw.startsWith('/')) throw new UiError(400, 'the request target must be a path');
    const url = new URL(raw, 'http://ui.invalid');
    // The raw path, not URL's normalised one: "/run/../x" must not become "/x".
    const rawPath = raw.split('?')[0];
    if (rawPath === '/' || rawPath === '/index.html') {
      const { entries, truncated } = this.catalogue.scan();
      return page(res, 200, listPage(this.o.reports, entries, truncated));
    }
    if (rawPath === '/api/runs') {
      const { entries, truncated } = this.catalogue.scan();
      return json(res, 200, { root: this.o.reports, truncated, runs: entries });
    }
    if (rawPath === '/healthz') return json(res, 200, { ok: true });
    if (rawPath === '/compare') return this.compare(res, url.searchParams.getAll('run'));
    if (rawPath.startsWith('/run/')) return this.runFile(res, rawPath.slice('/run/'.length));
    throw new UiError(404, `no page ${rawPath}`);
  }

  /** `/run/<key>/<file>`: segments decoded one by one; the key must be a catalogue entry. */
  private runFile(res: ServerResponse, rest: string): void {
    const parts = rest.split('/');
    let segs: string[];
    try {
      segs = parts.map((p) => decodeURIComponent(p));
    } catch {
      throw new UiError(400, 'a malformed %-escape in the path');
    }
    let file = segs[segs.length - 1];
    let keySegs = segs.slice(0, -1);
    if (file !== '' && !SERVED_FILES.has(file)) {
      // "/run/<key>" without the slash: the run's page (a key that is no run is a 404 below).
      keySegs = segs;
      file = '';
    }
    for (const s of keySegs) {
      if (s === '' || s === '.' || s === '..' || /[/\\\0]/.test(s)) throw new UiError(400, `the path segment ${JSON.stringify(s)} is not a run name`);
    }
    const key = keySegs.join('/');
    const entry = this.entry(key);
    if (entry.status === 'link') throw new UiError(403, `${key} is a symbolic link: not followed`);
    if (file === '') {
      file = entry.kind === 'sweep' ? 'leaderboard.html' : 'report.html';
      if (!entry.files.includes(file)) throw new UiError(404, `run ${key} has no ${file}${entry.problems.length ? ` (${entry.problems.join('; ')})` : ''}`);
    }
    const path = this.inside(join(this.rootReal, ...keySegs, file), key, file);
    const type = SERVED_FILES.get(file)!;
    if (type.startsWith('text/html')) {
      const text = readFileSync(path, 'utf8');
      res.writeHead(200, { 'Content-Type': type, 'Content-Security-Policy': htmlCsp(text), 'X-Frame-Options': 'DENY' });
      res.end(text);
      return;
    }
    const headers: Record<string, string | number> = { 'Content-Type': type, 'Content-Length': lstatSync(path).size };
    if (type === 'application/vnd.apache.parquet') headers['Content-Disposition'] = `attachment; filename="${file}"`;
    res.writeHead(200, headers);
    const stream = createReadStream(path);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  /** The catalogue entry of `key`, scanning again once when it is not known (a run written since). */
  private entry(key: string): RunEntry {
    let e = this.catalogue.find(key);
    if (e === undefined) {
      this.catalogue.scan();
      e = this.catalogue.find(key);
    }
    if (e === undefined) throw new UiError(404, `no run ${JSON.stringify(key)} under the reports directory`);
    return e;
  }

  /** `path`'s real path, refused unless it is a regular file inside the reports directory. */
  private inside(path: string, key: string, file: string): string {
    let real: string;
    try {
      if (!lstatSync(path).isFile()) throw new UiError(404, `run ${key}: ${file} is not a regular file`);
      real = realpathSync(path);
    } catch (e) {
      if (e instanceof UiError) throw e;
      throw new UiError(404, `run ${key} has no ${file}`);
    }
    if (!real.startsWith(this.rootReal + sep)) throw new UiError(403, `run ${key}: ${file} lies outside the reports directory`);
    return real;
  }

  private async compare(res: ServerResponse, keys: string[]): Promise<void> {
    const unique = [...new Set(keys)];
    if (unique.length < 2) throw new UiError(400, `compare needs two or more runs (?run=<key>&run=<key>), got ${unique.length}`);
    if (unique.length > MAX_COMPARE) throw new UiError(400, `compare shows at most ${MAX_COMPARE} runs, got ${unique.length}`);
    const runs: CompareRun[] = [];
    for (const key of unique) {
      const entry = this.entry(key);
      if (entry.kind !== 'backtest') throw new UiError(400, `run ${key} is ${entry.kind === null ? `${entry.status} (${entry.problems.join('; ')})` : `a ${entry.kind} run`}: only backtest runs compare`);
      let series: RunSeries | null = null;
      let seriesProblem: string | null = null;
      if (!entry.hasTimeseries) seriesProblem = 'no timeseries.parquet: no charts for this run';
      else {
        try {
          series = await this.seriesOf(entry);
        } catch (e) {
          seriesProblem = `timeseries.parquet: ${(e as Error).message}`;
        }
      }
      runs.push({ entry, summary: this.catalogue.summaryOf(key), series, seriesProblem });
    }
    page(res, 200, comparePage(runs));
  }

  private seriesOf(entry: RunEntry): Promise<RunSeries> {
    const path = this.inside(join(this.rootReal, ...entry.key.split('/'), 'timeseries.parquet'), entry.key, 'timeseries.parquet');
    const st = lstatSync(path);
    const stamp = `${st.size}:${st.mtimeMs}`;
    const hit = this.series.get(entry.key);
    if (hit !== undefined && hit.stamp === stamp) return hit.series;
    const series = readRunSeries(path);
    this.series.delete(entry.key);
    this.series.set(entry.key, { stamp, series });
    series.catch(() => this.series.delete(entry.key));
    while (this.series.size > SERIES_CACHED) this.series.delete(this.series.keys().next().value!);
    return series;
  }
}

/** The CSP of a served HTML file: no network, inline styles, and its own inline scripts by hash. */
export function htmlCsp(text: string): string {
  const hashes = [...text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`);
  return `default-src 'none'; script-src ${hashes.length ? hashes.join(' ') : "'none'"}; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'`;
}

function page(res: ServerResponse, status: number, html: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': PAGE_CSP, 'X-Frame-Options': 'DENY' });
  res.end(html);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(`${JSON.stringify(body)}\n`);
}

