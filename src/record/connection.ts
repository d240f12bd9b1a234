/**
 * One combined-stream WebSocket connection of the recorder (one route). It reports each text
 * message with its receive time, and how it ended: closed by us (planned), or dropped (a close
 * frame we did not ask for, a socket cut without one, or a stall: no message for `stallMs`). A
 * connection whose streams may rightly be silent for long (liquidation orders only) counts the
 * server's pings as signs of life too (`pingIsActivity`; Binance pings every 3 min).
 *
 * States: connecting → open → closed. `close()` in any state ends it without an `onDrop`.
 */
import { WebSocket } from 'ws';

export interface ConnectionHandlers {
  onOpen: (c: StreamConnection) => void;
  onMessage: (c: StreamConnection, text: string, tsReceiveUs: number) => void;
  /** The connection ended without us closing it (or never opened). */
  onDrop: (c: StreamConnection, why: 'disconnect' | 'stall', detail: string) => void;
}

let nextId = 1;

export class StreamConnection {
  readonly id = nextId++;
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  private readonly ws: WebSocket;
  private lastMessageUs: number;
  private stallTimer: NodeJS.Timeout | undefined;
  private stalled = false;
  messages = 0;
  openedAtUs = 0;

  constructor(
    readonly url: string,
    private readonly nowUs: () => number,
    private readonly stallMs: number,
    private readonly h: ConnectionHandlers,
    pingIsActivity = false,
  ) {
    this.lastMessageUs = nowUs();
    this.ws = new WebSocket(url, { handshakeTimeout: 10_000, perMessageDeflate: false });
    this.ws.on('open', () => {
      if (this.state !== 'connecting') return;
      this.state = 'open';
      this.openedAtUs = this.nowUs();
      this.lastMessageUs = this.openedAtUs;
      this.stallTimer = setInterval(() => this.checkStall(), Math.max(50, Math.floor(this.stallMs / 4)));
      this.stallTimer.unref();
      this.h.onOpen(this);
    });
    this.ws.on('message', (data, isBinary) => {
      if (this.state !== 'open') return;
      const t = this.nowUs();
      this.lastMessageUs = t;
      this.messages++;
      this.h.onMessage(this, isBinary ? '' : data.toString(), t);
    });
    if (pingIsActivity) this.ws.on('ping', () => {
      if (this.state === 'open') this.lastMessageUs = this.nowUs();
    });
    this.ws.on('close', (code, reason) => this.ended(this.stalled ? 'stall' : 'disconnect', `closed ${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}`));
    this.ws.on('error', (e) => this.ended('disconnect', e.message));
  }

  private checkStall(): void {
    if (this.state !== 'open') return;
    if (this.nowUs() - this.lastMessageUs > this.stallMs * 1000) {
      this.stalled = true;
      this.ws.terminate();
    }
  }

  private ended(why: 'disconnect' | 'stall', detail: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.stallTimer !== undefined) clearInterval(this.stallTimer);
    this.h.onDrop(this, why, why === 'stall' ? `no message for ${this.stallMs} ms` : detail);
  }

  /** Closes it (planned): no `onDrop`. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.stallTimer !== undefined) clearInterval(this.stallTimer);
    try {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000, 'rotated');
      else this.ws.terminate();
    } catch {
      this.ws.terminate();
    }
    // A peer that never answers the close frame must not keep the socket open.
    const t = setTimeout(() => this.ws.terminate(), 2_000);
    t.unref();
  }
}
