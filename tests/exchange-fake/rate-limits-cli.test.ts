// `maker exchange --rate-limits`: a multiplier scales Binance's limits (exchangeInfo says so and the
// server refuses past them), a bad value is a usage error.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'maker.js');

it('--rate-limits 0.01: limits at 1 % of Binance, enforced; --rate-limits fast: exit 2', async () => {
  const child = spawn(process.execPath, [BIN, 'exchange', '--rate-limits', '0.01', '--port', '0', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let timer: NodeJS.Timeout | undefined;
  try {
    const line = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
      new Promise<string>((_, reject) => (timer = setTimeout(() => reject(new Error('no JSON line within 60 s')), 60_000))),
    ]);
    const { rest } = JSON.parse(line) as { rest: string };
    const info = (await (await fetch(`${rest}/fapi/v1/exchangeInfo`)).json()) as { rateLimits: { rateLimitType: string; limit: number }[] };
    expect(info.rateLimits.map((l) => l.limit)).toEqual([24, 12, 3]);
    let status = 200;
    // 1 (exchangeInfo) + 24 pings: the 24th ping is the 25th unit of weight (unless the minute turned meanwhile).
    for (let i = 0; i < 60 && status === 200; i++) status = (await fetch(`${rest}/fapi/v1/ping`)).status;
    expect(status).toBe(429);
  } finally {
    clearTimeout(timer);
    child.kill('SIGTERM');
    await exited;
  }
  const bad = spawnSync(process.execPath, [BIN, 'exchange', '--rate-limits', 'fast'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/--rate-limits must be binance, off or a positive multiplier such as 10, got "fast"/);
}, 120_000);
