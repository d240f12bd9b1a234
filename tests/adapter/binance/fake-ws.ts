// A scripted stand-in for the `ws` client WebSocket (tests/adapter/binance/ws-api-connection.test.ts
// mocks the module with it): no socket, no time. The test plays the server: `open()`, `reply()`,
// `pong()`, `drop()`, `fail()`; the client's `send`, `ping`, `close` and `terminate` are recorded.
// As in `ws`: `terminate()` and a `close()` the server answers end in a 'close' event on a later
// microtask, a terminate while connecting emits 'error' first; `ping()` on a socket that is not open
// throws.
import { EventEmitter } from 'node:events';

export interface Frame {
  id: number;
  method: string;
  params: Record<string, string | number>;
}

export class FakeWs extends EventEmitter {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  /** Every socket made, in order (cleared by the test). */
  static readonly all: FakeWs[] = [];

  readyState = FakeWs.CONNECTING;
  readonly sent: Frame[] = [];
  pings = 0;
  readonly closes: [number, string][] = [];
  terminates = 0;
  /** The server answers a close frame (else the client's close timeout has to drop the socket). */
  echoClose = true;

  constructor(
    readonly url: string,
    readonly opts: { handshakeTimeout?: number },
  ) {
    super();
    FakeWs.all.push(this);
  }

  send(data: string, _cb?: (e?: Error) => void): void {
    this.sent.push(JSON.parse(data) as Frame);
  }

  ping(): void {
    if (this.readyState !== FakeWs.OPEN) throw new Error(`WebSocket is not open: readyState ${this.readyState}`);
    this.pings++;
  }

  close(code: number, reason: string): void {
    this.closes.push([code, reason]);
    if (this.ended) return;
    this.readyState = FakeWs.CLOSING;
    if (this.echoClose) queueMicrotask(() => this.end(code));
  }

  terminate(): void {
    this.terminates++;
    if (this.ended) return;
    const wasConnecting = this.readyState === FakeWs.CONNECTING;
    this.readyState = FakeWs.CLOSED;
    queueMicrotask(() => {
      if (this.ended) return;
      if (wasConnecting) this.emit('error', new Error('WebSocket was closed before the connection was established'));
      this.end(1006);
    });
  }

  // The server's side.

  open(): void {
    this.readyState = FakeWs.OPEN;
    this.emit('open');
  }

  /** A reply to the frame with `id` (the last frame's when absent). */
  reply(body: object, id = this.sent.at(-1)!.id): void {
    this.raw(JSON.stringify({ id, ...body }));
  }

  raw(text: string, isBinary = false): void {
    this.emit('message', Buffer.from(text), isBinary);
  }

  pong(): void {
    this.emit('pong');
  }

  /** The connection ends (a close frame with `code`, or 1006: cut without one). */
  drop(code = 1006): void {
    this.end(code);
  }

  /** A socket error (a refused connect, a failed handshake), then the close, as `ws` reports them. */
  fail(message: string, code?: string): void {
    this.emit('error', Object.assign(new Error(message), code === undefined ? {} : { code }));
    this.end(1006);
  }

  /**
   * The handshake answered `status` without the upgrade: as `ws`, 'unexpected-response' (request,
   * response with `statusCode` and `headers`) when the client listens for it (it must end the socket
   * itself), else the error "Unexpected server response: <status>" and the close.
   */
  refuse(status: number, headers: Record<string, string> = {}): void {
    const res = { statusCode: status, headers, resume: () => undefined };
    if (!this.emit('unexpected-response', {}, res)) this.fail(`Unexpected server response: ${status}`);
  }

  private ended = false;
  private end(code: number): void {
    if (this.ended) return;
    this.ended = true;
    this.readyState = FakeWs.CLOSED;
    this.emit('close', code);
  }
}
