import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parquetMetadata } from 'hyparquet';
import { StoreError } from '../../src/core/errors.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import { Instrument } from '../../src/model/instrument.ts';
import { StoreWriter, openStore, readEvents, readMarketEvents, importEvents, type PartitionMeta } from '../../src/store/index.ts';
import { DAY_US, INSTRUMENT, SPEC, T0, collect, diff, tempRoot, trade, removeTempRoots, tablePath, chain } from './helpers.ts';

afterAll(removeTempRoots);

const VENUE = 'binance-usdm';
const PROV = { importer: 'test', inputs: [{ path: 'a.jsonl' }] };

async function writeAll(root: string, events: MarketEvent[], opts: { spillRows?: number; rowGroupRows?: number; prov?: typeof PROV } = {}) {
  const w = new StoreWriter({ root, venue: VENUE, spillRows: opts.spillRows, rowGroupRows: opts.rowGroupRows });
  w.addInstrument(INSTRUMENT);
  await w.write(events);
  return w.commit(opts.prov ?? PROV);
}


function filesOf(root: string, date: string): Record<string, Buffer> {
  const dir = join(root, VENUE, 'BTCUSDT', date);
  const out: Record<string, Buffer> = {};
  for (const f of readdirSync(dir).sort()) out[f] = readFileSync(join(dir, f));
  return out;
}

describe('StoreWriter + readEvents', () => {
  it('lays out venue/symbol/date/table and stores the spec and provenance', async () => {
    const root = tempRoot();
    await writeAll(root, chain(5, T0 + 1000, 100));
    const store = await openStore(root);
    expect(store.venues()).toEqual([VENUE]);
    expect(store.symbols(VENUE)).toEqual(['BTCUSDT']);
    expect(store.dates(VENUE, 'BTCUSDT')).toEqual(['2024-08-08']);
    expect(store.tables(VENUE, 'BTCUSDT', '2024-08-08')).toEqual(['depth', 'trades']);
    expect(store.spec(VENUE, 'BTCUSDT')).toEqual(SPEC);
    const meta = store.meta(VENUE, 'BTCUSDT', '2024-08-08');
    expect(meta.imports).toEqual([{ ...PROV, events: { depth: 5, trades: 3 } }]);
    // one row per depth event (format 2), levels in list columns
    expect(meta.format).toBe('maker-store/5');
    expect(meta.tables.depth?.rows).toBe(5);
    const bytes = readFileSync(tablePath(root, VENUE, 'BTCUSDT', '2024-08-08', 'depth'));
    const md = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
    const kv = Object.fromEntries((md.key_value_metadata ?? []).map((e) => [e.key, e.value]));
    expect(kv['maker.tick_size']).toBe('0.1');
    expect(kv['maker.step_size']).toBe('0.001');
    const types = Object.fromEntries(md.schema.slice(1).map((s) => [s.name, [s.type, s.repetition_type, s.converted_type]]));
    expect(types.final_update_id).toEqual(['INT64', 'REQUIRED', undefined]);
    expect(types.is_snapshot[0]).toBe('BOOLEAN');
    // bid_ticks: the standard three-level LIST<INT64> (required group / repeated list / required element)
    const at = md.schema.findIndex((s) => s.name === 'bid_ticks');
    expect([md.schema[at].converted_type, md.schema[at].repetition_type, md.schema[at + 1].repetition_type, md.schema[at + 2].type]).toEqual(['LIST', 'REQUIRED', 'REPEATED', 'INT64']);
    expect(md.row_groups[0].columns.find((c) => c.meta_data?.path_in_schema[0] === 'bid_ticks')?.meta_data?.path_in_schema).toEqual(['bid_ticks', 'list', 'element']);
  });

  it('is idempotent: importing the same input twice gives byte-identical files and no duplicate rows', async () => {
    const root = tempRoot();
    const events = chain(50, T0 + 1000, 100);
    await writeAll(root, events);
    const first = filesOf(root, '2024-08-08');
    const again = await writeAll(root, events);
    for (const p of again.partitions) expect(p.duplicateRows).toBe(p.rows);
    expect(again.partitions.map((p) => p.table)).toEqual(['depth', 'trades']);
    expect(filesOf(root, '2024-08-08')).toEqual(first);
    expect(await collect(readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT' }))).toEqual(events);
  });

  it('merges a second import into an existing partition in time order, whatever the import order', async () => {
    const events = chain(40, T0 + 1000, 100);
    const a = events.slice(0, 50);
    const b = events.slice(30);
    const r1 = tempRoot();
    await writeAll(r1, a);
    await writeAll(r1, b);
    const r2 = tempRoot();
    await writeAll(r2, b);
    await writeAll(r2, a);
    expect(await collect(readMarketEvents(r1, { venue: VENUE, symbol: 'BTCUSDT' }))).toEqual(events);
    const f1 = filesOf(r1, '2024-08-08');
    const f2 = filesOf(r2, '2024-08-08');
    for (const t of ['depth', 'trades']) expect(readFileSync(tablePath(r2, VENUE, 'BTCUSDT', '2024-08-08', t))).toEqual(readFileSync(tablePath(r1, VENUE, 'BTCUSDT', '2024-08-08', t)));
  });

  it('splits a recording that crosses midnight by exchange date and merges the next day recording into it', async () => {
    // One session: day 1 file runs 10 s past midnight; day 2 file starts 5 s before midnight.
    const session = chain(60, T0 + DAY_US - 30_000_000, 500);
    const day1File = session.filter((e) => e.tsReceiveUs < T0 + DAY_US + 10_000_000);
    const day2File = session.filter((e) => e.tsReceiveUs >= T0 + DAY_US - 5_000_000);
    const root = tempRoot();
    await writeAll(root, day1File, { prov: { importer: 'test', inputs: [{ path: 'day1' }] } });
    await writeAll(root, day2File, { prov: { importer: 'test', inputs: [{ path: 'day2' }] } });
    const store = await openStore(root);
    expect(store.dates(VENUE, 'BTCUSDT')).toEqual(['2024-08-08', '2024-08-09']);
    const replay = await collect(readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT' }));
    expect(replay).toEqual(session);
    // The pu chain is unbroken across the date boundary.
    const diffs = replay.filter((e) => e.type === 'depth');
    for (let k = 1; k < diffs.length; k++) expect(diffs[k].prevFinalUpdateId).toBe(diffs[k - 1].finalUpdateId);
    for (const e of replay) expect(e.tsExchangeUs < T0 + DAY_US).toBe(e.tsExchangeUs < T0 + DAY_US);
    expect(store.meta(VENUE, 'BTCUSDT', '2024-08-09').imports.map((r) => r.inputs[0].path)).toEqual(['day1', 'day2']);
    // from/to select by receive time
    const window = await collect(readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT', from: T0 + DAY_US - 2_000_000, to: T0 + DAY_US + 3_000_000 }));
    expect(window).toEqual(session.filter((e) => e.tsReceiveUs >= T0 + DAY_US - 2_000_000 && e.tsReceiveUs < T0 + DAY_US + 3_000_000));
  });

  it('gives the same replay for any batchRows, and never splits a depth event across batches', async () => {
    const root = tempRoot();
    const events = chain(120, T0 + 1000, 100, 1000);
    await writeAll(root, events, { rowGroupRows: 7 });
    const runs = [];
    for (const batchRows of [1, 2, 3, 17, 1000, 100_000]) {
      const batches = await collect(readEvents(root, { venue: VENUE, symbol: 'BTCUSDT', batchRows }));
      if (batchRows === 1) expect(batches.length).toBe(events.length);
      runs.push((await collect(readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT', batchRows }))));
    }
    for (const r of runs) expect(r).toEqual(events);
  });

  it('spills sorted runs for large inputs and gets the same files as an in-memory import', async () => {
    const events = chain(300, T0 + 1000, 100, 1000);
    const r1 = tempRoot();
    await writeAll(r1, events, { spillRows: 50, rowGroupRows: 64 });
    const r2 = tempRoot();
    await writeAll(r2, events, { rowGroupRows: 64 });
    expect(filesOf(r1, '2024-08-08')).toEqual(filesOf(r2, '2024-08-08'));
    expect(readdirSync(r1).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('orders events with equal receive time in recording order across tables (seq)', async () => {
    const root = tempRoot();
    const ts = T0 + 5000;
    const events: MarketEvent[] = [trade(ts, 1, 10, 1, 0), diff(ts, 1, 2, 0, [[10, 1]], [], 0), trade(ts, 2, 10, 1, 0), diff(ts, 3, 4, 2, [], [[11, 1]], 0)];
    await writeAll(root, events);
    expect(await collect(readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT' }))).toEqual(events);
  });

  it('importEvents consumes an async stream of batches', async () => {
    const root = tempRoot();
    const events = chain(20, T0, 10);
    async function* gen() {
      for (let i = 0; i < events.length; i += 7) yield events.slice(i, i + 7);
    }
    const s = await importEvents({ root, venue: VENUE, instruments: [INSTRUMENT], provenance: PROV }, gen());
    expect(s.eventsWritten).toBe(events.length);
    expect(await collect(readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT' }))).toEqual(events);
  });
});

describe('atomicity', () => {
  it('a crash before the rename leaves the previous partition intact and no visible partial file', async () => {
    const root = tempRoot();
    const base = chain(10, T0 + 1000, 100);
    await writeAll(root, base);
    const before = filesOf(root, '2024-08-08');
    const w = new StoreWriter({ root, venue: VENUE, beforeRename: () => { throw new Error('simulated crash'); } });
    w.addInstrument(INSTRUMENT);
    await w.write(chain(10, T0 + 100_000_000, 1000));
    await expect(w.commit(PROV)).rejects.toThrow('simulated crash');
    expect(filesOf(root, '2024-08-08')).toEqual(before);
    expect(await collect(readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT' }))).toEqual(base);
  });

  it('a failed commit of a new partition (e.g. a full disk) leaves nothing behind, and names the partition', async () => {
    const root = tempRoot();
    const w = new StoreWriter({ root, venue: VENUE, beforeRename: () => { throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: 'ENOSPC' }); } });
    w.addInstrument(INSTRUMENT);
    await w.write(chain(10, T0 + 1000, 100));
    await expect(w.commit(PROV)).rejects.toThrow(/ENOSPC/);
    // No partition directory, temp file, lock or spill directory is left.
    expect(readdirSync(join(root, VENUE, 'BTCUSDT'))).toEqual([]);
    expect(readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a temp file left by a killed process is ignored by the reader', async () => {
    const root = tempRoot();
    const base = chain(10, T0 + 1000, 100);
    await writeAll(root, base);
    const dir = join(root, VENUE, 'BTCUSDT', '2024-08-08');
    // What a process killed mid-write leaves behind: a truncated dot-temp file.
    writeFileSync(join(dir, '.depth.4242.tmp'), readFileSync(tablePath(root, VENUE, 'BTCUSDT', '2024-08-08', 'depth')).subarray(0, 100));
    const store = await openStore(root);
    expect(store.tables(VENUE, 'BTCUSDT', '2024-08-08')).toEqual(['depth', 'trades']);
    expect(await collect(readMarketEvents(root, { venue: VENUE, symbol: 'BTCUSDT' }))).toEqual(base);
  });
});

describe('errors', () => {
  it('a corrupt table file gives a StoreError naming the file', async () => {
    const root = tempRoot();
    await writeAll(root, chain(10, T0 + 1000, 100));
    const file = tablePath(root, VENUE, 'BTCUSDT', '2024-08-08', 'depth');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 20));
    const err = await collect(readEvents(root, { venue: VENUE, symbol: 'BTCUSDT' })).catch((e) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.code).toBe('E_STORE');
    expect(err.describe()).toContain(file);
  });

  it('corrupt column data gives a StoreError naming the file and row group', async () => {
    const root = tempRoot();
    await writeAll(root, chain(10, T0 + 1000, 100));
    const file = tablePath(root, VENUE, 'BTCUSDT', '2024-08-08', 'trades');
    const bytes = Buffer.from(readFileSync(file));
    for (let i = 4; i < 60; i++) bytes[i] = 0xff;
    writeFileSync(file, bytes);
    const err = await collect(readEvents(root, { venue: VENUE, symbol: 'BTCUSDT' })).catch((e) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.describe()).toContain(file);
  });

  it('a missing table file listed in meta.json, a missing store, and a grid change are StoreErrors', async () => {
    const root = tempRoot();
    await writeAll(root, chain(10, T0 + 1000, 100));
    const dir = join(root, VENUE, 'BTCUSDT', '2024-08-08');
    const trades = tablePath(root, VENUE, 'BTCUSDT', '2024-08-08', 'trades');
    copyFileSync(trades, join(root, 'keep.parquet'));
    const { rmSync } = await import('node:fs');
    rmSync(trades);
    const err = await collect(readEvents(root, { venue: VENUE, symbol: 'BTCUSDT' })).catch((e) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.describe()).toContain(trades);
    await expect(openStore(join(root, 'nope'))).rejects.toBeInstanceOf(StoreError);
    const w = new StoreWriter({ root, venue: VENUE });
    w.addInstrument(new Instrument({ ...SPEC, tickSize: '0.01' }));
    await w.write(chain(2, T0 + 1000, 100));
    const e2 = await w.commit(PROV).catch((e) => e);
    expect(e2).toBeInstanceOf(StoreError);
    expect(e2.message).toContain('tickSize 0.1');
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as PartitionMeta;
    expect(meta.instrument.tickSize).toBe('0.1');
    expect(existsSync(tablePath(root, VENUE, 'BTCUSDT', '2024-08-08', 'depth'))).toBe(true);
  });
});
