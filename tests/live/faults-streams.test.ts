// `maker live` survives the faults of issue 12 against `maker exchange`'s fault plan: one session
// per test, the faults one after another on a schedule (the short version; the long one is
// soak.test.ts with MAKER_LIVE_SOAK_S). After each storm: no orphan order (the confirmed shutdown
// leaves nothing open), no lost or duplicated fill (every trade id the core booked is one of the
// exchange's, once; the core's position equals the exchange's), and the journal replays to the same
// commands. Fault 12 (kill -9 and restart) is in cli.test.ts. The storms are in three files
// (faults-streams, faults-orders, faults-pushback) so that their wall-clock schedules (~100 s in
// all) run side by side rather than one after another at the end of the suite.
// This file: the market streams and the user-data stream.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanups, expectSurvived, weather } from './storm.ts';

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('maker live survives the faults: streams', () => {
  it('market side: streams dropped with and without a close frame, a stall, a missing depth diff, the 24 h cut', async () => {
    const r = await weather({
      runMs: 22_000,
      streams: { maxConnectionMs: 9_000 },
      faults: [
        { kind: 'disconnect', target: 'streams', closeFrame: true, afterMs: 4_000 },
        { kind: 'depth-gap', afterMs: 7_000, match: { symbol: 'BTCUSDT' } },
        { kind: 'disconnect', target: 'streams', closeFrame: false, afterMs: 11_000 },
        { kind: 'stall', target: 'streams', durationMs: 3_000, afterMs: 15_000 },
      ],
    });
    expectSurvived(r);
    const downs = r.logs.filter((l) => /market stream down/.test(l)).length;
    expect(downs, r.logs.join('\n')).toBeGreaterThanOrEqual(3);
    expect(r.summary.runner.sent.submit).toBeGreaterThan(4);
  }, 120_000);

  it('user side: user stream dropped, listenKey expired', async () => {
    const r = await weather({
      runMs: 14_000,
      faults: [
        { kind: 'disconnect', target: 'user-stream', closeFrame: false, afterMs: 4_000 },
        { kind: 'listen-key-expired', afterMs: 9_000 },
      ],
    });
    expectSurvived(r);
    expect(r.logs.filter((l) => /user stream down/.test(l)).length, r.logs.join('\n')).toBeGreaterThanOrEqual(2);
    expect((r.summary.userStream as { rotations: number }).rotations).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
