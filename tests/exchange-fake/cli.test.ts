// `maker exchange` as a user starts it: a real process on a free port, the JSON line with the
// URLs and the test account, a signed request with those credentials, and a clean stop on SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hmacHex } from '../../src/exchange-fake/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'maker.js');

describe('maker exchange', () => {
  it('prints its URLs and account as one JSON line, serves signed requests, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'exchange', '--port', '0', '--json', '--symbols', 'BTCUSDT,ETHUSDT'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += String(c)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const line = await Promise.race([
        new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
        new Promise<string>((_, reject) => setTimeout(() => reject(new Error(`no JSON line within 60 s; stderr: ${stderr}`)), 60_000)),
      ]);
      const info = JSON.parse(line) as { rest: string; ws: string; wsApi: string; accounts: { apiKey: string; secret: string }[] };
      expect(info.rest).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(info.wsApi).toBe(`${info.rest.replace('http', 'ws')}/ws-fapi/v1`);
      const ei = (await (await fetch(`${info.rest}/fapi/v1/exchangeInfo`)).json()) as { symbols: { symbol: string }[] };
      expect(ei.symbols.map((s) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
      const { apiKey, secret } = info.accounts[0];
      const q = `symbol=ETHUSDT&timestamp=${Date.now()}`;
      const r = await fetch(`${info.rest}/fapi/v1/openOrders?${q}&signature=${hmacHex(secret, q)}`, { headers: { 'x-mbx-apikey': apiKey } });
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual([]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  }, 90_000);

  it('says loudly what is not implemented yet (exit 2)', () => {
    const r = spawnSync(process.execPath, [BIN, 'exchange', '--store', 'data/store'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--store: replaying a store in `maker exchange` is not implemented yet/);
    const bad = spawnSync(process.execPath, [BIN, 'exchange', '--speed', '0'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--speed must be a positive number/);
  }, 90_000);
});
