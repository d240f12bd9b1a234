// The venue-throttle hold of the risk engine (engine.ts `throttle`, state-machine.ts
// `tripThrottle` / `clearThrottle`): REDUCING from a 429/418 until the ban's end plus
// `throttleCooldownUs`, extended by a later throttle, lifted at the first `update` at or after its
// end. The trader and live tests reach it through the venue; these pin it in the risk group itself.
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/bus.ts';
import { RiskEngine, parseRiskConfig, type RiskEventMap } from '../../src/risk/index.ts';
import { SYMBOL, T0, makeCtx } from './fixtures.ts';

const S = 1_000_000;

function setup(cooldownUs = 5 * S) {
  const bus = new EventBus<RiskEventMap>();
  const changes: { from: string; to: string; tsUs: number; message: string }[] = [];
  bus.on('risk.stateChanged', (e) => changes.push({ from: e.from, to: e.to, tsUs: e.tsUs, message: e.message }));
  const engine = new RiskEngine({ symbol: SYMBOL, config: parseRiskConfig({ throttleCooldownUs: cooldownUs }), bus, startUs: T0 });
  return { engine, changes };
}

describe('the venue-throttle hold', () => {
  it('none at first: no hold end, ACTIVE', () => {
    const { engine, changes } = setup();
    expect(engine.throttleHoldUntilUs()).toBe(Number.POSITIVE_INFINITY);
    expect(engine.update(makeCtx({ tsUs: T0 + S }))).toBe('ACTIVE');
    expect(changes).toEqual([]);
  });

  it('REDUCING until the ban ends plus the cool-down, then ACTIVE at the first update at that time', () => {
    const { engine, changes } = setup();
    engine.throttle(T0 + S, T0 + 10 * S, 'Too many requests');
    expect(engine.throttleHoldUntilUs()).toBe(T0 + 15 * S);
    expect(changes).toEqual([{ from: 'ACTIVE', to: 'REDUCING', tsUs: T0 + S, message: 'Too many requests' }]);
    expect(engine.update(makeCtx({ tsUs: T0 + 15 * S - 1 }))).toBe('REDUCING');
    expect(engine.update(makeCtx({ tsUs: T0 + 15 * S }))).toBe('ACTIVE');
    expect(changes[1]).toMatchObject({ from: 'REDUCING', to: 'ACTIVE', tsUs: T0 + 15 * S });
    expect(engine.throttleHoldUntilUs()).toBe(Number.POSITIVE_INFINITY);
  });

  it('a ban already over when it is reported counts the cool-down from now', () => {
    const { engine } = setup();
    engine.throttle(T0 + 30 * S, T0 + S, 'late');
    expect(engine.throttleHoldUntilUs()).toBe(T0 + 35 * S);
  });

  it('a later throttle extends the hold (one transition), a shorter one does not shorten it', () => {
    const { engine, changes } = setup();
    engine.throttle(T0, T0 + 10 * S, 'first');
    engine.throttle(T0 + S, T0 + 2 * S, 'shorter');
    expect(engine.throttleHoldUntilUs()).toBe(T0 + 15 * S);
    engine.throttle(T0 + 2 * S, T0 + 20 * S, 'longer');
    expect(engine.throttleHoldUntilUs()).toBe(T0 + 25 * S);
    expect(changes).toHaveLength(1);
    expect(engine.update(makeCtx({ tsUs: T0 + 24 * S }))).toBe('REDUCING');
    expect(engine.update(makeCtx({ tsUs: T0 + 25 * S }))).toBe('ACTIVE');
  });

  it('with no cool-down the hold ends with the ban', () => {
    const { engine } = setup(0);
    engine.throttle(T0, T0 + 3 * S, 'ban');
    expect(engine.update(makeCtx({ tsUs: T0 + 3 * S - 1 }))).toBe('REDUCING');
    expect(engine.update(makeCtx({ tsUs: T0 + 3 * S }))).toBe('ACTIVE');
  });
});
