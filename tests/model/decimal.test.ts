import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatFixed, normalizeDecimal, parseFixed, decimalsOf } from '../../src/model/index.ts';
import { MakerError } from '../../src/core/index.ts';

describe('parseFixed / formatFixed', () => {
  it('converts exactly', () => {
    expect(parseFixed('61800.20', 2)).toBe(6180020);
    expect(parseFixed('61800.2', 2)).toBe(6180020);
    expect(parseFixed('61800.20000000', 2)).toBe(6180020);
    expect(parseFixed('0.001', 3)).toBe(1);
    expect(parseFixed('-1.5', 1)).toBe(-15);
    expect(parseFixed('1e-05', 5)).toBe(1);
    expect(parseFixed('2.5E3', 0)).toBe(2500);
    expect(parseFixed('.5', 1)).toBe(5);
    expect(formatFixed(6180020, 2)).toBe('61800.20');
    expect(formatFixed(5, 3)).toBe('0.005');
    expect(formatFixed(-5, 3)).toBe('-0.005');
    expect(formatFixed(12, 0)).toBe('12');
  });

  it('rejects what it cannot represent exactly', () => {
    for (const bad of ['', '-', 'abc', '1.2.3', '1,5', 'NaN', '12a']) expect(() => parseFixed(bad, 2)).toThrow(MakerError);
    expect(() => parseFixed('0.001', 2)).toThrow(/more than 2 decimals/);
    expect(() => parseFixed('99999999999999999', 2)).toThrow(/too large/);
  });

  it('round-trips any integer at any scale (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), fc.integer({ min: 0, max: 8 }), (v, d) => {
        expect(parseFixed(formatFixed(v, d), d)).toBe(v);
      }),
    );
  });

  it('round-trips decimal strings without float drift (property)', () => {
    const decimalString = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 8 }))
      .map(([m, d]) => {
        const s = m.toString().padStart(d + 1, '0');
        return { s: d === 0 ? s : `${s.slice(0, s.length - d)}.${s.slice(s.length - d)}`, m, d };
      });
    fc.assert(
      fc.property(decimalString, ({ s, m, d }) => {
        expect(parseFixed(s, d)).toBe(Number(m));
        expect(formatFixed(parseFixed(s, d), d)).toBe(s);
        expect(decimalsOf(s)).toBe(d);
      }),
    );
  });

  it('normalises', () => {
    expect(normalizeDecimal('061.50')).toBe('61.5');
    expect(normalizeDecimal('0.10')).toBe('0.1');
    expect(normalizeDecimal('100')).toBe('100');
    expect(normalizeDecimal('-0.0')).toBe('0');
  });
});
