// End-to-end tests of the `maker` CLI as a user runs it: real processes, exit codes, stdout/stderr.
// `makerSource` runs bin/maker.js itself (help, usage errors, data check, import); `maker` the per-run
// bundle of the same sources (tests/support/maker-bin.ts), which starts ~1 s of CPU faster.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { EXCHANGE_INFO, HBT_BTC, haveReal } from '../support/shared-data.ts';
import { tablePath } from '../store/helpers.ts';
import { MAKER_BIN_SOURCE, makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'maker-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(bin: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
/** `maker` as spawned by most tests (the per-run bundle of the same sources, tests/support/maker-bin.ts). */
const maker = (...args: string[]) => run(makerBin(), args);
/** bin/maker.js itself, through tsx: the entry point as installed. */
const makerSource = (...args: string[]) => run(MAKER_BIN_SOURCE, args);

describe('maker CLI', () => {
  it('--help lists the commands (bin/maker.js itself: every command module loads through tsx)', () => {
    const r = makerSource('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/import/);
    expect(r.stdout).toMatch(/data/);
    const d = maker('data', 'check', '--help');
    expect(d.stdout).toMatch(/Exit status: 0 clean, 1/);
  });

  it('an unknown command or option is a usage error (exit 2)', () => {
    expect(makerSource('frobnicate').code).toBe(2);
    expect(maker('data', 'check', '--no-such-flag').code).toBe(2);
  });

  it('data check --synthetic runs on a fresh machine and is clean', () => {
    const r = makerSource('data', 'check', '--synthetic', '--duration-s', '20', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const s = report.symbols.BTCUSDT;
    expect(s.gaps).toBe(0);
    expect(s.crossed).toBe(0);
    expect(s.bookTicker.checked).toBeGreaterThan(300); // one per depth diff: ~19 diffs/s as measured on BTCUSDT
    expect(s.bookTicker.matched).toBe(s.bookTicker.checked);
    expect(typeof s.finalBook.bestBid).toBe('string');
  });

  it('synth → import → check round trip; a dropped depth line is a gap (exit 1)', () => {
    const rec = join(tmp, 'synth.gz');
    expect(maker('data', 'synth', '--out', rec, '--duration-s', '10', '--seed', '3').code).toBe(0);
    const store = join(tmp, 'store-synth');
    // The synthetic market's filters are BTCUSDT-like; infer them from the data.
    const imp = makerSource('import', rec, '--out', store, '--infer-spec', '--quiet');
    expect(imp.code).toBe(0);
    expect(imp.stderr).toMatch(/inferred tick 0.1/);
    const { store: integrity, ...fromStore } = JSON.parse(maker('data', 'check', store, '--json').stdout);
    const fromRaw = JSON.parse(maker('data', 'check', rec, '--infer-spec', '--json', '--quiet').stdout);
    expect(fromStore).toEqual(fromRaw);
    expect(integrity).toMatchObject({ partitions: 1, verified: 4, damaged: [], leftovers: [] });
    expect(fromRaw.symbols.BTCUSDT.gaps).toBe(0);

    const lines = gunzipSync(readFileSync(rec)).toString('utf8').split('\n');
    const depthIdx = lines.findIndex((l, i) => i > 50 && l.includes('@depth'));
    lines.splice(depthIdx, 1);
    const broken = join(tmp, 'gap.gz');
    writeFileSync(broken, gzipSync(lines.join('\n')));
    const r = maker('data', 'check', broken, '--infer-spec', '--json', '--quiet');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).symbols.BTCUSDT.gaps).toBe(1);

    // No snapshot at all, plus a stream maker does not map: the book never syncs (exit 1) and the
    // unknown stream is skipped and reported.
    const noSnap = lines.filter((l) => !l.includes('lastUpdateId'));
    noSnap.splice(3, 0, `${noSnap[2].split(' ')[0]} {"stream":"btcusdt@kline_1m","data":{"e":"kline"}}`);
    const unsynced = join(tmp, 'nosnap.gz');
    writeFileSync(unsynced, gzipSync(noSnap.join('\n')));
    const u = maker('data', 'check', unsynced, '--infer-spec', '--json', '--quiet');
    expect(u.code).toBe(1);
    const ur = JSON.parse(u.stdout);
    expect(ur.symbols.BTCUSDT.finalBook.valid).toBe(false);
    expect(ur.skippedStreams).toEqual({ 'btcusdt@kline_1m': 1 });
  });

  it('import --spill-rows: a small buffer spills sorted runs and writes the same store; a bad value is exit 2 naming it', () => {
    const rec = join(tmp, 'synth-spill.gz');
    expect(maker('data', 'synth', '--out', rec, '--duration-s', '10', '--seed', '5').code).toBe(0);
    const files = (dir: string) => (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet') || f.endsWith('meta.json')).sort();
    const whole = join(tmp, 'store-spill-default');
    const spilled = join(tmp, 'store-spill-500');
    expect(maker('import', rec, '--out', whole, '--infer-spec', '--quiet').code).toBe(0);
    // 10 s of the synthetic market is a few thousand rows and levels: 500 spills several runs.
    const r = maker('import', rec, '--out', spilled, '--infer-spec', '--quiet', '--spill-rows', '500', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).stats.events).toBeGreaterThan(2000);
    expect(files(spilled)).toEqual(files(whole));
    expect(files(whole).length).toBeGreaterThanOrEqual(4);
    for (const f of files(whole)) expect(readFileSync(join(spilled, f)).equals(readFileSync(join(whole, f))), f).toBe(true);
    expect(readdirSync(spilled).filter((f) => f.startsWith('.spill-')), 'no spill run left').toEqual([]);
    for (const bad of ['0', '-5', '1e6', 'lots', '']) {
      const b = maker('import', rec, '--out', join(tmp, 'store-spill-bad'), '--infer-spec', '--quiet', '--spill-rows', bad);
      expect(b.code, bad).toBe(2);
      expect(b.stderr).toContain(`field "--spill-rows": must be a positive integer written in digits, such as 1000000; got "${bad}"`);
    }
    expect(existsSync(join(tmp, 'store-spill-bad', 'binance-usdm'))).toBe(false);
  });

  it('bad input: names the file and line, exits 2, writes nothing', () => {
    const bad = join(tmp, 'btcusdt_bad.txt');
    writeFileSync(bad, '1723161255030314667 {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"T":1,"s":"BTCUSDT","t":1,"p":"1.0","q":"1","m":false}}\n1723161255030314668 {not json\n');
    const store = join(tmp, 'store-bad');
    const r = maker('import', bad, '--out', store, '--infer-spec', '--quiet');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:2`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(store) ? readdirSync(store, { recursive: true }).filter((f) => String(f).endsWith('.parquet')) : []).toEqual([]);
    const missing = maker('data', 'check', join(tmp, 'nope.gz'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.gz.*no such file/);
    const noSpec = maker('data', 'check', bad);
    expect(noSpec.code).toBe(2);
    expect(noSpec.stderr).toMatch(/no instrument spec for symbol BTCUSDT.*--spec/);
  });

  it('--format with an unknown id is a usage error listing the ids (exit 2)', () => {
    const rec = join(tmp, 'btcusdt_fmt.txt');
    writeFileSync(rec, '1723161255030314667 {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"T":1,"s":"BTCUSDT","t":1,"p":"1.0","q":"1","m":false}}\n');
    for (const args of [['import', rec, '--out', join(tmp, 'store-fmt')], ['data', 'check', rec]]) {
      const r = maker(...args, '--format', 'bogus', '--infer-spec', '--quiet');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/'bogus' is invalid.*binance-ws-recording/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('import --out naming a file (or a path under one) fails with the option named, exit 2, before reading', () => {
    const rec = join(tmp, 'btcusdt_out.txt');
    writeFileSync(rec, '1723161255030314667 {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"T":1,"s":"BTCUSDT","t":1,"p":"1.0","q":"1","m":false}}\n');
    const file = join(tmp, 'not-a-dir');
    writeFileSync(file, 'x');
    for (const out of [file, join(file, 'store')]) {
      const r = maker('import', rec, '--out', out, '--infer-spec', '--quiet');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/field "--out".*not a directory/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it.skipIf(!haveReal)('real BTCUSDT: raw and imported store give 0 gaps, 0 crossed, bookTicker 629/629', () => {
    const raw = maker('data', 'check', HBT_BTC, '--spec', EXCHANGE_INFO, '--json');
    expect(raw.code).toBe(0);
    const r = JSON.parse(raw.stdout).symbols.BTCUSDT;
    expect([r.gaps, r.crossed, r.bookTicker.checked, r.bookTicker.matched]).toEqual([0, 0, 629, 629]);
    expect(r.depthEvents).toBe(6551);
    expect(r.trades).toBe(21313);
    expect(r.tradeIdGaps).toBe(0);
    expect(r.clockOffsetUs).toBeLessThan(-1_200_000); // the recorder's clock was ~1.27 s behind
    const store = join(tmp, 'store-real');
    expect(maker('import', HBT_BTC, '--spec', EXCHANGE_INFO, '--out', store, '--quiet').code).toBe(0);
    // Importing twice changes nothing.
    const before = readFileSync(tablePath(store, 'binance-usdm', 'BTCUSDT', '2024-08-08', 'depth'));
    expect(maker('import', HBT_BTC, '--spec', EXCHANGE_INFO, '--out', store, '--quiet').code).toBe(0);
    expect(readFileSync(tablePath(store, 'binance-usdm', 'BTCUSDT', '2024-08-08', 'depth')).equals(before)).toBe(true);
    const fromStore = maker('data', 'check', store, '--json');
    expect(fromStore.code).toBe(0);
    expect(JSON.parse(fromStore.stdout).symbols.BTCUSDT).toEqual(r);
  });
});
