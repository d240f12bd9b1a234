/**
 * The fault injector of `maker exchange` (docs/FAULTS.md): runs the faults of a plan (fault-plan.ts)
 * against the server. The server, the WebSocket API and the stream hub consult it at a few points:
 * a REST or ws-fapi request before its handler (`onRequest`: an error instead of the reply, the
 * request carried out first or not, a dropped connection, a delayed reply), an order before it is
 * submitted (`checkPostOnly`) or cancelled (`beforeCancel`), a stream message before it is sent
 * (`onStreamMessage`: skipped, or its connections dropped or stalled), a frame's delay
 * (`frameDelayMs`), the server clock (`skewMs`) and new connections (`refusesConnections`).
 *
 * Faults are looked at in plan order; at most one of them decides a request's outcome (the first);
 * each counts every event it matches, and one due on a request another fault decided fires on the next.
 * Every firing, and every request or message a fault changes, is one entry of the log with the
 * server time (µs, unshifted) and the wall time (ms); `onLog` listeners get them as they happen
 * (the CLI prints them as JSON lines on stderr). Timers are unref'd and cleared by `close()`.
 */
import { TIMER_MAX_MS } from '../core/clock.ts';
import { BinanceError } from './errors.ts';
import { countsEvents, countsStreamMessages, type FaultKind, type FaultSpec, type FaultTarget } from './fault-plan.ts';
import type { ApiAccount } from './auth.ts';
import type { AccountState } from './local-exchange.ts';
import type { OrderRecord } from './orders.ts';
import type { OrderRequest } from '../model/venue.ts';
import type { ExchangeServer } from './server.ts';

export interface FaultLogEntry {
  /** The fault's name. */
  fault: string;
  kind: FaultKind;
  /** Server time (not shifted by a clock-skew fault), µs. */
  serverTimeUs: number;
  /** Wall clock, ms since the epoch. */
  wallMs: number;
  /** What happened: `fired`, `period-end`, or what a request or message got. */
  event: string;
  [detail: string]: unknown;
}

/** A request as the injector sees it. */
export interface FaultRequest {
  via: 'rest' | 'ws-api';
  /** REST method, or the ws-fapi method. */
  method: string;
  /** REST path ('' for ws-fapi). */
  path: string;
  params: ReadonlyMap<string, string>;
  apiKey: string | undefined;
  ip: string;
}

/** What a fault does to a request. */
export interface RequestFault {
  /** The error to answer with (absent: the normal reply). */
  error?: BinanceError;
  /** Extra reply headers (Retry-After). */
  headers?: Record<string, string>;
  /** ws-fapi: the error's `data` (`serverTime`, `retryAfter`). */
  wsData?: Record<string, unknown>;
  /** The request is carried out before the error or the drop (the order WAS applied). */
  applied: boolean;
  /** Drop the connection instead of replying (REST: the socket is destroyed). */
  drop?: { closeFrame: boolean; closeCode: number };
  /** Delay of the reply, ms. */
  delayMs: number;
}

const PERIOD_KINDS: ReadonlySet<FaultKind> = new Set(['stall', 'rate-limit', 'clock-skew', 'post-only-reject', 'latency', 'maintenance']);
const OUTCOME_KINDS: ReadonlySet<FaultKind> = new Set(['unknown-error-503', 'timeout-1007', 'disconnect', 'rate-limit', 'maintenance']);
const DEPTH_KINDS = ['depth', 'depth@100ms', 'depth@500ms', 'depth@0ms'];
const LOG_LIMIT = 10_000;

interface Armed {
  readonly spec: FaultSpec;
  armed: boolean;
  /** Matching events seen since armed. */
  seen: number;
  fired: number;
  /** End of the current period, µs (0: none). */
  untilUs: number;
  /** rate-limit: 429s sent in this period, and the ban's end (µs). */
  limited: number;
  bannedUntilUs: number;
  /** depth-gap: streams of the symbol whose next message is skipped too. */
  pendingSkips: Set<string>;
  timers: NodeJS.Timeout[];
}

export class FaultInjector {
  private faults: Armed[] = [];
  private readonly entries: FaultLogEntry[] = [];
  private readonly listeners: ((e: FaultLogEntry) => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private startUs = NaN;

  constructor(
    private readonly server: ExchangeServer,
    private readonly accounts: readonly ApiAccount[],
    plan: readonly FaultSpec[] = [],
  ) {
    this.faults = plan.map((spec) => this.track(spec));
  }

  /** Starts the plan's clock (`afterMs` counts from here) and arms the faults due. */
  start(): void {
    if (!Number.isNaN(this.startUs)) return;
    this.startUs = this.nowUs();
    for (const a of this.faults) this.arm(a);
  }

  /** Adds faults (the admin API); names must be new. */
  add(specs: readonly FaultSpec[]): void {
    for (const s of specs) if (this.faults.some((a) => a.spec.name === s.name)) throw new BinanceError(-1130, `a fault named ${JSON.stringify(s.name)} exists already`);
    const added = specs.map((spec) => this.track(spec));
    this.faults.push(...added);
    if (!Number.isNaN(this.startUs)) for (const a of added) this.arm(a);
  }

  /** Removes every fault and ends the periods in progress (stalled connections resume). */
  clear(): number {
    const n = this.faults.length;
    for (const a of this.faults) for (const t of a.timers) this.cancelTimer(t);
    this.faults = [];
    this.server.streams.resumeStalled(Infinity);
    return n;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.faults = [];
  }

  /** Names and API keys of the accounts (what `match.account` may name). */
  accountNames(): string[] {
    return this.accounts.flatMap((a) => [a.name, a.apiKey]);
  }

  get log(): readonly FaultLogEntry[] {
    return this.entries;
  }

  onLog(l: (e: FaultLogEntry) => void): void {
    this.listeners.push(l);
  }

  /** The faults and their state, for `GET /admin/faults`. */
  status(): object[] {
    const now = this.nowUs();
    return this.faults.map((a) => ({ ...a.spec, armed: a.armed, seen: a.seen, fired: a.fired, active: this.active(a, now) }));
  }

  /** Runs `fn` after `ms` (unref'd; cancelled by `close`). */
  later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  // ---- hooks --------------------------------------------------------------------------------------

  /** The server clock's shift, ms (the sum of the clock-skew periods in progress). */
  skewMs(): number {
    if (this.faults.length === 0) return 0;
    const now = this.nowUs();
    let skew = 0;
    for (const a of this.faults) if (a.spec.kind === 'clock-skew' && a.untilUs > now) skew += a.spec.skewMs!;
    return skew;
  }

  /** New WebSocket connections are refused during maintenance. */
  refusesConnections(): boolean {
    const now = this.nowUs();
    return this.faults.some((a) => a.spec.kind === 'maintenance' && a.untilUs > now);
  }

  /** A REST or ws-fapi request before its handler runs. */
  onRequest(r: FaultRequest): RequestFault | undefined {
    if (this.faults.length === 0) return undefined;
    const now = this.nowUs();
    const account = this.accountOf(r.apiKey);
    let out: RequestFault | undefined;
    for (const a of this.faults) {
      const s = a.spec;
      if (!a.armed || countsStreamMessages(s) || s.kind === 'post-only-reject' || s.kind === 'fill-before-cancel') continue;
      if (!requestMatches(s, r, account)) continue;
      if (!this.active(a, now)) {
        if (!countsEvents(s) || a.fired >= s.times) continue;
        // Every matching request counts; one that an earlier fault already decided is left to it (this fault fires on the next).
        if (++a.seen < (s.nth ?? 1)) continue;
        if (OUTCOME_KINDS.has(s.kind) && (out?.error !== undefined || out?.drop !== undefined)) continue;
        this.fire(a, { via: r.via, request: describeRequest(r), account: account?.name, symbol: r.params.get('symbol') }, account);
        if (!PERIOD_KINDS.has(s.kind)) {
          out ??= { applied: false, delayMs: 0 };
          if (s.kind === 'unknown-error-503') Object.assign(out, { error: new BinanceError(-1000, 'Unknown error, please check your request or try again later.', 503), applied: s.applied });
          else if (s.kind === 'timeout-1007') Object.assign(out, { error: new BinanceError(-1007, 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.', 408), applied: s.applied });
          else if (s.kind === 'disconnect') Object.assign(out, { drop: { closeFrame: s.closeFrame ?? true, closeCode: s.closeCode ?? 1001 }, applied: s.applied ?? false });
          continue;
        }
      }
      // A period in progress (perhaps started by this very request).
      out = this.periodEffect(a, r, account, now, out);
    }
    return out;
  }

  /** A GTX order about to be submitted: -5022 during a post-only-reject period (within `withinTicks` of the opposite best, if set). */
  checkPostOnly(order: OrderRequest, a: AccountState): void {
    if (order.timeInForce !== 'GTX' || this.faults.length === 0) return;
    const now = this.nowUs();
    const account = a.account;
    for (const f of this.faults) {
      const s = f.spec;
      if (s.kind !== 'post-only-reject' || !f.armed || !orderMatches(s, order.symbol, account)) continue;
      if (!this.active(f, now)) {
        if (!countsEvents(s) || f.fired >= s.times || ++f.seen < (s.nth ?? 1)) continue;
        this.fire(f, { request: 'order', account: account.name, symbol: order.symbol }, account);
      }
      if (s.withinTicks !== undefined) {
        const book = this.server.ex.book(order.symbol);
        const opposite = order.side === 'buy' ? book?.bestAskTicks() : book?.bestBidTicks();
        if (opposite === undefined || !Number.isFinite(opposite) || Math.abs(opposite - order.priceTicks) > s.withinTicks) continue;
      }
      this.record(f, 'rejected', { account: account.name, symbol: order.symbol, clientOrderId: order.clientOrderId, code: -5022 });
      throw new BinanceError(-5022, 'Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history');
    }
  }

  /**
   * An open order about to be cancelled: a fill-before-cancel fault fills it first (a single cancel
   * then gets -2011). `cancelAll`: the order is one of a `DELETE /fapi/v1/allOpenOrders`, matched
   * only by a fault with `match.path: /fapi/v1/allOpenOrders` (single cancels only by the others).
   * Returns whether the order was filled (then it is no longer open).
   */
  beforeCancel(a: AccountState, o: OrderRecord, cancelAll = false): boolean {
    if (this.faults.length === 0) return false;
    const account = a.account;
    for (const f of this.faults) {
      const s = f.spec;
      if (s.kind !== 'fill-before-cancel' || !f.armed || f.fired >= s.times || !orderMatches(s, o.request.symbol, account)) continue;
      if ((s.match.path === CANCEL_ALL_PATH) !== cancelAll) continue;
      if (++f.seen < (s.nth ?? 1)) continue;
      const filled = this.server.ex.fillRestingNow(a, o.request.symbol, o.request.clientOrderId);
      this.fire(f, { account: account.name, symbol: o.request.symbol, orderId: o.orderId, clientOrderId: o.request.clientOrderId, filled }, account);
      return filled;
    }
    return false;
  }

  /** A message about to be published on a stream: true to skip it (a depth gap). */
  onStreamMessage(name: string, data: object): boolean {
    if (this.faults.length === 0) return false;
    const desc = this.streamOf(name);
    let skip = false;
    for (const a of this.faults) {
      const s = a.spec;
      if (!a.armed || !countsStreamMessages(s) || !streamMatches(s, name, desc)) continue;
      const depth = desc.kind !== undefined && DEPTH_KINDS.includes(desc.kind);
      if (s.kind === 'depth-gap') {
        if (!depth) continue;
        if (a.pendingSkips.delete(name)) {
          skip = true;
          this.record(a, 'skipped', { stream: name, ...depthIds(data) });
          continue;
        }
      }
      if (!countsEvents(s) || a.fired >= s.times || this.active(a, this.nowUs())) continue;
      if (++a.seen < (s.nth ?? 1)) continue;
      if (s.kind === 'depth-gap') {
        skip = true;
        if (s.match.stream === undefined) for (const k of DEPTH_KINDS) if (`${desc.symbol!.toLowerCase()}@${k}` !== name && this.server.streams.subscribers(`${desc.symbol!.toLowerCase()}@${k}`) > 0) a.pendingSkips.add(`${desc.symbol!.toLowerCase()}@${k}`);
        this.fire(a, { stream: name, ...depthIds(data) });
      } else this.fire(a, desc.user ? { stream: 'user-stream', account: desc.account?.name } : { stream: name }, undefined, (streams) => streams.has(name));
    }
    return skip;
  }

  /** The delay of a frame on a stream (market or user data), ms. */
  frameDelayMs(name: string): number {
    if (this.faults.length === 0) return 0;
    const now = this.nowUs();
    let delay = 0;
    let desc: ReturnType<FaultInjector['streamOf']> | undefined;
    for (const a of this.faults) {
      if (a.spec.kind !== 'latency' || a.untilUs <= now) continue;
      desc ??= this.streamOf(name);
      if (!a.spec.targets!.includes(desc.user ? 'user-stream' : 'streams')) continue;
      if (a.spec.match.symbol !== undefined && desc.symbol !== a.spec.match.symbol) continue;
      if (a.spec.match.account !== undefined && !(desc.account !== undefined && accountIs(desc.account, a.spec.match.account))) continue;
      delay += a.spec.delayMs!;
    }
    return delay;
  }

  // ---- firing -------------------------------------------------------------------------------------

  private track(spec: FaultSpec): Armed {
    return { spec, armed: false, seen: 0, fired: 0, untilUs: 0, limited: 0, bannedUntilUs: 0, pendingSkips: new Set(), timers: [] };
  }

  private arm(a: Armed): void {
    const s = a.spec;
    const dueMs = s.atMs !== undefined ? s.atMs - this.nowUs() / 1000 : s.afterMs !== undefined ? (this.startUs - this.nowUs()) / 1000 + s.afterMs : 0;
    const go = () => {
      a.armed = true;
      if (!countsEvents(s)) this.fire(a, { trigger: 'time' });
    };
    if (dueMs <= 0) go();
    // An `at` more than 24.8 days ahead is beyond what one Node timer waits (it would fire after 1 ms): wait in steps.
    else if (dueMs > TIMER_MAX_MS) a.timers.push(this.timer(() => this.arm(a), TIMER_MAX_MS));
    else a.timers.push(this.timer(go, dueMs));
  }

  /**
   * A fault fires: its effect starts (a period, dropped or stalled connections, expired listen
   * keys). `carrying` selects the stream connections of a stream-triggered fault.
   */
  private fire(a: Armed, hit: Record<string, unknown>, account?: ApiAccount, carrying?: (streams: ReadonlySet<string>) => boolean): void {
    const s = a.spec;
    const now = this.nowUs();
    a.fired++;
    const detail: Record<string, unknown> = { firing: a.fired, ...hit };
    if (PERIOD_KINDS.has(s.kind)) {
      a.untilUs = now + s.durationMs! * 1000;
      a.limited = 0;
      detail.untilUs = a.untilUs;
      a.timers.push(this.timer(() => this.endPeriod(a), s.durationMs!));
    }
    const hub = this.server.streams;
    switch (s.kind) {
      case 'disconnect':
        if (s.target === 'ws-api' && hit.trigger === 'time') detail.connections = this.server.wsApi.disconnectAll(s.closeFrame!, s.closeCode!);
        else if (s.target === 'streams' || s.target === 'user-stream') detail.connections = hub.disconnectWhere(carrying ?? this.carries(s), s.closeFrame!, s.closeCode!, 'fault: disconnect');
        break;
      case 'stall':
        detail.connections = hub.stallWhere(carrying ?? this.carries(s), a.untilUs);
        break;
      case 'maintenance':
        detail.connections = hub.disconnectWhere(() => true, true, 1001, 'system maintenance') + this.server.wsApi.disconnectAll(true, 1001);
        break;
      case 'listen-key-expired':
        detail.listenKeys = this.expireListenKeys(s, account);
        break;
      case 'clock-skew':
        detail.skewMs = s.skewMs;
        break;
    }
    this.record(a, 'fired', detail);
  }

  private endPeriod(a: Armed): void {
    if (!this.faults.includes(a)) return;
    // A timer may fire a little before the wall clock reaches the period's end: resume by the end itself.
    if (a.spec.kind === 'stall') this.server.streams.resumeStalled(Math.max(this.nowUs(), a.untilUs));
    this.record(a, 'period-end', {});
  }

  /** What an active period does to a request. */
  private periodEffect(a: Armed, r: FaultRequest, account: ApiAccount | undefined, now: number, out: RequestFault | undefined): RequestFault | undefined {
    const s = a.spec;
    const decided = out?.error !== undefined || out?.drop !== undefined;
    const where = { via: r.via, request: describeRequest(r), account: account?.name, symbol: r.params.get('symbol') };
    switch (s.kind) {
      case 'latency':
        if (!s.targets!.includes(r.via)) return out;
        out ??= { applied: false, delayMs: 0 };
        out.delayMs += s.delayMs!;
        return out;
      case 'maintenance':
        if (decided) return out;
        this.record(a, 'rejected', { ...where, status: s.status, code: s.code });
        return { ...out, applied: false, delayMs: out?.delayMs ?? 0, error: new BinanceError(s.code!, s.msg!, s.status) };
      case 'rate-limit': {
        if (decided) return out;
        const serverMs = this.server.nowMs();
        if (a.bannedUntilUs <= now && a.untilUs > now && a.limited >= s.banAfter!) a.bannedUntilUs = now + s.banMs! * 1000;
        if (a.bannedUntilUs > now) {
          const untilMs = Math.ceil(a.bannedUntilUs / 1000) + (serverMs - Math.floor(now / 1000));
          const retryS = Math.max(1, Math.ceil((a.bannedUntilUs - now) / 1e6));
          this.record(a, 'rejected', { ...where, status: 418, retryAfterS: retryS });
          const error = new BinanceError(-1003, `Way too many requests; IP(${r.ip}) banned until ${untilMs}. Please use the websocket for live updates to avoid bans.`, 418);
          return { ...out, applied: false, delayMs: out?.delayMs ?? 0, error, headers: { 'retry-after': String(retryS) }, wsData: { serverTime: serverMs, retryAfter: untilMs } };
        }
        if (a.untilUs <= now) return out;
        a.limited++;
        const retryS = Math.max(1, Math.ceil((a.untilUs - now) / 1e6));
        this.record(a, 'rejected', { ...where, status: 429, retryAfterS: retryS });
        const error = new BinanceError(-1003, `Too many requests; current limit of IP(${r.ip}) is 2400 requests per minute. Please use the websocket for live updates to avoid polling the API.`, 429);
        return { ...out, applied: false, delayMs: out?.delayMs ?? 0, error, headers: { 'retry-after': String(retryS) }, wsData: { serverTime: serverMs, retryAfter: serverMs + retryS * 1000 } };
      }
      default:
        return out;
    }
  }

  private active(a: Armed, now: number): boolean {
    return a.untilUs > now || a.bannedUntilUs > now;
  }

  /**
   * The connections a stream fault fired at a time applies to: those carrying a matching stream;
   * without `match`, every connection of the target (market streams: those following no listen key).
   */
  private carries(s: FaultSpec): (streams: ReadonlySet<string>) => boolean {
    if (Object.keys(s.match).length === 0 && s.target === 'streams') return (streams) => ![...streams].some((name) => this.server.listenKeys.get(name) !== undefined);
    return (streams) => [...streams].some((name) => streamMatches(s, name, this.streamOf(name)));
  }

  /** Expires the listen keys of the fault's account (or of the request's, or all); returns how many. */
  private expireListenKeys(s: FaultSpec, account: ApiAccount | undefined): number {
    const keys = this.server.listenKeys;
    const nowUs = this.server.ex.nowUs();
    let n = 0;
    for (const acc of this.accounts) {
      if (s.match.account !== undefined ? !accountIs(acc, s.match.account) : account !== undefined && acc !== account) continue;
      const k = keys.ofAccount(acc.apiKey);
      if (k === undefined) continue;
      n++;
      // With the event, the stream hub's next tick pushes listenKeyExpired and ends the key's stream;
      // without it, the key just stops working (PUT gets -1125, the stream goes silent).
      if (s.event === false) k.expired = true;
      else k.expiresUs = nowUs;
    }
    if (s.event !== false) this.server.ex.pump();
    return n;
  }

  private record(a: Armed, event: string, detail: Record<string, unknown>): void {
    const e: FaultLogEntry = { fault: a.spec.name, kind: a.spec.kind, serverTimeUs: this.nowUs(), wallMs: Date.now(), event };
    for (const [k, v] of Object.entries(detail)) if (v !== undefined) e[k] = v;
    this.entries.push(e);
    if (this.entries.length > LOG_LIMIT) this.entries.splice(0, this.entries.length - LOG_LIMIT);
    for (const l of this.listeners) l(e);
  }

  private timer(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, Math.max(0, ms));
    t.unref();
    this.timers.add(t);
    return t;
  }

  private cancelTimer(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.timers.delete(t);
  }

  private nowUs(): number {
    return this.server.ex.nowUs();
  }

  private accountOf(apiKey: string | undefined): ApiAccount | undefined {
    return apiKey === undefined ? undefined : this.accounts.find((a) => a.apiKey === apiKey);
  }

  /** A stream name's symbol and kind (market streams) or account (a listen key: the user data stream). */
  private streamOf(name: string): { user: boolean; symbol?: string; kind?: string; account?: ApiAccount } {
    const key = this.server.listenKeys.get(name);
    if (key !== undefined) return { user: true, account: this.accountOf(key.apiKey) };
    const at = name.indexOf('@');
    return at > 0 ? { user: false, symbol: name.slice(0, at).toUpperCase(), kind: name.slice(at + 1) } : { user: false };
  }
}

function accountIs(a: ApiAccount, nameOrKey: string): boolean {
  return a.name === nameOrKey || a.apiKey === nameOrKey;
}

function requestMatches(s: FaultSpec, r: FaultRequest, account: ApiAccount | undefined): boolean {
  const m = s.match;
  if (s.kind === 'disconnect' && s.target !== r.via) return false;
  if (r.via === 'rest') {
    if (m.wsMethod !== undefined || (m.method !== undefined && m.method !== r.method) || (m.path !== undefined && m.path !== r.path)) return false;
  } else if (m.method !== undefined || m.path !== undefined || (m.wsMethod !== undefined && m.wsMethod !== r.method)) return false;
  if (m.symbol !== undefined && r.params.get('symbol') !== m.symbol) return false;
  if (m.account !== undefined && !(account !== undefined && accountIs(account, m.account))) return false;
  return true;
}

const CANCEL_ALL_PATH = '/fapi/v1/allOpenOrders';

function orderMatches(s: FaultSpec, symbol: string, account: ApiAccount): boolean {
  return (s.match.symbol === undefined || s.match.symbol === symbol) && (s.match.account === undefined || accountIs(account, s.match.account));
}

function streamMatches(s: FaultSpec, name: string, d: { user: boolean; symbol?: string; account?: ApiAccount }): boolean {
  const target: FaultTarget = s.kind === 'depth-gap' ? 'streams' : s.target!;
  if ((target === 'user-stream') !== d.user) return false;
  const m = s.match;
  if (m.stream !== undefined && m.stream !== name) return false;
  if (m.symbol !== undefined && d.symbol !== m.symbol) return false;
  if (m.account !== undefined && !(d.account !== undefined && accountIs(d.account, m.account))) return false;
  return true;
}

function describeRequest(r: FaultRequest): string {
  return r.via === 'rest' ? `${r.method} ${r.path}` : r.method;
}

function depthIds(data: object): Record<string, unknown> {
  const d = data as { U?: unknown; u?: unknown; pu?: unknown };
  return d.u === undefined ? {} : { U: d.U, u: d.u, pu: d.pu };
}

/**
 * Frames of one WebSocket connection sent after a delay, in order: a frame never overtakes one
 * queued before it, so a latency period ending does not reorder a stream.
 */
export class FrameDelay {
  private queue: { atMs: number; text: string }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sendNow: (text: string) => void) {}

  push(text: string, delayMs: number): void {
    if (delayMs <= 0 && this.queue.length === 0) {
      this.sendNow(text);
      return;
    }
    const last = this.queue.length > 0 ? this.queue[this.queue.length - 1].atMs : 0;
    this.queue.push({ atMs: Math.max(Date.now() + delayMs, last), text });
    this.arm();
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }

  private arm(): void {
    if (this.timer !== undefined || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      while (this.queue.length > 0 && this.queue[0].atMs <= now) this.sendNow(this.queue.shift()!.text);
      this.arm();
    }, Math.max(0, this.queue[0].atMs - Date.now()));
    this.timer.unref();
  }
}
