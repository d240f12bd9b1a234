// Planned disconnects lose nothing: the local exchange closes every stream connection after a
// lifetime shortened to 5 s (Binance: 24 h); the recorder opens the replacement before that and
// hands over with de-duplication, so S' still equals S and no gap is marked.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/record/index.ts';
import { readMeta, openStore } from '../../src/store/index.ts';
import { haveReal } from '../support/shared-data.ts';
import { buildSourceStore, readStore, startReplayExchange, streamOf, tempDir, VENUE, waitFor } from './helpers.ts';

describe.skipIf(!haveReal)('maker record: the connection lifetime cut', () => {
  const src = tempDir('src');
  const out = tempDir('out');
  afterAll(() => {
    src.cleanup();
    out.cleanup();
  });

  it('replaces each connection before the exchange cuts it: many handovers, no gap, S\' = S', async () => {
    await buildSourceStore(src.dir, 60);
    const S = await readStore(src.dir);
    const x = await startReplayExchange(src.dir, 3, 5_000);
    const logs: string[] = [];
    const rec = new Recorder({
      symbols: ['BTCUSDT'], rest: x.base, ws: x.base.replace('http', 'ws'), out: out.dir,
      streams: { depthSpeed: '0ms', trade: true, aggTrade: true, bookTicker: true, markPrice: true },
      rotateAfterMs: 2_000, overlapMs: 300, flushMs: 100, log: (l) => logs.push(l),
    });
    try {
      await rec.start();
      await waitFor('both routes connected', () => rec.status().connections === 2, 5_000);
      await x.release();
      await waitFor('the replay to end', () => x.ex.ended, 30_000);
      await waitFor('the recorder to catch up', () => Object.values(rec.status().streams).reduce((n, s) => n + s.messages - s.duplicates, 0) >= S.length - 1, 30_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${logs.join('\n')}`);
      });
    } finally {
      await rec.stop();
      await x.close();
    }
    const st = rec.status();
    expect(rec.error).toBeUndefined();
    expect(st.rotations).toBeGreaterThanOrEqual(4);
    expect(st.reconnects, logs.join('\n')).toBe(0);
    expect(st.gaps).toBe(0);
    // Both connections delivered the overlap: duplicates were seen and dropped.
    expect(Object.values(st.streams).reduce((n, s) => n + s.duplicates, 0)).toBeGreaterThan(0);
    const S2 = await readStore(out.dir);
    for (const type of ['depth', 'trade', 'bookTicker'] as const) expect(streamOf(S2, type), type).toEqual(streamOf(S, type));
    expect(S2.filter((e) => e.type === 'snapshot')).toHaveLength(1);
    const store = await openStore(out.dir);
    for (const d of store.dates(VENUE, 'BTCUSDT')) expect(readMeta(join(out.dir, VENUE, 'BTCUSDT', d))!.recording!.gaps).toEqual([]);
  }, 90_000);
});
