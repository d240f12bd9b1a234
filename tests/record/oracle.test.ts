// The recorder's oracle: a store S replayed through the local exchange and recorded again gives S'
// equal to S event for event (update ids, levels, prices, quantities, trade ids, exchange and
// match times; only receive times differ), and `maker data check` finds S' clean.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/record/index.ts';
import { DataChecker, isClean } from '../../src/marketdata/index.ts';
import { openStore, readMeta } from '../../src/store/index.ts';
import { Instrument } from '../../src/model/instrument.ts';
import { haveReal } from '../support/shared-data.ts';
import { buildSourceStore, readStore, startReplayExchange, streamOf, tempDir, VENUE, waitFor } from './helpers.ts';

const SPEED = 20;
const SECONDS = 60;

async function checkStore(root: string) {
  const store = await openStore(root);
  const checker = new DataChecker(() => new Instrument(store.spec(VENUE, 'BTCUSDT')));
  checker.onBatch(await readStore(root));
  return checker.report();
}

describe.skipIf(!haveReal)('maker record against the local exchange: the replay oracle', () => {
  const src = tempDir('src');
  const out = tempDir('out');
  let S: Awaited<ReturnType<typeof readStore>>;
  let S2: Awaited<ReturnType<typeof readStore>>;
  let rec: Recorder;

  beforeAll(async () => {
    await buildSourceStore(src.dir, SECONDS);
    S = await readStore(src.dir);
    const x = await startReplayExchange(src.dir, SPEED);
    rec = new Recorder({ symbols: ['BTCUSDT'], rest: x.base, ws: x.base.replace('http', 'ws'), out: out.dir, streams: { depthSpeed: '0ms', trade: true, aggTrade: true, bookTicker: true, markPrice: true }, flushMs: 100 });
    try {
      await rec.start();
      await waitFor('both routes connected', () => rec.status().connections === 2, 5_000);
      await x.release();
      await waitFor('the replay to end', () => x.ex.ended, (SECONDS / SPEED) * 1000 + 20_000);
      // Let the last messages arrive.
      const last = S.length;
      await waitFor('the recorder to catch up', () => Object.values(rec.status().streams).reduce((n, s) => n + s.messages, 0) >= last - 1, 10_000);
    } finally {
      await rec.stop();
      await x.close();
    }
    S2 = await readStore(out.dir);
  }, 120_000);

  afterAll(() => {
    src.cleanup();
    out.cleanup();
  });

  it('records every diff, trade and bookTicker of S exactly (ids, levels, exchange and match times)', () => {
    expect(rec.error).toBeUndefined();
    for (const type of ['depth', 'trade', 'bookTicker'] as const) {
      const a = streamOf(S, type);
      const b = streamOf(S2, type);
      expect(a.length).toBeGreaterThan(100);
      expect(b.length, type).toBe(a.length);
      expect(b).toEqual(a);
    }
  });

  it('stores the snapshot it synced from, and S\' replays clean (maker data check)', async () => {
    const snaps = S2.filter((e) => e.type === 'snapshot');
    expect(snaps.length).toBe(1);
    const report = await checkStore(out.dir);
    const sym = report.symbols.BTCUSDT;
    expect(sym.gaps).toBe(0);
    expect(sym.finalBook.valid).toBe(true);
    expect(isClean(report)).toBe(true);
    // The same bookTicker agreement as S: every bookTicker checked against the book matches, in S
    // and in S'. (S' checks fewer: its book syncs from the recorder's own snapshot, taken later
    // than S's, and bookTickers before it are not checked.)
    const ref = (await checkStore(src.dir)).symbols.BTCUSDT;
    expect(ref.bookTicker.matched).toBe(ref.bookTicker.checked);
    expect(sym.bookTicker.checked).toBeGreaterThan(20);
    expect(sym.bookTicker.matched).toBe(sym.bookTicker.checked);
    expect(sym.fused.mismatched).toBe(0);
  });

  it('writes the session (with the clock offset) into the partition and no gap', () => {
    const dates = [...new Set(S2.map((e) => new Date(e.tsExchangeUs / 1000).toISOString().slice(0, 10)))];
    const meta = readMeta(join(out.dir, VENUE, 'BTCUSDT', dates[0]))!;
    expect(meta.recording?.sessions).toHaveLength(1);
    const session = meta.recording!.sessions[0];
    // The local exchange's clock stands at the data's time (2024): the offset says so.
    expect(session.clockOffsetUs).toBeLessThan(-1e12);
    expect(meta.recording!.gaps).toEqual([]);
    expect(session.streams).toContain('btcusdt@depth@0ms');
    expect(readFileSync(join(out.dir, VENUE, 'BTCUSDT', dates[0], 'meta.json'), 'utf8')).toContain('maker-record');
  });
});
