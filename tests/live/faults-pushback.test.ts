// `maker live` survives the faults of issue 12 (storm.ts: the harness and the invariants checked
// after each storm). This file: the venue pushing back (429, 418, -1021, maintenance).
import { describe, expect, it } from 'vitest';
import { closeStormsAfterEach, expectSurvived, weather } from './storm.ts';

closeStormsAfterEach();

describe('maker live survives the faults: the venue pushes back', () => {
  it('the venue pushes back: 429 then 418 (REDUCING for the cool-down after the ban), clock skew (-1021), maintenance; a timeout on a modify', async () => {
    const r = await weather({
      runMs: 24_000,
      set: ['risk.throttleCooldownUs=2000000'],
      faults: [
        { kind: 'timeout-1007', applied: false, afterMs: 2_000, match: { method: 'PUT', path: '/fapi/v1/order' } },
        { kind: 'clock-skew', skewMs: -4_000, durationMs: 4_000, afterMs: 3_000 },
        { kind: 'rate-limit', durationMs: 2_000, banAfter: 3, banMs: 3_000, afterMs: 8_000 },
        { kind: 'maintenance', durationMs: 4_000, afterMs: 15_000 },
      ],
    });
    expectSurvived(r);
    expect(r.summary.throttles, r.logs.join('\n')).toBeGreaterThan(0);
    // The core was told, and held its requests until Retry-After (journalled, so the replay matched).
    expect(r.held).toBeGreaterThan(0);
    // ...and its risk went REDUCING (VENUE_THROTTLED) at the throttle, back to ACTIVE after the cool-down,
    // placing nothing that grew the position meanwhile (also in summary.json).
    const throttleTrips = r.trips.filter((t) => t.code === 'VENUE_THROTTLED');
    expect(throttleTrips.map((t) => t.to), r.logs.join('\n')).toContain('REDUCING');
    expect(throttleTrips.at(-1)!.to).toBe('ACTIVE');
    expect(r.reducingViolations).toEqual([]);
    expect(r.summary.riskChanges.some((c) => c.code === 'VENUE_THROTTLED' && c.to === 'REDUCING')).toBe(true);
    expect(r.logs.some((l) => /risk BTCUSDT: ACTIVE → REDUCING \(VENUE_THROTTLED\)/.test(l))).toBe(true);
    expect((r.summary.rest as { resigned: number }).resigned, 'a -1021 re-signed after a time sync').toBeGreaterThan(0);
  }, 120_000);
});
