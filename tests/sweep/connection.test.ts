// The sweep queue's Redis client options (src/sweep-queue/connection.ts): every client, blocking or
// not, has TCP keep-alive and a per-command timeout (the blocking ones, BullMQ's worker and event
// reader, had none, so a Redis gone silent hung the worker's lock renewals and job completions),
// the blocking one longer than BullMQ's longest block. Then ioredis itself, on those options,
// against a stub Redis on loopback that answers the connection handshake and never answers GET:
// the command fails at its timeout instead of waiting for ever.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, parseRedisUrl } from '../../src/sweep-queue/index.ts';
import { redisOptions } from '../../src/sweep-queue/connection.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const target = parseRedisUrl('redis://127.0.0.1:6379/0');

describe('redisOptions', () => {
  it('keep-alive on every client; a command timeout on every client, the blocking one above BullMQ\'s 10 s blocks', () => {
    const plain = redisOptions(target, DEFAULT_LIMITS, 'maker-sweep', false);
    const blocking = redisOptions(target, DEFAULT_LIMITS, 'maker-worker', true);
    expect(plain).toMatchObject({ keepAlive: 10_000, commandTimeout: 15_000, connectTimeout: 5_000, maxRetriesPerRequest: null });
    expect(blocking).toMatchObject({ keepAlive: 10_000, commandTimeout: 30_000, connectTimeout: 5_000, maxRetriesPerRequest: null });
    expect(blocking.commandTimeout).toBeGreaterThan(10_000 + 5_000);
  });
});

/** A stub Redis: answers HELLO (unknown, as Redis 5: ioredis falls back to RESP2), CLIENT, SELECT, PING, INFO; swallows everything else. */
async function stubRedis(): Promise<{ port: number; commands: string[] }> {
  const commands: string[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      // Commands are RESP arrays of bulk strings: *n\r\n($len\r\narg\r\n)×n.
      for (;;) {
        const m = /^\*(\d+)\r\n/.exec(buf);
        if (m === null) return;
        let at = m[0].length;
        const args: string[] = [];
        for (let i = 0; i < Number(m[1]); i++) {
          const h = /^\$(\d+)\r\n/.exec(buf.slice(at));
          if (h === null || buf.length < at + h[0].length + Number(h[1]) + 2) return;
          at += h[0].length;
          args.push(buf.slice(at, at + Number(h[1])));
          at += Number(h[1]) + 2;
        }
        buf = buf.slice(at);
        const name = args[0].toUpperCase();
        commands.push(name);
        if (name === 'HELLO') s.write("-ERR unknown command 'HELLO', with args beginning with: '3'\r\n");
        else if (name === 'CLIENT' || name === 'SELECT') s.write('+OK\r\n');
        else if (name === 'PING') s.write('+PONG\r\n');
        else if (name === 'INFO') {
          const info = '# Server\r\nredis_version:7.0.0\r\nloading:0\r\n';
          s.write(`$${info.length}\r\n${info}\r\n`);
        }
        // GET and the rest: no answer, ever (a server gone silent).
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as AddressInfo).port, commands };
}

describe('ioredis on these options, against a Redis that stops answering', () => {
  for (const blocking of [false, true]) {
    it(`a ${blocking ? 'blocking' : 'plain'} client's command fails at its command timeout`, async () => {
      const stub = await stubRedis();
      const limits = { ...DEFAULT_LIMITS, commandTimeoutMs: 300, blockingCommandTimeoutMs: 400 };
      const { Redis } = (await import('ioredis')) as unknown as { Redis: new (o: object) => { connect(): Promise<void>; get(k: string): Promise<unknown>; disconnect(): void; on(e: string, f: () => void): void } };
      const client = new Redis({ ...redisOptions({ ...target, port: stub.port }, limits, 'test', blocking), retryStrategy: () => null });
      client.on('error', () => undefined);
      cleanups.push(() => client.disconnect());
      await client.connect();
      const t0 = Date.now();
      let hang: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        client.get('k').then(() => 'answered', (e: Error) => e.message),
        new Promise<string>((r) => (hang = setTimeout(() => r('still waiting after 3 s'), 3_000))),
      ]);
      clearTimeout(hang);
      expect(outcome).toBe('Command timed out');
      expect(Date.now() - t0).toBeLessThan(2_000);
      expect(stub.commands).toContain('GET');
    });
  }
});
