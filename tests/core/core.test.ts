import { describe, expect, it } from 'vitest';
import { EventBus, IdGenerator, InputError, Rng, SimClock, formatUs, isValidClientOrderId } from '../../src/core/index.ts';

describe('SimClock', () => {
  it('never goes backwards', () => {
    const c = new SimClock(10);
    c.advanceTo(10);
    expect(() => c.advanceTo(9)).toThrow(RangeError);
  });
  it('formats microseconds', () => {
    expect(formatUs(1723161256299123)).toBe('2024-08-08T23:54:16.299123Z');
  });
});

describe('EventBus', () => {
  it('delivers in subscription order and unsubscribes', () => {
    const bus = new EventBus<{ a: number; b: string }>();
    const log: string[] = [];
    const off = bus.on('a', (n) => log.push(`1:${n}`));
    bus.on('a', (n) => log.push(`2:${n}`));
    bus.emit('a', 1);
    off();
    bus.emit('a', 2);
    bus.emit('b', 'ignored');
    expect(log).toEqual(['1:1', '2:1', '2:2']);
    expect(bus.hasListeners('b')).toBe(false);
  });

  it('(un)subscribing inside a handler changes the next emit, not the current one', () => {
    const bus = new EventBus<{ a: number }>();
    const log: string[] = [];
    let offSecond = (): void => {};
    bus.on('a', (n) => {
      log.push(`1:${n}`);
      if (n === 1) {
        offSecond(); // the second still runs for this emit
        bus.on('a', (m) => log.push(`3:${m}`)); // the new one waits for the next emit
      }
    });
    offSecond = bus.on('a', (n) => log.push(`2:${n}`));
    bus.emit('a', 1);
    bus.emit('a', 2);
    expect(log).toEqual(['1:1', '2:1', '1:2', '3:2']);
    const off = bus.on('a', () => log.push('x'));
    off();
    off(); // twice: no effect
    bus.emit('a', 3);
    expect(log.slice(4)).toEqual(['1:3', '3:3']);
  });
});

describe('Rng', () => {
  it('is reproducible from its seed and forks independently', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(new Rng(43).next()).not.toBe(xs[0]);
    expect(new Rng(42).fork('queue').next()).toBe(new Rng(42).fork('queue').next());
    expect(new Rng(42).fork('queue').next()).not.toBe(new Rng(42).fork('latency').next());
  });
  it('draws within bounds', () => {
    const r = new Rng('x');
    for (let i = 0; i < 1000; i++) {
      const k = r.intBetween(3, 7);
      expect(k).toBeGreaterThanOrEqual(3);
      expect(k).toBeLessThanOrEqual(7);
    }
    const mean = Array.from({ length: 20000 }, () => r.normal()).reduce((s, x) => s + x, 0) / 20000;
    expect(Math.abs(mean)).toBeLessThan(0.05);
  });
});

describe('ids', () => {
  it('generates deterministic Binance-valid client ids', () => {
    const g = new IdGenerator('mk', 'r1');
    const ids = Array.from({ length: 1000 }, () => g.next());
    expect(new Set(ids).size).toBe(1000);
    expect(ids.every(isValidClientOrderId)).toBe(true);
    expect(ids[0]).toBe('mk-r1-1');
    expect(isValidClientOrderId('bad id!')).toBe(false);
    expect(() => new IdGenerator('has space')).toThrow(RangeError);
  });
});

describe('errors', () => {
  it('describes file, line and field', () => {
    const e = new InputError('not a number', { file: 'a.gz', line: 12, field: 'data.q' });
    expect(e.code).toBe('E_INPUT');
    expect(e.describe()).toBe('a.gz:12: field "data.q": not a number');
    expect(e).toBeInstanceOf(Error);
  });
});
