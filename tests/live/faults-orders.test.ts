// `maker live` survives the faults of issue 12 (storm.ts: the harness and the invariants checked
// after each storm). This file: order entry (unknown outcomes, -5022, fills racing cancels and the shutdown).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeStormsAfterEach, expectSurvived, weather } from './storm.ts';

closeStormsAfterEach();

describe('maker live survives the faults: order entry', () => {
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
    // The fault filled a resting order. Not "the venue holds a position": the fill may have closed
    // the position the session had (a flaky check before), so the fault's own log says it.
    const fired = r.lx.server.faults.log.filter((e) => e.kind === 'fill-before-cancel' && e.event === 'fired');
    expect(fired.map((e) => e.filled), context).toContain(true);
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
});
