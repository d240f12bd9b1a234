// `maker exchange` at a speed no machine keeps up with: it keeps answering, and says once, on
// stderr, that the replay is behind (a JSON line with --json), instead of going silent.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'maker.js');

describe('maker exchange replay lag', () => {
  it('--speed 1000000: one replay-behind JSON line on stderr, pings still answered, clean stop', async () => {
    const child = spawn(process.execPath, [BIN, 'exchange', '--speed', '1000000', '--port', '0', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += String(c)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no JSON line; stderr: ${stderr}`)), 60_000);
        createInterface({ input: child.stdout }).once('line', (l) => {
          clearTimeout(t);
          resolve(l);
        });
      });
      const { rest } = JSON.parse(line) as { rest: string };
      const deadline = Date.now() + 30_000;
      while (!stderr.includes('replay-behind') && Date.now() < deadline) {
        const t0 = performance.now();
        const r = await fetch(`${rest}/fapi/v1/ping`, { signal: AbortSignal.timeout(5_000) });
        expect(r.status).toBe(200);
        expect(performance.now() - t0).toBeLessThan(1_000);
        await new Promise((r) => setTimeout(r, 100));
      }
      const r = await fetch(`${rest}/fapi/v1/time`, { signal: AbortSignal.timeout(5_000) });
      expect(r.status).toBe(200);
      await new Promise((r) => setTimeout(r, 1_500));
      const warnings = stderr.split('\n').filter((l) => l.includes('replay-behind'));
      expect(warnings.length).toBe(1);
      const w = JSON.parse(warnings[0]) as { warning: string; lagMs: number; speed: number };
      expect(w.warning).toBe('replay-behind');
      expect(w.lagMs).toBeGreaterThanOrEqual(1000);
      expect(w.speed).toBe(1_000_000);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 120_000);
});
