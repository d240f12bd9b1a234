// The journal format: records round-trip, a line cut by a kill is dropped (counted), damage is
// skipped and named, and the writer flushes only on `flush`.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JournalWriter, listSegments, readSegment, type JournalRecord } from '../../src/record/index.ts';
import { tempDir } from './helpers.ts';

describe('record journal', () => {
  const t = tempDir('journal');
  afterAll(() => t.cleanup());

  const gap = { symbol: 'BTCUSDT', stream: 'depth', reason: 'disconnect' as const, before: { id: 1, tsExchangeUs: 1000, tsReceiveUs: 2000 }, after: { id: 9, tsExchangeUs: 5000, tsReceiveUs: 6000 } };
  const session = { id: 's', startUs: 10, clockOffsetUs: -5, clockRttUs: 300, rest: 'http://x', ws: 'ws://x', streams: ['btcusdt@depth@100ms'] };
  const records: JournalRecord[] = [
    { tag: 'B', tsReceiveUs: 10, session },
    { tag: 'W', tsReceiveUs: 11, text: '{"stream":"btcusdt@trade","data":{"t":1}}' },
    { tag: 'S', tsReceiveUs: 12, symbol: 'BTCUSDT', text: '{"lastUpdateId":5,"bids":[],"asks":[]}' },
    { tag: 'G', tsReceiveUs: 13, gap },
    { tag: 'W', tsReceiveUs: 14, text: '{"stream":"btcusdt@trade",\n"data":{"t":2}}' },
    { tag: 'E', tsReceiveUs: 15 },
  ];

  it('writes nothing before flush, then every record, which reads back as written (line breaks inside a message become spaces)', () => {
    const w = new JournalWriter(join(t.dir, 'a'), 42);
    w.rotate(10);
    for (const r of records) w.append(r);
    expect(readFileSync(w.currentPath, 'utf8')).toBe('');
    w.flush();
    expect(w.bytesWritten).toBeGreaterThan(100);
    const path = w.close()!;
    expect(listSegments(join(t.dir, 'a'))).toEqual([path]);
    const seg = readSegment(path);
    expect(seg.tornTail).toBe(0);
    expect(seg.badLines).toEqual([]);
    expect(seg.endedCleanly).toBe(true);
    expect(seg.records).toEqual(records.map((r) => (r.tag === 'W' ? { ...r, text: r.text.replace('\n', ' ') } : r)));
  });

  it('drops a last line cut short by a kill, skips damaged lines by number, and sees the session did not end', () => {
    const file = join(t.dir, 'seg-1-1.log');
    writeFileSync(file, '1 B {"id":"x","startUs":1,"clockOffsetUs":0,"clockRttUs":1,"rest":"","ws":"","streams":[]}\n2 W {"stream":"a"}\ngarbage line\n3 Q what\n');
    appendFileSync(file, '4 W {"stream":"btcusdt@tr');
    const seg = readSegment(file);
    expect(seg.records.map((r) => r.tsReceiveUs)).toEqual([1, 2]);
    expect(seg.tornTail).toBe('4 W {"stream":"btcusdt@tr'.length);
    expect(seg.badLines.map((b) => b.line)).toEqual([3, 4]);
    expect(seg.endedCleanly).toBe(false);
  });

  it('lists segments oldest first by start time, not by name', () => {
    const dir = join(t.dir, 'order');
    for (const start of [900, 10_000, 25]) {
      const w = new JournalWriter(dir, 7);
      w.rotate(start);
      w.close();
    }
    expect(listSegments(dir).map((p) => p.slice(p.lastIndexOf('/') + 1))).toEqual(['seg-25-7.log', 'seg-900-7.log', 'seg-10000-7.log']);
  });
});
