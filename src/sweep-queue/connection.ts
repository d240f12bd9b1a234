/**
 * Connections to the sweep queue's Redis: the `--queue` URL, and ioredis clients with a bound on
 * everything that can hang. Every client has a connect timeout, a per-command timeout, TCP
 * keep-alive and a bounded reconnect policy
 * (exponential backoff, then it gives up and the command fails with `E_QUEUE`, never waits
 * forever); the first connection of a command is checked with a PING under a deadline, so a bad
 * URL or an unreachable server is one clear error line and a non-zero exit. Each client is closed
 * by whoever opened it (`closeRedis`: QUIT, then a hard disconnect if QUIT does not answer).
 *
 * The URL's password is a secret: it is never part of an error message or a log line
 * (`RedisTarget.display` leaves it out).
 */
import { ConfigError, MakerError } from '../core/errors.ts';

/** The ioredis options this module sets (ioredis's own `RedisOptions` has many more). */
export interface RedisOptions {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: { servername: string };
  connectionName: string;
  connectTimeout: number;
  commandTimeout: number;
  keepAlive: number;
  maxRetriesPerRequest: null;
  lazyConnect: boolean;
  retryStrategy: (times: number) => number | null;
}

/** The part of an ioredis client this module uses. */
export interface RedisClient {
  readonly status: string;
  readonly options: { retryStrategy?: (times: number) => number | null | void };
  connect(): Promise<void>;
  select(db: number): Promise<unknown>;
  ping(): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

type RedisConstructor = new (options: RedisOptions) => RedisClient;
let redisClass: RedisConstructor | null = null;

/**
 * ioredis, loaded when a queue is first used: BullMQ 6 needs it (an optional peer dependency of
 * bullmq, a dependency of ours), and loading it late keeps every other command working, with this
 * one clear error, in an install that lacks it. (A variable specifier: the type checker does not
 * need ioredis's types either.)
 */
async function loadRedis(): Promise<RedisConstructor> {
  if (redisClass !== null) return redisClass;
  const name = 'ioredis';
  try {
    const mod = (await import(name)) as { Redis?: RedisConstructor; default?: RedisConstructor };
    redisClass = mod.Redis ?? mod.default ?? null;
  } catch {
    redisClass = null;
  }
  if (redisClass === null) throw new QueueError('the queue backend needs the ioredis package (BullMQ\'s Redis client): run npm install in the maker directory');
  return redisClass;
}

/**
 * bullmq, loaded on first use: importing it (and ioredis under it) costs ~0.4 s of CPU, which every
 * `maker` start paid (the CLI registers `sweep --queue` and `worker`) though few commands use a queue.
 * An install without it fails here, with the same kind of message as a missing ioredis.
 */
export type Bullmq = typeof import('bullmq');
let bullmq: Promise<Bullmq> | undefined;
export function loadBullmq(): Promise<Bullmq> {
  bullmq ??= import('bullmq').catch((e: unknown) => {
    bullmq = undefined;
    throw new QueueError(`the queue backend needs the bullmq package: run npm install in the maker directory (${e instanceof Error ? e.message : String(e)})`, e);
  });
  return bullmq;
}

/** The queue's Redis server is unreachable, answered an error, or the connection was lost. */
export class QueueError extends MakerError {
  constructor(message: string, cause?: unknown) {
    super('E_QUEUE', message, { exitCode: 2, retryable: true, cause });
  }
}

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** The URL without credentials, for messages. */
  display: string;
}

/** Parses `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS). */
export function parseRedisUrl(text: string, option = '--queue'): RedisTarget {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new ConfigError(`not a URL: expected redis://host:port[/db], e.g. redis://127.0.0.1:6379/0`, { field: option });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new ConfigError(`unsupported scheme "${u.protocol.replace(/:$/, '')}": expected redis://host:port[/db] (or rediss:// for TLS)`, { field: option });
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new ConfigError('the URL has no host: expected redis://host:port[/db]', { field: option });
  const port = u.port === '' ? 6379 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`bad port "${u.port}"`, { field: option });
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^[0-9]{1,2}$/.test(path)) throw new ConfigError(`the path must be a database number (0-15), got "/${path}"`, { field: option });
  const db = path === '' ? 0 : Number(path);
  if (u.search !== '' || u.hash !== '') throw new ConfigError('query strings and fragments are not supported in the queue URL', { field: option });
  const display = `${u.protocol}//${u.host}/${db}`;
  return {
    host,
    port,
    db,
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
    tls: u.protocol === 'rediss:',
    display,
  };
}

export interface ConnectionLimits {
  /** Per attempt to open the TCP (and TLS) connection, ms. */
  connectTimeoutMs: number;
  /** Reconnect attempts after a lost connection before giving up (the backoff doubles from 250 ms to 5 s). */
  reconnectAttempts: number;
  /** A command of a client that never blocks (the sweep's Queue, the probes) without a reply for this long fails, ms. */
  commandTimeoutMs: number;
  /**
   * The same for a client that blocks (BullMQ's worker, whose regular commands share its options, and
   * the queue-event reader), ms: longer than BullMQ's longest block (BZPOPMIN and XREAD BLOCK wait at
   * most 10 s), so only a connection that stopped answering is cut.
   */
  blockingCommandTimeoutMs: number;
  /** TCP keep-alive: the first probe after this long without traffic, so a peer gone silently (NAT, a dead host) is found, ms. */
  keepAliveMs: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = { connectTimeoutMs: 5_000, reconnectAttempts: 12, commandTimeoutMs: 15_000, blockingCommandTimeoutMs: 30_000, keepAliveMs: 10_000 };

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ECONNREFUSED') return 'connection refused (is redis-server running there?)';
  if (err?.code === 'ENOTFOUND' || err?.code === 'EAI_AGAIN') return 'host name not found';
  if (err?.code === 'ETIMEDOUT' || /timeout/i.test(err?.message ?? '')) return 'connection timed out';
  if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(err?.message ?? '')) return 'authentication failed (check the user and password in the URL)';
  if (/DB index is out of range/i.test(err?.message ?? '')) return 'that database number does not exist on the server (ERR DB index is out of range)';
  return (err?.message ?? String(e)).replace(/redis:\/\/[^@\s]*@/g, 'redis://***@');
}

/**
 * ioredis options for `target`. Every client has TCP keep-alive (`keepAliveMs`) and a per-command
 * timeout: `commandTimeoutMs`, or for a client that waits on BZPOPMIN/XREAD-like commands
 * (`blocking`: BullMQ's worker, whose regular commands run on a client with the same options, and
 * its event reader) `blockingCommandTimeoutMs`, longer than any block BullMQ asks for. Before, the
 * blocking clients had none: a connection gone silent hung the worker's lock renewals and job
 * completions until the OS gave up on the socket.
 */
export function redisOptions(target: RedisTarget, limits: ConnectionLimits, name: string, blocking: boolean): RedisOptions {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username !== undefined ? { username: target.username } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
    ...(target.tls ? { tls: { servername: target.host } } : {}),
    connectionName: name,
    connectTimeout: limits.connectTimeoutMs,
    commandTimeout: blocking ? limits.blockingCommandTimeoutMs : limits.commandTimeoutMs,
    keepAlive: limits.keepAliveMs,
    // BullMQ requires null here (its blocking commands must not be cut off by a retry count).
    maxRetriesPerRequest: null,
    lazyConnect: true,
    retryStrategy: (times: number) => (times > limits.reconnectAttempts ? null : Math.min(250 * 2 ** (times - 1), 5_000)),
  };
}

/**
 * Opens a client and checks it with a PING, all within `connectTimeoutMs` (one attempt, no
 * reconnect loop at this stage): an unreachable server, a refused login or a wrong database number
 * is a `QueueError` naming the URL (without its password) at once.
 */
export async function openRedis(target: RedisTarget, limits: ConnectionLimits, name: string, blocking = false): Promise<RedisClient> {
  const Redis = await loadRedis();
  const client = new Redis({ ...redisOptions(target, limits, name, blocking), retryStrategy: () => null });
  let lastError: unknown = null;
  client.on('error', (e: unknown) => {
    lastError = e;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        // ioredis reports a failed SELECT only as an 'error' event and carries on in database 0: ask explicitly.
        await client.select(target.db);
        await client.ping();
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), limits.connectTimeoutMs + 1_000);
      }),
    ]);
  } catch (e) {
    client.disconnect();
    throw new QueueError(`cannot reach Redis at ${target.display}: ${reason(lastError ?? e)}`);
  } finally {
    clearTimeout(timer);
  }
  // From here on a lost connection is retried with backoff, a bounded number of times.
  client.options.retryStrategy = redisOptions(target, limits, name, blocking).retryStrategy;
  return client;
}

/** Closes a client: QUIT (lets pending replies arrive), a hard disconnect if that does not finish in 2 s. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit().then(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 2_000);
      }),
    ]);
  } catch {
    // already closing or closed: fall through to the hard disconnect
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** Words for an error of a connection in use (for a `QueueError` message). */
export function describeRedisError(e: unknown): string {
  return reason(e);
}
