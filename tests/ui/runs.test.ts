// The run catalogue on hand-made directories: a summary with mistyped or missing fields is listed
// as partial with one reason per field (never an exception), files the summary lists but the
// directory lacks are named, a wrong schema or a JSON array is broken, a sweep directory is a
// sweep and its runs/ are listed, nested run directories are found, and a rewritten summary is read
// again (the cache keys on size and mtime). And the comparison's scenario diff.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listPage, RunCatalogue, scenarioDiff } from '../../src/ui/index.ts';

const root = mkdtempSync(join(tmpdir(), 'ui-runs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(dir: string, summary: unknown, files: string[] = []): void {
  mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, dir, 'summary.json'), typeof summary === 'string' ? summary : JSON.stringify(summary));
  for (const f of files) writeFileSync(join(root, dir, f), 'x');
}

const good = {
  schema: 'maker.backtest.summary/1',
  runId: 'r1',
  scenarioName: 's',
  seed: 1,
  files: ['report.html', 'summary.json'],
  instruments: [{ symbol: 'BTCUSDT' }],
  metrics: { period: { startUs: 1e15, endUs: 1e15 + 60e6 }, pnl: { total: '1.5', asset: 'USDT', returnPct: 0.01 }, markoutsBps: [{ horizonSeconds: 0, bps: 1 }, { horizonSeconds: 5, bps: -2 }] },
  dataQuality: { warnings: [{ code: 'LOW_COVERAGE' }], symbols: [{ book: { gaps: 2, resyncs: 1, outOfSyncPct: 3 }, streams: [{ events: 10, coveragePct: 97 }, { events: 0, coveragePct: 0 }] }] },
  scenario: { seed: 1, strategy: { halfSpreadTicks: 3 } },
};

describe('run catalogue', () => {
  it('reads what a summary holds and names each problem', () => {
    run('ok-run', good, ['report.html']);
    run('missing-file', good);
    run('bad-fields', { ...good, seed: 'x', metrics: { ...good.metrics, pnl: { total: 'lots', asset: 'USDT' } } }, ['report.html']);
    run('wrong-schema', { ...good, schema: 'other/1' });
    run('array', '[1,2]');
    run('deep/er/nested', good, ['report.html']);
    mkdirSync(join(root, 'sweeps', 'sw1', 'runs'), { recursive: true });
    writeFileSync(join(root, 'sweeps', 'sw1', 'results.parquet'), 'x');
    writeFileSync(join(root, 'sweeps', 'sw1', 'leaderboard.html'), '<p>');
    run('sweeps/sw1/runs/r9', good, ['report.html']);
    const cat = new RunCatalogue(root);
    const { entries } = cat.scan();
    const by = new Map(entries.map((e) => [e.key, e]));
    expect([...by.keys()]).toEqual(['array', 'bad-fields', 'deep/er/nested', 'missing-file', 'ok-run', 'sweeps/sw1', 'sweeps/sw1/runs/r9', 'wrong-schema']);
    const ok = by.get('ok-run')!;
    expect(ok.status).toBe('ok');
    expect(ok.problems).toEqual([]);
    expect(ok.metrics!.pnlTotal).toBe('1.5');
    expect(ok.metrics!.markoutBps).toBe(-2);
    expect(ok.metrics!.markoutHorizonS).toBe(5);
    expect(ok.period).toEqual({ fromUs: 1e15, toUs: 1e15 + 60e6, seconds: 60 });
    expect(ok.quality).toEqual({ warnings: ['LOW_COVERAGE'], gaps: 2, resyncs: 1, minCoveragePct: 97, maxOutOfSyncPct: 3 });
    expect(by.get('missing-file')!.status).toBe('partial');
    expect(by.get('missing-file')!.problems).toEqual(['files the summary lists are missing: report.html']);
    expect(by.get('bad-fields')!.status).toBe('partial');
    expect(by.get('bad-fields')!.problems).toEqual(['summary.json: seed is not a number ("x")', 'summary.json: metrics.pnl.total is not a decimal ("lots")']);
    expect(by.get('wrong-schema')!.status).toBe('broken');
    expect(by.get('wrong-schema')!.problems[0]).toMatch(/schema "other\/1" is not a maker backtest summary/);
    expect(by.get('array')!.problems).toEqual(['summary.json is not a JSON object']);
    expect(by.get('deep/er/nested')!.status).toBe('ok');
    expect(by.get('sweeps/sw1')!.kind).toBe('sweep');
  });

  it('reads a rewritten summary again', () => {
    run('changing', good, ['report.html']);
    const cat = new RunCatalogue(root);
    expect(cat.scan().entries.find((e) => e.key === 'changing')!.metrics!.pnlTotal).toBe('1.5');
    run('changing', { ...good, metrics: { ...good.metrics, pnl: { total: '-22.25', asset: 'USDT' } } });
    utimesSync(join(root, 'changing', 'summary.json'), new Date(1_000_000), new Date(2_000_000));
    expect(cat.scan().entries.find((e) => e.key === 'changing')!.metrics!.pnlTotal).toBe('-22.25');
  });

  it('lists maker live sessions (same reports/ directory) as live runs, with how they ended, not as broken', () => {
    const live = { runId: '20261203T080517Z-live-quickstart', runDir: '/x', venue: 'http://127.0.0.1:1', paper: true, startedUs: 1.7e15, endedUs: 1.7e15 + 30e6, exitCode: 0, shutdown: { confirmed: true }, runner: {}, core: {}, positions: { BTCUSDT: -4 }, journal: {}, fatal: null };
    run('live/ok', live, ['report.html', 'journal.log']);
    run('live/unconfirmed', { ...live, exitCode: 3, shutdown: { confirmed: false } }, ['journal.log']);
    const by = new Map(new RunCatalogue(root).scan().entries.map((e) => [e.key, e]));
    const ok = by.get('live/ok')!;
    expect(ok).toMatchObject({ status: 'ok', kind: 'live', scenario: 'quickstart', symbols: ['BTCUSDT'], hasReport: true, problems: [] });
    expect(ok.period).toEqual({ fromUs: 1.7e15, toUs: 1.7e15 + 30e6, seconds: 30 });
    expect(ok.notes[0]).toBe('live session (paper), exit 0, shutdown confirmed');
    const bad = by.get('live/unconfirmed')!;
    expect(bad.status).toBe('partial');
    expect(bad.problems).toEqual(['the session exited 3', 'its shutdown was not confirmed: orders may have been left on the venue']);
    expect(listPage(root, [ok, bad], false)).toContain('live (partial)');
  });
});

describe('scenario diff', () => {
  it('lists the dotted keys whose values differ, sorted', () => {
    const a = { scenario: { seed: 1, strategy: { halfSpreadTicks: 3, sizeLots: 2 }, only: 'a' } };
    const b = { scenario: { seed: 2, strategy: { halfSpreadTicks: 3, sizeLots: 4 } } };
    expect(scenarioDiff([a, b])).toEqual([
      { key: 'only', values: ['"a"', '(absent)'] },
      { key: 'seed', values: ['1', '2'] },
      { key: 'strategy.sizeLots', values: ['2', '4'] },
    ]);
    expect(scenarioDiff([a, a])).toEqual([]);
  });
});

describe('run list page', () => {
  it('escapes names and values from the directory and the summary', () => {
    const evil = '<img src=x onerror=alert(1)>"';
    run(evil, { ...good, scenarioName: '<script>alert(2)</script>' }, ['report.html']);
    const cat = new RunCatalogue(root);
    const html = listPage(root, cat.scan().entries, false);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>alert(2)');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).toContain(`href="/run/${encodeURIComponent(evil).replace(/"/g, '&quot;')}/"`);
    // The only script is the sort script, whose hash the server's CSP allows.
    expect(html.match(/<script>/g)).toHaveLength(1);
  });
});
