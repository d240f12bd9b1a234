// `maker live --lock`: a second session on a held lock file refuses to start (exit 5, the holder
// named) without touching the venue; a free lock is held for the session and removed at its end;
// a session whose lock is taken over stops (exit 1, the reason in summary.json).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireFileLease, wallTimers, type FileLease } from '../../src/live/index.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = makerBin();
const QUICKSTART = join(ROOT, 'scenarios', 'quickstart.yaml');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function run(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: process.env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('maker live --lock', () => {
  it('exit 5 naming the holder while another session holds the lock; runs and removes it once free', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-lock-cli-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const lock = join(dir, 'account.lock');
    const held: FileLease = await acquireFileLease({ path: lock, timers: wallTimers, holder: 'the test session on trader-0' });
    cleanups.push(() => held.release());

    const refused = await run(['live', '--scenario', QUICKSTART, '--paper', '--lock', lock, '--out', join(dir, 'runs'), '--duration', '30s']);
    expect(refused.stderr).toContain('E_LOCKED');
    expect(refused.stderr).toContain('the test session on trader-0');
    expect(refused.code).toBe(5);
    // Refused before a session existed: no run directory was written.
    expect(existsSync(join(dir, 'runs'))).toBe(false);
    expect(held.held).toBe(true);

    held.release();
    const ran = await run(['live', '--scenario', QUICKSTART, '--paper', '--lock', lock, '--out', join(dir, 'runs'), '--duration', '2s', '--json']);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain(`holding the lock ${lock}`);
    expect(existsSync(lock)).toBe(false);
  }, 120_000);

  it('a session that finds its lock taken over stops at once: exit 1, the holder named in summary.json, the file left to the other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-lock-cli-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const lock = join(dir, 'account.lock');
    const p = spawn(process.execPath, [BIN, 'live', '--scenario', QUICKSTART, '--paper', '--lock', lock, '--out', join(dir, 'runs'), '--duration', '60s', '--json'], { cwd: ROOT, env: process.env });
    const killer = setTimeout(() => p.kill('SIGKILL'), 90_000);
    let stdout = '';
    let tookOver = false;
    const other = `${JSON.stringify({ token: 'other', holder: 'maker live pid 9 on trader-1', since: 'now', renewals: 0 })}\n`;
    p.stdout.on('data', (d) => {
      stdout += d;
      // Once the session is started, another session takes the lease over (as after a stall of more than 15 s).
      if (!tookOver && stdout.includes('"type":"started"')) {
        tookOver = true;
        writeFileSync(lock, other);
      }
    });
    const code = await new Promise<number | null>((r) => p.on('exit', r));
    clearTimeout(killer);
    expect(tookOver).toBe(true);
    expect(code).toBe(1);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { type: string; fatal: string; shutdown: { confirmed: boolean } };
    expect(summary.type).toBe('summary');
    expect(summary.fatal).toContain('lost the lock');
    expect(summary.fatal).toContain('maker live pid 9 on trader-1');
    expect(summary.shutdown.confirmed).toBe(true);
    // Not ours any more: left in place.
    expect(readFileSync(lock, 'utf8')).toBe(other);
  }, 120_000);
});
