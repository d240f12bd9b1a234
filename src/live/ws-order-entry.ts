/**
 * Order entry over Binance's WebSocket API for a live session (`live.orderEntry: ws`, session.ts
 * step 5): the ws-fapi gateway built on the session's REST client (its server time and its rate
 * budget, shared), its state changes logged as one `ws-fapi <state>` line each, and the first open
 * awaited within `WS_API_START_TIMEOUT_MS` (not open by then: a configuration error, exit 2). After
 * `WS_API_MAX_ATTEMPTS` failed connects in a row the client gives up (`failed`) and the session is
 * told. Times in ms.
 */
import { BinanceWsGateway, type BinanceRest, type Signer, type Timers } from '../adapter/binance/index.ts';
import type { Clock } from '../core/clock.ts';
import { MakerError } from '../core/errors.ts';
import type { Instrument } from '../model/instrument.ts';

/** How long `start()` waits for the ws-fapi connection (`live.orderEntry: ws`) to open, ms. */
export const WS_API_START_TIMEOUT_MS = 30_000;
/**
 * Failed ws-fapi connects in a row after which the client gives up (`failed`) and the session stops:
 * order entry is gone, so the open orders are cancelled over REST and the exit is 1. About 3 min of
 * backoff (250 ms doubling to 30 s) plus each attempt's handshake (at most 10 s): the client's own
 * default (100, about an hour) would leave the session's orders unmanaged that long.
 */
export const WS_API_MAX_ATTEMPTS = 12;

export interface WsOrderEntryOptions {
  /** The WebSocket API URL (`live.wsApi`). */
  readonly url: string;
  readonly signer: Signer;
  /** The session's REST client: its server time and its rate budget are shared. */
  readonly rest: BinanceRest;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly instruments: ReadonlyMap<string, Instrument>;
  /** Called after the gateway queued events (the session drains them). */
  readonly onEvents: () => void;
  readonly rotateAfterMs: number;
  /** Default `WS_API_MAX_ATTEMPTS`. */
  readonly maxAttempts?: number;
  readonly log: (line: string) => void;
  /** The note an order entry change left for the state line that caused it (stream-health.ts), taken once. */
  readonly takeNote: () => string;
  /** The client gave up reconnecting (`failed`), with its reason. */
  readonly onFailed: (reason: string) => void;
}

/** The ws-fapi gateway, not connected yet (`openWsOrderEntry` connects it). */
export function wsOrderEntry(o: WsOrderEntryOptions): BinanceWsGateway {
  return new BinanceWsGateway({
    url: o.url,
    signer: o.signer,
    time: o.rest,
    clock: o.clock,
    timers: o.timers,
    budget: o.rest.budget,
    instruments: o.instruments,
    onEvents: o.onEvents,
    // Replaced before the venue's 24 h cut like the market streams (in-flight requests answered on the old one).
    rotateAfterMs: o.rotateAfterMs,
    maxAttempts: o.maxAttempts ?? WS_API_MAX_ATTEMPTS,
    onState: (state, reason) => {
      // The gateway tells an order entry change (drained by the session) just before the state that caused it: one line says both.
      const note = o.takeNote();
      o.log(`ws-fapi ${state}${reason ? `: ${reason}` : ''}${note}`);
      // Gave up reconnecting: no order can be placed, changed or cancelled over it any more.
      if (state === 'failed') o.onFailed(reason);
    },
  });
}

/**
 * Connects `ws` and waits for it to be open, at most `startTimeoutMs` (default
 * `WS_API_START_TIMEOUT_MS`). Not open by then, or failed: the gateway is closed and a
 * `MakerError` (exit 2) names the URL, the state and the last error.
 */
export async function openWsOrderEntry(ws: BinanceWsGateway, url: string, timers: Timers, startTimeoutMs = WS_API_START_TIMEOUT_MS): Promise<void> {
  let startTimer: unknown;
  let timedOut = false;
  const deadline = new Promise<void>((r) => {
    startTimer = timers.after(startTimeoutMs, () => {
      timedOut = true;
      r();
    });
  });
  try {
    await Promise.race([ws.start(), deadline]);
  } catch (e) {
    throw new MakerError('E_CONFIG', `cannot connect to the WebSocket API ${url} (live.wsApi): ${(e as Error).message}`, { exitCode: 2 });
  } finally {
    timers.cancel(startTimer);
  }
  if (ws.client.state !== 'open') {
    const why = timedOut ? `not open within ${startTimeoutMs / 1000} s (${ws.client.state})` : ws.client.state;
    const last = ws.client.stats.lastError;
    await ws.close();
    throw new MakerError('E_CONFIG', `cannot connect to the WebSocket API ${url} (live.wsApi): ${why}${last ? `; last error: ${last}` : ''}`, { exitCode: 2 });
  }
}
