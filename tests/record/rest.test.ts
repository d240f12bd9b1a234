// The recorder's REST client against a small HTTP server: it keeps to its weight budget using
// X-MBX-USED-WEIGHT-1M, waits Retry-After on 429/418, and names unknown symbols.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RestClient } from '../../src/record/index.ts';
import { MakerError } from '../../src/core/errors.ts';

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { base: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('record REST client', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('waits Retry-After on 429 and 418, then succeeds', async () => {
    let calls = 0;
    const s = await serve((_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(429, { 'retry-after': '2' }).end('{"code":-1003,"msg":"Too many requests"}');
      else if (calls === 2) res.writeHead(418, { 'retry-after': '3' }).end('{"code":-1003,"msg":"Way too many requests; IP banned until 1"}');
      else res.writeHead(200, { 'x-mbx-used-weight-1m': '25' }).end('{"lastUpdateId":7,"E":1,"T":1,"bids":[],"asks":[]}');
    });
    close = s.close;
    const slept: number[] = [];
    const c = new RestClient({ base: s.base, nowUs: () => 1_000_000, sleep: async (ms) => void slept.push(ms) });
    const snap = await c.snapshot('BTCUSDT');
    expect(snap.lastUpdateId).toBe(7);
    expect(slept).toEqual([2000, 3000]);
    expect(c.throttled).toBe(2);
    expect(c.usedWeight).toBe(25);
  });

  it('does not send a request that would pass its budget this minute: it waits for the next minute', async () => {
    const s = await serve((_req, res) => res.writeHead(200, { 'x-mbx-used-weight-1m': '1190' }).end('{"lastUpdateId":1,"bids":[],"asks":[]}'));
    close = s.close;
    let now = 30_000_000; // 30 s into a minute
    const slept: number[] = [];
    const c = new RestClient({ base: s.base, budget: 1200, nowUs: () => now, sleep: async (ms) => {
      slept.push(ms);
      now += ms * 1000;
    } });
    await c.snapshot('BTCUSDT');
    expect(slept).toEqual([]);
    await c.snapshot('BTCUSDT'); // 1190 + 20 > 1200: wait until the minute ends
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThanOrEqual(30_000);
    expect(slept[0]).toBeLessThan(31_000);
  });

  it('names unknown symbols (checked against exchangeInfo)', async () => {
    const info = { serverTime: 1, symbols: [{ symbol: 'BTCUSDT', filters: [{ filterType: 'PRICE_FILTER', tickSize: '0.1', minPrice: '1', maxPrice: '100000' }, { filterType: 'LOT_SIZE', stepSize: '0.001', minQty: '0.001', maxQty: '100' }] }] };
    const s = await serve((_req, res) => res.writeHead(200).end(JSON.stringify(info)));
    close = s.close;
    const c = new RestClient({ base: s.base, nowUs: () => 0, sleep: async () => {} });
    expect((await c.instruments(['BTCUSDT']))[0].tickSize).toBe('0.1');
    const err = await c.instruments(['BTCUSDT', 'NOPEUSDT', 'FOOUSDT']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MakerError);
    expect((err as MakerError).code).toBe('E_CONFIG');
    expect((err as Error).message).toMatch(/unknown symbols NOPEUSDT, FOOUSDT/);
  });
});
