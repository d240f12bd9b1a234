// The recorder under the local exchange's fault plan (docs/FAULTS.md): the faults a recorder meets
// on Binance, injected by the exchange itself while it replays a store S. Each run: every lost
// stretch is marked as a gap (both edges' ids and times) and the book re-synced by a new snapshot;
// outside the marked stretches S' holds exactly S (nothing lost, nothing doubled); the fault log
// says the fault really fired.
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type GapRecord } from '../../src/store/index.ts';
import { DataChecker } from '../../src/marketdata/index.ts';
import { Instrument } from '../../src/model/instrument.ts';
import { haveReal } from '../support/shared-data.ts';
import { buildSourceStore, expectedAfterGaps, readStore, recordUnder, streamOf, tempDir, VENUE } from './helpers.ts';

type Events = Awaited<ReturnType<typeof readStore>>;
const TYPES = ['depth', 'trade', 'bookTicker'] as const;

/** S' is S minus what lies strictly inside the marked gaps, per stream; streams without a gap are S exactly. */
function expectOnlyMarkedLosses(S: Events, S2: Events, gaps: GapRecord[]) {
  for (const type of TYPES) {
    const mine = gaps.filter((g) => g.stream === type);
    const want = expectedAfterGaps(S, type, mine);
    expect(streamOf(S2, type), type).toEqual(want);
    expect(want.length, type).toBeGreaterThan(100);
  }
}

async function checkReport(root: string, S2: Events) {
  const store = await openStore(root);
  const checker = new DataChecker(() => new Instrument(store.spec(VENUE, 'BTCUSDT')));
  checker.onBatch(S2);
  return checker.report().symbols.BTCUSDT;
}

describe.skipIf(!haveReal)('maker record under the local exchange\'s fault plan', () => {
  const src = tempDir('fsrc');
  const dirs: { cleanup(): void }[] = [src];
  afterAll(() => dirs.forEach((d) => d.cleanup()));
  let built = false;
  const source = async () => {
    if (!built) await buildSourceStore(src.dir, 30);
    built = true;
    return src.dir;
  };
  const out = (tag: string) => {
    const d = tempDir(tag);
    dirs.push(d);
    return d.dir;
  };

  for (const closeFrame of [true, false]) {
    it(`disconnect of the market streams ${closeFrame ? 'with a close frame (1001)' : 'without a close frame (TCP dropped)'}: gap per stream, re-snapshot, nothing else lost`, async () => {
      const dir = out(closeFrame ? 'fclose' : 'fcut');
      const { S, S2, rec, logs, faultLog, gaps } = await recordUnder(await source(), dir, [{ kind: 'disconnect', target: 'streams', closeFrame, match: { symbol: 'BTCUSDT' } }], (r) => r.status().reconnects >= 2 && r.status().connections === 2);
      expect(rec.error).toBeUndefined();
      const fired = faultLog.filter((e) => e.event === 'fired');
      expect(fired).toHaveLength(1);
      expect((fired[0] as unknown as { connections: number }).connections).toBe(2);
      expect(rec.status().reconnects, logs.join('\n')).toBe(2);
      expect(logs.some((l) => (closeFrame ? /closed 1001/ : /closed 1006/).test(l)), logs.join('\n')).toBe(true);
      for (const type of TYPES) expect(gaps.filter((g) => g.stream === type), type).toHaveLength(1);
      for (const g of gaps) {
        expect(g.reason).toBe('disconnect');
        expect(g.before).not.toBeNull();
        expect(g.after.tsReceiveUs).toBeGreaterThan(g.before!.tsReceiveUs);
      }
      expectOnlyMarkedLosses(S, S2, gaps);
      expect(S2.filter((e) => e.type === 'snapshot')).toHaveLength(2);
      const report = await checkReport(dir, S2);
      expect(report.finalBook.valid).toBe(true);
      expect(report.crossed).toBe(0);
    }, 60_000);
  }

  it('a missing diff (depth-gap): chain-break gap on the depth stream only, re-snapshot, the other streams untouched', async () => {
    const dir = out('fgap');
    const { S, S2, rec, logs, faultLog, gaps } = await recordUnder(await source(), dir, [{ kind: 'depth-gap', match: { symbol: 'BTCUSDT' } }], (r) => r.status().resyncs >= 1);
    expect(rec.error).toBeUndefined();
    const skipped = faultLog.filter((e) => e.event === 'skipped' || e.event === 'fired');
    expect(skipped.length, JSON.stringify(faultLog)).toBeGreaterThanOrEqual(1);
    expect(rec.status().reconnects, logs.join('\n')).toBe(0);
    expect(gaps).toHaveLength(1);
    const g = gaps[0];
    expect(g.stream).toBe('depth');
    expect(g.reason).toBe('chain-break');
    // The diff the exchange skipped is the only one missing: its u is the gap's after.pu, and it is not in S'.
    const skippedU = (skipped.find((e) => (e as unknown as { u?: number }).u !== undefined) as unknown as { u: number }).u;
    const after = S2.find((e) => e.type === 'depth' && e.finalUpdateId === g.after.id);
    expect(after?.type === 'depth' && after.prevFinalUpdateId).toBe(skippedU);
    expect(S.some((e) => e.type === 'depth' && e.finalUpdateId === skippedU)).toBe(true);
    expect(S2.some((e) => e.type === 'depth' && e.finalUpdateId === skippedU)).toBe(false);
    expect(streamOf(S, 'depth').length - streamOf(S2, 'depth').length).toBe(1);
    expectOnlyMarkedLosses(S, S2, gaps);
    expect(S2.filter((e) => e.type === 'snapshot')).toHaveLength(2);
    const report = await checkReport(dir, S2);
    expect(report.gaps).toBe(1);
    expect(report.finalBook.valid).toBe(true);
  }, 60_000);

  it('a stalled stream (stall fault: open, silent, unread): detected by the no-message timeout, reconnected, gap marked', async () => {
    const dir = out('fstall');
    const { S, S2, rec, logs, faultLog, gaps } = await recordUnder(await source(), dir, [{ kind: 'stall', target: 'streams', durationMs: 3_000, match: { symbol: 'BTCUSDT' } }], (r) => r.status().reconnects >= 2 && r.status().connections === 2, 700);
    expect(rec.error).toBeUndefined();
    expect(faultLog.some((e) => e.event === 'fired')).toBe(true);
    expect(rec.status().reconnects, logs.join('\n')).toBeGreaterThanOrEqual(2);
    for (const type of TYPES) expect(gaps.some((g) => g.stream === type && g.reason === 'stall'), type).toBe(true);
    expectOnlyMarkedLosses(S, S2, gaps);
    expect(S2.filter((e) => e.type === 'snapshot').length).toBeGreaterThanOrEqual(2);
    expect((await checkReport(dir, S2)).finalBook.valid).toBe(true);
  }, 60_000);

  it('429 on the snapshot (rate-limit on GET /fapi/v1/depth) after a missing diff: the recorder waits Retry-After, re-syncs, loses nothing more', async () => {
    const dir = out('f429');
    const { S, S2, rec, logs, faultLog, gaps } = await recordUnder(
      await source(),
      dir,
      [
        // `nth: 1`: the period starts at the first snapshot request after the faults are armed (the
        // re-sync's), not at once: a recorder slow to see the gap (a loaded machine) still meets it.
        { kind: 'rate-limit', nth: 1, durationMs: 1_000, banAfter: 100, match: { method: 'GET', path: '/fapi/v1/depth' } },
        { kind: 'depth-gap', match: { symbol: 'BTCUSDT' } },
      ],
      (r) => r.status().resyncs >= 1,
    );
    expect(rec.error).toBeUndefined();
    const rejected = faultLog.filter((e) => e.event === 'rejected');
    expect(rejected.length, JSON.stringify(faultLog)).toBeGreaterThanOrEqual(1);
    expect((rejected[0] as unknown as { status: number }).status).toBe(429);
    expect(logs.some((l) => /REST back-off \d+ ms: GET \/fapi\/v1\/depth.*HTTP 429/.test(l)), logs.join('\n')).toBe(true);
    expect(gaps).toHaveLength(1);
    expect(gaps[0].reason).toBe('chain-break');
    expectOnlyMarkedLosses(S, S2, gaps);
    // The snapshot came after the 429 and bridges the diffs recorded meanwhile: the replay is back in sync.
    const snaps = S2.filter((e) => e.type === 'snapshot');
    expect(snaps).toHaveLength(2);
    expect(snaps[1].tsReceiveUs).toBeGreaterThan(gaps[0].after.tsReceiveUs);
    const report = await checkReport(dir, S2);
    expect(report.finalBook.valid).toBe(true);
    expect(report.crossed).toBe(0);
  }, 60_000);
});
