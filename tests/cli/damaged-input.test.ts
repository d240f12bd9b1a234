// Damaged inputs as a user meets them (issue 8): a recording cut short imports its good lines and
// says so loudly, in the terminal and in meta.json; a bad line in the middle fails unless
// --skip-bad-lines; `data check` inventories every bad line and every sequence gap.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'maker-damaged-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function maker(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [makerBin(), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function metaOf(store: string): { imports: { damage?: { count: number; first: { kind: string; line: number; file: string }[] } }[] } {
  const dir = join(store, 'binance-usdm', 'BTCUSDT');
  const date = readdirSync(dir)[0];
  return JSON.parse(readFileSync(join(dir, date, 'meta.json'), 'utf8'));
}

let lines: string[] = [];

beforeAll(() => {
  const rec = join(tmp, 'btcusdt_full.gz');
  expect(maker('data', 'synth', '--out', rec, '--duration-s', '20', '--seed', '9').code).toBe(0);
  lines = gunzipSync(readFileSync(rec)).toString('utf8').trimEnd().split('\n');
}, 60_000);

describe('damaged inputs', () => {
  it('a gzip recording cut short imports every line before the cut, warns with file, line and bytes lost, and records it in meta.json', () => {
    const full = gzipSync(`${lines.join('\n')}\n`);
    const cut = join(tmp, 'btcusdt_cut.gz');
    writeFileSync(cut, full.subarray(0, Math.floor(full.length * 0.7)));
    const store = join(tmp, 'store-cut');
    const r = maker('import', cut, '--out', store, '--infer-spec', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: the input ends early; kept every line before the cut \\(\\d+ bytes lost\\)`));
    expect(r.stdout).toMatch(/DAMAGED INPUT: 1 place\(s\)/);
    const damage = metaOf(store).imports[0].damage!;
    expect(damage.count).toBe(1);
    expect(damage.first[0]).toMatchObject({ file: cut, kind: 'truncated' });
    // A backtest on it says so: a DAMAGED_INPUT warning, in the summary too.
    const scenario = join(tmp, 'cut.yaml');
    writeFileSync(scenario, `name: cut\nseed: 1\ndata:\n  source: store\n  store: ${store}\n  symbols: [BTCUSDT]\nstrategy:\n  kind: fixed\n  halfSpreadTicks: 2\n  sizeLots: 2\n  maxPositionLots: 20\nrisk:\n  maxPositionLots: 20\n`);
    const bt = maker('backtest', '--scenario', scenario, '--out', join(tmp, 'runs-cut'), '--json', '--quiet');
    expect(bt.code, bt.stderr).toBe(0);
    expect(bt.stderr).toMatch(/WARNING \[DAMAGED_INPUT\] BTCUSDT \d{4}-\d{2}-\d{2}: imported from damaged input \(1 place\(s\), first .*btcusdt_cut\.gz:\d+ truncated\)/);
    const q = JSON.parse(bt.stdout).dataQuality;
    expect(q.store).toMatchObject({ damaged: [], inputDamage: [{ symbol: 'BTCUSDT', count: 1 }] });
    expect(q.store.verified).toBeGreaterThan(0);
    // data check lists it and says the data is not clean.
    const check = maker('data', 'check', cut, '--infer-spec', '--json', '--quiet');
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout).damage).toMatchObject({ count: 1, list: [{ file: cut, kind: 'truncated' }] });
  });

  it('a bad line in the middle fails the import (exit 2, file:line, nothing written) unless --skip-bad-lines', () => {
    const bad = [...lines];
    bad[100] = bad[100].slice(0, 40);
    bad[200] = '1723161255030314668 {not json';
    const file = join(tmp, 'btcusdt_bad.txt');
    writeFileSync(file, `${bad.join('\n')}\n`);
    const store = join(tmp, 'store-bad');
    const r = maker('import', file, '--out', store, '--infer-spec', '--quiet');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:101`);
    expect(existsSync(store) ? (readdirSync(store, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet')) : []).toEqual([]);
    const skipped = maker('import', file, '--out', store, '--infer-spec', '--skip-bad-lines', '--quiet');
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stderr).toContain(`${file}:101: skipped a line that does not parse`);
    expect(skipped.stderr).toContain(`${file}:201: skipped a line that does not parse`);
    expect(metaOf(store).imports[0].damage).toMatchObject({ count: 2, first: [{ line: 101, kind: 'bad-line' }, { line: 201, kind: 'bad-line' }] });
  });

  it('data check inventories every bad line and every sequence gap (gapList with time and update ids), in text and JSON', () => {
    const bad = [...lines];
    const depth = bad.map((l, i) => (l.includes('@depth') ? i : -1)).filter((i) => i > 50);
    // A gap: drop a depth line (the book then waits for a snapshot, so later breaks are not new gaps). Three bad lines.
    const drop = new Set([depth[10]]);
    bad[300] = bad[300].slice(0, 30);
    bad[400] = 'garbage';
    bad[500] = `${bad[500].split(' ')[0]} {"stream":"btcusdt@trade"`;
    const file = join(tmp, 'btcusdt_inventory.txt');
    writeFileSync(file, `${bad.filter((_, i) => !drop.has(i)).join('\n')}\n`);
    const json = maker('data', 'check', file, '--infer-spec', '--json', '--quiet');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.damage.count).toBe(3);
    expect(report.damage.list.map((d: { kind: string }) => d.kind)).toEqual(['bad-line', 'bad-line', 'bad-line']);
    const s = report.symbols.BTCUSDT;
    expect(s.gaps).toBe(1);
    expect(s.gapList.length).toBe(1);
    for (const g of s.gapList) {
      expect(Object.keys(g).sort()).toEqual(['U', 'prevU', 'pu', 'tsUs', 'u']);
      expect(g.pu).not.toBe(g.prevU);
    }
    const text = maker('data', 'check', file, '--infer-spec', '--quiet');
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/damaged input {3}3 place\(s\)/);
    expect(text.stdout).toMatch(/gap at \d{4}-\d{2}-\d{2}T.*expected to follow u=\d+, diff has pu=\d+ U=\d+ u=\d+/);
    expect(text.stdout).toContain(`${file}:300`); // bad[300], one line up since a depth line before it was dropped
  });
});
