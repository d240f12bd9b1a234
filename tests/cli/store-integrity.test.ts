// The store's content hashes as a user meets them: `maker data check` names a damaged file and
// exits 1, reports a dead writer's leftovers without failing; `maker backtest` refuses damaged
// data unless told otherwise, and its data fingerprint covers the bytes read; `maker import`
// killed at random moments never leaves a damaged store.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { tablePath } from '../store/helpers.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'maker-integrity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function maker(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [makerBin(), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every summary.json under a directory (a run that wrote nothing has none). */
function summaries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('summary.json')).map((f) => join(dir, f));
}

const store = join(tmp, 'store');
let date = '';

function scenarioFile(storeDir: string): string {
  const file = join(tmp, `scenario-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `name: integrity\nseed: 1\ndata:\n  source: store\n  store: ${storeDir}\n  symbols: [BTCUSDT]\nstrategy:\n  kind: fixed\n  halfSpreadTicks: 2\n  sizeLots: 2\n  maxPositionLots: 20\nrisk:\n  maxPositionLots: 20\n`);
  return file;
}

beforeAll(() => {
  const rec = join(tmp, 'btcusdt_synth.gz');
  expect(maker('data', 'synth', '--out', rec, '--duration-s', '20', '--seed', '5').code).toBe(0);
  const imp = maker('import', rec, '--out', store, '--infer-spec', '--quiet');
  expect(imp.code, imp.stderr).toBe(0);
  date = readdirSync(join(store, 'binance-usdm', 'BTCUSDT'))[0];
}, 120_000);

describe('store integrity through the CLI', () => {
  it('data check verifies every file (JSON: store.verified), and names a flipped bit with exit 1', () => {
    const ok = maker('data', 'check', store, '--json', '--quiet');
    expect(ok.code, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report.store.verified).toBeGreaterThanOrEqual(3);
    expect(report.store.damaged).toEqual([]);

    const broken = join(tmp, 'broken-check');
    cpSync(store, broken, { recursive: true });
    const file = tablePath(broken, 'binance-usdm', 'BTCUSDT', date, 'trades');
    const bytes = Buffer.from(readFileSync(file));
    bytes[Math.floor(bytes.length / 2)] ^= 0x10;
    writeFileSync(file, bytes);
    const text = maker('data', 'check', broken, '--quiet');
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(file);
    expect(text.stdout).toMatch(/SHA-256 [0-9a-f]{64} does not match/);
    const json = JSON.parse(maker('data', 'check', broken, '--json', '--quiet').stdout);
    expect(json.store.damaged.map((d: { path: string; problem: string }) => [d.path, d.problem])).toEqual([[file, 'checksum']]);
  });

  it('data check reports a dead writer leftovers (temporary file, stale lock) without failing', () => {
    const left = join(tmp, 'leftovers');
    cpSync(store, left, { recursive: true });
    const dir = join(left, 'binance-usdm', 'BTCUSDT', date);
    writeFileSync(join(dir, '.depth.4242.tmp'), 'half a file');
    writeFileSync(join(dir, '.lock'), '999999999\n');
    const r = maker('data', 'check', left, '--json', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).store.leftovers.map((l: { kind: string }) => l.kind).sort()).toEqual(['stale lock', 'temporary file']);
    const text = maker('data', 'check', left, '--quiet');
    expect(text.stdout).toMatch(/leftover .*\.depth\.4242\.tmp \(temporary file/);
  });

  it('backtest refuses a damaged file (exit 2, names it, writes nothing); data.verify=false runs, with another fingerprint', () => {
    const clean = maker('backtest', '--scenario', scenarioFile(store), '--json', '--quiet', '--out', join(tmp, 'runs-clean'));
    expect(clean.code, clean.stderr).toBe(0);
    const fpClean = JSON.parse(clean.stdout).dataFingerprint;
    expect(fpClean).toMatch(/^sha256:/);

    const broken = join(tmp, 'broken-run');
    cpSync(store, broken, { recursive: true });
    const file = tablePath(broken, 'binance-usdm', 'BTCUSDT', date, 'depth');
    const bytes = Buffer.from(readFileSync(file));
    bytes[bytes.length - 100] ^= 0x01;
    writeFileSync(file, bytes);
    const out = join(tmp, 'runs-broken');
    const refused = maker('backtest', '--scenario', scenarioFile(broken), '--quiet', '--out', out);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(file);
    expect(refused.stderr).toMatch(/does not match .* recorded in meta\.json.*data\.verify=false/);
    expect(summaries(out)).toEqual([]);

    const anyway = maker('backtest', '--scenario', scenarioFile(broken), '--set', 'data.verify=false', '--json', '--quiet', '--out', join(tmp, 'runs-anyway'));
    // The flipped byte may or may not make the data undecodable; when it decodes, the run goes on
    // and its fingerprint is not the clean data's.
    // Deterministically readable damage: a file whose recorded hash is wrong (the bytes are fine).
    const wrongHash = join(tmp, 'wrong-hash');
    cpSync(store, wrongHash, { recursive: true });
    const metaFile = join(wrongHash, 'binance-usdm', 'BTCUSDT', date, 'meta.json');
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    meta.tables.trades.sha256 = '0'.repeat(64);
    writeFileSync(metaFile, JSON.stringify(meta));
    const ran = maker('backtest', '--scenario', scenarioFile(wrongHash), '--set', 'data.verify=false', '--json', '--quiet', '--out', join(tmp, 'runs-wrong-hash'));
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toMatch(/WARNING \[DAMAGED_DATA\] 1 store file\(s\) do not match their recorded SHA-256 and were read anyway/);
    expect(JSON.parse(ran.stdout).dataQuality.store.damaged).toEqual([{ path: tablePath(wrongHash, 'binance-usdm', 'BTCUSDT', date, 'trades'), message: expect.stringMatching(/does not match 0{64}/) }]);
    expect(maker('backtest', '--scenario', scenarioFile(wrongHash), '--quiet', '--out', join(tmp, 'runs-wrong-hash-2')).code).toBe(2);
    if (anyway.code === 0) {
      const summary = JSON.parse(anyway.stdout);
      expect(summary.dataFingerprint).not.toBe(fpClean);
      expect(summary.dataQuality.store.damaged).toEqual([{ path: file, message: expect.stringMatching(/does not match/) }]);
      expect(anyway.stderr).toMatch(/WARNING \[DAMAGED_DATA\] 1 store file\(s\) do not match/);
    }
    else expect(anyway.stderr).toContain(file);
  });

  it('data.verify=false runs on damaged files that decode; one too damaged to decode stops the run, naming it and the reader\'s error, without suggesting data.verify=false again', () => {
    const broken = join(tmp, 'undecodable');
    cpSync(store, broken, { recursive: true });
    const file = tablePath(broken, 'binance-usdm', 'BTCUSDT', date, 'trades');
    const bytes = Buffer.from(readFileSync(file));
    for (let i = 100; i < 164; i++) bytes[i] ^= 0xff;
    writeFileSync(file, bytes);
    const out = join(tmp, 'runs-undecodable');
    for (const set of [[], ['--set', 'data.verify=false']]) {
      const r = maker('backtest', '--scenario', scenarioFile(broken), ...set, '--quiet', '--out', out);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`[E_STORE]: ${file}: SHA-256 `);
      expect(r.stderr).toMatch(/, and it cannot be read \(.+\): a file too damaged to decode stops the run even with data\.verify: false; re-import the data \(maker import\)\n$/);
      // It said "or set data.verify=false to run on it anyway", also to a run that had.
      expect(r.stderr).not.toMatch(/set data\.verify=false/);
    }
    expect(summaries(out)).toEqual([]);
  });

  it('maker import killed at random moments never leaves a damaged store; the next import completes it', async () => {
    const rec = join(tmp, 'btcusdt_more.gz');
    expect(maker('data', 'synth', '--out', rec, '--duration-s', '120', '--seed', '6').code).toBe(0);
    const root = join(tmp, 'killed');
    cpSync(store, root, { recursive: true });
    const rng = new Rng('kill delays');
    for (let k = 0; k < 3; k++) {
      const p = spawn(process.execPath, [makerBin(), 'import', rec, '--out', root, '--infer-spec', '--quiet'], { cwd: ROOT, stdio: 'ignore' });
      const exited = new Promise((r) => p.once('exit', r));
      await new Promise((r) => setTimeout(r, 300 + rng.int(2500)));
      p.kill('SIGKILL');
      await exited;
      const check = JSON.parse(maker('data', 'check', root, '--json', '--quiet').stdout);
      expect(check.store.damaged).toEqual([]);
    }
    expect(maker('import', rec, '--out', root, '--infer-spec', '--quiet').code).toBe(0);
    const final = maker('data', 'check', root, '--json', '--quiet');
    const report = JSON.parse(final.stdout);
    expect(report.store.damaged).toEqual([]);
    expect(report.store.leftovers).toEqual([]);
  }, 180_000);
});
