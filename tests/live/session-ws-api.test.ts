// `maker live` with ws-fapi order entry (live.orderEntry: ws) when the WebSocket API is gone, on
// loopback: start() is bounded (a handshake that never completes is an exit-2 error naming the
// URL and live.wsApi, not an hour of reconnects), and a connection that gives up reconnecting
// while the session runs stops the session (exit 1, "order entry lost"), with its open orders
// cancelled over REST and confirmed. The ws-fapi connection goes through a TCP relay the test
// drops, holds silent (the reconnect's handshake never completes) and then closes.
//
// While the connection is down every command is refused at once, without a round trip. The trader
// used to decide again on each refusal and send again, with only promise callbacks in between: the
// event loop never turned, so neither the reconnect timer nor this test's own timeout could run
// (the worker hung). Now the gateway tells the trader that order entry is down and it holds. The
// test makes the trader want to send while down (the operator pauses: a cancel-all of a resting
// order), and a tripwire on the commands it queues after the drop stops the session, so a return
// of that loop fails this test instead of hanging it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveMarketFeed, LiveSession, wallTimers } from '../../src/live/index.ts';
import { MakerError } from '../../src/core/errors.ts';
import type { TradingCore } from '../../src/trader/index.ts';
import { parseScenario } from '../../src/scenario/index.ts';
import { ACCOUNT, signed, startLocalExchange } from '../exchange-fake/helpers.ts';
import { tcpRelay } from './tcp-relay.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SCENARIO_TEXT = readFileSync(join(ROOT, 'scenarios', 'quickstart.yaml'), 'utf8');
const CREDS = { apiKey: ACCOUNT.apiKey, secret: ACCOUNT.secret, keyType: 'HMAC' as const };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves with `p`'s outcome, or rejects when it is still pending after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: still pending after ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

/** `tcpRelay` (tcp-relay.ts), closed after the test. */
async function tcp(relayTo?: number) {
  const relay = await tcpRelay(relayTo);
  cleanups.push(() => relay.cut());
  return relay;
}

/** Commands the trader may queue after the drop (a few, sent before the client sees it); far more is the re-send loop. */
const TRIPWIRE = 200;

async function setup(wsApi: (wsBase: string) => Promise<string>, extra: { wsApiStartTimeoutMs?: number; wsApiMaxAttempts?: number }) {
  const lx = await startLocalExchange();
  cleanups.push(() => lx.close());
  const out = mkdtempSync(join(tmpdir(), 'maker-live-wsapi-'));
  cleanups.push(() => rmSync(out, { recursive: true, force: true }));
  const logs: string[] = [];
  /** Commands the trader queued since `commands` was set to 0 (the drop); null before. */
  const afterDrop: { commands: number | null; tripped: boolean } = { commands: null, tripped: false };
  let trader: TradingCore | undefined;
  const set = ['live.shutdown.confirmTimeoutS=10', 'live.orderEntry=ws'];
  const scenario = parseScenario(SCENARIO_TEXT, 'quickstart.yaml', { set });
  const session = new LiveSession({
    scenario,
    scenarioText: SCENARIO_TEXT,
    overrides: set,
    rest: lx.base,
    ws: lx.wsBase,
    wsApi: await wsApi(lx.wsBase),
    credentials: CREDS,
    out,
    paper: false,
    feed: (o) => new LiveMarketFeed(o),
    wallUs: () => Date.now() * 1000,
    timers: wallTimers,
    log: (l) => logs.push(l),
    onTrader: (core) => {
      trader = core;
      core.bus.on('trader.commandsQueued', (e) => {
        if (afterDrop.commands === null) return;
        afterDrop.commands += e.commands.length;
        // Stopping ends the decisions at once (synchronously), which breaks a loop that never yields.
        if (afterDrop.commands > TRIPWIRE && !afterDrop.tripped) {
          afterDrop.tripped = true;
          void session.stop(`test tripwire: ${afterDrop.commands} commands queued after the drop`);
        }
      });
    },
    ...extra,
  });
  cleanups.push(async () => {
    await session.stop('test cleanup');
  });
  /** The trader's orders of BTCUSDT now. */
  const orders = () => trader?.oms.liveOrders('BTCUSDT') ?? [];
  return { lx, logs, session, afterDrop, orders };
}

describe('maker live: the WebSocket API order entry gone', () => {
  it('start() is bounded: a handshake that never completes is an exit-2 error naming the URL', async () => {
    let url = '';
    const { session } = await setup(async () => {
      const silent = await tcp();
      url = `ws://127.0.0.1:${silent.port}/ws-fapi/v1`;
      return url;
    }, { wsApiStartTimeoutMs: 500 });
    const t0 = Date.now();
    const err = await within(session.start().then(() => null, (e: unknown) => e), 8_000, 'session.start()');
    expect(err).toBeInstanceOf(MakerError);
    expect((err as MakerError).exitCode).toBe(2);
    expect((err as Error).message).toContain(url);
    expect((err as Error).message).toMatch(/live\.wsApi.*not open within 0\.5 s/);
    expect(Date.now() - t0).toBeLessThan(8_000);
  }, 30_000);

  it('gave up reconnecting while running: the session stops, exit 1, its orders cancelled over REST', async () => {
    let relay!: Awaited<ReturnType<typeof tcp>>;
    const { lx, logs, session, afterDrop, orders } = await setup(async (wsBase) => {
      relay = await tcp(Number(new URL(wsBase).port));
      return `ws://127.0.0.1:${relay.port}/ws-fapi/v1`;
    }, { wsApiMaxAttempts: 2 });
    await session.start();
    // An order resting with nothing in flight for it (a request in flight at the drop leaves its
    // order unknown, and an unknown order is not cancelled again until a query settles it).
    await waitFor(() => orders().some((o) => o.state === 'open' && !o.unknown), 30_000, 'an order acknowledged and resting');
    // The connection drops; its reconnect reaches a listener that never answers the handshake, so
    // order entry stays down (not failed) until the cut below.
    afterDrop.commands = 0;
    const mark = logs.length;
    relay.hold();
    await waitFor(() => logs.slice(mark).some((l) => /^ws-fapi (reconnecting|connecting)/.test(l)), 10_000, 'the drop seen by the client');
    // The operator pauses: a cancel-all the trader cannot send now. It must wait for order entry,
    // not re-decide on each local refusal (the loop that hung the worker).
    const paused = session.pause('BTCUSDT', true, 'the test');
    await new Promise((r) => setTimeout(r, 100)); // a moment down, then the reconnects are refused: it gives up
    await relay.cut();
    const summary = await within(session.done, 20_000, 'the session stopping');
    expect(afterDrop.tripped, `commands queued after the drop: ${afterDrop.commands}`).toBe(false);
    expect(afterDrop.commands).toBeLessThanOrEqual(TRIPWIRE);
    expect(paused, 'the pause taken (the session still running)').toBe(true);
    expect(summary.exitCode).toBe(1);
    expect(summary.fatal).toMatch(/^order entry lost: the WebSocket API ws:\/\/127\.0\.0\.1:\d+\/ws-fapi\/v1 gave up after 2 attempts/);
    expect(summary.shutdown.confirmed).toBe(true);
    const open = (await signed(lx.base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' })).json as unknown as unknown[];
    expect(open).toEqual([]);
    expect(logs.some((l) => /^ws-fapi failed/.test(l))).toBe(true);
    // The trader was told (journalled, so `maker replay` holds at the same point).
    const journal = readFileSync(summary.journal.file, 'utf8');
    expect(journal).toMatch(/ V \{"kind":"streamState","stream":"orderEntry","up":false,/);
  }, 60_000);
});
