import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { divRoundHalfEven, formatScaled, parseDecimal, parseScaled, toFloat } from '../../src/model/money.ts';

describe('money', () => {
  it('parses decimal strings exactly at a scale', () => {
    expect(parseScaled('61800.20', 2)).toBe(6180020n);
    expect(parseScaled('-0.0004', 6)).toBe(-400n);
    expect(parseScaled('+.5', 1)).toBe(5n);
    expect(parseScaled('7.', 0)).toBe(7n);
    expect(parseScaled('1.2500', 2)).toBe(125n); // trailing zeros beyond the scale are fine
    expect(parseScaled('2.5E3', 0)).toBe(2500n);
    expect(parseScaled('1e-5', 5)).toBe(1n);
    expect(parseDecimal('0.00010000')).toEqual({ units: 10000n, decimals: 8 });
    expect(() => parseScaled('1.255', 2)).toThrow(/more than 2 decimals/);
    for (const bad of ['', '-', '.', 'abc', '1.2.3', '1e', '0x10', ' 1']) expect(() => parseDecimal(bad), bad).toThrow(/not a decimal number/);
  });

  it('formats canonically', () => {
    expect(formatScaled(6180020n, 2)).toBe('61800.2');
    expect(formatScaled(-400n, 6)).toBe('-0.0004');
    expect(formatScaled(0n, 24)).toBe('0');
    expect(formatScaled(1000n, 3)).toBe('1');
    expect(formatScaled(-12n, 0)).toBe('-12');
    expect(toFloat('-0.25')).toBe(-0.25);
    expect(Number.isNaN(toFloat(null))).toBe(true);
  });

  it('rounds half to even', () => {
    expect(divRoundHalfEven(5n, 2n)).toBe(2n);
    expect(divRoundHalfEven(7n, 2n)).toBe(4n);
    expect(divRoundHalfEven(-5n, 2n)).toBe(-2n);
    expect(divRoundHalfEven(-7n, 2n)).toBe(-4n);
    expect(divRoundHalfEven(7n, -2n)).toBe(-4n);
    expect(divRoundHalfEven(10n, 3n)).toBe(3n);
    expect(divRoundHalfEven(11n, 3n)).toBe(4n);
    expect(divRoundHalfEven(-11n, 3n)).toBe(-4n);
    expect(() => divRoundHalfEven(1n, 0n)).toThrow(RangeError);
  });

  it('round-trips and rounds to the nearest (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 30 }), (u, scale) => {
        expect(parseScaled(formatScaled(u, scale), scale)).toBe(u);
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.bigInt({ min: 1n, max: 10n ** 6n }), (n, d) => {
        const q = divRoundHalfEven(n, d);
        const err = n - q * d; // |n/d − q| ≤ 1/2
        expect(2n * (err < 0n ? -err : err) <= d).toBe(true);
      }),
    );
  });
});
