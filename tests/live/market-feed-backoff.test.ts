// maker live's market feed asks a stale depth snapshot again after a backoff (250 ms doubling to
// maxBackoffMs, shared with failed requests, reset by a delivered snapshot), not every 250 ms (a
// snapshot of 1000 levels weighs 20: at 4 a second the feed's minute budget is gone in 15 s and
// the book stays down until the next minute). A stub venue on loopback serves a snapshot older than
// the first diff until the test lets it serve a fresh one, and records when each request came.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { LiveMarketFeed } from '../../src/live/index.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';

const E0 = 1_764_000_000_000;
const diff = (U: number, u: number, pu: number) => JSON.stringify({ stream: 'btcusdt@depth@100ms', data: { e: 'depthUpdate', E: E0 + u, T: E0 + u, s: 'BTCUSDT', U, u, pu, b: [['59990.0', '1.000']], a: [] } });
const snapshot = (id: number) => ({ lastUpdateId: id, E: E0 + id, T: E0 + id, bids: [['59999.0', '2.000']], asks: [['60001.0', '2.000']] });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function waitFor(what: string, cond: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('maker live market feed: stale snapshots back off', () => {
  it('asked again after 250, 500, 1000, 1000 ms (maxBackoffMs 1000); a fresh one is delivered and the backoff starts over', async () => {
    const depthAt: number[] = [];
    let snapshotId = 50; // older than the first diff (U 95, pu 94): cannot be bridged
    const http: Server = createServer((req, res) => {
      if ((req.url ?? '').split('?')[0] === '/fapi/v1/depth') {
        depthAt.push(Date.now());
        return res.writeHead(200).end(JSON.stringify(snapshot(snapshotId)));
      }
      res.writeHead(404).end();
    });
    const wss = new WebSocketServer({ server: http });
    let sock: WebSocket | undefined;
    wss.on('connection', (ws) => (sock = ws));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
    });
    const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    const events: MarketEvent[] = [];
    const logs: string[] = [];
    const feed = new LiveMarketFeed({
      rest: base,
      ws: base.replace('http', 'ws'),
      instruments: new Map([['BTCUSDT', syntheticInstrument('BTCUSDT')]]),
      streams: { depth: 'depth@100ms', bookTicker: false, trade: false, aggTrade: false, markPrice: false },
      clockUs: () => Date.now() * 1000,
      onMarket: (e) => events.push(e),
      onStreamState: () => undefined,
      log: (l) => logs.push(l),
      maxBackoffMs: 1_000,
    });
    cleanups.push(() => feed.stop());
    feed.start();
    await waitFor('the stream connection', () => sock !== undefined, 5_000);
    sock!.send(diff(95, 101, 94));
    await waitFor('five snapshot requests', () => depthAt.length >= 5, 8_000);
    const gaps = depthAt.slice(1, 5).map((t, i) => t - depthAt[i]);
    const want = [250, 500, 1000, 1000];
    for (let i = 0; i < want.length; i++) {
      expect(gaps[i], `gaps ${gaps}`).toBeGreaterThanOrEqual(want[i] - 25);
      expect(gaps[i], `gaps ${gaps}`).toBeLessThan(want[i] + 400);
    }
    expect(logs.some((l) => /older than the first diff since the break .*asked again in 1000 ms/.test(l))).toBe(true);
    // The venue catches up: the next request is delivered.
    snapshotId = 100;
    await waitFor('the snapshot delivered', () => events.some((e) => e.type === 'snapshot'), 3_000);
    expect(feed.stats.snapshots).toBe(1);
    expect(feed.stats.staleSnapshots).toBeGreaterThanOrEqual(4);
    // A new break starts the backoff over at 250 ms.
    const before = depthAt.length;
    snapshotId = 50;
    sock!.send(diff(300, 310, 299));
    await waitFor('two more requests', () => depthAt.length >= before + 2, 3_000);
    expect(depthAt[before + 1] - depthAt[before]).toBeLessThan(500);
  }, 20_000);
});
