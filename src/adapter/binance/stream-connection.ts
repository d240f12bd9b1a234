/**
 * One combined-stream WebSocket connection (one route, binance-usdm.md §0), shared by `maker
 * record` and `maker live`'s market feed. It reports each text message with its receive time, and
 * how it ended: closed by us (planned), or dropped (a close frame we did not ask for, a socket cut
 * without one, or a stall: no message for `stallMs`). A connection whose streams may rightly be
 * silent for long (liquidation orders only) counts the server's pings as signs of life too
 * (`pingIsActivity`; Binance pings every 3 min).
 *
 * States: connecting → open → closed. `close()` in any state ends it without an `onDrop`; `ended`
 * resolves once the socket itself is closed (after our close frame is answered, or cut 2 s later).
 * Clock and timers are injected (the adapter reads no ambient time); the stall check runs every
 * `stallMs / 4` (at least 50 ms) while open. A handshake answered 429/418 keeps its `Retry-After`
 * (`retryAfterMs`, at most `HANDSHAKE_RETRY_AFTER_MAX_MS`): the owner waits at least that long.
 */
import { WebSocket } from 'ws';
import { handshakeRetryAfterMs } from './rate-budget.ts';
import type { Timers } from './rest.ts';

export interface ConnectionHandlers {
  onOpen: (c: StreamConnection) => void;
  onMessage: (c: StreamConnection, text: string, tsReceiveUs: number) => void;
  /** The connection ended without us closing it (or never opened). */
  onDrop: (c: StreamConnection, why: 'disconnect' | 'stall', detail: string) => void;
}

export interface StreamConnectionOptions {
  readonly url: string;
  /** Receive times, µs. */
  readonly nowUs: () => number;
  readonly timers: Timers;
  /** No message for this long (ms) while open is a stall: the socket is cut and `onDrop('stall')`. */
  readonly stallMs: number;
  /** Opening handshake deadline, ms (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** The server's pings count as messages for the stall check (default false). */
  readonly pingIsActivity?: boolean;
}

let nextId = 1;

export class StreamConnection {
  readonly id = nextId++;
  readonly url: string;
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  /** Resolves when the socket is closed, whoever closed it. */
  readonly ended: Promise<void>;
  private readonly ws: WebSocket;
  private readonly o: StreamConnectionOptions;
  private lastMessageUs: number;
  private stallTimer: unknown;
  private killTimer: unknown;
  private stalled = false;
  messages = 0;
  openedAtUs = 0;
  /** A handshake refused with 429/418: its Retry-After, ms (bounded by `HANDSHAKE_RETRY_AFTER_MAX_MS`); no reconnect before it. */
  retryAfterMs: number | undefined;
  private refusal: string | undefined;

  constructor(o: StreamConnectionOptions, private readonly h: ConnectionHandlers) {
    this.o = o;
    this.url = o.url;
    this.lastMessageUs = o.nowUs();
    this.ws = new WebSocket(o.url, { handshakeTimeout: o.handshakeTimeoutMs ?? 10_000, perMessageDeflate: false });
    this.ended = new Promise((res) => this.ws.once('close', () => res()));
    this.ws.on('open', () => {
      if (this.state !== 'connecting') return;
      this.state = 'open';
      this.openedAtUs = this.o.nowUs();
      this.lastMessageUs = this.openedAtUs;
      this.armStallCheck();
      this.h.onOpen(this);
    });
    this.ws.on('message', (data, isBinary) => {
      if (this.state !== 'open') return;
      const t = this.o.nowUs();
      this.lastMessageUs = t;
      this.messages++;
      this.h.onMessage(this, isBinary ? '' : data.toString(), t);
    });
    if (o.pingIsActivity === true) this.ws.on('ping', () => {
      if (this.state === 'open') this.lastMessageUs = this.o.nowUs();
    });
    this.ws.on('close', (code, reason) => {
      if (this.killTimer !== undefined) this.o.timers.cancel(this.killTimer);
      this.ended_(this.stalled ? 'stall' : 'disconnect', `closed ${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}`);
    });
    // A handshake answered without the upgrade (429/418 rate limits, 503 maintenance, ...): the drop
    // says the status, and a 429/418's Retry-After is kept for the reconnect (`retryAfterMs`).
    this.ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      if (status === 429 || status === 418) this.retryAfterMs = handshakeRetryAfterMs(res.headers['retry-after']);
      this.refusal = `handshake answered HTTP ${status}${this.retryAfterMs !== undefined ? ` (Retry-After ${this.retryAfterMs / 1000} s)` : ''}`;
      this.ws.terminate();
    });
    this.ws.on('error', (e) => this.ended_('disconnect', this.refusal ?? e.message));
  }

  private armStallCheck(): void {
    this.stallTimer = this.o.timers.after(Math.max(50, Math.floor(this.o.stallMs / 4)), () => {
      this.stallTimer = undefined;
      if (this.state !== 'open') return;
      if (this.o.nowUs() - this.lastMessageUs > this.o.stallMs * 1000) {
        this.stalled = true;
        this.ws.terminate();
        return;
      }
      this.armStallCheck();
    });
  }

  private ended_(why: 'disconnect' | 'stall', detail: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.stallTimer !== undefined) this.o.timers.cancel(this.stallTimer);
    this.stallTimer = undefined;
    this.h.onDrop(this, why, why === 'stall' ? `no message for ${this.o.stallMs} ms` : detail);
  }

  /** Closes it (planned) with a close frame `code`: no `onDrop`. */
  close(reason = 'rotated', code = 1000): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.stallTimer !== undefined) this.o.timers.cancel(this.stallTimer);
    this.stallTimer = undefined;
    try {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
      else this.ws.terminate();
    } catch {
      this.ws.terminate();
    }
    // A peer that never answers the close frame must not keep the socket open.
    if (this.ws.readyState !== WebSocket.CLOSED) this.killTimer = this.o.timers.after(2_000, () => this.ws.terminate());
  }
}
