// `maker data check` on a store `maker record` wrote: the recorder's sessions and marked gaps are
// listed per partition, the stretches it marked are set aside (known, not damage: exit status 0),
// and a gap nobody marked still fails the check (exit status 1).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/commands/data.ts';
import { DataChecker, isClean } from '../../src/marketdata/index.ts';
import { Instrument } from '../../src/model/instrument.ts';
import { openStore, type GapRecord } from '../../src/store/index.ts';
import { haveReal } from '../support/shared-data.ts';
import { buildSourceStore, gapsOf, readStore, recordUnder, tempDir, VENUE } from './helpers.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function maker(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [makerBin(), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const opts = { json: true, quiet: true, synthetic: false } as Parameters<typeof runCheck>[1];

describe.skipIf(!haveReal)('maker data check on a recorder\'s store with marked gaps', () => {
  const src = tempDir('csrc');
  const out = tempDir('cout');
  let gaps: GapRecord[];
  let metaFile: string;

  beforeAll(async () => {
    await buildSourceStore(src.dir, 30);
    // A dropped connection (every stream loses a stretch) and, later, a missing diff (a chain break).
    const r = await recordUnder(src.dir, out.dir, [{ kind: 'disconnect', target: 'streams', closeFrame: false, match: { symbol: 'BTCUSDT' } }], (rec) => rec.status().reconnects >= 2 && rec.status().connections === 2 && rec.status().resyncs >= 1);
    expect(r.rec.error).toBeUndefined();
    gaps = await gapsOf(out.dir);
    const store = await openStore(out.dir);
    metaFile = join(out.dir, VENUE, 'BTCUSDT', store.dates(VENUE, 'BTCUSDT')[0], 'meta.json');
  }, 60_000);

  afterAll(() => {
    src.cleanup();
    out.cleanup();
  });

  it('without the notes the same data has a depth gap and a trade-id gap (what the marks set aside)', async () => {
    const store = await openStore(out.dir);
    const checker = new DataChecker(() => new Instrument(store.spec(VENUE, 'BTCUSDT')));
    checker.onBatch(await readStore(out.dir));
    const s = checker.report().symbols.BTCUSDT;
    expect(s.gaps).toBe(1);
    expect(s.tradeIdGaps).toBe(1);
    expect(s.recording).toBeUndefined();
  });

  it('lists the session and every marked gap per partition, sets them aside, and is clean', async () => {
    expect(gaps.map((g) => g.stream).sort()).toEqual(['bookTicker', 'depth', 'trade']);
    const report = await runCheck([out.dir], opts);
    const s = report.symbols.BTCUSDT;
    expect(s.gaps).toBe(0);
    expect(s.tradeIdGaps).toBe(0);
    expect(s.recording!.markedDepthGaps).toBe(1);
    expect(s.recording!.markedTradeIdGaps).toBe(1);
    expect(s.recording!.partitions).toHaveLength(1);
    expect(s.recording!.partitions[0].sessions).toHaveLength(1);
    expect(s.recording!.partitions[0].gaps).toEqual(gaps);
    expect(s.finalBook.valid).toBe(true);
    expect(s.bookTicker.matched).toBe(s.bookTicker.checked);
    expect(isClean(report)).toBe(true);

    const text = maker('data', 'check', out.dir, '--quiet');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/recorded +1 session\(s\), 3 marked gap\(s\)/);
    const depth = gaps.find((g) => g.stream === 'depth')!;
    expect(text.stdout).toContain(`gap depth disconnect: id ${depth.before!.id} `);
    expect(text.stdout).toContain(`.. id ${depth.after.id} `);
    expect(text.stdout).toContain('result: clean');
  }, 60_000);

  it('a gap the recorder did not mark still fails the check (exit status 1)', async () => {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    const saved = JSON.stringify(meta, null, 2);
    try {
      meta.recording.gaps = meta.recording.gaps.filter((g: GapRecord) => g.stream !== 'depth');
      writeFileSync(metaFile, JSON.stringify(meta, null, 2));
      const report = await runCheck([out.dir], opts);
      const s = report.symbols.BTCUSDT;
      expect(s.gaps).toBe(1);
      expect(s.recording!.markedDepthGaps).toBe(0);
      expect(s.tradeIdGaps).toBe(0);
      expect(isClean(report)).toBe(false);
      const r = maker('data', 'check', out.dir, '--quiet');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/gaps +1 +<-- problem/);
    } finally {
      writeFileSync(metaFile, saved);
    }
  }, 60_000);
});
