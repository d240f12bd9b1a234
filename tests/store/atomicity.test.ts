// A partition changes as one unit, whatever moment the writer dies (docs/DATA_FORMAT.md, "Commit"):
// a child process imports into a store and SIGKILLs itself at every durability step of the commit
// and before every table rename; afterwards each partition reads exactly as before the import or
// exactly as after it, nothing is damaged, the leftovers are reported, and the next import cleans
// them up and gives the same bytes as an import that never crashed. Also: random-time kills of
// the real `maker import`, and what a bit flip in a stored file does.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import { STORE_FORMAT, inspectStore, readMarketEvents } from '../../src/store/index.ts';
import { eventsOf } from './crash-child.ts';
import { removeTempRoots, tablePath, tempRoot } from './helpers.ts';
import { crashChildArgs } from '../support/maker-bin.ts';

afterAll(removeTempRoots);

const ROOT = join(import.meta.dirname, '..', '..');
const VENUE = 'binance-usdm';
const DATES = ['2024-08-08', '2024-08-09'];

function child(root: string, which: 'old' | 'new', point: string): { status: number | null; signal: NodeJS.Signals | null; stderr: string } {
  const r = spawnSync(process.execPath, [...crashChildArgs(), root, which, point], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, signal: r.signal, stderr: r.stderr };
}

async function eventsOfDate(root: string, date: string): Promise<MarketEvent[]> {
  const out: MarketEvent[] = [];
  for await (const e of readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT', dates: [date] })) out.push(e);
  return out;
}

/** Table files of a partition, by name, with their bytes (meta.json aside: it lists its imports). */
function tableBytes(root: string, date: string): Record<string, Buffer> {
  const dir = join(root, VENUE, 'BTCUSDT', date);
  const out: Record<string, Buffer> = {};
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.parquet')) out[f] = readFileSync(join(dir, f));
  return out;
}

describe('partition commit under SIGKILL', () => {
  const oldStore = tempRoot();
  const newStore = tempRoot();
  const setup = (() => {
    let done: Promise<void> | undefined;
    return () =>
      (done ??= (async () => {
        expect(child(oldStore, 'old', 'none').status).toBe(0);
        cpSync(oldStore, newStore, { recursive: true });
        expect(child(newStore, 'new', 'none').status).toBe(0);
      })());
  })();

  // 2 partitions × (2 tables written, meta.json written, old files removed) = 8 steps; 4 renames.
  const points = [...[1, 2, 3, 4].map((n) => `rename:${n}`), ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `step:${n}`)];

  it.each(points)('killed at %s: each partition is the old one or the new one, never a mix', async (point) => {
    await setup();
    const root = tempRoot();
    cpSync(oldStore, root, { recursive: true });
    const r = child(root, 'new', point);
    expect(r.signal, r.stderr).toBe('SIGKILL');
    const integrity = await inspectStore(root);
    expect(integrity.damaged).toEqual([]);
    let changed = 0;
    for (const date of DATES) {
      const got = await eventsOfDate(root, date);
      const before = await eventsOfDate(oldStore, date);
      const after = await eventsOfDate(newStore, date);
      expect(got.length === before.length ? got : after).toEqual(got.length === before.length ? before : after);
      if (got.length !== before.length) changed++;
    }
    // Partitions commit in date order: date 1 (rename:1, step:1, rename:2, step:2, meta = step:3,
    // removal = step:4), then date 2 (rename:3, step:5, rename:4, step:6, step:7, step:8).
    const newAfter: Record<string, number> = { 'step:3': 1, 'step:4': 1, 'rename:3': 1, 'step:5': 1, 'rename:4': 1, 'step:6': 1, 'step:7': 2, 'step:8': 2 };
    expect(changed).toBe(newAfter[point] ?? 0);
    // Leftovers are reported (at least the dead writer's lock), and the next import removes them
    // and ends where a clean one does.
    expect(integrity.leftovers.map((l) => l.kind)).toContain('stale lock');
    expect(child(root, 'new', 'none').status).toBe(0);
    const clean = await inspectStore(root);
    expect(clean.damaged).toEqual([]);
    expect(clean.leftovers).toEqual([]);
    for (const date of DATES) expect(tableBytes(root, date)).toEqual(tableBytes(newStore, date));
  }, 120_000);
});

describe('content hashes', () => {
  it('16 random single-bit flips in stored files are each found, naming the file', async () => {
    const base = tempRoot();
    expect(child(base, 'old', 'none').status).toBe(0);
    const rng = new Rng('bit flips');
    for (let k = 0; k < 16; k++) {
      const root = tempRoot();
      cpSync(base, root, { recursive: true });
      const date = DATES[rng.int(2)];
      const file = tablePath(root, VENUE, 'BTCUSDT', date, rng.next() < 0.5 ? 'depth' : 'trades');
      const bytes = Buffer.from(readFileSync(file));
      const at = rng.int(bytes.length);
      bytes[at] ^= 1 << rng.int(8);
      writeFileSync(file, bytes);
      const integrity = await inspectStore(root);
      expect(integrity.damaged.map((c) => [c.path, c.problem])).toEqual([[file, 'checksum']]);
      expect(integrity.verified).toBe(3);
    }
  });

  it('a file cut short, a missing file and a wrong row count are named', async () => {
    const root = tempRoot();
    expect(child(root, 'old', 'none').status).toBe(0);
    const depth = tablePath(root, VENUE, 'BTCUSDT', DATES[0], 'depth');
    writeFileSync(depth, readFileSync(depth).subarray(0, 100));
    const trades = tablePath(root, VENUE, 'BTCUSDT', DATES[1], 'trades');
    const { rmSync } = await import('node:fs');
    rmSync(trades);
    const metaFile = join(root, VENUE, 'BTCUSDT', DATES[1], 'meta.json');
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    meta.tables.depth.rows += 1;
    writeFileSync(metaFile, JSON.stringify(meta));
    const integrity = await inspectStore(root);
    expect(integrity.damaged.map((c) => [c.date, c.table, c.problem]).sort()).toEqual([[DATES[0], 'depth', 'size'], [DATES[1], 'depth', 'rows'], [DATES[1], 'trades', 'missing']]);
  });

  it('a partition without meta.json (an import that died before its first commit) is not a partition, and is reported', async () => {
    const root = tempRoot();
    expect(child(root, 'old', 'rename:1').signal).toBe('SIGKILL');
    const { openStore } = await import('../../src/store/index.ts');
    const store = await openStore(root);
    expect(store.dates(VENUE, 'BTCUSDT')).toEqual([]);
    const integrity = await inspectStore(root);
    expect(integrity.partitions).toBe(0);
    expect(integrity.leftovers.map((l) => l.kind).sort()).toEqual(['partition without meta.json', 'stale lock', 'temporary file']);
    expect(existsSync(join(root, VENUE, 'BTCUSDT', DATES[0]))).toBe(true);
  });
});

describe('stores written before content hashes (maker-store/2)', () => {
  /** Rewrites a store as the previous format wrote it: `<table>.parquet`, no sha256/bytes, format 2. */
  function downgrade(root: string): void {
    for (const date of DATES) {
      const dir = join(root, VENUE, 'BTCUSDT', date);
      const metaFile = join(dir, 'meta.json');
      const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
      meta.format = 'maker-store/2';
      for (const [t, m] of Object.entries(meta.tables) as [string, { file: string; sha256?: string; bytes?: number }][]) {
        const old = `${t}.parquet`;
        renameSync(join(dir, m.file), join(dir, old));
        m.file = old;
        delete m.sha256;
        delete m.bytes;
      }
      writeFileSync(metaFile, JSON.stringify(meta, null, 2));
    }
  }

  it('are read as before, reported unverified, and rewritten with hashes by the next import', async () => {
    const root = tempRoot();
    expect(child(root, 'old', 'none').status).toBe(0);
    const before = await Promise.all(DATES.map((d) => eventsOfDate(root, d)));
    downgrade(root);
    expect(await Promise.all(DATES.map((d) => eventsOfDate(root, d)))).toEqual(before);
    const integrity = await inspectStore(root);
    expect(integrity.damaged).toEqual([]);
    expect(integrity.unverified.length).toBe(4);
    expect(integrity.verified).toBe(0);
    // A re-import of the same data upgrades every partition it touches.
    expect(child(root, 'old', 'none').status).toBe(0);
    const upgraded = await inspectStore(root);
    expect([upgraded.verified, upgraded.unverified.length, upgraded.leftovers.length]).toEqual([4, 0, 0]);
    expect(JSON.parse(readFileSync(join(root, VENUE, 'BTCUSDT', DATES[0], 'meta.json'), 'utf8')).format).toBe(STORE_FORMAT);
    expect(await Promise.all(DATES.map((d) => eventsOfDate(root, d)))).toEqual(before);
  });

  it('an older format (maker-store/1) is refused with a message saying to re-import', async () => {
    const root = tempRoot();
    expect(child(root, 'old', 'none').status).toBe(0);
    const metaFile = join(root, VENUE, 'BTCUSDT', DATES[0], 'meta.json');
    writeFileSync(metaFile, readFileSync(metaFile, 'utf8').replace(STORE_FORMAT, 'maker-store/1'));
    const err = await eventsOfDate(root, DATES[0]).catch((e) => e);
    expect(err.message).toMatch(/re-import the data/);
    expect(err.describe()).toContain(metaFile);
  });
});
