// A WebSocket handshake the venue answers 429/418 with Retry-After: the client reconnects no sooner
// than Retry-After, bounded by HANDSHAKE_RETRY_AFTER_MAX_MS (1 h). Both clients: the market
// streams' RouteStream (maker record, maker live's feed) and the ws-fapi order entry client. A stub
// HTTP server on loopback answers every upgrade with the refusal; the timers are recorded (the
// waits the clients ask for) and fired by hand, so nothing waits in wall time.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HANDSHAKE_RETRY_AFTER_MAX_MS, handshakeRetryAfterMs, RouteStream, Signer, WsApiClient, type Timers } from '../../../src/adapter/binance/index.ts';

/** Timers recorded, fired by hand. */
class ManualTimers implements Timers {
  private next = 0;
  readonly pending = new Map<number, { ms: number; f: () => void }>();
  after(ms: number, f: () => void): unknown {
    this.pending.set(++this.next, { ms, f });
    return this.next;
  }
  cancel(h: unknown): void {
    this.pending.delete(h as number);
  }
  waits(): number[] {
    return [...this.pending.values()].map((t) => t.ms);
  }
  /** Fires the one pending timer of `ms`. */
  fire(ms: number): void {
    const e = [...this.pending.entries()].find(([, t]) => t.ms === ms);
    if (e === undefined) throw new Error(`no timer of ${ms} ms (pending: ${this.waits()})`);
    this.pending.delete(e[0]);
    e[1].f();
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server that answers every WebSocket upgrade with `status` and these headers; counts them. */
async function refusingServer(status: number, headers: Record<string, string>) {
  const upgrades: string[] = [];
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket) => {
    upgrades.push(req.url ?? '');
    const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.end(`HTTP/1.1 ${status} Refused\r\n${head}Content-Length: 0\r\nConnection: close\r\n\r\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, upgrades };
}

async function until(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  for (let t = 0; !cond(); t += 5) {
    if (t > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('handshakeRetryAfterMs', () => {
  it('seconds to ms, bounded by 1 h; absent or unreadable: undefined', () => {
    expect(handshakeRetryAfterMs('7')).toBe(7_000);
    expect(handshakeRetryAfterMs('0.5')).toBe(500);
    expect(handshakeRetryAfterMs(['3'])).toBe(3_000);
    expect(handshakeRetryAfterMs('999999999')).toBe(HANDSHAKE_RETRY_AFTER_MAX_MS);
    expect(HANDSHAKE_RETRY_AFTER_MAX_MS).toBe(3_600_000);
    for (const v of [undefined, '', 'soon', '-1', 'Wed, 21 Oct 2015 07:28:00 GMT']) expect(handshakeRetryAfterMs(v)).toBeUndefined();
  });
});

describe('market streams (RouteStream): a refused handshake', () => {
  async function refusedOnce(status: number, retryAfter: string | undefined) {
    const srv = await refusingServer(status, retryAfter === undefined ? {} : { 'Retry-After': retryAfter });
    const timers = new ManualTimers();
    const drops: { detail: string; waitMs: number }[] = [];
    const rs = new RouteStream({ route: 'public', url: `${srv.url}/public/stream?streams=btcusdt@depth`, nowUs: () => Date.now() * 1000, timers, onMessage: () => undefined, onDrop: (_why, detail, waitMs) => drops.push({ detail, waitMs }) });
    cleanups.push(() => rs.close());
    rs.start();
    await until('the refusal', () => drops.length === 1);
    return { srv, timers, drops, rs };
  }

  it('429 with Retry-After 120: reconnects after 120 s, not after the 250 ms backoff', async () => {
    const { srv, timers, drops } = await refusedOnce(429, '120');
    expect(drops[0]).toEqual({ detail: 'handshake answered HTTP 429 (Retry-After 120 s)', waitMs: 120_000 });
    expect(timers.waits()).toEqual([120_000]);
    timers.fire(120_000);
    await until('the second attempt', () => srv.upgrades.length === 2);
  });

  it('418 with a Retry-After of days: bounded by 1 h', async () => {
    const { drops } = await refusedOnce(418, '259200');
    expect(drops[0].waitMs).toBe(HANDSHAKE_RETRY_AFTER_MAX_MS);
  });

  it('429 without Retry-After, and a 503: the ordinary backoff, the status in the detail', async () => {
    expect((await refusedOnce(429, undefined)).drops[0]).toEqual({ detail: 'handshake answered HTTP 429', waitMs: 250 });
    expect((await refusedOnce(503, '120')).drops[0]).toEqual({ detail: 'handshake answered HTTP 503', waitMs: 250 });
  });
});

describe('ws-fapi client: a refused handshake', () => {
  const signer = new Signer({ apiKey: 'raKeyAAAA', keyType: 'HMAC', secret: 'raSecretQQ1w2e3r4t5y6u7i8o9p' });
  // 10 s into a minute: the old rule (wait for the next minute) would give 50 s.
  const clock = { us: 1_700_000_040_000_000 + 10_000_000, nowUs: () => clock.us };

  async function refusedOnce(retryAfter: string) {
    const srv = await refusingServer(429, { 'Retry-After': retryAfter });
    const timers = new ManualTimers();
    const c = new WsApiClient({ url: `${srv.url}/ws-fapi/v1`, signer, clock, timers, time: { serverNowMs: () => Math.floor(clock.us / 1000), serverOffsetMs: 0 } });
    cleanups.push(() => c.close());
    void c.start();
    await until('the reconnect scheduled', () => c.state === 'reconnecting');
    return { srv, timers, c };
  }

  it('429 with Retry-After 120: every request and the reconnect wait 120 s', async () => {
    const { srv, timers, c } = await refusedOnce('120');
    expect(c.budget.blockedUntil).toBe(clock.us + 120_000_000);
    expect(timers.waits()).toEqual([120_000]);
    expect(c.stats.lastError).toBe('socket: handshake answered HTTP 429 (Retry-After 120 s)');
    expect(await c.request({ method: 'order.status', params: {}, signed: false, weight: 1 })).toMatchObject({ kind: 'throttled' });
    clock.us += 120_000_000;
    timers.fire(120_000);
    await until('the second attempt', () => srv.upgrades.length === 2);
  });

  it('a Retry-After of days: bounded by 1 h', async () => {
    const { c, timers } = await refusedOnce('259200');
    expect(c.budget.blockedUntil).toBe(clock.us + HANDSHAKE_RETRY_AFTER_MAX_MS * 1000);
    expect(timers.waits()).toEqual([HANDSHAKE_RETRY_AFTER_MAX_MS]);
  });
});
