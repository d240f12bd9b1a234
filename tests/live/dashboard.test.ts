// The live dashboard (`maker live --dashboard`) against a LiveSession on the local exchange over
// loopback. With a real headless Chromium (playwright-core, Debian's /usr/bin/chromium; skipped with
// a message when no chromium is found): the page shows quotes and follows the market; pause and
// resume cancel and restore the symbol's orders on the exchange and the journal still replays to the
// same commands; the kill switch cancels every order on the exchange (checked with signed REST) and
// the page says "confirmed". Without a browser: tokens, cross-origin POSTs, /metrics, /healthz, /readyz.
// Order entry over ws-fapi (live.orderEntry: ws): the snapshot, /readyz and /metrics from a stub
// session view (up, down, REST), then end to end through a TCP relay the test cuts and restores: the
// page, /readyz, /metrics and the log line say order entry is down (the trader holds), then up.
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveDashboard, LiveMarketFeed, LiveSession, LIVE_METRIC_NAMES, replayJournal, wallTimers, type SessionHealth, type SessionView } from '../../src/live/index.ts';
import { parseScenario } from '../../src/scenario/index.ts';
import { ACCOUNT, signed, startLocalExchange } from '../exchange-fake/helpers.ts';
import { tcpRelay } from './tcp-relay.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SCENARIO_TEXT = readFileSync(join(ROOT, 'scenarios', 'quickstart.yaml'), 'utf8');
const CREDS = { apiKey: ACCOUNT.apiKey, secret: ACCOUNT.secret, keyType: 'HMAC' as const };
const SHOTS = join(ROOT, 'reports', 'screenshots');

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
if (CHROMIUM === null) console.warn('tests/live/dashboard.test.ts: no chromium found (/usr/bin/chromium, `which chromium`, CHROMIUM_PATH): the browser tests are SKIPPED; install it with .ci/system-deps.sh');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function waitFor<T>(get: () => Promise<T> | T, ok: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A session on the local exchange with a dashboard; `wsApi` given: order entry over it (`live.orderEntry: ws`). */
async function setup(o: { wsApi?: (wsBase: string) => Promise<string> } = {}) {
  const lx = await startLocalExchange();
  cleanups.push(() => lx.close());
  const out = mkdtempSync(join(tmpdir(), 'dash-live-'));
  cleanups.push(() => rmSync(out, { recursive: true, force: true }));
  const logs: string[] = [];
  const log = (l: string): void => void logs.push(l);
  const set = ['live.shutdown.confirmTimeoutS=10', ...(o.wsApi !== undefined ? ['live.orderEntry=ws'] : [])];
  const scenario = parseScenario(SCENARIO_TEXT, 'quickstart.yaml', { set });
  const wallUs = (): number => Date.now() * 1000;
  const dash = new LiveDashboard({ port: 0, wallUs, log, processMetrics: false });
  const url = await dash.listen();
  cleanups.push(() => dash.close());
  const session = new LiveSession({
    scenario,
    scenarioText: SCENARIO_TEXT,
    overrides: set,
    rest: lx.base,
    ws: lx.wsBase,
    wsApi: o.wsApi !== undefined ? await o.wsApi(lx.wsBase) : `${lx.wsBase}/ws-fapi/v1`,
    credentials: CREDS,
    out,
    paper: false,
    feed: (o) => new LiveMarketFeed(o),
    wallUs,
    timers: wallTimers,
    log,
    onTrader: (core) => dash.onTrader(core),
    onLatency: (k, ms) => dash.onLatency(k, ms),
  });
  dash.attach(session);
  cleanups.push(async () => void (await session.stop('test cleanup')));
  return { lx, url, dash, session, logs };
}

async function openOrders(base: string): Promise<unknown[]> {
  const r = await signed(base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' });
  return r.json as unknown as unknown[];
}

describe.skipIf(CHROMIUM === null)('live dashboard in a real browser', () => {
  it('shows quotes that follow the market; pause/resume and the kill switch act on the exchange and are confirmed', async () => {
    const { lx, url, dash, session, logs } = await setup();
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox'] });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${url}/#token=${dash.token}`);
    await session.start();
    mkdirSync(SHOTS, { recursive: true });

    // Quotes appear: the market's bid/ask and our own quotes, and the orders table lists what rests on the exchange.
    const bid = page.getByTestId('bid-BTCUSDT');
    await waitFor(() => bid.textContent(), (t) => t !== null && /^\d+(\.\d+)?$/.test(t), 15_000, 'a best bid on the page');
    await waitFor(() => page.getByTestId('ourbid-BTCUSDT').textContent(), (t) => t !== null && /^\d/.test(t), 15_000, 'our bid on the page');
    await waitFor(() => page.getByTestId('order').count(), (n) => n >= 2, 10_000, 'open orders listed');
    expect(await page.getByTestId('status').textContent()).toBe('running');
    // Orders can rest before every market route has flowed (the /market route's first trade or mark price): wait for it.
    await waitFor(() => page.getByTestId('stream-market').textContent(), (t) => t === 'up', 15_000, 'the market stream shown up');
    // Per symbol and per connection route: up, with the age of its last message.
    await waitFor(() => page.getByTestId('symstream-BTCUSDT').textContent(), (t) => t === 'up', 15_000, 'BTCUSDT market data shown up');
    expect(await page.getByTestId('symage-BTCUSDT').textContent()).toMatch(/^\d+(\.\d)? m?s$/);
    expect(await page.getByTestId('route-public').textContent()).toBe('up');
    // REST order entry: no connection to be down, only the transport is shown.
    expect(await page.getByTestId('stream-orderEntry').textContent()).toBe('REST');
    const first = await bid.textContent();
    // The page follows the market by itself (SSE): the best bid moves.
    await waitFor(() => bid.textContent(), (t) => t !== first, 20_000, 'the best bid to move on the page');
    await page.screenshot({ path: join(SHOTS, 'dashboard-running.png'), fullPage: true });

    // Pause: the symbol's orders are cancelled on the exchange, the page says paused.
    await page.getByTestId('pause-BTCUSDT').click();
    await waitFor(() => page.getByTestId('quoting-BTCUSDT').textContent(), (t) => t === 'paused', 5000, 'paused on the page');
    await waitFor(() => openOrders(lx.base), (o) => o.length === 0, 10_000, 'no open order on the exchange while paused');
    await page.screenshot({ path: join(SHOTS, 'dashboard-paused.png'), fullPage: true });
    // Resume: quoting again.
    await page.getByTestId('pause-BTCUSDT').click();
    await waitFor(() => page.getByTestId('quoting-BTCUSDT').textContent(), (t) => t === 'quoting', 5000, 'quoting on the page');
    await waitFor(() => openOrders(lx.base), (o) => o.length >= 2, 15_000, 'orders back on the exchange');
    expect(logs.some((l) => /pausing BTCUSDT \(dashboard /.test(l))).toBe(true);
    expect(logs.some((l) => /resuming BTCUSDT \(dashboard /.test(l))).toBe(true);

    // Kill switch: two steps, then the confirmed outcome on the page, and nothing left on the exchange.
    await page.getByTestId('kill').click();
    await page.getByTestId('kill-yes').click();
    await waitFor(() => page.getByTestId('kill-outcome').textContent(), (t) => t !== null && /confirmed/.test(t), 20_000, '"confirmed" on the page');
    expect(await page.getByTestId('kill-outcome').textContent()).toMatch(/^kill switch: confirmed/);
    expect(await openOrders(lx.base)).toEqual([]);
    const summary = await session.done;
    expect(summary.exitCode).toBe(0);
    expect(summary.shutdown.reason).toMatch(/^dashboard kill switch/);
    await waitFor(() => page.getByTestId('status').textContent(), (t) => t === 'stopped', 5000, 'stopped on the page');
    // After a confirmed stop the page lists no open order (the venue's answer, not the core's stale view).
    await waitFor(() => page.getByTestId('order').count(), (n) => n === 0, 5000, 'an empty orders table');
    expect(await page.getByTestId('quoting-BTCUSDT').textContent()).toBe('stopped');
    await page.screenshot({ path: join(SHOTS, 'dashboard-killed.png'), fullPage: true });
    console.log(`dashboard screenshots: ${SHOTS}/dashboard-{running,paused,killed}.png`);

    // The pause and resume are journalled operator inputs: the replay gives the same commands.
    const journal = readFileSync(join(session.runDir, 'journal.log'), 'utf8');
    expect(journal).toMatch(/ O \{"action":"pause","symbol":"BTCUSDT"/);
    expect(journal).toMatch(/ O \{"action":"resume","symbol":"BTCUSDT"/);
    const r = replayJournal(session.runDir);
    expect(r.firstDifference).toBeNull();
    expect(r.matched).toBe(r.commands);
    expect(r.end?.reason).toMatch(/^dashboard kill switch/);
    // The token is not in any log line.
    expect(logs.some((l) => l.includes(dash.token))).toBe(false);
  }, 60_000);
});

describe('live dashboard HTTP: tokens, cross-origin, metrics, probes', () => {
  it('refuses a missing or wrong token and cross-origin POSTs (403); serves /metrics with the documented names, /healthz and /readyz', async () => {
    const { lx, url, dash, session, logs } = await setup();
    const post = (path: string, headers: Record<string, string>): Promise<Response> => fetch(`${url}${path}`, { method: 'POST', headers, signal: AbortSignal.timeout(5000) });
    /** A raw request (fetch may not send Host or Sec-Fetch-* as given). */
    const raw = (method: string, path: string, headers: Record<string, string>): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(`${url}${path}`, { method, headers, timeout: 5000 }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.end();
      });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(503); // not trading yet
    await session.start();
    await waitFor(async () => (await fetch(`${url}/readyz`)).status, (s) => s === 200, 15_000, '/readyz 200');
    await waitFor(() => openOrders(lx.base), (o) => o.length >= 2, 15_000, 'quotes on the exchange');

    // Missing token, wrong token, token in the query instead of the header: 403, nothing done.
    expect((await post('/api/kill?confirm=yes', {})).status).toBe(403);
    expect((await post('/api/kill?confirm=yes', { 'X-Maker-Token': 'nope' })).status).toBe(403);
    expect((await post(`/api/kill?confirm=yes&token=${dash.token}`, {})).status).toBe(403);
    expect((await post('/api/pause?symbol=BTCUSDT&paused=true', { 'X-Maker-Token': `${dash.token}x` })).status).toBe(403);
    // Cross-origin, even with the right token: 403.
    expect((await post('/api/kill?confirm=yes', { 'X-Maker-Token': dash.token, Origin: 'http://evil.example' })).status).toBe(403);
    expect(await raw('POST', '/api/pause?symbol=BTCUSDT&paused=true', { 'X-Maker-Token': dash.token, 'Sec-Fetch-Site': 'cross-site' })).toBe(403);
    // A rebinding host name: 403.
    expect(await raw('GET', '/api/state', { 'X-Maker-Token': dash.token, Host: 'evil.example' })).toBe(403);
    // GET is never a control; the stream needs the token too.
    expect((await fetch(`${url}/api/kill?confirm=yes`)).status).toBe(404);
    expect((await fetch(`${url}/events`)).status).toBe(403);
    expect((await fetch(`${url}/api/state`)).status).toBe(403);
    // Without ?confirm=yes the kill switch does nothing; an unknown symbol is a 400 naming it.
    expect((await post('/api/kill', { 'X-Maker-Token': dash.token })).status).toBe(400);
    const bad = await post('/api/pause?symbol=ETHUSDT&paused=true', { 'X-Maker-Token': dash.token });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/ETHUSDT is not traded/);
    expect(session.view()!.stopping).toBe(false);
    expect((await openOrders(lx.base)).length).toBeGreaterThanOrEqual(2);
    expect(logs.filter((l) => /^dashboard: refused/.test(l)).length).toBeGreaterThanOrEqual(6);

    // /api/state with the token: one snapshot.
    const st = (await (await fetch(`${url}/api/state`, { headers: { 'X-Maker-Token': dash.token } })).json()) as { status: string; symbols: { symbol: string; quotes: unknown[] }[]; streams: { orderEntry: unknown } };
    expect(st.status).toBe('running');
    expect(st.symbols[0].symbol).toBe('BTCUSDT');
    expect(st.streams.orderEntry).toEqual({ transport: 'rest' });

    // /metrics: Prometheus text format, every documented name present, and docs/METRICS.md lists them.
    const res = await fetch(`${url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, typed } = parsePrometheusText(await res.text());
    // Every documented metric is declared (a labelled counter with nothing counted yet, such as rejects, has no sample).
    for (const name of LIVE_METRIC_NAMES) expect(typed.has(name), name).toBe(true);
    expect(samples.get('maker_live_orders_sent_total')!.find((s) => s.labels.kind === 'submit')!.value).toBeGreaterThanOrEqual(2);
    expect(samples.get('maker_live_stream_up')!.find((s) => s.labels.stream === 'market')!.value).toBe(1);
    // REST order entry: no orderEntry stream (nothing to be down), downs of the others counted from 0.
    expect(samples.get('maker_live_stream_up')!.map((s) => s.labels.stream)).toEqual(['market', 'user']);
    expect(samples.get('maker_live_stream_downs_total')!.map((s) => [s.labels.stream, s.value])).toEqual([['market', 0], ['user', 0]]);
    // Exactly one trading state is 1.
    expect(samples.get('maker_live_risk_state')!.filter((s) => s.labels.symbol === 'BTCUSDT').map((s) => s.value).sort()).toEqual([0, 0, 1]);
    expect(samples.get('maker_live_position_limit_lots')![0].value).toBeGreaterThan(0);
    expect(samples.get('maker_live_tick_to_order_seconds_count')![0].value).toBeGreaterThan(0);
    expect(samples.get('maker_live_market_events_total')!.some((s) => s.labels.type === 'depth' && s.value > 0)).toBe(true);
    const doc = readFileSync(join(ROOT, 'docs', 'METRICS.md'), 'utf8');
    for (const name of LIVE_METRIC_NAMES) expect(doc, `docs/METRICS.md lists ${name}`).toContain(`\`${name}\``);

    const summary = await session.stop('test done');
    expect(summary.exitCode).toBe(0);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
  }, 60_000);
});

/** A session view with no symbol, every stream up, and `health` over that: enough for the snapshot, /readyz and /metrics. */
function stubView(health: Partial<SessionHealth>): SessionView {
  const none = (): null => null;
  return {
    core: { config: { risk: { maxPositionLots: 10 } } },
    runner: { stats: { sent: { submit: 0, cancel: 0, modify: 0, query: 0 } }, tickToOrder: { summary: none }, reportToCommand: { summary: none } },
    symbols: [],
    instruments: new Map(),
    health: {
      marketUp: true,
      userUp: true,
      accountSynced: true,
      marketLastUs: 0,
      userLastUs: 0,
      marketDowns: 0,
      userDowns: 0,
      marketByType: {},
      lastMarketDown: '',
      lastUserDown: '',
      orderEntryUp: null,
      orderEntrySinceUs: 0,
      orderEntryDowns: 0,
      lastOrderEntryDown: '',
      ...health,
    },
    rest: null,
    userStream: null,
    feed: null,
    throttles: 0,
    runId: 'stub',
    startedUs: 1_700_000_000_000_000,
    stopping: false,
  } as unknown as SessionView;
}

describe('live dashboard: order entry (live.orderEntry: ws)', () => {
  it('snapshot, /readyz and /metrics: REST shows the transport only; ws-fapi up, then down (not ready, the reason), counted', async () => {
    const nowMs = 1_700_000_100_000;
    let view = stubView({});
    const dash = new LiveDashboard({ port: 0, wallUs: () => nowMs * 1000, log: () => {}, processMetrics: false });
    dash.attach({ view: () => view, pause: () => true, stop: () => new Promise(() => {}), done: new Promise(() => {}) });
    const orderEntry = (): unknown => (dash.state.snapshot(nowMs, view, 'running').streams as { orderEntry: unknown }).orderEntry;
    const scrape = async (): Promise<Map<string, Sample[]>> => parsePrometheusText(await dash.metrics.registry.metrics()).samples;
    const entrySample = (m: Map<string, Sample[]>, name: string): number | undefined => m.get(name)?.find((x) => x.labels.stream === 'orderEntry')?.value;

    // REST order entry.
    expect(orderEntry()).toEqual({ transport: 'rest' });
    expect(dash.readiness()).toEqual({ ready: true, reasons: [] });
    let m = await scrape();
    expect(entrySample(m, 'maker_live_stream_up')).toBeUndefined();
    expect(entrySample(m, 'maker_live_stream_downs_total')).toBeUndefined();

    // ws-fapi, open since the start.
    view = stubView({ orderEntryUp: true, orderEntrySinceUs: 1_700_000_000_000_000 });
    expect(orderEntry()).toEqual({ transport: 'ws', up: true, sinceMs: 1_700_000_000_000, downs: 0, lastDown: '' });
    expect(dash.readiness().ready).toBe(true);
    m = await scrape();
    expect(entrySample(m, 'maker_live_stream_up')).toBe(1);
    expect(entrySample(m, 'maker_live_stream_downs_total')).toBe(0);

    // Down for the second time: not ready, with the reason; the gauge 0, the counter 2.
    const why = 'ws-fapi reconnecting: dropped (1006)';
    view = stubView({ orderEntryUp: false, orderEntrySinceUs: 1_700_000_090_000_000, orderEntryDowns: 2, lastOrderEntryDown: why });
    expect(orderEntry()).toEqual({ transport: 'ws', up: false, sinceMs: 1_700_000_090_000, downs: 2, lastDown: why });
    expect(dash.readiness()).toEqual({ ready: false, reasons: [`order entry is down (${why}): the trader holds until it is back`] });
    m = await scrape();
    expect(entrySample(m, 'maker_live_stream_up')).toBe(0);
    expect(entrySample(m, 'maker_live_stream_downs_total')).toBe(2);
    // The other streams are unaffected.
    expect(m.get('maker_live_stream_up')!.filter((x) => x.labels.stream !== 'orderEntry').map((x) => x.value)).toEqual([1, 1]);
  });

  it('end to end: the ws-fapi connection cut, then restored: page, /api/state, /readyz, /metrics and the log say down (the trader holds), then up', async () => {
    let relay!: Awaited<ReturnType<typeof tcpRelay>>;
    const { url, dash, session, logs } = await setup({
      wsApi: async (wsBase) => {
        relay = await tcpRelay(Number(new URL(wsBase).port));
        cleanups.push(() => relay.cut());
        return `ws://127.0.0.1:${relay.port}/ws-fapi/v1`;
      },
    });
    type Entry = { transport: string; up: boolean; sinceMs: number; downs: number; lastDown: string };
    const entry = async (): Promise<Entry> => ((await (await fetch(`${url}/api/state`, { headers: { 'X-Maker-Token': dash.token } })).json()) as { streams: { orderEntry: Entry } }).streams.orderEntry;
    const readyz = async (): Promise<{ status: number; reasons: string[] }> => {
      const r = await fetch(`${url}/readyz`);
      return { status: r.status, reasons: ((await r.json()) as { reasons: string[] }).reasons };
    };
    const metric = async (name: string): Promise<number | undefined> =>
      parsePrometheusText(await (await fetch(`${url}/metrics`)).text()).samples.get(name)?.find((x) => x.labels.stream === 'orderEntry')?.value;
    // The page too, when a browser is here (the HTTP checks run either way).
    const browser = CHROMIUM === null ? null : await (await import('playwright-core')).chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    if (browser !== null) cleanups.push(() => browser.close());
    const page = browser === null ? null : await browser.newPage();
    await page?.goto(`${url}/#token=${dash.token}`);
    const pageText = (id: string) => async (): Promise<string | null> => (page === null ? null : page.getByTestId(id).textContent());

    await session.start();
    await waitFor(readyz, (r) => r.status === 200, 15_000, '/readyz 200');
    const up = await entry();
    expect(up).toMatchObject({ transport: 'ws', up: true, downs: 0, lastDown: '' });
    expect(up.sinceMs).toBeGreaterThan(0);
    expect(await metric('maker_live_stream_up')).toBe(1);
    expect(await metric('maker_live_stream_downs_total')).toBe(0);
    if (page !== null) await waitFor(pageText('stream-orderEntry'), (t) => t === 'up', 10_000, 'order entry shown up');

    // Cut: the connection drops and its reconnects are held silent, so order entry stays down.
    const mark = logs.length;
    relay.hold();
    const down = await waitFor(entry, (e) => !e.up, 10_000, 'order entry down in /api/state');
    expect(down).toMatchObject({ transport: 'ws', up: false, downs: 1 });
    expect(down.lastDown).toMatch(/^ws-fapi reconnecting: /);
    expect(down.sinceMs).toBeGreaterThanOrEqual(up.sinceMs);
    const notReady = await readyz();
    expect(notReady.status).toBe(503);
    expect(notReady.reasons).toContain(`order entry is down (${down.lastDown}): the trader holds until it is back`);
    expect(await metric('maker_live_stream_up')).toBe(0);
    expect(await metric('maker_live_stream_downs_total')).toBe(1);
    // One line says the connection's state and what it means for the trader (not two lines).
    const downLines = logs.slice(mark).filter((l) => /order entry down/.test(l));
    expect(downLines).toHaveLength(1);
    expect(downLines[0]).toMatch(/^ws-fapi reconnecting: .*; order entry down: the trader holds \(no order, amendment, cancel or query; what rests stays\) until it is open again$/);
    if (page !== null) {
      await waitFor(pageText('stream-orderEntry'), (t) => t === 'down, trader holding', 10_000, 'order entry shown down on the page');
      expect(await pageText('orderentry-downs')()).toBe('1');
      expect(await pageText('orderentry-lastdown')()).toBe(down.lastDown);
      expect(await pageText('orderentry-since')()).toMatch(/^down since \d\d:\d\d:\d\d\.\d{3} \(/);
    }

    // Restored: up again, ready again; the down stays counted.
    relay.resume();
    const back = await waitFor(entry, (e) => e.up, 30_000, 'order entry up again in /api/state');
    expect(back).toMatchObject({ up: true, downs: 1, lastDown: down.lastDown });
    expect(back.sinceMs).toBeGreaterThanOrEqual(down.sinceMs);
    expect(logs.slice(mark).filter((l) => /order entry up/.test(l))).toEqual([expect.stringMatching(/^ws-fapi open: .*; order entry up after \d+\.\d s: every symbol decides afresh$/)]);
    await waitFor(readyz, (r) => r.status === 200, 15_000, '/readyz 200 again');
    expect(await metric('maker_live_stream_up')).toBe(1);
    expect(await metric('maker_live_stream_downs_total')).toBe(1);
    if (page !== null) await waitFor(pageText('stream-orderEntry'), (t) => t === 'up', 10_000, 'order entry shown up again on the page');

    const summary = await session.stop('test done');
    expect(summary.exitCode).toBe(0);
  }, 90_000);
});

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the Prometheus text format (0.0.4): HELP/TYPE lines, then `name{l="v",...} value`. */
function parsePrometheusText(text: string): { samples: Map<string, Sample[]>; typed: Set<string> } {
  const out = new Map<string, Sample[]>();
  const typed = new Set<string>();
  const lines = text.split('\n');
  expect(lines[lines.length - 1]).toBe('');
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (m === null) throw new Error(`metrics line ${i + 1}: bad comment ${line}`);
      if (m[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(m[3]);
        typed.add(m[2]);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|NaN|\+Inf|-Inf))$/.exec(line);
    if (m === null) throw new Error(`metrics line ${i + 1}: not a sample: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined && m[2] !== '') {
      for (const part of m[2].match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
        const eq = part.indexOf('=');
        labels[part.slice(0, eq)] = part.slice(eq + 2, -1);
      }
    }
    const base = m[1].replace(/_(bucket|sum|count)$/, '');
    if (!typed.has(m[1]) && !typed.has(base)) throw new Error(`metrics line ${i + 1}: ${m[1]} has no TYPE`);
    const list = out.get(m[1]) ?? [];
    list.push({ labels, value: Number(m[3]) });
    out.set(m[1], list);
  }
  return { samples: out, typed };
}
