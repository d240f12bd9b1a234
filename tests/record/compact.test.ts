// Compaction of a journal segment into the store: in the worker thread it writes exactly what the
// in-process path writes, and compacting the same segment twice (a crash between the commit and
// the segment's removal) leaves the store unchanged.
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Instrument } from '../../src/model/instrument.ts';
import { compactInWorker, compactSegment, JournalWriter } from '../../src/record/index.ts';
import { makeSpec } from '../support/instruments.ts';
import { readStore, tempDir, VENUE } from './helpers.ts';

const E0 = 1_723_161_256_501;
const msg = (i: number) => `{"stream":"btcusdt@trade","data":{"e":"trade","E":${E0 + i},"T":${E0 + i},"s":"BTCUSDT","t":${1000 + i},"p":"60000.${i % 10}","q":"0.00${(i % 9) + 1}","X":"MARKET","m":${i % 2 === 0}}}`;

function writeSegment(dir: string): string {
  const w = new JournalWriter(dir, 1);
  w.rotate(1);
  w.append({ tag: 'B', tsReceiveUs: 1, session: { id: 's1', startUs: 1, clockOffsetUs: -1000, clockRttUs: 200, rest: 'r', ws: 'w', streams: ['btcusdt@trade'] } });
  for (let i = 0; i < 50; i++) w.append({ tag: 'W', tsReceiveUs: E0 * 1000 + i * 1000 + 7, text: msg(i) });
  w.append({ tag: 'G', tsReceiveUs: E0 * 1000 + 49_007, gap: { symbol: 'BTCUSDT', stream: 'trade', reason: 'disconnect', before: { id: 1040, tsExchangeUs: (E0 + 40) * 1000, tsReceiveUs: E0 * 1000 + 40_007 }, after: { id: 1049, tsExchangeUs: (E0 + 49) * 1000, tsReceiveUs: E0 * 1000 + 49_007 } } });
  w.append({ tag: 'E', tsReceiveUs: E0 * 1000 + 60_000 });
  return w.close()!;
}

const metaOf = (root: string) => {
  const dir = join(root, VENUE, 'BTCUSDT', '2024-08-08');
  return readFileSync(join(dir, 'meta.json'), 'utf8');
};

describe('record compaction', () => {
  const t = tempDir('compact');
  afterAll(() => t.cleanup());
  const instruments = new Map([['BTCUSDT', new Instrument(makeSpec())]]);

  it('the worker thread writes the same store as the in-process path, notes included', async () => {
    const seg = writeSegment(join(t.dir, 'j1'));
    const copy = join(t.dir, 'copy.log');
    cpSync(seg, copy);
    const a = await compactInWorker(seg, { root: join(t.dir, 'a'), venue: VENUE, instruments });
    const b = await compactSegment(copy, { root: join(t.dir, 'b'), venue: VENUE, instruments });
    expect(a.inWorker).toBe(true);
    expect(a.events).toBe(50);
    expect(a.gaps).toBe(1);
    expect(a.marks.get('BTCUSDT', 'trade')?.id).toBe(1049);
    expect(b.events).toBe(50);
    expect(await readStore(join(t.dir, 'a'))).toEqual(await readStore(join(t.dir, 'b')));
    const meta = JSON.parse(metaOf(join(t.dir, 'a')));
    expect(meta.recording.gaps).toHaveLength(1);
    expect(meta.recording.sessions.map((s: { id: string }) => s.id)).toEqual(['s1']);
    expect(metaOf(join(t.dir, 'a'))).toBe(metaOf(join(t.dir, 'b')).replace('copy.log', seg.slice(seg.lastIndexOf('/') + 1)));
    // The segment is removed once committed.
    expect(readdirSync(join(t.dir, 'j1'))).toEqual([]);
  });

  it('the worker runs its module through tsx when the bundle is off (MAKER_BUNDLE=0): the same store', async () => {
    const seg = writeSegment(join(t.dir, 'j4'));
    const copy = join(t.dir, 'copy4.log');
    cpSync(seg, copy);
    const saved = process.env.MAKER_BUNDLE;
    process.env.MAKER_BUNDLE = '0';
    try {
      const a = await compactInWorker(seg, { root: join(t.dir, 'tsx'), venue: VENUE, instruments });
      expect(a.inWorker).toBe(true);
      expect(a.events).toBe(50);
    } finally {
      if (saved === undefined) delete process.env.MAKER_BUNDLE;
      else process.env.MAKER_BUNDLE = saved;
    }
    await compactSegment(copy, { root: join(t.dir, 'tsx-here'), venue: VENUE, instruments });
    expect(await readStore(join(t.dir, 'tsx'))).toEqual(await readStore(join(t.dir, 'tsx-here')));
  });

  it('compacting the same segment again changes nothing', async () => {
    const seg = writeSegment(join(t.dir, 'j2'));
    const root = join(t.dir, 'twice');
    await compactSegment(seg, { root, venue: VENUE, instruments, keep: true });
    const before = { events: await readStore(root), meta: metaOf(root) };
    await compactSegment(seg, { root, venue: VENUE, instruments });
    expect(await readStore(root)).toEqual(before.events);
    expect(metaOf(root)).toBe(before.meta);
  });

  it('a store error in the worker comes back as the same error code', async () => {
    const seg = writeSegment(join(t.dir, 'j3'));
    const root = join(t.dir, 'bad');
    mkdirSync(root);
    writeFileSync(join(root, VENUE), 'a file where the venue directory should be');
    const err = await compactInWorker(seg, { root, venue: VENUE, instruments }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('E_IO');
    expect(readdirSync(join(t.dir, 'j3'))).toHaveLength(1);
  });
});
