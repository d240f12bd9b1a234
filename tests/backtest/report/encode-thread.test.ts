// The report's encode thread (src/backtest/report/encode-thread.ts): fills.parquet and orders.parquet
// encoded in a worker are the same bytes as encoded in the run's thread, in memory and spilled, for
// several symbols, through tsx and as a bundle; a short run starts no worker; a write that fails in
// the worker fails the run's `settled()` naming the file; a worker that makes no progress, ends or
// never starts fails the run instead of blocking it; the tables cannot be read before they are settled; the mode comes
// from MAKER_ENCODE_THREAD.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUTO_ENCODE_MIN_EVENTS, EncodeThread, MAX_GROUPS_IN_FLIGHT, encodeThreadFromEnv, encodeWorkerBundle, useEncodeThread } from '../../../src/backtest/report/index.ts';
import { RunRecorder } from '../../../src/backtest/report/index.ts';
import { Instrument } from '../../../src/model/index.ts';
import { BTCUSDT, ETHUSDT, START_US, simulateRun } from './sim-run.ts';

const root = mkdtempSync(join(tmpdir(), 'maker-encode-thread-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe('the report encode thread', () => {
  it('writes the same bytes as the run thread, in memory and spilled, over many row groups of two symbols', async () => {
    // 64-row chunks: the orders table has dozens of row groups, the fills table several.
    const symbols = [BTCUSDT, ETHUSDT];
    const here = simulateRun({ seed: 7, minutes: 6, chunkRows: 64, symbols });
    const there = simulateRun({ seed: 7, minutes: 6, chunkRows: 64, symbols, encodeThread: true });
    expect(there.rec.encodeThreadStarted).toBe(true);
    expect(() => there.rec.orders.bytes(), 'not readable before settled').toThrow(/await settled\(\)/);
    await there.rec.settled();
    await here.rec.settled();
    expect(here.rec.encodeThreadStarted).toBe(false);
    expect(here.rec.orders.rows).toBeGreaterThan(64 * 8);
    expect(here.rec.fills.rows).toBeGreaterThan(64);
    expect(there.rec.orders.rows).toBe(here.rec.orders.rows);
    expect(there.rec.fills.rows).toBe(here.rec.fills.rows);
    expect(same(there.rec.orders.bytes(), here.rec.orders.bytes())).toBe(true);
    expect(same(there.rec.fills.bytes(), here.rec.fills.bytes())).toBe(true);

    const a = join(root, 'spill-here');
    const b = join(root, 'spill-there');
    mkdirSync(a);
    mkdirSync(b);
    const spilledHere = simulateRun({ seed: 7, minutes: 6, chunkRows: 64, symbols, spillDir: a });
    const spilledThere = simulateRun({ seed: 7, minutes: 6, chunkRows: 64, symbols, spillDir: b, encodeThread: true });
    await spilledHere.rec.settled();
    await spilledThere.rec.settled();
    expect(spilledThere.rec.encodeThreadStarted).toBe(true);
    for (const f of ['orders.parquet', 'fills.parquet'] as const) {
      const bytes = readFileSync(join(b, f));
      expect(bytes.equals(readFileSync(join(a, f))), f).toBe(true);
      expect(same(bytes, here.rec[f === 'orders.parquet' ? 'orders' : 'fills'].bytes()), `${f}: spilled = in memory`).toBe(true);
    }
  });

  it('the worker runs as a cached bundle and writes the same bytes', async () => {
    const bundle = await encodeWorkerBundle();
    expect(bundle, 'a bundle of encode-worker.ts').toMatch(/encode-worker-[0-9a-f]+\.mjs$/);
    const instruments = [new Instrument(BTCUSDT)];
    const run = (thread: { bundle: string | null } | null): RunRecorder => {
      const rec = new RunRecorder({ instruments, startUs: START_US, chunkRows: 32, encodeThread: thread });
      for (let i = 0; i < 200; i++) {
        rec.onOrder({ tsUs: START_US + i, symbol: 'BTCUSDT', kind: i % 3 === 2 ? 'cancel' : 'submit', clientOrderId: `c${i}`, side: i % 2 ? 'sell' : 'buy', orderType: 'LIMIT', timeInForce: 'GTX', priceTicks: 600_000 + (i % 7), qtyLots: 1 + (i % 4), reduceOnly: false });
      }
      rec.finish(START_US + 1_000);
      return rec;
    };
    const bundled = run({ bundle });
    const inline = run(null);
    await bundled.settled();
    await inline.settled();
    expect(bundled.encodeThreadStarted).toBe(true);
    expect(same(bundled.orders.bytes(), inline.orders.bytes())).toBe(true);
    expect(bundled.orders.rows).toBe(200);
  });

  it('a run shorter than one chunk starts no worker', async () => {
    const r = simulateRun({ seed: 3, minutes: 2, encodeThread: true, chunkRows: 1 << 20 });
    await r.rec.settled();
    expect(r.rec.encodeThreadStarted).toBe(false);
    expect(r.rec.orders.rows).toBeGreaterThan(0);
    expect(same(r.rec.orders.bytes(), simulateRun({ seed: 3, minutes: 2, chunkRows: 1 << 20 }).rec.orders.bytes())).toBe(true);
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

  // Fills-table chunks of 3 rows (their content is never read by these workers).
  const stuckTable = (entry: string, stallLimitMs: number, startLimitMs = 60_000): { thread: EncodeThread; append: () => void; rows: () => number; finish: () => void; settled: () => Promise<void> } => {
    const instruments = [new Instrument(BTCUSDT)];
    const thread = new EncodeThread(instruments, { stallLimitMs, startLimitMs, entry });
    const table = thread.table('fills', {}, null);
    const rec = new RunRecorder({ instruments, startUs: START_US, chunkRows: 4 });
    const chunk = (rec.fills as unknown as { chunk: Parameters<typeof table.appendChunk>[0] }).chunk;
    return { thread, append: () => table.appendChunk(chunk, 3), rows: () => table.rows, finish: () => table.finish(), settled: () => table.settled() };
  };

  it('a worker that encodes nothing: the run waits at most MAX_GROUPS_IN_FLIGHT chunks ahead, then fails after the stall limit', async () => {
    const t = stuckTable(new URL('./stuck-encode-worker.ts', import.meta.url).href, 500);
    try {
      for (let i = 0; i < MAX_GROUPS_IN_FLIGHT; i++) t.append();
      expect(t.rows()).toBe(3 * MAX_GROUPS_IN_FLIGHT);
      expect(() => t.append()).toThrow(/the report's encode thread: no row group was encoded for 0\.5 s \(MAKER_ENCODE_THREAD=main encodes in the run's thread\)/);
    } finally {
      await t.thread.terminate();
    }
  });

  it('a footer the worker never writes fails settled() after the stall limit (no timer: finish waits for it)', async () => {
    const t = stuckTable(new URL('./stuck-encode-worker.ts', import.meta.url).href, 500);
    try {
      t.append();
      t.finish();
      await expect(t.settled()).rejects.toThrow(/the report's encode thread: no footer was written for 0\.5 s/);
    } finally {
      await t.thread.terminate();
    }
  });

  it('a worker that ends, or whose module never runs, fails the waiting run at once or after the start limit, not the stall limit', async () => {
    const dies = stuckTable(new URL('./stuck-encode-worker.ts?dies', import.meta.url).href, 60_000);
    try {
      for (let i = 0; i < MAX_GROUPS_IN_FLIGHT; i++) dies.append();
      expect(() => dies.append()).toThrow(/the report's encode thread: the encode thread ended \(MAKER_ENCODE_THREAD=main/);
      expect(() => dies.append(), 'and every later chunk').toThrow(/the encode thread ended/);
    } finally {
      await dies.thread.terminate();
    }
    const missing = stuckTable(new URL('./no-such-encode-worker.ts', import.meta.url).href, 60_000, 500);
    try {
      for (let i = 0; i < MAX_GROUPS_IN_FLIGHT; i++) missing.append();
      expect(() => missing.append()).toThrow(/the report's encode thread: the encode thread did not start in 0\.5 s/);
    } finally {
      await missing.thread.terminate();
    }
  });

  it('the mode: MAKER_ENCODE_THREAD (auto by default; a wrong value names the variable), auto only for a long run, with a second core, on the main thread', () => {
    expect(encodeThreadFromEnv({})).toBe('auto');
    expect(encodeThreadFromEnv({ MAKER_ENCODE_THREAD: '' })).toBe('auto');
    expect(encodeThreadFromEnv({ MAKER_ENCODE_THREAD: 'main' })).toBe('main');
    expect(encodeThreadFromEnv({ MAKER_ENCODE_THREAD: 'worker' })).toBe('worker');
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
