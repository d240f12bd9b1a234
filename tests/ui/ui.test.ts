// `maker ui` over a temporary reports directory holding two real quickstart backtests (20 s each,
// seeds 42 and 7, written by `maker backtest`), a broken run (summary.json cut short), a
// partial one (no summary.json), a staging directory and a symbolic link out of the directory.
// Without a browser: the catalogue lists every entry with its reason, content types, read-only,
// loopback Host, and path traversal refused (encoded dots and slashes, NUL, links), never a byte of
// the file outside. With a real headless Chromium (playwright-core, Debian's /usr/bin/chromium;
// skipped with a message when absent): the list sorts by a click on a column, ticking both runs
// and "Compare" shows both side by side with overlaid charts, a run's report.html opens, a
// traversal URL shows an error page. Screenshots go to reports/screenshots/ (as the dashboard's).
// And the CLI: the first stdout line of `maker ui --json`, a clean exit on SIGTERM.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UiServer } from '../../src/ui/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = join(ROOT, 'reports', 'screenshots');
const QUICK = join(ROOT, 'scenarios', 'quickstart.yaml');
const RANGE = 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:19Z';

function findChromium(): string | null {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) if (p && existsSync(p)) return p;
  try {
    const w = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
    return w !== '' ? w : null;
  } catch {
    return null;
  }
}
const CHROMIUM = findChromium();
if (CHROMIUM === null) console.warn('tests/ui/ui.test.ts: no chromium found (/usr/bin/chromium, `which chromium`, CHROMIUM_PATH): the browser tests are SKIPPED; install it with .ci/system-deps.sh');

const reports = mkdtempSync(join(tmpdir(), 'ui-reports-'));
const outside = mkdtempSync(join(tmpdir(), 'ui-outside-'));
let server: UiServer;
let base: string;
const runs: { seed: number; runId: string; pnl: string }[] = [];

/** `maker backtest --json` in this process (the CLI's own entry; a process each would double the test's time). */
async function backtest(seed: number, halfSpread: number): Promise<{ runId: string; metrics: { pnl: { total: string } } }> {
  const { main } = await import('../../src/cli/main.ts');
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => void out.push(String(s))) as never;
  let code: number;
  try {
    code = await main(['node', 'maker', 'backtest', '-s', QUICK, '--seed', String(seed), '--set', RANGE, '--set', `strategy.halfSpreadTicks=${halfSpread}`, '--out', reports, '--json', '-q']);
  } finally {
    process.stdout.write = write;
  }
  if (code !== 0) throw new Error(`maker backtest exited ${code}: ${out.join('')}`);
  return JSON.parse(out.join(''));
}

beforeAll(async () => {
  const a = await backtest(42, 3);
  const b = await backtest(7, 6);
  runs.push({ seed: 42, runId: a.runId, pnl: a.metrics.pnl.total }, { seed: 7, runId: b.runId, pnl: b.metrics.pnl.total });
  mkdirSync(join(reports, 'broken-run'));
  writeFileSync(join(reports, 'broken-run', 'summary.json'), '{"schema": "maker.backtest.summary/1", "runId": ');
  mkdirSync(join(reports, 'partial-run'));
  writeFileSync(join(reports, 'partial-run', 'report.html'), '<p>half</p>');
  mkdirSync(join(reports, '.quickstart-s1-0123456789ab.partial-4242'));
  mkdirSync(join(reports, 'screenshots')); // not a run: not listed
  writeFileSync(join(outside, 'summary.json'), '{"secret":"OUTSIDE-SECRET"}');
  writeFileSync(join(outside, 'report.html'), 'OUTSIDE-SECRET');
  symlinkSync(outside, join(reports, 'evil-link'));
  // A run whose time series is damaged: listed as a run, compared without its charts.
  mkdirSync(join(reports, 'damaged-series'));
  for (const f of ['summary.json', 'report.html', 'fills.parquet', 'orders.parquet']) copyFileSync(join(reports, a.runId, f), join(reports, 'damaged-series', f));
  writeFileSync(join(reports, 'damaged-series', 'timeseries.parquet'), 'PAR1 not really');
  server = new UiServer({ reports, port: 0 });
  base = await server.listen();
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(reports, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

/** A raw HTTP GET (no URL normalisation: the path goes out as written). */
function get(path: string, o: { method?: string; host?: string } = {}): Promise<{ status: number; type: string; body: string; headers: Record<string, unknown> }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: o.method ?? 'GET', headers: o.host ? { host: o.host } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('maker ui server', () => {
  it('lists every run directory, broken and partial ones with their reason', async () => {
    const r = await get('/api/runs');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json; charset=utf-8');
    const { runs: list } = JSON.parse(r.body) as { runs: { key: string; status: string; kind: string; problems: string[]; seed: number; metrics: { pnlTotal: string } | null; quality: { warnings: string[] } | null }[] };
    const byKey = new Map(list.map((e) => [e.key, e]));
    expect([...byKey.keys()].sort()).toEqual(['.quickstart-s1-0123456789ab.partial-4242', 'broken-run', 'damaged-series', 'evil-link', 'partial-run', runs[0].runId, runs[1].runId].sort());
    for (const run of runs) {
      const e = byKey.get(run.runId)!;
      expect(e.status).toBe('ok');
      expect(e.kind).toBe('backtest');
      expect(e.seed).toBe(run.seed);
      expect(e.metrics!.pnlTotal).toBe(run.pnl);
      expect(e.quality!.warnings).toEqual([]);
    }
    expect(byKey.get('broken-run')!.status).toBe('broken');
    expect(byKey.get('broken-run')!.problems[0]).toMatch(/^summary.json is not valid JSON/);
    expect(byKey.get('partial-run')!.status).toBe('partial');
    expect(byKey.get('partial-run')!.problems[0]).toMatch(/no summary.json \(found report.html\)/);
    expect(byKey.get('.quickstart-s1-0123456789ab.partial-4242')!.status).toBe('in-progress');
    expect(byKey.get('evil-link')!.status).toBe('link');
    // The HTML list too: one row per entry, the reason shown.
    const page = await get('/');
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(page.body.match(/data-testid="run-row"/g)).toHaveLength(7);
    expect(page.body).toContain('summary.json is not valid JSON');
  });

  it('serves a run report and its files with their content types, and nothing from outside', async () => {
    const report = await get(`/run/${runs[0].runId}/`);
    expect(report.status).toBe(200);
    expect(report.type).toBe('text/html; charset=utf-8');
    expect(report.body).toBe(readFileSync(join(reports, runs[0].runId, 'report.html'), 'utf8'));
    expect(report.headers['content-security-policy']).toMatch(/^default-src 'none'; script-src 'none'/);
    const summary = await get(`/run/${runs[0].runId}/summary.json`);
    expect(summary.type).toBe('application/json; charset=utf-8');
    expect(JSON.parse(summary.body).runId).toBe(runs[0].runId);
    const ts = await get(`/run/${runs[0].runId}/timeseries.parquet`, { method: 'HEAD' });
    expect(ts.status).toBe(200);
    expect(ts.type).toBe('application/vnd.apache.parquet');
    for (const p of ['/healthz', '/compare?run=a']) expect((await get(p)).headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses path traversal in every spelling', async () => {
    const attempts = [
      '/run/../../../etc/passwd',
      '/run/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/run/%2E%2E%2F%2E%2E%2Fetc/summary.json',
      `/run/${runs[0].runId}/..%2f..%2f..%2fetc%2fpasswd`,
      `/run/${runs[0].runId}%2f..%2fbroken-run/summary.json`,
      '/run/..%5c..%5cetc/summary.json',
      `/run/${runs[0].runId}%00/summary.json`,
      '/run/evil-link/summary.json',
      '/run/evil-link/report.html',
      '/run/evil-link/',
      `/run/${runs[0].runId}/../../../etc/passwd`,
      `/run/${runs[0].runId}/events.log`,
      '/run/%zz/summary.json',
      '/../etc/passwd',
      '/etc/passwd',
      `/run/${encodeURIComponent(outside)}/summary.json`,
    ];
    for (const p of attempts) {
      const r = await get(p);
      expect([400, 403, 404], p).toContain(r.status);
      expect(r.type, p).toBe('text/html; charset=utf-8');
      expect(r.body, p).not.toContain('OUTSIDE-SECRET');
      expect(r.body, p).not.toContain('root:');
    }
  });

  it('is read-only and answers loopback Host names only', async () => {
    const post = await get('/api/runs', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await get('/api/runs', { method: 'DELETE' })).status).toBe(405);
    const rebind = await get('/api/runs', { host: 'evil.example:80' });
    expect(rebind.status).toBe(403);
    expect(rebind.body).toMatch(/not a loopback name/);
    expect((await get('/api/runs', { host: 'localhost' })).status).toBe(200);
  });

  it('compares two runs and refuses a comparison that cannot be made', async () => {
    const ok = await get(`/compare?run=${runs[0].runId}&run=${runs[1].runId}`);
    expect(ok.status).toBe(200);
    expect(ok.body.match(/data-testid="compare-run"/g)).toHaveLength(2);
    expect(ok.body).toContain('strategy.halfSpreadTicks');
    expect(ok.body).toContain(runs[0].pnl);
    expect(ok.body).toContain(runs[1].pnl);
    expect((await get(`/compare?run=${runs[0].runId}`)).status).toBe(400);
    const broken = await get(`/compare?run=${runs[0].runId}&run=broken-run`);
    expect(broken.status).toBe(400);
    expect(broken.body).toMatch(/broken-run is broken \(summary.json is not valid JSON/);
    expect((await get(`/compare?run=${runs[0].runId}&run=nope`)).status).toBe(404);
    const damaged = await get(`/compare?run=${runs[0].runId}&run=damaged-series`);
    expect(damaged.status).toBe(200);
    expect(damaged.body).toMatch(/timeseries.parquet: .*damaged-series.timeseries.parquet: not a readable time-series table/);
  });
});

describe.skipIf(CHROMIUM === null)('maker ui in a real browser', () => {
  it('sorts the list, compares two runs, opens a report, refuses traversal', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      page.on('pageerror', (e) => void errors.push(e.message));
      // Offline: every request the pages make goes to this server.
      const foreign: string[] = [];
      page.on('request', (r) => void (r.url().startsWith(`${base}/`) || foreign.push(r.url())));
      await page.goto(`${base}/`);
      mkdirSync(SHOTS, { recursive: true });
      const keys = async (): Promise<string[]> => page.getByTestId('run-row').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-key")!));
      /** The order of the two fresh runs in the table (the damaged copy of the first has its seed and PnL). */
      const two = async (): Promise<string[]> => (await keys()).filter((k) => k === runs[0].runId || k === runs[1].runId);
      // Sort by seed: 7 before 42, entries without a seed last; a second click reverses.
      await page.locator('th[data-col=seed]').click();
      expect(await two()).toEqual([runs[1].runId, runs[0].runId]);
      expect((await keys())[0]).toBe(runs[1].runId);
      expect(await page.locator('th[data-col=seed]').getAttribute('aria-sort')).toBe('ascending');
      await page.locator('th[data-col=seed]').click();
      expect(await two()).toEqual([runs[0].runId, runs[1].runId]);
      // Sort by PnL: numeric order of the two runs' totals.
      await page.locator('th[data-col=pnl]').click();
      const byPnl = [...runs].sort((a, b) => Number(a.pnl) - Number(b.pnl)).map((r) => r.runId);
      expect(await two()).toEqual(byPnl);
      // Sort by status: broken entries come first alphabetically.
      await page.locator('th[data-col=status]').click();
      expect((await keys())[0]).toBe('broken-run');
      await page.screenshot({ path: join(SHOTS, 'ui-runs.png'), fullPage: true });

      // Compare: the button waits for two ticks.
      expect(await page.getByTestId('compare').isDisabled()).toBe(true);
      for (const r of runs) await page.locator(`input[name=run][value="${r.runId}"]`).check();
      await page.getByTestId('compare').click();
      await page.waitForURL(/\/compare\?/);
      expect(await page.getByTestId('compare-run').count()).toBe(2);
      const text = await page.locator('body').textContent();
      for (const r of runs) {
        expect(text).toContain(r.runId);
        expect(text).toContain(r.pnl);
      }
      // Three charts, each with both runs' lines (the legend names A and B).
      const charts = page.getByTestId('charts').locator('svg');
      expect(await charts.count()).toBe(3);
      const equityLegend = await charts.nth(0).textContent();
      expect(equityLegend).toContain(`A ${runs[0].runId}`);
      expect(equityLegend).toContain(`B ${runs[1].runId}`);
      await page.screenshot({ path: join(SHOTS, 'ui-compare.png'), fullPage: true });

      // One run's report opens from the list.
      await page.goto(`${base}/`);
      await page.locator(`tr[data-key="${runs[1].runId}"] a[data-testid=open-run]`).click();
      await page.waitForURL(new RegExp(`/run/${runs[1].runId}/$`));
      expect(await page.title()).toBe(`maker report — quickstart — ${runs[1].runId}`);
      await page.screenshot({ path: join(SHOTS, 'ui-report.png') });

      expect(foreign).toEqual([]);
      expect(errors).toEqual([]); // no CSP violation, no script error, no failed load on the pages above
      // Traversal from the address bar (Chromium resolves dot segments itself, the server sees the rest): an error page, never the file.
      const resp = await page.goto(`${base}/run/%2e%2e/%2e%2e/%2e%2e/etc/passwd`);
      expect([400, 404]).toContain(resp!.status());
      expect(await page.getByTestId('error').textContent()).toMatch(/not a run name|no run|no page/);
      const resp2 = await page.goto(`${base}/run/${runs[0].runId}%2f..%2f..%2fetc/summary.json`);
      expect(resp2!.status()).toBe(400);
      expect(await page.locator('body').textContent()).not.toContain('root:');
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe('maker ui (CLI)', () => {
  it('prints {"ui": url} first with --json, serves, and exits 0 on SIGTERM', async () => {
    const p = spawn(process.execPath, [join(ROOT, 'bin', 'maker.js'), 'ui', '--reports', reports, '--port', '0', '--json'], { cwd: ROOT });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const first = await new Promise<string>((resolve) => createInterface({ input: p.stdout }).once('line', resolve));
    const { ui } = JSON.parse(first) as { ui: string };
    expect(ui).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await fetch(`${ui}/api/runs`);
    expect(r.status).toBe(200);
    const code = await new Promise<number | null>((resolve) => {
      p.on('close', resolve);
      p.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(err).toBe('');
  }, 30_000);

  it('refuses a missing reports directory and a bad port (exit 2)', async () => {
    const { main } = await import('../../src/cli/main.ts');
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => void err.push(String(s))) as never;
    try {
      expect(await main(['node', 'maker', 'ui', '--reports', join(reports, 'nope')])).toBe(2);
      expect(await main(['node', 'maker', 'ui', '--reports', join(reports, runs[0].runId, 'summary.json')])).toBe(2);
      expect(await main(['node', 'maker', 'ui', '--reports', reports, '--port', '99999'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(err[0]).toMatch(/--reports: .*nope does not exist/);
    expect(err[1]).toMatch(/--reports: .*summary.json is not a directory/);
    expect(err[2]).toMatch(/--port must be 0\.\.65535/);
  });
});
