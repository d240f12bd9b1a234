// `maker live` survives the faults of issue 12 (storm.ts: the harness and the invariants checked
// after each storm). This file: the market streams and the user-data stream.
import { describe, expect, it } from 'vitest';
import { closeStormsAfterEach, expectSurvived, weather } from './storm.ts';

closeStormsAfterEach();

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
