// maker record's start is bounded: a REST API that never answers (or refuses connections) fails the
// start after startTimeoutMs / --start-timeout with an error naming the URL and the option (exit 3),
// and --duration counts from the command's start, so a start still under way when it elapses stops
// too. Loopback only: a TCP listener that accepts and stays silent, and a port nobody listens on.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MakerError } from '../../src/core/errors.ts';
import { Recorder } from '../../src/record/index.ts';
import { makerBin } from '../support/maker-bin.ts';
import { tempDir } from './helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TCP listener that accepts and never answers. */
async function silentServer(): Promise<string> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A loopback port nobody listens on (connections refused). */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: still pending after ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

/** Runs `maker record …`; resolves with the exit code, stderr and the wall time, or kills it after `killMs`. */
function record(args: string[], killMs: number): Promise<{ code: number | null; stderr: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [makerBin(), 'record', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const kill = setTimeout(() => child.kill('SIGKILL'), killMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, stderr, ms: Date.now() - t0 });
    }),
  );
}

describe('maker record: a bounded start', () => {
  it('Recorder.start() against a REST API that never answers fails after startTimeoutMs, naming the URL and the option', async () => {
    const rest = await silentServer();
    const out = tempDir('start-bounded');
    cleanups.push(() => out.cleanup());
    const rec = new Recorder({ symbols: ['BTCUSDT'], rest, ws: rest.replace('http', 'ws'), out: out.dir, streams: { depthSpeed: '100ms', trade: false, aggTrade: false, bookTicker: false, markPrice: false }, startTimeoutMs: 500 });
    cleanups.push(() => rec.stop());
    const err = await within(rec.start().then(() => null, (e: unknown) => e), 5_000, 'Recorder.start()');
    expect(err).toBeInstanceOf(MakerError);
    expect((err as MakerError).code).toBe('E_IO');
    // The request itself is still waiting (its own deadline is 10 s): no back-off yet to name.
    expect((err as Error).message).toBe(`--rest ${rest}: GET /fapi/v1/exchangeInfo not answered within 0.5 s at start`);
  }, 20_000);

  it('maker record --duration counts from the command start: a start still waiting on the REST API stops then (exit 3, saying so)', async () => {
    const rest = await silentServer();
    const out = tempDir('start-duration');
    cleanups.push(() => out.cleanup());
    const r = await record(['--symbols', 'BTCUSDT', '--rest', rest, '--ws', rest.replace('http', 'ws'), '--out', out.dir, '--duration', '1s'], 15_000);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('maker record: STOPPED at start: --duration 1s elapsed before the recording started');
    expect(r.ms).toBeLessThan(8_000);
  }, 30_000);

  it('maker record --venue on a refused port, --start-timeout 1s: exit 3 naming --venue, the URL and ECONNREFUSED', async () => {
    const venue = `http://127.0.0.1:${await refusedPort()}`;
    const out = tempDir('start-refused');
    cleanups.push(() => out.cleanup());
    const r = await record(['--symbols', 'BTCUSDT', '--venue', venue, '--out', out.dir, '--start-timeout', '1s'], 15_000);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`maker record: STOPPED at start: [E_IO] --venue ${venue}: GET /fapi/v1/exchangeInfo not answered within 1 s at start; last: GET /fapi/v1/exchangeInfo: fetch failed (ECONNREFUSED)`);
    expect(r.ms).toBeLessThan(8_000);
  }, 30_000);
});
