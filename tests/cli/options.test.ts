// Strict CLI option values: a seed a user can get wrong is an error naming the option, never seed 0
// (issue 8). The parser, then the real CLI in child processes.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSeedOption } from '../../src/cli/options.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'maker-seed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function makerAsync(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [makerBin(), ...args], { cwd: ROOT, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => void (stdout += d.toString('utf8')));
    p.stderr.on('data', (d: Buffer) => void (stderr += d.toString('utf8')));
    p.on('error', fail);
    p.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

const QUICK = join(ROOT, 'scenarios', 'quickstart.yaml');
const SHORT = 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:04Z';

describe('parseSeedOption', () => {
  it('takes plain decimal digits', () => {
    expect(parseSeedOption('42')).toBe(42);
    expect(parseSeedOption('0')).toBe(0);
    expect(parseSeedOption('007')).toBe(7);
    expect(parseSeedOption(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseSeedOption(undefined)).toBeUndefined();
  });

  it('refuses anything else, naming the option (E_CONFIG, exit 2)', () => {
    for (const bad of ['', ' ', 'abc', '-1', '1.5', '0x10', '1e3', ' 7', '7 ', '+7', 'Infinity', 'NaN', '9007199254740993']) {
      let err: unknown;
      try {
        parseSeedOption(bad, '--seed');
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(bad)).toMatchObject({ code: 'E_CONFIG', exitCode: 2, location: { field: '--seed' } });
      expect((err as Error).message).toContain(`got "${bad}"`);
    }
  });
});

describe('--seed', () => {
  it('"", "abc", "-1", "1.5" are errors naming --seed (exit 2), never seed 0; backtest, data synth and exchange alike', async () => {
    const out = join(tmp, 'seed-runs');
    const bad = ['', 'abc', '-1', '1.5'];
    const runs = await Promise.all([
      ...bad.map((s) => makerAsync('backtest', '--scenario', QUICK, '--set', SHORT, '--seed', s, '--out', out, '--quiet')),
      ...bad.slice(0, 2).map((s) => makerAsync('data', 'synth', '--seed', s, '--out', join(out, `synth-${s}.gz`), '--duration-s', '1')),
      // The exchange refuses it before it listens (a good seed would serve until stopped).
      ...bad.slice(1, 3).map((s) => makerAsync('exchange', '--seed', s, '--port', '0')),
    ]);
    const seeds = [...bad, ...bad.slice(0, 2), ...bad.slice(1, 3)];
    runs.forEach((r, i) => {
      expect(r.code, `--seed "${seeds[i]}"`).toBe(2);
      expect(r.stderr).toBe(`maker: error [E_CONFIG]: field "--seed": must be a non-negative integer written in digits, such as 42; got "${seeds[i]}"\n`);
    });
    expect(existsSync(out)).toBe(false);
  });
});
