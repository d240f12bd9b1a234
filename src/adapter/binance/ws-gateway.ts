/**
 * The live gateway over Binance's WebSocket API: the `Venue` of Binance USDⓈ-M with order entry
 * and queries as ws-fapi requests (`order.place`, `order.cancel`, `order.modify`, `order.status`)
 * on one connection (ws-api-client.ts: signing or `session.logon`, ids, timeouts, reconnects,
 * rate limits). The parameters sent and the reply → event mapping are the REST gateway's
 * (order-entry.ts, whose header states the outcomes): for the same replies both give the same
 * events. What only this transport has:
 * - no reply within the timeout, or a connection that drops with requests outstanding: each is a
 *   `requestUnknown` (queries: nothing), never re-sent;
 * - while not connected (connecting, logging on, reconnecting) commands are refused locally
 *   ("not sent: ws-fapi not connected (…)", code 0: certainly not applied), never queued;
 * - so the trader does not send into that refusal, the connection's state is told as a venue event,
 *   `streamState` of `orderEntry`, queued like the outcomes (in order with them): down when the open
 *   connection is lost (reconnecting, or a later `failed`), up when a connection is open again. Only
 *   after the first open (the driver starts sending then: await `start()`); a rotation, which stays
 *   open, and `close()`, which is ours, tell nothing;
 * - `start()` connects (await it before sending), `close()` ends it (below).
 */
import type { Instrument } from '../../model/instrument.ts';
import type { VenueCommand, VenueCommandKind } from '../../model/venue.ts';
import { OrderGateway, type OrderOutcome } from './order-entry.ts';
import { WsApiClient, type WsApiClientOptions, type WsApiState, type WsRequestSpec } from './ws-api-client.ts';

export interface WsGatewayOptions extends WsApiClientOptions {
  readonly instruments: ReadonlyMap<string, Instrument>;
  /** Called after events were queued (the driver drains them). */
  readonly onEvents?: () => void;
}

/** Each command's method and cost (weights as the REST gateway takes them; Binance's `rateLimits` correct the counts). */
const METHODS: Readonly<Record<VenueCommandKind, Omit<WsRequestSpec, 'params'>>> = {
  submit: { method: 'order.place', signed: true, weight: 0, order: true },
  cancel: { method: 'order.cancel', signed: true, weight: 1 },
  modify: { method: 'order.modify', signed: true, weight: 1, order: true },
  query: { method: 'order.status', signed: true, weight: 1 },
};

export class BinanceWsGateway extends OrderGateway {
  /** The connection: its `state`, `stats` and `budget`. */
  readonly client: WsApiClient;

  /** Order entry as last told (`streamState` of `orderEntry`); undefined before the first open. */
  private entryUp: boolean | undefined;

  constructor(o: WsGatewayOptions) {
    super(o.instruments, o.onEvents);
    this.client = new WsApiClient({
      ...o,
      onState: (state, reason) => {
        // Queued before anyone else hears of the state: the trader holds before a refusal reaches it.
        this.tellOrderEntry(state, reason, o.clock.nowUs());
        o.onState?.(state, reason);
      },
    });
  }

  private tellOrderEntry(state: WsApiState, reason: string, tsUs: number): void {
    if (state === 'closed' || state === 'idle') return;
    const up = state === 'open';
    if (this.entryUp === undefined) {
      if (up) this.entryUp = true;
      return;
    }
    if (up === this.entryUp) return;
    this.entryUp = up;
    this.enqueue({ kind: 'streamState', stream: 'orderEntry', up, tsUs, reason: `ws-fapi ${state}: ${reason}` });
  }

  /** Connects; resolves once the connection is open (or the first attempts failed: see `client.state`). */
  start(): Promise<void> {
    return this.client.start();
  }

  /**
   * Shuts down order entry: outstanding requests are aborted (each a `requestUnknown`), later
   * commands are refused locally, the socket is closed with a close frame. Resolves once the socket
   * is closed and every outcome is queued.
   */
  async close(): Promise<void> {
    await this.client.close();
    await this.idle();
  }

  protected call(cmd: VenueCommand, params: Record<string, string>, stopped: () => string | null): Promise<OrderOutcome> {
    return this.client.request({ ...METHODS[cmd.kind], params, stopped });
  }
}
