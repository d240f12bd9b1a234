// A real redis-server for the queue tests: on loopback, on a free port, in a temporary directory,
// with no persistence; started with a deadline and killed by `stop()` (call it in afterAll).
// `REDIS_SERVER` is '' where the Debian package is not installed: tests then report themselves
// skipped with `skipMessage`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export const REDIS_SERVER = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
export const skipMessage = (file: string): string => `skipped: ${file} needs redis-server (apt-get install redis-server; .ci/system-deps.sh)\n`;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface RedisServer {
  url: string;
  port: number;
  stop: () => Promise<void>;
}

export async function startRedis(dir: string): Promise<RedisServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  };
  try {
    await until('redis-server to accept connections', () => /Ready to accept connections/.test(out), 10_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `redis://127.0.0.1:${port}/0`, port, stop };
}
