// `maker live` survives the faults of issue 12 against `maker exchange`'s fault plan: one session,
// the faults one after another on a schedule (the short version; the long one is soak.test.ts with
// MAKER_LIVE_SOAK_S). After each storm: no orphan order (the confirmed shutdown leaves nothing
// open), no lost or duplicated fill (every trade id the core booked is one of the exchange's, once;
// the core's position equals the exchange's), and the journal replays to the same commands.
// Fault 12 (kill -9 and restart) is in cli.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanups, expectSurvived, weather } from './storm.ts';

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('maker live survives the faults', () => {
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

  it('order entry: 503 applied and not, timeouts on place and cancel, -5022, a fill racing a cancel', async () => {
    const r = await weather({
      runMs: 30_000,
      // Requotes as cancel + new order, so cancels (the target of two faults) come every few seconds;
      // under load they can be seconds apart, so the cancel faults get 8 to 24 s.
      set: ['oms.modifyMode=cancel-replace'],
      faults: [
        { kind: 'unknown-error-503', applied: true, afterMs: 3_000, match: { method: 'POST', path: '/fapi/v1/order' } },
        { kind: 'unknown-error-503', applied: false, afterMs: 5_000, match: { method: 'POST', path: '/fapi/v1/order' } },
        { kind: 'timeout-1007', applied: true, afterMs: 7_000, match: { method: 'POST', path: '/fapi/v1/order' } },
        { kind: 'timeout-1007', applied: true, afterMs: 8_000, match: { method: 'DELETE', path: '/fapi/v1/order' } },
        // Before the post-only period: its -5022 churn can spend the order budget (-1015), and the
        // throttle's REDUCING hold then leaves no order to cancel at a flat position.
        { kind: 'fill-before-cancel', afterMs: 10_000, match: { symbol: 'BTCUSDT' } },
        { kind: 'post-only-reject', durationMs: 2_000, afterMs: 24_000 },
      ],
    });
    expectSurvived(r);
    // Unknown outcomes were settled by queries, never by resending.
    expect(r.summary.runner.sent.query, r.logs.join('\n')).toBeGreaterThan(0);
  }, 120_000);

  it('a fill races the shutdown: the cancel-all fills a resting order; the fill is journalled, booked and in the final position', async () => {
    const r = await weather({
      runMs: 5_000,
      faults: [
        { kind: 'fill-before-cancel', match: { symbol: 'BTCUSDT', path: '/fapi/v1/allOpenOrders' } },
        // The user stream's frames are 6 s late from 4 s on: the fill's report would come after the
        // journal closed, so only the final userTrades read-back can book it.
        { kind: 'latency', delayMs: 6_000, durationMs: 60_000, targets: ['user-stream'], afterMs: 4_000 },
      ],
    });
    expectSurvived(r);
    expect((r.summary.userStream as { backfilled: number }).backfilled, 'read back from userTrades').toBeGreaterThan(0);
    const context = `\n${r.logs.join('\n')}\nfaults: ${r.faultLog.join(', ')}`;
    // The fill came after the decisions stopped: it is in the journal (after the S record), its
    // answers were dropped, not sent, and the replay agrees.
    const lines = readFileSync(join(r.summary.runDir, 'journal.log'), 'utf8').split('\n');
    const stopAt = lines.findIndex((l) => / S \{"reason":"storm over"\}$/.test(l));
    expect(stopAt, context).toBeGreaterThan(0);
    const after = lines.slice(stopAt + 1).filter((l) => l !== '');
    expect(after.some((l) => / V \{"kind":"report".*"execType":"TRADE"/.test(l)), context).toBe(true);
    expect(after.filter((l) => / [MTOC] /.test(l))).toEqual([]);
    expect(r.venuePosAfter, 'the fault filled an order: the venue holds a position').not.toBe(0);
  }, 60_000);

  it('the final userTrades read-back fails: exit 3 though the cancels were confirmed, and summary.json says why', async () => {
    const r = await weather({
      runMs: 3_000,
      faults: [{ kind: 'unknown-error-503', applied: false, times: 50, match: { method: 'GET', path: '/fapi/v1/userTrades' } }],
    });
    const context = `\n${r.logs.join('\n')}\nfaults: ${r.faultLog.join(', ')}`;
    expect(r.summary.shutdown.confirmed, context).toBe(true);
    expect(r.open).toEqual([]);
    expect(r.summary.shutdown.tradesReconciled, context).toMatchObject({ ok: false, reports: 0 });
    expect(r.summary.shutdown.tradesReconciled!.detail).toMatch(/GET \/fapi\/v1\/userTrades BTCUSDT/);
    expect(r.summary.exitCode).toBe(3);
    expect(r.logs.some((l) => /the final trade reconciliation failed/.test(l))).toBe(true);
  }, 60_000);

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
