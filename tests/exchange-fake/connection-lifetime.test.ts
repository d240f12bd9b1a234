// Binance closes every stream and ws-fapi connection after 24 h; the local exchange does the same at
// a configurable lifetime (seconds here): a close frame (1000), not a dropped socket, at the limit
// and not before.
import WebSocket from 'ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startExchangeWith } from './start-with.ts';

let h: Awaited<ReturnType<typeof startExchangeWith>>;
const LIFETIME_MS = 1_500;

beforeAll(async () => {
  h = await startExchangeWith({ streams: { maxConnectionMs: LIFETIME_MS } });
}, 30_000);

afterAll(async () => {
  await h?.close();
});

function lifetime(path: string, send?: string): Promise<{ code: number; reason: string; afterMs: number; messages: number; openAtLimitMinus: boolean }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${h.wsBase}${path}`);
    let opened = 0;
    let messages = 0;
    let openBefore = false;
    ws.on('message', () => messages++);
    ws.once('open', () => {
      opened = Date.now();
      if (send !== undefined) ws.send(send);
      setTimeout(() => (openBefore = ws.readyState === WebSocket.OPEN), LIFETIME_MS - 300);
    });
    ws.once('error', reject);
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason), afterMs: Date.now() - opened, messages, openAtLimitMinus: openBefore }));
  });
}

it('a market stream connection and a ws-fapi connection are closed with a close frame at the configured lifetime', async () => {
  const [stream, api] = await Promise.all([
    lifetime('/public/stream?streams=btcusdt@bookTicker'),
    lifetime('/ws-fapi/v1', JSON.stringify({ id: 1, method: 'userDataStream.ping', params: {} })),
  ]);
  for (const c of [stream, api]) {
    expect(c.code).toBe(1000); // a close frame with its code; a dropped socket reports 1006
    expect(c.reason).toBe('connection lifetime reached');
    expect(c.openAtLimitMinus).toBe(true);
    expect(c.afterMs).toBeGreaterThanOrEqual(LIFETIME_MS - 50);
    expect(c.afterMs).toBeLessThan(LIFETIME_MS + 3_000);
  }
  expect(stream.messages).toBeGreaterThan(0);
  expect(api.messages).toBe(1);
  expect(h.server.streams.connections).toBe(0);
}, 15_000);
