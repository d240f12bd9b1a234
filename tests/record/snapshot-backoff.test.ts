// maker record's depth snapshot retries back off (250 ms doubling to maxBackoffMs, per symbol): a
// snapshot too old to bridge the first recorded diff, and a snapshot request that fails (HTTP 400),
// are asked again after the backoff, not every 250 ms nor at every diff (a depth snapshot of 1000
// levels weighs 20: at 4 a second the minute's budget is gone in 15 s). A stub venue on loopback
// records when each snapshot request came.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { Recorder } from '../../src/record/index.ts';
import { tempDir, waitFor } from './helpers.ts';

const INFO = { serverTime: 1, symbols: [{ symbol: 'BTCUSDT', filters: [{ filterType: 'PRICE_FILTER', tickSize: '0.1', minPrice: '1', maxPrice: '1000000' }, { filterType: 'LOT_SIZE', stepSize: '0.001', minQty: '0.001', maxQty: '1000' }] }] };
const E0 = 1_764_000_000_000;
const diff = (U: number, u: number, pu: number) => JSON.stringify({ stream: 'btcusdt@depth@100ms', data: { e: 'depthUpdate', E: E0 + u, T: E0 + u, s: 'BTCUSDT', U, u, pu, b: [['59990.0', '1.000']], a: [] } });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A stub venue: exchangeInfo, time, and depth answered by `depth`; the time (ms) of every depth request. */
async function stubVenue(depth: () => { status: number; body: unknown }) {
  const depthAt: number[] = [];
  const http: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/fapi/v1/exchangeInfo') return res.writeHead(200).end(JSON.stringify(INFO));
    if (path === '/fapi/v1/time') return res.writeHead(200).end(JSON.stringify({ serverTime: Date.now() }));
    if (path === '/fapi/v1/depth') {
      depthAt.push(Date.now());
      const r = depth();
      return res.writeHead(r.status).end(JSON.stringify(r.body));
    }
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server: http });
  const box: { sock?: WebSocket } = {};
  wss.on('connection', (ws, req) => {
    if ((req.url ?? '').startsWith('/public/')) box.sock = ws;
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
    await new Promise<void>((r) => http.close(() => r()));
  });
  const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  return { base, depthAt, box };
}

async function recorder(base: string) {
  const out = tempDir('snapshot-backoff');
  cleanups.push(() => out.cleanup());
  const rec = new Recorder({ symbols: ['BTCUSDT'], rest: base, ws: base.replace('http', 'ws'), out: out.dir, streams: { depthSpeed: '100ms', trade: false, aggTrade: false, bookTicker: false, markPrice: false }, flushMs: 50, maxBackoffMs: 1_000 });
  cleanups.push(() => rec.stop());
  await rec.start();
  return rec;
}

const gaps = (at: number[]) => at.slice(1).map((t, i) => t - at[i]);

describe('maker record: depth snapshot retries back off', () => {
  it('a stale snapshot is asked again after 250, 500, 1000, 1000 ms (maxBackoffMs 1000)', async () => {
    const v = await stubVenue(() => ({ status: 200, body: { lastUpdateId: 50, E: E0, T: E0, bids: [['59999.0', '2.000']], asks: [['60001.0', '2.000']] } }));
    const rec = await recorder(v.base);
    await waitFor('the stream connection', () => v.box.sock !== undefined, 5_000);
    v.box.sock!.send(diff(95, 101, 94));
    await waitFor('five snapshot requests', () => v.depthAt.length >= 5, 8_000);
    const g = gaps(v.depthAt.slice(0, 5));
    const want = [250, 500, 1000, 1000];
    for (let i = 0; i < want.length; i++) {
      expect(g[i], `gaps ${g}`).toBeGreaterThanOrEqual(want[i] - 25);
      expect(g[i], `gaps ${g}`).toBeLessThan(want[i] + 400);
    }
    expect(rec.status().staleSnapshots).toBeGreaterThanOrEqual(4);
    expect(rec.status().snapshots).toBe(0);
  }, 20_000);

  it('a failed snapshot request is asked again after the backoff, not at every diff', async () => {
    const v = await stubVenue(() => ({ status: 400, body: { code: -1100, msg: 'Illegal characters found in parameter' } }));
    await recorder(v.base);
    await waitFor('the stream connection', () => v.box.sock !== undefined, 5_000);
    // A diff every 50 ms for 1.6 s, the chain intact: 32 diffs.
    let u = 101;
    v.box.sock!.send(diff(95, u, 94));
    const t0 = Date.now();
    while (Date.now() - t0 < 1_600) {
      await new Promise((r) => setTimeout(r, 50));
      v.box.sock!.send(diff(u + 1, u + 2, u));
      u += 2;
    }
    // Asked at the first diff, then at the first diff after 250 ms, after 500 ms more, after 1 s more: 3 or 4 by now.
    expect(v.depthAt.length, `requests at ${gaps(v.depthAt)}`).toBeGreaterThanOrEqual(2);
    expect(v.depthAt.length, `requests at ${gaps(v.depthAt)}`).toBeLessThanOrEqual(4);
    const g = gaps(v.depthAt);
    expect(g[0]).toBeGreaterThanOrEqual(240);
    if (g.length > 1) expect(g[1]).toBeGreaterThanOrEqual(490);
  }, 20_000);
});
