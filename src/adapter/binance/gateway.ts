/**
 * The live gateway over REST: the `Venue` of Binance USDⓈ-M with order entry and queries as signed
 * REST requests (rest.ts). A command becomes one request; its reply becomes venue events, queued
 * until the driver drains them. The parameters sent and the reply → event mapping are shared with
 * the ws-fapi gateway (order-entry.ts, whose header states the outcomes): the two give the same
 * events for the same replies.
 *
 * Routes: `submit` → `POST /fapi/v1/order` (`newOrderRespType=ACK`), `cancel` → `DELETE`,
 * `modify` → `PUT`, `query` → `GET /fapi/v1/order`, each by the OMS's client order id.
 */
import type { Instrument } from '../../model/instrument.ts';
import type { VenueCommand, VenueCommandKind } from '../../model/venue.ts';
import { OrderGateway, type OrderOutcome } from './order-entry.ts';
import type { BinanceRest, RequestSpec } from './rest.ts';

export interface GatewayOptions {
  readonly rest: BinanceRest;
  readonly instruments: ReadonlyMap<string, Instrument>;
  /** Called after events were queued (the driver drains them). */
  readonly onEvents?: () => void;
}

/** Each command's request, without its parameters (weights: binance-usdm.md §3). */
const ROUTES: Readonly<Record<VenueCommandKind, Omit<RequestSpec, 'params'>>> = {
  submit: { method: 'POST', path: '/fapi/v1/order', signed: true, weight: 0, order: true },
  cancel: { method: 'DELETE', path: '/fapi/v1/order', signed: true, weight: 1 },
  modify: { method: 'PUT', path: '/fapi/v1/order', signed: true, weight: 1, order: true },
  query: { method: 'GET', path: '/fapi/v1/order', signed: true, weight: 1 },
};

export class BinanceGateway extends OrderGateway {
  private readonly rest: BinanceRest;

  constructor(o: GatewayOptions) {
    super(o.instruments, o.onEvents);
    this.rest = o.rest;
  }

  /**
   * Shuts down order entry: requests in flight are aborted (their outcome is unknown: each gives a
   * `requestUnknown`) and later commands are refused locally. Resolves once every outcome is queued.
   */
  async close(): Promise<void> {
    this.rest.close();
    await this.idle();
  }

  protected call(cmd: VenueCommand, params: Record<string, string>, stopped: () => string | null): Promise<OrderOutcome> {
    return this.rest.request({ ...ROUTES[cmd.kind], params, stopped });
  }
}
