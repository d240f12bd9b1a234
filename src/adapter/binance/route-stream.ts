/**
 * One route's market streams kept flowing (binance-usdm.md §0, §6): a combined-stream connection
 * (`StreamConnection`) that is reconnected when it drops and rotated before Binance's 24 h cut
 * without losing a message. Shared by `maker record` and `maker live`'s market feed.
 *
 * States: primary open | primary open + replacement buffering | reconnecting | closed.
 *  - planned rotation (`rotateAfterMs` after the primary opened): a replacement connects and
 *    buffers; `overlapMs` after it opened it becomes primary: the old one is closed with a close
 *    frame and the buffer is handed to `onMessage` in arrival order. The owner drops what it already
 *    had (`StreamMarks`): the overlap makes sure nothing is lost, the marks that nothing is doubled;
 *  - the primary drops (a close we did not ask for, a socket cut, a stall): a buffering replacement
 *    is promoted at once (nothing lost); else `onDrop` (the owner marks the gap and re-syncs) and a
 *    reconnect after a backoff from 250 ms doubling to `maxBackoffMs`, reset once a connection has
 *    carried 100 messages (or at a handover);
 *  - a replacement that fails is retried after the same backoff while the primary carries on;
 *  - a handshake answered 429/418 is retried no sooner than its `Retry-After` (at most
 *    `HANDSHAKE_RETRY_AFTER_MAX_MS`, 1 h), whatever the backoff says.
 * `close()` closes every socket with a close frame and cancels every timer; it resolves when the
 * sockets are closed. Clock and timers are injected.
 */
import type { Route } from './market-routes.ts';
import type { Timers } from './rest.ts';
import { StreamConnection } from './stream-connection.ts';

export interface RouteStreamOptions {
  readonly route: Route;
  /** `<ws>/<route>/stream?streams=...`. */
  readonly url: string;
  readonly nowUs: () => number;
  readonly timers: Timers;
  /** No message for this long is a stall (default 15 s). */
  readonly stallMs?: number;
  /** The server's pings count as messages for the stall check (a route of sparse streams only). */
  readonly pingIsActivity?: boolean;
  /** Longest reconnect backoff, ms (default 30 s). */
  readonly maxBackoffMs?: number;
  /** Planned rotation this long after a connection opened, ms (default 23 h 30 min). */
  readonly rotateAfterMs?: number;
  /** How long the replacement buffers before it takes over, ms (default 5 s). */
  readonly overlapMs?: number;
  readonly log?: (line: string) => void;
  /** A message of the primary, or one of the replacement's buffer at a handover, in arrival order. */
  readonly onMessage: (text: string, tsReceiveUs: number) => void;
  /** The primary dropped with no replacement to take over: messages may be lost; reconnecting in `waitMs`. */
  readonly onDrop: (why: 'disconnect' | 'stall', detail: string, waitMs: number) => void;
  /** A primary connection opened (the first one, or one after a drop; not a rotation's replacement). */
  readonly onOpen?: () => void;
}

export interface RouteStreamCounters {
  reconnects: number;
  rotations: number;
}

export class RouteStream {
  readonly counters: RouteStreamCounters = { reconnects: 0, rotations: 0 };
  private primary: StreamConnection | undefined;
  private replacement: StreamConnection | undefined;
  private buffer: { text: string; ts: number }[] = [];
  private backoffMs = 250;
  private rotateTimer: unknown;
  private retryTimer: unknown;
  private handoverTimer: unknown;
  private closed = false;
  /** Every connection made, until its socket has closed (what `close()` waits for). */
  private readonly live = new Set<StreamConnection>();

  constructor(private readonly o: RouteStreamOptions) {}

  start(): void {
    if (this.primary === undefined && !this.closed) this.connect();
  }

  /** Open connections (the primary and a buffering replacement). */
  openConnections(): number {
    return (this.primary?.state === 'open' ? 1 : 0) + (this.replacement?.state === 'open' ? 1 : 0);
  }

  private log(line: string): void {
    this.o.log?.(`/${this.o.route}: ${line}`);
  }

  private connect(): void {
    if (this.closed) return;
    const c = new StreamConnection({ url: this.o.url, nowUs: this.o.nowUs, timers: this.o.timers, stallMs: this.o.stallMs ?? 15_000, pingIsActivity: this.o.pingIsActivity }, {
      onOpen: (conn) => this.opened(conn),
      onMessage: (conn, text, ts) => this.message(conn, text, ts),
      onDrop: (conn, why, detail) => this.dropped(conn, why, detail),
    });
    this.live.add(c);
    void c.ended.then(() => this.live.delete(c));
    if (this.primary === undefined) this.primary = c;
    else this.replacement = c;
  }

  private opened(c: StreamConnection): void {
    if (c === this.primary) {
      this.log(`connected (#${c.id})`);
      this.scheduleRotation(c);
      this.o.onOpen?.();
    } else if (c === this.replacement) {
      const overlap = this.o.overlapMs ?? 5_000;
      this.log(`replacement connected (#${c.id}), taking over in ${overlap} ms`);
      this.handoverTimer = this.o.timers.after(overlap, () => {
        this.handoverTimer = undefined;
        this.handover();
      });
    }
  }

  private scheduleRotation(c: StreamConnection): void {
    if (this.rotateTimer !== undefined) this.o.timers.cancel(this.rotateTimer);
    this.rotateTimer = this.o.timers.after(this.o.rotateAfterMs ?? 23 * 3_600_000 + 30 * 60_000, () => {
      this.rotateTimer = undefined;
      if (this.closed || this.primary !== c || this.replacement !== undefined) return;
      this.log(`planned rotation of #${c.id}`);
      this.connect();
    });
  }

  /** The replacement becomes primary: the old connection is closed, the buffer handed on. */
  private handover(): void {
    const next = this.replacement;
    if (next === undefined || next.state !== 'open' || this.closed) return;
    if (this.handoverTimer !== undefined) this.o.timers.cancel(this.handoverTimer);
    this.handoverTimer = undefined;
    const old = this.primary;
    this.primary = next;
    this.replacement = undefined;
    old?.close('rotated');
    this.counters.rotations++;
    const buf = this.buffer;
    this.buffer = [];
    for (const m of buf) this.o.onMessage(m.text, m.ts);
    this.backoffMs = 250;
    this.scheduleRotation(next);
    this.log(`#${next.id} is primary (${buf.length} buffered messages replayed)`);
  }

  private message(c: StreamConnection, text: string, ts: number): void {
    if (c === this.primary) {
      if (c.messages > 100) this.backoffMs = 250;
      this.o.onMessage(text, ts);
    } else if (c === this.replacement) this.buffer.push({ text, ts });
  }

  private dropped(c: StreamConnection, why: 'disconnect' | 'stall', detail: string): void {
    if (this.closed) return;
    if (c === this.replacement) {
      this.log(`replacement #${c.id} failed (${detail}); retrying at the next rotation`);
      this.replacement = undefined;
      this.buffer = [];
      if (this.handoverTimer !== undefined) this.o.timers.cancel(this.handoverTimer);
      this.handoverTimer = undefined;
      if (this.primary !== undefined) this.scheduleRotationSoon(c.retryAfterMs ?? 0);
      return;
    }
    if (c !== this.primary) return;
    if (this.replacement !== undefined && this.replacement.state === 'open') {
      this.log(`#${c.id} dropped (${detail}) during a handover: the replacement takes over`);
      this.handover();
      return;
    }
    this.replacement?.close('replacement abandoned');
    this.replacement = undefined;
    this.buffer = [];
    this.primary = undefined;
    if (this.rotateTimer !== undefined) this.o.timers.cancel(this.rotateTimer);
    this.rotateTimer = undefined;
    // A handshake refused with 429/418: not before its Retry-After (bounded in StreamConnection).
    const wait = Math.max(this.backoffMs, c.retryAfterMs ?? 0);
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs ?? 30_000);
    this.counters.reconnects++;
    this.log(`#${c.id} dropped (${why}: ${detail}); reconnecting in ${wait} ms`);
    this.o.onDrop(why, detail, wait);
    this.retryTimer = this.o.timers.after(wait, () => {
      this.retryTimer = undefined;
      this.connect();
    });
  }

  private scheduleRotationSoon(atLeastMs: number): void {
    const c = this.primary!;
    if (this.rotateTimer !== undefined) this.o.timers.cancel(this.rotateTimer);
    this.rotateTimer = this.o.timers.after(Math.max(this.backoffMs, atLeastMs), () => {
      this.rotateTimer = undefined;
      if (!this.closed && this.primary === c && this.replacement === undefined) this.connect();
    });
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs ?? 30_000);
  }

  /** Closes every connection (close frame) and cancels every timer; resolves when the sockets are closed. */
  async close(reason = 'stopping'): Promise<void> {
    this.closed = true;
    for (const t of [this.rotateTimer, this.retryTimer, this.handoverTimer]) if (t !== undefined) this.o.timers.cancel(t);
    this.rotateTimer = this.retryTimer = this.handoverTimer = undefined;
    this.primary?.close(reason);
    this.replacement?.close(reason);
    this.primary = this.replacement = undefined;
    this.buffer = [];
    for (const c of this.live) c.close(reason);
    await Promise.all([...this.live].map((c) => c.ended));
  }
}
