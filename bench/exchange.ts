/**
 * `maker exchange` under load, on loopback, the server in its own process (as a user runs it) and the
 * clients here:
 * - order round trips per second, REST with keep-alive (node:http Agent, 8 connections, each a loop of
 *   place + cancel of a passive GTX order) and ws-fapi (8 connections, same loop), every request signed;
 * - round-trip latency p50 / p99 of single requests on one connection (REST and ws-fapi);
 * - stream messages per second delivered to 10 subscribers (combined stream of depth@0ms, depth@100ms,
 *   trade, aggTrade and bookTicker with the market replayed 5× faster than real time: at 20× the synthetic market's bursts
 *   outran the server on this shared 2-core machine);
 * - a memory soak: the mixed load (REST, ws-fapi, 10 subscribers) for `soakMs` (default 60 s; 10 min
 *   with `--soak-minutes 10`), the server's heap (after a full GC) and RSS sampled every 10 s after a
 *   warm-up; reported as start, end and the slope of the heap.
 * Rate limits are off in the server (`rateLimits.enforce: false`): Binance's would cap this at
 * 300 orders per 10 s. Run standalone: `node --import tsx bench/exchange.ts [runs] [soakSeconds]`;
 * BENCH_PROF=1 writes CPU profiles of the server processes to /tmp/bench-prof.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { hmacHex } from '../src/exchange-fake/index.ts';
import type { Stat } from './run.ts';

const SELF = fileURLToPath(import.meta.url);
const ACCOUNT = { name: 'bench', apiKey: 'benchKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', secret: 'benchSecret' };
/** Replay speed of the stream phase (the synthetic market's events × this per second). */
const STREAM_SPEED = 5;
const STREAMS = ['btcusdt@depth@0ms', 'btcusdt@depth@100ms', 'btcusdt@trade', 'btcusdt@aggTrade', 'btcusdt@bookTicker'];

interface Mem {
  heapUsed: number;
  rss: number;
}

/** The server side: a local exchange on a free port; answers `mem` (after a GC) and `stats` over IPC. */
async function serve(speed: number): Promise<void> {
  const { ExchangeServer, LocalExchange, syntheticMarket } = await import('../src/exchange-fake/index.ts');
  const { Rng } = await import('../src/core/random.ts');
  const { syntheticInstrument } = await import('../src/synthetic/index.ts');
  const instruments = [syntheticInstrument('BTCUSDT')];
  const ex = new LocalExchange({
    instruments,
    source: syntheticMarket(instruments, 1, Date.now() * 1000, Math.max(3600, 3600 * speed)),
    speed,
    accounts: [ACCOUNT],
    execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } }, funding: { mode: 'off' } },
  });
  const server = new ExchangeServer(ex, [ACCOUNT], { rateLimits: { enforce: false } });
  const port = await server.listen();
  await ex.start();
  process.on('message', (m: string) => {
    if (m === 'mem') {
      (globalThis as { gc?: () => void }).gc?.();
      const u = process.memoryUsage();
      process.send!({ mem: { heapUsed: u.heapUsed, rss: u.rss } });
    } else if (m === 'stats') process.send!({ stats: { messagesSent: server.streams.messagesSent, eventsDelivered: ex.eventsDelivered } });
    else if (m === 'stop') {
      ex.stop();
      void server.close().then(() => process.exit(0));
    }
  });
  process.send!({ port });
}

class Server {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static start(speed: number): Promise<Server> {
    const child = fork(SELF, ['--serve', String(speed)], { execArgv: ['--import', 'tsx', '--expose-gc', ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/bench-prof'] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`exchange server exited (${code})`)));
      child.once('message', (m: { port: number }) => resolve(new Server(child, m.port)));
    });
  }

  private ask<T>(what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the exchange server did not answer "${what}" within 30 s (overloaded?)`)), 30_000);
      this.child.once('message', (m: Record<string, T>) => {
        clearTimeout(timer);
        resolve(m[what]);
      });
      this.child.send(what);
    });
  }

  mem(): Promise<Mem> {
    return this.ask('mem');
  }

  stats(): Promise<{ messagesSent: number; eventsDelivered: number }> {
    return this.ask('stats');
  }

  /** Asks the server to stop; kills it if it has not within 5 s (an overloaded one may never read the message). */
  stop(): Promise<void> {
    this.child.removeAllListeners('exit');
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      this.child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      this.child.send('stop');
    });
  }
}

function sign(params: Record<string, string | number>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) p.set(k, String(v));
  p.set('timestamp', String(Date.now()));
  const payload = p.toString();
  return `${payload}&signature=${hmacHex(ACCOUNT.secret, payload)}`;
}

/** A REST client on keep-alive connections. */
class Rest {
  private readonly agent: Agent;
  constructor(
    private readonly port: number,
    sockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  /** Signed parameters go in the query of a GET, in a form body otherwise (as ccxt sends them). */
  call(method: string, path: string, signedParams?: Record<string, string | number>): Promise<{ status: number; body: string }> {
    const sp = signedParams === undefined ? '' : sign(signedParams);
    const inBody = method !== 'GET' && sp !== '';
    const body = inBody ? sp : '';
    const headers: Record<string, string | number> = { 'x-mbx-apikey': ACCOUNT.apiKey, 'content-length': Buffer.byteLength(body) };
    if (inBody) headers['content-type'] = 'application/x-www-form-urlencoded';
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.port, method, path: inBody || sp === '' ? path : `${path}?${sp}`, agent: this.agent, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A ws-fapi client: requests by id, replies resolved in any order. */
class WsApiClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (m: { status: number }) => void>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { id: number; status: number };
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      w?.(m);
    });
  }

  static open(port: number): Promise<WsApiClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws-fapi/v1?returnRateLimits=false`);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new WsApiClient(ws)));
      ws.once('error', reject);
    });
  }

  call(method: string, params: Record<string, string | number>): Promise<{ status: number }> {
    const p: Record<string, string | number> = { ...params, apiKey: ACCOUNT.apiKey, timestamp: Date.now() };
    p.signature = hmacHex(ACCOUNT.secret, Object.keys(p).sort().map((k) => `${k}=${p[k]}`).join('&'));
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.ws.send(JSON.stringify({ id, method, params: p }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

let cidSeq = 0;
/** A price well under the bid: the GTX buy rests, never fills. */
async function passivePrice(rest: Rest): Promise<string> {
  const t = JSON.parse((await rest.call('GET', '/fapi/v1/ticker/bookTicker?symbol=BTCUSDT')).body) as { bidPrice: string };
  return (Math.floor(Number(t.bidPrice)) - 500).toFixed(1);
}
const order = (price: string, cid: string) => ({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.010', price, newClientOrderId: cid });

/** One place + cancel over REST; two round trips, both timed. */
async function restRoundTrips(rest: Rest, price: string, lat?: number[]): Promise<number> {
  const cid = `b${(cidSeq++).toString(36)}`;
  let t = process.hrtime.bigint();
  const placed = await rest.call('POST', '/fapi/v1/order', order(price, cid));
  if (placed.status !== 200) throw new Error(`place: ${placed.status} ${placed.body}`);
  lat?.push(Number(process.hrtime.bigint() - t) / 1e6);
  t = process.hrtime.bigint();
  const cancelled = await rest.call('DELETE', '/fapi/v1/order', { symbol: 'BTCUSDT', origClientOrderId: cid });
  if (cancelled.status !== 200) throw new Error(`cancel: ${cancelled.status} ${cancelled.body}`);
  lat?.push(Number(process.hrtime.bigint() - t) / 1e6);
  return 2;
}

async function wsRoundTrips(c: WsApiClient, price: string, lat?: number[]): Promise<number> {
  const cid = `w${(cidSeq++).toString(36)}`;
  let t = process.hrtime.bigint();
  const placed = await c.call('order.place', order(price, cid));
  if (placed.status !== 200) throw new Error(`ws place: ${JSON.stringify(placed)}`);
  lat?.push(Number(process.hrtime.bigint() - t) / 1e6);
  t = process.hrtime.bigint();
  const cancelled = await c.call('order.cancel', { symbol: 'BTCUSDT', origClientOrderId: cid });
  if (cancelled.status !== 200) throw new Error(`ws cancel: ${JSON.stringify(cancelled)}`);
  lat?.push(Number(process.hrtime.bigint() - t) / 1e6);
  return 2;
}

/** Runs `workers` loops of `step` for `ms`; returns round trips per second. */
async function sustained(workers: number, ms: number, step: (w: number) => Promise<number>): Promise<number> {
  const end = Date.now() + ms;
  const t0 = process.hrtime.bigint();
  let n = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      // Not `n += await step(w)`: that reads n before the await, and concurrent workers overwrite
      // each other's counts (it under-counted 8 connections about 8-fold).
      while (Date.now() < end) {
        const k = await step(w);
        n += k;
      }
    }),
  );
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

function subscribers(port: number, n: number): Promise<{ count: () => number; close: () => void }> {
  let count = 0;
  const conns = Array.from({ length: n }, () => new WebSocket(`ws://127.0.0.1:${port}/stream?streams=${STREAMS.join('/')}`));
  for (const ws of conns) ws.on('message', () => count++);
  return Promise.all(conns.map((ws) => new Promise((r, j) => (ws.once('open', r), ws.once('error', j))))).then(() => ({
    count: () => count,
    close: () => conns.forEach((ws) => ws.close()),
  }));
}

const stat = (xs: number[]): Stat => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};

export interface ExchangeBenchResult {
  restRoundTripsPerSec: Stat;
  wsRoundTripsPerSec: Stat;
  restP50Ms: Stat;
  restP99Ms: Stat;
  wsP50Ms: Stat;
  wsP99Ms: Stat;
  streamMessagesPerSec: Stat;
  soak: { seconds: number; samples: Mem[]; heapStartMB: number; heapEndMB: number; heapSlopeMBPerMin: number; rssStartMB: number; rssEndMB: number; roundTrips: number; streamMessages: number };
}

export async function benchExchange(o: { runs: number; soakMs?: number; phaseMs?: number; log?: (s: string) => void }): Promise<ExchangeBenchResult> {
  const log = o.log ?? (() => {});
  const phase = o.phaseMs ?? 5_000;
  const r = { rest: [] as number[], ws: [] as number[], rp50: [] as number[], rp99: [] as number[], wp50: [] as number[], wp99: [] as number[], streams: [] as number[] };
  const srv = await Server.start(1);
  try {
    const rest = new Rest(srv.port, 8);
    const price = await passivePrice(rest);
    const wsc = await Promise.all(Array.from({ length: 8 }, () => WsApiClient.open(srv.port)));
    await sustained(8, 1_000, () => restRoundTrips(rest, price)); // warm-up
    await sustained(8, 1_000, (w) => wsRoundTrips(wsc[w], price));
    for (let i = 0; i < o.runs; i++) {
      r.rest.push(await sustained(8, phase, () => restRoundTrips(rest, price)));
      r.ws.push(await sustained(8, phase, (w) => wsRoundTrips(wsc[w], price)));
      const rl: number[] = [];
      await sustained(1, phase / 2, () => restRoundTrips(rest, price, rl));
      r.rp50.push(percentile(rl, 0.5));
      r.rp99.push(percentile(rl, 0.99));
      const wl: number[] = [];
      await sustained(1, phase / 2, () => wsRoundTrips(wsc[0], price, wl));
      r.wp50.push(percentile(wl, 0.5));
      r.wp99.push(percentile(wl, 0.99));
      log(`  run ${i + 1}: REST ${r.rest[i].toFixed(0)}/s, ws-fapi ${r.ws[i].toFixed(0)}/s, p50/p99 REST ${r.rp50[i].toFixed(2)}/${r.rp99[i].toFixed(2)} ms, ws ${r.wp50[i].toFixed(2)}/${r.wp99[i].toFixed(2)} ms`);
    }
    rest.close();
    for (const c of wsc) c.close();
  } finally {
    await srv.stop();
  }

  const fast = await Server.start(STREAM_SPEED);
  try {
    const subs = await subscribers(fast.port, 10);
    await new Promise((res) => setTimeout(res, 1_000));
    for (let i = 0; i < o.runs; i++) {
      const c0 = subs.count();
      const s0 = await fast.stats();
      const t0 = process.hrtime.bigint();
      await new Promise((res) => setTimeout(res, phase));
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      const s1 = await fast.stats();
      r.streams.push((subs.count() - c0) / secs);
      log(`  run ${i + 1}: streams ${r.streams[i].toFixed(0)} messages/s delivered to 10 subscribers (server sent ${((s1.messagesSent - s0.messagesSent) / secs).toFixed(0)}/s, market ${((s1.eventsDelivered - s0.eventsDelivered) / secs).toFixed(0)} events/s)`);
    }
    subs.close();
  } finally {
    await fast.stop();
  }

  const soak = await runSoak(o.soakMs ?? 60_000, log);
  return {
    restRoundTripsPerSec: stat(r.rest), wsRoundTripsPerSec: stat(r.ws), restP50Ms: stat(r.rp50), restP99Ms: stat(r.rp99), wsP50Ms: stat(r.wp50), wsP99Ms: stat(r.wp99),
    streamMessagesPerSec: stat(r.streams), soak,
  };
}

/** The mixed load for `ms`; the server's memory sampled every 10 s after a warm-up of a quarter (at most 60 s). */
async function runSoak(ms: number, log: (s: string) => void): Promise<ExchangeBenchResult['soak']> {
  const srv = await Server.start(1);
  try {
    const rest = new Rest(srv.port, 4);
    const price = await passivePrice(rest);
    const wsc = await Promise.all(Array.from({ length: 2 }, () => WsApiClient.open(srv.port)));
    const subs = await subscribers(srv.port, 10);
    const warm = Math.min(60_000, ms / 4);
    const end = Date.now() + ms;
    let roundTrips = 0;
    let stop = false;
    const load = Promise.all([
      ...Array.from({ length: 4 }, async () => {
        while (!stop) {
          const k = await restRoundTrips(rest, price);
          roundTrips += k;
        }
      }),
      ...wsc.map(async (c) => {
        while (!stop) {
          const k = await wsRoundTrips(c, price);
          roundTrips += k;
        }
      }),
    ]);
    await new Promise((res) => setTimeout(res, warm));
    const samples: Mem[] = [];
    const times: number[] = [];
    const t0 = Date.now();
    for (;;) {
      samples.push(await srv.mem());
      times.push((Date.now() - t0) / 60_000);
      const last = samples[samples.length - 1];
      log(`  soak ${((Date.now() - t0 + warm) / 1000).toFixed(0)} s: heap ${(last.heapUsed / 2 ** 20).toFixed(1)} MB, RSS ${(last.rss / 2 ** 20).toFixed(1)} MB, ${roundTrips} round trips`);
      if (Date.now() >= end) break;
      await new Promise((res) => setTimeout(res, Math.min(10_000, Math.max(0, end - Date.now()))));
    }
    stop = true;
    await load;
    const streamMessages = subs.count();
    subs.close();
    rest.close();
    for (const c of wsc) c.close();
    const mb = (b: number) => b / 2 ** 20;
    return {
      seconds: ms / 1000,
      samples,
      heapStartMB: mb(samples[0].heapUsed),
      heapEndMB: mb(samples[samples.length - 1].heapUsed),
      heapSlopeMBPerMin: slope(times, samples.map((s) => mb(s.heapUsed))),
      rssStartMB: mb(samples[0].rss),
      rssEndMB: mb(samples[samples.length - 1].rss),
      roundTrips,
      streamMessages,
    };
  } finally {
    await srv.stop();
  }
}

/** Least-squares slope. */
function slope(x: number[], y: number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (x[i] - mx) * (y[i] - my);
    den += (x[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--serve') await serve(Number(process.argv[3]));
  else {
    const r = await benchExchange({ runs: Number(process.argv[2] ?? 3), soakMs: Number(process.argv[3] ?? 60) * 1000, log: (s) => process.stderr.write(`${s}\n`) });
    console.log(JSON.stringify(r, (k, v) => (k === 'samples' ? undefined : v), 1));
  }
}
