/**
 * The frames of the ws-fapi client (ws-api-client.ts), as pure functions: a frame parsed, a reply
 * classified into a `RestOutcome` as REST's are (rest.ts: `ok`, `rejected`, `unknown`,
 * `throttled`; the client's header has the classes), its `rateLimits` read into the rate budget,
 * the signature payload of a request, and an outcome described for `lastError`. No socket and no
 * state of their own: the clock, the server time offset and the budget are the caller's.
 */
import type { Clock } from '../../core/clock.ts';
import { retryAfterUs, type RateBudget } from './rate-budget.ts';
import { UNKNOWN_OUTCOME_CODES, type RestOutcome } from './rest.ts';

/** A ws-fapi frame as it is read (every field still to be checked). */
export interface WsFrame {
  id?: unknown;
  status?: unknown;
  result?: unknown;
  error?: unknown;
  rateLimits?: unknown;
}

/** A frame's JSON object; null when the text is not JSON, or not an object. */
export function parseFrame(text: string): WsFrame | null {
  let msg: WsFrame;
  try {
    msg = JSON.parse(text);
  } catch {
    return null;
  }
  return msg === null || typeof msg !== 'object' ? null : msg;
}

/**
 * The outcome of the reply `msg` to the request `what` (the client's header has the classes). A
 * 429/418 blocks `budget` (at `clock`'s now) until `error.data.retryAfter`, server ms less the
 * offset of `time`, else as `retryAfterUs` says (rate-budget.ts).
 */
export function classify(what: string, msg: { status?: unknown; result?: unknown; error?: unknown }, clock: Clock, time: { readonly serverOffsetMs: number }, budget: RateBudget): RestOutcome {
  const status = typeof msg.status === 'number' ? msg.status : 0;
  const e = msg.error as { code?: unknown; msg?: unknown; data?: { retryAfter?: unknown } } | undefined;
  const emsg = e !== undefined && e !== null && typeof e === 'object' && typeof e.msg === 'string' ? e.msg : '';
  const err = e !== undefined && e !== null && typeof e === 'object' && typeof e.code === 'number' ? { code: e.code, msg: emsg } : undefined;
  if (status >= 200 && status < 300) {
    if (!('result' in msg)) return { kind: 'unknown', cause: `${what}: status ${status} without a result` };
    return { kind: 'ok', status, body: msg.result };
  }
  if (status === 429 || status === 418) {
    const now = clock.nowUs();
    const offset = time.serverOffsetMs;
    const retryAt = e?.data?.retryAfter;
    // The message even without a code: a 418's names the ban's end.
    const until = typeof retryAt === 'number' && Number.isFinite(retryAt) ? (retryAt - offset) * 1000 : retryAfterUs(now, status, null, emsg, offset);
    const code = err?.code ?? -1003;
    const cause = `${what}: status ${status}: ${emsg}`;
    return { kind: 'throttled', untilUs: budget.block(now, until, status, code, cause), code, cause };
  }
  if (err !== undefined && !UNKNOWN_OUTCOME_CODES.has(err.code) && ((status >= 400 && status < 500) || (status === 503 && err.code === -1008))) {
    return { kind: 'rejected', status, code: err.code, msg: err.msg };
  }
  return { kind: 'unknown', cause: `${what}: status ${status}${err !== undefined ? ` code ${err.code}: ${err.msg}` : ''}` };
}

/** `rateLimits`: REQUEST_WEIGHT per minute, ORDERS per 10 s and per minute. */
export function readRateLimits(rl: unknown, budget: RateBudget): void {
  if (!Array.isArray(rl)) return;
  const seen: { weight1m?: number; orders10s?: number; orders1m?: number } = {};
  for (const l of rl as { rateLimitType?: unknown; interval?: unknown; intervalNum?: unknown; count?: unknown }[]) {
    if (l === null || typeof l !== 'object' || typeof l.count !== 'number') continue;
    if (l.rateLimitType === 'REQUEST_WEIGHT' && l.interval === 'MINUTE' && l.intervalNum === 1) seen.weight1m = l.count;
    else if (l.rateLimitType === 'ORDERS' && l.interval === 'SECOND' && l.intervalNum === 10) seen.orders10s = l.count;
    else if (l.rateLimitType === 'ORDERS' && l.interval === 'MINUTE' && l.intervalNum === 1) seen.orders1m = l.count;
  }
  budget.observe(seen);
}

/** The ws-fapi signature payload: every parameter but `signature`, sorted by name, `k=v` joined by `&`. */
export function wsPayload(params: Readonly<Record<string, string | number>>): string {
  return Object.keys(params)
    .filter((k) => k !== 'signature')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

/** An outcome in a few words, for `lastError`. */
export function describe(r: RestOutcome): string {
  switch (r.kind) {
    case 'ok':
      return 'ok';
    case 'rejected':
      return `${r.code} ${r.msg}`;
    case 'unknown':
      return r.cause;
    case 'throttled':
      // A logon answered 429/418 (sent, and refused for the rate limit).
      return `throttled: ${r.cause}`;
  }
}
