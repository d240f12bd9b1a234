// The soak of issue 12: `maker live` for MAKER_LIVE_SOAK_S seconds (e.g. 360: an hour of market at
// 10x) against the local exchange with a seeded random schedule of every fault kind, then the same
// invariants as faults-*.test.ts (no orphan order, no lost or duplicated fill, positions equal, the
// journal replays to the same commands). Opt-in: too long for `npm test`; the short version is
// faults-*.test.ts. Run: MAKER_LIVE_SOAK_S=360 npx vitest run tests/live/soak.test.ts
import { describe, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { closeStormsAfterEach, expectSurvived, weather } from './storm.ts';

const SOAK_S = Number(process.env.MAKER_LIVE_SOAK_S ?? 0);
const SEED = Number(process.env.MAKER_LIVE_SOAK_SEED ?? 1);

closeStormsAfterEach();

/** One fault of each kind per ~30 s of soak, at seeded random times, in seeded random order. */
function schedule(seconds: number, seed: number): Record<string, unknown>[] {
  const rng = new Rng(seed);
  const kinds: (() => Record<string, unknown>)[] = [
    () => ({ kind: 'disconnect', target: 'streams', closeFrame: rng.next() < 0.5 }),
    () => ({ kind: 'depth-gap', match: { symbol: 'BTCUSDT' } }),
    () => ({ kind: 'stall', target: 'streams', durationMs: 3_000 }),
    () => ({ kind: 'disconnect', target: 'user-stream', closeFrame: rng.next() < 0.5 }),
    () => ({ kind: 'listen-key-expired' }),
    () => ({ kind: 'unknown-error-503', applied: rng.next() < 0.5, match: { method: 'POST', path: '/fapi/v1/order' } }),
    () => ({ kind: 'timeout-1007', applied: rng.next() < 0.5, match: { method: rng.next() < 0.5 ? 'DELETE' : 'PUT', path: '/fapi/v1/order' } }),
    () => ({ kind: 'post-only-reject', durationMs: 2_000 }),
    () => ({ kind: 'fill-before-cancel', match: { symbol: 'BTCUSDT' } }),
    () => ({ kind: 'clock-skew', skewMs: -4_000, durationMs: 4_000 }),
    () => ({ kind: 'rate-limit', durationMs: 2_000, banAfter: 3, banMs: 3_000 }),
    () => ({ kind: 'maintenance', durationMs: 3_000 }),
  ];
  const n = Math.max(kinds.length, Math.floor(seconds / 30));
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const make = kinds[i < kinds.length ? i : Math.floor(rng.next() * kinds.length)];
    // Spread over the soak, leaving the last 20 s quiet for the checks.
    const afterMs = 3_000 + Math.floor(rng.next() * Math.max(1, seconds * 1000 - 25_000));
    out.push({ ...make(), name: `soak-${i}`, afterMs });
  }
  return out;
}

describe.skipIf(!(SOAK_S > 0))('maker live soak (MAKER_LIVE_SOAK_S)', () => {
  it(`survives ${SOAK_S} s of accelerated market with random faults (seed ${SEED})`, async () => {
    const r = await weather({ runMs: SOAK_S * 1000, speed: 10, streams: { maxConnectionMs: 60_000 }, faults: schedule(SOAK_S, SEED) });
    expectSurvived(r);
    process.stderr.write(`soak: ${SOAK_S} s, ${r.summary.runner.marketEvents} market events, ${r.summary.runner.commands} commands, ${r.tradeIds.length} fills, ${r.faultLog.filter((l) => / fired$/.test(l)).length} faults fired, replay ${r.replay.matched}/${r.replay.commands} matched\n`);
  }, (SOAK_S + 120) * 1000);
});
