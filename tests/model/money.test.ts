import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addScaled,
  compareScaled,
  divCeil,
  divFloor,
  divRoundHalfEven,
  formatScaled,
  mulScaled,
  parseDecimal,
  parseScaled,
  subScaled,
  toFloat,
  type ScaledDecimal,
} from '../../src/model/money.ts';

/** A plain decimal string as Binance, configs and the ledger write them: sign, digits, optional fraction. */
const decimalString = fc
  .tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^\d{1,22}$/), fc.option(fc.stringMatching(/^\d{0,26}$/), { nil: undefined }))
  .map(([sign, int, frac]) => (frac === undefined ? `${sign}${int}` : `${sign}${int}.${frac}`));

const scaled = fc.record({ units: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), scale: fc.integer({ min: 0, max: 30 }) });

/** The value of a ScaledDecimal as a fraction compared by cross-multiplication (an independent reference). */
function sameValue(a: ScaledDecimal, b: ScaledDecimal): boolean {
  return a.units * 10n ** BigInt(b.scale) === b.units * 10n ** BigInt(a.scale);
}

describe('money', () => {
  it('parses decimal strings exactly at a scale', () => {
    expect(parseScaled('61800.20', 2)).toBe(6180020n);
    expect(parseScaled('-0.0004', 6)).toBe(-400n);
    expect(parseScaled('+.5', 1)).toBe(5n);
    expect(parseScaled('7.', 0)).toBe(7n);
    expect(parseScaled('1.2500', 2)).toBe(125n); // trailing zeros beyond the scale are fine
    expect(parseScaled('2.5E3', 0)).toBe(2500n);
    expect(parseScaled('1e-5', 5)).toBe(1n);
    expect(parseDecimal('0.00010000')).toEqual({ units: 10000n, scale: 8 });
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

  it('multiplies, adds, subtracts and compares exactly', () => {
    expect(mulScaled(parseDecimal('0.0002'), parseDecimal('61800.1'))).toEqual({ units: 2n * 618001n, scale: 5 });
    expect(addScaled(parseDecimal('1.5'), parseDecimal('-0.25'))).toEqual({ units: 125n, scale: 2 });
    expect(subScaled(parseDecimal('1'), parseDecimal('0.001'))).toEqual({ units: 999n, scale: 3 });
    expect(compareScaled(parseDecimal('1.50'), parseDecimal('1.5'))).toBe(0);
    expect(compareScaled(parseDecimal('-0.1'), parseDecimal('0'))).toBe(-1);
    expect(compareScaled(parseDecimal('2'), parseDecimal('1.999999999999999999999'))).toBe(1);
  });

  it('divides toward −∞ and +∞', () => {
    expect([divFloor(7n, 2n), divFloor(-7n, 2n), divFloor(7n, -2n), divFloor(-7n, -2n), divFloor(6n, 2n)]).toEqual([3n, -4n, -4n, 3n, 3n]);
    expect([divCeil(7n, 2n), divCeil(-7n, 2n), divCeil(7n, -2n), divCeil(-7n, -2n), divCeil(-6n, 2n)]).toEqual([4n, -3n, -3n, 4n, -3n]);
    expect(() => divFloor(1n, 0n)).toThrow(RangeError);
    expect(() => divCeil(1n, 0n)).toThrow(RangeError);
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }).filter((d) => d !== 0n), (n, d) => {
        const f = divFloor(n, d);
        const c = divCeil(n, d);
        // f ≤ n/d < f + 1 and c − 1 < n/d ≤ c, written without division (sign of d flips the inequalities).
        const le = (a: bigint, b: bigint) => (d > 0n ? a <= b : a >= b);
        const lt = (a: bigint, b: bigint) => (d > 0n ? a < b : a > b);
        expect(le(f * d, n) && lt(n, (f + 1n) * d)).toBe(true);
        expect(lt((c - 1n) * d, n) && le(n, c * d)).toBe(true);
      }),
    );
  });

  it('parse and format round-trip for any decimal string and any scaled value (property)', () => {
    fc.assert(
      fc.property(decimalString, (s) => {
        const d = parseDecimal(s);
        const out = formatScaled(d.units, d.scale);
        // Canonical: no '+', no leading zeros, no trailing fractional zeros, no "-0".
        expect(out).toMatch(/^(0|-?(0|[1-9]\d*)(\.\d*[1-9])?)$/);
        expect(out).not.toBe('-0');
        expect(sameValue(parseDecimal(out), d)).toBe(true);
        expect(formatScaled(parseDecimal(out).units, parseDecimal(out).scale)).toBe(out);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(scaled, (d) => {
        const back = parseDecimal(formatScaled(d.units, d.scale));
        expect(sameValue(back, d)).toBe(true);
        expect(back.scale).toBeLessThanOrEqual(d.scale);
      }),
      { numRuns: 2000 },
    );
  });

  it('arithmetic agrees with cross-multiplied fractions (property)', () => {
    fc.assert(
      fc.property(scaled, scaled, (a, b) => {
        const p = mulScaled(a, b);
        expect(p.units * 10n ** BigInt(a.scale + b.scale) === a.units * b.units * 10n ** BigInt(p.scale)).toBe(true);
        const s = addScaled(a, b);
        const den = 10n ** BigInt(a.scale + b.scale);
        expect(s.units * den === (a.units * 10n ** BigInt(b.scale) + b.units * 10n ** BigInt(a.scale)) * 10n ** BigInt(s.scale)).toBe(true);
        expect(sameValue(addScaled(subScaled(a, b), b), a)).toBe(true);
        const x = a.units * 10n ** BigInt(b.scale);
        const y = b.units * 10n ** BigInt(a.scale);
        expect(compareScaled(a, b)).toBe(x < y ? -1 : x > y ? 1 : 0);
      }),
    );
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
