/**
 * `maker live` on loopback against `maker exchange` (issue 12 "Performance"): the exchange in its own
 * process (`maker exchange --port 0 --json --speed S --rate-limits off`, the synthetic BTCUSDT market
 * replayed S× faster than real time), the live session (quickstart scenario: market feed, REST
 * gateway, user-data stream, runner, journal) in this one. Reports:
 * - tick-to-order: a market event handed to the runner → the last command of the core's answer
 *   handed to the gateway (the request is signed and written by the gateway right after, in the same
 *   turn of the event loop), p50 / p99 / max, ms;
 * - report-to-command: the same for venue events (execution reports, snapshots) that gave commands;
 * - this process's heap (after a full GC when run with --expose-gc) sampled every 10 s after a
 *   30 s warm-up: start, end, slope (MB/min) — memory must stay flat over a long accelerated session.
 * With `dashboardClients` > 0 (issue 13): the session also serves its dashboard, and that many SSE
 * clients connect to /events; `slowClients` of them never read (their sockets fill, the server
 * keeps at most one unsent snapshot for each and cuts them after 10 s blocked). The result adds
 * what the clients received and the server's SSE counters; compare tick-to-order with a run
 * without clients (`bench/run.ts --only live-dashboard` runs both).
 * Standalone: `node --import tsx bench/live.ts [seconds] [speed] [dashboard clients] [slow clients]`
 * (default 120 s at 10×: 20 minutes of market; 360 s at 10× is the accelerated hour).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');

/** argv: host port token n slow. Opens n SSE streams (the first `slow` never read); on SIGTERM prints {frames, bytes} read. */
const SSE_CLIENTS = `
const http = require('node:http');
const [host, port, token, n, slow] = process.argv.slice(1);
const got = { frames: 0, bytes: 0 };
for (let i = 0; i < Number(n); i++) {
  const req = http.get({ host, port, path: '/events?token=' + token }, (res) => {
    if (i < Number(slow)) return void res.pause();
    res.on('data', (d) => { got.bytes += d.length; for (let k = d.indexOf('event: state'); k !== -1; k = d.indexOf('event: state', k + 1)) got.frames++; });
  });
  req.on('error', () => {});
}
process.on('SIGTERM', () => { process.stdout.write(JSON.stringify(got) + '\\n'); process.exit(0); });
`;

export interface LiveBenchResult {
  seconds: number;
  speed: number;
  marketEvents: number;
  commands: number;
  reports: number;
  tickToOrder: { n: number; p50: number; p99: number; max: number } | null;
  reportToCommand: { n: number; p50: number; p99: number; max: number } | null;
  heapStartMB: number;
  heapEndMB: number;
  heapSlopeMBPerMin: number;
  exitCode: number;
  replayMatched: boolean;
  /** With dashboard clients: what they received and the server's SSE counters. */
  dashboard?: { clients: number; slowClients: number; framesReceived: number; bytesReceived: number; server: Record<string, number> };
  /** The machine's 1-minute load average at the start and the end, and its CPU count. */
  load: { start: number; end: number; cpus: number };
}

function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export async function benchLive(o: { seconds: number; speed: number; log: (l: string) => void; dashboardClients?: number; slowClients?: number }): Promise<LiveBenchResult> {
  const { LiveDashboard, LiveMarketFeed, LiveSession, replayJournal, wallTimers } = await import('../src/live/index.ts');
  const loadStart = loadavg()[0];
  const { parseScenario } = await import('../src/scenario/index.ts');
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'maker.js'), 'exchange', '--port', '0', '--json', '--speed', String(o.speed), '--rate-limits', 'off'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    const t = setTimeout(() => reject(new Error('maker exchange did not start within 30 s')), 30_000);
    rl.once('line', (l) => {
      clearTimeout(t);
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`maker exchange exited with ${code}`)));
  });
  const info = JSON.parse(first) as { rest: string; ws: string; accounts: { apiKey: string; secret: string }[] };
  const out = mkdtempSync(join(tmpdir(), 'maker-bench-live-'));
  const text = readFileSync(join(ROOT, 'scenarios', 'quickstart.yaml'), 'utf8');
  const set = ['live.syncMs=1000'];
  const nClients = o.dashboardClients ?? 0;
  const dash = nClients > 0 ? new LiveDashboard({ port: 0, wallUs: () => Date.now() * 1000, log: (l) => o.log(`  dashboard: ${l}`), processMetrics: false }) : undefined;
  let clients: ChildProcess | undefined;
  let clientsDone: Promise<string> | undefined;
  let received = { frames: 0, bytes: 0 };
  try {
    const session = new LiveSession({
      scenario: parseScenario(text, 'quickstart.yaml', { set }),
      scenarioText: text,
      overrides: set,
      rest: info.rest,
      ws: info.ws,
    wsApi: `${info.ws}/ws-fapi/v1`,
      credentials: { apiKey: info.accounts[0].apiKey, secret: info.accounts[0].secret, keyType: 'HMAC' },
      out,
      paper: false,
      feed: (f) => new LiveMarketFeed(f),
      wallUs: () => Date.now() * 1000,
      timers: wallTimers,
      log: (l) => o.log(`  live: ${l}`),
      serverOffsetMs: 0,
      onTrader: dash === undefined ? undefined : (core) => dash.onTrader(core),
      onLatency: dash === undefined ? undefined : (k, ms) => dash.onLatency(k, ms),
    });
    if (dash !== undefined) {
      dash.attach(session);
      const url = new URL(await dash.listen());
      // The clients live in their own process (as browsers do): their reading costs this loop nothing.
      clients = spawn(process.execPath, ['-e', SSE_CLIENTS, url.hostname, url.port, dash.token, String(nClients), String(o.slowClients ?? 0)], { stdio: ['ignore', 'pipe', 'inherit'] });
      clientsDone = new Promise((resolve) => {
        let text = '';
        clients!.stdout!.on('data', (d: Buffer) => (text += d.toString()));
        clients!.on('close', () => resolve(text));
      });
    }
    await session.start();
    // A full GC before each heap sample (without --expose-gc on the command line).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (() => void) | undefined;
    const xs: number[] = [];
    const ys: number[] = [];
    const t0 = Date.now();
    const warmMs = Math.min(30_000, (o.seconds * 1000) / 4);
    while (Date.now() - t0 < o.seconds * 1000) {
      await new Promise((r) => setTimeout(r, Math.min(10_000, o.seconds * 1000 - (Date.now() - t0))));
      const el = Date.now() - t0;
      if (el < warmMs) continue;
      gc?.();
      xs.push(el / 60_000);
      ys.push(process.memoryUsage().heapUsed / 1e6);
    }
    const server = dash?.sseStats();
    if (clients !== undefined) {
      clients.kill('SIGTERM');
      received = JSON.parse((await clientsDone!).trim() || '{"frames":0,"bytes":0}') as typeof received;
      clients = undefined;
    }
    const summary = await session.stop('bench done');
    const r = replayJournal(session.runDir);
    return {
      seconds: o.seconds,
      speed: o.speed,
      marketEvents: summary.runner.marketEvents,
      commands: summary.runner.commands,
      reports: summary.core.reports,
      tickToOrder: summary.latencyMs.tickToOrder as LiveBenchResult['tickToOrder'],
      reportToCommand: summary.latencyMs.reportToCommand as LiveBenchResult['reportToCommand'],
      heapStartMB: ys[0] ?? NaN,
      heapEndMB: ys[ys.length - 1] ?? NaN,
      heapSlopeMBPerMin: slope(xs, ys),
      exitCode: summary.exitCode,
      replayMatched: r.firstDifference === null && r.matched === r.commands,
      dashboard: server === undefined ? undefined : { clients: nClients, slowClients: o.slowClients ?? 0, framesReceived: received.frames, bytesReceived: received.bytes, server },
      load: { start: loadStart, end: loadavg()[0], cpus: cpus().length },
    };
  } finally {
    clients?.kill('SIGKILL');
    await dash?.close();
    child.kill('SIGTERM');
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seconds = Number(process.argv[2] ?? 120);
  const speed = Number(process.argv[3] ?? 10);
  const dashboardClients = Number(process.argv[4] ?? 0);
  const slowClients = Number(process.argv[5] ?? 0);
  benchLive({ seconds, speed, dashboardClients, slowClients, log: (l) => process.stderr.write(`${l}\n`) }).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`bench/live: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
