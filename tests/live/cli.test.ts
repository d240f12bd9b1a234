// `maker live` and `maker replay` as a user runs them: --paper end to end, the journal replayed;
// kill -9 of a session and a restart that reconciles (fault 12 of issue 12); clear errors.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { replayJournal } from '../../src/live/index.ts';
import { ACCOUNT, signed, startLocalExchange } from '../exchange-fake/helpers.ts';
import { MAKER_BIN_SOURCE, makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = makerBin();
const QUICKSTART = join(ROOT, 'scenarios', 'quickstart.yaml');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'maker-live-cli-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Runs the CLI to its end (bounded); stdout lines parsed as JSON where they are. */
function run(args: string[], env: Record<string, string> = {}, timeoutMs = 90_000, bin = BIN): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
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

const jsonLines = (s: string): Record<string, unknown>[] =>
  s
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function openOrders(base: string): Promise<{ clientOrderId: string }[]> {
  return (await signed(base, 'GET', '/fapi/v1/openOrders', { symbol: 'BTCUSDT' })).json as unknown as { clientOrderId: string }[];
}

describe('maker live / maker replay CLI', () => {
  it('--paper trades on the in-process exchange, stops confirmed, and maker replay matches every command', async () => {
    const out = tmp();
    // `maker live` and `maker replay` through bin/maker.js itself here; elsewhere the per-run bundle of the same sources.
    const r = await run(['live', '--scenario', QUICKSTART, '--paper', '--duration', '8s', '--json', '--out', out], {}, 90_000, MAKER_BIN_SOURCE);
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    const started = lines.find((l) => l.type === 'started') as { runDir: string };
    const summary = lines.find((l) => l.type === 'summary') as { exitCode: number; runner: { sent: { submit: number } }; shutdown: { confirmed: boolean } };
    expect(summary.exitCode).toBe(0);
    expect(summary.shutdown.confirmed).toBe(true);
    expect(summary.runner.sent.submit).toBeGreaterThan(0);
    for (const f of ['journal.log', 'summary.json', 'scenario.yaml']) expect(existsSync(join(started.runDir, f))).toBe(true);
    const rep = spawnSync(process.execPath, [MAKER_BIN_SOURCE, 'replay', started.runDir, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(rep.status, rep.stderr).toBe(0);
    const rr = JSON.parse(rep.stdout) as { commands: number; matched: number; journalHash: string; replayHash: string };
    expect(rr.commands).toBeGreaterThan(0);
    expect(rr.matched).toBe(rr.commands);
    expect(rr.replayHash).toBe(rr.journalHash);
    // The session wrote report.html at its end; maker replay --report writes the same bytes again.
    const reportFile = join(started.runDir, 'report.html');
    expect((lines.find((l) => l.type === 'summary') as { report: string | null }).report).toBe(reportFile);
    const first = readFileSync(reportFile, 'utf8');
    expect(first).toContain('id="live-vs-simulated"');
    const again = spawnSync(process.execPath, [BIN, 'replay', started.runDir, '--report', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(again.status, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { report: { file: string } }).report.file).toBe(reportFile);
    expect(readFileSync(reportFile, 'utf8')).toBe(first);

    // The market the session saw, as a store, backtested with the same strategy.
    const store = join(out, 'store');
    const ts = spawnSync(process.execPath, [BIN, 'replay', started.runDir, '--to-store', store], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(ts.status, ts.stderr).toBe(0);
    const range = /data\.range: (\S+)/.exec(ts.stderr)![1];
    const scenario = join(out, 'on-live-market.yaml');
    const text = readFileSync(QUICKSTART, 'utf8').replace(/data:\n(?:  .*\n)+/, `data:\n  source: store\n  store: ${store}\n  symbols: [BTCUSDT]\n  range: ${range}\n`);
    writeFileSync(scenario, text);
    const bt = spawnSync(process.execPath, [BIN, 'backtest', '--scenario', scenario, '--out', join(out, 'bt'), '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(bt.status, bt.stderr).toBe(0);
    // The backtest traded on the live market: commands and reports in its event log.
    expect((JSON.parse(bt.stdout) as { determinism: { events: number } }).determinism.events).toBeGreaterThan(0);
  }, 180_000);

  it('kill -9 leaves orders on the exchange; the next session cancels them before quoting, and the killed journal still replays', async () => {
    const lx = await startLocalExchange();
    cleanups.push(() => lx.close());
    const out = tmp();
    const env = { MAKER_API_KEY: ACCOUNT.apiKey, MAKER_API_SECRET: ACCOUNT.secret };
    // Quotes far from the mid (2,000 ticks = 200 USDT), so they rest instead of filling.
    const wide = ['--set', 'strategy.halfSpreadTicks=2000'];
    const p = spawn(process.execPath, [BIN, 'live', '--scenario', QUICKSTART, ...wide, '--venue', lx.base, '--json', '--out', out], { cwd: ROOT, env: { ...process.env, ...env } });
    cleanups.push(() => {
      p.kill('SIGKILL');
    });
    let runDir = '';
    const rl = createInterface({ input: p.stdout });
    rl.on('line', (l) => {
      if (l.includes('"started"')) runDir = (JSON.parse(l) as { runDir: string }).runDir;
    });
    // Quoting steadily: both sides resting on two polls in a row.
    const until = Date.now() + 45_000;
    let steady = 0;
    while (steady < 2 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      steady = runDir !== '' && (await openOrders(lx.base)).length >= 2 ? steady + 1 : 0;
    }
    expect(runDir).not.toBe('');
    const exited = new Promise((r) => p.on('exit', r));
    p.kill('SIGKILL');
    await exited;
    const orphans = await openOrders(lx.base);
    expect(orphans.length).toBeGreaterThan(0);

    const killed = replayJournal(runDir);
    expect(killed.end).toBeNull();
    expect(killed.firstDifference).toBeNull();
    expect(killed.commands).toBeGreaterThan(0);

    const r = await run(['live', '--scenario', QUICKSTART, ...wide, '--venue', lx.base, '--json', '--out', out, '--duration', '3s'], env);
    expect(r.code, r.stderr).toBe(0);
    const logs = jsonLines(r.stdout).filter((l) => l.type === 'log').map((l) => String(l.message));
    const cancelled = logs.map((l) => /cancelling (\d+) open order/.exec(l)).find((m) => m !== null);
    expect(cancelled, logs.join('\n')).toBeDefined();
    expect(Number(cancelled![1])).toBeGreaterThan(0);
    expect(Number(cancelled![1])).toBe(orphans.length);
    expect(await openOrders(lx.base)).toEqual([]);
    // Neither session printed a secret.
    expect(r.stdout.includes(ACCOUNT.secret) || r.stderr.includes(ACCOUNT.secret)).toBe(false);
    expect(readFileSync(join(runDir, 'journal.log'), 'utf8').includes(ACCOUNT.secret)).toBe(false);
  }, 150_000);

  it('keys the venue refuses: exit 2 at once, naming the key variables (the shutdown of the failed start used to leave only unref\'d timers: exit 13, no error line)', async () => {
    const lx = await startLocalExchange();
    cleanups.push(() => lx.close());
    const out = tmp();
    for (const env of [{ MAKER_API_KEY: 'notAKeyTheVenueKnows', MAKER_API_SECRET: 'x' }, { MAKER_API_KEY: ACCOUNT.apiKey, MAKER_API_SECRET: 'wrongSecret' }]) {
      const r = await run(['live', '--scenario', QUICKSTART, '--venue', lx.base, '--out', out], env, 25_000);
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines.at(-1)).toMatch(/^maker: error \[E_CONFIG\]: .*Binance error -(2015|1022) .*check the key and secret variables, live\.apiKeyEnv and live\.secretEnv/);
      expect(r.stderr).toMatch(/the API key is refused: nothing can be cancelled with it/);
      expect(r.stderr).not.toContain('wrongSecret');
    }
  }, 60_000);

  it('says what is wrong: no keys, --paper with --venue, a run dir without a journal', async () => {
    const noKey = await run(['live', '--scenario', QUICKSTART], { MAKER_API_KEY: '', MAKER_API_SECRET: '' });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/MAKER_API_KEY is not set.*--paper/);
    expect(noKey.stderr).not.toMatch(/\n\s+at /);
    const both = await run(['live', '--scenario', QUICKSTART, '--paper', '--venue', 'http://127.0.0.1:1']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--paper and --venue/);
    // A stream base that is not a ws(s) URL: refused before anything connects (it crashed the session, listen key in the message).
    const badWs = await run(['live', '--scenario', QUICKSTART, '--venue', 'http://127.0.0.1:1', '--ws', 'fstream.binance.com'], { MAKER_API_KEY: 'k', MAKER_API_SECRET: 's' });
    expect(badWs.code).toBe(2);
    // An Ed25519 secret that is not a PEM key: a config error naming the variable (it was a TypeError stack, exit 70), the secret not quoted.
    const badPem = await run(['live', '--scenario', QUICKSTART, '--set', 'live.keyType=Ed25519', '--venue', 'http://127.0.0.1:1'], { MAKER_API_KEY: 'k', MAKER_API_SECRET: 'notAPemKeyAtAll' });
    expect(badPem.code).toBe(2);
    expect(badPem.stderr).toBe('maker: error [E_CONFIG]: field "live.secretEnv": the secret variable MAKER_API_SECRET does not hold a usable Ed25519 key (live.keyType): the Ed25519 key is not a PKCS#8 PEM private key\n');
    expect(badWs.stderr).toBe('maker: error [E_CONFIG]: field "--ws": --ws must be a ws:// or wss:// URL such as wss://fstream.binance.com, got "fstream.binance.com"\n');
    const dir = tmp();
    const rep = await run(['replay', dir]);
    expect(rep.code).toBe(2);
    expect(rep.stderr).toMatch(/no journal\.log/);
  }, 60_000);
});
