// `maker download` end to end, as a user runs it: a spawned `maker` against a local archive server
// on loopback. The command btc-jan's missing-data hint names fetches and imports what the scenario
// needs (then `maker data check` and `maker backtest` read the store); missing days, a bad checksum
// and a dropped connection in one run (--json lines, exit 1, then --allow-missing); a run killed
// mid-file resumed by the next; bad options fail before any request.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runDownloadCommand } from '../../src/cli/commands/download.ts';
import { MakerError } from '../../src/core/errors.ts';
import { EXCHANGE_INFO_BTC, fillerTradesCsv, sha256, startArchiveServer, syntheticVisionCsvs, zipCsv, type ArchiveServer } from './helpers.ts';
import { MAKER_BIN_SOURCE, makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'download-cli-'));
const SPEC = join(tmp, 'exchangeInfo.json');
writeFileSync(SPEC, JSON.stringify(EXCHANGE_INFO_BTC));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Spawns maker without blocking this process (the archive server answers from it). `bin`: the per-run bundle by default, or bin/maker.js itself. */
function maker(args: string[], onSpawn?: (kill: () => void) => void, bin = makerBin()): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? -1 : -2), stdout, stderr });
    });
    onSpawn?.(() => child.kill('SIGKILL'));
  });
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

let server: ArchiveServer;
beforeEach(async () => {
  server = await startArchiveServer();
});
afterEach(async () => {
  await server.close();
});

describe('maker download (CLI)', () => {
  it('maker --help lists download with what it does', async () => {
    const r = await maker(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/download \[options\]\s+download data\.binance\.vision history/);
    const h = await maker(['download', '--help']);
    expect(h.stdout).toMatch(/Exit status: 0 all there, 1 archives missing or failed, 2/);
  });

  it("the command in btc-jan's missing-data hint downloads and imports a store that data check and the backtest read", async () => {
    const hint = (parseYaml(readFileSync(join(ROOT, 'scenarios', 'btc-jan.yaml'), 'utf8')) as { data: { missingHint: string } }).data.missingHint;
    const m = /npx maker (download [^()]+?)\s*\(/.exec(hint);
    expect(m).not.toBeNull();
    const args = m![1].split(/\s+/);
    expect(args).toEqual(expect.arrayContaining(['--symbols', 'BTCUSDT', '--from', '2024-01-01', '--to', '2024-01-31', '--import']));
    // The same command, pointed at the local server, a temporary store and the test's exchangeInfo.
    const store = join(tmp, 'hint-store');
    const out = join(tmp, 'hint-raw');
    const at = (flag: string) => args.indexOf(flag) + 1;
    args[at('--store')] = store;
    args[at('--spec')] = SPEC;
    // January 2024 as monthly archives holding two minutes of the synthetic market.
    const csv = syntheticVisionCsvs(Date.UTC(2024, 0, 1) * 1000, 120, 5);
    server.put('data/futures/um/monthly/bookTicker/BTCUSDT/BTCUSDT-bookTicker-2024-01.zip', zipCsv('BTCUSDT-bookTicker-2024-01.zip', csv.bookTicker));
    server.put('data/futures/um/monthly/trades/BTCUSDT/BTCUSDT-trades-2024-01.zip', zipCsv('BTCUSDT-trades-2024-01.zip', csv.trades));
    // bin/maker.js itself (the one run of `maker download` through the installed entry point).
    const r = await maker([...args, '--base-url', server.baseUrl, '--out', out, '--json', '--quiet'], undefined, MAKER_BIN_SOURCE);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines[0]).toMatchObject({ event: 'plan', archives: 2, plan: [{ symbol: 'BTCUSDT', type: 'bookTicker', monthly: ['2024-01'], daily: [] }, { symbol: 'BTCUSDT', type: 'trades', monthly: ['2024-01'], daily: [] }] });
    const files = lines.filter((l) => l.event === 'file');
    expect(files.map((f) => [f.status, f.granularity, f.path]).sort()).toEqual([
      ['downloaded', 'monthly', 'data/futures/um/monthly/bookTicker/BTCUSDT/BTCUSDT-bookTicker-2024-01.zip'],
      ['downloaded', 'monthly', 'data/futures/um/monthly/trades/BTCUSDT/BTCUSDT-trades-2024-01.zip'],
    ]);
    expect(existsSync(join(out, 'data/futures/um/monthly/trades/BTCUSDT/BTCUSDT-trades-2024-01.zip.CHECKSUM'))).toBe(true);
    expect(lines.find((l) => l.event === 'summary')).toMatchObject({ downloaded: 2, present: 0, missing: [], failed: [], exitStatus: 0 });
    const imported = lines.find((l) => l.event === 'import') as { stats: { symbols: Record<string, Record<string, number>> } };
    expect(imported.stats.symbols.BTCUSDT.bookTicker).toBe(csv.quotes);
    expect(imported.stats.symbols.BTCUSDT.trade).toBe(csv.prints);

    const check = await maker(['data', 'check', store, '--json', '--quiet']);
    expect(check.code).toBe(0);
    const report = JSON.parse(check.stdout) as { symbols: Record<string, { trades: number; tradeIdGaps: number }> };
    expect(report.symbols.BTCUSDT.trades).toBe(csv.prints);
    expect(report.symbols.BTCUSDT.tradeIdGaps).toBe(0);

    const bt = await maker(['backtest', '--scenario', join(ROOT, 'scenarios', 'btc-jan.yaml'), '--set', `data.store=${store}`, '--set', 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:01:59Z', '--out', join(tmp, 'hint-run'), '--json', '--quiet']);
    expect(bt.stderr).toBe('');
    expect(bt.code).toBe(0);
    const summary = JSON.parse(bt.stdout) as { engine: { marketEvents: number }; metrics: { trading: { fills: number } } };
    expect(summary.engine.marketEvents).toBe(csv.quotes + csv.prints);
    expect(summary.metrics.trading.fills).toBeGreaterThan(0);

    // Again: everything is there and verified; nothing is fetched but nothing breaks either.
    const before = server.requests.length;
    const again = await maker([...args, '--base-url', server.baseUrl, '--out', out, '--json', '--quiet']);
    expect(again.code).toBe(0);
    expect(jsonLines(again.stdout).find((l) => l.event === 'summary')).toMatchObject({ downloaded: 0, present: 2 });
    expect(server.requests.length).toBe(before);
  }, 120_000);

  it('a missing day, a bad checksum and a dropped connection in one run: --json lines, exit 1, then --allow-missing', async () => {
    const out = join(tmp, 'faults');
    const path = (d: string) => `data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-0${d}.zip`;
    const z1 = zipCsv('BTCUSDT-trades-2024-01-01.zip', fillerTradesCsv(100, 1));
    const z3 = zipCsv('BTCUSDT-trades-2024-01-03.zip', fillerTradesCsv(20_000, 3));
    const z4 = zipCsv('BTCUSDT-trades-2024-01-04.zip', fillerTradesCsv(200, 4));
    server.put(path('1'), z1);
    server.put(path('3'), z3, { dropAfterBytes: 40_000 });
    server.put(path('4'), z4, { corruptTimes: 1 });
    const args = ['download', '--symbols', 'btcusdt', '--from', '2024-01-01', '--to', '2024-01-04', '--types', 'trades', '--out', out, '--base-url', server.baseUrl];
    const r = await maker([...args, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const lines = jsonLines(r.stdout);
    const files = Object.fromEntries(lines.filter((l) => l.event === 'file').map((l) => [l.path as string, l]));
    expect(files[path('1')].status).toBe('downloaded');
    expect(files[path('2')]).toMatchObject({ status: 'missing' });
    expect(files[path('3')]).toMatchObject({ status: 'downloaded', bytes: z3.length });
    expect(files[path('4')]).toMatchObject({ status: 'downloaded', bytes: z4.length });
    expect(lines.find((l) => l.event === 'retry')).toMatchObject({ event: 'retry', attempt: 1 });
    expect(lines.find((l) => l.event === 'checksum-mismatch')).toMatchObject({ again: true, file: join(out, path('4')) });
    expect(lines.some((l) => l.event === 'progress')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ event: 'summary', downloaded: 3, missing: [path('2')], failed: [], exitStatus: 1 });
    expect(server.requests.filter((q) => q.path === path('3')).map((q) => q.range)).toEqual([undefined, 'bytes=40000-']);
    expect(sha256(readFileSync(join(out, path('3'))))).toBe(sha256(z3));

    // The text form names the missing archive; --allow-missing accepts it (and fetches nothing again).
    const text = await maker([...args, '--allow-missing']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/3 already there and verified/);
    expect(text.stdout).toMatch(/MISSING 1 archive\(s\)[^\n]*\n {4}BTCUSDT trades daily 2024-01-02 {2}\(data\/futures\/um\/daily\/trades\/BTCUSDT\/\)\n/);
    expect(text.stderr).toMatch(/trades: daily 2024-01-01\.\.2024-01-04/);
  }, 60_000);

  it('a run killed mid-file is resumed by the next with a Range request, and the file verifies', async () => {
    const out = join(tmp, 'killed');
    const p = 'data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-01-01.zip';
    const zip = zipCsv('BTCUSDT-aggTrades-2024-01-01.zip', fillerTradesCsv(20_000, 9));
    server.put(p, zip, { stallAfterBytes: 30_000 });
    const args = ['download', '--symbols', 'BTCUSDT', '--from', '2024-01-01', '--types', 'aggTrades', '--out', out, '--base-url', server.baseUrl, '--json'];
    const part = join(out, `${p}.part`);
    const first = await maker(args, (kill) => {
      void server.stalled.then(async () => {
        // Kill once the bytes sent are on disk, as a crash would leave them.
        for (let i = 0; i < 200 && !(existsSync(part) && statSync(part).size === 30_000); i++) await new Promise((r) => setTimeout(r, 25));
        kill();
      });
    });
    expect(first.code).toBe(-1);
    expect(statSync(part).size).toBe(30_000);
    const second = await maker(args);
    expect(second.code).toBe(0);
    const file = jsonLines(second.stdout).find((l) => l.event === 'file');
    expect(file).toMatchObject({ status: 'downloaded', resumedFromBytes: 30_000, bytes: zip.length });
    expect(server.requests.filter((q) => q.path === p).map((q) => q.range)).toEqual([undefined, 'bytes=30000-']);
    expect(sha256(readFileSync(join(out, p)))).toBe(sha256(zip));
    expect(existsSync(part)).toBe(false);
  }, 60_000);

  it('no network (a host that does not resolve): each archive fails at once naming the host, without five retries, and the rest are not tried', async () => {
    const out = join(tmp, 'no-dns');
    // `.invalid` never resolves (RFC 2606): what a machine with no network or no DNS sees.
    const r = await maker(['download', '--symbols', 'BTCUSDT', '--from', '2024-01-01', '--to', '2024-01-04', '--types', 'trades', '--concurrency', '1', '--out', out, '--base-url', 'https://nonexistent.invalid', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const lines = jsonLines(r.stdout);
    // ENOTFOUND is not retried; EAI_AGAIN (a resolver that does not answer) once. Before, 5 retries (16 s) per archive in flight.
    expect(lines.filter((l) => l.event === 'retry').length).toBeLessThanOrEqual(1);
    const failed = (lines.find((l) => l.event === 'summary') as { failed: { message: string }[] }).failed;
    expect(failed).toHaveLength(4);
    expect(failed[0].message).toMatch(/^BTCUSDT-trades-2024-01-01\.zip\.CHECKSUM: cannot resolve the host nonexistent\.invalid \((ENOTFOUND|EAI_AGAIN)\): the network or DNS is unreachable from here, or the host name is wrong/);
    for (const f of failed.slice(1)) expect(f.message).toMatch(/not tried, the server could not be reached \(cannot resolve the host nonexistent\.invalid/);
  }, 60_000);

  it('SIGINT mid-file: exit 130, one line saying what is kept; the .part stays (the next run resumes it) and nothing else half-written', async () => {
    const out = join(tmp, 'sigint');
    const done = 'data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-01-01.zip';
    const p = 'data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-01-02.zip';
    server.put(done, zipCsv('BTCUSDT-aggTrades-2024-01-01.zip', fillerTradesCsv(200, 3)));
    const zip = zipCsv('BTCUSDT-aggTrades-2024-01-02.zip', fillerTradesCsv(20_000, 9));
    server.put(p, zip, { stallAfterBytes: 30_000 });
    const args = ['download', '--symbols', 'BTCUSDT', '--from', '2024-01-01', '--to', '2024-01-03', '--types', 'aggTrades', '--concurrency', '1', '--out', out, '--base-url', server.baseUrl];
    const part = join(out, `${p}.part`);
    const c = spawn(process.execPath, [makerBin(), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
    try {
      await server.stalled;
      for (let i = 0; i < 400 && !(existsSync(part) && statSync(part).size === 30_000); i++) await new Promise((r) => setTimeout(r, 25));
      c.kill('SIGINT');
      expect(await exited, stderr).toBe(130);
    } finally {
      c.kill('SIGKILL');
    }
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(`maker: error [E_INTERRUPTED]: stopped by SIGINT before the download was complete: 1 verified archive(s) are kept under ${out} (1 downloaded now, 0 already there); 1 partial download(s) (.zip.part) are kept for the same command to resume; 1 not fetched`);
    expect(stdout).toBe('');
    expect(statSync(part).size).toBe(30_000);
    const dir = join(out, 'data/futures/um/daily/aggTrades/BTCUSDT');
    expect(readdirSync(dir).sort()).toEqual(['BTCUSDT-aggTrades-2024-01-01.zip', 'BTCUSDT-aggTrades-2024-01-01.zip.CHECKSUM', 'BTCUSDT-aggTrades-2024-01-02.zip.part']);
    expect(server.requests.some((q) => q.path.includes('2024-01-03'))).toBe(false); // not started after the signal

    // The same command resumes the .part with Range (the third day is not on the server: exit 1).
    const again = await maker([...args, '--json']);
    expect(again.code, again.stderr).toBe(1);
    expect(jsonLines(again.stdout).find((l) => l.event === 'file' && l.path === p)).toMatchObject({ status: 'downloaded', resumedFromBytes: 30_000 });
    expect(sha256(readFileSync(join(out, p)))).toBe(sha256(zip));
  }, 60_000);

  it('SIGTERM while waiting to retry: exit 143, nothing kept, no .part left', async () => {
    const out = join(tmp, 'sigterm');
    const p = 'data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-01.zip';
    server.put(p, zipCsv('BTCUSDT-trades-2024-01-01.zip', fillerTradesCsv(200, 3)), { unavailableTimes: 100 });
    const c = spawn(process.execPath, [makerBin(), 'download', '--symbols', 'BTCUSDT', '--from', '2024-01-01', '--types', 'trades', '--retries', '20', '--out', out, '--base-url', server.baseUrl, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
    try {
      // The third retry waits 2 s (0.5 s doubling): the signal lands in a wait or a request.
      for (let i = 0; i < 800 && !stdout.includes('"attempt":3'); i++) await new Promise((r) => setTimeout(r, 25));
      c.kill('SIGTERM');
      expect(await exited, stderr).toBe(143);
    } finally {
      c.kill('SIGKILL');
    }
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(`maker: error [E_INTERRUPTED]: stopped by SIGTERM before the download was complete: 0 verified archive(s) are kept under ${out} (0 downloaded now, 0 already there); 1 not fetched`);
    expect(existsSync(join(out, `${p}.part`))).toBe(false);
  }, 60_000);

  it('--import: nothing when an archive is missing (exit 1); with --allow-missing trades, mark-price klines and funding go in, bookDepth is said to stay out', async () => {
    const out = join(tmp, 'partial');
    const store = join(tmp, 'partial-store');
    const csv = syntheticVisionCsvs(Date.UTC(2024, 0, 1) * 1000, 30, 2);
    server.put('data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-01.zip', zipCsv('BTCUSDT-trades-2024-01-01.zip', csv.trades));
    server.put('data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-01.zip', zipCsv('BTCUSDT-fundingRate-2024-01.zip', 'calc_time,funding_interval_hours,last_funding_rate\n1704067200000,8,0.00010000\n1704096000000,8,0.00012000\n'));
    const kline = (min: number, close: string) => `${1704067200000 + min * 60000},42000.0,42010.0,41990.0,${close},0,${1704067200000 + min * 60000 + 59999},0,0,0,0,0`;
    server.put('data/futures/um/daily/markPriceKlines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip', zipCsv('BTCUSDT-1m-2024-01-01.zip', `open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n${kline(0, '42001.5')}\n${kline(1, '42003.1')}\n`));
    server.put('data/futures/um/daily/bookDepth/BTCUSDT/BTCUSDT-bookDepth-2024-01-01.zip', zipCsv('BTCUSDT-bookDepth-2024-01-01.zip', 'timestamp,percentage,depth,notional\n2024-01-01 00:00:08,-5,1000.1,42000000.5\n'));
    const args = ['download', '--symbols', 'BTCUSDT', '--from', '2024-01-01', '--to', '2024-01-02', '--types', 'trades,fundingRate,markPriceKlines,bookDepth', '--out', out, '--base-url', server.baseUrl, '--import', '--store', store, '--spec', SPEC];
    const r = await maker(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not imported: 3 archive\(s\) missing; pass --allow-missing/);
    expect(existsSync(store)).toBe(false);
    const ok = await maker([...args, '--allow-missing', '--quiet']);
    expect(ok.stderr).toBe('maker: warning: bookDepth downloaded but not imported (maker has no importer for it)\n');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/BTCUSDT-fundingRate-2024-01\.zip: 2 funding record\(s\) of BTCUSDT/);
    expect(ok.stdout).toMatch(new RegExp(`imported ${(csv.prints + 2).toLocaleString('en-US')} events from 2 file`));
    expect(ok.stdout).toMatch(/markPrice 2/);
    expect(readFileSync(join(store, 'binance-usdm', 'BTCUSDT', 'funding-rate.csv'), 'utf8')).toBe('funding_time_us,interval_hours,rate\n1704067200000000,8,0.00010000\n1704096000000000,8,0.00012000\n');
  }, 60_000);

  it('bad options fail with the option named (exit 2) before any request', async () => {
    const base = { out: join(tmp, 'never'), baseUrl: server.baseUrl, types: 'trades', interval: '1m', daily: false, concurrency: '4', timeoutS: '30', retries: '5', allowMissing: false, import: false, venue: 'binance-usdm', spec: [] as string[], inferSpec: false, json: true, quiet: true };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ symbols: 'BTCUSDT', from: '2024-01-31', to: '2024-01-01' }, /is before --from/],
      [{ symbols: 'BTCUSDT', from: '2024-02-30' }, /YYYY-MM-DD/],
      [{ symbols: 'BTC/USDT', from: '2024-01-01' }, /not a Binance symbol/],
      [{ symbols: 'BTCUSDT', from: '2024-01-01', types: 'depth' }, /unknown data type "depth"/],
      [{ symbols: 'BTCUSDT', from: '2024-01-01', import: true }, /--import needs --store/],
      [{ symbols: 'BTCUSDT', from: '2024-01-01', import: true, store: join(tmp, 's') }, /needs instrument specs: --spec/],
      [{ symbols: 'ETHUSDT', from: '2024-01-01', import: true, store: join(tmp, 's'), spec: [SPEC] }, /ETHUSDT not in the exchangeInfo/],
      [{ symbols: 'BTCUSDT', from: '2024-01-01', spec: [SPEC] }, /are for --import/],
      [{ symbols: 'BTCUSDT', from: '2024-01-01', concurrency: '0' }, /from 1 to 64/],
      [{ symbols: 'BTCUSDT', from: '2024-01-01', timeoutS: 'x' }, /number of seconds/],
      [{ symbols: 'BTCUSDT', from: '2024-01-01', baseUrl: 'ftp://x' }, /http or https/],
    ];
    for (const [over, re] of cases) {
      const err = await runDownloadCommand({ ...base, ...over } as Parameters<typeof runDownloadCommand>[0]).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(over)).toBeInstanceOf(MakerError);
      expect((err as MakerError).exitCode).toBe(2);
      expect((err as MakerError).describe(), JSON.stringify(over)).toMatch(re);
    }
    // As the CLI says it: the option named, exit 2.
    const r = await maker(['download', '--symbols', 'BTCUSDT', '--from', '2024-01-31', '--to', '2024-01-01', '--base-url', server.baseUrl, '--out', join(tmp, 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^maker: error \[E_CONFIG\]: field "--to": is before --from \(2024-01-31\)$/m);
    expect(server.requests).toEqual([]);
    expect(existsSync(join(tmp, 'never'))).toBe(false);
  }, 60_000);
});
