// `maker live --dashboard` as a user runs it: the early `{"type":"dashboard"}` line on stdout with
// the URL and token, /healthz while the session runs, the kill switch over HTTP stopping the process
// with exit 0 (confirmed), a token from live.dashboard.tokenEnv, and clear errors for a bad port or
// an unset token variable.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = makerBin();
const QUICKSTART = join(ROOT, 'scenarios', 'quickstart.yaml');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Running {
  lines: Record<string, unknown>[];
  next(pred: (l: Record<string, unknown>) => boolean, ms: number): Promise<Record<string, unknown>>;
  exit: Promise<{ code: number | null; stderr: string }>;
}

function start(args: string[], env: Record<string, string> = {}): Running {
  const out = mkdtempSync(join(tmpdir(), 'dash-cli-'));
  cleanups.push(() => rmSync(out, { recursive: true, force: true }));
  const p = spawn(process.execPath, [BIN, 'live', '--scenario', QUICKSTART, '--paper', '--json', '--out', out, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  const kill = setTimeout(() => p.kill('SIGKILL'), 40_000);
  cleanups.push(() => {
    clearTimeout(kill);
    if (p.exitCode === null) p.kill('SIGKILL');
  });
  let stderr = '';
  p.stderr.on('data', (d) => (stderr += d));
  const lines: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: p.stdout }).on('line', (l) => {
    if (!l.startsWith('{')) return;
    lines.push(JSON.parse(l) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  const exit = new Promise<{ code: number | null; stderr: string }>((r) => p.on('exit', (code) => r({ code, stderr })));
  return {
    lines,
    exit,
    async next(pred, ms) {
      const until = Date.now() + ms;
      for (;;) {
        const hit = lines.find(pred);
        if (hit !== undefined) return hit;
        if (Date.now() > until || p.exitCode !== null) throw new Error(`no such line within ${ms} ms; stderr: ${stderr}; lines: ${JSON.stringify(lines).slice(0, 2000)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
  };
}

describe('maker live --dashboard', () => {
  it('prints the dashboard line early; the kill switch over HTTP stops the session confirmed (exit 0)', async () => {
    const r = start(['--dashboard', '0']);
    const d = (await r.next((l) => l.type === 'dashboard', 15_000)) as { dashboard: string; token: string };
    expect(d.dashboard).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(d.token).toMatch(/^[0-9a-f]{48}$/);
    // The dashboard line comes before the session's start line.
    expect(r.lines.findIndex((l) => l.type === 'dashboard')).toBeLessThan(r.lines.findIndex((l) => l.type === 'started') === -1 ? Infinity : r.lines.findIndex((l) => l.type === 'started'));
    expect((await fetch(`${d.dashboard}/healthz`)).status).toBe(200);
    await r.next((l) => l.type === 'started', 20_000);
    const until = Date.now() + 20_000;
    while ((await fetch(`${d.dashboard}/readyz`)).status !== 200) {
      if (Date.now() > until) throw new Error('/readyz never 200');
      await new Promise((res) => setTimeout(res, 200));
    }
    const k = await fetch(`${d.dashboard}/api/kill?confirm=yes`, { method: 'POST', headers: { 'X-Maker-Token': d.token }, signal: AbortSignal.timeout(20_000) });
    expect(k.status).toBe(200);
    expect(((await k.json()) as { confirmed: boolean }).confirmed).toBe(true);
    const { code, stderr } = await r.exit;
    expect(code, stderr).toBe(0);
    const summary = r.lines.find((l) => l.type === 'summary') as { shutdown: { reason: string; confirmed: boolean } };
    expect(summary.shutdown.reason).toMatch(/^dashboard kill switch \(/);
    expect(summary.shutdown.confirmed).toBe(true);
    expect(r.lines.some((l) => typeof l.message === 'string' && /dashboard: kill switch pressed/.test(l.message))).toBe(true);
  }, 45_000);

  it('takes the token from live.dashboard.tokenEnv (not echoed); refuses a bad port or an unset variable (exit 2)', async () => {
    const token = 'dashboard-test-token-0123456789';
    const r = start(['--dashboard', '0', '--duration', '2s', '--set', 'live.dashboard.tokenEnv=MAKER_TEST_DASH_TOKEN'], { MAKER_TEST_DASH_TOKEN: token });
    const d = (await r.next((l) => l.type === 'dashboard', 15_000)) as { dashboard: string; token?: string; tokenEnv: string };
    expect(d.token).toBeUndefined();
    expect(d.tokenEnv).toBe('MAKER_TEST_DASH_TOKEN');
    expect((await fetch(`${d.dashboard}/api/state`, { headers: { 'X-Maker-Token': token } })).status).toBe(200);
    const done = await r.exit;
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.stringify(r.lines).includes(token)).toBe(false);

    const bad = await start(['--dashboard', '80x']).exit;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--dashboard takes a port number 0\.\.65535/);
    const unset = await start(['--dashboard', '0', '--set', 'live.dashboard.tokenEnv=MAKER_TEST_DASH_UNSET']).exit;
    expect(unset.code).toBe(2);
    expect(unset.stderr).toMatch(/MAKER_TEST_DASH_UNSET is not set \(live\.dashboard\.tokenEnv\)/);
  }, 45_000);
});
