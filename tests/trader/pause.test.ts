// TradingCore.setPaused (the live dashboard's pause / resume): while paused every decision is a
// cancel-all and nothing is quoted, whatever the market does; the risk state is untouched; a resume
// quotes again at once; the same inputs with the same pause give the same commands (the journal's
// operator record replays).
import { describe, expect, it } from 'vitest';
import type { VenueCommand } from '../../src/model/venue.ts';
import { Harness, NO_CHAOS, SYMBOL, run } from './harness.ts';

const keys = (cmds: readonly VenueCommand[]): string[] => cmds.map((c) => JSON.stringify(c));

describe('TradingCore.setPaused', () => {
  it('pause cancels every order at once and quotes nothing while the market moves; resume quotes again', () => {
    const h = run({ seed: 5, steps: 50, chaos: NO_CHAOS });
    h.settle();
    const open = h.gateway.openOrders().map((o) => o.clientOrderId).sort();
    expect(open.length).toBeGreaterThan(0);
    const events: { paused: boolean; reason: string }[] = [];
    h.core.bus.on('trader.pauseChanged', (e) => events.push({ paused: e.paused, reason: e.reason }));

    expect(h.core.setPaused(SYMBOL, true, 'paused by test')).toBe(true);
    expect(h.core.isPaused(SYMBOL)).toBe(true);
    const now = h.core.drainCommands();
    expect(now.map((c) => (c.kind === 'cancel' ? c.clientOrderId : `not a cancel: ${c.kind}`)).sort()).toEqual(open);
    h.inflight.push(...now);
    expect(h.core.setPaused(SYMBOL, true)).toBe(false); // no change, no event
    const before = h.queued.length;
    for (let i = 0; i < 100; i++) h.step();
    h.settle();
    const whilePaused = h.queued.slice(before);
    expect(whilePaused.filter((c) => c.kind === 'submit' || c.kind === 'modify')).toEqual([]);
    expect(h.gateway.openOrders()).toEqual([]);
    expect(h.core.risk(SYMBOL).state).toBe('ACTIVE');

    expect(h.core.setPaused(SYMBOL, false)).toBe(true);
    const resumed = h.core.drainCommands();
    expect(resumed.some((c) => c.kind === 'submit')).toBe(true);
    h.inflight.push(...resumed);
    h.settle();
    expect(h.gateway.openOrders().length).toBeGreaterThan(0);
    expect(events).toEqual([
      { paused: true, reason: 'paused by test' },
      { paused: false, reason: 'resumed by the operator' },
    ]);
  });

  it('is deterministic: two runs with the pause at the same step give the same commands', () => {
    const go = (): string[] => {
      const h = new Harness(11, NO_CHAOS);
      h.start();
      for (let i = 0; i < 120; i++) {
        if (i === 40) h.core.setPaused(SYMBOL, true);
        if (i === 80) h.core.setPaused(SYMBOL, false);
        h.step();
      }
      h.settle();
      return keys(h.queued);
    };
    const a = go();
    expect(a.length).toBeGreaterThan(0);
    expect(go()).toEqual(a);
  });

  it('an unknown symbol is an error naming it', () => {
    const h = new Harness(1, NO_CHAOS);
    expect(() => h.core.setPaused('ETHUSDT', true)).toThrow(/ETHUSDT/);
  });
});
