// A diff the exchange never sent (the `pu` chain breaks on a live connection): the recorder marks a
// `chain-break` gap with both edges and takes a new snapshot; a replay re-syncs from it.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { Recorder } from '../../src/record/index.ts';
import { openStore, readMeta } from '../../src/store/index.ts';
import { readStore, tempDir, VENUE, waitFor } from './helpers.ts';

const INFO = { serverTime: 1, symbols: [{ symbol: 'BTCUSDT', filters: [{ filterType: 'PRICE_FILTER', tickSize: '0.1', minPrice: '1', maxPrice: '1000000' }, { filterType: 'LOT_SIZE', stepSize: '0.001', minQty: '0.001', maxQty: '1000' }] }] };
const E0 = 1_764_000_000_000;
const diff = (U: number, u: number, pu: number, px: string) => JSON.stringify({ stream: 'btcusdt@depth@100ms', data: { e: 'depthUpdate', E: E0 + u, T: E0 + u, s: 'BTCUSDT', U, u, pu, b: [[px, '1.000']], a: [] } });

describe('maker record: a broken pu chain', () => {
  const out = tempDir('chain');
  afterAll(() => out.cleanup());

  it('marks a chain-break gap (last u before, first u after) and re-snapshots', async () => {
    const snapshots = [100, 205];
    let depthCalls = 0;
    const http = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/fapi/v1/exchangeInfo') return res.writeHead(200).end(JSON.stringify(INFO));
      if (path === '/fapi/v1/time') return res.writeHead(200).end(JSON.stringify({ serverTime: Date.now() }));
      if (path === '/fapi/v1/depth') {
        const id = snapshots[Math.min(depthCalls++, snapshots.length - 1)];
        return res.writeHead(200).end(JSON.stringify({ lastUpdateId: id, E: E0 + id, T: E0 + id, bids: [['59999.0', '2.000']], asks: [['60001.0', '2.000']] }));
      }
      res.writeHead(404).end();
    });
    const wss = new WebSocketServer({ server: http });
    let sock: import('ws').WebSocket | undefined;
    wss.on('connection', (ws, req) => {
      if ((req.url ?? '').startsWith('/public/')) sock = ws;
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    const rec = new Recorder({ symbols: ['BTCUSDT'], rest: base, ws: base.replace('http', 'ws'), out: out.dir, streams: { depthSpeed: '100ms', trade: false, aggTrade: false, bookTicker: false, markPrice: false }, flushMs: 50 });
    try {
      await rec.start();
      await waitFor('the stream connection', () => sock !== undefined, 5_000);
      sock!.send(diff(95, 101, 94, '59990.0'));
      await waitFor('the first snapshot', () => rec.status().snapshots === 1, 5_000);
      sock!.send(diff(102, 103, 101, '59991.0'));
      sock!.send(diff(104, 105, 103, '59992.0'));
      // 106..107 never sent
      sock!.send(diff(108, 110, 107, '59993.0'));
      await waitFor('the second snapshot', () => rec.status().snapshots === 2, 5_000);
      sock!.send(diff(206, 207, 110, '59994.0'));
      sock!.send(diff(208, 209, 207, '59995.0'));
      await waitFor('the last diff', () => rec.status().streams['BTCUSDT/depth']?.messages === 6, 5_000);
    } finally {
      await rec.stop();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
    }
    expect(rec.error).toBeUndefined();
    expect(rec.status().resyncs).toBe(1);
    const store = await openStore(out.dir);
    const gaps = store.dates(VENUE, 'BTCUSDT').flatMap((d) => readMeta(join(out.dir, VENUE, 'BTCUSDT', d))!.recording?.gaps ?? []);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ symbol: 'BTCUSDT', stream: 'depth', reason: 'chain-break', before: { id: 105, tsExchangeUs: (E0 + 105) * 1000 }, after: { id: 110, tsExchangeUs: (E0 + 110) * 1000 } });
    const S2 = await readStore(out.dir);
    expect(S2.map((e) => (e.type === 'snapshot' ? `S${e.lastUpdateId}` : e.type === 'depth' ? `d${e.finalUpdateId}` : e.type))).toEqual(['d101', 'S100', 'd103', 'd105', 'd110', 'S205', 'd207', 'd209']);
  }, 30_000);
});
