// The report's encode thread (src/backtest/report/encode-thread.ts): fills.parquet and orders.parquet
// encoded in a worker are the same bytes as encoded in the run's thread, in memory and spilled; a
// short run starts no worker; a write that fails in the worker fails the run's `settled()` naming the
// file; the tables cannot be read before they are settled; the mode comes from MAKER_ENCODE_THREAD.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUTO_ENCODE_MIN_EVENTS, encodeThreadFromEnv, useEncodeThread } from '../../../src/backtest/report/index.ts';
import { simulateRun } from './sim-run.ts';

const root = mkdtempSync(join(tmpdir(), 'maker-encode-thread-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the report encode thread', () => {
  it('writes the same bytes as the run thread, in memory and spilled, over many row groups', async () => {
    // 64-row chunks: the orders table has dozens of row groups, the fills table several.
    const here = simulateRun({ seed: 7, minutes: 6, chunkRows: 64 });
    const there = simulateRun({ seed: 7, minutes: 6, chunkRows: 64, encodeThread: true });
    expect(there.rec.encodeThreadStarted).toBe(true);
    expect(() => there.rec.orders.bytes(), 'not readable before settled').toThrow(/await settled\(\)/);
    await there.rec.settled();
    await here.rec.settled();
    expect(here.rec.orders.rows).toBeGreaterThan(64 * 8);
    expect(here.rec.fills.rows).toBeGreaterThan(64);
    expect(there.rec.orders.rows).toBe(here.rec.orders.rows);
    expect(Buffer.from(there.rec.orders.bytes()).equals(Buffer.from(here.rec.orders.bytes()))).toBe(true);
    expect(Buffer.from(there.rec.fills.bytes()).equals(Buffer.from(here.rec.fills.bytes()))).toBe(true);

    const a = join(root, 'spill-here');
    const b = join(root, 'spill-there');
    mkdirSync(a);
    mkdirSync(b);
    const spilledHere = simulateRun({ seed: 7, minutes: 6, chunkRows: 64, spillDir: a });
    const spilledThere = simulateRun({ seed: 7, minutes: 6, chunkRows: 64, spillDir: b, encodeThread: true });
    await spilledHere.rec.settled();
    await spilledThere.rec.settled();
    for (const f of ['orders.parquet', 'fills.parquet']) {
      const bytes = readFileSync(join(b, f));
      expect(bytes.equals(readFileSync(join(a, f))), f).toBe(true);
      expect(bytes.equals(Buffer.from(here.rec[f === 'orders.parquet' ? 'orders' : 'fills'].bytes())), `${f}: spilled = in memory`).toBe(true);
    }
  });

  it('a run shorter than one chunk starts no worker', async () => {
    const r = simulateRun({ seed: 3, minutes: 2, encodeThread: true, chunkRows: 1 << 20 });
    await r.rec.settled();
    expect(r.rec.encodeThreadStarted).toBe(false);
    expect(r.rec.orders.rows).toBeGreaterThan(0);
    expect(Buffer.from(r.rec.orders.bytes()).equals(Buffer.from(simulateRun({ seed: 3, minutes: 2, chunkRows: 1 << 20 }).rec.orders.bytes()))).toBe(true);
  });

  it('a file the worker cannot write fails settled() with an error naming it and the way out', async () => {
    const gone = join(root, 'gone');
    // The spill directory does not exist: the worker's open of each table fails at its first chunk
    // (both tables fill chunks of 64 rows in 6 minutes), and the run goes on until it settles.
    const r = simulateRun({ seed: 5, minutes: 6, chunkRows: 64, spillDir: gone, encodeThread: true });
    expect(r.rec.encodeThreadStarted).toBe(true);
    const dir = gone.replace(/[/.]/g, '\\$&');
    await expect(r.rec.settled()).rejects.toThrow(new RegExp(`the report's encode thread: cannot open the table: ENOENT.*${dir}/(fills|orders)\\.parquet.*MAKER_ENCODE_THREAD=main`));
  });

  it('the mode: MAKER_ENCODE_THREAD (auto by default; a wrong value names the variable), auto only for a long run, with a second core, on the main thread', () => {
    expect(encodeThreadFromEnv({})).toBe('auto');
    expect(encodeThreadFromEnv({ MAKER_ENCODE_THREAD: '' })).toBe('auto');
    expect(encodeThreadFromEnv({ MAKER_ENCODE_THREAD: 'main' })).toBe('main');
    expect(() => encodeThreadFromEnv({ MAKER_ENCODE_THREAD: 'both' })).toThrow(/MAKER_ENCODE_THREAD=both is not one of auto, worker, main/);
    const big = AUTO_ENCODE_MIN_EVENTS;
    expect(useEncodeThread('auto', big, 2, true)).toBe(true);
    expect(useEncodeThread('auto', big - 1, 2, true), 'a short run').toBe(false);
    expect(useEncodeThread('auto', big, 1, true), 'one core').toBe(false);
    expect(useEncodeThread('auto', big, 8, false), 'a sweep worker').toBe(false);
    expect(useEncodeThread('worker', 0, 1, false)).toBe(true);
    expect(useEncodeThread('main', big, 8, true)).toBe(false);
  });
});
