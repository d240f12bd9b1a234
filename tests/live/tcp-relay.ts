// A loopback TCP relay for tests that cut a connection (the ws-fapi order entry of tests/live/).
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';

export interface TcpRelay {
  readonly port: number;
  /** Drops the connections open; later ones are held silent (a handshake that never completes). */
  hold(): void;
  /** Relays again: the connections held silent are dropped (their handshake fails at once), later ones are relayed. */
  resume(): void;
  /** Closes the port (connections refused) and drops every connection. Idempotent. */
  cut(): Promise<void>;
}

/** A loopback listener: `relayTo` pipes each connection to that port; without it every connection is held silent. */
export async function tcpRelay(relayTo?: number): Promise<TcpRelay> {
  const sockets: Socket[] = [];
  let relaying = relayTo !== undefined;
  const server: Server = createServer((c) => {
    sockets.push(c);
    c.on('error', () => undefined);
    if (!relaying || relayTo === undefined) return;
    const u = connect(relayTo, '127.0.0.1');
    sockets.push(u);
    u.on('error', () => c.destroy());
    c.on('close', () => u.destroy());
    u.on('close', () => c.destroy());
    c.pipe(u);
    u.pipe(c);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  return {
    port,
    hold(): void {
      relaying = false;
      for (const s of sockets.splice(0)) s.destroy();
    },
    resume(): void {
      relaying = relayTo !== undefined;
      for (const s of sockets.splice(0)) s.destroy();
    },
    async cut(): Promise<void> {
      if (closed) return;
      closed = true;
      const done = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets.splice(0)) s.destroy();
      await done;
    },
  };
}
