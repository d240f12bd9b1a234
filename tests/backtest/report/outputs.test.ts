import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { DataQualityTracker, EventLogHasher, RUN_FILES, discardStagingLeftIn, renderReportHtml, stagingDirFor, writeRunOutputs } from '../../../src/backtest/report/index.ts';
import { resolvedScenario } from '../../../src/cli/commands/backtest.ts';
import { loadScenarioFile } from '../../../src/scenario/index.ts';
import { BTCUSDT, ETHUSDT, simulateRun, type SimResult } from './sim-run.ts';

const root = mkdtempSync(join(tmpdir(), 'maker-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(r: SimResult, dir: string, extra: Partial<Parameters<typeof writeRunOutputs>[2]> = {}): Record<string, unknown> {
  return writeRunOutputs(dir, r.rec, { info: r.info, scenario: { name: 'report-test', seed: r.info.seed }, metrics: r.metrics, eventCount: r.hasher.events, ...extra });
}

async function readTable(path: string): Promise<Record<string, unknown>[]> {
  const b = readFileSync(path);
  return parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer });
}

const bytesOf = (dir: string): Record<string, string> => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));

describe('run directory', () => {
  const run = simulateRun({ seed: 11, minutes: 6, stepUs: 200_000, symbols: [BTCUSDT, ETHUSDT], chunkRows: 64 });
  const dir = join(root, 'run-a');
  const summary = write(run, dir);

  it('holds exactly the run files, with no staging directory left', () => {
    expect(readdirSync(dir).sort()).toEqual([...RUN_FILES].sort());
    expect(readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('fills.parquet has one row per fill with exact decimals and named units', async () => {
    const rows = await readTable(join(dir, 'fills.parquet'));
    const nFills = run.rec.symbols().reduce((a, s) => a + s.fills, 0);
    expect(nFills).toBeGreaterThan(64); // several row groups
    expect(rows).toHaveLength(nFills);
    const r0 = rows[0];
    expect(Object.keys(r0)).toEqual(['ts_us', 'symbol', 'side', 'price', 'price_ticks', 'qty', 'qty_lots', 'liquidity', 'commission', 'commission_asset', 'mid_price_at_fill', 'order_id', 'client_order_id']);
    const ins = run.rec.symbol(r0.symbol as string).instrument;
    expect(r0.price).toBe(ins.ticksToPrice(Number(r0.price_ticks)));
    expect(r0.qty).toBe(ins.lotsToQty(Number(r0.qty_lots)));
    expect(['maker', 'taker']).toContain(r0.liquidity);
    expect(typeof r0.ts_us).toBe('bigint');
    // fills are in recording order: time never decreases
    for (let i = 1; i < rows.length; i++) expect(rows[i].ts_us as bigint >= (rows[i - 1].ts_us as bigint)).toBe(true);
    const makers = rows.filter((r) => r.liquidity === 'maker').length;
    expect(makers).toBe(run.rec.symbols().reduce((a, s) => a + s.makerFills, 0));
  });

  it('orders.parquet has one row per order event, reasons on rejects', async () => {
    const rows = await readTable(join(dir, 'orders.parquet'));
    const n = run.rec.symbols().reduce((a, s) => a + s.submits + s.cancels + s.rejects + s.modifies, 0);
    expect(rows).toHaveLength(n);
    const rejects = rows.filter((r) => r.event === 'reject');
    expect(rejects.length).toBe(run.metrics.rejectsByReason['-5022']);
    expect(rejects.every((r) => r.reason === '-5022')).toBe(true);
    const cancel = rows.find((r) => r.event === 'cancel')!;
    expect(cancel.price).toBeNull();
    expect(cancel.order_type).toBeNull();
  });

  it('fills and orders: every row group has ts_us min/max for readers that prune by time, and the declared encodings', () => {
    for (const [file, dictionary, plain] of [
      ['fills.parquet', ['symbol', 'side', 'qty', 'liquidity', 'commission'], ['price', 'order_id', 'client_order_id']],
      ['orders.parquet', ['event', 'client_order_id', 'price', 'qty', 'reason'], ['order_id']],
    ] as const) {
      const b = readFileSync(join(dir, file));
      const meta = parquetMetadata(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
      expect(meta.row_groups.length).toBeGreaterThan(1);
      for (const g of meta.row_groups) {
        const col = (name: string) => g.columns.find((c) => c.meta_data!.path_in_schema[0] === name)!.meta_data!;
        const ts = col('ts_us');
        expect(ts.statistics?.min_value).toBeDefined();
        expect(Number(ts.statistics!.min_value)).toBeLessThanOrEqual(Number(ts.statistics!.max_value));
        for (const name of dictionary) expect(col(name).encodings).toContain('RLE_DICTIONARY');
        for (const name of [...plain, 'ts_us']) expect(col(name).encodings).not.toContain('RLE_DICTIONARY');
      }
    }
  });

  it('timeseries.parquet has one row per sample and symbol', async () => {
    const rows = await readTable(join(dir, 'timeseries.parquet'));
    expect(rows).toHaveLength(run.rec.sampleTs.length * 2);
    expect(rows.slice(0, 2).map((r) => r.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    const last = rows[rows.length - 1];
    expect(last.equity).toBe(run.rec.equity.data[run.rec.sampleTs.length - 1]);
    expect(Number(last.position_lots)).toBe(run.rec.symbol('ETHUSDT').position.data[run.rec.sampleTs.length - 1]);
    expect(rows.some((r) => r.bid_quote_price === null)).toBe(true); // no quote during the halt
  });

  it('summary.json carries identity, hash, scenario and the metrics', () => {
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(s).toEqual(JSON.parse(JSON.stringify(summary)));
    expect(s.seed).toBe(11);
    expect(s.determinism.eventLogHash).toBe(run.hasher.digest());
    expect(s.determinism.eventLogHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(s.metrics.pnl.total).toBe(run.portfolio.accountSnapshot('USDT').pnl.total);
    expect(s.scenario).toEqual({ name: 'report-test', seed: 11 });
    expect(s.dataFingerprint).toBe('sha256:0000test');
  });

  it('report.html is self-contained and has every section', () => {
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    for (const id of ['run-info', 'metrics', 'equity', 'drawdown', 'position-BTCUSDT', 'position-ETHUSDT', 'quotes-BTCUSDT', 'quotes-ETHUSDT', 'pnl-components', 'markouts']) {
      expect(html).toContain(`<section id="${id}">`);
    }
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|\shref=|url\(|@import/i);
    expect(html).toContain('net of fees');
    expect(html).toContain('gross of fees');
    for (const legend of ['buy maker', 'buy taker', 'sell maker', 'sell taker', 'spread capture', 'inventory', 'funding']) expect(html).toContain(legend);
    expect(html).toContain(run.hasher.digest());
    // each chart keeps ≤ 2,000 points per series: count vertices of the longest path
    const longest = Math.max(...[...html.matchAll(/<path d="([^"]*)"/g)].map((m) => (m[1].match(/[MLHV]/g) ?? []).length));
    expect(longest).toBeLessThanOrEqual(2 * 2000);
  });

  it('report.html says what was run: the resolved configuration, money with its unit, reject reasons in words, data quality', () => {
    const scenario = resolvedScenario(loadScenarioFile(join(import.meta.dirname, '..', '..', '..', 'scenarios', 'quickstart.yaml'), { set: ['execution.orderLatency.model=random', 'execution.funding.mode=rate'] }));
    const t = new DataQualityTracker(['BTCUSDT', 'ETHUSDT'], run.rec.startUs);
    t.onBookValidity({ symbol: 'BTCUSDT', tsUs: run.rec.startUs, valid: true, cause: 'synced' });
    t.onBookValidity({ symbol: 'BTCUSDT', tsUs: run.rec.startUs + 60_000_000, valid: false, cause: 'gap' });
    t.onBookValidity({ symbol: 'BTCUSDT', tsUs: run.rec.startUs + 90_000_000, valid: true, cause: 'resynced' });
    const dataQuality = t.finish({
      endUs: run.rec.endUs!, range: { fromUs: run.rec.startUs, toUs: run.rec.startUs + 3_600_000_000, text: '2024-08-08T00:00:00Z..2024-08-08T00:59:59Z' }, explicitStreams: null, streams: ['depth'], bookMode: 'depth',
      coverage: ['BTCUSDT', 'ETHUSDT'].map((symbol) => ({ symbol, streams: [{ stream: 'depth', events: 100, firstUs: run.rec.startUs, lastUs: run.rec.endUs, longestSilenceUs: 1_000_000, longestSilenceFromUs: run.rec.startUs }] })),
      syncCounters: () => null,
    });
    const html = renderReportHtml(run.info, run.metrics, run.rec, { scenario, dataQuality, notes: ['BTCUSDT: the edge captured per fill is below the maker fee'] });
    for (const id of ['configuration', 'data-quality']) expect(html).toContain(`<section id="${id}">`);
    const text = html.replace(/<[^>]+>/g, ' ');
    // strategy and its parameters, latency and queue model, fees, funding, risk limits, OMS
    expect(text).toMatch(/strategy\s+fixed: .*halfSpreadTicks=3,.*sizeLots=2,.*skewTicksPerLot=0\.25/);
    expect(text).toContain('random lognormal: entry median 5000 µs, response median 5000 µs, σ 0.5, floor 0 µs');
    expect(text).toContain('prob-power (variant 1, f(x) = x^2)');
    expect(text).toContain('default: maker 0.0002 (2 bp), taker 0.0005 (5 bp)');
    expect(text).toContain('rate: 0.0001 (1 bp) every 8 h at the last mid');
    expect(text).toMatch(/risk limits\s+enforcePercentPrice=true, .*maxPositionLots=20, .*orderRate\.per10s=300/);
    expect(text).toMatch(/OMS\s+flattenOrderType=MARKET, .*quoteTimeInForce=GTX/);
    expect(text).toContain('USDT 10000; leverage 5×');
    // money with its unit; reject reasons in words next to their codes
    expect(text).toMatch(/total PnL \(USDT\)\s+-?\d/);
    expect(text).toContain('exact decimals in USDT');
    expect(run.metrics.rejectsByReason['-5022']).toBeGreaterThan(0);
    expect(text).toMatch(/-5022 post-only would take: \d+/);
    // data quality: warnings on top, coverage, the book out of sync, the first quote
    expect(text).toContain('[COVERAGE] BTCUSDT depth: the data covers 6.0 min of the 60.0 min requested');
    expect(text).toContain('[OUT_OF_SYNC] BTCUSDT: the trader\'s book was out of sync for 30 s');
    expect(text).toContain('the edge captured per fill is below the maker fee');
    // Sharpe / Sortino: six 1-minute returns are below the minimum of 10, and the page says so
    expect(text).toMatch(/Sharpe \(60 s returns, annualised × √525600\)\s+–\s+\(not computed: 6 returns of 60 s, fewer than the minimum 10\)/);
    // deterministic
    expect(renderReportHtml(run.info, run.metrics, run.rec, { scenario, dataQuality, notes: ['BTCUSDT: the edge captured per fill is below the maker fee'] })).toBe(html);
  });

  it('same inputs give byte-identical files; spilling to disk gives the same bytes as memory', () => {
    const again = simulateRun({ seed: 11, minutes: 6, stepUs: 200_000, symbols: [BTCUSDT, ETHUSDT], chunkRows: 64 });
    const dirB = join(root, 'run-b');
    write(again, dirB);
    expect(bytesOf(dirB)).toEqual(bytesOf(dir));
    const dirC = join(root, 'run-c');
    const spilled = simulateRun({ seed: 11, minutes: 6, stepUs: 200_000, symbols: [BTCUSDT, ETHUSDT], chunkRows: 64, spillDir: stagingDirFor(dirC) });
    write(spilled, dirC);
    expect(bytesOf(dirC)).toEqual(bytesOf(dir));
    const other = simulateRun({ seed: 12, minutes: 6, stepUs: 200_000, symbols: [BTCUSDT, ETHUSDT], chunkRows: 64 });
    expect(other.hasher.digest()).not.toBe(run.hasher.digest());
  });

  it('a failure mid-way leaves no complete-looking directory and keeps an older run intact', () => {
    const dirD = join(root, 'run-d');
    const fail = (name: string): void => {
      if (name === 'report.html') throw new Error('disk full (simulated)');
    };
    expect(() => write(run, dirD, { afterFile: fail })).toThrow(/disk full/);
    expect(existsSync(dirD)).toBe(false);
    expect(readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]);
    // an existing run of the same name survives a failed rewrite untouched
    const before = bytesOf(dir);
    expect(() => write(run, dir, { afterFile: fail })).toThrow(/E_IO|disk full/);
    expect(bytesOf(dir)).toEqual(before);
    // and a successful rewrite of the same run replaces it
    write(run, dir);
    expect(bytesOf(dir)).toEqual(before);
    expect(readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('never removes what a run did not write: a directory holding anything else, or another run, is refused and kept', () => {
    const err = (f: () => unknown): { code?: string; exitCode?: number; message: string; location?: { file?: string } } => {
      try {
        f();
      } catch (e) {
        return e as never;
      }
      throw new Error('expected an error');
    };
    // a directory with a file maker did not write (the `--out reports` wipe of issue 8)
    const foreign = join(root, 'run-e');
    mkdirSync(foreign);
    writeFileSync(join(foreign, '.gitkeep'), '');
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const e1 = err(() => write(run, foreign));
    expect(e1).toMatchObject({ code: 'E_IO', exitCode: 2, location: { file: foreign } });
    expect(e1.message).toMatch(/holds "\.gitkeep", "notes\.txt", which a run does not write; refusing to replace it/);
    expect(readdirSync(foreign).sort()).toEqual(['.gitkeep', 'notes.txt']);
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
    // an earlier run's files plus one of the user's
    const mixed = join(root, 'run-f');
    write(run, mixed);
    writeFileSync(join(mixed, 'notes.txt'), 'mine');
    expect(err(() => write(run, mixed)).message).toMatch(/"notes\.txt", which a run does not write/);
    expect(readFileSync(join(mixed, 'notes.txt'), 'utf8')).toBe('mine');
    // a complete run directory of another run id
    const otherRun = join(root, 'run-g');
    write(run, otherRun);
    const before = bytesOf(otherRun);
    const e3 = err(() => writeRunOutputs(otherRun, run.rec, { info: { ...run.info, runId: 'another-run' }, scenario: {}, metrics: run.metrics, eventCount: 0 }));
    expect(e3.message).toMatch(new RegExp(`holds the run "${run.info.runId}", not "another-run"`));
    expect(bytesOf(otherRun)).toEqual(before);
    // incomplete, or not a maker summary
    const partial = join(root, 'run-h');
    mkdirSync(partial);
    writeFileSync(join(partial, 'summary.json'), '{"runId":"x"}');
    expect(err(() => write(run, partial)).message).toMatch(/not a complete run directory \(no fills\.parquet, orders\.parquet, report\.html, timeseries\.parquet\)/);
    expect(readFileSync(join(partial, 'summary.json'), 'utf8')).toBe('{"runId":"x"}');
    // an empty directory holds nothing to lose: used
    const empty = join(root, 'run-i');
    mkdirSync(empty);
    write(run, empty);
    expect(readdirSync(empty).sort()).toEqual([...RUN_FILES].sort());
    expect(readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a write failure (disk full) names the file and the cause, and leaves no staging or created parent behind', () => {
    const parent = join(root, 'new-parent', 'deeper');
    const target = join(parent, 'run-j');
    let staged = '';
    const enospc = (name: string, stagingDir: string): void => {
      if (name !== 'report.html') return;
      staged = stagingDir;
      expect(readdirSync(stagingDir)).toContain('report.html');
      throw Object.assign(new Error(`ENOSPC: no space left on device, write '${join(stagingDir, name)}'`), { code: 'ENOSPC', syscall: 'write', path: join(stagingDir, name) });
    };
    let e: { code?: string; exitCode?: number; message: string; location?: { file?: string } } | undefined;
    try {
      write(run, target, { afterFile: enospc });
    } catch (x) {
      e = x as never;
    }
    expect(staged).not.toBe('');
    expect(e).toMatchObject({ code: 'E_IO', exitCode: 2, location: { file: join(target, 'report.html') } });
    expect(e!.message).toMatch(/^cannot write report\.html: no space left on device \(ENOSPC\); the run directory was not written/);
    expect(existsSync(staged)).toBe(false);
    expect(existsSync(join(root, 'new-parent'))).toBe(false); // created for this run, empty again: removed
    // a parent that existed before stays
    mkdirSync(parent, { recursive: true });
    expect(() => write(run, target, { afterFile: enospc })).toThrow(/ENOSPC/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('an output path that is a file, or lies under one, is a coded E_IO error and the file survives', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'keep me');
    for (const target of [file, join(file, 'run'), join(file, 'deeper', 'run')]) {
      let err: unknown;
      try {
        write(run, target);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'E_IO', exitCode: 2 });
      expect(String((err as Error).message)).toMatch(/not a directory/);
      expect(readFileSync(file, 'utf8')).toBe('keep me');
    }
    expect(readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

describe('EventLogHasher', () => {
  it('hashes the canonical lines, independent of how often it flushes', () => {
    const lines: string[] = [];
    const h = new EventLogHasher();
    for (let i = 0; i < 20_000; i++) {
      h.add('fill', i * 1000, 'BTCUSDT', i % 2 === 0 ? 'buy' : 'sell', 600_000 + i, 1.5, true, null);
      lines.push(`fill\t${i * 1000}\tBTCUSDT\t${i % 2 === 0 ? 'buy' : 'sell'}\t${600_000 + i}\t1.5\ttrue\t~\n`);
    }
    const chunks: string[] = [];
    const h2 = new EventLogHasher((c) => chunks.push(c));
    for (let i = 0; i < 20_000; i++) h2.addFields('fill', [i * 1000, 'BTCUSDT', i % 2 === 0 ? 'buy' : 'sell', 600_000 + i, 1.5, true, null]);
    const expected = `sha256:${createHash('sha256').update(lines.join('')).digest('hex')}`;
    expect(h.digest()).toBe(expected);
    expect(h2.digest()).toBe(expected);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join('')).toBe(lines.join(''));
  });

  it('escapes separators, sorts object keys, distinguishes absent from undefined fields', () => {
    const a = new EventLogHasher((c) => void (text += c));
    let text = '';
    a.add('x', 'a\tb\nc\\d', -0, Number.NaN);
    a.addObject('o', { b: 2, a: { z: [1, { y: 1, x: 2 }], c: undefined }, u: undefined });
    a.add('k');
    a.add('k', undefined);
    a.digest();
    expect(text).toBe('x\ta\\tb\\nc\\\\d\t0\tNaN\no\ta={"z":[1,{"x":2,"y":1}]}\tb=2\nk\nk\t~\n');
    expect(() => a.add('late')).toThrow(/after digest/);
  });
});

describe('discardStagingLeftIn (run writers of this process stopped mid-write, e.g. terminated sweep threads)', () => {
  it('removes this process\'s staging directories, puts back an earlier copy moved aside, and leaves everything else', () => {
    const parent = mkdtempSync(join(tmpdir(), 'staging-left-'));
    try {
      const pid = process.pid;
      mkdirSync(join(parent, `.a.partial-${pid}`));
      writeFileSync(join(parent, `.a.partial-${pid}`, 'fills.parquet'), 'half');
      // Stopped between the two renames of publishing: the earlier copy is aside, the new one not in place.
      mkdirSync(join(parent, `.b.old-${pid}`));
      writeFileSync(join(parent, `.b.old-${pid}`, 'summary.json'), 'earlier');
      // Stopped after both renames: the new copy is in place, the earlier one's run files go.
      mkdirSync(join(parent, 'c'));
      mkdirSync(join(parent, `.c.old-${pid}`));
      writeFileSync(join(parent, `.c.old-${pid}`, 'summary.json'), 'earlier');
      mkdirSync(join(parent, '.d.partial-1')); // another process's
      mkdirSync(join(parent, 'e'));
      expect(discardStagingLeftIn(parent)).toEqual([`.a.partial-${pid}`, `.b.old-${pid}`, `.c.old-${pid}`]);
      expect(readdirSync(parent).sort()).toEqual(['.d.partial-1', 'b', 'c', 'e']);
      expect(readFileSync(join(parent, 'b', 'summary.json'), 'utf8')).toBe('earlier');
      expect(discardStagingLeftIn(join(parent, 'missing'))).toEqual([]);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
