/**
 * The venue's open orders and positions of a live session's traded symbols, over REST (signed
 * requests; works with every stream down), and the confirmed cancel-all that the session's start-up
 * reconciliation (policy `cancel`) and its shutdown use (session.ts, steps 3 and 7): every open
 * order is cancelled with `DELETE /fapi/v1/allOpenOrders`, positions are optionally flattened with
 * reduce-only MARKET orders, and both are confirmed by query, retried until a deadline. Counts are
 * per symbol; positions in lots (signed: short below zero).
 */
import { parseOpenOrders, parsePositions, type BinanceRest, type RestOutcome, type Timers } from '../adapter/binance/index.ts';
import { MakerError } from '../core/errors.ts';
import type { Instrument } from '../model/instrument.ts';
import { sleep } from './clock.ts';

/** Binance's replies to a key it does not accept (-2015 invalid key, IP or permissions; -2014 bad key format; -1022 bad signature). */
const KEY_REFUSED = new Set([-2015, -2014, -1022]);

/** A start-up request's body, or a configuration error (exit 2) saying what was asked and, for a refused key, what to check. */
export function expectOk(o: RestOutcome, what: string): unknown {
  if (o.kind === 'ok') return o.body;
  if (o.kind === 'rejected') {
    const hint = KEY_REFUSED.has(o.code) ? ' (the venue refuses the API key or its signature: check the key and secret variables, live.apiKeyEnv and live.secretEnv, or live.secretFile)' : '';
    throw new MakerError('E_CONFIG', `${what}: Binance error ${o.code} ${o.msg}${hint}`, { exitCode: 2 });
  }
  if (o.kind === 'throttled') throw new MakerError('E_CONFIG', `${what}: rate limited (${o.cause})`, { exitCode: 2 });
  throw new MakerError('E_CONFIG', `${what}: ${o.cause}`, { exitCode: 2 });
}

/** What the queries and the cancel-all need of the session. */
export interface VenueAccount {
  readonly rest: BinanceRest;
  readonly symbols: readonly string[];
  readonly instruments: ReadonlyMap<string, Instrument>;
  readonly timers: Timers;
  readonly wallUs: () => number;
  /** The session's run tag, in the flatten orders' client order ids ('' before the run directory exists). */
  readonly runTag: string;
}

/** The outcome of `cancelAllConfirmed` (the shutdown's result without its reason and trade read-back). */
export interface CancelAllResult {
  readonly confirmed: boolean;
  readonly openOrdersLeft: Record<string, number>;
  /** The venue's positions at the confirmation, lots (flat when flattening confirmed). */
  readonly positionsLeft: Record<string, number>;
  readonly cancelRequests: number;
  readonly flattenOrders: number;
  readonly detail: string;
}

/** Open orders per traded symbol (throws when the venue cannot be asked). */
export async function venueOpenOrders(v: VenueAccount): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const symbol of v.symbols) {
    const body = expectOk(await v.rest.request({ method: 'GET', path: '/fapi/v1/openOrders', params: { symbol }, signed: true, weight: 1 }), `GET /fapi/v1/openOrders ${symbol}`);
    out[symbol] = parseOpenOrders(body, v.instruments).length;
  }
  return out;
}

/** The position per traded symbol, lots (0 when none; throws when the venue cannot be asked). */
export async function venuePositions(v: VenueAccount): Promise<Record<string, number>> {
  const body = expectOk(await v.rest.request({ method: 'GET', path: '/fapi/v3/positionRisk', signed: true, weight: 5 }), 'GET /fapi/v3/positionRisk');
  const out: Record<string, number> = {};
  for (const sym of v.symbols) out[sym] = 0;
  for (const p of parsePositions(body, v.instruments)) if (p.symbol in out) out[p.symbol] += p.lots;
  return out;
}

/**
 * Cancels every open order of the traded symbols and confirms it by query, retrying (backoff
 * 250 ms doubling to 2 s) until `budgetMs`; with `flatten`, also closes the positions with
 * reduce-only MARKET orders and confirms them flat.
 */
export async function cancelAllConfirmed(v: VenueAccount, budgetMs: number, flatten = false): Promise<CancelAllResult> {
  const deadline = v.wallUs() + budgetMs * 1000;
  let cancelRequests = 0;
  let flattenOrders = 0;
  let backoff = 250;
  let open: Record<string, number> = {};
  let held: Record<string, number> = {};
  let detail = '';
  for (let attempt = 1; ; attempt++) {
    try {
      for (const symbol of v.symbols) {
        cancelRequests++;
        const r = await v.rest.request({ method: 'DELETE', path: '/fapi/v1/allOpenOrders', params: { symbol }, signed: true, weight: 1 });
        if (r.kind !== 'ok') detail = `cancel ${symbol}: ${r.kind === 'rejected' ? `${r.code} ${r.msg}` : r.cause}`;
        // The venue refuses the keys themselves: trying again until the deadline cannot help.
        if (r.kind === 'rejected' && KEY_REFUSED.has(r.code)) return { confirmed: false, openOrdersLeft: open, positionsLeft: held, cancelRequests, flattenOrders, detail: `${detail} (the API key is refused: nothing can be cancelled with it)` };
      }
      if (flatten) {
        held = await venuePositions(v);
        for (const [symbol, lots] of Object.entries(held)) {
          if (lots === 0) continue;
          const inst = v.instruments.get(symbol)!;
          flattenOrders++;
          const r = await v.rest.request({
            method: 'POST',
            path: '/fapi/v1/order',
            params: { symbol, side: lots > 0 ? 'SELL' : 'BUY', type: 'MARKET', quantity: inst.lotsToQty(Math.abs(lots)), reduceOnly: 'true', newClientOrderId: `mk-${v.runTag || 'x'}-flat${attempt}${symbol.slice(0, 4).toLowerCase()}` },
            signed: true,
            weight: 1,
            order: true,
          });
          if (r.kind !== 'ok') detail = `flatten ${symbol}: ${r.kind === 'rejected' ? `${r.code} ${r.msg}` : r.cause}`;
        }
      }
      open = await venueOpenOrders(v);
      held = await venuePositions(v);
      const clean = Object.values(open).every((n) => n === 0) && (!flatten || Object.values(held).every((l) => l === 0));
      if (clean) return { confirmed: true, openOrdersLeft: open, positionsLeft: held, cancelRequests, flattenOrders, detail: `confirmed after ${attempt} attempt(s)` };
      detail = `open orders ${JSON.stringify(open)}${flatten ? `, positions ${JSON.stringify(held)}` : ''}`;
    } catch (e) {
      detail = (e as Error).message;
    }
    if (v.wallUs() + backoff * 1000 > deadline) return { confirmed: false, openOrdersLeft: open, positionsLeft: held, cancelRequests, flattenOrders, detail: `not confirmed within ${budgetMs} ms: ${detail}` };
    await sleep(v.timers, backoff);
    backoff = Math.min(2000, backoff * 2);
  }
}
